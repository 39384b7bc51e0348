// Package sandbox holds what every fake CRM server shares: serving on
// 127.0.0.1 on a port the OS picks, a per-key rate limit, injected faults
// (latency, 429s, 5xx, timeouts after the work was done) and atomic state
// files. Each system's fake lives in a sub-package and imitates its API as
// documented in shared/seeds.
package sandbox

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/crmload/crmload/internal/atomicfile"
)

// Faults configures how a sandbox misbehaves. The zero value is a well-behaved
// server with no rate limit.
type Faults struct {
	RatePerSecond float64       // requests per second allowed per API key; 0 for no limit
	Burst         int           // requests allowed at once per key; defaults to 1 when a rate is set
	Latency       time.Duration // added to every request

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
// key may call again. bare asks for the body-less 429 some ingress layers
// send, which clients must also understand.
type Limited func(w http.ResponseWriter, r *http.Request, reset time.Duration, bare bool)

// Gate wraps an API handler with the rate limit and the injected faults. It
// is safe for concurrent use; SetFaults changes behaviour at run time.
type Gate struct {
	mu      sync.Mutex
	faults  Faults
	rnd     *rand.Rand
	buckets map[string]*bucket
	now     func() time.Time

	key     func(*http.Request) string
	limited Limited
	next    http.Handler

	// Counters, for tests.
	requests, limitedCount, injected int
}

type bucket struct {
	tokens float64
	last   time.Time
}

// NewGate returns a Gate in front of next. key extracts the API key of a
// request (the rate limit is per key); limited writes the 429.
func NewGate(next http.Handler, key func(*http.Request) string, limited Limited, f Faults) *Gate {
	g := &Gate{next: next, key: key, limited: limited, now: time.Now}
	g.SetFaults(f)
	return g
}

// SetFaults replaces the fault configuration and forgets the rate buckets.
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
	g.buckets = map[string]*bucket{}
}

// Stats reports how many requests arrived, how many were refused by the rate
// limit and how many got an injected fault.
func (g *Gate) Stats() (requests, limited, injected int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.requests, g.limitedCount, g.injected
}

type verdict int

const (
	pass verdict = iota
	rateLimited
	fault429
	fault5xx
	faultTimeout
)

func (g *Gate) judge(key string) (verdict, time.Duration, bool, time.Duration, time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.requests++
	f := g.faults
	if f.RatePerSecond > 0 {
		now := g.now()
		b, ok := g.buckets[key]
		if !ok {
			b = &bucket{tokens: float64(f.Burst), last: now}
			g.buckets[key] = b
		}
		b.tokens = min(float64(f.Burst), b.tokens+now.Sub(b.last).Seconds()*f.RatePerSecond)
		b.last = now
		if b.tokens < 1 {
			g.limitedCount++
			reset := time.Duration((1 - b.tokens) / f.RatePerSecond * float64(time.Second))
			return rateLimited, reset, g.rnd.Float64() < 0.1, f.Latency, f.Hang
		}
		b.tokens--
	}
	switch x := g.rnd.Float64(); {
	case x < f.Error429:
		g.injected++
		return fault429, 200 * time.Millisecond, g.rnd.Float64() < 0.3, f.Latency, f.Hang
	case x < f.Error429+f.Error5xx:
		g.injected++
		return fault5xx, 0, false, f.Latency, f.Hang
	case x < f.Error429+f.Error5xx+f.Timeout:
		g.injected++
		return faultTimeout, 0, false, f.Latency, f.Hang
	}
	return pass, 0, false, f.Latency, f.Hang
}

// ServeHTTP applies latency, the rate limit and faults, then calls the API.
func (g *Gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	v, reset, bare, latency, hang := g.judge(g.key(r))
	if latency > 0 {
		select {
		case <-time.After(latency):
		case <-r.Context().Done():
			return
		}
	}
	switch v {
	case rateLimited, fault429:
		g.limited(w, r, reset, bare)
	case fault5xx:
		http.Error(w, `{"error":"Service Unavailable (injected fault)"}`, http.StatusServiceUnavailable)
	case faultTimeout:
		// Do the work, then never answer: the client cannot know it was done.
		g.next.ServeHTTP(httptest.NewRecorder(), r)
		select {
		case <-time.After(hang):
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

// Server is a sandbox listening on 127.0.0.1.
type Server struct {
	URL string // e.g. http://127.0.0.1:41234
	srv *http.Server
}

// Start serves h on 127.0.0.1 at a port the OS picks (or at addr when given,
// e.g. "127.0.0.1:8080").
func Start(h http.Handler, addr string) (*Server, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("sandbox listen: %w", err)
	}
	s := &Server{URL: "http://" + ln.Addr().String(), srv: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Close stops the server at once, dropping open connections.
func (s *Server) Close() error { return s.srv.Close() }

// Shutdown stops the server after in-flight requests finish or ctx ends.
func (s *Server) Shutdown(ctx context.Context) error { return s.srv.Shutdown(ctx) }

// SaveJSON writes v to path atomically (see package atomicfile).
func SaveJSON(path string, v any) error {
	if err := atomicfile.WriteJSON(path, v); err != nil {
		return fmt.Errorf("save sandbox state: %w", err)
	}
	return nil
}

// LoadJSON reads v from path; a missing file leaves v untouched and is not an error.
func LoadJSON(path string, v any) error {
	if _, err := atomicfile.ReadJSON(path, v); err != nil {
		return fmt.Errorf("load sandbox state: %w", err)
	}
	return nil
}
