package closumv1

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/internal/heapmeter"
	"github.com/crmload/crmload/internal/sandbox"
	v1sb "github.com/crmload/crmload/internal/sandbox/closumv1"
	"github.com/crmload/crmload/mapping"
)

// indexRows is how many rows the request-count tests import; the report's
// figures come from -index-rows=2000.
var indexRows = flag.Int("index-rows", 100, "rows imported by the index request-count tests")

// indexSandbox serves the Closum v1 sandbox and returns it with its API root.
func indexSandbox(t testing.TB) (*v1sb.Fake, string) {
	t.Helper()
	fake := v1sb.New(sandbox.Options{Username: testUser, Password: testPW})
	srv, err := sandbox.Start(fake, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close(); _ = fake.Close() })
	return fake, srv.URL + fake.BasePath()
}

// indexedClient is a new connector on base, prepared and indexed as the
// runner does it; it returns the requests Index made and IndexCost's estimate.
func indexedClient(t testing.TB, fake *v1sb.Fake, base string, rt http.RoundTripper) (c *Client, calls, cost int) {
	t.Helper()
	ctx := context.Background()
	conn, err := New(connector.Config{BaseURL: base, Username: testUser, Password: testPW,
		HTTP: &http.Client{Transport: rt, Timeout: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	c = conn.(*Client)
	if err := c.Prepare(ctx, connector.Lead, leadFields); err != nil {
		t.Fatal(err)
	}
	if cost, err = c.IndexCost(ctx, connector.Lead); err != nil {
		t.Fatal(err)
	}
	before, _, _ := fake.Gate().Stats()
	if err := c.Index(ctx, connector.Lead, []string{"email"}, leadFields); err != nil {
		t.Fatalf("Index: %v", err)
	}
	after, _, _ := fake.Gate().Stats()
	return c, after - before, cost
}

var leadFields = []string{"first_name", "last_name", "email", "phone"}

func leadRows(n int) []mapping.Record {
	rows := make([]mapping.Record, n)
	for i := range rows {
		rows[i] = mapping.Record{"first_name": "Person", "last_name": fmt.Sprint(i),
			"email": fmt.Sprintf("person%05d@example.com", i), "phone": fmt.Sprintf("+351 91%07d", i)}
	}
	return rows
}

// writeAll writes rows with 4 workers (rows have distinct keys) and
// returns how many ended in each status and the requests they made.
func writeAll(t testing.TB, fake *v1sb.Fake, c *Client, rows []mapping.Record) (map[connector.Status]int, int) {
	t.Helper()
	before, _, _ := fake.Gate().Stats()
	var mu sync.Mutex
	counts := map[connector.Status]int{}
	work := make(chan mapping.Record)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for rec := range work {
				res, err := c.Write(context.Background(), connector.Lead, rec, upsertBy("email"))
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

// An import's cost with the index: the listing plus one call per new
// record, none for a record found. Closum v1 cannot update a lead: a
// changed name is reported unchanged with a note, at no cost; a changed
// phone costs a read (the list shows no phone object ids) and its PUT.
func TestIndexRequestsPerRow(t *testing.T) {
	n := *indexRows
	fake, base := indexSandbox(t)
	rows := leadRows(n)
	changed := leadRows(n)
	for i := range changed {
		switch i % 20 {
		case 0:
			changed[i]["last_name"] = "Changed" // cannot be updated: a note
		case 10:
			changed[i]["phone"] = fmt.Sprintf("+351 92%07d", i) // the phone object's PUT
		}
	}
	for _, tc := range []struct {
		name   string
		rows   []mapping.Record
		want   map[connector.Status]int
		writes int
	}{
		{"first import, empty target", rows, map[connector.Status]int{connector.Created: n}, n},
		{"same rows again", rows, map[connector.Status]int{connector.Unchanged: n}, 0},
		{"10% changed", changed, map[connector.Status]int{connector.Updated: n / 20, connector.Unchanged: n - n/20}, 2 * (n / 20)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, listing, cost := indexedClient(t, fake, base, http.DefaultTransport)
			if listing != cost {
				t.Errorf("Index made %d calls, IndexCost said %d", listing, cost)
			}
			got, writes := writeAll(t, fake, c, tc.rows)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) || writes != tc.writes {
				t.Errorf("statuses %v with %d write requests; want %v with %d", got, writes, tc.want, tc.writes)
			}
			t.Logf("%d rows: %d listing + %d write requests = %.3f requests/row",
				n, listing, writes, float64(listing+writes)/float64(n))
		})
	}
	if got := len(fake.Leads()); got != n {
		t.Errorf("%d leads, want %d", got, n)
	}
}

// A key repeated in the input is created once; later rows find it.
func TestIndexRepeatedKey(t *testing.T) {
	fake, base := indexSandbox(t)
	c, _, _ := indexedClient(t, fake, base, http.DefaultTransport)
	row := leadRows(1)[0]
	moved := mapping.Record{"email": row["email"], "phone": "+351 920000001"}
	for i, step := range []struct {
		rec   mapping.Record
		want  connector.Status
		calls int
	}{
		{row, connector.Created, 1},
		{row, connector.Unchanged, 0},
		{moved, connector.Updated, 2}, // the lead's view for the phone's id, then its PUT
		{moved, connector.Unchanged, 0},
	} {
		got, calls := writeAll(t, fake, c, []mapping.Record{step.rec})
		if got[step.want] != 1 || calls != step.calls {
			t.Errorf("row %d: %v in %d requests, want %s in %d", i, got, calls, step.want, step.calls)
		}
	}
	if leads := fake.Leads(); len(leads) != 1 || leads[0].PhoneNumber != "920000001" {
		t.Errorf("leads = %+v", leads)
	}
}

// A verified create looks past the index for a record created since it
// was read, and finds it rather than creating it again.
func TestIndexVerifiedCreate(t *testing.T) {
	fake, base := indexSandbox(t)
	c, _, _ := indexedClient(t, fake, base, http.DefaultTransport)
	other, _, _ := indexedClient(t, fake, base, http.DefaultTransport)
	late := leadRows(1)[0]
	res, err := other.Write(context.Background(), connector.Lead, late, upsertBy("email"))
	if err != nil || res.Status != connector.Created {
		t.Fatalf("created elsewhere: %+v, %v", res, err)
	}
	got, err := c.Write(context.Background(), connector.Lead, late,
		connector.WriteOptions{Mode: connector.Upsert, Match: []string{"email"}, Verify: true})
	if err != nil || got.ID != res.ID {
		t.Errorf("verified write = %+v, %v; want %s found", got, err, res.ID)
	}
	if n := len(fake.Leads()); n != 1 {
		t.Errorf("%d leads, want 1", n)
	}
}

// Concurrent writes of different keys share the index safely (run with -race).
func TestIndexConcurrentWrites(t *testing.T) {
	fake, base := indexSandbox(t)
	rows := leadRows(120)
	c, _, _ := indexedClient(t, fake, base, http.DefaultTransport)
	if got, _ := writeAll(t, fake, c, rows[:60]); got[connector.Created] != 60 {
		t.Fatalf("seeding: %v", got)
	}
	c, _, _ = indexedClient(t, fake, base, http.DefaultTransport)
	for i := range 30 {
		rows[i]["phone"] = fmt.Sprintf("+351 93%07d", i)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	counts := map[connector.Status]int{}
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < len(rows); i += 8 {
				res, err := c.Write(context.Background(), connector.Lead, rows[i], upsertBy("email"))
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

// The compact form decides as the values would: each case lists the
// fields that differ between what Closum holds and what the row gives.
func TestDifferencesOnDigests(t *testing.T) {
	c := &Client{region: "PT"}
	x := newKeyIndex()
	stored := entry{id: "7", name: "Ana  Maria Silva", email: "Ana@Example.com", phone: "912345678", phoneExt: "351",
		cityID: "40", contactType: "2", customData: `{"Source":"Fair","Score":5}`,
		optIn: &optInRead{Email: flexBool{Set: true, Value: true}}}
	bare := entry{id: "8", phone: "912345678"} // no country: matched by its digits
	yes, no := true, false
	for _, tc := range []struct {
		name string
		e    entry
		in   input
		want []string
	}{
		{"same, written differently", stored, input{name: "ana maria  SILVA", email: " ana@example.COM", phone: "+351 912 345 678",
			cityID: 40, contactType: 2, customData: `{"Score": 5}`, consentEmail: &yes, consentSMS: &no}, nil},
		{"name", stored, input{name: "Ana Silva"}, []string{"name"}},
		{"email", stored, input{email: "ana@example.org"}, []string{"email"}},
		{"phone", stored, input{phone: "+351 912 345 679"}, []string{"phone"}},
		{"phone with its extension", stored, input{phone: "912345678", phoneExt: "00351"}, nil},
		{"city and contact type", stored, input{cityID: 41, cityField: "city", contactType: 3}, []string{"city", "contact_type_id"}},
		{"custom value", stored, input{custom: map[string]string{"Source": "Web"}}, []string{"custom_data"}},
		{"custom key absent", stored, input{custom: map[string]string{"Owner": "x"}}, []string{"custom_data"}},
		{"custom as the same JSON array", entry{customData: `[1, 2]`}, input{customData: `[1,2]`}, nil},
		{"custom object against none", entry{}, input{customData: `{"a":1}`}, []string{"custom_data"}},
		{"consent", stored, input{consentEmail: &no, consentSMS: &yes}, []string{"consent_email"}},
		{"national digits of an international number", bare, input{phone: "+351912345678"}, nil},
		{"no phone held", entry{}, input{phone: "+351912345678"}, []string{"phone"}},
	} {
		if got := c.differences(x, c.compact(x, tc.e), tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("%s: differences %v, want %v", tc.name, got, tc.want)
		}
	}
}

// The index costs well under 200 bytes a record (1M records ≤ 200 MB).
func TestIndexBytesPerRecord(t *testing.T) {
	n := 5_000
	if os.Getenv("CRMLOAD_MEMTEST") != "" {
		n = 1_000_000
	}
	c := &Client{region: "PT", index: map[connector.Object]*keyIndex{connector.Lead: newKeyIndex()}}
	for i := range n {
		p := person{ID: flexString(fmt.Sprint(i + 1)), Name: fmt.Sprintf("Person %d", i), CityID: "40",
			Email: &emailObj{Email: flexString(fmt.Sprintf("person%07d@example.com", i))},
			Phone: &phoneObj{Extension: "351", Number: flexString(fmt.Sprintf("91%07d", i))}}
		c.remember(connector.Lead, entryOf(p), noRec, true)
	}
	x := c.index[connector.Lead]
	x.trim()
	if hits := x.find([][]string{{"email:person0000042@example.com"}}); len(hits) != 1 || hits[0].id != "43" {
		t.Fatalf("find after build = %+v", hits)
	}
	c.index = nil
	size := heapmeter.Held(func() { runtime.KeepAlive(x) })
	per := float64(size) / float64(n)
	t.Logf("index of %d leads: %.0f bytes/lead (%.1f MB)", n, per, float64(size)/1e6)
	if per > 200 || per < 32 { // under 32, the index was not what was freed
		t.Errorf("%.0f bytes/lead, budget 200", per)
	}
}
