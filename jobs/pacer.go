package jobs

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// pacer paces every call to one target: a token bucket shared by all
// workers, plus a pause gate for server push-back. A 429 or a rate-limit
// header with nothing remaining pauses every worker until the server's
// reset, and halves the bucket's rate (AIMD); successes win it back slowly.
//
// The gate is separate from the limiter because rate.Limiter cannot be
// paused: SetLimit(0) strands waiters, and reservations already made keep
// the old rate (see shared/LIBRARIES.md).
type pacer struct {
	lim   *rate.Limiter
	max   rate.Limit
	burst int
	floor rate.Limit

	mu    sync.Mutex
	until time.Time // no call starts before this
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

func newPacer(perSecond float64, burst int) *pacer {
	max := rate.Limit(perSecond)
	return &pacer{
		lim:   rate.NewLimiter(max, burst),
		max:   max,
		burst: burst,
		floor: max / 16,
		now:   time.Now,
		sleep: sleepCtx,
	}
}

// Wait blocks until a call may start: after any pause, then a token.
func (p *pacer) Wait(ctx context.Context) error {
	for {
		p.mu.Lock()
		d := p.until.Sub(p.now())
		p.mu.Unlock()
		if d <= 0 {
			break
		}
		if err := p.sleep(ctx, d); err != nil {
			return err
		}
	}
	if err := p.lim.Wait(ctx); err != nil {
		return err
	}
	// A pause may have begun while we waited for the token.
	p.mu.Lock()
	d := p.until.Sub(p.now())
	p.mu.Unlock()
	if d > 0 {
		return p.sleep(ctx, d)
	}
	return nil
}

// Pause holds every worker for d (at least) and slows the bucket down.
func (p *pacer) Pause(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if until := p.now().Add(d); until.After(p.until) {
		p.until = until
	}
	p.lim.SetLimit(max(p.lim.Limit()/2, p.floor))
	p.lim.SetBurst(1)
}

// Success raises the rate back towards the configured one, additively.
func (p *pacer) Success() {
	l := p.lim.Limit()
	if l >= p.max {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	l = min(p.lim.Limit()+p.max/20, p.max)
	p.lim.SetLimit(l)
	if l == p.max {
		p.lim.SetBurst(p.burst)
	}
}

// Limit returns the current rate, for tests and the progress line.
func (p *pacer) Limit() float64 { return float64(p.lim.Limit()) }

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
