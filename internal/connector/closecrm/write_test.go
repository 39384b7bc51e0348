package closecrm

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/mapping"
)

// seeded returns a fake with lead and contact custom fields.
func seeded(t *testing.T) *fakeClose {
	f := newFake(t)
	f.leadCF = []customField{
		{ID: "lcf_src", Name: "Lead Source", Type: "text"},
		{ID: "lcf_seats", Name: "Seats", Type: "number"},
		{ID: "lcf_ind", Name: "Industry", Type: "choices", AcceptsMultipleValues: true, Choices: []string{"IT", "Cars"}},
	}
	f.contactCF = []customField{{ID: "ccf_role", Name: "Role", Type: "text"}}
	return f
}

// prepared returns a client for f on which Prepare ran for rec's fields.
func prepared(t *testing.T, f *fakeClose, obj connector.Object, rec mapping.Record) *Client {
	t.Helper()
	c := f.client(t, testKey)
	if err := c.Prepare(context.Background(), obj, rec.Keys()); err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	f.resetLog()
	return c
}

// jsonOf re-encodes v so bodies compare as the server saw them.
func jsonOf(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func gob() mapping.Record {
	return mapping.Record{
		"company": "Bluth Company", "first_name": "Gob", "last_name": "Bluth", "email": "gob@example.com",
		"phone": "8004445555", "title": "Magician", "url": "http://bluth.example/", "status": "Potential",
		"address": "747 Howard St", "city": "San Francisco", "zip": "94103", "country": "US",
		"custom.lead source": "Website", "custom.Seats": "12", "custom.Industry": "IT, Cars",
		"description": "",
	}
}

func TestCreateLeadRequestShape(t *testing.T) {
	f := seeded(t)
	c := prepared(t, f, connector.Lead, gob())
	res, err := c.Write(context.Background(), connector.Lead, gob(), connector.WriteOptions{Mode: connector.Create})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != connector.Created || !strings.HasPrefix(res.ID, "lead_") || res.HTTPStatus != 200 {
		t.Fatalf("result = %+v", res)
	}
	reqs := f.requests()
	if len(reqs) != 1 || reqs[0].Method != "POST" || reqs[0].Path != "/lead/" {
		t.Fatalf("requests = %+v", reqs)
	}
	if reqs[0].User != testKey || reqs[0].Pass != "" {
		t.Errorf("basic auth = %q:%q, want the key and a blank password", reqs[0].User, reqs[0].Pass)
	}
	want := jsonOf(t, map[string]any{
		"name": "Bluth Company", "url": "http://bluth.example/", "status": "Potential",
		"addresses": []any{map[string]any{"label": "business", "address_1": "747 Howard St",
			"city": "San Francisco", "zipcode": "94103", "country": "US"}},
		"contacts": []any{map[string]any{"name": "Gob Bluth", "title": "Magician",
			"emails": []any{map[string]any{"type": "office", "email": "gob@example.com"}},
			"phones": []any{map[string]any{"type": "office", "phone": "8004445555"}}}},
		"custom.lcf_src": "Website", "custom.lcf_seats": 12, "custom.lcf_ind": []any{"IT", "Cars"},
	})
	if !reflect.DeepEqual(reqs[0].Body, want) {
		t.Errorf("body =\n%v\nwant\n%v", reqs[0].Body, want)
	}
}

func TestCreateVerify(t *testing.T) {
	rec := mapping.Record{"company": "Acme", "name": "Ann", "email": "ann@acme.test"}
	tests := []struct {
		name     string
		existing int // leads already holding the email
		want     connector.Status
		posts    int
		errText  string
	}{
		{name: "earlier attempt made it", existing: 1, want: connector.Created, posts: 0},
		{name: "not there yet", existing: 0, want: connector.Created, posts: 1},
		{name: "several", existing: 2, posts: 0, errText: "ambiguous: 2 leads match email"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := seeded(t)
			var ids []string
			for range tt.existing {
				ids = append(ids, f.addLead(map[string]any{"name": "Acme", "contacts": []any{
					map[string]any{"name": "Ann", "emails": []any{map[string]any{"email": "ANN@acme.test"}}}}}))
			}
			c := prepared(t, f, connector.Lead, rec)
			res, err := c.Write(context.Background(), connector.Lead, rec,
				connector.WriteOptions{Mode: connector.Create, Match: []string{"email"}, Verify: true})
			if tt.errText != "" {
				ce, ok := connector.AsError(err)
				if !ok || ce.Retryable || !strings.Contains(ce.Message, tt.errText) {
					t.Fatalf("err = %v, want a non-retryable %q", err, tt.errText)
				}
			} else if err != nil || res.Status != tt.want {
				t.Fatalf("res = %+v, err = %v", res, err)
			}
			if tt.existing == 1 && res.ID != ids[0] {
				t.Errorf("id = %q, want the existing %q", res.ID, ids[0])
			}
			if got := len(f.writes()); got != tt.posts {
				t.Errorf("%d writes, want %d", got, tt.posts)
			}
		})
	}
}

