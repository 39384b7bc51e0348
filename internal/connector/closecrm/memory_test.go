package closecrm

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/internal/heapmeter"
	"github.com/crmload/crmload/internal/sandbox"
	sbclose "github.com/crmload/crmload/internal/sandbox/closecrm"
	"github.com/crmload/crmload/mapping"
)

// Listing at scale: generated leads, computed by the sandbox from their
// index, listed through the connector while the heap is sampled. Every
// record is checked against its index, so nothing is stored to verify that
// none was lost or repeated.
//
// The default run lists a few thousand leads. The memory comparison is
// opt-in, as it takes minutes:
//
//	CRMLOAD_MEMTEST=1 go test -run TestListMemory -v -timeout 60m ./internal/connector/closecrm/

// generatedClient starts a sandbox serving n generated leads with the given
// _skip cap and returns a connector on it.
func generatedClient(t testing.TB, n, maxSkip int) *Client {
	t.Helper()
	fake := sbclose.New(sandbox.Options{})
	t.Cleanup(func() { _ = fake.Close() })
	fake.SetGenerated(n)
	fake.SetMaxSkip(maxSkip)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	c, err := New(connector.Config{BaseURL: srv.URL + fake.BasePath(), APIKey: sandbox.DefaultKey, HTTP: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	c.(*Client).poll = time.Millisecond
	return c.(*Client)
}

// listGenerated lists obj and checks each record is the next generated one;
// it calls each (when not nil) with the count so far after every record and
// returns how many came.
func listGenerated(t testing.TB, c *Client, obj connector.Object, async bool, each func(n int)) int {
	t.Helper()
	prefix := "lead_"
	if obj == connector.Contact {
		prefix = "cont_"
	}
	n := 0
	for rec, err := range c.List(context.Background(), obj, connector.Query{Async: async}) {
		if err != nil {
			t.Fatalf("after %d records: %v", n, err)
		}
		if want := fmt.Sprintf("%s%043d", prefix, n); rec[mapping.FieldID] != want {
			t.Fatalf("record %d is %s, want %s (lost or repeated records)", n, rec[mapping.FieldID], want)
		}
		n++
		if each != nil {
			each(n)
		}
	}
	return n
}

func TestListGenerated(t *testing.T) {
	const n = 1200
	c := generatedClient(t, n, 300) // a new window every 400 leads
	for _, tt := range []struct {
		obj   connector.Object
		async bool
	}{{connector.Lead, false}, {connector.Contact, false}, {connector.Lead, true}} {
		if got := listGenerated(t, c, tt.obj, tt.async, nil); got != n {
			t.Errorf("%s (async %v): %d records, want %d", tt.obj, tt.async, got, n)
		}
	}
}

func TestListMemory(t *testing.T) {
	if os.Getenv("CRMLOAD_MEMTEST") == "" {
		t.Skip("set CRMLOAD_MEMTEST=1 to list 100k and 1M generated leads and compare the heaps")
	}
	for _, async := range []bool{false, true} {
		var stats []heapmeter.Stats
		for _, n := range []int{100_000, 1_000_000} {
			// A subtest each, so that its sandbox is gone before the next.
			t.Run(fmt.Sprintf("async=%v/n=%d", async, n), func(t *testing.T) {
				c := generatedClient(t, n, sbclose.DefaultMaxSkip)
				began := time.Now()
				st := heapmeter.Measure(n, func(each func(int)) {
					if got := listGenerated(t, c, connector.Lead, async, each); got != n {
						t.Errorf("%d records, want %d", got, n)
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
