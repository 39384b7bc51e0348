// Package heapmeter measures what a streaming loop does to the heap, for
// the memory tests that show a listing stays flat however many records it
// yields (100k against 1M in one run).
package heapmeter

import (
	"fmt"
	"runtime"
	"sync"
	"time"
)

// Stats is what a loop did to the heap: the highest heap in use sampled
// every 20 ms (live data plus garbage not collected yet, so it depends on
// when the GC ran) and the most it retained, read after a forced
// collection at every tenth of the records.
type Stats struct{ PeakInuse, Retained uint64 }

func (s Stats) String() string {
	return fmt.Sprintf("peak HeapInuse %.1f MiB, retained after GC at most %.1f MiB",
		float64(s.PeakInuse)/(1<<20), float64(s.Retained)/(1<<20))
}

// Measure runs loop, which calls its argument after every record with the
// count so far, and returns what it did to the heap; total is the number of
// records it will yield.
func Measure(total int, loop func(each func(n int))) Stats {
	runtime.GC()
	var st Stats
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
			st.PeakInuse = max(st.PeakInuse, m.HeapInuse)
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	step := max(total/10, 1)
	loop(func(n int) {
		if n%step == 0 {
			runtime.GC()
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			mu.Lock()
			st.Retained = max(st.Retained, m.HeapAlloc)
			mu.Unlock()
		}
	})
	close(stop)
	<-done
	return st
}

// Flat compares a small run with a ten times larger one and reports
// whether the heap stayed flat, with the ratios for the log. A few MiB
// retained is noise at this scale (buffers, the HTTP client's pools, GC
// timing); a leak of even 8 bytes a record adds 7 MiB between 100k and 1M,
// so growth must pass both the ratio and that bound to count.
func Flat(small, large Stats) (ok bool, ratios string) {
	retained := float64(large.Retained) / float64(small.Retained)
	ratios = fmt.Sprintf("large/small ratios: retained heap %.2f, peak heap in use %.2f",
		retained, float64(large.PeakInuse)/float64(small.PeakInuse))
	grown := large.Retained > small.Retained+7<<20
	return !(retained > 1.5 && grown || large.PeakInuse > 64<<20), ratios
}

// Held returns the heap a structure holds: measured while it is live, then
// again after drop lets it go (drop must clear the last reference). A GC
// runs before each reading, so only live objects count.
func Held(drop func()) uint64 {
	var with, without runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&with)
	drop()
	runtime.GC()
	runtime.ReadMemStats(&without)
	if without.HeapAlloc > with.HeapAlloc {
		return 0
	}
	return with.HeapAlloc - without.HeapAlloc
}
