package jobs

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/crmload/crmload/internal/connector"
)

// keySlot is one API key with its own pacer: Close limits each key, and an
// organisation to 3× one key, so three keys carry three times the rows.
type keySlot struct {
	key   string // "" for the only slot: the request goes as the connector made it
	pacer *pacer
}

// pacedTransport makes every HTTP call to the target wait on a pacer, so
// that a row costing several calls (find, then create) spends several
// tokens, and reads the rate-limit headers of every answer. With several
// keys it sends each call with the key that can send soonest, swapping the
// connector's key for it. 429s are left to the runner, which gets the
// connector's reading of them (Close's body rate_reset is more exact than
// its rounded headers) and the slot from the call's callInfo.
type pacedTransport struct {
	slots   []*keySlot
	primary string // the key the connector puts in its requests
	next    http.RoundTripper
	stats   *callStats
}

// callStats counts what went over the wire during a run.
type callStats struct {
	requests atomic.Int64
	limited  atomic.Int64 // 429 answers
	mu       sync.Mutex
	latency  time.Duration // moving average of answered calls
}

func (s *callStats) observe(d time.Duration) {
	s.mu.Lock()
	if s.latency == 0 {
		s.latency = d
	} else {
		s.latency += (d - s.latency) / 8
	}
	s.mu.Unlock()
}

// Latency is the recent mean time of a call, 0 before the first answer.
func (s *callStats) Latency() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.latency
}

// callInfo rides in a call's context so the runner learns how many
// requests a row cost and which key answered last.
type callInfo struct {
	requests atomic.Int32
	slot     atomic.Int32
}

type callInfoKey struct{}

func withCallInfo(ctx context.Context, ci *callInfo) context.Context {
	return context.WithValue(ctx, callInfoKey{}, ci)
}

func (t *pacedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	i := t.pick()
	s := t.slots[i]
	seq, err := s.pacer.Wait(req.Context())
	if err != nil {
		return nil, err
	}
	if s.key != "" && s.key != t.primary {
		req = swapKey(req, t.primary, s.key)
	}
	t.stats.requests.Add(1)
	if ci, ok := req.Context().Value(callInfoKey{}).(*callInfo); ok {
		ci.requests.Add(1)
		ci.slot.Store(int32(i))
	}
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	t.stats.observe(time.Since(start))
	if resp.StatusCode == http.StatusTooManyRequests {
		t.stats.limited.Add(1)
	} else if w, ok := connector.RateWindowOf(resp.Header); ok {
		s.pacer.Observe(seq, start, w)
	}
	return resp, nil
}

// pick returns the slot that can send soonest; ties go to the first.
func (t *pacedTransport) pick() int {
	if len(t.slots) == 1 {
		return 0
	}
	best, bestD := 0, time.Duration(1<<62)
	for i, s := range t.slots {
		if d := s.pacer.readyIn(); d < bestD {
			best, bestD = i, d
		}
	}
	return best
}

// swapKey returns a copy of req carrying key where the connector put
// primary: in a header (X-API-Key and the like), in Basic auth, or in the
// URL (Closum and CLOSEM put it there).
func swapKey(req *http.Request, primary, key string) *http.Request {
	r := req.Clone(req.Context())
	for name, vals := range r.Header {
		for j, v := range vals {
			if strings.Contains(v, primary) {
				vals[j] = strings.ReplaceAll(v, primary, key)
			}
		}
		r.Header[name] = vals
	}
	if user, pass, ok := r.BasicAuth(); ok && (user == primary || pass == primary) {
		if user == primary {
			user = key
		}
		if pass == primary {
			pass = key
		}
		r.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(user+":"+pass)))
	}
	u := *r.URL
	u.RawQuery = strings.ReplaceAll(u.RawQuery, url.QueryEscape(primary), url.QueryEscape(key))
	if strings.Contains(u.Path, primary) {
		u.Path = strings.ReplaceAll(u.Path, primary, key)
		u.RawPath = ""
	}
	r.URL = &u
	return r
}

// newHTTPClient builds the client every connector call goes through. It
// never follows a redirect to another host: the credentials and the body
// of a call are for the host the job names, and Go forwards custom headers
// (X-API-Key) on redirects.
func newHTTPClient(timeout time.Duration, rt http.RoundTripper) *http.Client {
	return &http.Client{Timeout: timeout, Transport: rt, CheckRedirect: sameHostRedirects}
}

func sameHostRedirects(req *http.Request, via []*http.Request) error {
	if len(via) >= 5 {
		return errors.New("stopped after 5 redirects")
	}
	if from := via[0].URL; req.URL.Host != from.Host || (from.Scheme == "https" && req.URL.Scheme != "https") {
		return fmt.Errorf("refused a redirect from %s to %s://%s: credentials are only sent to the host the job names", from.Host, req.URL.Scheme, req.URL.Host)
	}
	return nil
}
