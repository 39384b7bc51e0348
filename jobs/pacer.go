package jobs

import (
	"context"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/crmload/crmload/internal/connector"
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

// WaitPause blocks while a pause is in effect.
func (p *pacer) WaitPause(ctx context.Context) error {
	for {
		p.mu.Lock()
		d := p.until.Sub(p.now())
		p.mu.Unlock()
		if d <= 0 {
			return ctx.Err()
		}
		if err := p.sleep(ctx, d); err != nil {
			return err
		}
	}
}

// Wait blocks until a call may start: after any pause, then a token.
func (p *pacer) Wait(ctx context.Context) error {
	if err := p.WaitPause(ctx); err != nil {
		return err
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

// Pause holds every worker for d (at least) and slows the bucket down. The
// 429s of one burst arrive together: only the first of them, the one that
// starts a pause, halves the rate.
func (p *pacer) Pause(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if !now.Before(p.until) {
		p.lim.SetLimit(max(p.lim.Limit()/2, p.floor))
		p.lim.SetBurst(1)
	}
	if until := now.Add(d); until.After(p.until) {
		p.until = until
	}
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

// pacedTransport makes every HTTP call to the target wait on the pacer, so
// that a row costing several calls (find, then create) spends several
// tokens, and reads the rate-limit headers of every answer: one that says
// nothing remains pauses all workers until the window resets. 429s are left
// to the runner, which gets the connector's reading of them (Close's body
// rate_reset is more exact than its rounded headers).
type pacedTransport struct {
	p    *pacer
	next http.RoundTripper
}

func (t pacedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := t.p.Wait(req.Context()); err != nil {
		return nil, err
	}
	resp, err := t.next.RoundTrip(req)
	if err == nil && resp.StatusCode < 400 {
		if d, ok := connector.RateHint(resp.Header, t.p.now()); ok && d > 0 {
			t.p.Pause(d)
		}
	}
	return resp, err
}
