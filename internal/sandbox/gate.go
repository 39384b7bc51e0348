package sandbox

import (
	"context"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// Faults configures how a sandbox misbehaves. The zero value is a well-behaved
// server with no rate limit.
type Faults struct {
	RatePerSecond float64       // requests per second allowed per API key; 0 for no limit
	Burst         int           // token bucket: requests allowed at once per key; defaults to 1 when a rate is set
	Latency       time.Duration // added to every request

	// Window, when set, enforces the rates in fixed windows of this length
	// (Close's "enforcement window", 1 s) instead of token buckets: a key
	// may make RatePerSecond×Window requests per window (rounded up, at
	// least 1; Burst plays no part). A window starts with the first request
	// after the previous one ended, and only answered requests count. Its
	// 429s are never bare (Close guarantees their headers); injected ones
	// (Error429) still may be.
	Window time.Duration

	// OrgRatePerSecond limits the requests of all the organisation's keys
	// together (Options.Keys; Close's org limit is 3× the key limit), in
	// the same mode as the key limit; 0 for no organisation limit. As a
	// token bucket its burst is Burst scaled by OrgRatePerSecond/RatePerSecond.
	OrgRatePerSecond float64

	// Fractions in [0,1] of requests that fail at random before any work.
	Error429 float64 // answered 429 by the system's limited response (sometimes bare, see Limited)
	Error5xx float64 // answered 503

	// Timeout is the fraction of requests that are handled (the work is
	// done and stored) but whose answer never comes: the server holds the
	// connection until the client gives up or Hang passes, then drops it.
	Timeout float64
	Hang    time.Duration // how long a timed-out request hangs; default 30s

	Seed uint64 // seeds the random faults, for repeatable tests
}

// Limited writes a system's rate-limit answer: reset is how long until the
// key may call again; RateOf(r) tells which limit was hit. bare asks for the
// body-less 429 some ingress layers send, which clients must also understand.
type Limited func(w http.ResponseWriter, r *http.Request, reset time.Duration, bare bool)

// Rate is where a request stands against a rate limit.
type Rate struct {
	Limit     int           // requests allowed per window (the burst, for a token bucket)
	Remaining int           // requests left in the window once this one is counted
	Reset     time.Duration // until the window ends (a token bucket: until it is full again, or has a token for a refused request)
	Window    time.Duration // the enforcement window; 0 for a token bucket
	Type      string        // RateKey or RateOrg
}

// The kinds of rate limit, as Close's rate_limit_type names them.
const (
	RateKey = "key" // one API key's limit
	RateOrg = "org" // the limit of all the organisation's keys together
)

type rateCtxKey struct{}

// RateOf returns the rate limit a request was judged by: for an answered
// request the limit it is closest to hitting, for a refused one the limit
// it hit. ok is false when no rate limit is configured.
func RateOf(r *http.Request) (rate Rate, ok bool) {
	rate, ok = r.Context().Value(rateCtxKey{}).(Rate)
	return rate, ok
}

// KeyStats counts one API key's requests at the Gate.
type KeyStats struct {
	Requests   int // arrived
	Limited    int // refused by a rate limit (429), the key's own or the organisation's
	OrgLimited int // of Limited, those refused by the organisation's limit
	Injected   int // answered with an injected fault
}

// Gate wraps an API handler with the rate limits and the injected faults.
// It is safe for concurrent use, and counts exactly under concurrency: each
// request is judged and counted under one lock. SetFaults changes behaviour
// at run time.
type Gate struct {
	mu      sync.Mutex
	faults  Faults
	rnd     *rand.Rand
	meters  map[string]*meter // per key
	org     *meter            // nil without an organisation limit
	members map[string]bool   // the organisation's keys; nil: every key
	now     func() time.Time

	key     func(*http.Request) string
	limited Limited
	next    http.Handler

	// Counters, for tests and benchmarks.
	requests, limitedCount, injected int
	perKey                           map[string]*KeyStats
}

// NewGate returns a Gate in front of next. key extracts the API key of a
// request (the rate limit is per key); limited writes the 429.
func NewGate(next http.Handler, key func(*http.Request) string, limited Limited, f Faults) *Gate {
	g := &Gate{next: next, key: key, limited: limited, now: time.Now, perKey: map[string]*KeyStats{}}
	g.SetFaults(f)
	return g
}

// SetFaults replaces the fault configuration and forgets the rate counts.
func (g *Gate) SetFaults(f Faults) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if f.RatePerSecond > 0 && f.Burst < 1 {
		f.Burst = 1
	}
	if f.Hang <= 0 {
		f.Hang = 30 * time.Second
	}
	g.faults = f
	g.rnd = rand.New(rand.NewPCG(f.Seed, f.Seed^0x9e3779b97f4a7c15))
	g.meters = map[string]*meter{}
	g.org = nil
	if f.OrgRatePerSecond > 0 {
		burst := 1
		if f.RatePerSecond > 0 {
			burst = max(1, int(math.Ceil(float64(f.Burst)*f.OrgRatePerSecond/f.RatePerSecond)))
		}
		g.org = newMeter(f.OrgRatePerSecond, burst, f.Window, RateOrg)
	}
}

