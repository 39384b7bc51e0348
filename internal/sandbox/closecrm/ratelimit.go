package closecrm

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/crmload/crmload/internal/sandbox"
)

// window counts one key's requests in the current one-second enforcement
// window, for the informational rate headers of answered requests.
type window struct {
	start time.Time
	count int
}

// rateLimit is the request limit per one-second window that the fake
// reports: the configured rate, or the burst when larger. 0 means no limit.
func rateLimit(fl sandbox.Faults) int {
	if fl.RatePerSecond <= 0 {
		return 0
	}
	return max(int(math.Ceil(fl.RatePerSecond)), fl.Burst)
}

// rateHeaders puts x-rate-limit-* and RateLimit on an answered request.
// Close says "most" responses have them; the sandbox omits them when no rate
// limit is configured.
func (f *Fake) rateHeaders(w http.ResponseWriter, key string) {
	f.rateMu.Lock()
	limit := rateLimit(f.faults)
	now := time.Now() // the Gate's clock, not the records' (Options.Now)
	win := f.windows[key]
	if win == nil || now.Sub(win.start) >= time.Second {
		win = &window{start: now}
		f.windows[key] = win
	}
	win.count++
	remaining := max(0, limit-win.count)
	reset := time.Second - now.Sub(win.start)
	f.rateMu.Unlock()
	if limit == 0 {
		return
	}
	setRateHeaders(w.Header(), limit, remaining, reset)
}

func setRateHeaders(h http.Header, limit, remaining int, reset time.Duration) {
	secs := strconv.FormatFloat(reset.Seconds(), 'f', 6, 64)
	h.Set("X-Rate-Limit-Limit", strconv.Itoa(limit))
	h.Set("X-Rate-Limit-Remaining", strconv.Itoa(remaining))
	h.Set("X-Rate-Limit-Reset", secs)
	// The IETF RateLimit header is not in Close's doc; the sandbox adds it
	// so that clients preferring it can be tested too.
	h.Set("RateLimit", fmt.Sprintf("limit=%d, remaining=%d, reset=%d", limit, remaining, ceilSeconds(reset)))
}

// ceilSeconds rounds up to whole seconds, at least 1, as Retry-After must be
// "x-rate-limit-reset rounded up to the next integer".
func ceilSeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

// limited writes Close's 429. When no rate limit is configured (a 429
// injected at random) it sends what the doc promises for endpoints with
// "stricter (unpredictable) rate limits": only rate_reset, x-rate-limit-reset
// and retry-after. bare sends the body-less 429 of an ingress layer.
func (f *Fake) limited(w http.ResponseWriter, _ *http.Request, reset time.Duration, bare bool) {
	if bare {
		w.WriteHeader(http.StatusTooManyRequests)
		return
	}
	f.rateMu.Lock()
	limit := rateLimit(f.faults)
	f.rateMu.Unlock()
	body := RateLimitBody{Error: RateLimitError{
		Message:   "API call count exceeded for this period",
		RateReset: math.Round(reset.Seconds()*1e6) / 1e6,
	}}
	h := w.Header()
	if limit > 0 {
		body.Error.RateLimit = limit
		body.Error.RateWindow = 1
		body.Error.RateLimitType = "key"
		body.Error.RateEndpointGroup = "99ad0b85407fbfce6882152c4cd0b86d"
		setRateHeaders(h, limit, 0, reset)
	} else {
		h.Set("X-Rate-Limit-Reset", strconv.FormatFloat(reset.Seconds(), 'f', 6, 64))
	}
	h.Set("Retry-After", strconv.Itoa(ceilSeconds(reset)))
	writeJSON(w, http.StatusTooManyRequests, body)
}
