// Package sandboxtest helps the fakes' tests and benchmarks keep their
// records compact: it measures the heap a fake retains for its records and
// the highest heap in use while they are seeded, saved, loaded or exported,
// and checks that state files written by earlier versions still load.
package sandboxtest

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"
)

// Heap is what a run did to the heap, above what was in use before it.
type Heap struct {
	// Live is the heap still reachable after the run (read after a forced
	// collection): what the run built and kept, such as a fake's records.
	Live int64
	// Peak is the highest heap in use sampled every 10 ms during the run:
	// live data plus garbage not yet collected, so it depends on when the
	// collector ran, and shows transient buffers such as a whole state file.
	Peak int64
}

func (h Heap) String() string {
	return fmt.Sprintf("live %.1f MB, peak in use %.1f MB", float64(h.Live)/1e6, float64(h.Peak)/1e6)
}

// PerRecord is Live divided by n, in bytes.
func (h Heap) PerRecord(n int) float64 { return float64(h.Live) / float64(max(n, 1)) }

// Report adds the figures to a benchmark's output: live and peak MB and
// live bytes per record.
func (h Heap) Report(b *testing.B, n int, prefix string) {
	b.ReportMetric(float64(h.Live)/1e6, prefix+"live-MB")
	b.ReportMetric(float64(h.Peak)/1e6, prefix+"peak-MB")
	b.ReportMetric(h.PerRecord(n), prefix+"live-B/rec")
}

// Measure runs run and reports what it did to the heap. Keep what run
// built reachable after Measure returns (runtime.KeepAlive), or it is not
// counted as live.
func Measure(run func()) Heap {
	base := heapAlloc()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	baseInuse := m.HeapInuse

	var mu sync.Mutex
	var peak uint64
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			mu.Lock()
			peak = max(peak, m.HeapInuse)
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	run()
	close(stop)
	<-done
	live := heapAlloc()
	mu.Lock()
	defer mu.Unlock()
	return Heap{Live: int64(live) - int64(base), Peak: max(0, int64(peak)-int64(baseInuse))}
}

// heapAlloc is the heap reachable now. Two collections: the first may
// leave objects with finalizers and sync.Pool victims for the second.
func heapAlloc() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