// SetClock replaces the clock the rate limits are counted by (time.Now by
// default), so that tests can hold a window open or move past it.
func (g *Gate) SetClock(now func() time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.now = now
}

// SetOrgKeys names the organisation's API keys: only their requests count
// toward Faults.OrgRatePerSecond (a request with an unknown key cannot be
// put down to the organisation). Until it is called every request counts.
func (g *Gate) SetOrgKeys(keys []string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.members = map[string]bool{}
	for _, k := range keys {
		g.members[k] = true
	}
}

// Stats reports how many requests arrived, how many were refused by the rate
// limit and how many got an injected fault.
func (g *Gate) Stats() (requests, limited, injected int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.requests, g.limitedCount, g.injected
}

// KeyStats reports Stats per API key (as the Gate's key function read it).
func (g *Gate) KeyStats() map[string]KeyStats {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make(map[string]KeyStats, len(g.perKey))
	for k, st := range g.perKey {
		out[k] = *st
	}
	return out
}

type verdict int

const (
	pass verdict = iota
	rateLimited
	fault429
	fault5xx
	faultTimeout
)

// judgement is what the Gate decided about one request.
type judgement struct {
	verdict verdict
	reset   time.Duration // for a 429
	bare    bool          // a body-less 429
	rate    Rate
	limited bool // whether rate is set (a rate limit is configured)
	latency time.Duration
	hang    time.Duration
}

func (g *Gate) judge(key string) judgement {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.requests++
	st := g.perKey[key]
	if st == nil {
		st = &KeyStats{}
		g.perKey[key] = st
	}
	st.Requests++
	f := g.faults
	j := judgement{latency: f.Latency, hang: f.Hang}
	now := g.now()
	var km, om *meter
	if f.RatePerSecond > 0 {
		km = g.meters[key]
		if km == nil {
			km = newMeter(f.RatePerSecond, f.Burst, f.Window, RateKey)
			g.meters[key] = km
		}
	}
	if g.org != nil && (g.members == nil || g.members[key]) {
		om = g.org
	}
	if km != nil || om != nil {
		j.limited = true
		kok, krate := km.peek(now)
		ook, orate := om.peek(now)
		switch {
		case !kok || !ook:
			j.verdict, j.rate = rateLimited, krate
			if kok {
				j.rate = orate
				st.OrgLimited++
			}
			// Close guarantees the headers of a window's 429; a token
			// bucket's are sometimes bare, as an ingress layer's.
			j.reset, j.bare = j.rate.Reset, f.Window == 0 && g.rnd.Float64() < 0.1
			g.limitedCount++
			st.Limited++
			return j
		}
		km.take(now)
		om.take(now)
		j.rate = closest(krate, orate)
	}
	switch x := g.rnd.Float64(); {
	case x < f.Error429:
		j.verdict, j.reset, j.bare = fault429, 200*time.Millisecond, g.rnd.Float64() < 0.3
	case x < f.Error429+f.Error5xx:
		j.verdict = fault5xx
	case x < f.Error429+f.Error5xx+f.Timeout:
		j.verdict = faultTimeout
	default:
		return j
	}
	g.injected++
	st.Injected++
	if j.verdict == fault429 && j.limited {
		j.rate.Remaining, j.rate.Reset = 0, j.reset
	}
	return j
}

// closest returns whichever of a and b has fewer requests left; a (the
// key's) on a tie. A zero Rate is no limit.
func closest(a, b Rate) Rate {
	switch {
	case a.Limit == 0:
		return b
	case b.Limit == 0 || a.Remaining <= b.Remaining:
		return a
	}
	return b
}

// ServeHTTP applies latency, the rate limit and faults, then calls the API.
func (g *Gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	j := g.judge(g.key(r))
	if j.limited {
		r = r.WithContext(context.WithValue(r.Context(), rateCtxKey{}, j.rate))
	}
	if j.latency > 0 {
		select {
		case <-time.After(j.latency):
		case <-r.Context().Done():
			return
		}
	}
	switch j.verdict {
	case rateLimited, fault429:
		g.limited(w, r, j.reset, j.bare)
	case fault5xx:
		http.Error(w, `{"error":"Service Unavailable (injected fault)"}`, http.StatusServiceUnavailable)
	case faultTimeout:
		// Do the work, then never answer: the client cannot know it was done.
		g.next.ServeHTTP(httptest.NewRecorder(), r)
		select {
		case <-time.After(j.hang):
		case <-r.Context().Done():
		}
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
			}
		}
	default:
		g.next.ServeHTTP(w, r)
	}
}
