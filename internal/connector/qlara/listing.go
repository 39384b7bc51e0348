package qlara

import (
	"context"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/mapping"
)

// List yields every contact as a mapping.Record with exactly the keys of
// Columns: page by page (GET /contacts, 0-based page, limit 1000, the
// documented maximum), or through the asynchronous CSV export when q.Async
// is set (see export.go). The endpoint answers a bare array with no total,
// so the last page is the first one shorter than the limit (or, if a paged
// envelope with totalPages is ever returned, the last it announces). Pages
// are sorted by id, ascending: the default sort, fullName, is not unique,
// and offset paging over ties can skip or repeat contacts; new contacts get
// higher ids and land on the last page. A contact seen on the previous two
// pages is not yielded again (an offset shift between two requests is the
// only way one can come twice), which keeps memory bounded where a set of
// every id would grow with the account.
//
// The API has no date filter, so q.Since is applied here on updatedAt (or
// createdAt); a contact whose dates cannot be read is kept.
func (c *Connector) List(ctx context.Context, obj connector.Object, q connector.Query) iter.Seq2[mapping.Record, error] {
	return func(yield func(mapping.Record, error) bool) {
		if err := checkObject(obj); err != nil {
			yield(nil, err)
			return
		}
		if q.Async {
			c.exportList(ctx, q, yield)
			return
		}
		err := c.pageContacts(ctx, "list contacts", func(ct contact) bool {
			return !since(ct, q.Since) || yield(c.flatten(ct), nil)
		})
		if err != nil {
			yield(nil, err)
		}
	}
}

// pageContacts calls each with every contact, page by page in id order
// (see List), until each returns false. List and Index share it. A failed
// call is returned as its *connector.Error.
func (c *Connector) pageContacts(ctx context.Context, op string, each func(contact) bool) error {
	prevFirst := ""
	var seen connector.RecentIDs
	for page := 0; ; page++ {
		pop := fmt.Sprintf("%s (page %d)", op, page)
		query := url.Values{
			"page": {strconv.Itoa(page)}, "limit": {strconv.Itoa(maxPageSize)},
			"sortBy": {"id"}, "sortOrder": {"asc"},
		}
		resp, body, err := c.do(ctx, http.MethodGet, "/contacts", query, nil, pop)
		if err != nil {
			return err
		}
		list, err := decodeContacts(body)
		if err != nil {
			return &connector.Error{Op: pop, HTTPStatus: resp.StatusCode, Message: "unreadable response", Err: err}
		}
		if len(list) > 0 {
			// A server that ignored page would loop forever.
			head := list[0].id()
			if head != "" && head == prevFirst {
				return &connector.Error{Op: pop, HTTPStatus: resp.StatusCode, Message: "paging does not advance: page repeats the previous one"}
			}
			prevFirst = head
		}
		for _, ct := range list {
			if id := ct.id(); id != "" {
				if seen.Has(id) {
					continue
				}
				seen.Add(id)
			}
			if !each(ct) {
				return nil
			}
		}
		seen.Turn()
		if tp := totalPages(body); len(list) < maxPageSize || (tp >= 0 && page+1 >= tp) {
			return nil
		}
	}
}

// Columns returns the keys of the records List yields: id, the writable
// fields by their record keys (canonical names first, then Qlara's own,
// customField1…3 last), then date_created and date_updated. It makes no
// call: Qlara's contact fields are fixed.
func (c *Connector) Columns(_ context.Context, obj connector.Object) ([]string, error) {
	if err := checkObject(obj); err != nil {
		return nil, err
	}
	cols := []string{mapping.FieldID}
	for _, f := range fieldTable() {
		cols = append(cols, f.key)
	}
	return append(cols, mapping.FieldCreatedAt, mapping.FieldUpdatedAt), nil
}

// flatten turns a contact into a Record keyed like Write's input, so an
// export can be imported again: canonical names where they exist, Qlara's
// names for the rest. Multi-valued properties give their first item (tags
// all of them, comma-separated); every writable key is present, empty when
// the contact has no value, so exported files get the same columns.
func (c *Connector) flatten(ct contact) mapping.Record {
	rec := mapping.Record{
		mapping.FieldID:        ct.id(),
		mapping.FieldCreatedAt: ct.str("createdAt"),
		mapping.FieldUpdatedAt: ct.str("updatedAt"),
	}
	for k, f := range c.fields {
		if k != f.key {
			continue // an alias
		}
		switch f.kind {
		case kindText:
			rec[k] = ct.str(f.wire)
		case kindEmail:
			rec[k] = first(append([]string{ct.str("mainEmail")}, ct.strs("emailAddresses")...))
		case kindPhone:
			rec[k] = first(append(ct.strs("phoneNumbers"), ct.str("mobilePhoneNumber")))
		case kindTags:
			rec[k] = strings.Join(ct.strs("tags"), ", ")
		case kindAddress:
			rec[k] = first(ct.strs("addresses"))
		}
	}
	return rec
}

// first returns the first non-blank item.
func first(list []string) string {
	for _, s := range list {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}

// since reports whether ct was created or updated at or after t. Qlara's
// documented dates are days ("2022-03-10"): a day counts when t falls on it
// or before it.
func since(ct contact, t time.Time) bool {
	if t.IsZero() {
		return true
	}
	for _, name := range []string{"updatedAt", "createdAt"} {
		s := ct.str(name)
		if s == "" {
			continue
		}
		if d, err := time.Parse(time.DateOnly, s); err == nil {
			return t.Before(d.AddDate(0, 0, 1))
		}
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05"} {
			if d, err := time.Parse(layout, s); err == nil {
				return !d.Before(t)
			}
		}
	}
	return true
}
