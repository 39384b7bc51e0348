package qlara

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/internal/heapmeter"
	"github.com/crmload/crmload/internal/sandbox"
	qsandbox "github.com/crmload/crmload/internal/sandbox/qlara"
	"github.com/crmload/crmload/mapping"
)

// indexRows is how many rows the request-count tests import; the report's
// figures come from -index-rows=2000.
var indexRows = flag.Int("index-rows", 100, "rows imported by the index request-count tests")

var contactFields = []string{"email", "name", "first_name", "phone", "tags", "title", "customField1"}

func contactRows(n int) []mapping.Record {
	rows := make([]mapping.Record, n)
	for i := range rows {
		rows[i] = mapping.Record{"email": fmt.Sprintf("person%05d@example.com", i), "name": fmt.Sprintf("Person %d", i),
			"first_name": "Person", "phone": fmt.Sprintf("+39333%07d", i), "tags": "import, 2026",
			"title": "Buyer", "customField1": "batch-a"}
	}
	return rows
}

// recorder is a RoundTripper that notes every request as "METHOD path?query".
type recorder struct {
	mu   sync.Mutex
	seen []string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.seen = append(r.seen, req.Method+" "+req.URL.Path+"?"+req.URL.RawQuery)
	r.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

func (r *recorder) log() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.seen...)
}

func indexSandbox(t testing.TB) (*qsandbox.Fake, string) {
	t.Helper()
	fake := qsandbox.New(sandbox.Options{})
	t.Cleanup(func() { _ = fake.Close() })
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	return fake, srv.URL + fake.BasePath()
}

// indexedConnector is a new connector on base, prepared and indexed as the
// runner does it; it returns the requests Index made.
func indexedConnector(t testing.TB, fake *qsandbox.Fake, base string, match []string, rt http.RoundTripper) (*Connector, int) {
	t.Helper()
	ctx := context.Background()
	c, err := newConnector(connector.Config{BaseURL: base, APIKey: sandbox.DefaultKey, HTTP: &http.Client{Transport: rt}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Prepare(ctx, connector.Contact, contactFields); err != nil {
		t.Fatal(err)
	}
	if n, err := c.IndexCost(ctx, connector.Contact); n != -1 || err != nil {
		t.Errorf("IndexCost = %d, %v; want -1 (no total)", n, err)
	}
	before, _, _ := fake.Gate().Stats()
	if err := c.Index(ctx, connector.Contact, match, contactFields); err != nil {
		t.Fatalf("Index: %v", err)
	}
	after, _, _ := fake.Gate().Stats()
	return c, after - before
}

// writeAll writes rows with 4 workers (rows have distinct keys) and
// returns how many ended in each status and the requests they made.
func writeAll(t testing.TB, fake *qsandbox.Fake, c *Connector, opt connector.WriteOptions, rows []mapping.Record) (map[connector.Status]int, int) {
	t.Helper()
	before, _, _ := fake.Gate().Stats()
	var mu sync.Mutex
	counts := map[connector.Status]int{}
	work := make(chan mapping.Record)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for rec := range work {
				res, err := c.Write(context.Background(), connector.Contact, rec, opt)
				mu.Lock()
				if err != nil {
					t.Errorf("Write %v: %v", rec, err)
					counts[connector.Failed]++
				} else {
					counts[res.Status]++
				}
				mu.Unlock()
			}
		})
	}
	for _, rec := range rows {
		work <- rec
	}
	close(work)
	wg.Wait()
	after, _, _ := fake.Gate().Stats()
	return counts, after - before
}

// An import's cost with the index: the listing plus one call per row that
// creates or changes a contact, none for a row that changes nothing.
func TestIndexRequestsPerRow(t *testing.T) {
	n := *indexRows
	fake, base := indexSandbox(t)
	upsert := connector.WriteOptions{Mode: connector.Upsert, Match: []string{"email"}}
	rows := contactRows(n)
	changed := contactRows(n)
	for i := range changed {
		switch i % 20 {
		case 0:
			changed[i]["title"] = "Manager"
		case 10:
			changed[i]["customField1"] = "batch-b"
		}
	}
	pages := n/maxPageSize + 1 // the last page is the first short one
	for _, tc := range []struct {
		name    string
		rows    []mapping.Record
		want    map[connector.Status]int
		listing int
		writes  int
	}{
		{"first import, empty target", rows, map[connector.Status]int{connector.Created: n}, 1, n},
		{"same rows again", rows, map[connector.Status]int{connector.Unchanged: n}, pages, 0},
		{"10% changed", changed, map[connector.Status]int{connector.Updated: n / 10, connector.Unchanged: n - n/10}, pages, n / 10},
		{"changed rows again", changed, map[connector.Status]int{connector.Unchanged: n}, pages, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, listing := indexedConnector(t, fake, base, upsert.Match, http.DefaultTransport)
			got, writes := writeAll(t, fake, c, upsert, tc.rows)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) || listing != tc.listing || writes != tc.writes {
				t.Errorf("statuses %v with %d listing and %d write requests; want %v with %d and %d",
					got, listing, writes, tc.want, tc.listing, tc.writes)
			}
			t.Logf("%d rows: %d listing + %d write requests = %.3f requests/row",
				n, listing, writes, float64(listing+writes)/float64(n))
		})
	}
	if got := len(fake.Contacts()); got != n {
		t.Errorf("%d contacts in Qlara, want %d", got, n)
	}
}

