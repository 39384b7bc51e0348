package closumv1

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/mapping"
)

// upsertBy is an upsert matched on keys.
func upsertBy(keys ...string) connector.WriteOptions {
	return connector.WriteOptions{Mode: connector.Upsert, Match: keys}
}

// lastBody returns the body of the last request with method and path.
func lastBody(t *testing.T, f *fakeV1, method, path string) map[string]any {
	t.Helper()
	reqs := f.requests()
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].Method == method && reqs[i].Path == path {
			return reqs[i].Body
		}
	}
	t.Fatalf("no %s %s", method, path)
	return nil
}

func TestCreateBodies(t *testing.T) {
	for _, tc := range []struct {
		name string
		obj  connector.Object
		rec  mapping.Record
		path string
		want map[string]any
	}{
		{"lead with everything", connector.Lead, mapping.Record{
			"first_name": "Sylvia L.", "last_name": "Hook", "email": "sylvialhook@closum.com", "phone": "+1 517-388-1452",
			"consent_email": "yes", "consent_sms": "no", "city_id": "40", "custom.Source": "Fair", "custom_data": `{"a":1}`,
		}, "/api/lead", map[string]any{
			"name":        "Sylvia L. Hook",
			"email":       map[string]any{"email": "sylvialhook@closum.com"},
			"phone":       map[string]any{"extension": "001", "number": "5173881452"},
			"lead_opt_in": map[string]any{"email": true, "sms": false},
			"city_id":     float64(40),
			"custom_data": `{"Source":"Fair","a":1}`,
		}},
		{"contact is an unqualified lead", connector.Contact, mapping.Record{
			"name": "Ana", "phone": "916912468", "phone_extension": "00351", "consent_sms": "1", "contact_type_id": "3",
		}, "/api/unqualified-lead", map[string]any{
			"name":                    "Ana",
			"phone":                   map[string]any{"extension": "00351", "number": "916912468"},
			"unqualified_lead_opt_in": map[string]any{"sms": true, "email": false},
			"contact_type_id":         float64(3),
		}},
		{"national phone sent as given", connector.Lead, mapping.Record{"phone": "916 912 468"}, "/api/lead",
			map[string]any{"phone": map[string]any{"number": "916 912 468"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			c := f.client(t, nil)
			res, err := c.Write(context.Background(), tc.obj, tc.rec, connector.WriteOptions{Mode: connector.Create})
			if err != nil || res.Status != connector.Created || res.ID != "1" || res.HTTPStatus != 200 {
				t.Fatalf("Write = %+v, %v", res, err)
			}
			if got := lastBody(t, f, http.MethodPost, tc.path); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("body = %v\nwant   %v", got, tc.want)
			}
		})
	}
}

func TestCreateRegionSplitsNationalPhones(t *testing.T) {
	f := newFake(t)
	c := f.client(t, map[string]string{"region": "pt"})
	if _, err := c.Write(context.Background(), connector.Lead, mapping.Record{"phone": "916 912 468"}, connector.WriteOptions{Mode: connector.Create}); err != nil {
		t.Fatal(err)
	}
	got := lastBody(t, f, http.MethodPost, "/api/lead")["phone"]
	if want := map[string]any{"extension": "351", "number": "916912468"}; !reflect.DeepEqual(got, want) {
		t.Errorf("phone = %v, want %v", got, want)
	}
}

func TestCreateDefaultContactType(t *testing.T) {
	f := newFake(t)
	c := f.client(t, map[string]string{"contact_type_id": "7"})
	ctx := context.Background()
	for _, tc := range []struct {
		rec  mapping.Record
		want float64
	}{
		{mapping.Record{"email": "a@x.com"}, 7},
		{mapping.Record{"email": "b@x.com", "contact_type_id": "2"}, 2},
	} {
		if _, err := c.Write(ctx, connector.Contact, tc.rec, connector.WriteOptions{Mode: connector.Create}); err != nil {
			t.Fatal(err)
		}
		if got := lastBody(t, f, http.MethodPost, "/api/unqualified-lead")["contact_type_id"]; got != tc.want {
			t.Errorf("%v: contact_type_id = %v, want %v", tc.rec, got, tc.want)
		}
	}
}

