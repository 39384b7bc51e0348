package closecrm

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/crmload/crmload/internal/sandbox"
)

// endpointGroup is the one endpoint group of the sandbox (the doc's example
// id): its limits apply to every endpoint alike.
const endpointGroup = "99ad0b85407fbfce6882152c4cd0b86d"

// rateHeaders puts x-rate-limit-* and RateLimit on an answered request, for
// the limit (the key's or the organisation's) it is closest to hitting, as
// the Gate counted it. Close says "most" responses have them; the sandbox
// omits them when no rate limit is configured.
func rateHeaders(w http.ResponseWriter, r *http.Request) {
	if rate, ok := sandbox.RateOf(r); ok {
		setRateHeaders(w.Header(), rate.Limit, rate.Remaining, rate.Reset)
	}
}

func setRateHeaders(h http.Header, limit, remaining int, reset time.Duration) {
	h.Set("X-Rate-Limit-Limit", strconv.Itoa(limit))
	h.Set("X-Rate-Limit-Remaining", strconv.Itoa(remaining))
	h.Set("X-Rate-Limit-Reset", seconds(reset))
	// The IETF RateLimit header is not in Close's doc; the sandbox adds it
	// so that clients preferring it can be tested too.
	h.Set("RateLimit", fmt.Sprintf("limit=%d, remaining=%d, reset=%d", limit, remaining, ceilSeconds(reset)))
}

// seconds writes d as decimal seconds with microseconds, as the doc's
// "0.870663".
func seconds(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 6, 64) }

// ceilSeconds rounds up to whole seconds, at least 1, as Retry-After must be
// "x-rate-limit-reset rounded up to the next integer".
func ceilSeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

// limited writes Close's 429 for the limit the Gate says was hit: its
// limit, window and type ("key" or "org") in the body and the headers. A
// 429 without a configured limit (injected at random) is what the doc
// promises for endpoints with "stricter (unpredictable) rate limits": only
// rate_reset, x-rate-limit-reset and retry-after. bare sends the body-less
// 429 of an ingress layer.
func (f *Fake) limited(w http.ResponseWriter, r *http.Request, reset time.Duration, bare bool) {
	if bare {
		w.WriteHeader(http.StatusTooManyRequests)
		return
	}
	body := RateLimitBody{Error: RateLimitError{
		Message:   "API call count exceeded for this period",
		RateReset: math.Round(reset.Seconds()*1e6) / 1e6,
	}}
	h := w.Header()
	if rate, ok := sandbox.RateOf(r); ok && rate.Limit > 0 {
		body.Error.RateLimit = rate.Limit
		// A token bucket's limit is stated per second.
		body.Error.RateWindow = max(1, int(math.Ceil(rate.Window.Seconds())))
		body.Error.RateLimitType = rate.Type
		body.Error.RateEndpointGroup = endpointGroup
		setRateHeaders(h, rate.Limit, 0, reset)
	} else {
		h.Set("X-Rate-Limit-Reset", seconds(reset))
	}
	h.Set("Retry-After", strconv.Itoa(ceilSeconds(reset)))
	writeJSON(w, http.StatusTooManyRequests, body)
}