// A key repeated in the input is created once; later rows find what the
// earlier ones wrote.
func TestIndexRepeatedKey(t *testing.T) {
	fake, base := indexSandbox(t)
	c, _ := indexedConnector(t, fake, base, []string{"phone"}, http.DefaultTransport)
	opt := connector.WriteOptions{Mode: connector.Upsert, Match: []string{"phone"}}
	row := contactRows(1)[0]
	moved := mapping.Record{}
	for k, v := range row {
		moved[k] = v
	}
	moved["title"] = "Manager"
	for i, step := range []struct {
		rec   mapping.Record
		want  connector.Status
		calls int
	}{
		{row, connector.Created, 1},
		{row, connector.Unchanged, 0},
		{moved, connector.Updated, 1},
		{moved, connector.Unchanged, 0},
		{row, connector.Updated, 1},
	} {
		got, calls := writeAll(t, fake, c, opt, []mapping.Record{step.rec})
		if got[step.want] != 1 || calls != step.calls {
			t.Errorf("row %d: %v in %d requests, want %s in %d", i, got, calls, step.want, step.calls)
		}
	}
	if cs := fake.Contacts(); len(cs) != 1 || cs[0].JobTitle == nil || *cs[0].JobTitle != "Buyer" {
		t.Errorf("contacts = %+v", cs)
	}
}

// What the index cannot decide alone reads the contact, or looks it up by
// key, as without an index; the outcome is the same.
func TestIndexFallbacks(t *testing.T) {
	fake, base := indexSandbox(t)
	opt := connector.WriteOptions{Mode: connector.Upsert, Match: []string{"email"}}
	seed, _ := indexedConnector(t, fake, base, opt.Match, http.DefaultTransport)
	for _, r := range contactRows(3) {
		if _, err := seed.Write(context.Background(), connector.Contact, r, opt); err != nil {
			t.Fatal(err)
		}
	}
	// A second contact with person00002's email (emails are not unique).
	twin := "person00002@example.com"
	if _, err := fake.SeedContact(qsandbox.ContactFields{MainEmail: &twin}); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	c, _ := indexedConnector(t, fake, base, opt.Match, rec)
	// Created by someone else after the listing, with the phone the next row has.
	late, latePhone := "late@example.com", "+393339999999"
	if _, err := fake.SeedContact(qsandbox.ContactFields{MainEmail: &late, PhoneNumbers: []string{latePhone}}); err != nil {
		t.Fatal(err)
	}
	row := func(i int, edit func(mapping.Record)) mapping.Record {
		r := contactRows(3)[i]
		edit(r)
		return r
	}
	for _, tc := range []struct {
		name    string
		rec     mapping.Record
		opt     connector.WriteOptions
		want    connector.Status
		wantErr string
		calls   []string // request prefixes, in order
	}{
		{"a tag added: read, then PUT", row(0, func(r mapping.Record) { r["tags"] = "import, 2026, vip" }), opt,
			connector.Updated, "", []string{"GET /api/partner-gateway/v1/contacts/1", "PUT /api/partner-gateway/v1/contacts/1"}},
		{"property held but blank in the row: read", row(1, func(r mapping.Record) { r["title"] = "" }), opt,
			connector.Unchanged, "", []string{"GET /api/partner-gateway/v1/contacts/1"}},
		{"ambiguous key: the lookup fails it", row(2, func(mapping.Record) {}), opt,
			"", "ambiguous: 2 contacts", []string{"GET /api/partner-gateway/v1/contacts?"}},
		{"verify: looked up", row(1, func(mapping.Record) {}), connector.WriteOptions{Mode: connector.Upsert, Match: []string{"email"}, Verify: true},
			connector.Unchanged, "", []string{"GET /api/partner-gateway/v1/contacts?"}},
		{"created meanwhile: 409, then found and updated", mapping.Record{"email": late, "phone": latePhone, "title": "CEO"}, opt,
			connector.Updated, "", []string{"POST /api/partner-gateway/v1/contacts?", "GET /api/partner-gateway/v1/contacts?", "PUT /api/partner-gateway/v1/contacts/1"}},
		{"update of an unknown key: skipped", mapping.Record{"email": "nobody@example.com", "title": "X"},
			connector.WriteOptions{Mode: connector.Update, Match: []string{"email"}}, connector.Skipped, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			from := len(rec.log())
			res, err := c.Write(context.Background(), connector.Contact, tc.rec, tc.opt)
			switch {
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("err = %v, want %q", err, tc.wantErr)
			case tc.wantErr == "" && (err != nil || res.Status != tc.want):
				t.Errorf("Write = %+v, %v; want %s", res, err, tc.want)
			}
			calls := rec.log()[from:]
			ok := len(calls) == len(tc.calls)
			for i := 0; ok && i < len(calls); i++ {
				ok = strings.HasPrefix(calls[i], tc.calls[i])
			}
			if !ok {
				t.Errorf("requests %q, want %q", calls, tc.calls)
			}
		})
	}
	if n := len(fake.Contacts()); n != 5 {
		t.Errorf("%d contacts, want 5 (no duplicate)", n)
	}
}