func TestCreateRowErrors(t *testing.T) {
	f := newFake(t)
	c := f.client(t, nil)
	for _, rec := range []mapping.Record{
		{"email": "a@x.com", "consent_email": "maybe"},
		{"email": "a@x.com", "city_id": "forty"},
		{"email": "a@x.com", "custom_data": "{not json"},
		{"email": "a@x.com", "custom_data": "[1]", "custom.X": "y"},
		{"email": "a@x.com", "title": "CEO"},
		{"email": "a@x.com", "phone_extension": "001"},
	} {
		_, err := c.Write(context.Background(), connector.Lead, rec, connector.WriteOptions{Mode: connector.Create})
		if ce, ok := connector.AsError(err); !ok || ce.Retryable || ce.Auth || ce.HTTPStatus != 0 {
			t.Errorf("%v: err = %v, want a row error before any call", rec, err)
		}
	}
	if n := f.count(http.MethodPost, "/api/lead"); n != 0 {
		t.Errorf("%d creates sent for bad rows", n)
	}
	_, err := c.Write(context.Background(), connector.Lead, mapping.Record{"email": "a@x.com"}, connector.WriteOptions{Mode: connector.Update, Match: []string{"email"}})
	if err == nil || !strings.Contains(err.Error(), "no lead update") {
		t.Errorf("update = %v, want refused", err)
	}
}

func TestVerifyBeforeCreate(t *testing.T) {
	f := newFake(t)
	c := f.client(t, nil)
	ctx := context.Background()
	old := f.add("lead", &fakeRec{Name: "Old", Email: &fakeEmail{Email: "old@example.com"}})
	verify := connector.WriteOptions{Mode: connector.Create, Match: []string{"email"}, Verify: true}

	res, err := c.Write(ctx, connector.Lead, mapping.Record{"email": "OLD@example.com"}, verify)
	if err != nil || res.Status != connector.Created || res.ID != fmt.Sprint(old.ID) || !strings.Contains(res.Note, "not sent again") {
		t.Fatalf("verify existing = %+v, %v", res, err)
	}
	if n := f.count(http.MethodPost, "/api/lead"); n != 0 {
		t.Fatalf("verify of an existing lead sent %d creates", n)
	}

	res, err = c.Write(ctx, connector.Lead, mapping.Record{"email": "new@example.com"}, verify)
	if err != nil || res.Status != connector.Created || res.ID == fmt.Sprint(old.ID) {
		t.Fatalf("verify new = %+v, %v", res, err)
	}
	if n := f.count(http.MethodPost, "/api/lead"); n != 1 {
		t.Fatalf("creates = %d, want 1", n)
	}

	// A record without the match key's value is verified by the key it has.
	res, err = c.Write(ctx, connector.Lead, mapping.Record{"email": "old@example.com"},
		connector.WriteOptions{Mode: connector.Create, Match: []string{"phone"}, Verify: true})
	if err != nil || res.ID != fmt.Sprint(old.ID) {
		t.Fatalf("verify by the other key = %+v, %v", res, err)
	}

	// Created by someone else after the index was read: verify reads the newest records.
	other := f.add("lead", &fakeRec{Name: "Late", Phone: &fakePhone{Extension: "001", Number: "517-388-1452"}})
	res, err = c.Write(ctx, connector.Lead, mapping.Record{"phone": "+15173881452"},
		connector.WriteOptions{Mode: connector.Create, Match: []string{"phone"}, Verify: true})
	if err != nil || res.ID != fmt.Sprint(other.ID) {
		t.Fatalf("verify late = %+v, %v", res, err)
	}
	if n := f.count(http.MethodGet, "/api/lead"); n != 3 {
		t.Errorf("list calls = %d, want 3 (index once, newest twice)", n)
	}
}

// A create whose answer was lost is found by the retried upsert, not duplicated.
func TestUpsertAfterLostCreate(t *testing.T) {
	f := newFake(t)
	c := f.client(t, nil)
	ctx := context.Background()
	c.http = &http.Client{Timeout: 200 * time.Millisecond}
	rec := mapping.Record{"name": "Lost", "email": "lost@example.com"}
	if _, err := c.Write(ctx, connector.Lead, mapping.Record{"name": "Warm", "email": "warm@example.com"}, upsertBy("email")); err != nil {
		t.Fatal(err)
	}
	f.queue(canned{method: http.MethodPost, prefix: "/api/lead", hang: true})
	if _, err := c.Write(ctx, connector.Lead, rec, upsertBy("email")); err == nil {
		t.Fatal("the hung create returned no error")
	}
	res, err := c.Write(ctx, connector.Lead, rec, upsertBy("email"))
	if err != nil || res.Status != connector.Unchanged {
		t.Fatalf("retried upsert = %+v, %v", res, err)
	}
	if n := len(f.all("lead")); n != 2 {
		t.Errorf("leads = %d, want 2 (no duplicate)", n)
	}
	if c.index[connector.Lead].uncertain() {
		t.Error("index still uncertain after reading the newest leads")
	}
}

