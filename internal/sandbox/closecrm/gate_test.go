package closecrm

import (
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/sandbox"
)

func TestRateLimit429(t *testing.T) {
	e := start(t, sandbox.Options{Faults: sandbox.Faults{RatePerSecond: 0.5, Burst: 2}})
	for i := range 2 {
		r := e.do("GET", "/me/", nil)
		r.must(t, http.StatusOK)
		if r.header.Get("X-Rate-Limit-Limit") != "2" || r.header.Get("X-Rate-Limit-Remaining") != strconv.Itoa(1-i) {
			t.Errorf("answer %d rate headers: limit %q remaining %q", i, r.header.Get("X-Rate-Limit-Limit"), r.header.Get("X-Rate-Limit-Remaining"))
		}
		if !strings.HasPrefix(r.header.Get("RateLimit"), "limit=2, remaining=") {
			t.Errorf("RateLimit header %q", r.header.Get("RateLimit"))
		}
	}
	// The third request within the window finds the bucket empty.
	var r resp
	for range 5 {
		if r = e.do("GET", "/lead/", nil); r.status == http.StatusTooManyRequests && len(r.raw) > 0 {
			break // the gate answers a rate limit bare one time in ten
		}
	}
	b := r.must(t, http.StatusTooManyRequests)
	reset, _ := at(b, "error", "rate_reset").(float64)
	if reset <= 0 || reset > 2 {
		t.Errorf("rate_reset %v, want (0, 2]", at(b, "error", "rate_reset"))
	}
	if at(b, "error", "message") != "API call count exceeded for this period" ||
		at(b, "error", "rate_limit") != 2.0 || at(b, "error", "rate_limit_type") != "key" || at(b, "error", "rate_window") != 1.0 {
		t.Errorf("429 body %s", r.raw)
	}
	h := r.header
	if got := h.Get("Retry-After"); got != strconv.Itoa(int(math.Ceil(reset))) {
		t.Errorf("Retry-After %q, want rate_reset %v rounded up", got, reset)
	}
	hr, err := strconv.ParseFloat(h.Get("X-Rate-Limit-Reset"), 64)
	if err != nil || math.Abs(hr-reset) > 1e-3 {
		t.Errorf("x-rate-limit-reset %q, rate_reset %v", h.Get("X-Rate-Limit-Reset"), reset)
	}
	if h.Get("X-Rate-Limit-Remaining") != "0" || h.Get("X-Rate-Limit-Limit") != "2" ||
		h.Get("RateLimit") != "limit=2, remaining=0, reset="+h.Get("Retry-After") {
		t.Errorf("429 headers %v", h)
	}
	// Another key has its own bucket (and is then refused by auth).
	other := e.doWith("GET", "/me/", nil, func(r *http.Request) { r.SetBasicAuth("other-key", "") })
	other.must(t, http.StatusUnauthorized)
}

func TestLimitedBareAndUnpredictable(t *testing.T) {
	f := New(sandbox.Options{})
	defer f.Close()

	w := httptest.NewRecorder()
	f.limited(w, httptest.NewRequest("GET", "/api/v1/lead/", nil), 1500*time.Millisecond, true)
	if w.Code != http.StatusTooManyRequests || w.Body.Len() != 0 || len(w.Header()) != 0 {
		t.Errorf("bare 429: code %d body %q headers %v", w.Code, w.Body, w.Header())
	}

	// With no rate configured the 429 is the doc's "stricter
	// (unpredictable)" kind: only rate_reset and the reset headers.
	w = httptest.NewRecorder()
	f.limited(w, httptest.NewRequest("GET", "/api/v1/lead/", nil), 1500*time.Millisecond, false)
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "2" || w.Header().Get("X-Rate-Limit-Reset") != "1.500000" {
		t.Errorf("unpredictable 429: code %d headers %v", w.Code, w.Header())
	}
	if w.Header().Get("X-Rate-Limit-Limit") != "" || strings.Contains(w.Body.String(), "rate_limit") ||
		!strings.Contains(w.Body.String(), `"rate_reset":1.5`) {
		t.Errorf("unpredictable 429 body %s", w.Body)
	}
}

func TestInjected429s(t *testing.T) {
	e := start(t, sandbox.Options{Faults: sandbox.Faults{Error429: 1, Seed: 7}})
	var bare, full int
	for range 40 {
		r := e.do("GET", "/me/", nil)
		r.must(t, http.StatusTooManyRequests)
		if len(r.raw) == 0 {
			bare++
			if r.header.Get("Retry-After") != "" || r.header.Get("X-Rate-Limit-Reset") != "" {
				t.Errorf("bare 429 with headers %v", r.header)
			}
			continue
		}
		full++
		if at(r.body, "error", "rate_reset") == nil || r.header.Get("Retry-After") == "" {
			t.Errorf("429 %s without rate_reset / Retry-After", r.raw)
		}
	}
	if bare == 0 || full == 0 {
		t.Errorf("40 injected 429s: %d bare, %d with a body; want both kinds", bare, full)
	}
}

