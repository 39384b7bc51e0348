package jobs

import (
	"math"
	"sync"
	"time"
)

// Bounds of the automatic worker count.
const (
	minAutoWorkers = 4
	maxAutoWorkers = 64
)

// pool bounds how many rows are in flight. With run.workers set it is that
// many; otherwise it follows the rate times the observed latency of a call
// (Little's law: the calls in flight that keep the bucket busy), with a
// margin, so a slow API gets more workers and a fast one needs few.
type pool struct {
	size  int // goroutines started: the most that can ever be busy
	fixed bool

	mu     sync.Mutex
	cond   *sync.Cond
	active int
	limit  int
	peak   int

	rate  float64 // calls per second across every key
	stats *callStats
}

func (r *Runner) newPool() *pool {
	p := &pool{size: r.Job.Run.Workers, fixed: r.Job.Run.Workers > 0, stats: r.stats}
	if !p.fixed {
		p.size, p.limit = maxAutoWorkers, minAutoWorkers
		for _, s := range r.slots {
			p.rate += float64(s.pacer.max)
		}
	} else {
		p.limit = p.size
	}
	if r.DryRun {
		// No calls: mapping is the work, one worker per core is plenty.
		p.size, p.limit, p.fixed = max(2, min(p.size, 8)), max(2, min(p.size, 8)), true
	}
	p.cond = sync.NewCond(&p.mu)
	return p
}

func (p *pool) acquire() {
	p.mu.Lock()
	for p.active >= p.limit {
		p.cond.Wait()
	}
	p.active++
	p.peak = max(p.peak, p.active)
	p.mu.Unlock()
}

func (p *pool) release() {
	p.mu.Lock()
	p.active--
	if !p.fixed {
		p.limit = autoWorkers(p.rate, p.stats.Latency())
	}
	p.mu.Unlock()
	p.cond.Broadcast()
}

// autoWorkers is 1.5 × rate × latency + 2, within [4, 64].
func autoWorkers(rate float64, latency time.Duration) int {
	n := int(math.Ceil(1.5*rate*latency.Seconds())) + 2
	return min(max(n, minAutoWorkers), maxAutoWorkers)
}
