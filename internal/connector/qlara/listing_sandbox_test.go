package qlara

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/internal/heapmeter"
	"github.com/crmload/crmload/internal/sandbox"
	qsandbox "github.com/crmload/crmload/internal/sandbox/qlara"
	"github.com/crmload/crmload/mapping"
)

// Listing against the Qlara sandbox: pages, failures, Columns, the
// asynchronous export, and (opt-in) memory at a million contacts:
//
//	CRMLOAD_MEMTEST=1 go test -run TestListMemory -v -timeout 60m ./internal/connector/qlara/

// sandboxLister is the sandbox, a connector on it and the paths it got.
type sandboxLister struct {
	fake *qsandbox.Fake
	c    *Connector

	mu    sync.Mutex
	paths []string
}

func startLister(t testing.TB) *sandboxLister {
	t.Helper()
	s := &sandboxLister{fake: qsandbox.New(sandbox.Options{})}
	t.Cleanup(func() { _ = s.fake.Close() })
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.paths = append(s.paths, r.Method+" "+r.URL.Path)
		s.mu.Unlock()
		s.fake.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	c, err := newConnector(connector.Config{BaseURL: srv.URL + s.fake.BasePath(), APIKey: sandbox.DefaultKey, HTTP: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	c.poll = time.Millisecond
	s.c = c
	return s
}

func (s *sandboxLister) count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, p := range s.paths {
		if p == path {
			n++
		}
	}
	return n
}

// seedContacts stores n contacts and returns their ids in id order.
func (s *sandboxLister) seedContacts(t *testing.T, n int) []string {
	t.Helper()
	var ids []string
	for i := range n {
		name, email := fmt.Sprintf("Person %d", n-i), fmt.Sprintf("p%d@example.com", i) // names sort against ids
		c, err := s.fake.SeedContact(qsandbox.ContactFields{FullName: &name, EmailAddresses: []string{email}, MainEmail: &email})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, strconv.FormatInt(c.ID, 10))
	}
	return ids
}

func collectAll(c *Connector, q connector.Query) ([]mapping.Record, error) {
	var out []mapping.Record
	for rec, err := range c.List(context.Background(), connector.Contact, q) {
		if err != nil {
			return out, err
		}
		out = append(out, rec)
	}
	return out, nil
}

func ids(recs []mapping.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r[mapping.FieldID]
	}
	return out
}