func TestUpdatePatchesOnlyWhatDiffers(t *testing.T) {
	f := seeded(t)
	leadID := f.addLead(map[string]any{
		"name": "Bluth Company", "custom.lcf_src": "Website", "custom.lcf_seats": 12,
		"addresses": []any{map[string]any{"label": "mailing", "address_1": "1 Old Rd", "city": "Newport Beach"},
			map[string]any{"label": "other", "city": "Elsewhere"}},
		"contacts": []any{map[string]any{"name": "Gob", "title": "magician",
			"emails": []any{map[string]any{"type": "office", "email": "GOB@example.com"}},
			"phones": []any{map[string]any{"type": "office", "phone": "+18004445555"}}}},
	})
	rec := mapping.Record{"email": "gob@example.com", "company": "Bluth Company", "name": "Gob Bluth",
		"title": "Magician", "phone": "(800) 444-5555", "custom.Lead Source": "Website",
		"custom.Seats": "12.0", "city": "San Francisco", "url": ""}
	c := prepared(t, f, connector.Lead, rec)
	res, err := c.Write(context.Background(), connector.Lead, rec,
		connector.WriteOptions{Mode: connector.Update, Match: []string{"email"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != connector.Updated || res.ID != leadID {
		t.Fatalf("result = %+v", res)
	}
	w := f.writes()
	if len(w) != 2 {
		t.Fatalf("writes = %+v, want a lead PUT and a contact PUT", w)
	}
	wantLead := jsonOf(t, map[string]any{"addresses": []any{
		map[string]any{"label": "mailing", "address_1": "1 Old Rd", "city": "San Francisco"},
		map[string]any{"label": "other", "city": "Elsewhere"}}})
	if w[0].Method != "PUT" || w[0].Path != "/lead/"+leadID+"/" || !reflect.DeepEqual(w[0].Body, wantLead) {
		t.Errorf("lead PUT = %s %s %v, want only the merged addresses %v", w[0].Method, w[0].Path, w[0].Body, wantLead)
	}
	if w[1].Method != "PUT" || !strings.HasPrefix(w[1].Path, "/contact/cont_") ||
		!reflect.DeepEqual(w[1].Body, map[string]any{"name": "Gob Bluth"}) {
		t.Errorf("contact PUT = %s %s %v, want only the name", w[1].Method, w[1].Path, w[1].Body)
	}

	// The same record again changes nothing.
	f.resetLog()
	res, err = c.Write(context.Background(), connector.Lead, rec,
		connector.WriteOptions{Mode: connector.Update, Match: []string{"email"}})
	if err != nil || res.Status != connector.Unchanged || res.ID != leadID {
		t.Fatalf("second run = %+v, %v; want unchanged", res, err)
	}
	if w := f.writes(); len(w) != 0 {
		t.Errorf("second run wrote %+v", w)
	}
}

func TestUpsertTwiceIsUnchanged(t *testing.T) {
	for _, obj := range []connector.Object{connector.Lead, connector.Contact} {
		t.Run(string(obj), func(t *testing.T) {
			f := seeded(t)
			rec := gob()
			if obj == connector.Contact {
				rec = mapping.Record{"company": "Bluth Company", "name": "Gob Bluth", "email": "Gob@Example.com",
					"phone": "+1 800 444 5555", "title": "Magician", "custom.Role": "CEO"}
			}
			c := prepared(t, f, obj, rec)
			opt := connector.WriteOptions{Mode: connector.Upsert, Match: []string{"email"}}
			first, err := c.Write(context.Background(), obj, rec, opt)
			if err != nil || first.Status != connector.Created {
				t.Fatalf("first = %+v, %v; want created", first, err)
			}
			f.resetLog()
			second, err := c.Write(context.Background(), obj, rec, opt)
			if err != nil || second.Status != connector.Unchanged || second.ID != first.ID {
				t.Fatalf("second = %+v, %v; want unchanged %s", second, err, first.ID)
			}
			if w := f.writes(); len(w) != 0 {
				t.Errorf("second run wrote %+v", w)
			}
			// Matching by phone finds it too, whatever its format.
			opt.Match = []string{"phone"}
			rec["phone"] = "800-444-5555"
			third, err := c.Write(context.Background(), obj, rec, opt)
			if err != nil || third.Status != connector.Unchanged || third.ID != first.ID {
				t.Fatalf("by phone = %+v, %v; want unchanged %s", third, err, first.ID)
			}
		})
	}
}

func TestUpdateOutcomes(t *testing.T) {
	tests := []struct {
		name    string
		mode    connector.Mode
		leads   int // leads holding the email
		status  connector.Status
		note    string
		errText string
		writes  []string
	}{
		{name: "update none", mode: connector.Update, status: connector.Skipped, note: `no lead matches email "x@y.test"`},
		{name: "upsert none", mode: connector.Upsert, status: connector.Created, writes: []string{"POST /lead/"}},
		{name: "upsert one", mode: connector.Upsert, leads: 1, status: connector.Updated, writes: []string{"PUT /lead/lead_0001/"}},
		{name: "update ambiguous", mode: connector.Update, leads: 3, errText: `ambiguous: 3 leads match email "x@y.test"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := seeded(t)
			for range tt.leads {
				f.addLead(map[string]any{"name": "Old", "contacts": []any{
					map[string]any{"emails": []any{map[string]any{"email": "x@y.test"}}}}})
			}
			// A lead whose search hit is not an exact match must not count.
			f.addLead(map[string]any{"name": "Other", "contacts": []any{
				map[string]any{"emails": []any{map[string]any{"email": "max@y.test"}}}}})
			rec := mapping.Record{"email": "x@y.test", "company": "New"}
			c := prepared(t, f, connector.Lead, rec)
			res, err := c.Write(context.Background(), connector.Lead, rec, connector.WriteOptions{Mode: tt.mode, Match: []string{"email"}})
			if tt.errText != "" {
				ce, ok := connector.AsError(err)
				if !ok || ce.Retryable || ce.Message != tt.errText {
					t.Fatalf("err = %v, want non-retryable %q", err, tt.errText)
				}
				return
			}
			if err != nil || res.Status != tt.status || res.Note != tt.note {
				t.Fatalf("res = %+v, err = %v; want %s %q", res, err, tt.status, tt.note)
			}
			var got []string
			for _, w := range f.writes() {
				got = append(got, w.Method+" "+w.Path)
			}
			if !reflect.DeepEqual(got, tt.writes) {
				t.Errorf("writes = %v, want %v", got, tt.writes)
			}
		})
	}
}

func TestCreateContactPlacement(t *testing.T) {
	tests := []struct {
		name      string
		rec       mapping.Record
		wantPath  string
		wantLead  string // lead_id in a contact POST, or name of the new lead
		leadCount int    // leads after the write
	}{
		{name: "lead_id given", rec: mapping.Record{"lead_id": "lead_0001", "company": "Other", "name": "Ann"},
			wantPath: "/contact/", wantLead: "lead_0001", leadCount: 1},
		{name: "lead found by company", rec: mapping.Record{"company": "ACME corp", "name": "Ann"},
			wantPath: "/contact/", wantLead: "lead_0001", leadCount: 1},
		{name: "new lead named company", rec: mapping.Record{"company": "Acme", "name": "Ann"},
			wantPath: "/lead/", wantLead: "Acme", leadCount: 2},
		{name: "new lead named after the contact", rec: mapping.Record{"first_name": "Ann", "last_name": "Lee"},
			wantPath: "/lead/", wantLead: "Ann Lee", leadCount: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := seeded(t)
			f.addLead(map[string]any{"name": "Acme Corp"}) // lead_0001; "Acme" is only a prefix of it
			c := prepared(t, f, connector.Contact, tt.rec)
			res, err := c.Write(context.Background(), connector.Contact, tt.rec, connector.WriteOptions{Mode: connector.Create})
			if err != nil || res.Status != connector.Created || !strings.HasPrefix(res.ID, "cont_") {
				t.Fatalf("res = %+v, err = %v", res, err)
			}
			w := f.writes()
			if len(w) != 1 || w[0].Path != tt.wantPath {
				t.Fatalf("writes = %+v, want one POST %s", w, tt.wantPath)
			}
			if tt.wantPath == "/contact/" && w[0].Body["lead_id"] != tt.wantLead {
				t.Errorf("lead_id = %v, want %s", w[0].Body["lead_id"], tt.wantLead)
			}
			if tt.wantPath == "/lead/" {
				contacts, _ := w[0].Body["contacts"].([]any)
				if w[0].Body["name"] != tt.wantLead || len(contacts) != 1 {
					t.Errorf("lead body = %v, want name %q with the contact nested", w[0].Body, tt.wantLead)
				}
			}
			if len(f.leads) != tt.leadCount {
				t.Errorf("%d leads, want %d", len(f.leads), tt.leadCount)
			}
		})
	}
}

func TestUpdateContactByID(t *testing.T) {
	f := seeded(t)
	f.addLead(map[string]any{"name": "Acme", "contacts": []any{map[string]any{"name": "Ann", "custom.ccf_role": "CEO"}}})
	rec := mapping.Record{"id": "cont_0002", "custom.Role": "CTO", "email": "ann@acme.test"}
	c := prepared(t, f, connector.Contact, rec)
	res, err := c.Write(context.Background(), connector.Contact, rec, connector.WriteOptions{Mode: connector.Update, Match: []string{"id"}})
	if err != nil || res.Status != connector.Updated || res.ID != "cont_0002" {
		t.Fatalf("res = %+v, err = %v", res, err)
	}
	w := f.writes()
	want := jsonOf(t, map[string]any{"custom.ccf_role": "CTO",
		"emails": []any{map[string]any{"type": "office", "email": "ann@acme.test"}}})
	if len(w) != 1 || w[0].Path != "/contact/cont_0002/" || !reflect.DeepEqual(w[0].Body, want) {
		t.Fatalf("writes = %+v, want PUT /contact/cont_0002/ %v", w, want)
	}
	rec["id"] = "cont_missing"
	res, err = c.Write(context.Background(), connector.Contact, rec, connector.WriteOptions{Mode: connector.Update, Match: []string{"id"}})
	if err != nil || res.Status != connector.Skipped {
		t.Fatalf("missing id: res = %+v, err = %v; want skipped", res, err)
	}
}

func TestWriteRateHeadersSetWait(t *testing.T) {
	f := seeded(t)
	f.okHeader = map[string][]string{"X-Rate-Limit-Limit": {"40"}, "X-Rate-Limit-Remaining": {"0"}, "X-Rate-Limit-Reset": {"1.5"}}
	rec := mapping.Record{"company": "Acme"}
	c := prepared(t, f, connector.Lead, rec)
	res, err := c.Write(context.Background(), connector.Lead, rec, connector.WriteOptions{Mode: connector.Create})
	if err != nil {
		t.Fatal(err)
	}
	if res.Wait.Seconds() != 1.5 {
		t.Errorf("Wait = %v, want 1.5s", res.Wait)
	}
	f.okHeader = map[string][]string{"X-Rate-Limit-Remaining": {"12"}, "X-Rate-Limit-Reset": {"1.5"}}
	res, err = c.Write(context.Background(), connector.Lead, rec, connector.WriteOptions{Mode: connector.Create})
	if err != nil || res.Wait != 0 {
		t.Errorf("with requests left: Wait = %v, err = %v; want 0", res.Wait, err)
	}
}

func TestConcurrentWrites(t *testing.T) {
	f := seeded(t)
	rec := mapping.Record{"email": "", "company": "", "custom.Lead Source": ""}
	c := prepared(t, f, connector.Lead, rec)
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Go(func() {
			// Distinct keys: serialising writes of one key is the runner's job.
			r := mapping.Record{"email": fmt.Sprintf("p%d@x.test", i), "company": fmt.Sprintf("Co %d", i),
				"custom.Lead Source": "Fair"}
			if _, err := c.Write(context.Background(), connector.Lead, r,
				connector.WriteOptions{Mode: connector.Upsert, Match: []string{"email"}}); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(f.leads); n != 40 {
		t.Errorf("%d leads, want 40", n)
	}
}
