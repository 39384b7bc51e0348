package closecrm

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/internal/sandbox"
	sbclose "github.com/crmload/crmload/internal/sandbox/closecrm"
	"github.com/crmload/crmload/mapping"
)

// Listing against the Close sandbox: pages, date windows past the _skip
// cap, the asynchronous export, Columns.

// listEnv is a sandbox, a connector on it and the lead-list queries it got.
type listEnv struct {
	fake *sbclose.Fake
	c    *Client

	mu       sync.Mutex
	requests []url.Values // query strings of GET /lead/
	clock    time.Time    // the sandbox's clock, moved by tick
}

func startListing(t *testing.T, options map[string]string) *listEnv {
	t.Helper()
	e := &listEnv{clock: time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)}
	e.fake = sbclose.New(sandbox.Options{Now: e.now})
	t.Cleanup(func() { _ = e.fake.Close() })
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/lead/") {
			e.mu.Lock()
			e.requests = append(e.requests, r.URL.Query())
			e.mu.Unlock()
		}
		e.fake.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	c, err := New(connector.Config{BaseURL: srv.URL + e.fake.BasePath(), APIKey: sandbox.DefaultKey,
		HTTP: srv.Client(), Options: options})
	if err != nil {
		t.Fatal(err)
	}
	e.c = c.(*Client)
	e.c.poll = time.Millisecond
	return e
}

func (e *listEnv) now() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.clock
}

func (e *listEnv) tick(d time.Duration) {
	e.mu.Lock()
	e.clock = e.clock.Add(d)
	e.mu.Unlock()
}

func (e *listEnv) queries() []url.Values {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.requests)
}

// seed stores n leads, each with one contact, the clock moving by step
// after each; it returns their ids in creation order.
func (e *listEnv) seed(t *testing.T, n int, step time.Duration) []string {
	t.Helper()
	var ids []string
	for range n {
		i := len(e.fake.Leads())
		l, err := e.fake.AddLead(map[string]any{"name": fmt.Sprintf("Lead %04d", i),
			"contacts": []any{map[string]any{"name": fmt.Sprintf("Person %04d", i),
				"emails": []any{map[string]any{"email": fmt.Sprintf("p%04d@example.com", i)}}}}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, l.ID)
		e.tick(step)
	}
	return ids
}

// list collects what List yields: records until the first error.
func list(c *Client, obj connector.Object, q connector.Query) ([]mapping.Record, error) {
	var out []mapping.Record
	for rec, err := range c.List(context.Background(), obj, q) {
		if err != nil {
			return out, err
		}
		out = append(out, rec)
	}
	return out, nil
}

func recordIDs(recs []mapping.Record) []string {
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r[mapping.FieldID]
	}
	return ids
}

// seedWithTies stores 330 leads whose creation times hold long runs of
// equal seconds and equal instants (at most 90 a second, so a window of
// one page can pass them), straddling page and window edges.
func (e *listEnv) seedWithTies(t *testing.T) []string {
	t.Helper()
	var ids []string
	ids = append(ids, e.seed(t, 60, 0)...) // 60 at one instant
	e.tick(time.Second)
	ids = append(ids, e.seed(t, 70, 13*time.Millisecond)...) // 70 in one second
	e.tick(time.Second)
	ids = append(ids, e.seed(t, 90, 0)...) // 90 at one instant, across a page edge
	ids = append(ids, e.seed(t, 110, 300*time.Millisecond)...)
	return ids
}

func TestListPastTheSkipCap(t *testing.T) {
	// A second spanning three pages: the ids of its first page are older
	// than the two pages List remembers, and must still not come twice.
	wideSecond := func(e *listEnv, t *testing.T) []string {
		ids := e.seed(t, 50, 400*time.Millisecond)
		ids = append(ids, e.seed(t, 250, 0)...)
		return append(ids, e.seed(t, 50, 400*time.Millisecond)...)
	}
	tests := []struct {
		name    string
		cap     int
		options map[string]string
		seed    func(*listEnv, *testing.T) []string
		refused int // 400s expected: the cap learnt once, or known up front
	}{
		{"cap learnt from the 400", 50, nil, (*listEnv).seedWithTies, 1},
		{"cap given as an option", 50, map[string]string{"max_skip": "50"}, (*listEnv).seedWithTies, 0},
		{"one second over three pages", 200, nil, wideSecond, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := startListing(t, tt.options)
			e.fake.SetMaxSkip(tt.cap)
			want := tt.seed(e, t)
			recs, err := list(e.c, connector.Lead, connector.Query{})
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			if got := recordIDs(recs); !slices.Equal(got, want) {
				t.Fatalf("listed %d leads, want %d in creation order, none lost or repeated", len(got), len(want))
			}
			windows, refused := 0, 0
			for _, q := range e.queries() {
				if strings.HasPrefix(q.Get("query"), "created >= ") {
					windows++
				}
				if skip, _ := strconv.Atoi(q.Get("_skip")); skip > tt.cap {
					refused++
				}
			}
			if windows < 2 || refused != tt.refused {
				t.Errorf("%d windowed queries and %d refused pages; want windows and %d refused", windows, refused, tt.refused)
			}
		})
	}
}

