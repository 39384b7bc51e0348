package closum

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/mapping"
)

func collect(t *testing.T, c *Client, obj connector.Object, q connector.Query) ([]mapping.Record, error) {
	t.Helper()
	var out []mapping.Record
	for rec, err := range c.List(context.Background(), obj, q) {
		if err != nil {
			return out, err
		}
		out = append(out, rec)
	}
	return out, nil
}

func TestListLeadsPages(t *testing.T) {
	f, c := newFake(t)
	c.pageSize = 3
	for i := range 7 {
		f.leads = append(f.leads, &fakeRec{ID: fmt.Sprint(i + 1), Name: fmt.Sprintf("Lead Number %d", i+1),
			Email: fmt.Sprintf("l%d@x.com", i+1), Created: "2025-10-24T15:45:15+01:00"})
	}
	f.leads[0].Mobile = "910000000"
	f.leads[0].Tags = []string{"vip", "b2b"}
	f.leads[0].Stage = 4
	f.leads[0].Custom = map[string]string{"empresa": "Closum"}

	recs, err := collect(t, c, connector.Lead, connector.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 7 {
		t.Fatalf("got %d records, want 7", len(recs))
	}
	for i, r := range recs {
		if r["id"] != fmt.Sprint(i+1) || r["email"] != fmt.Sprintf("l%d@x.com", i+1) {
			t.Errorf("record %d = %v, want id %d in order", i, r, i+1)
		}
	}
	want := mapping.Record{"id": "1", "name": "Lead Number 1", "first_name": "Lead Number", "last_name": "1",
		"email": "l1@x.com", "phone": "910000000", "tags": "vip, b2b", "birth_date": "", "consent_email": "false",
		"consent_sms": "false", "date_created": "2025-10-24T15:45:15+01:00", "date_updated": "",
		"contact_lifecycle_stage_id": "4", "user_id": "1", "custom_data": "",
		"custom.Empresa": "Closum", "custom.Tipo de Serviço": ""}
	if fmt.Sprint(recs[0]) != fmt.Sprint(want) {
		t.Errorf("record 1 =\n%v\nwant\n%v", recs[0], want)
	}
	var pages []string
	for _, r := range f.requests() {
		if r.Path == "/v2/lead/" {
			pages = append(pages, r.Query.Get("page")+"/"+r.Query.Get("limit"))
		}
	}
	if fmt.Sprint(pages) != "[1/3 2/3 3/3]" {
		t.Errorf("pages asked = %v, want [1/3 2/3 3/3]", pages)
	}
}

func TestListContacts(t *testing.T) {
	f, c := newFake(t)
	for i := range 250 {
		f.contacts = append(f.contacts, &fakeRec{ID: fmt.Sprintf("c%03d", i), Name: "Solo", Email: fmt.Sprintf("c%d@x.com", i),
			ConsentEmail: true, BirthDate: "1990-05-15"})
	}
	recs, err := collect(t, c, connector.Contact, connector.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 250 || recs[249]["id"] != "c249" {
		t.Fatalf("got %d records, want 250 in order", len(recs))
	}
	r := recs[0]
	if r["first_name"] != "Solo" || r["last_name"] != "" || r["consent_email"] != "true" || r["birth_date"] != "1990-05-15" ||
		r["date_created"] != "2025-12-09T16:30:10+00:00" {
		t.Errorf("record = %v", r)
	}
	if _, ok := r["contact_lifecycle_stage_id"]; ok {
		t.Errorf("contact record has a lead-only field: %v", r)
	}
	if got := f.requests()[1].Query.Get("limit"); got != "100" {
		t.Errorf("limit = %s, want the default page size 100", got)
	}
}

func TestListSince(t *testing.T) {
	f, c := newFake(t)
	f.leads = []*fakeRec{{ID: "1", Created: "2025-01-01T00:00:00+00:00"}, {ID: "2", Created: "2025-06-01T00:00:00+00:00"}, {ID: "3", Created: "garbled"}}
	recs, err := collect(t, c, connector.Lead, connector.Query{Since: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range recs {
		ids = append(ids, r["id"])
	}
	if fmt.Sprint(ids) != "[2 3]" {
		t.Errorf("ids = %v, want [2 3] (newer, and unreadable kept)", ids)
	}
}

func TestListStopsAtError(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		switch {
		case strings.HasSuffix(r.URL.Path, "/field/"):
			_, _ = w.Write([]byte(`{"status":true,"responseData":{"fields":[]}}`))
		case r.URL.Query().Get("page") == "1":
			_, _ = w.Write([]byte(`{"status":true,"responseData":{"contacts":[{"id":"a"}],"paginator":{"nextPage":true,"pageCount":5}}}`))
		default:
			_, _ = w.Write([]byte(`{"status":false,"code":200,"errors":["Invalid API Key"]}`))
		}
	}))
	defer srv.Close()
	c := newClient(t, srv.URL+"/v2", nil)
	recs, err := collect(t, c, connector.Contact, connector.Query{})
	ce, ok := connector.AsError(err)
	if len(recs) != 1 || !ok || !ce.Auth {
		t.Errorf("got %d records, err %v; want 1 record then an auth error", len(recs), err)
	}
	if calls != 3 {
		t.Errorf("calls = %d, want 3 (fields, page 1, page 2)", calls)
	}
}

func TestMore(t *testing.T) {
	tests := []struct {
		name            string
		pg              *paginator
		page, rows, lim int
		want            bool
	}{
		{"next page", &paginator{Page: 1, NextPage: true, PageCount: 3, Current: 10}, 1, 10, 10, true},
		{"current is a row count", &paginator{Page: 3, NextPage: true, PageCount: 4, Current: 2}, 3, 2, 10, true},
		{"last by nextPage", &paginator{Page: 3, NextPage: false, PageCount: 3, Current: 10}, 3, 10, 10, false},
		{"last by pageCount", &paginator{Page: 2, NextPage: true, PageCount: 2, Current: 10}, 2, 10, 10, false},
		{"clamped page", &paginator{Page: 2, NextPage: true}, 3, 10, 10, false},
		{"empty page", &paginator{NextPage: true}, 1, 0, 10, false},
		{"no paginator, full page", nil, 1, 10, 10, true},
		{"no paginator, short page", nil, 1, 9, 10, false},
	}
	for _, tt := range tests {
		if got := more(tt.pg, tt.page, tt.rows, tt.lim); got != tt.want {
			t.Errorf("%s: more = %v, want %v", tt.name, got, tt.want)
		}
	}
}
