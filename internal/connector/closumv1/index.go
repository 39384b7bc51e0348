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

// entry is what the key index keeps of one record: what an upsert compares
// and the ids of its email and phone objects when the API gave them.
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
// has no search, so it is read from the list endpoint once per run, on the
// first write that needs it, and then kept current with what the run does.
type keyIndex struct {
	built lazy[struct{}]
	tail  sync.Mutex // one read of the newest records at a time

	mu        sync.RWMutex
	rows      map[string]entry
	keys      map[string][]string // id → its keys, to drop them when it changes
	byKey     map[string][]string // "email:…" or "phone:…" → ids
	listedMax int64               // highest numeric id a listing returned
	dirty     int                 // creates whose answer was lost so far
	clean     int                 // dirty as of the last read of the newest records
}

func newKeyIndex() *keyIndex {
	return &keyIndex{rows: map[string]entry{}, keys: map[string][]string{}, byKey: map[string][]string{}}
}

// put adds or replaces a record under its email and phone keys.
func (x *keyIndex) put(e entry, keys []string, listed bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.unkey(e.id)
	x.rows[e.id] = e
	x.keys[e.id] = keys
	for _, k := range keys {
		x.byKey[k] = append(x.byKey[k], e.id)
	}
	if n, err := strconv.ParseInt(e.id, 10, 64); listed && err == nil && n > x.listedMax {
		x.listedMax = n
	}
}

// drop forgets a record that no longer exists.
func (x *keyIndex) drop(id string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.unkey(id)
	delete(x.rows, id)
	delete(x.keys, id)
}

// unkey removes id from the keys it was filed under; x.mu is held.
func (x *keyIndex) unkey(id string) {
	for _, k := range x.keys[id] {
		x.byKey[k] = slices.DeleteFunc(x.byKey[k], func(v string) bool { return v == id })
		if len(x.byKey[k]) == 0 {
			delete(x.byKey, k)
		}
	}
}

// find returns the records holding every key of each group (a group is a
// key and its alternatives), ordered by id.
func (x *keyIndex) find(groups [][]string) []entry {
	x.mu.RLock()
	defer x.mu.RUnlock()
	var ids []string
	for i, g := range groups {
		var hit []string
		for _, k := range g {
			if hit = x.byKey[k]; len(hit) > 0 {
				break
			}
		}
		if i == 0 {
			ids = slices.Clone(hit)
		} else {
			ids = slices.DeleteFunc(ids, func(id string) bool { return !slices.Contains(hit, id) })
		}
	}
	out := make([]entry, 0, len(ids))
	for _, id := range ids {
		out = append(out, x.rows[id])
	}
	sort.Slice(out, func(i, j int) bool { return idLess(out[i].id, out[j].id) })
	return out
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

// idLess orders ids numerically when both are numbers.
func idLess(a, b string) bool {
	na, ea := strconv.ParseInt(a, 10, 64)
	nb, eb := strconv.ParseInt(b, 10, 64)
	if ea == nil && eb == nil {
		return na < nb
	}
	return a < b
}

// entryKeys returns the index keys of a record.
func (c *Client) entryKeys(e entry) []string {
	var keys []string
	if k := emailKey(e.email); k != "" {
		keys = append(keys, "email:"+k)
	}
	if k := c.phoneKey(e.phone, e.phoneExt); k != "" {
		keys = append(keys, "phone:"+k)
	}
	return keys
}

// remember puts a record in obj's index.
func (c *Client) remember(obj connector.Object, e entry, listed bool) {
	c.index[obj].put(e, c.entryKeys(e), listed)
}

// keyIndex returns obj's index, reading every record the first time (one
// read shared by concurrent callers; a failed read is tried again by the
// next call).
func (c *Client) keyIndex(ctx context.Context, obj connector.Object) (*keyIndex, error) {
	x := c.index[obj]
	_, err := x.built.get(ctx, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, c.readAll(ctx, obj, "build the "+noun(obj)+" key index")
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
				c.remember(obj, entryOf(p), true)
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
		c.remember(obj, e, true)
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
func (c *Client) find(ctx context.Context, obj connector.Object, groups [][]string, fresh bool) ([]entry, error) {
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
