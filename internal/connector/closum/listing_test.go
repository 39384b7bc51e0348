package closum

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/internal/sandbox"
	closumsb "github.com/crmload/crmload/internal/sandbox/closum"
	"github.com/crmload/crmload/mapping"
)

// Listing against the Closum v2 sandbox: pages newest first, records
// created while listing, failures, Columns, Since.

type listSandbox struct {
	fake *closumsb.Fake
	c    *Client

	mu    sync.Mutex
	clock time.Time
}

func startListSandbox(t *testing.T) *listSandbox {
	t.Helper()
	s := &listSandbox{clock: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	s.fake = closumsb.New(sandbox.Options{APIKey: testKey, Now: s.now})
	srv, err := sandbox.Start(s.fake, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close(); _ = s.fake.Close() })
	s.c = newClient(t, srv.URL+s.fake.BasePath(), nil)
	return s
}

func (s *listSandbox) now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clock = s.clock.Add(time.Second)
	return s.clock
}

// seed creates n leads through the API and returns their ids, oldest first.
func (s *listSandbox) seed(t *testing.T, n int) []string {
	t.Helper()
	var ids []string
	for range n {
		i := len(s.fake.Leads())
		res, err := s.c.Write(context.Background(), connector.Lead, mapping.Record{
			"name": fmt.Sprintf("Lead %d", i), "email": fmt.Sprintf("l%d@example.com", i), "consent_email": "yes",
		}, connector.WriteOptions{Mode: connector.Create})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.ID)
	}
	return ids
}

func listAll(c *Client, obj connector.Object, q connector.Query) ([]mapping.Record, error) {
	var out []mapping.Record
	for rec, err := range c.List(context.Background(), obj, q) {
		if err != nil {
			return out, err
		}
		out = append(out, rec)
	}
	return out, nil
}

func idsOf(recs []mapping.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r[mapping.FieldID]
	}
	return out
}

func TestSandboxListNewestFirst(t *testing.T) {
	s := startListSandbox(t)
	want := s.seed(t, 250)
	slices.Reverse(want)
	recs, err := listAll(s.c, connector.Lead, connector.Query{})
	if err != nil || !slices.Equal(idsOf(recs), want) {
		t.Fatalf("listed %d leads (%v), want %d newest first, none lost or repeated", len(recs), err, len(want))
	}
	contacts, err := listAll(s.c, connector.Contact, connector.Query{})
	if err != nil || len(contacts) != 250 || len(slices.Compact(slices.Sorted(slices.Values(idsOf(contacts))))) != 250 {
		t.Fatalf("listed %d contacts (%v), want 250 distinct", len(contacts), err)
	}

	// Leads created during the listing push older ones onto pages still to
	// come: they must not come twice.
	var got []string
	for rec, err := range s.c.List(context.Background(), connector.Lead, connector.Query{}) {
		if err != nil {
			t.Fatal(err)
		}
		if got = append(got, rec[mapping.FieldID]); len(got) == 100 {
			s.seed(t, 30)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("with 30 leads created while listing: %d listed, want the %d that were there", len(got), len(want))
	}
}

func TestSandboxListFailures(t *testing.T) {
	s := startListSandbox(t)
	s.seed(t, 150)
	var n int
	var failed error
	for _, err := range s.c.List(context.Background(), connector.Lead, connector.Query{}) {
		if err != nil {
			failed = err
			continue
		}
		if n++; n == 100 {
			s.fake.Gate().SetFaults(sandbox.Faults{Error5xx: 1})
		}
	}
	if ce, ok := connector.AsError(failed); !ok || !ce.Retryable || ce.HTTPStatus != http.StatusServiceUnavailable || n != 100 {
		t.Fatalf("after %d leads: %v, want a retryable 503 after the first page", n, failed)
	}
	s.fake.Gate().SetFaults(sandbox.Faults{Error429: 1, Seed: 9})
	waits := 0
	for range 10 {
		_, err := listAll(s.c, connector.Lead, connector.Query{})
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

func TestSandboxColumnsAndSince(t *testing.T) {
	s := startListSandbox(t)
	s.fake.AddField("Alpha", "alpha")
	s.seed(t, 5)
	since := s.now()
	s.seed(t, 3)
	for _, obj := range []connector.Object{connector.Lead, connector.Contact} {
		cols, err := s.c.Columns(context.Background(), obj) // no Prepare
		if err != nil {
			t.Fatal(err)
		}
		recs, err := listAll(s.c, obj, connector.Query{})
		if err != nil || len(recs) != 8 {
			t.Fatalf("%s: %d records, %v", obj, len(recs), err)
		}
		for _, r := range recs {
			if !slices.Equal(r.Keys(), slices.Sorted(slices.Values(cols))) {
				t.Fatalf("%s: record keys %v, columns %v", obj, r.Keys(), cols)
			}
		}
		if cols[0] != "id" || !slices.Equal(cols[len(cols)-2:], []string{"date_created", "date_updated"}) {
			t.Errorf("%s columns = %v", obj, cols)
		}
		if i := slices.Index(cols, "custom.Alpha"); i < 0 || cols[i+1] != "custom.Company Name" {
			t.Errorf("%s columns = %v: custom fields not sorted by label", obj, cols)
		}
		recent, err := listAll(s.c, obj, connector.Query{Since: since})
		if err != nil || len(recent) != 3 {
			t.Errorf("%s since %v: %d records, %v; want the 3 newer", obj, since, len(recent), err)
		}
	}
}