func TestUpsert(t *testing.T) {
	f := newFake(t)
	c := f.client(t, nil)
	ctx := context.Background()
	f.add("lead", &fakeRec{Name: "Sylvia Hook", CityID: 40, Email: &fakeEmail{Email: "sylvia@closum.com"},
		Phone: &fakePhone{Extension: "001", Number: "517-388-1452"}})

	for _, tc := range []struct {
		name   string
		rec    mapping.Record
		match  []string
		status connector.Status
		note   string
	}{
		{"same values", mapping.Record{"name": "sylvia  hook", "email": "Sylvia@closum.com", "phone": "+15173881452", "city_id": "40"},
			[]string{"email"}, connector.Unchanged, "cannot update leads"},
		{"name differs", mapping.Record{"name": "Sylvia L. Hook", "email": "sylvia@closum.com"},
			[]string{"email"}, connector.Unchanged, "name differ"},
		{"name and phone differ", mapping.Record{"name": "S", "email": "sylvia@closum.com", "phone": "+351916912468"},
			[]string{"email"}, connector.Unchanged, "name, phone differ"},
		{"found by phone, city differs", mapping.Record{"phone": "+1 (517) 388-1452", "city_id": "7"},
			[]string{"phone"}, connector.Unchanged, "city_id differ"},
		{"not found", mapping.Record{"name": "New", "email": "new@closum.com"},
			[]string{"email"}, connector.Created, ""},
		{"created this run, found again", mapping.Record{"name": "New", "email": "NEW@closum.com"},
			[]string{"email"}, connector.Unchanged, "same values"},
		{"both keys must hold", mapping.Record{"email": "sylvia@closum.com", "phone": "+15550000000"},
			[]string{"email", "phone"}, connector.Created, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := c.Write(ctx, connector.Lead, tc.rec, connector.WriteOptions{Mode: connector.Upsert, Match: tc.match})
			if err != nil || res.Status != tc.status || !strings.Contains(res.Note, tc.note) {
				t.Fatalf("Write = %+v, %v; want %s with note %q", res, err, tc.status, tc.note)
			}
			if res.ID == "" {
				t.Error("no id")
			}
		})
	}
	if n := f.count(http.MethodGet, "/api/lead"); n != 1 {
		t.Errorf("list calls = %d, want 1: the index is read once", n)
	}
	if n := len(f.all("lead")); n != 3 {
		t.Errorf("leads = %d, want 3", n)
	}
	for _, r := range f.requests() {
		if r.Method == http.MethodPut {
			t.Errorf("unexpected %s %s", r.Method, r.Path)
		}
	}
}

func TestUpsertAmbiguous(t *testing.T) {
	f := newFake(t)
	c := f.client(t, nil)
	f.add("lead", &fakeRec{Email: &fakeEmail{Email: "dup@x.com"}})
	f.add("lead", &fakeRec{Email: &fakeEmail{Email: "dup@x.com"}})
	_, err := c.Write(context.Background(), connector.Lead, mapping.Record{"email": "dup@x.com"}, upsertBy("email"))
	if ce, ok := connector.AsError(err); !ok || ce.Retryable || !strings.Contains(err.Error(), "ids 1, 2") {
		t.Fatalf("err = %v, want a row error naming both", err)
	}
}

// When only the email or phone differ, their own PUT endpoints change them.
func TestUpsertChangesEmailAndPhone(t *testing.T) {
	f := newFake(t)
	c := f.client(t, nil)
	ctx := context.Background()
	lead := f.add("lead", &fakeRec{Name: "Ana", Email: &fakeEmail{Email: "ana@old.com"},
		Phone: &fakePhone{Extension: "00351", Number: "916912468"}})

	res, err := c.Write(ctx, connector.Lead, mapping.Record{"name": "Ana", "email": "ana@new.com", "phone": "+351 916 912 468"},
		connector.WriteOptions{Mode: connector.Upsert, Match: []string{"phone"}})
	if err != nil || res.Status != connector.Updated || res.ID != fmt.Sprint(lead.ID) {
		t.Fatalf("email change = %+v, %v", res, err)
	}
	if got := lastBody(t, f, http.MethodPut, fmt.Sprintf("/api/email/%d", lead.Email.ID)); got["email"] != "ana@new.com" || got["id"] != float64(lead.Email.ID) {
		t.Errorf("PUT email body = %v", got)
	}

	res, err = c.Write(ctx, connector.Lead, mapping.Record{"email": "ana@new.com", "phone": "+1 517 388 1452"}, upsertBy("email"))
	if err != nil || res.Status != connector.Updated {
		t.Fatalf("phone change = %+v, %v", res, err)
	}
	got := f.all("lead")[0]
	if got.Email.Email != "ana@new.com" || got.Phone.Extension != "001" || got.Phone.Number != "5173881452" {
		t.Errorf("stored = %+v %+v", got.Email, got.Phone)
	}
	if n := f.count(http.MethodPut, fmt.Sprintf("/api/email/%d", lead.Email.ID)); n != 1 {
		t.Errorf("email PUTs = %d, want 1", n)
	}

	// The index follows: the new phone finds the lead, the same values change nothing.
	res, err = c.Write(ctx, connector.Lead, mapping.Record{"email": "ana@new.com", "phone": "+15173881452"},
		connector.WriteOptions{Mode: connector.Upsert, Match: []string{"phone"}})
	if err != nil || res.Status != connector.Unchanged || res.ID != fmt.Sprint(lead.ID) {
		t.Fatalf("after changes = %+v, %v", res, err)
	}
	if n := len(f.all("lead")); n != 1 {
		t.Errorf("leads = %d, want 1", n)
	}
	if n := f.count(http.MethodGet, "/api/lead"); n != 1 {
		t.Errorf("list calls = %d, want 1", n)
	}
}

