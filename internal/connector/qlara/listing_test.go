package qlara

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/mapping"
)

func TestListPagesThroughEveryContact(t *testing.T) {
	for _, total := range []int{0, 1, 999, 1000, 2500} {
		t.Run(strconv.Itoa(total), func(t *testing.T) {
			f := newFake(t)
			var want []string
			for i := range total {
				want = append(want, f.seed(map[string]any{"fullName": fmt.Sprint("P", i), "mainEmail": fmt.Sprintf("p%d@example.com", i)}))
			}
			var got []string
			for rec, err := range f.connector(t, nil).List(context.Background(), connector.Contact, connector.Query{}) {
				if err != nil {
					t.Fatalf("List: %v", err)
				}
				got = append(got, rec.Get(mapping.FieldID))
			}
			if !slices.Equal(got, want) {
				t.Fatalf("listed %d contacts, want %d (first %v)", len(got), len(want), got[:min(3, len(got))])
			}
			calls := f.calls("GET /contacts")
			if wantCalls := total/1000 + 1; len(calls) != wantCalls {
				t.Fatalf("%d page calls, want %d", len(calls), wantCalls)
			}
			for i, r := range calls {
				if r.Query.Get("page") != strconv.Itoa(i) || r.Query.Get("limit") != "1000" {
					t.Fatalf("call %d query %v, want page=%d limit=1000", i, r.Query, i)
				}
			}
		})
	}
}

func TestListFlattensContacts(t *testing.T) {
	f := newFake(t)
	id := f.seed(map[string]any{
		"fullName": "Mario Rossi", "firstName": "Mario", "lastName": "Rossi",
		"emailAddresses": []any{"mario@example.com", "m@work.com"}, "mainEmail": "",
		"phoneNumbers": []any{"+39333123456"}, "tags": []any{"vip", "newsletter"},
		"customField1": "c1", "customField3": "c3", "jobTitle": "CTO", "organization": "Acme",
		"addresses": []any{"Via Roma 1, Milano"}, "birthday": "1990-01-02", "stage": "qualified",
		"createdAt": "2022-03-10", "updatedAt": "2022-03-11", "fkIdCompany": 5362, "isTest": false,
	})
	var recs []mapping.Record
	for rec, err := range f.connector(t, nil).List(context.Background(), connector.Lead, connector.Query{}) {
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec)
	}
	if len(recs) != 1 {
		t.Fatalf("%d records, want 1", len(recs))
	}
	want := mapping.Record{
		"id": id, "name": "Mario Rossi", "first_name": "Mario", "last_name": "Rossi",
		"email": "mario@example.com", "phone": "+39333123456", "tags": "vip, newsletter",
		"customField1": "c1", "customField2": "", "customField3": "c3", "title": "CTO", "company": "Acme",
		"address": "Via Roma 1, Milano", "birth_date": "1990-01-02", "status": "qualified",
		"date_created": "2022-03-10", "date_updated": "2022-03-11",
	}
	for k, v := range want {
		if got, ok := recs[0][k]; !ok || got != v {
			t.Errorf("record[%s] = %q (present %v), want %q", k, got, ok, v)
		}
	}
	// Every key List gives must be writable (or the id and dates): an
	// export can be imported again.
	c := f.connector(t, nil)
	var fields []string
	for k := range recs[0] {
		if k != "date_created" && k != "date_updated" {
			fields = append(fields, k)
		}
	}
	if err := c.CheckWrite(connector.Contact, connector.Upsert, []string{"email"}, fields); err != nil {
		t.Fatalf("listed keys are not writable: %v", err)
	}
}

func TestListSince(t *testing.T) {
	f := newFake(t)
	f.seed(map[string]any{"createdAt": "2024-01-01", "updatedAt": "2024-01-05"})
	sameDay := f.seed(map[string]any{"createdAt": "2024-02-01"})
	stamped := f.seed(map[string]any{"updatedAt": "2024-02-01T10:00:00Z"})
	f.seed(map[string]any{"updatedAt": "2024-02-01T08:00:00Z"})
	undated := f.seed(map[string]any{"fullName": "no dates"})
	var got []string
	q := connector.Query{Since: time.Date(2024, 2, 1, 9, 0, 0, 0, time.UTC)}
	for rec, err := range f.connector(t, nil).List(context.Background(), connector.Contact, q) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, rec.Get("id"))
	}
	if want := []string{sameDay, stamped, undated}; !slices.Equal(got, want) {
		t.Fatalf("since %v listed %v, want %v", q.Since, got, want)
	}
}

func TestListStopsOnErrorAndOnRepeatedPage(t *testing.T) {
	f := newFake(t)
	for range 1000 {
		f.seed(map[string]any{"fullName": "x"})
	}
	// A server that ignores page: every answer is the first page.
	f.setIntercept(func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
		q := r.URL.Query()
		if q.Get("page") == "0" {
			return false
		}
		q.Set("page", "0")
		r.URL.RawQuery = q.Encode()
		return false
	})
	n, errs := 0, 0
	for _, err := range f.connector(t, nil).List(context.Background(), connector.Contact, connector.Query{}) {
		if err != nil {
			errs++
			continue
		}
		n++
	}
	if n != 1000 || errs != 1 {
		t.Fatalf("got %d records and %d errors, want 1000 and 1 (paging does not advance)", n, errs)
	}

	f.setIntercept(func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
		w.Header().Set("Retry-After", "2")
		w.WriteHeader(http.StatusTooManyRequests)
		return true
	})
	yields := 0
	for _, err := range f.connector(t, nil).List(context.Background(), connector.Contact, connector.Query{}) {
		yields++
		ce, ok := connector.AsError(err)
		if !ok || !ce.Retryable || ce.RetryAfter != 2*time.Second {
			t.Fatalf("List error = %v, want retryable 429 with a 2s wait", err)
		}
	}
	if yields != 1 {
		t.Fatalf("List yielded %d times on a 429, want the error once", yields)
	}
}
