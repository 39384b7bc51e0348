package closumv1

import (
	"bytes"
	"context"
	"encoding/json"
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

// errStop ends listPages early without an error.
type errStop struct{}

func (errStop) Error() string { return "stop listing" }

// listPages calls fn with every page of the list endpoint at path, sorted
// by id in direction ("asc" or "desc"), following the pagination block's
// has_next_page. fn may return errStop{} to end early. Page numbers stay
// right whatever page size the server grants, since it computes offsets
// from its own.
func listPages[T any](ctx context.Context, c *Client, op, path, direction string, fn func([]T) error) error {
	for page := 1; ; page++ {
		q := url.Values{
			"limit":     {strconv.Itoa(c.pageSize)},
			"page":      {strconv.Itoa(page)},
			"sort":      {"id"},
			"direction": {direction},
		}
		pop := fmt.Sprintf("%s page %d", op, page)
		env, err := c.call(ctx, nil, pop, http.MethodGet, path, q, nil)
		if ce, ok := connector.AsError(err); ok && page > 1 && ce.HTTPStatus == http.StatusNotFound {
			return nil // CakePHP answers a page past the last (rows deleted meanwhile) 404
		}
		if err != nil {
			return err
		}
		var rows []T
		if d := bytes.TrimSpace(env.Data); len(d) > 0 && string(d) != "null" {
			if err := json.Unmarshal(d, &rows); err != nil {
				return &connector.Error{Op: pop, HTTPStatus: http.StatusOK,
					Message: "unexpected list answer: " + c.redactor().String(err.Error())}
			}
		}
		if err := fn(rows); err != nil {
			if _, ok := err.(errStop); ok {
				return nil
			}
			return err
		}
		if !more(env.Pagination, page, len(rows), c.pageSize) {
			return nil
		}
	}
}

// more reports whether a page follows page. The pagination block decides
// when there is one; without it, a full page means there may be more.
func more(pg *pagination, page, rows, limit int) bool {
	switch {
	case rows == 0:
		return false
	case pg == nil:
		return rows >= limit
	case pg.CurrentPage > 0 && int(pg.CurrentPage) < page:
		return false // the server clamped an out-of-range page
	case pg.PageCount > 0 && page >= int(pg.PageCount):
		return false
	}
	return pg.HasNextPage
}

// List yields every lead (GET /lead) or unqualified lead (GET
// /unqualified-lead), page by page in id order (sort=id, direction=asc, the
// documented parameters): ids grow with creation, so this is the creation
// order, ties impossible, and records created meanwhile land on the last
// page. A record seen on the previous two pages is not yielded again (an
// offset shift between two requests is the only way one can come twice),
// which keeps memory bounded where a set of every id would grow with the
// account. Every record has exactly the keys of Columns (empty when Closum
// has no value) so an export has stable columns. It needs no Prepare: the
// token and, for leads, the city names are loaded on first use.
//
// Closum v1 documents no date filter and no update date, so q.Since keeps
// the records created after it (or whose creation date cannot be read). It
// has no asynchronous export: q.Async pages anyway.
func (c *Client) List(ctx context.Context, obj connector.Object, q connector.Query) iter.Seq2[mapping.Record, error] {
	return func(yield func(mapping.Record, error) bool) {
		path, ok := resource(obj)
		if !ok {
			yield(nil, fmt.Errorf("closum-v1: unknown object %q (want lead or contact)", obj))
			return
		}
		if obj == connector.Lead {
			if _, err := c.cityTable(ctx); err != nil {
				yield(nil, fmt.Errorf("list leads: %w", err))
				return
			}
		}
		stopped := false
		var seen connector.RecentIDs
		err := listPages(ctx, c, "list "+noun(obj)+"s", path, "asc", func(rows []person) error {
			defer seen.Turn()
			for _, p := range rows {
				rec := c.flatten(obj, p)
				if id := rec[mapping.FieldID]; id != "" {
					if seen.Has(id) {
						continue
					}
					seen.Add(id)
				}
				if !q.Since.IsZero() && !createdAfter(rec, q.Since) {
					continue
				}
				if !yield(rec, nil) {
					stopped = true
					return errStop{}
				}
			}
			return nil
		})
		if err != nil && !stopped {
			yield(nil, err)
		}
	}
}

// Columns returns the keys of the records List yields for obj: id, the
// standard fields, city_id, city and custom_data for leads or
// contact_type_id for unqualified leads, then date_created (Closum v1 keeps
// no update date, and its custom fields live inside custom_data). It makes
// no call.
func (c *Client) Columns(_ context.Context, obj connector.Object) ([]string, error) {
	if _, ok := resource(obj); !ok {
		return nil, fmt.Errorf("closum-v1: unknown object %q (want lead or contact)", obj)
	}
	cols := []string{mapping.FieldID, mapping.FieldName, mapping.FieldFirstName, mapping.FieldLastName,
		mapping.FieldEmail, mapping.FieldPhone, fieldConsentEmail, fieldConsentSMS}
	if obj == connector.Lead {
		cols = append(cols, fieldCityID, mapping.FieldCity, fieldCustomData)
	} else {
		cols = append(cols, fieldContactType)
	}
	return append(cols, mapping.FieldCreatedAt), nil
}

// flatten turns a listed lead or unqualified lead into a Record.
func (c *Client) flatten(obj connector.Object, p person) mapping.Record {
	first, last := splitName(p.Name)
	e := entryOf(p)
	phone := c.phoneKey(e.phone, e.phoneExt)
	if !strings.HasPrefix(phone, "+") {
		phone = e.phone
	}
	var consentEmail, consentSMS string
	if o := p.optIn(); o != nil {
		consentEmail, consentSMS = boolText(o.Email), boolText(o.SMS)
	}
	rec := mapping.Record{
		mapping.FieldID:        e.id,
		mapping.FieldName:      p.Name,
		mapping.FieldFirstName: first,
		mapping.FieldLastName:  last,
		mapping.FieldEmail:     e.email,
		mapping.FieldPhone:     phone,
		fieldConsentEmail:      consentEmail,
		fieldConsentSMS:        consentSMS,
		mapping.FieldCreatedAt: p.CreationDate,
	}
	if obj == connector.Lead {
		rec[fieldCityID] = e.cityID
		rec[mapping.FieldCity] = c.cityName(e.cityID)
		rec[fieldCustomData] = e.customData
	} else {
		rec[fieldContactType] = e.contactType
	}
	return rec
}

// splitName splits a full name on its last space: "Ana Maria Silva" is
// first "Ana Maria", last "Silva"; a single word is a first name.
func splitName(name string) (string, string) {
	name = strings.TrimSpace(name)
	if i := strings.LastIndex(name, " "); i > 0 {
		return strings.TrimSpace(name[:i]), name[i+1:]
	}
	return name, ""
}

func boolText(b flexBool) string {
	if !b.Set {
		return ""
	}
	return strconv.FormatBool(b.Value)
}

// customText returns custom_data as text: the API documents it as a JSON
// formatted string, so a JSON string is unquoted; null, "", [] and {} are "".
func customText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		s = string(bytes.TrimSpace(raw))
	}
	switch strings.TrimSpace(s) {
	case "", "null", "[]", "{}":
		return ""
	}
	return s
}

// createdAfter reports whether rec was created at or after since; an
// unreadable date keeps the record. Closum's dates are whole seconds, so
// since counts from the start of its second: a record of that second is
// kept rather than lost.
func createdAfter(rec mapping.Record, since time.Time) bool {
	t, err := time.Parse(time.RFC3339, rec[mapping.FieldCreatedAt])
	return err != nil || !t.Before(since.Truncate(time.Second))
}