// The index is read once however many workers need it at the same time,
// and a failed read is tried again by the next call.
func TestIndexBuiltOnce(t *testing.T) {
	f := newFake(t)
	f.maxLimit = 2
	c := f.client(t, map[string]string{"page_size": "2"})
	for i := range 5 {
		f.add("unqualified-lead", &fakeRec{Email: &fakeEmail{Email: fmt.Sprintf("c%d@x.com", i)}})
	}
	ctx := context.Background()
	f.queue(canned{method: http.MethodGet, prefix: "/api/unqualified-lead", status: 503})
	_, err := c.Write(ctx, connector.Contact, mapping.Record{"email": "c1@x.com"}, upsertBy("email"))
	if ce, ok := connector.AsError(err); !ok || !ce.Retryable {
		t.Fatalf("first upsert = %v, want the retryable list failure", err)
	}

	var wg sync.WaitGroup
	results := make([]connector.Result, 20)
	errs := make([]error, 20)
	for i := range 20 {
		wg.Go(func() {
			results[i], errs[i] = c.Write(ctx, connector.Contact, mapping.Record{"email": fmt.Sprintf("c%d@x.com", i)}, upsertBy("email"))
		})
	}
	wg.Wait()
	for i := range 20 {
		want := connector.Created
		if i < 5 {
			want = connector.Unchanged
		}
		if errs[i] != nil || results[i].Status != want {
			t.Errorf("worker %d: %+v, %v; want %s", i, results[i], errs[i], want)
		}
	}
	// One failed page, then one full read of 3 pages.
	if n := f.count(http.MethodGet, "/api/unqualified-lead"); n != 4 {
		t.Errorf("list calls = %d, want 4", n)
	}
	if n := len(f.all("unqualified-lead")); n != 20 {
		t.Errorf("contacts = %d, want 20", n)
	}
}

func TestUpsertByCityName(t *testing.T) {
	f := newFake(t)
	f.cities = []map[string]any{{"id": 213, "city_name": "Abrantes"}, {"id": 300, "city_name": "Évora"}}
	c := f.client(t, nil)
	ctx := context.Background()
	if err := c.Prepare(ctx, connector.Lead, []string{"email", "city"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write(ctx, connector.Lead, mapping.Record{"email": "a@x.com", "city": "evora"}, upsertBy("email")); err != nil {
		t.Fatal(err)
	}
	if got := lastBody(t, f, http.MethodPost, "/api/lead")["city_id"]; got != float64(300) {
		t.Errorf("city_id = %v, want 300", got)
	}
	res, err := c.Write(ctx, connector.Lead, mapping.Record{"email": "a@x.com", "city": "Abrantes"}, upsertBy("email"))
	if err != nil || res.Status != connector.Unchanged || !strings.Contains(res.Note, "city differ") {
		t.Errorf("other city = %+v, %v", res, err)
	}
	_, err = c.Write(ctx, connector.Lead, mapping.Record{"email": "b@x.com", "city": "Atlantis"}, upsertBy("email"))
	if ce, ok := connector.AsError(err); !ok || ce.Retryable || !strings.Contains(err.Error(), "Atlantis") {
		t.Errorf("unknown city = %v", err)
	}
	if n := f.count(http.MethodGet, "/api/city"); n != 1 {
		t.Errorf("city list calls = %d, want 1", n)
	}
}
