package jobs

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/crmload/crmload/internal/connector"
)

// pacer paces the calls made with one API key: a token bucket at the
// configured rate, a pause gate for server push-back, and the server's own
// window as its rate-limit headers describe it.
//
// The window matters because servers such as Close count requests in fixed
// windows: a smooth bucket at exactly the advertised rate still lands 41
// requests in some 40-request window. So each answer's limit, remaining
// and (decimal) reset set a budget of sends for the rest of the window,
// less the sends made since the answered request left; at zero, workers
// wait for the exact reset. That is the server's accounting, not
// congestion, so it never slows the bucket. Only a real 429 does (AIMD:
// halve once per pause, win back additively).
//
// The gate is separate from the limiter because rate.Limiter cannot be
// paused: SetLimit(0) strands waiters, and reservations already made keep
// the old rate (see shared/LIBRARIES.md).
type pacer struct {
	lim   *rate.Limiter
	max   rate.Limit
	burst int
	floor rate.Limit

	mu     sync.Mutex
	until  time.Time     // no call starts before this (a 429's pause)
	winEnd time.Time     // end of the server's current window, as estimated
	winLen time.Duration // longest reset seen: the window's length, about
	budget int           // sends left in the window while now < winEnd
	limit  int           // the server's advertised limit per window; 0 unknown
	seq    int64         // sends so far

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

// Wait blocks until a call may start: after any pause, with budget left in
// the server's window, and a token. It returns the call's sequence number,
// for Observe.
func (p *pacer) Wait(ctx context.Context) (int64, error) {
	for {
		if err := p.WaitPause(ctx); err != nil {
			return 0, err
		}
		if d := p.windowWait(); d > 0 {
			if err := p.sleep(ctx, d); err != nil {
				return 0, err
			}
			continue
		}
		if err := p.lim.Wait(ctx); err != nil {
			return 0, err
		}
		// A pause may have begun, or the budget run out, while we waited
		// for the token: check again, and only then count the send.
		p.mu.Lock()
		now := p.now()
		if now.Before(p.until) || (now.Before(p.winEnd) && p.budget <= 0) {
			p.mu.Unlock()
			continue
		}
		if now.Before(p.winEnd) {
			p.budget--
		}
		p.seq++
		seq := p.seq
		p.mu.Unlock()
		return seq, nil
	}
}

// windowWait returns how long until the window has budget again. A window
// that has ended is followed by one of the same length and the advertised
// limit, until an answer says more.
func (p *pacer) windowWait() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if !p.winEnd.IsZero() && !now.Before(p.winEnd) && p.limit > 0 && p.winLen > 0 {
		p.winEnd = p.winEnd.Add(p.winLen * (now.Sub(p.winEnd)/p.winLen + 1))
		p.budget = p.limit
	}
	if now.Before(p.winEnd) && p.budget <= 0 {
		return p.winEnd.Sub(now)
	}
	return 0
}

// Observe reads the rate-limit headers of an answer to the call numbered
// seq, sent at sent. Every send made after it counts against what it says
// remains.
//
// The window's end is reckoned from the send, not the answer: the server
// counted the call and computed its reset on arrival, and the answer's
// trip back (the latency, often 200ms) would otherwise make every window
// look that much longer. A call sent at the end so reckoned arrives after
// the same one-way trip, when the server's window has ended.
func (p *pacer) Observe(seq int64, sent time.Time, w connector.RateWindow) {
	if !w.HasRemaining || w.Reset <= 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	end := sent.Add(w.Reset + windowMargin)
	left := w.Remaining - int(p.seq-seq)
	if w.Limit > 0 {
		p.limit = w.Limit
	}
	// Within 50ms is the same window seen through different latencies:
	// keep the later end, since a call that arrives before the server's
	// window ends counts against it. (A window rolled over on an estimate
	// may begin later than reckoned; its first answers correct that.)
	const slack = 50 * time.Millisecond
	if !now.Before(p.winEnd) || end.Sub(p.winEnd) > slack || p.winEnd.Sub(end) > slack {
		p.winEnd, p.budget = end, left
	} else {
		p.budget = min(p.budget, left)
		if end.After(p.winEnd) {
			p.winEnd = end
		}
	}
	p.winLen = max(p.winLen, roundUp(w.Reset, 100*time.Millisecond))
}

// windowMargin is added to a window's reckoned end against clock jitter.
const windowMargin = 5 * time.Millisecond

func roundUp(d, unit time.Duration) time.Duration { return (d + unit - 1) / unit * unit }

// Backoff handles a 429: every worker waits for d (at least) and the bucket
// slows down. The 429s of one burst arrive together: only the first of
// them, the one that starts a pause, halves the rate.
func (p *pacer) Backoff(d time.Duration) {
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

// readyIn estimates how long a call would wait on this pacer now, to pick
// the key that can send soonest.
func (p *pacer) readyIn() time.Duration {
	p.mu.Lock()
	now := p.now()
	d := p.until.Sub(now)
	if now.Before(p.winEnd) && p.budget <= 0 {
		d = max(d, p.winEnd.Sub(now))
	}
	p.mu.Unlock()
	if t := p.lim.TokensAt(now); t < 1 && p.lim.Limit() > 0 {
		d = max(d, time.Duration((1-t)/float64(p.lim.Limit())*float64(time.Second)))
	}
	return d
}

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
