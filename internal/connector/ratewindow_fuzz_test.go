package connector

import (
	"net/http"
	"testing"
	"time"
)

// FuzzRateHeaders feeds arbitrary header values to the rate-limit parsers:
// they must never panic, and never return a negative or absurd wait.
func FuzzRateHeaders(f *testing.F) {
	for _, seed := range [][4]string{
		{"0.870663", "40", "0", ""},
		{"1", "40", "12", "limit=40, remaining=12, reset=1"},
		{"", "", "", "limit=10, remaining=0, reset=3"},
		{"-5", "x", "NaN", "reset=1e309"},
		{"1e308", "", "", "remaining=, reset"},
		{"Wed, 21 Oct 2015 07:28:00 GMT", "", "0", ""},
	} {
		f.Add(seed[0], seed[1], seed[2], seed[3])
	}
	now := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, reset, limit, remaining, ietf string) {
		h := http.Header{}
		h.Set("X-Rate-Limit-Reset", reset)
		h.Set("X-Rate-Limit-Limit", limit)
		h.Set("X-Rate-Limit-Remaining", remaining)
		h.Set("RateLimit", ietf)
		h.Set("Retry-After", reset)
		h.Set("X-Rate-Limit-Retry-After-Seconds", reset)
		if w, ok := RateWindowOf(h); ok && (w.Reset < 0 || w.Reset > 86400*time.Second) {
			t.Fatalf("RateWindowOf: reset %v", w.Reset)
		}
		if d, ok := RateHint(h, now); ok && d < 0 {
			t.Fatalf("RateHint: negative wait %v", d)
		}
	})
}

func TestRateWindowPrefersDecimalReset(t *testing.T) {
	h := http.Header{}
	h.Set("X-Rate-Limit-Limit", "40")
	h.Set("X-Rate-Limit-Remaining", "0")
	h.Set("X-Rate-Limit-Reset", "0.250000")
	h.Set("RateLimit", "limit=40, remaining=0, reset=1")
	h.Set("Retry-After", "1")
	w, ok := RateWindowOf(h)
	if !ok || w.Limit != 40 || w.Remaining != 0 || !w.HasRemaining || w.Reset != 250*time.Millisecond || !w.Exact {
		t.Fatalf("RateWindowOf = %+v, %v", w, ok)
	}
	if d, ok := RateHint(h, time.Now()); !ok || d != 250*time.Millisecond {
		t.Fatalf("RateHint = %v, %v; want the decimal 250ms, not the rounded 1s", d, ok)
	}
}
