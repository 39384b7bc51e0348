package closum

import (
	"cmp"
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

// List yields every lead (GET lead/) or contact (GET contact/list), page by
// page with limit and page, following the paginator's nextPage and
// pageCount. Every record has exactly the keys of Columns (empty when
// Closum has no value), custom fields included under custom.<label>, so an
// export has stable columns; a value of a field the field list does not
// know (deleted meanwhile) is left out. It needs no Prepare: it loads the
// custom fields itself when they are not loaded yet.
//
// Order: the collection documents no sort parameter; its paginator shows
// creation_date DESC, which the pages follow. New records then land on the
// first page and push older ones one place later: a record seen on the
// previous two pages is not yielded again, which covers up to a page of
// records created during the listing with bounded memory (a set of every
// id would grow with the account). Records deleted during the listing can
// make others move to pages already read; nothing on the client can see
// that.
//
// Closum documents no date filter, so q.Since is applied here: a record is
// kept when its update date (if Closum gives one) or else its creation
// date is after Since, or when neither can be read. Closum v2 has no
// asynchronous export: q.Async pages anyway.
func (c *Client) List(ctx context.Context, obj connector.Object, q connector.Query) iter.Seq2[mapping.Record, error] {
	return func(yield func(mapping.Record, error) bool) {
		var path string
		switch obj {
		case connector.Lead:
			path = "lead/"
		case connector.Contact:
			path = "contact/list"
		default:
			yield(nil, fmt.Errorf("closum: unknown object %q (want lead or contact)", obj))
			return
		}
		op := "list " + string(obj) + "s"
		fs, err := c.listFields(ctx)
		if err != nil {
			yield(nil, fmt.Errorf("%s: %w", op, err))
			return
		}
		var seen connector.RecentIDs
		for page := 1; ; page++ {
			rows, pg, err := c.listPage(ctx, obj, path, op, page)
			if err != nil {
				yield(nil, err)
				return
			}
			for _, p := range rows {
				if id := string(p.ID); id != "" {
					if seen.Has(id) {
						continue
					}
					seen.Add(id)
				}
				rec := flatten(obj, p, fs)
				if !q.Since.IsZero() && !changedAfter(rec, q.Since) {
					continue
				}
				if !yield(rec, nil) {
					return
				}
			}
			seen.Turn()
			if !more(pg, page, len(rows), c.pageSize) {
				return
			}
		}
	}
}

// Columns returns the keys of the records List yields for obj: id, the
// standard fields, the lead-only ones (stage, user, custom_data) for leads,
// custom.<label> for every custom field sorted by label, then date_created
// and date_updated. It calls GET field/ once when the custom fields are not
// loaded yet (by Prepare or List); List uses the same list.
func (c *Client) Columns(ctx context.Context, obj connector.Object) ([]string, error) {
	if obj != connector.Lead && obj != connector.Contact {
		return nil, fmt.Errorf("closum: unknown object %q (want lead or contact)", obj)
	}
	fs, err := c.listFields(ctx)
	if err != nil {
		return nil, err
	}
	cols := []string{mapping.FieldID, mapping.FieldName, mapping.FieldFirstName, mapping.FieldLastName,
		mapping.FieldEmail, mapping.FieldPhone, mapping.FieldTags, mapping.FieldBirthDate,
		fieldConsentEmail, fieldConsentSMS}
	if obj == connector.Lead {
		cols = append(cols, fieldStage, fieldUser, fieldCustomData)
	}
	var custom []string
	for _, f := range fs {
		if k := mapping.CustomPrefix + f.Label; !slices.Contains(custom, k) {
			custom = append(custom, k)
		}
	}
	slices.SortFunc(custom, func(a, b string) int {
		return cmp.Or(strings.Compare(strings.ToLower(a), strings.ToLower(b)), strings.Compare(a, b))
	})
	cols = append(cols, custom...)
	return append(cols, mapping.FieldCreatedAt, mapping.FieldUpdatedAt), nil
}

// listFields returns the custom fields, loading them when not loaded yet.
func (c *Client) listFields(ctx context.Context) ([]field, error) {
	if fs, ok := c.customFields(); ok {
		return fs, nil
	}
	return c.loadFields(ctx)
}

// listPage fetches one page of obj.
func (c *Client) listPage(ctx context.Context, obj connector.Object, path, op string, page int) ([]person, *paginator, error) {
	q := url.Values{"limit": {strconv.Itoa(c.pageSize)}, "page": {strconv.Itoa(page)}}
	resp, env, err := c.call(ctx, http.MethodGet, path, q, nil, fmt.Sprintf("%s page %d", op, page))
	if err != nil {
		return nil, nil, err
	}
	var data struct {
		Leads     []person   `json:"leads"`
		Contacts  []person   `json:"contacts"`
		Paginator *paginator `json:"paginator"`
	}
	if err := decodeData(env, &data); err != nil {
		return nil, nil, &connector.Error{Op: op, HTTPStatus: resp.StatusCode, Message: c.red.String(err.Error())}
	}
	if obj == connector.Lead {
		return data.Leads, data.Paginator, nil
	}
	return data.Contacts, data.Paginator, nil
}

// more reports whether a page follows page. The paginator decides when
// there is one; without it, a full page means there may be more.
func more(pg *paginator, page, rows, limit int) bool {
	switch {
	case rows == 0:
		return false
	case pg == nil:
		return rows >= limit
	case pg.Page > 0 && int(pg.Page) < page:
		return false // the server clamped an out-of-range page
	case pg.PageCount > 0 && page >= int(pg.PageCount):
		return false
	}
	return pg.NextPage
}

// flatten turns a listed lead or contact into a Record.
func flatten(obj connector.Object, p person, fs []field) mapping.Record {
	first, last := splitName(p.Name)
	phone := string(p.Phone)
	if phone == "" {
		phone = string(p.MobileNumber)
	}
	birth := string(p.BirthDate)
	if d, err := ymd(birth); err == nil {
		birth = d
	}
	consentEmail, consentSMS := p.ConsentEmail, p.ConsentSMS
	if p.LeadOptIn != nil {
		consentEmail, consentSMS = p.LeadOptIn.Email, p.LeadOptIn.SMS
	}
	var tags []string
	for _, t := range p.ContactTag {
		if t.Tag.Tag != "" {
			tags = append(tags, t.Tag.Tag)
		}
	}
	updated := p.DateUpdated
	for _, s := range []string{p.Modified, p.ModificationDate} {
		if updated == "" {
			updated = s
		}
	}
	rec := mapping.Record{
		mapping.FieldID:        string(p.ID),
		mapping.FieldName:      p.Name,
		mapping.FieldFirstName: first,
		mapping.FieldLastName:  last,
		mapping.FieldEmail:     string(p.Email),
		mapping.FieldPhone:     phone,
		mapping.FieldTags:      strings.Join(tags, ", "),
		mapping.FieldBirthDate: birth,
		fieldConsentEmail:      boolText(consentEmail),
		fieldConsentSMS:        boolText(consentSMS),
		mapping.FieldCreatedAt: p.CreationDate,
		mapping.FieldUpdatedAt: updated,
	}
	if obj == connector.Lead {
		rec[fieldStage] = string(p.StageID)
		rec[fieldUser] = string(p.UserID)
		rec[fieldCustomData] = customData(p.CustomData)
	}
	for _, f := range fs {
		rec[mapping.CustomPrefix+f.Label] = ""
	}
	for _, v := range p.CustomFields {
		for _, f := range fs {
			if f.Var == v.Var || (v.FieldID != "" && f.ID == v.FieldID) {
				rec[mapping.CustomPrefix+f.Label] = string(v.Value)
				break
			}
		}
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

func boolText(b *bool) string {
	if b == nil {
		return ""
	}
	return strconv.FormatBool(*b)
}

// customData returns a lead's custom_data as text: Closum sends a JSON
// string ("[]"), shown as its content; an empty list or object is "".
func customData(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		s = string(raw)
	}
	switch strings.TrimSpace(s) {
	case "", "null", "[]", "{}":
		return ""
	}
	return s
}

// changedAfter reports whether rec was updated (or, lacking that date,
// created) at or after since; an unreadable date keeps the record. Closum's
// dates are whole seconds, so since counts from the start of its second:
// a record of that second is kept rather than lost.
func changedAfter(rec mapping.Record, since time.Time) bool {
	d := rec[mapping.FieldUpdatedAt]
	if d == "" {
		d = rec[mapping.FieldCreatedAt]
	}
	t, err := time.Parse(time.RFC3339, d)
	return err != nil || !t.Before(since.Truncate(time.Second))
}
