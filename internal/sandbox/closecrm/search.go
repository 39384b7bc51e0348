package closecrm

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// Evaluation of parsed searches (see query.go for the language). Exact-match
// terms are answered from the store's indexes, so an upsert's lookup by
// email or phone does not scan every lead.

func (allExpr) match(*store, *leadRec) bool { return true }

func (a andExpr) match(s *store, r *leadRec) bool {
	for _, e := range a {
		if !e.match(s, r) {
			return false
		}
	}
	return true
}

func (o orExpr) match(s *store, r *leadRec) bool {
	for _, e := range o {
		if e.match(s, r) {
			return true
		}
	}
	return false
}

func (n notExpr) match(s *store, r *leadRec) bool { return !n.e.match(s, r) }

func (t termExpr) match(s *store, r *leadRec) bool {
	switch t.key {
	case "name":
		return strings.EqualFold(r.name, t.value)
	case "status":
		st, ok := s.statusByLabel(t.value)
		return ok && r.statusID == st.ID
	case "email_address":
		return s.byEmail.has(t.value, r.slot)
	case "phone":
		return s.byPhone.has(t.value, r.slot)
	}
	return false
}

func (d dateExpr) match(_ *store, r *leadRec) bool {
	t := fromMicros(r.created).Time
	if d.field == "updated" {
		t = fromMicros(r.updated).Time
	}
	rising, falling := d.parts(t)
	return rising && falling
}

// parts splits the comparison into what holds from some time on (rising)
// and what holds up to some time (falling); it matches when both hold.
// The generated leads use the split to find their range by bisection.
func (d dateExpr) parts(t time.Time) (rising, falling bool) {
	lo, hi := d.lo, d.hi
	if hi.IsZero() { // an instant
		switch d.op {
		case ">":
			return t.After(lo), true
		case ">=":
			return !t.Before(lo), true
		case "<":
			return true, t.Before(lo)
		case "<=":
			return true, !t.After(lo)
		}
		return !t.Before(lo), !t.After(lo)
	}
	switch d.op { // a whole day: "> day" means after that day
	case ">":
		return !t.Before(hi), true
	case ">=":
		return !t.Before(lo), true
	case "<":
		return true, t.Before(lo)
	case "<=":
		return true, t.Before(hi)
	}
	return !t.Before(lo), t.Before(hi)
}

func (sortExpr) match(*store, *leadRec) bool { return true }

// candidates narrows e to a set of leads through the indexes (no slot
// twice, in no particular order); ok is false when e needs a scan.
func (s *store) candidates(e expr) (leads []slot, ok bool) {
	switch x := e.(type) {
	case termExpr:
		switch x.key {
		case "email_address":
			return s.byEmail.leads(x.value), true
		case "phone":
			return s.byPhone.leads(x.value), true
		case "name":
			return s.byName.leads(strings.ToLower(x.value)), true
		}
	case andExpr:
		found := false
		for _, sub := range x {
			if c, ok := s.candidates(sub); ok && (!found || len(c) < len(leads)) {
				leads, found = c, true
			}
		}
		return leads, found
	case orExpr:
		var union []slot
		for _, sub := range x {
			c, ok := s.candidates(sub)
			if !ok {
				return nil, false
			}
			union = append(union, c...)
		}
		slices.Sort(union)
		return slices.Compact(union), true
	}
	return nil, false
}

// search returns the slots of the leads matching q, in q's order
// (creation order by default).
func (s *store) search(q query) []slot {
	var recs []*leadRec
	if c, ok := s.candidates(q.root); ok {
		for _, i := range c {
			if r := s.leads[i]; r != nil && q.root.match(s, r) {
				recs = append(recs, r)
			}
		}
		slices.SortFunc(recs, func(a, b *leadRec) int { return cmp.Compare(a.slot, b.slot) })
	} else {
		for _, i := range s.liveLeads() {
			if r := s.leads[i]; q.root.match(s, r) {
				recs = append(recs, r)
			}
		}
	}
	if q.sort != nil {
		key := func(r *leadRec) string {
			switch q.sort.field {
			case "created":
				return fromMicros(r.created).Format(timeLayout)
			case "updated":
				return fromMicros(r.updated).Format(timeLayout)
			}
			return strings.ToLower(r.name)
		}
		slices.SortStableFunc(recs, func(a, b *leadRec) int {
			c := strings.Compare(key(a), key(b))
			if q.sort.desc {
				c = -c
			}
			return c
		})
	}
	out := make([]slot, len(recs))
	for i, r := range recs {
		out[i] = r.slot
	}
	return out
}

// queryCache keeps recent search results while nothing changes, so paging
// through a scanned search is not quadratic.
type queryCache struct {
	version uint64
	results map[string][]slot
}

func (c *queryCache) get(version uint64, key string) ([]slot, bool) {
	if c.version != version {
		c.version, c.results = version, nil
	}
	ids, ok := c.results[key]
	return ids, ok
}

func (c *queryCache) put(key string, ids []slot) {
	if c.results == nil || len(c.results) >= 16 {
		c.results = map[string][]slot{}
	}
	c.results[key] = ids
}
