package qlara

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/mapping"
)

var _ connector.Indexer = (*Connector)(nil)

// IndexCost returns -1: GET /contacts answers a bare array with no total,
// so nothing says how many pages Index would read. It makes no call.
func (c *Connector) IndexCost(_ context.Context, obj connector.Object) (int, error) {
	if err := checkObject(obj); err != nil {
		return 0, err
	}
	return -1, nil
}

// Index lists every contact as List does (1000 a page) and keeps, for each
// value of the match key (emails ignoring case, phones in E.164 shape, as
// find matches them), the contact's id and digests of what Write compares
// for fields. A failed listing leaves the previous index, if any, in place.
//
// After Index, an update or upsert matched on this key costs one call
// when the contact is new (POST) or differs only in text properties (a PUT
// of what the row gives), none when it holds every value already. A row
// that adds an email, phone, tag or address (Qlara replaces arrays whole,
// so they are merged with what it holds), or leaves blank a property the
// contact has, reads the contact by id first. A key several contacts hold
// goes through GET /contacts, which fails the row as ambiguous as without
// an index. A create answered 409 (someone created the contact since the
// listing) goes that way too: the lookup finds the contact and updates it.
// Emails match ignoring case here, as find checks them, where the API's
// own email filter may not.
func (c *Connector) Index(ctx context.Context, obj connector.Object, match []string, fields []string) error {
	if err := checkObject(obj); err != nil {
		return err
	}
	if len(match) == 0 || slices.ContainsFunc(match, func(m string) bool { return !slices.Contains(matchable(), m) }) {
		return fmt.Errorf("qlara: index: match key %v: want email, phone or id", match)
	}
	p, err := newPlan(c.fields, fields)
	if err != nil {
		return fmt.Errorf("qlara: index contacts: %w", err)
	}
	x := &index{match: slices.Clone(match), plan: p, t: connector.NewKeyTable[heldRec]()}
	var addErr error
	err = c.pageContacts(ctx, "index contacts", func(ct contact) bool {
		addErr = x.addContact(ct)
		return addErr == nil
	})
	if err == nil {
		err = addErr
	}
	if err != nil {
		return err
	}
	x.t.Trim()
	c.idx.Store(x)
	return nil
}

// indexFor returns the index for writes matched on match, nil when Index
// was not called for it.
func (c *Connector) indexFor(match []string) *index {
	if x := c.idx.Load(); x != nil && slices.Equal(x.match, match) {
		return x
	}
	return nil
}

// group is a set of compared properties that are written the same way.
type group int

const (
	gText   group = iota // text properties: a PUT of what the row gives
	gMerged              // emails, phones, tags, addresses: merged with what Qlara holds, so read first
	nGroups
)

// plan is what an index compares: the properties the mapped fields set.
type plan struct {
	units []*field       // one per property
	pos   map[string]int // property → its unit
	bits  [nGroups]uint64
}

func newPlan(idx fieldIndex, fields []string) (plan, error) {
	p := plan{pos: map[string]int{}}
	for _, k := range fields {
		if k == mapping.FieldID {
			continue
		}
		f, ok := idx[k]
		if !ok {
			return plan{}, fmt.Errorf("field %q: %s", k, unknownFieldReason(k))
		}
		if _, dup := p.pos[f.wire]; !dup {
			p.pos[f.wire] = len(p.units)
			p.units = append(p.units, f)
		}
	}
	for i, f := range p.units {
		p.bits[groupOf(f)] |= bit(i)
	}
	return p, nil
}

func groupOf(f *field) group {
	if f.kind == kindText {
		return gText
	}
	return gMerged
}

// bit is unit i's bit in a mask; units past the 63rd share the last bit.
func bit(i int) uint64 { return 1 << min(i, 63) }

// covers reports whether the plan compares every property the row gives.
func (p *plan) covers(vals []given) bool {
	for _, g := range vals {
		if _, ok := p.pos[g.f.wire]; !ok {
			return false
		}
	}
	return true
}

