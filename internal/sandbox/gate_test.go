package sandbox

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// clock is a settable time for the Gate.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// windowGate is a Gate in window mode whose clock stands still until
// advanced; its API answers 200 and the limited answer 429.
func windowGate(f Faults) (*Gate, *clock) {
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	limited := func(w http.ResponseWriter, r *http.Request, reset time.Duration, bare bool) {
		w.WriteHeader(http.StatusTooManyRequests)
	}
	g := NewGate(api, func(r *http.Request) string { return r.Header.Get("K") }, limited, f)
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	g.SetClock(c.now)
	return g, c
}

// burst sends n concurrent requests for each key and counts the answered
// ones per key.
func burst(g *Gate, n int, keys ...string) map[string]int {
	var mu sync.Mutex
	ok := map[string]int{}
	var wg sync.WaitGroup
	for _, k := range keys {
		for range n {
			wg.Go(func() {
				req := httptest.NewRequest("GET", "/", nil)
				req.Header.Set("K", k)
				w := httptest.NewRecorder()
				g.ServeHTTP(w, req)
				if w.Code == http.StatusOK {
					mu.Lock()
					ok[k]++
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	return ok
}

// In window mode a key gets exactly its limit per window however many
// requests arrive at once, and the next window starts afresh.
func TestGateWindowExactUnderConcurrency(t *testing.T) {
	g, c := windowGate(Faults{RatePerSecond: 20, Window: time.Second})
	if got := burst(g, 200, "a")["a"]; got != 20 {
		t.Fatalf("200 concurrent requests in one window: %d answered, want exactly 20", got)
	}
	c.advance(999 * time.Millisecond)
	if got := burst(g, 5, "a")["a"]; got != 0 {
		t.Fatalf("still in the window: %d answered, want 0", got)
	}
	c.advance(time.Millisecond)
	if got := burst(g, 200, "a")["a"]; got != 20 {
		t.Fatalf("next window: %d answered, want 20", got)
	}
	st := g.KeyStats()["a"]
	if req, lim, _ := g.Stats(); req != 405 || lim != 365 || st != (KeyStats{Requests: 405, Limited: 365}) {
		t.Fatalf("stats: %d requests, %d limited; key a %+v", req, lim, st)
	}
}

// The organisation limit is 3× the key limit: three keys get three times
// one key's throughput, a fourth adds nothing.
func TestGateOrgLimit(t *testing.T) {
	tests := []struct {
		keys      []string
		wantTotal int
	}{
		{[]string{"a"}, 10},
		{[]string{"a", "b", "c"}, 30},
		{[]string{"a", "b", "c", "d"}, 30},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(len(tt.keys), " keys"), func(t *testing.T) {
			g, _ := windowGate(Faults{RatePerSecond: 10, OrgRatePerSecond: 30, Window: time.Second})
			ok := burst(g, 100, tt.keys...)
			total := 0
			for _, k := range tt.keys {
				if ok[k] > 10 {
					t.Errorf("key %s: %d answered, over its limit of 10", k, ok[k])
				}
				total += ok[k]
			}
			if total != tt.wantTotal {
				t.Errorf("%d keys: %d answered in one window, want %d (%v)", len(tt.keys), total, tt.wantTotal, ok)
			}
			orgLimited := 0
			for _, st := range g.KeyStats() {
				orgLimited += st.OrgLimited
			}
			if len(tt.keys) == 4 && orgLimited == 0 {
				t.Error("no request refused by the organisation limit")
			}
		})
	}
}

// Keys outside the organisation do not use up its limit.
func TestGateOrgMembers(t *testing.T) {
	g, _ := windowGate(Faults{RatePerSecond: 10, OrgRatePerSecond: 10, Window: time.Second})
	g.SetOrgKeys([]string{"a"})
	if ok := burst(g, 50, "stranger"); ok["stranger"] != 10 {
		t.Fatalf("stranger: %d answered, want its own 10", ok["stranger"])
	}
	if ok := burst(g, 50, "a"); ok["a"] != 10 {
		t.Fatalf("member after a stranger's burst: %d answered, want 10", ok["a"])
	}
}

// RateOf tells the handler where a request stands: the limit it is closest
// to hitting, with the time left in the window.
func TestGateRateOf(t *testing.T) {
	var got []Rate
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rate, _ := RateOf(r)
		got = append(got, rate)
	})
	var refused Rate
	limited := func(w http.ResponseWriter, r *http.Request, reset time.Duration, bare bool) {
		refused, _ = RateOf(r)
		if reset != refused.Reset {
			t.Errorf("limited with reset %v, RateOf says %v", reset, refused.Reset)
		}
		w.WriteHeader(http.StatusTooManyRequests)
	}
	g := NewGate(api, func(r *http.Request) string { return r.Header.Get("K") }, limited,
		Faults{RatePerSecond: 2, OrgRatePerSecond: 3, Window: time.Second})
	c := &clock{t: time.Unix(1000, 0)}
	g.SetClock(c.now)
	send := func(key string) {
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("K", key)
		g.ServeHTTP(httptest.NewRecorder(), req)
		c.advance(100 * time.Millisecond)
	}
	send("a") // key a 1/2, org 1/3
	send("a") // key a 2/2, org 2/3
	send("b") // key b 1/2, org 3/3: the org is closer
	send("b") // refused by the org
	want := []Rate{
		{Limit: 2, Remaining: 1, Reset: time.Second, Window: time.Second, Type: RateKey},
		{Limit: 2, Remaining: 0, Reset: 900 * time.Millisecond, Window: time.Second, Type: RateKey},
		{Limit: 3, Remaining: 0, Reset: 800 * time.Millisecond, Window: time.Second, Type: RateOrg},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("answered requests' rates\n got %v\nwant %v", got, want)
	}
	if w := (Rate{Limit: 3, Reset: 700 * time.Millisecond, Window: time.Second, Type: RateOrg}); refused != w {
		t.Errorf("refused request's rate %+v, want %+v", refused, w)
	}
	if st := g.KeyStats()["b"]; st.Limited != 1 || st.OrgLimited != 1 {
		t.Errorf("key b stats %+v", st)
	}
}

// Without a rate limit RateOf reports none.
func TestGateNoRate(t *testing.T) {
	var ok bool
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, ok = RateOf(r) })
	NewGate(api, func(*http.Request) string { return "" }, nil, Faults{}).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	if ok {
		t.Error("RateOf reported a limit where none is configured")
	}
}

func TestOptionsKeys(t *testing.T) {
	tests := []struct {
		opt  Options
		want string
	}{
		{Options{}, "[" + DefaultKey + "]"},
		{Options{APIKey: "a"}, "[a]"},
		{Options{APIKeys: []string{"b", "c"}}, "[b c]"},
		{Options{APIKey: "a", APIKeys: []string{"b", "a", ""}}, "[a b]"},
	}
	for _, tt := range tests {
		if got := fmt.Sprint(tt.opt.Keys()); got != tt.want {
			t.Errorf("%+v.Keys() = %s, want %s", tt.opt, got, tt.want)
		}
	}
	keys := []string{"alpha", "beta"}
	for key, want := range map[string]bool{"alpha": true, "beta": true, "gamma": false, "": false, "alph": false} {
		if KeyIn(keys, key) != want {
			t.Errorf("KeyIn(%q) = %v", key, !want)
		}
	}
}
