package closumv1

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"sync"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/mapping"
)

// entry is a record as listed, retrieved or just created: what an upsert
// compares and the ids of its email and phone objects when the API gave
// them. The key index keeps a compact form of it (held).
type entry struct {
	id                 string
	name               string
	email, emailID     string
	phone, phoneExt    string
	phoneID            string
	cityID             string
	contactType        string
	customData         string
	optIn              *optInRead
	hasEmail, hasPhone bool // the record has the object at all
}

// entryOf keeps what the index needs of a listed or retrieved record.
func entryOf(p person) entry {
	e := entry{id: string(p.ID), name: p.Name, cityID: string(p.CityID), contactType: string(p.ContactTypeID),
		customData: customText(p.CustomData), optIn: p.optIn()}
	if p.Email != nil {
		e.hasEmail = true
		e.email, e.emailID = string(p.Email.Email), string(p.Email.ID)
	}
	if p.Phone != nil {
		e.hasPhone = true
		e.phone, e.phoneExt, e.phoneID = string(p.Phone.Number), string(p.Phone.Extension), string(p.Phone.ID)
	}
	return e
}

// keyIndex finds the records of one object by email and phone. The v1 API
// has no search, so it is read from the list endpoint once per run (by
// Index, or on the first write that needs it), and then kept current with
// what the run does. It keeps, per record, its id, its email and phone
// keys and digests of the other fields Write compares (see held.go), so a
// record costs about 130 bytes whatever its fields hold.
type keyIndex struct {
	built lazy[struct{}]
	tail  sync.Mutex // one read of the newest records at a time

	mu        sync.RWMutex
	t         *connector.KeyTable[heldRec]
	custom    []uint64 // custom_data digests of the records that have one
	listedMax int64    // highest numeric id a listing returned
	dirty     int      // creates whose answer was lost so far
	clean     int      // dirty as of the last read of the newest records
}

func newKeyIndex() *keyIndex {
	return &keyIndex{t: connector.NewKeyTable[heldRec]()}
}

// put stores a record: in place of record n when n is not noRec, else in
// place of a record with the same id filed under one of its keys (a
// record created this run and listed since), else as a new one. A new
// record with neither email nor phone is not kept: no key finds it.
func (x *keyIndex) put(h held, n uint32, listed bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if id, err := strconv.ParseInt(h.id, 10, 64); listed && err == nil && id > x.listedMax {
		x.listedMax = id
	}
	if n == noRec {
		if h.rec.email == (connector.KeySum{}) && h.rec.phone == (connector.KeySum{}) {
			return // no key can find it
		}
		n = x.sameID(h)
	}
	r := h.rec
	if len(h.custom) > 0 {
		r.custom = uint32(len(x.custom))
		x.custom = append(x.custom, uint64(len(h.custom)))
		x.custom = append(x.custom, h.custom...)
	}
	if n != noRec {
		old := x.t.Rec(n)
		x.unkey(n, *old)
		r.ids = old.ids
	} else {
		ids, err := x.t.PutText(h.id)
		if err != nil {
			return // full: the record stays unknown, as if never listed
		}
		r.ids = ids
		if n, err = x.t.Add(r); err != nil {
			return
		}
	}
	*x.t.Rec(n) = r
	for _, k := range []connector.KeySum{r.email, r.phone} {
		if k != (connector.KeySum{}) {
			x.t.Link(k, n)
		}
	}
}

// noRec stands for "no record number".
const noRec = connector.ManyRecs

// sameID returns the record filed under one of h's keys with h's id, or
// noRec; x.mu is held.
func (x *keyIndex) sameID(h held) uint32 {
	for _, k := range []connector.KeySum{h.rec.email, h.rec.phone} {
		if k == (connector.KeySum{}) {
			continue
		}
		for _, n := range x.t.Holders(k) {
			if x.t.TextAt(x.t.Rec(n).ids) == h.id {
				return n
			}
		}
	}
	return noRec
}

// drop forgets record n, which no longer exists.
func (x *keyIndex) drop(n uint32) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.unkey(n, *x.t.Rec(n))
}

