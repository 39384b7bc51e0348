package closecrm

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/internal/sandbox"
	sbclose "github.com/crmload/crmload/internal/sandbox/closecrm"
	"github.com/crmload/crmload/mapping"
)

// indexRows is how many rows the request-count tests import; the report's
// figures come from -index-rows=2000.
var indexRows = flag.Int("index-rows", 100, "rows imported by the index request-count tests")

// indexSandbox serves the Close sandbox and returns it with its API root.
func indexSandbox(t testing.TB) (*sbclose.Fake, string) {
	t.Helper()
	fake := sbclose.New(sandbox.Options{})
	t.Cleanup(func() { _ = fake.Close() })
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	return fake, srv.URL + fake.BasePath()
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

// indexedClient is a new connector on base, prepared and indexed for obj
// as the runner does it; it returns the requests Index made and the
// estimate IndexCost gave.
func indexedClient(t testing.TB, fake *sbclose.Fake, base string, obj connector.Object, match, fields []string, rt http.RoundTripper) (c *Client, calls, cost int) {
	t.Helper()
	ctx := context.Background()
	conn, err := New(connector.Config{BaseURL: base, APIKey: sandbox.DefaultKey, HTTP: &http.Client{Transport: rt}})
	if err != nil {
		t.Fatal(err)
	}
	c = conn.(*Client)
	if err := c.Prepare(ctx, obj, fields); err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	if cost, err = c.IndexCost(ctx, obj); err != nil {
		t.Fatalf("IndexCost: %v", err)
	}
	before, _, _ := fake.Gate().Stats()
	if err := c.Index(ctx, obj, match, fields); err != nil {
		t.Fatalf("Index: %v", err)
	}
	after, _, _ := fake.Gate().Stats()
	return c, after - before, cost
}

// writeAll writes rows with 4 workers (rows have distinct keys) and
// returns how many ended in each status and the requests they made.
func writeAll(t testing.TB, fake *sbclose.Fake, c *Client, obj connector.Object, opt connector.WriteOptions, rows []mapping.Record) (map[connector.Status]int, int) {
	t.Helper()
	before, _, _ := fake.Gate().Stats()
	var mu sync.Mutex
	counts := map[connector.Status]int{}
	work := make(chan mapping.Record)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for rec := range work {
				res, err := c.Write(context.Background(), obj, rec, opt)
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

func leadRows(n int) []mapping.Record {
	rows := make([]mapping.Record, n)
	for i := range rows {
		rows[i] = mapping.Record{"company": fmt.Sprintf("Company %05d", i), "name": fmt.Sprintf("Person %05d", i),
			"email": fmt.Sprintf("person%05d@example.com", i), "phone": fmt.Sprintf("+1650555%04d", i%10000),
			"title": "Buyer", "custom.Lead Source": "Fair"}
	}
	return rows
}

var leadFields = []string{"company", "name", "email", "phone", "title", "custom.Lead Source"}

// An import's cost with the index: the listing plus one call per row that
// creates or changes a record, none for a row that changes nothing.
func TestIndexRequestsPerRow(t *testing.T) {
	n := *indexRows
	fake, base := indexSandbox(t)
	upsert := connector.WriteOptions{Mode: connector.Upsert, Match: []string{"email"}}
	rows := leadRows(n)
	changed := leadRows(n)
	for i := range changed {
		switch i % 20 {
		case 0:
			changed[i]["title"] = "Manager" // the contact's PUT
		case 10:
			changed[i]["custom.Lead Source"] = "Web" // the lead's PUT
		}
	}
	for _, tc := range []struct {
		name   string
		rows   []mapping.Record
		want   map[connector.Status]int
		writes int // requests beyond the listing
	}{
		{"first import, empty target", rows, map[connector.Status]int{connector.Created: n}, n},
		{"same rows again", rows, map[connector.Status]int{connector.Unchanged: n}, 0},
		{"10% changed", changed, map[connector.Status]int{connector.Updated: n / 10, connector.Unchanged: n - n/10}, n / 10},
		{"changed rows again", changed, map[connector.Status]int{connector.Unchanged: n}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, listing, cost := indexedClient(t, fake, base, connector.Lead, upsert.Match, leadFields, http.DefaultTransport)
			if listing != cost {
				t.Errorf("Index made %d calls, IndexCost said %d", listing, cost)
			}
			got, writes := writeAll(t, fake, c, connector.Lead, upsert, tc.rows)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) || writes != tc.writes {
				t.Errorf("statuses %v with %d write requests; want %v with %d", got, writes, tc.want, tc.writes)
			}
			t.Logf("%d rows: %d listing + %d write requests = %.3f requests/row",
				n, listing, writes, float64(listing+writes)/float64(n))
		})
	}
	if got := len(fake.Leads()); got != n {
		t.Errorf("%d leads in Close, want %d", got, n)
	}
}

// Contacts are indexed through their leads the same way.
func TestIndexContacts(t *testing.T) {
	fake, base := indexSandbox(t)
	lead, err := fake.AddLead(map[string]any{"name": "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	fields := []string{"lead_id", "name", "email", "title", "custom.Role"}
	opt := connector.WriteOptions{Mode: connector.Upsert, Match: []string{"email"}}
	rows := make([]mapping.Record, 30)
	for i := range rows {
		rows[i] = mapping.Record{"lead_id": lead.ID, "name": fmt.Sprintf("Person %d", i),
			"email": fmt.Sprintf("p%d@acme.test", i), "title": "Buyer", "custom.Role": "CEO"}
	}
	for _, want := range []connector.Status{connector.Created, connector.Unchanged} {
		c, _, _ := indexedClient(t, fake, base, connector.Contact, opt.Match, fields, http.DefaultTransport)
		got, writes := writeAll(t, fake, c, connector.Contact, opt, rows)
		wantWrites := 0
		if want == connector.Created {
			wantWrites = len(rows)
		}
		if got[want] != len(rows) || writes != wantWrites {
			t.Errorf("statuses %v with %d write requests; want all %s with %d", got, writes, want, wantWrites)
		}
	}
	rows[3]["custom.Role"] = "Sales Rep"
	c, _, _ := indexedClient(t, fake, base, connector.Contact, opt.Match, fields, http.DefaultTransport)
	got, writes := writeAll(t, fake, c, connector.Contact, opt, rows)
	if got[connector.Updated] != 1 || writes != 1 {
		t.Errorf("one role changed: %v with %d write requests, want 1 update in 1 request", got, writes)
	}
	roleID, _ := fake.CustomFieldID("contact", "Role")
	for _, ct := range fake.Leads()[0].Contacts {
		if want := map[bool]string{true: "Sales Rep", false: "CEO"}[ct.Emails[0].Email == "p3@acme.test"]; ct.Custom[roleID] != want {
			t.Errorf("contact %s: role %v, want %s", ct.Emails[0].Email, ct.Custom[roleID], want)
		}
	}
}

// A key repeated in the input is created once; later rows find what the
// earlier ones wrote.
func TestIndexRepeatedKey(t *testing.T) {
	fake, base := indexSandbox(t)
	c, _, _ := indexedClient(t, fake, base, connector.Lead, []string{"email"}, leadFields, http.DefaultTransport)
	opt := connector.WriteOptions{Mode: connector.Upsert, Match: []string{"email"}}
	row := leadRows(1)[0]
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
		got, calls := writeAll(t, fake, c, connector.Lead, opt, []mapping.Record{step.rec})
		if got[step.want] != 1 || calls != step.calls {
			t.Errorf("row %d: %v in %d requests, want %s in %d", i, got, calls, step.want, step.calls)
		}
	}
	if leads := fake.Leads(); len(leads) != 1 || leads[0].Contacts[0].Title != "Buyer" {
		t.Errorf("leads = %+v", leads)
	}
}

// What the index cannot decide alone reads the record, or searches, as
// without an index; the outcome is the same.
func TestIndexFallbacks(t *testing.T) {
	fake, base := indexSandbox(t)
	seed, _, _ := indexedClient(t, fake, base, connector.Lead, []string{"email"}, leadFields, http.DefaultTransport)
	opt := connector.WriteOptions{Mode: connector.Upsert, Match: []string{"email"}}
	if got, _ := writeAll(t, fake, seed, connector.Lead, opt, leadRows(3)); got[connector.Created] != 3 {
		t.Fatalf("seeding: %v", got)
	}
	// A second lead holding person00002's email makes that key ambiguous.
	if _, err := fake.AddLead(map[string]any{"name": "Twin", "contacts": []any{
		map[string]any{"emails": []any{map[string]any{"email": "PERSON00002@example.com"}}}}}); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	c, _, _ := indexedClient(t, fake, base, connector.Lead, []string{"email"}, leadFields, rec)
	row := func(i int, edit func(mapping.Record)) mapping.Record {
		r := leadRows(3)[i]
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
		{"phone changes: read, then PUT", row(0, func(r mapping.Record) { r["phone"] = "+16505559999" }), opt,
			connector.Updated, "", []string{"GET /api/v1/lead/lead_", "PUT /api/v1/contact/"}},
		{"field held but blank in the row: read", row(1, func(r mapping.Record) { r["title"] = "" }), opt,
			connector.Unchanged, "", []string{"GET /api/v1/lead/lead_"}},
		{"ambiguous key: the search fails it", row(2, func(mapping.Record) {}), opt,
			"", "ambiguous: 2 leads", []string{"GET /api/v1/lead/?"}},
		{"verify: searched", row(1, func(mapping.Record) {}), connector.WriteOptions{Mode: connector.Upsert, Match: []string{"email"}, Verify: true},
			connector.Unchanged, "", []string{"GET /api/v1/lead/?"}},
		{"field outside the index: searched", row(1, func(r mapping.Record) { r["url"] = "http://x.example" }), opt,
			connector.Updated, "", []string{"GET /api/v1/lead/?", "PUT /api/v1/lead/"}},
		{"update of an unknown key: skipped", mapping.Record{"email": "nobody@example.com", "title": "X"},
			connector.WriteOptions{Mode: connector.Update, Match: []string{"email"}}, connector.Skipped, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			from := len(rec.log())
			res, err := c.Write(context.Background(), connector.Lead, tc.rec, tc.opt)
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
	for _, l := range fake.Leads() {
		if ct := l.Contacts[0]; ct.Emails[0].Email == "person00000@example.com" && ct.Phones[0].Phone != "+16505559999" {
			t.Errorf("person 0's phones = %+v, want the new one first", ct.Phones)
		}
	}
}

// Concurrent writes of different keys share the index safely (run with -race).
func TestIndexConcurrentWrites(t *testing.T) {
	fake, base := indexSandbox(t)
	opt := connector.WriteOptions{Mode: connector.Upsert, Match: []string{"email"}}
	rows := leadRows(120)
	c, _, _ := indexedClient(t, fake, base, connector.Lead, opt.Match, leadFields, http.DefaultTransport)
	if got, _ := writeAll(t, fake, c, connector.Lead, opt, rows[:60]); got[connector.Created] != 60 {
		t.Fatalf("seeding: %v", got)
	}
	c, _, _ = indexedClient(t, fake, base, connector.Lead, opt.Match, leadFields, http.DefaultTransport)
	for i := range 30 {
		rows[i]["title"] = "Manager"
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	counts := map[connector.Status]int{}
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < len(rows); i += 8 {
				res, err := c.Write(context.Background(), connector.Lead, rows[i], opt)
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
	if n := len(fake.Leads()); n != 120 {
		t.Errorf("%d leads, want 120", n)
	}
}

// Without Index, a write searches as it always did.
func TestNoIndexSearches(t *testing.T) {
	fake, base := indexSandbox(t)
	rec := &recorder{}
	conn, _ := New(connector.Config{BaseURL: base, APIKey: sandbox.DefaultKey, HTTP: &http.Client{Transport: rec}})
	c := conn.(*Client)
	if err := c.Prepare(context.Background(), connector.Lead, leadFields); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write(context.Background(), connector.Lead, leadRows(1)[0], connector.WriteOptions{Mode: connector.Upsert, Match: []string{"email"}}); err != nil {
		t.Fatal(err)
	}
	if log := rec.log(); len(log) != 4 || !strings.HasPrefix(log[2], "GET /api/v1/lead/?") || !strings.HasPrefix(log[3], "POST /api/v1/lead/") {
		t.Errorf("requests %q, want Prepare's two, a search and a create", log)
	}
	if n := len(fake.Leads()); n != 1 {
		t.Errorf("%d leads, want 1", n)
	}
}
