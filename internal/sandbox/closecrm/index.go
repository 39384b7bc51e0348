package closecrm

import "slices"

// posting says that a lead holds an index key n times (two of its contacts
// may share an email).
type posting struct{ lead, n int32 }

// index maps a search key to the leads holding it. Almost every key belongs
// to one lead, which takes one map entry and no allocation of its own.
type index struct {
	one  map[string]posting
	many map[string][]posting
}

func newIndex() index {
	return index{one: map[string]posting{}, many: map[string][]posting{}}
}

// add adds d (±1) to the count of key held by lead.
func (x index) add(key string, lead slot, d int32) {
	if key == "" {
		return
	}
	if p, ok := x.one[key]; ok {
		switch {
		case p.lead == lead && p.n+d > 0:
			x.one[key] = posting{lead, p.n + d}
		case p.lead == lead:
			delete(x.one, key)
		case d > 0:
			delete(x.one, key)
			x.many[key] = []posting{p, {lead, d}}
		}
		return
	}
	ps, ok := x.many[key]
	if !ok {
		if d > 0 {
			x.one[key] = posting{lead, d}
		}
		return
	}
	i := slices.IndexFunc(ps, func(p posting) bool { return p.lead == lead })
	switch {
	case i < 0 && d > 0:
		ps = append(ps, posting{lead, d})
	case i < 0:
	case ps[i].n+d > 0:
		ps[i].n += d
	default:
		ps = slices.Delete(ps, i, i+1)
	}
	switch len(ps) {
	case 0:
		delete(x.many, key)
	case 1:
		delete(x.many, key)
		x.one[key] = ps[0]
	default:
		x.many[key] = ps
	}
}

// has reports whether lead holds key.
func (x index) has(key string, lead slot) bool {
	if p, ok := x.one[key]; ok {
		return p.lead == lead
	}
	return slices.ContainsFunc(x.many[key], func(p posting) bool { return p.lead == lead })
}

// leads returns the leads holding key, in no particular order.
func (x index) leads(key string) []slot {
	if p, ok := x.one[key]; ok {
		return []slot{p.lead}
	}
	ps := x.many[key]
	out := make([]slot, len(ps))
	for i, p := range ps {
		out[i] = p.lead
	}
	return out
}
