package closecrm

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/mapping"
)

// addLeads stores n leads named Lead 000…, each with one contact.
func addLeads(f *fakeClose, n int) {
	for i := range n {
		f.addLead(map[string]any{
			"name": fmt.Sprintf("Lead %03d", i), "url": "https://l.example/", "status_label": "Qualified",
			"custom.lcf_src": "Fair", "custom.lcf_ind": []any{"IT", "Cars"},
			"addresses": []any{map[string]any{"address_1": "1 Main St", "city": "Springfield", "zipcode": "01101", "country": "US"}},
			"contacts": []any{map[string]any{"name": fmt.Sprintf("Person %03d", i), "title": "CEO", "custom.ccf_role": "Buyer",
				"emails": []any{map[string]any{"type": "office", "email": fmt.Sprintf("p%03d@l.example", i)}},
				"phones": []any{map[string]any{"type": "office", "phone": "+16503334444"}}}},
		})
	}
}

func collect(t *testing.T, c *Client, obj connector.Object, q connector.Query) []mapping.Record {
	t.Helper()
	var out []mapping.Record
	for rec, err := range c.List(context.Background(), obj, q) {
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		out = append(out, rec)
	}
	return out
}

func TestListLeadsOverPages(t *testing.T) {
	f := seeded(t)
	addLeads(f, 250)
	c := f.client(t, testKey)
	recs := collect(t, c, connector.Lead, connector.Query{})
	if len(recs) != 250 {
		t.Fatalf("%d records, want 250", len(recs))
	}
	for i, r := range recs {
		if want := fmt.Sprintf("Lead %03d", i); r["company"] != want {
			t.Fatalf("record %d company = %q, want %q (order)", i, r["company"], want)
		}
	}
	want := mapping.Record{
		"id": "lead_0003", "company": "Lead 001", "name": "Person 001", "email": "p001@l.example", "phone": "+16503334444",
		"title": "CEO", "url": "https://l.example/", "description": "", "status": "Qualified",
		"address": "1 Main St", "city": "Springfield", "state": "", "zip": "01101", "country": "US",
		"custom.Lead Source": "Fair", "custom.Seats": "", "custom.Industry": "IT, Cars",
		"date_created": "2024-01-01T00:00:03Z", "date_updated": "2024-01-01T00:00:03Z",
	}
	if got := recs[1]; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("record 1 =\n%v\nwant\n%v", got, want)
	}
	var skips []string
	for _, r := range f.requests() {
		if r.Path == "/lead/" {
			skips = append(skips, first(r.Query["_skip"])+"/"+first(r.Query["_limit"]))
			if q := first(r.Query["query"]); q != "sort:created" {
				t.Errorf("query = %q, want sort:created", q)
			}
		}
	}
	if got := strings.Join(skips, " "); got != "0/100 100/100 200/100" {
		t.Errorf("pages asked = %s", got)
	}
}

func TestListContacts(t *testing.T) {
	f := seeded(t)
	addLeads(f, 120)
	f.addLead(map[string]any{"name": "Empty"}) // a lead without contacts yields no contact
	c := f.client(t, testKey)
	recs := collect(t, c, connector.Contact, connector.Query{})
	if len(recs) != 120 {
		t.Fatalf("%d contacts, want 120", len(recs))
	}
	r := recs[119]
	if r["id"] != "cont_0240" || r["lead_id"] != "lead_0239" || r["company"] != "Lead 119" ||
		r["name"] != "Person 119" || r["custom.Role"] != "Buyer" || r["email"] != "p119@l.example" {
		t.Errorf("last contact = %v", r)
	}
	if _, ok := r["custom.Lead Source"]; ok {
		t.Errorf("a contact record carries lead custom fields: %v", r)
	}
}

func TestListSince(t *testing.T) {
	f := seeded(t)
	addLeads(f, 10) // lead i at second 2i+1, its contact at 2i+2
	since := time.Date(2024, 1, 1, 0, 0, 15, 500_000_000, time.UTC)
	c := f.client(t, testKey)
	recs := collect(t, c, connector.Lead, connector.Query{Since: since})
	// Since is taken to the second (:15): leads 7, 8 and 9 (:15, :17, :19).
	if len(recs) != 3 || recs[0]["company"] != "Lead 007" {
		t.Fatalf("got %d records (%v), want Lead 007…009", len(recs), recs)
	}
	var q string
	for _, r := range f.requests() {
		if r.Path == "/lead/" {
			q = first(r.Query["query"])
		}
	}
	if q != `updated >= "2024-01-01 00:00:15" sort:created` {
		t.Errorf("query = %q", q)
	}
	contacts := collect(t, c, connector.Contact, connector.Query{Since: since})
	if len(contacts) != 3 { // contacts at :16, :18, :20
		t.Errorf("got %d contacts, want 3", len(contacts))
	}
}

func TestListStopsAtError(t *testing.T) {
	f := seeded(t)
	addLeads(f, 150)
	c := f.client(t, testKey)
	n, errs := 0, 0
	for rec, err := range c.List(context.Background(), connector.Lead, connector.Query{}) {
		if err != nil {
			errs++
			if ce, ok := connector.AsError(err); !ok || ce.HTTPStatus != 503 || !ce.Retryable {
				t.Errorf("err = %v, want a retryable 503", err)
			}
			continue
		}
		if n++; n == 100 {
			f.push(canned{status: 503})
		}
		_ = rec
	}
	if n != 100 || errs != 1 {
		t.Errorf("got %d records and %d errors, want 100 then one error", n, errs)
	}
}