// state digests, per group, the canonical form of each unit, and returns
// the mask of the units with a value. For a row the last bit, shared by the
// units past the 63rd, is set only when all of them have a value; for a
// contact, when any has: a shared bit can only make a row undecidable.
func (p *plan) state(t *connector.KeyTable[heldRec], row bool, value func(i int, f *field) (present bool, canon string)) (mask uint64, sums [nGroups]uint64) {
	var canon [nGroups][]string
	lacking := false
	for i, f := range p.units {
		present, v := value(i, f)
		switch {
		case i < 63 && present, i >= 63 && present && !row:
			mask |= bit(i)
		case i >= 63 && !present:
			lacking = true
		}
		canon[groupOf(f)] = append(canon[groupOf(f)], v)
	}
	if row && len(p.units) > 63 && !lacking {
		mask |= bit(63)
	}
	for g := range nGroups {
		if len(canon[g]) > 0 {
			sums[g] = t.Digest(canon[g]...)
		}
	}
	return mask, sums
}

// rowState is the state of what a row gives.
func (p *plan) rowState(t *connector.KeyTable[heldRec], vals []given) (uint64, [nGroups]uint64) {
	byUnit := make([]string, len(p.units))
	for _, g := range vals {
		byUnit[p.pos[g.f.wire]] = g.v
	}
	return p.state(t, true, func(i int, f *field) (bool, string) {
		v := byUnit[i]
		if v == "" {
			return false, ""
		}
		switch f.kind {
		case kindEmail:
			return true, "=" + connector.Fold(v)
		case kindPhone:
			return true, normPhone(v)
		case kindTags:
			return true, tagSet(tagList(v))
		}
		return true, v
	})
}

// heldState is the state of what a contact holds, canonical as missing
// compares: a row's value equal to it is held. Where missing looks for the
// value among several (phones, addresses), the first one stands for all,
// so a row holding a later one reads the contact rather than guessing.
func (p *plan) heldState(t *connector.KeyTable[heldRec], ct contact) (uint64, [nGroups]uint64) {
	return p.state(t, false, func(_ int, f *field) (bool, string) {
		switch f.kind {
		case kindEmail:
			main, all := strings.TrimSpace(ct.str("mainEmail")), ct.strs("emailAddresses")
			switch {
			case main != "" && containsFunc(all, main, strings.EqualFold):
				return true, "=" + connector.Fold(main)
			case main != "" || first(all) != "":
				return true, "\x01" // mainEmail not among the addresses: never held
			}
			return false, ""
		case kindPhone:
			all := ct.strs("phoneNumbers")
			if first(all) == "" {
				return false, ""
			}
			return true, normPhone(all[0])
		case kindTags:
			all := ct.strs("tags")
			return first(all) != "", tagSet(all)
		case kindAddress:
			all := ct.strs("addresses")
			if first(all) == "" {
				return false, ""
			}
			return true, strings.TrimSpace(all[0])
		}
		v := strings.TrimSpace(ct.str(f.wire))
		return v != "", v
	})
}

// tagSet is a set of tags as missing compares them: ignoring case.
func tagSet(tags []string) string {
	folded := make([]string, 0, len(tags))
	for _, t := range tags {
		folded = append(folded, connector.Fold(t))
	}
	slices.Sort(folded)
	return strings.Join(slices.Compact(folded), "\x00")
}

// recState says how much the index knows of a contact.
type recState uint8

const (
	fresh  recState = iota // its id, and digests of what Qlara holds
	stale                  // its id only: read it before comparing
	unsure                 // nothing: the key goes through GET /contacts
)

// heldRec is what the index keeps of one contact.
type heldRec struct {
	sums  [nGroups]uint64
	mask  uint64
	ids   connector.TextRef
	state recState
}

// index is the key index of one match key. It is safe for concurrent use.
type index struct {
	match []string
	plan  plan

	mu sync.RWMutex
	t  *connector.KeyTable[heldRec]
}

