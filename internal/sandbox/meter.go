package sandbox

import (
	"math"
	"time"
)

// meter is one rate limit, a key's or the organisation's: a token bucket,
// or a count of requests in a fixed window. Its methods are called under
// the Gate's lock; a nil meter is no limit.
type meter struct {
	rate   float64       // per second
	limit  int           // the bucket's size, or the requests allowed per window
	window time.Duration // 0 for a token bucket
	typ    string        // RateKey or RateOrg

	tokens float64   // token bucket: tokens left at last
	last   time.Time // token bucket: when tokens was computed
	start  time.Time // window: when the current one began
	count  int       // window: requests counted in it
}

// newMeter returns a meter allowing rate requests per second: burst at once
// as a token bucket, or rate×window (rounded up, at least 1) per window.
func newMeter(rate float64, burst int, window time.Duration, typ string) *meter {
	m := &meter{rate: rate, limit: max(burst, 1), window: window, typ: typ, tokens: float64(max(burst, 1))}
	if window > 0 {
		m.limit = max(1, int(math.Ceil(rate*window.Seconds())))
	}
	return m
}

// peek reports whether one more request fits at now, and where the meter
// stands: as it will after the request when it fits, as it is when not.
func (m *meter) peek(now time.Time) (ok bool, r Rate) {
	if m == nil {
		return true, Rate{}
	}
	m.advance(now)
	r = Rate{Limit: m.limit, Window: m.window, Type: m.typ}
	if m.window > 0 {
		r.Reset = m.start.Add(m.window).Sub(now)
		if m.count >= m.limit {
			return false, r
		}
		r.Remaining = m.limit - m.count - 1
		return true, r
	}
	if m.tokens < 1 {
		r.Reset = time.Duration((1 - m.tokens) / m.rate * float64(time.Second))
		return false, r
	}
	left := m.tokens - 1
	r.Remaining = int(left)
	r.Reset = time.Duration((float64(m.limit) - left) / m.rate * float64(time.Second))
	return true, r
}

// take counts one request; peek said it fits.
func (m *meter) take(now time.Time) {
	if m == nil {
		return
	}
	m.advance(now)
	if m.window > 0 {
		m.count++
	} else {
		m.tokens--
	}
}

// advance refills the bucket, or starts a new window once the last is over.
func (m *meter) advance(now time.Time) {
	if m.window > 0 {
		if m.start.IsZero() || !now.Before(m.start.Add(m.window)) {
			m.start, m.count = now, 0
		}
		return
	}
	if !m.last.IsZero() {
		m.tokens = min(float64(m.limit), m.tokens+now.Sub(m.last).Seconds()*m.rate)
	}
	m.last = now
}