// Concurrent writes of different keys share the index safely (run with -race).
func TestIndexConcurrentWrites(t *testing.T) {
	fake, base := indexSandbox(t)
	opt := connector.WriteOptions{Mode: connector.Upsert, Match: []string{"email"}}
	rows := contactRows(120)
	c, _ := indexedConnector(t, fake, base, opt.Match, http.DefaultTransport)
	if got, _ := writeAll(t, fake, c, opt, rows[:60]); got[connector.Created] != 60 {
		t.Fatalf("seeding: %v", got)
	}
	c, _ = indexedConnector(t, fake, base, opt.Match, http.DefaultTransport)
	for i := range 30 {
		rows[i]["title"] = "Manager"
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	counts := map[connector.Status]int{}
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < len(rows); i += 8 {
				res, err := c.Write(context.Background(), connector.Contact, rows[i], opt)
				mu.Lock()
				if err != nil {
					t.Error(err)
				}
				counts[res.Status]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	want := map[connector.Status]int{connector.Updated: 30, connector.Unchanged: 30, connector.Created: 60}
	if fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Errorf("statuses %v, want %v", counts, want)
	}
	if n := len(fake.Contacts()); n != 120 {
		t.Errorf("%d contacts, want 120", n)
	}
}

// The index costs well under 200 bytes a contact (1M contacts ≤ 200 MB).
func TestIndexBytesPerRecord(t *testing.T) {
	n := 10_000
	if os.Getenv("CRMLOAD_MEMTEST") != "" {
		n = 1_000_000
	}
	p, err := newPlan(newFieldIndex(), contactFields)
	if err != nil {
		t.Fatal(err)
	}
	str := func(s string) json.RawMessage { b, _ := json.Marshal(s); return b }
	list := func(s ...string) json.RawMessage { b, _ := json.Marshal(s); return b }
	x := &index{match: []string{"email"}, plan: p, t: connector.NewKeyTable[heldRec]()}
	for i := range n {
		email := fmt.Sprintf("person%07d@example.com", i)
		ct := contact{"id": json.RawMessage(fmt.Sprint(100001 + i)), "mainEmail": str(email), "emailAddresses": list(email),
			"fullName": str(fmt.Sprintf("Person %d", i)), "firstName": str("Person"), "jobTitle": str("Buyer"),
			"phoneNumbers": list(fmt.Sprintf("+39333%07d", i)), "tags": list("import", "2026"), "customField1": str("batch-a")}
		if err := x.addContact(ct); err != nil {
			t.Fatal(err)
		}
	}
	x.t.Trim()
	if e := x.lookup(x.t.Sum("e" + connector.Fold("PERSON0000042@example.com") + "\x00")); e.holders != 1 || e.id != "100043" {
		t.Errorf("lookup after build = %+v", e)
	}
	size := heapmeter.Held(func() { runtime.KeepAlive(x) })
	per := float64(size) / float64(n)
	t.Logf("index of %d contacts: %.0f bytes/contact (%.1f MB)", n, per, float64(size)/1e6)
	if per > 200 || per < 32 { // under 32, the index was not what was freed
		t.Errorf("%.0f bytes/contact, budget 200", per)
	}
}