func TestListContactsPastTheSkipCap(t *testing.T) {
	e := startListing(t, map[string]string{"max_skip": "100"})
	e.fake.SetMaxSkip(100)
	e.seedWithTies(t)
	var want []string
	for _, c := range e.fake.Contacts() {
		want = append(want, c.ID)
	}
	recs, err := list(e.c, connector.Contact, connector.Query{})
	if err != nil || !slices.Equal(recordIDs(recs), want) {
		t.Fatalf("listed %d contacts (%v), want %d", len(recs), err, len(want))
	}
}

// More leads in one second than a window can page through: an error, not a
// silent stop.
func TestListTooManyInOneSecond(t *testing.T) {
	e := startListing(t, nil)
	e.fake.SetMaxSkip(50)
	e.seed(t, 130, time.Millisecond)
	recs, err := list(e.c, connector.Lead, connector.Query{})
	if ce, ok := connector.AsError(err); !ok || !strings.Contains(ce.Message, "second") {
		t.Fatalf("err = %v, want an error naming the crowded second", err)
	}
	if len(recs) != 100 || len(slices.Compact(slices.Sorted(slices.Values(recordIDs(recs))))) != 100 {
		t.Errorf("%d records before the error, want the first 100 once each", len(recs))
	}
}

func TestListFailedPageAndRateLimit(t *testing.T) {
	e := startListing(t, nil)
	want := e.seed(t, 250, time.Second)
	var got []string
	var failed error
	for rec, err := range e.c.List(context.Background(), connector.Lead, connector.Query{}) {
		if err != nil {
			failed = err
			continue
		}
		if got = append(got, rec[mapping.FieldID]); len(got) == 100 {
			e.fake.SetFaults(sandbox.Faults{Error5xx: 1})
		}
	}
	ce, ok := connector.AsError(failed)
	if !ok || ce.HTTPStatus != http.StatusServiceUnavailable || !ce.Retryable || len(got) != 100 {
		t.Fatalf("after %d records: err %v, want a retryable 503 after the first page", len(got), failed)
	}
	// The caller lists again once the API is back.
	e.fake.SetFaults(sandbox.Faults{})
	recs, err := list(e.c, connector.Lead, connector.Query{})
	if err != nil || !slices.Equal(recordIDs(recs), want) {
		t.Fatalf("second List: %d records, %v", len(recs), err)
	}

	e.fake.SetFaults(sandbox.Faults{Error429: 1, Seed: 3})
	waits := 0
	for range 10 {
		_, err := list(e.c, connector.Lead, connector.Query{})
		ce, ok := connector.AsError(err)
		if !ok || ce.HTTPStatus != http.StatusTooManyRequests || !ce.Retryable {
			t.Fatalf("err = %v, want a retryable 429", err)
		}
		if ce.RetryAfter > 0 {
			waits++
		}
	}
	if waits == 0 {
		t.Error("no 429 during List carried a RetryAfter")
	}
}

func TestColumnsMatchList(t *testing.T) {
	e := startListing(t, nil)
	e.fake.AddCustomField("lead", "Budget", "number")
	e.fake.AddCustomField("contact", "alpha", "text")
	e.seed(t, 3, time.Second)
	for _, obj := range []connector.Object{connector.Lead, connector.Contact} {
		cols, err := e.c.Columns(context.Background(), obj) // no Prepare
		if err != nil {
			t.Fatal(err)
		}
		recs, err := list(e.c, obj, connector.Query{})
		if err != nil || len(recs) != 3 {
			t.Fatalf("%s: %d records, %v", obj, len(recs), err)
		}
		for _, r := range recs {
			if keys := r.Keys(); !slices.Equal(keys, slices.Sorted(slices.Values(cols))) {
				t.Fatalf("%s: record keys %v, columns %v", obj, keys, cols)
			}
		}
		if cols[0] != "id" || !slices.Equal(cols[len(cols)-2:], []string{"date_created", "date_updated"}) {
			t.Errorf("%s columns = %v: want id first, dates last", obj, cols)
		}
		var custom []string
		for _, c := range cols {
			if name, ok := strings.CutPrefix(c, mapping.CustomPrefix); ok {
				custom = append(custom, name)
			}
		}
		want := map[connector.Object]string{connector.Lead: "Budget Industry Lead Source", connector.Contact: "alpha Birthday Role"}
		if strings.Join(custom, " ") != want[obj] {
			t.Errorf("%s custom columns %v, want %s (by name)", obj, custom, want[obj])
		}
	}
}

func TestListAsyncExport(t *testing.T) {
	e := startListing(t, nil)
	e.seed(t, 40, time.Second)
	for _, obj := range []connector.Object{connector.Lead, connector.Contact} {
		paged, err := list(e.c, obj, connector.Query{})
		if err != nil {
			t.Fatal(err)
		}
		exported, err := list(e.c, obj, connector.Query{Async: true})
		if err != nil {
			t.Fatalf("%s export: %v", obj, err)
		}
		if len(exported) != 40 || fmt.Sprint(exported) != fmt.Sprint(paged) {
			t.Errorf("%s: the export gave %d records, not the %d List pages give", obj, len(exported), len(paged))
		}
	}

	// Since: only the leads changed after it, through the export's query.
	since := e.now()
	e.tick(time.Second)
	if _, err := e.fake.AddLead(map[string]any{"name": "New"}); err != nil {
		t.Fatal(err)
	}
	recs, err := list(e.c, connector.Lead, connector.Query{Since: since, Async: true})
	if err != nil || len(recs) != 1 || recs[0]["company"] != "New" {
		t.Errorf("since %v: %v, %v; want only the new lead", since, recs, err)
	}
}
