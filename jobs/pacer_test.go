package jobs

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/connector"
)

// A pause asked for by one worker's 429 must hold every worker.
func TestPacerPauseHoldsEveryone(t *testing.T) {
	p := newPacer(1000, 10)
	var mu sync.Mutex
	var slept []time.Duration
	p.sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		slept = append(slept, d)
		mu.Unlock()
		p.mu.Lock()
		p.until = time.Time{} // the pause is over once slept
		p.mu.Unlock()
		return nil
	}
	p.Backoff(2 * time.Second)
	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := p.Wait(context.Background()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if len(slept) == 0 || slept[0] < time.Second {
		t.Fatalf("workers slept %v, want the first to wait out the 2s pause", slept)
	}
}

func TestPacerAIMD(t *testing.T) {
	p := newPacer(100, 4)
	clock := time.Unix(0, 0)
	p.now = func() time.Time { return clock }
	p.Backoff(time.Second)
	p.Backoff(time.Second) // same burst: no second halving
	if got := p.Limit(); got != 50 {
		t.Fatalf("after one pause limit = %v, want 50", got)
	}
	for range 5 {
		clock = clock.Add(2 * time.Second)
		p.Backoff(time.Second)
	}
	if got := p.Limit(); got != 100.0/16 {
		t.Fatalf("limit floor = %v, want %v", got, 100.0/16)
	}
	for range 100 {
		p.Success()
	}
	if got := p.Limit(); got != 100 || p.lim.Burst() != 4 {
		t.Fatalf("after successes limit = %v burst = %d, want 100 and 4", got, p.lim.Burst())
	}
}

func TestPacerWaitCancelled(t *testing.T) {
	p := newPacer(1, 1)
	p.Backoff(time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.Wait(ctx); err == nil {
		t.Fatal("want the context's error")
	}
}

// fakeClock drives a pacer in virtual time: sleeping advances the clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) sleep(_ context.Context, d time.Duration) error {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
	return nil
}

// A window with nothing left holds sends until its exact reset and does
// not slow the bucket; the budget counts sends made after the answered
// request.
func TestPacerWindowBudget(t *testing.T) {
	clock := &fakeClock{t: time.Unix(100, 0)}
	p := newPacer(1e6, 1000) // the bucket never binds: only the window does
	p.now, p.sleep = clock.now, clock.sleep
	ctx := context.Background()
	first, _ := p.Wait(ctx)
	for range 4 { // four more sends in flight before the first answer
		p.Wait(ctx)
	}
	// The first answer: limit 10, 9 remain, 0.25s to the reset. Four sends
	// were made since, so 5 remain.
	p.Observe(first, clock.now().Add(-windowMargin), connector.RateWindow{Limit: 10, Remaining: 9, HasRemaining: true, Reset: 250 * time.Millisecond, Exact: true})
	start := clock.now()
	for range 5 {
		p.Wait(ctx)
	}
	if got := clock.now().Sub(start); got != 0 {
		t.Fatalf("the 5 sends left in the window waited %v", got)
	}
	p.Wait(ctx) // the 11th: must wait for the reset
	if got := clock.now().Sub(start); got != 250*time.Millisecond {
		t.Fatalf("the send past the budget waited %v, want the exact reset 250ms", got)
	}
	if p.Limit() != 1e6 {
		t.Fatalf("a full window slowed the bucket to %v: it is not congestion", p.Limit())
	}
	// The next window allows the advertised limit until an answer says more.
	for range 9 {
		p.Wait(ctx)
	}
	at := clock.now()
	p.Wait(ctx)
	if clock.now() == at {
		t.Fatal("the 11th send of the second window did not wait")
	}
}

func TestParseRate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		bad  bool
	}{
		{"20/s", 20, false},
		{"600/m", 10, false},
		{"3600/h", 1, false},
		{"5", 5, false},
		{"0/s", 0, true},
		{"ten/s", 0, true},
		{"5/d", 0, true},
	} {
		r, err := ParseRate(tc.in)
		if (err != nil) != tc.bad || r.PerSecond != tc.want {
			t.Errorf("ParseRate(%q) = %v, %v", tc.in, r.PerSecond, err)
		}
	}
}

func TestExpand(t *testing.T) {
	env := func(k string) (string, bool) {
		v, ok := map[string]string{"KEY": "s3cr$t", "EMPTY": ""}[k]
		return v, ok
	}
	for _, tc := range []struct{ in, want, err string }{
		{"${KEY}", "s3cr$t", ""},
		{"a-${KEY}-b", "a-s3cr$t-b", ""},
		{"$${KEY}", "${KEY}", ""},
		{"${NOPE} ${EMPTY}", "", "environment variable NOPE, EMPTY is not set"},
		{"${KEY", "", "unclosed"},
		{"plain $x", "plain $x", ""},
	} {
		got, err := expand(tc.in, env)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("expand(%q) err = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("expand(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}
