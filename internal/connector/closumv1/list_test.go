package closumv1

import (
	"context"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/mapping"
)

// collect lists obj and returns the records, failing on any error.
func collect(t *testing.T, c *Client, obj connector.Object, q connector.Query) []mapping.Record {
	t.Helper()
	var out []mapping.Record
	for rec, err := range c.List(context.Background(), obj, q) {
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		out = append(out, rec)
	}
	return out
}

func TestListPages(t *testing.T) {
	f := newFake(t)
	for range 250 {
		f.add("lead", &fakeRec{Name: "Sylvia L. Hook", CityID: 213, Email: &fakeEmail{Email: "s@closum.com"},
			Phone: &fakePhone{Extension: "001", Number: "517-388-1452"}, CustomData: `{"a":"b"}`})
	}
	f.cities = []map[string]any{{"id": 213, "city_name": "Abrantes"}}
	c := f.client(t, nil)
	recs := collect(t, c, connector.Lead, connector.Query{})
	if len(recs) != 250 {
		t.Fatalf("records = %d, want 250", len(recs))
	}
	var pages []string
	for _, r := range f.requests() {
		if r.Path == "/api/lead" {
			pages = append(pages, r.Query["page"][0]+"/"+r.Query["limit"][0]+"/"+r.Query["sort"][0]+"/"+r.Query["direction"][0])
		}
	}
	if want := []string{"1/100/id/asc", "2/100/id/asc", "3/100/id/asc"}; !reflect.DeepEqual(pages, want) {
		t.Errorf("pages asked = %v, want %v", pages, want)
	}
	want := mapping.Record{
		"id": "1", "name": "Sylvia L. Hook", "first_name": "Sylvia L.", "last_name": "Hook",
		"email": "s@closum.com", "phone": "+15173881452", "consent_email": "", "consent_sms": "",
		"date_created": "2024-01-01T00:00:01Z", "city_id": "213", "city": "Abrantes", "custom_data": `{"a":"b"}`,
	}
	if !reflect.DeepEqual(recs[0], want) {
		t.Errorf("record = %v\nwant     %v", recs[0], want)
	}
	if recs[249]["id"] != "250" {
		t.Errorf("last id = %s", recs[249]["id"])
	}
}

// A server that grants fewer rows than asked is still read to the end.
func TestListFollowsGrantedPageSize(t *testing.T) {
	f := newFake(t)
	f.maxLimit = 25
	for range 60 {
		f.add("unqualified-lead", &fakeRec{Name: "C", ContactType: 1, Phone: &fakePhone{Number: "916912468"}})
	}
	c := f.client(t, nil)
	recs := collect(t, c, connector.Contact, connector.Query{})
	if len(recs) != 60 {
		t.Fatalf("records = %d, want 60", len(recs))
	}
	if recs[0]["phone"] != "916912468" || recs[0]["contact_type_id"] != "1" {
		t.Errorf("record = %v", recs[0])
	}
	if _, ok := recs[0]["city"]; ok {
		t.Error("contacts have no city column")
	}
	if n := f.count(http.MethodGet, "/api/unqualified-lead"); n != 3 {
		t.Errorf("pages = %d, want 3", n)
	}
	if n := f.count(http.MethodGet, "/api/city"); n != 0 {
		t.Errorf("contacts list read the cities")
	}
}

func TestListSinceAndStop(t *testing.T) {
	f := newFake(t)
	for range 10 {
		f.add("lead", &fakeRec{Name: "L", Email: &fakeEmail{Email: "l@x.com"}})
	}
	c := f.client(t, map[string]string{"page_size": "3"})
	since := time.Date(2024, 1, 1, 0, 0, 7, 500_000_000, time.UTC) // within lead 7's second
	recs := collect(t, c, connector.Lead, connector.Query{Since: since})
	if len(recs) != 4 || recs[0]["id"] != "7" {
		t.Errorf("since: %d records from %v, want ids 7–10", len(recs), recs)
	}
	before := f.count(http.MethodGet, "/api/lead")
	for range c.List(context.Background(), connector.Lead, connector.Query{}) {
		break
	}
	if n := f.count(http.MethodGet, "/api/lead") - before; n != 1 {
		t.Errorf("a stopped list read %d pages, want 1", n)
	}
}

func TestListErrors(t *testing.T) {
	f := newFake(t)
	f.add("lead", &fakeRec{Name: "L"})
	c := f.client(t, nil)
	f.queue(canned{method: http.MethodGet, prefix: "/api/lead", status: 500})
	var errs int
	for _, err := range c.List(context.Background(), connector.Lead, connector.Query{}) {
		if ce, ok := connector.AsError(err); !ok || !ce.Retryable || ce.MaybeApplied {
			t.Errorf("err = %#v", err)
		}
		errs++
	}
	if errs != 1 {
		t.Errorf("errors yielded = %d, want 1", errs)
	}
	for _, err := range c.List(context.Background(), "deal", connector.Query{}) {
		if err == nil {
			t.Error("unknown object listed")
		}
	}
}
