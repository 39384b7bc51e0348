package closecrm

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/mapping"
)

// List yields every lead, or every contact, page by page through the lead
// search (see the package comment for the order and the Since filter).
// Records carry id, company, name, email, phone, title and their custom
// fields by human name (every defined one, blank when unset, so columns stay
// the same); leads add url, description, status and the address fields,
// contacts add lead_id.
func (c *Client) List(ctx context.Context, obj connector.Object, q connector.Query) iter.Seq2[mapping.Record, error] {
	return func(yield func(mapping.Record, error) bool) {
		if obj != connector.Lead && obj != connector.Contact {
			yield(nil, fmt.Errorf("close: unknown object %q (use lead or contact)", obj))
			return
		}
		defs, err := c.customFields(ctx, obj)
		if err != nil {
			yield(nil, err)
			return
		}
		var since time.Time
		query := "sort:created"
		if !q.Since.IsZero() {
			// The search compares to the second: ask from the second before,
			// inclusive, and let the per-record check drop what is older.
			since = q.Since.UTC().Truncate(time.Second)
			if obj == connector.Lead {
				query = "updated >= " + quote(since.Format(time.DateTime)) + " " + query
			}
		}
		params := url.Values{
			"query":   {query},
			"_fields": {leadFieldsParam},
			"_limit":  {strconv.Itoa(pageSize)},
		}
		for skip := 0; ; {
			params.Set("_skip", strconv.Itoa(skip))
			var p page[leadData]
			if err := c.call(ctx, nil, "list "+string(obj)+"s", http.MethodGet, "/lead/", params, nil, &p); err != nil {
				yield(nil, err)
				return
			}
			for _, l := range p.Data {
				if obj == connector.Lead {
					if newer(l.DateUpdated, since) && !yield(leadRecord(l, defs), nil) {
						return
					}
					continue
				}
				for _, ct := range l.Contacts {
					if newer(ct.DateUpdated, since) && !yield(contactRecord(l, ct, defs), nil) {
						return
					}
				}
			}
			if !p.HasMore || len(p.Data) == 0 {
				return
			}
			skip += len(p.Data)
		}
	}
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
