package closecrm

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/mapping"
)

var _ connector.Indexer = (*Client)(nil)

// IndexCost returns how many lead pages Index would read: Close's lead
// total (one call, as Count) divided by the page size. Contacts are listed
// through their leads, so the lead total counts for them too.
func (c *Client) IndexCost(ctx context.Context, obj connector.Object) (int, error) {
	if obj != connector.Lead && obj != connector.Contact {
		return 0, fmt.Errorf("close: unknown object %q (use lead or contact)", obj)
	}
	n, err := c.Count(ctx, connector.Lead, connector.Query{})
	if err != nil || n < 0 {
		return n, err
	}
	return max(1, (n+pageSize-1)/pageSize), nil
}

// Index lists every lead (with its contacts) as List does, and keeps for
// each value of the match key the ids of the record holding it and digests
// of what Write compares for fields. It needs the custom fields Prepare
// resolved. A failed listing leaves the previous index, if any, in place.
//
// After Index, an update or upsert with this object and match key costs
// one call when the record is new (create) or differs only in fields a
// PUT can set without reading them first (the lead's own fields; the
// contact's name, title and custom fields), none when nothing differs; a
// row that changes an email, a phone or the address, or leaves blank a
// field Close holds, reads its record by id first. A key held by several
// records goes through the lead search, which fails the row as ambiguous
// as without an index.
func (c *Client) Index(ctx context.Context, obj connector.Object, match []string, fields []string) error {
	if obj != connector.Lead && obj != connector.Contact {
		return fmt.Errorf("close: unknown object %q (use lead or contact)", obj)
	}
	if len(match) == 0 || slices.ContainsFunc(match, func(k string) bool { return !matchable(k) }) ||
		(slices.Contains(match, mapping.FieldID) && len(match) > 1) {
		return fmt.Errorf("close: index: match key %v: want email and/or phone, or id alone", match)
	}
	p, err := newPlan(obj, match, fields, c.prepared(obj), c.region)
	if err != nil {
		return fmt.Errorf("close: index %ss: %w", obj, err)
	}
	x := &index{obj: obj, match: slices.Clone(match), plan: p, t: connector.NewKeyTable[heldRec]()}
	var addErr error
	err = c.pageLeads(ctx, "index "+string(obj)+"s", leadSearch(obj, time.Time{}), func(l leadData) bool {
		addErr = x.addLead(c, &l)
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

// indexFor returns the index for writes of obj matched on match, nil when
// Index was not called for them.
func (c *Client) indexFor(obj connector.Object, match []string) *index {
	if x := c.idx.Load(); x != nil && x.obj == obj && slices.Equal(x.match, match) {
		return x
	}
	return nil
}

// recState says how much the index knows of a record.
type recState uint8

const (
	fresh  recState = iota // its ids, and digests of what Close holds
	stale                  // its ids only: read it before comparing
	unsure                 // nothing: the key goes through the lead search
)

// heldRec is what the index keeps of one record: for a lead, its id and
// that of the contact holding the key ("lead_… cont_…"); for a contact,
// its id.
type heldRec struct {
	sums  [nGroups]uint64
	mask  uint64
	ids   connector.TextRef
	state recState
}

// index is the key index of one object and match key. It is safe for
// concurrent use.
type index struct {
	obj   connector.Object
	match []string
	plan  plan

	mu sync.RWMutex
	t  *connector.KeyTable[heldRec]
}

// addLead files a listed lead: each of its contacts that holds a key value
// (for lead writes, the first contact of the lead holding it, as the
// search picks it), or the lead itself when matched by id.
func (x *index) addLead(c *Client, l *leadData) error {
	if x.obj == connector.Lead && x.match[0] == mapping.FieldID {
		var ct *contactData
		if len(l.Contacts) > 0 {
			ct = &l.Contacts[0] // pickContact's choice when the row gives no email or phone
		}
		n, err := x.addHeld(l, ct)
		if err == nil {
			x.t.Link(x.t.Sum("i"+l.ID), n)
		}
		return err
	}
	var seen []connector.KeySum // keys of this lead already filed
	for i := range l.Contacts {
		ct := &l.Contacts[i]
		n := uint32(connector.ManyRecs)
		for _, k := range x.heldKeys(c, ct) {
			if x.obj == connector.Lead && slices.Contains(seen, k) {
				continue
			}
			seen = append(seen, k)
			if n == connector.ManyRecs {
				var err error
				if n, err = x.addHeld(l, ct); err != nil {
					return err
				}
			}
			x.t.Link(k, n)
		}
	}
	return nil
}

// addHeld stores a listed record as Close holds it.
func (x *index) addHeld(l *leadData, ct *contactData) (uint32, error) {
	r := x.heldOf(l, ct)
	var err error
	if r.ids, err = x.t.PutText(recIDs(x.obj, l, ct)); err != nil {
		return 0, err
	}
	return x.t.Add(r)
}

// heldOf is the fresh state of l (for lead writes) or ct (for contact
// writes), without its ids. The digests use only the table's seeds, which
// never change, so it needs no lock.
func (x *index) heldOf(l *leadData, ct *contactData) heldRec {
	mask, sums := x.plan.state(x.t, false, func(u unit) string { return u.held(l, ct) })
	return heldRec{sums: sums, mask: mask}
}

// recIDs is the id text of a record.
func recIDs(obj connector.Object, l *leadData, ct *contactData) string {
	switch {
	case obj == connector.Contact && ct != nil:
		return ct.ID
	case ct != nil:
		return l.ID + " " + ct.ID
	}
	return l.ID
}

// splitIDs returns the lead and contact ids of a record's id text (lead
// "" for a contact).
func splitIDs(obj connector.Object, ids string) (leadID, contactID string) {
	if obj == connector.Contact {
		return "", ids
	}
	leadID, contactID, _ = strings.Cut(ids, " ")
	return leadID, contactID
}

// heldKeys returns the key sums a contact holds: every combination of its
// emails and phones the match key names (id: its own id).
func (x *index) heldKeys(c *Client, ct *contactData) []connector.KeySum {
	parts := []string{""}
	for _, m := range x.match {
		var vals []string
		switch m {
		case mapping.FieldEmail:
			for _, e := range ct.Emails {
				if k := connector.Fold(strings.TrimSpace(e.Email)); k != "" {
					vals = append(vals, "e"+k)
				}
			}
		case mapping.FieldPhone:
			for _, p := range ct.Phones {
				if k := phoneKey(p.Phone, c.region); k != "" {
					vals = append(vals, "p"+k)
				}
			}
		case mapping.FieldID:
			vals = []string{"i" + ct.ID}
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

// rowKey returns the key sum of a row's match key, normalised as Close's
// matches compare (emails ignoring case, phones by E.164); false when a
// value cannot be normalised.
func (x *index) rowKey(c *Client, rec mapping.Record) (connector.KeySum, bool) {
	var b strings.Builder
	for _, m := range x.match {
		v := val(rec, m)
		switch m {
		case mapping.FieldEmail:
			v = "e" + connector.Fold(v)
		case mapping.FieldPhone:
			k := phoneKey(v, c.region)
			if k == "" {
				return connector.KeySum{}, false
			}
			v = "p" + k
		case mapping.FieldID:
			v = "i" + v
		}
		b.WriteString(v)
		b.WriteByte(0)
	}
	return x.t.Sum(b.String()), true
}

// entry is what a lookup found under a key.
type entry struct {
	n       uint32
	rec     heldRec
	ids     string
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
	return entry{n: n, rec: r, ids: x.t.TextAt(r.ids), holders: 1}
}

// point files k under a new record, alone, with the ids given.
func (x *index) point(k connector.KeySum, r heldRec, ids string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	ref, err := x.t.PutText(ids)
	if err != nil {
		r, ref = heldRec{state: unsure}, 0
	}
	r.ids = ref
	x.t.Refile(k, r)
}

// created files k under a record Write just created, as Close answered it;
// when the answer does not show it, under its id alone.
func (x *index) created(c *Client, k connector.KeySum, rec mapping.Record, id string, l *leadData) {
	if l != nil {
		for i := range l.Contacts {
			ct := &l.Contacts[i]
			if (x.obj == connector.Lead && c.holds(*ct, rec, x.match)) || (x.obj == connector.Contact && ct.ID == id) {
				x.point(k, x.heldOf(l, ct), recIDs(x.obj, l, ct))
				return
			}
		}
	}
	x.point(k, heldRec{state: stale}, id)
}

// learn files k under the record the lead search found or created for it
// (id: the lead's for lead writes, the contact's for contacts).
func (x *index) learn(k connector.KeySum, id string) { x.point(k, heldRec{state: stale}, id) }

// forget marks k as unknown: the next write of it searches.
func (x *index) forget(k connector.KeySum) { x.point(k, heldRec{state: unsure}, "") }

// settleGroup stores group g of record n as a row wrote it whole (mask
// and sums being the row's state).
func (x *index) settleGroup(n uint32, g group, mask uint64, sums [nGroups]uint64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	r := x.t.Rec(n)
	r.mask = r.mask&^x.plan.bits[g] | mask&x.plan.bits[g]
	r.sums[g] = sums[g]
}

// settle stores record n as read before a write: fresh when the write
// changed nothing, else stale (its ids only).
func (x *index) settle(n uint32, l *leadData, ct *contactData, changed bool) {
	h := heldRec{state: stale}
	if !changed {
		h = x.heldOf(l, ct)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	ref, err := x.t.PutText(recIDs(x.obj, l, ct))
	if err != nil {
		h.state = unsure
	}
	h.ids = ref
	*x.t.Rec(n) = h
}

// spoil marks record n stale: a write to it may or may not have happened.
func (x *index) spoil(n uint32) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.t.Rec(n).state = stale
}
