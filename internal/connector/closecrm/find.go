package closecrm

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/mapping"
)

// leadFieldsParam is the _fields of every lead read: what the connector
// compares and lists, without the tasks and opportunities Close adds.
const leadFieldsParam = "id,name,display_name,url,description,status_id,status_label," +
	"addresses,contacts,custom,date_created,date_updated"

// maxFindPages bounds a match-key search: past a few pages of hits the
// answer is "ambiguous" whatever the exact count.
const maxFindPages = 5

// found is one record a match key found: a lead and, by index, the contact
// that holds the key (-1 when the lead has no contact to use).
type found struct {
	lead    leadData
	contact int
}

// contactData returns the matched contact, nil when there is none.
func (f found) contactData() *contactData {
	if f.contact < 0 || f.contact >= len(f.lead.Contacts) {
		return nil
	}
	return &f.lead.Contacts[f.contact]
}

// lookup is the outcome of a search by match key.
type lookup struct {
	hits []found
	more bool // the search had more pages than were read
}

// ambiguous reports whether the key matched more than one record.
func (lk lookup) ambiguous() bool {
	return len(lk.hits) > 1 || (len(lk.hits) == 1 && lk.more)
}

// find looks up rec by keys: for a lead, the leads with a contact holding
// every key value; for a contact, those contacts.
func (c *Client) find(ctx context.Context, t *tracker, op string, obj connector.Object, rec mapping.Record, keys []string) (lookup, error) {
	if len(keys) == 1 && keys[0] == mapping.FieldID {
		return c.findByID(ctx, t, op, obj, rec)
	}
	q := url.Values{
		"query":   {searchTerm(keys[0], rec.Get(keys[0]), c.region)},
		"_fields": {leadFieldsParam},
		"_limit":  {strconv.Itoa(pageSize)},
	}
	var out lookup
	for skip, n := 0, 0; ; n++ {
		if n == maxFindPages {
			out.more = true
			return out, nil
		}
		q.Set("_skip", strconv.Itoa(skip))
		var p page[leadData]
		if err := c.call(ctx, t, op, http.MethodGet, "/lead/", q, nil, &p); err != nil {
			return lookup{}, err
		}
		for _, l := range p.Data {
			for i := range l.Contacts {
				if !c.holds(l.Contacts[i], rec, keys) {
					continue
				}
				out.hits = append(out.hits, found{lead: l, contact: i})
				if obj == connector.Lead {
					break // one hit per lead
				}
			}
		}
		if !p.HasMore || len(p.Data) == 0 {
			return out, nil
		}
		skip += len(p.Data)
	}
}

// findByID reads the lead or contact whose id the record gives.
func (c *Client) findByID(ctx context.Context, t *tracker, op string, obj connector.Object, rec mapping.Record) (lookup, error) {
	id := strings.TrimSpace(rec.Get(mapping.FieldID))
	if obj == connector.Contact {
		var ct contactData
		err := c.call(ctx, t, op, http.MethodGet, "/contact/"+url.PathEscape(id)+"/", nil, nil, &ct)
		if notFound(err) {
			return lookup{}, nil
		}
		if err != nil {
			return lookup{}, err
		}
		return lookup{hits: []found{{lead: leadData{ID: ct.LeadID, Contacts: []contactData{ct}}, contact: 0}}}, nil
	}
	var l leadData
	q := url.Values{"_fields": {leadFieldsParam}}
	err := c.call(ctx, t, op, http.MethodGet, "/lead/"+url.PathEscape(id)+"/", q, nil, &l)
	if notFound(err) {
		return lookup{}, nil
	}
	if err != nil {
		return lookup{}, err
	}
	return lookup{hits: []found{{lead: l, contact: c.pickContact(l, rec)}}}, nil
}

// notFound reports a 404, which for a read by id means "no such record".
func notFound(err error) bool {
	ce, ok := connector.AsError(err)
	return ok && ce.HTTPStatus == http.StatusNotFound
}

// holds reports whether a contact has every key value of rec.
func (c *Client) holds(ct contactData, rec mapping.Record, keys []string) bool {
	for _, k := range keys {
		v := rec.Get(k)
		switch k {
		case mapping.FieldEmail:
			if !hasEmail(ct.Emails, v) {
				return false
			}
		case mapping.FieldPhone:
			if !hasPhone(ct.Phones, v, c.region) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// pickContact chooses the contact of a lead found by id that a record's
// contact fields apply to: the one with its email, else its phone, else the
// first; -1 when the lead has none.
func (c *Client) pickContact(l leadData, rec mapping.Record) int {
	for _, k := range []string{mapping.FieldEmail, mapping.FieldPhone} {
		if rec.Get(k) == "" {
			continue
		}
		for i, ct := range l.Contacts {
			if c.holds(ct, rec, []string{k}) {
				return i
			}
		}
	}
	if len(l.Contacts) > 0 {
		return 0
	}
	return -1
}

// findLeadsNamed returns the leads whose name is exactly name, ignoring case.
func (c *Client) findLeadsNamed(ctx context.Context, t *tracker, op, name string) ([]leadData, error) {
	q := url.Values{
		"query":   {"name:" + quote(name)},
		"_fields": {"id,name,display_name"},
		"_limit":  {strconv.Itoa(pageSize)},
	}
	var out []leadData
	for skip, n := 0, 0; n < maxFindPages; n++ {
		q.Set("_skip", strconv.Itoa(skip))
		var p page[leadData]
		if err := c.call(ctx, t, op, http.MethodGet, "/lead/", q, nil, &p); err != nil {
			return nil, err
		}
		for _, l := range p.Data {
			if sameFold(l.Name, name) {
				out = append(out, l)
			}
		}
		if !p.HasMore || len(p.Data) == 0 {
			break
		}
		skip += len(p.Data)
	}
	return out, nil
}

// searchTerm is the lead search for one key value: email_address:"…" or
// phone:"…" (the phone in E.164, the form Close stores).
func searchTerm(key, value, region string) string {
	value = strings.TrimSpace(value)
	if key == mapping.FieldPhone {
		if k := phoneKey(value, region); k != "" {
			value = k
		}
		return "phone:" + quote(value)
	}
	return "email_address:" + quote(value)
}

// quote makes a search-query string literal.
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(strings.TrimSpace(s)) + `"`
}

// describeKey names a match key and the record's values for messages:
// `email "a@b.c"` or `email "a@b.c" and phone "+1…"`.
func describeKey(rec mapping.Record, keys []string) string {
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %q", k, rec.Get(k)))
	}
	return strings.Join(parts, " and ")
}
