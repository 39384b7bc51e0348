package jobs

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
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
	p.Pause(2 * time.Second)
	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := p.Wait(context.Background()); err != nil {
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
	p.Pause(time.Second)
	p.Pause(time.Second) // same burst: no second halving
	if got := p.Limit(); got != 50 {
		t.Fatalf("after one pause limit = %v, want 50", got)
	}
	for range 5 {
		clock = clock.Add(2 * time.Second)
		p.Pause(time.Second)
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
	p.Pause(time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.Wait(ctx); err == nil {
		t.Fatal("want the context's error")
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
