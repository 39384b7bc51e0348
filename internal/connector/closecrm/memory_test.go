package closecrm

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/connector"
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

// heapStats is what a listing did to the heap: the highest heap in use
// sampled every 20 ms (live data plus garbage not collected yet, so it
// depends on when the GC ran) and the most it retained, read after a
// forced collection at every tenth of the records.
type heapStats struct{ peakInuse, retained uint64 }

// measureHeap runs list, which calls its argument after every record, and
// returns what it did to the heap; total is the number of records.
func measureHeap(total int, list func(each func(n int))) heapStats {
	runtime.GC()
	var st heapStats
	var mu sync.Mutex
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			mu.Lock()
			st.peakInuse = max(st.peakInuse, m.HeapInuse)
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	list(func(n int) {
		if n%(total/10) == 0 {
			runtime.GC()
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			mu.Lock()
			st.retained = max(st.retained, m.HeapAlloc)
			mu.Unlock()
		}
	})
	close(stop)
	<-done
	return st
}

func TestListMemory(t *testing.T) {
	if os.Getenv("CRMLOAD_MEMTEST") == "" {
		t.Skip("set CRMLOAD_MEMTEST=1 to list 100k and 1M generated leads and compare the heaps")
	}
	for _, async := range []bool{false, true} {
		var stats []heapStats
		for _, n := range []int{100_000, 1_000_000} {
			// A subtest each, so that its sandbox is gone before the next.
			t.Run(fmt.Sprintf("async=%v/n=%d", async, n), func(t *testing.T) {
				c := generatedClient(t, n, sbclose.DefaultMaxSkip)
				began := time.Now()
				st := measureHeap(n, func(each func(int)) {
					if got := listGenerated(t, c, connector.Lead, async, each); got != n {
						t.Errorf("%d records, want %d", got, n)
					}
				})
				t.Logf("peak HeapInuse %.1f MiB, retained after GC at most %.1f MiB, %v",
					float64(st.peakInuse)/(1<<20), float64(st.retained)/(1<<20), time.Since(began).Round(time.Second))
				stats = append(stats, st)
			})
		}
		if len(stats) != 2 {
			t.FailNow()
		}
		retained := float64(stats[1].retained) / float64(stats[0].retained)
		t.Logf("async=%v: 1M/100k ratios: retained heap %.2f, peak heap in use %.2f", async, retained,
			float64(stats[1].peakInuse)/float64(stats[0].peakInuse))
		// A few MiB retained is noise at this scale (buffers, the HTTP
		// client's pools, GC timing): a leak of even 8 bytes a record would
		// add 7 MiB between 100k and 1M, so growth must pass both bounds.
		grown := stats[1].retained > stats[0].retained+7<<20
		if retained > 1.5 && grown || stats[1].peakInuse > 64<<20 {
			t.Errorf("async=%v: the heap grows with the record count", async)
		}
	}
}
