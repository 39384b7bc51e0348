package closecrm

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/mapping"
)

// List yields every lead, or every contact, page by page through the lead
// search, or through the asynchronous export when q.Async is set (see the
// package comment for the order, the date windows and the Since filter).
// Records carry exactly the keys Columns returns. It needs no Prepare: it
// reads the custom field list itself, once per Client.
func (c *Client) List(ctx context.Context, obj connector.Object, q connector.Query) iter.Seq2[mapping.Record, error] {
	return func(yield func(mapping.Record, error) bool) {
		defs, err := c.listFields(ctx, obj)
		if err != nil {
			yield(nil, err)
			return
		}
		e := &emitter{obj: obj, defs: defs, yield: yield}
		if !q.Since.IsZero() {
			// The search compares to the second: ask from the second before,
			// inclusive, and let the per-record check drop what is older.
			e.since = q.Since.UTC().Truncate(time.Second)
		}
		if q.Async {
			err = c.exportLeads(ctx, e)
		} else {
			err = c.pageLeads(ctx, "list "+string(obj)+"s", leadSearch(obj, e.since), e.lead)
		}
		if err != nil && !e.stopped {
			yield(nil, err)
		}
	}
}

// Columns returns the keys of the records List yields for obj: id (and
// lead_id for contacts), the standard fields, custom.<Human Name> for every
// custom field of obj sorted by name, then date_created and date_updated.
// It makes one paged call to /custom_field/{obj}/ the first time (List
// reuses that list, so the two agree for the life of the Client).
func (c *Client) Columns(ctx context.Context, obj connector.Object) ([]string, error) {
	defs, err := c.listFields(ctx, obj)
	if err != nil {
		return nil, err
	}
	cols := []string{mapping.FieldID}
	if obj == connector.Lead {
		cols = append(cols, mapping.FieldCompany, mapping.FieldName, mapping.FieldEmail, mapping.FieldPhone,
			mapping.FieldTitle, mapping.FieldURL, mapping.FieldDescription, mapping.FieldStatus,
			mapping.FieldAddress, mapping.FieldCity, mapping.FieldState, mapping.FieldZip, mapping.FieldCountry)
	} else {
		cols = append(cols, fieldLeadID, mapping.FieldCompany, mapping.FieldName, mapping.FieldEmail,
			mapping.FieldPhone, mapping.FieldTitle)
	}
	for _, d := range defs {
		if k := mapping.CustomPrefix + d.Name; !slices.Contains(cols, k) {
			cols = append(cols, k)
		}
	}
	return append(cols, mapping.FieldCreatedAt, mapping.FieldUpdatedAt), nil
}

// listFields returns obj's custom fields sorted by name, loading them the
// first time.
func (c *Client) listFields(ctx context.Context, obj connector.Object) ([]customField, error) {
	if obj != connector.Lead && obj != connector.Contact {
		return nil, fmt.Errorf("close: unknown object %q (use lead or contact)", obj)
	}
	c.mu.RLock()
	defs, ok := c.listDefs[obj]
	c.mu.RUnlock()
	if ok {
		return defs, nil
	}
	defs, err := c.customFields(ctx, obj)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(defs, func(a, b customField) int {
		return strings.Compare(customKey(a.Name), customKey(b.Name))
	})
	if defs == nil {
		defs = []customField{}
	}
	c.mu.Lock()
	if prev, ok := c.listDefs[obj]; ok {
		defs = prev // a concurrent call won: keep one list
	} else {
		c.listDefs[obj] = defs
	}
	c.mu.Unlock()
	return defs, nil
}

// emitter turns leads into the records of its object and yields those that
// pass Since.
type emitter struct {
	obj     connector.Object
	defs    []customField
	since   time.Time
	yield   func(mapping.Record, error) bool
	stopped bool // the consumer asked for no more
}

// lead yields the records of one lead; false when the consumer stopped.
func (e *emitter) lead(l leadData) bool {
	if e.obj == connector.Lead {
		if newer(l.DateUpdated, e.since) && !e.yield(leadRecord(l, e.defs), nil) {
			e.stopped = true
		}
		return !e.stopped
	}
	for _, ct := range l.Contacts {
		if newer(ct.DateUpdated, e.since) && !e.yield(contactRecord(l, ct, e.defs), nil) {
			e.stopped = true
			return false
		}
	}
	return true
}