// unkey removes record n from the keys of r, what it held; x.mu is held.
func (x *keyIndex) unkey(n uint32, r heldRec) {
	for _, k := range []connector.KeySum{r.email, r.phone} {
		if k != (connector.KeySum{}) {
			x.t.Unlink(k, n)
		}
	}
}

// find returns the records holding every key of each group (a group is a
// key and its alternatives), ordered by id.
func (x *keyIndex) find(groups [][]string) []held {
	x.mu.RLock()
	defer x.mu.RUnlock()
	var ns []uint32
	for i, g := range groups {
		var hit []uint32
		for _, k := range g {
			if hit = x.t.Holders(x.t.Sum(k)); len(hit) > 0 {
				break
			}
		}
		if i == 0 {
			ns = slices.Clone(hit)
		} else {
			ns = slices.DeleteFunc(ns, func(n uint32) bool { return !slices.Contains(hit, n) })
		}
	}
	out := make([]held, 0, len(ns))
	for _, n := range ns {
		out = append(out, x.heldAt(n))
	}
	// By id, and one record an id (the latest stored, should a record
	// ever be filed twice), as the map by id this index replaced kept it.
	sort.Slice(out, func(i, j int) bool {
		if out[i].id != out[j].id {
			return idLess(out[i].id, out[j].id)
		}
		return out[i].n > out[j].n
	})
	return slices.CompactFunc(out, func(a, b held) bool { return a.id == b.id })
}

// heldAt returns record n as the index keeps it; x.mu is held.
func (x *keyIndex) heldAt(n uint32) held {
	r := *x.t.Rec(n)
	h := held{n: n, rec: r, id: x.t.TextAt(r.ids)}
	if r.customKind != customNone {
		n := uint64(r.custom) + 1
		h.custom = slices.Clone(x.custom[n : n+x.custom[r.custom]])
	}
	return h
}

// markUncertain notes a create whose answer was lost: the record may exist.
func (x *keyIndex) markUncertain() {
	x.mu.Lock()
	x.dirty++
	x.mu.Unlock()
}

// uncertain reports whether a create may have happened since the last read
// of the newest records.
func (x *keyIndex) uncertain() bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.dirty > x.clean
}

// trim gives back the room left by appending, once a full read is done.
func (x *keyIndex) trim() {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.t.Trim()
	x.custom = slices.Clone(x.custom)
}

// idLess orders ids numerically when both are numbers.
func idLess(a, b string) bool {
	na, ea := strconv.ParseInt(a, 10, 64)
	nb, eb := strconv.ParseInt(b, 10, 64)
	if ea == nil && eb == nil {
		return na < nb
	}
	return a < b
}

// remember puts a record in obj's index, in place of record n (noRec when
// it has no known number).
func (c *Client) remember(obj connector.Object, e entry, n uint32, listed bool) {
	x := c.index[obj]
	x.put(c.compact(x, e), n, listed)
}

var _ connector.Indexer = (*Client)(nil)

// IndexCost returns how many list calls Index would make for obj: the
// pagination count of one call (as Count) divided by the page size asked.
func (c *Client) IndexCost(ctx context.Context, obj connector.Object) (int, error) {
	n, err := c.Count(ctx, obj, connector.Query{})
	if err != nil || n < 0 {
		return n, err
	}
	return max(1, (n+c.pageSize-1)/c.pageSize), nil
}

// Index reads every record of obj into its key index now, rather than on
// the first upsert that needs it; a failed read is read again by the next
// call. The index serves every match key and field (it keeps the email and
// phone keys and all the fields an upsert compares), so match and fields
// are only checked. Without Index, the first upsert reads it the same way.
func (c *Client) Index(ctx context.Context, obj connector.Object, match []string, fields []string) error {
	if _, ok := resource(obj); !ok {
		return fmt.Errorf("closum-v1: unknown object %q (want lead or contact)", obj)
	}
	for _, m := range match {
		if m != mapping.FieldEmail && m != mapping.FieldPhone {
			return fmt.Errorf("closum-v1: index: match key %q: records are matched by email or phone", m)
		}
	}
	_, err := c.keyIndex(ctx, obj)
	return err
}