// addContact files a listed contact under every key value it holds.
func (x *index) addContact(ct contact) error {
	keys := x.heldKeys(ct)
	if len(keys) == 0 {
		return nil
	}
	mask, sums := x.plan.heldState(x.t, ct)
	ids, err := x.t.PutText(ct.id())
	if err != nil {
		return err
	}
	n, err := x.t.Add(heldRec{sums: sums, mask: mask, ids: ids})
	if err != nil {
		return err
	}
	for _, k := range keys {
		x.t.Link(k, n)
	}
	return nil
}

// heldKeys returns the key sums a contact holds: every combination of its
// emails, phones (and id) the match key names.
func (x *index) heldKeys(ct contact) []connector.KeySum {
	parts := []string{""}
	for _, m := range x.match {
		var vals []string
		switch m {
		case mapping.FieldEmail:
			for _, e := range append([]string{ct.str("mainEmail")}, ct.strs("emailAddresses")...) {
				if k := connector.Fold(strings.TrimSpace(e)); k != "" {
					vals = append(vals, "e"+k)
				}
			}
		case mapping.FieldPhone:
			for _, p := range append([]string{ct.str("mobilePhoneNumber")}, ct.strs("phoneNumbers")...) {
				if k := normPhone(p); k != "" {
					vals = append(vals, "p"+k)
				}
			}
		case mapping.FieldID:
			if id := ct.id(); id != "" {
				vals = []string{"i" + id}
			}
		}
		var next []string
		for _, p := range parts {
			for _, v := range vals {
				next = append(next, p+v+"\x00")
			}
		}
		parts = next
	}
	var out []connector.KeySum
	for _, p := range parts {
		if k := x.t.Sum(p); !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// rowKey is the key sum of a row's match key, normalised as heldKeys.
func (x *index) rowKey(k matchKey) connector.KeySum {
	var b strings.Builder
	for _, m := range x.match {
		switch m {
		case mapping.FieldEmail:
			b.WriteString("e" + connector.Fold(k.email))
		case mapping.FieldPhone:
			b.WriteString("p" + normPhone(k.phone))
		case mapping.FieldID:
			b.WriteString("i" + k.id)
		}
		b.WriteByte(0)
	}
	return x.t.Sum(b.String())
}

// entry is what a lookup found under a key.
type entry struct {
	n       uint32
	rec     heldRec
	id      string
	holders int
}

// lookup returns what the index holds under k.
func (x *index) lookup(k connector.KeySum) entry {
	x.mu.RLock()
	defer x.mu.RUnlock()
	n, r, holders := x.t.Single(k)
	if holders != 1 {
		return entry{holders: holders}
	}
	return entry{n: n, rec: r, id: x.t.TextAt(r.ids), holders: 1}
}

// point files k under a new record, alone.
func (x *index) point(k connector.KeySum, r heldRec, id string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	ref, err := x.t.PutText(id)
	if err != nil {
		r, ref = heldRec{state: unsure}, 0
	}
	r.ids = ref
	x.t.Refile(k, r)
}

// created files k under a contact Write just created, as Qlara answered
// it; when the answer does not show it, under its id alone.
func (x *index) created(k connector.KeySum, id string, ct contact) {
	if ct == nil {
		x.point(k, heldRec{state: stale}, id)
		return
	}
	mask, sums := x.plan.heldState(x.t, ct)
	x.point(k, heldRec{sums: sums, mask: mask}, id)
}

// learn files k under the contact GET /contacts found or a POST created.
func (x *index) learn(k connector.KeySum, id string) { x.point(k, heldRec{state: stale}, id) }

// forget marks k as unknown: the next write of it asks Qlara.
func (x *index) forget(k connector.KeySum) { x.point(k, heldRec{state: unsure}, "") }

// settle stores what Qlara holds for record n after a write: ct as it now
// is, or only its id (stale) when the answer did not show it.
func (x *index) settle(n uint32, ct contact) {
	h := heldRec{state: stale}
	if ct != nil {
		h.mask, h.sums = x.plan.heldState(x.t, ct)
		h.state = fresh
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	r := x.t.Rec(n)
	r.mask, r.sums, r.state = h.mask, h.sums, h.state
}