// pageLeads walks the lead search base in creation order, one date window
// at a time: each window is paged with _skip until the cap, then the next
// one starts at the second of the last lead given. It calls each with every
// lead once, and stops when each returns false. List and Index share it.
func (c *Client) pageLeads(ctx context.Context, op, base string, each func(leadData) bool) error {
	params := url.Values{"_fields": {leadFieldsParam}, "_limit": {strconv.Itoa(pageSize)}}
	maxSkip, capped := c.maxSkip, c.maxSkip > 0
	var w window
	for first := true; ; first = false {
		query := base
		if !first {
			query = "created >= " + quote(w.edge.Format(time.DateTime)) + " " + base
		}
		params.Set("query", query)
		windowStart := w.edge
		lastOK := -1
		for skip := 0; ; {
			if capped && skip > maxSkip {
				break
			}
			params.Set("_skip", strconv.Itoa(skip))
			var p page[leadData]
			err := c.call(ctx, nil, fmt.Sprintf("%s (_skip %d)", op, skip), http.MethodGet, "/lead/", params, nil, &p)
			if ce, ok := connector.AsError(err); ok && ce.HTTPStatus == http.StatusBadRequest && lastOK >= 0 {
				// The first page of this query was accepted: a 400 further
				// on can only be the _skip cap. Remember it for the next windows.
				maxSkip, capped = lastOK, true
				break
			}
			if err != nil {
				return err
			}
			lastOK = skip
			for _, l := range p.Data {
				if w.given(l.ID) {
					continue
				}
				w.add(l)
				if !each(l) {
					return nil
				}
			}
			w.turn()
			if !p.HasMore || len(p.Data) == 0 {
				return nil
			}
			skip += len(p.Data)
		}
		switch {
		case !w.dated:
			return &connector.Error{Op: op, Message: fmt.Sprintf("Close refuses a _skip past %d and the leads "+
				"listed have no readable date_created to continue from", maxSkip)}
		case !first && !w.edge.After(windowStart):
			return &connector.Error{Op: op, Message: fmt.Sprintf("more leads were created in the second %s than "+
				"Close lets one query page through (_skip at most %d); the rest cannot be listed this way "+
				"(use the asynchronous export)", w.edge.Format(time.RFC3339), maxSkip)}
		}
	}
}

// window tracks what a listing has given, to skip repeats: the ids of the
// last two pages (with a stable order, a record comes twice only when an
// offset shifts between two requests), and the second of the newest lead
// given with the ids given in it, where the next date window starts.
type window struct {
	prev, cur map[string]struct{}
	edge      time.Time // newest date_created given, to the second
	edgeIDs   map[string]struct{}
	dated     bool // edge is known
}

func (w *window) given(id string) bool {
	_, a := w.prev[id]
	_, b := w.cur[id]
	_, c := w.edgeIDs[id]
	return a || b || c
}

func (w *window) add(l leadData) {
	if w.cur == nil {
		w.cur = map[string]struct{}{}
	}
	w.cur[l.ID] = struct{}{}
	t, ok := parseTime(l.DateCreated)
	if !ok {
		return
	}
	sec := t.UTC().Truncate(time.Second)
	switch {
	case !w.dated || sec.After(w.edge):
		w.edge, w.dated = sec, true
		w.edgeIDs = map[string]struct{}{l.ID: {}}
	case sec.Equal(w.edge):
		w.edgeIDs[l.ID] = struct{}{}
	}
}

// turn starts a new page: the oldest page is forgotten.
func (w *window) turn() {
	w.prev, w.cur = w.cur, w.prev
	clear(w.cur)
}

// newer reports whether a record updated at ts passes the Since filter; a
// timestamp that cannot be read passes.
func newer(ts string, since time.Time) bool {
	if since.IsZero() {
		return true
	}
	t, ok := parseTime(ts)
	return !ok || !t.Before(since)
}

// leadRecord flattens a lead and its first contact.
func leadRecord(l leadData, defs []customField) mapping.Record {
	rec := mapping.Record{
		mapping.FieldID:          l.ID,
		mapping.FieldCompany:     l.Name,
		mapping.FieldURL:         l.URL,
		mapping.FieldDescription: l.Description,
		mapping.FieldStatus:      l.StatusLabel,
		mapping.FieldCreatedAt:   timestamp(l.DateCreated),
		mapping.FieldUpdatedAt:   timestamp(l.DateUpdated),
	}
	var ct contactData
	if len(l.Contacts) > 0 {
		ct = l.Contacts[0]
	}
	personFields(rec, ct)
	var a address
	if len(l.Addresses) > 0 {
		a = l.Addresses[0]
	}
	rec[mapping.FieldAddress] = a.Address1
	rec[mapping.FieldCity] = a.City
	rec[mapping.FieldState] = a.State
	rec[mapping.FieldZip] = a.Zipcode
	rec[mapping.FieldCountry] = a.Country
	customFieldsOf(rec, l.Custom, defs)
	return rec
}

// contactRecord flattens one contact of a lead.
func contactRecord(l leadData, ct contactData, defs []customField) mapping.Record {
	rec := mapping.Record{
		mapping.FieldID:        ct.ID,
		fieldLeadID:            l.ID,
		mapping.FieldCompany:   l.Name,
		mapping.FieldCreatedAt: timestamp(ct.DateCreated),
		mapping.FieldUpdatedAt: timestamp(ct.DateUpdated),
	}
	personFields(rec, ct)
	customFieldsOf(rec, ct.Custom, defs)
	return rec
}

func personFields(rec mapping.Record, ct contactData) {
	rec[mapping.FieldName] = ct.Name
	rec[mapping.FieldTitle] = ct.Title
	rec[mapping.FieldEmail] = ""
	if len(ct.Emails) > 0 {
		rec[mapping.FieldEmail] = ct.Emails[0].Email
	}
	rec[mapping.FieldPhone] = ""
	if len(ct.Phones) > 0 {
		rec[mapping.FieldPhone] = ct.Phones[0].Phone
	}
}

func customFieldsOf(rec mapping.Record, held map[string]json.RawMessage, defs []customField) {
	for _, d := range defs {
		rec[mapping.CustomPrefix+d.Name] = valueText(heldCustom(held, d))
	}
}

// timestamp normalises Close's timestamps to RFC 3339 in UTC; text that
// does not parse is kept as it came.
func timestamp(s string) string {
	if t, ok := parseTime(s); ok {
		return t.UTC().Format(time.RFC3339Nano)
	}
	return s
}