func TestInjected5xxAndTimeoutAfterStore(t *testing.T) {
	e := start(t, sandbox.Options{Faults: sandbox.Faults{Error5xx: 1}})
	e.do("POST", "/lead/", map[string]any{"name": "x"}).must(t, http.StatusServiceUnavailable)
	if len(e.fake.Leads()) != 0 {
		t.Fatal("a 5xx before the work stored a lead")
	}

	e.fake.SetFaults(sandbox.Faults{Timeout: 1, Hang: 5 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", e.url+"/lead/", strings.NewReader(`{"name": "Timed Out Inc"}`))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(e.key, "")
	_, err := http.DefaultClient.Do(req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want a client timeout, got %v", err)
	}
	leads := e.fake.Leads()
	if len(leads) != 1 || leads[0].Name != "Timed Out Inc" {
		t.Errorf("after the timeout the store holds %v; the work should be done", leads)
	}
}

// Close's documented limits: fixed 1-second windows, a per-key limit and
// an organisation limit 3× higher across every key. Answered requests show
// the limit they are closest to; a 429 names the one hit.
func TestRateLimitWindowsKeyAndOrg(t *testing.T) {
	keys := []string{"key-a", "key-b"}
	e := start(t, sandbox.Options{APIKeys: keys, Faults: sandbox.Faults{
		RatePerSecond: 2, OrgRatePerSecond: 3, Window: time.Second}})
	now := time.Unix(1_700_000_000, 0)
	e.fake.Gate().SetClock(func() time.Time { return now })
	as := func(key string) resp {
		r := e.doWith("GET", "/me/", nil, func(r *http.Request) { r.SetBasicAuth(key, "") })
		now = now.Add(129_337 * time.Microsecond)
		return r
	}
	type head struct{ limit, remaining, reset string }
	heads := func(r resp) head {
		return head{r.header.Get("X-Rate-Limit-Limit"), r.header.Get("X-Rate-Limit-Remaining"), r.header.Get("X-Rate-Limit-Reset")}
	}
	steps := []struct {
		key    string
		status int
		want   head
	}{
		{"key-a", 200, head{"2", "1", "1.000000"}},
		{"key-a", 200, head{"2", "0", "0.870663"}},
		{"key-a", 429, head{"2", "0", "0.741326"}}, // the key's own limit
		{"key-b", 200, head{"3", "0", "0.611989"}}, // the org's last request: closer than key-b's
		{"key-b", 429, head{"3", "0", "0.482652"}}, // the org's limit
	}
	var last resp
	for i, st := range steps {
		last = as(st.key)
		if last.status != st.status || heads(last) != st.want {
			t.Errorf("request %d (%s): %d %+v, want %d %+v", i, st.key, last.status, heads(last), st.status, st.want)
		}
	}
	if at(last.body, "error", "rate_limit_type") != "org" || at(last.body, "error", "rate_limit") != 3.0 ||
		at(last.body, "error", "rate_window") != 1.0 || at(last.body, "error", "rate_reset") != 0.482652 ||
		at(last.body, "error", "rate_endpoint_group") == nil || last.header.Get("Retry-After") != "1" {
		t.Errorf("org 429: %s, Retry-After %q", last.raw, last.header.Get("Retry-After"))
	}
	// A new window for both.
	now = now.Add(time.Second)
	if r := as("key-b"); r.status != 200 || heads(r) != (head{"2", "1", "1.000000"}) {
		t.Errorf("next window: %d %+v", r.status, heads(r))
	}
	// The default key is not one of the organisation's.
	if r := as(sandbox.DefaultKey); r.status != http.StatusUnauthorized {
		t.Errorf("a key outside Options.APIKeys: %d", r.status)
	}
	st := e.fake.Gate().KeyStats()
	if st["key-a"] != (sandbox.KeyStats{Requests: 3, Limited: 1}) || st["key-b"] != (sandbox.KeyStats{Requests: 3, Limited: 1, OrgLimited: 1}) {
		t.Errorf("key stats %+v", st)
	}
}

// Counting is exact under concurrency: 200 requests at once on one key in
// one window get exactly the limit answered, through the real server.
func TestRateLimitConcurrentExact(t *testing.T) {
	e := start(t, sandbox.Options{Faults: sandbox.Faults{RatePerSecond: 40, OrgRatePerSecond: 120, Window: time.Second}})
	now := time.Unix(1_700_000_000, 0)
	e.fake.Gate().SetClock(func() time.Time { return now }) // one window throughout
	var wg sync.WaitGroup
	var ok, limited, bare atomic.Int32
	for range 200 {
		wg.Go(func() {
			req, _ := http.NewRequest("GET", e.url+"/me/", nil)
			req.SetBasicAuth(e.key, "")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			switch res.StatusCode {
			case http.StatusOK:
				ok.Add(1)
			case http.StatusTooManyRequests:
				limited.Add(1)
				if len(body) == 0 || res.Header.Get("Retry-After") == "" || res.Header.Get("X-Rate-Limit-Reset") == "" {
					bare.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if ok.Load() != 40 || limited.Load() != 160 {
		t.Fatalf("200 concurrent requests: %d answered, %d limited; want 40 and 160", ok.Load(), limited.Load())
	}
	// "Each 429 response is guaranteed to have the x-rate-limit-reset
	// header set as well as the retry-after header."
	if bare.Load() != 0 {
		t.Errorf("%d of the 429s lack the body or the reset headers", bare.Load())
	}
}

// The fake accepts every key of Options.Keys, and no other.
func TestSeveralAPIKeys(t *testing.T) {
	f := New(sandbox.Options{APIKey: "key-a", APIKeys: []string{"key-b"}})
	defer f.Close()
	for key, want := range map[string]int{"key-a": 200, "key-b": 200, sandbox.DefaultKey: 401, "": 401} {
		req := httptest.NewRequest("GET", basePath+"/me/", nil)
		req.SetBasicAuth(key, "")
		w := httptest.NewRecorder()
		f.ServeHTTP(w, req)
		if w.Code != want {
			t.Errorf("key %q: %d, want %d", key, w.Code, want)
		}
	}
}