func TestSandboxListPagesAndFailures(t *testing.T) {
	s := startLister(t)
	want := s.seedContacts(t, 2300)
	recs, err := collectAll(s.c, connector.Query{})
	if err != nil || !slices.Equal(ids(recs), want) {
		t.Fatalf("listed %d contacts (%v), want %d in id order, none lost or repeated", len(recs), err, len(want))
	}
	if n := s.count("GET /api/partner-gateway/v1/contacts"); n != 3 {
		t.Errorf("%d page calls, want 3 (limit 1000)", n)
	}

	// A page that fails: an error the caller retries by listing again.
	var got []string
	var failed error
	for rec, err := range s.c.List(context.Background(), connector.Contact, connector.Query{}) {
		if err != nil {
			failed = err
			continue
		}
		if got = append(got, rec[mapping.FieldID]); len(got) == 1000 {
			s.fake.Gate().SetFaults(sandbox.Faults{Error5xx: 1})
		}
	}
	if ce, ok := connector.AsError(failed); !ok || !ce.Retryable || ce.HTTPStatus != http.StatusServiceUnavailable || len(got) != 1000 {
		t.Fatalf("after %d contacts: %v, want a retryable 503 after the first page", len(got), failed)
	}
	s.fake.Gate().SetFaults(sandbox.Faults{Error429: 1, Seed: 5})
	waits := 0
	for range 10 {
		_, err := collectAll(s.c, connector.Query{})
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

func TestSandboxColumnsAndExport(t *testing.T) {
	s := startLister(t)
	s.seedContacts(t, 30)
	tags := "b2b"
	phone := "+393331234567"
	if _, err := s.fake.SeedContact(qsandbox.ContactFields{PhoneNumbers: []string{phone, "+393337654321"},
		Tags: []string{tags, "vip"}, CustomField2: &tags}); err != nil {
		t.Fatal(err)
	}
	cols, err := s.c.Columns(context.Background(), connector.Contact)
	if err != nil {
		t.Fatal(err)
	}
	if cols[0] != "id" || !slices.Equal(cols[len(cols)-2:], []string{"date_created", "date_updated"}) ||
		len(slices.Compact(slices.Sorted(slices.Values(cols)))) != len(cols) {
		t.Errorf("columns = %v: want id first, dates last, no repeats", cols)
	}
	paged, err := collectAll(s.c, connector.Query{})
	if err != nil {
		t.Fatal(err)
	}
	exported, err := collectAll(s.c, connector.Query{Async: true})
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	if len(exported) != 31 || fmt.Sprint(exported) != fmt.Sprint(paged) {
		t.Errorf("the export gave %d records unlike the pages:\n%v\n%v", len(exported), exported[len(exported)-1], paged[len(paged)-1])
	}
	for _, r := range exported {
		if keys := r.Keys(); !slices.Equal(keys, slices.Sorted(slices.Values(cols))) {
			t.Fatalf("record keys %v, columns %v", keys, cols)
		}
	}
	if last := exported[30]; last["phone"] != phone || last["tags"] != "b2b, vip" || last["customField2"] != "b2b" {
		t.Errorf("exported contact = %v", last)
	}
	if n := s.count("POST /api/partner-gateway/v1/exports/contacts"); n != 1 {
		t.Errorf("%d exports queued, want 1", n)
	}
	// Since: Qlara has no date filter; the contacts' day decides.
	recs, err := collectAll(s.c, connector.Query{Async: true, Since: time.Now().AddDate(0, 0, 2)})
	if err != nil || len(recs) != 0 {
		t.Errorf("since the day after tomorrow: %d records, %v", len(recs), err)
	}
}

// listGenerated lists and checks each contact is the next generated one;
// it calls each (when not nil) with the count so far after every contact
// and returns how many came.
func listGenerated(t testing.TB, c *Connector, async bool, each func(n int)) int {
	t.Helper()
	n := 0
	for rec, err := range c.List(context.Background(), connector.Contact, connector.Query{Async: async}) {
		if err != nil {
			t.Fatalf("after %d contacts: %v", n, err)
		}
		if want := strconv.Itoa(100001 + n); rec[mapping.FieldID] != want {
			t.Fatalf("contact %d is %s, want %s (lost or repeated)", n, rec[mapping.FieldID], want)
		}
		n++
		if each != nil {
			each(n)
		}
	}
	return n
}

func TestSandboxListGenerated(t *testing.T) {
	s := startLister(t)
	s.fake.SetGenerated(2100)
	for _, async := range []bool{false, true} {
		if n := listGenerated(t, s.c, async, nil); n != 2100 {
			t.Errorf("async %v: %d contacts, want 2100", async, n)
		}
	}
}

func TestListMemory(t *testing.T) {
	if os.Getenv("CRMLOAD_MEMTEST") == "" {
		t.Skip("set CRMLOAD_MEMTEST=1 to list 100k and 1M generated contacts and compare the heaps")
	}
	for _, async := range []bool{false, true} {
		var stats []heapmeter.Stats
		for _, n := range []int{100_000, 1_000_000} {
			// A subtest each, so that its sandbox is gone before the next.
			t.Run(fmt.Sprintf("async=%v/n=%d", async, n), func(t *testing.T) {
				s := startLister(t)
				s.fake.SetGenerated(n)
				began := time.Now()
				st := heapmeter.Measure(n, func(each func(int)) {
					if got := listGenerated(t, s.c, async, each); got != n {
						t.Errorf("%d contacts, want %d", got, n)
					}
				})
				t.Logf("%v, %v", st, time.Since(began).Round(time.Second))
				stats = append(stats, st)
			})
		}
		if len(stats) != 2 {
			t.FailNow()
		}
		ok, ratios := heapmeter.Flat(stats[0], stats[1])
		t.Logf("async=%v: 1M/100k %s", async, ratios)
		if !ok {
			t.Errorf("async=%v: the heap grows with the record count", async)
		}
	}
}