// keyIndex returns obj's index, reading every record the first time (one
// read shared by concurrent callers; a failed read is tried again by the
// next call).
func (c *Client) keyIndex(ctx context.Context, obj connector.Object) (*keyIndex, error) {
	x := c.index[obj]
	_, err := x.built.get(ctx, func(ctx context.Context) (struct{}, error) {
		if err := c.readAll(ctx, obj, "build the "+noun(obj)+" key index"); err != nil {
			return struct{}{}, err
		}
		x.trim()
		return struct{}{}, nil
	})
	if err != nil {
		return nil, err
	}
	return x, nil
}

// readAll puts every record of obj in its index.
func (c *Client) readAll(ctx context.Context, obj connector.Object, op string) error {
	path, _ := resource(obj)
	return listPages(ctx, c, op, path, "asc", func(rows []person) error {
		for _, p := range rows {
			if p.ID != "" {
				c.remember(obj, entryOf(p), noRec, true)
			}
		}
		return nil
	})
}

// readNewest puts the records created since the last listing in obj's
// index, reading the list newest first until it reaches a known id. A
// server that does not sort as asked, or ids that are not numbers, make
// it read everything again instead.
func (c *Client) readNewest(ctx context.Context, obj connector.Object) error {
	x := c.index[obj]
	x.tail.Lock()
	defer x.tail.Unlock()
	x.mu.RLock()
	gen, known := x.dirty, x.listedMax
	x.mu.RUnlock()
	op := "read the newest " + noun(obj) + "s"
	path, _ := resource(obj)
	var fresh []entry
	sorted, prev := true, int64(-1)
	err := listPages(ctx, c, op, path, "desc", func(rows []person) error {
		reached := len(rows) == 0
		for _, p := range rows {
			n, err := strconv.ParseInt(string(p.ID), 10, 64)
			if err != nil || (prev >= 0 && n >= prev) {
				sorted = false
				return errStop{}
			}
			prev = n
			if n <= known {
				reached = true
				break
			}
			fresh = append(fresh, entryOf(p))
		}
		if reached {
			return errStop{}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !sorted {
		if err := c.readAll(ctx, obj, op); err != nil {
			return err
		}
	}
	for _, e := range fresh {
		c.remember(obj, e, noRec, true)
	}
	x.mu.Lock()
	x.clean = max(x.clean, gen)
	x.mu.Unlock()
	return nil
}

// lookupGroups returns the index key groups for the match keys that have
// a value in the record; an empty key given in the match is an error.
func (c *Client) lookupGroups(op string, match []string, in input) ([][]string, []string, error) {
	var groups [][]string
	var used []string
	for _, m := range match {
		switch m {
		case mapping.FieldEmail:
			if k := emailKey(in.email); k != "" {
				groups = append(groups, []string{"email:" + k})
				used = append(used, m)
			}
		case mapping.FieldPhone:
			if k := c.phoneKey(in.phone, in.phoneExt); k != "" {
				g := []string{"phone:" + k}
				if alt := c.phoneAltKey(in.phone, in.phoneExt); alt != "" {
					g = append(g, "phone:"+alt)
				}
				groups = append(groups, g)
				used = append(used, m)
			}
		default:
			return nil, nil, rowError(op, "match key %q: Closum v1 records are matched by email or phone", m)
		}
	}
	if len(match) > 0 && len(groups) == 0 {
		return nil, nil, rowError(op, "the match key (%v) is empty in this record", match)
	}
	return groups, used, nil
}

// find looks a record up in obj's index, reading the newest records first
// when a lost create may have added it or the caller asks (verify).
func (c *Client) find(ctx context.Context, obj connector.Object, groups [][]string, fresh bool) ([]held, error) {
	x, err := c.keyIndex(ctx, obj)
	if err != nil {
		return nil, err
	}
	hits := x.find(groups)
	if len(hits) == 0 && (fresh || x.uncertain()) {
		if err := c.readNewest(ctx, obj); err != nil {
			return nil, fmt.Errorf("look up %s: %w", noun(obj), err)
		}
		hits = x.find(groups)
	}
	return hits, nil
}
