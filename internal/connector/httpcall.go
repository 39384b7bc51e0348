package connector

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Redactor removes secrets from text before it can reach an error, a log
// line or a report cell. Systems that put the key in the URL (Closum, CLOSEM)
// depend on it: net/http's errors quote the whole URL.
type Redactor struct {
	secrets []string
}

// NewRedactor returns a Redactor for the given secrets; empty ones are ignored.
func NewRedactor(secrets ...string) Redactor {
	var r Redactor
	for _, s := range secrets {
		if s == "" {
			continue
		}
		r.secrets = append(r.secrets, s, url.QueryEscape(s), url.PathEscape(s))
	}
	return r
}

// String returns s with every secret replaced by "REDACTED".
func (r Redactor) String(s string) string {
	for _, secret := range r.secrets {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "REDACTED")
		}
	}
	return s
}

// Error returns err with its text redacted; nil stays nil. The result keeps
// no reference to the original error, so nothing can print it unredacted.
func (r Redactor) Error(err error) error {
	if err == nil {
		return nil
	}
	return redactedError{msg: r.String(err.Error()), timeout: isTimeout(err)}
}

type redactedError struct {
	msg     string
	timeout bool
}

func (e redactedError) Error() string { return e.msg }
func (e redactedError) Timeout() bool { return e.timeout }

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded)
}

// Call sends req with client and reads the whole response body (bounded to
// 32 MiB). Any failure comes back as an *Error, classified:
//
//   - no response: Retryable; MaybeApplied unless the connection was never
//     made (refused, DNS), since a timeout may strike after the server acted;
//   - 401 and 403: Auth;
//   - 429: Retryable, RetryAfter from the rate-limit headers (RateHint);
//   - 5xx: Retryable and MaybeApplied for non-idempotent methods;
//   - other 4xx: not retryable, Message from the body.
//
// A cancelled ctx is returned as ctx.Err(), unclassified, so the runner never
// retries it. op names the call in the error; red scrubs secrets.
func Call(ctx context.Context, client *http.Client, req *http.Request, op string, red Redactor) (*http.Response, []byte, error) {
	resp, err := client.Do(req.WithContext(ctx))
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		return nil, nil, &Error{
			Op:           op,
			Retryable:    true,
			MaybeApplied: !isDialError(err) && req.Method != http.MethodGet,
			Err:          red.Error(err),
		}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		return resp, nil, &Error{Op: op, HTTPStatus: resp.StatusCode, Retryable: true,
			MaybeApplied: req.Method != http.MethodGet, Err: red.Error(fmt.Errorf("read response: %w", err))}
	}
	if resp.StatusCode < 400 {
		return resp, body, nil
	}
	// Redact before cutting: a cut could split a secret and let half of it through.
	e := &Error{Op: op, HTTPStatus: resp.StatusCode, Message: snippet(red.String(string(body)))}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		e.Auth = true
	case resp.StatusCode == http.StatusTooManyRequests:
		e.Retryable = true
		e.RetryAfter, _ = RateHint(resp.Header, time.Now())
	case resp.StatusCode >= 500:
		e.Retryable = true
		e.MaybeApplied = req.Method != http.MethodGet
		e.RetryAfter, _ = RateHint(resp.Header, time.Now())
	}
	return resp, body, e
}

// isDialError reports whether err happened before any byte was sent.
func isDialError(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}

// snippet returns the first part of a response body, on one line, for a message.
func snippet(body string) string {
	s := strings.Join(strings.Fields(body), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// RateHint reads the wait a server asks for from its headers, in the order
// of precedence Close documents and uses today:
//
//   - RateLimit: limit=…, remaining=…, reset=… (IETF draft, Close's current form)
//   - Retry-After: seconds or an HTTP date (RFC 7231)
//   - X-Rate-Limit-Retry-After-Seconds: seconds (bucket4j gateways)
//   - X-Rate-Limit-Reset: seconds (Close's older form)
//
// For the RateLimit and X-Rate-Limit forms a wait is returned only when no
// request remains (remaining=0) or the response is a 429 already (callers
// ask only then). ok is false when no header gave a hint.
func RateHint(h http.Header, now time.Time) (wait time.Duration, ok bool) {
	// Close's x-rate-limit-reset is a decimal: prefer it to the whole
	// seconds of RateLimit and Retry-After, or every window that fills
	// costs up to a second of idling.
	if w, ok := RateWindowOf(h); ok && w.Exact && (w.Remaining <= 0 || !w.HasRemaining) {
		return w.Reset, true
	}
	if v := h.Get("RateLimit"); v != "" {
		params := parseParams(v)
		if reset, err := strconv.ParseFloat(params["reset"], 64); err == nil {
			if rem, err := strconv.Atoi(params["remaining"]); err != nil || rem <= 0 {
				return seconds(reset), true
			}
		}
	}
	if v := h.Get("Retry-After"); v != "" {
		if s, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
			return seconds(s), true
		}
		if t, err := http.ParseTime(v); err == nil {
			return max(t.Sub(now), 0), true
		}
	}
	// bucket4j (Spring gateways, e.g. Qlara's) names its hint this way.
	if v := h.Get("X-Rate-Limit-Retry-After-Seconds"); v != "" {
		if s, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
			return seconds(s), true
		}
	}
	if v := h.Get("X-Rate-Limit-Reset"); v != "" {
		if s, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
			if rem := h.Get("X-Rate-Limit-Remaining"); rem == "" || rem == "0" {
				return seconds(s), true
			}
		}
	}
	return 0, false
}

func parseParams(v string) map[string]string {
	out := map[string]string{}
	for _, part := range strings.Split(v, ",") {
		k, val, _ := strings.Cut(strings.TrimSpace(part), "=")
		out[strings.ToLower(strings.TrimSpace(k))] = strings.Trim(strings.TrimSpace(val), `"`)
	}
	return out
}

// seconds converts a server's wait, bounded to a day: a huge or NaN value
// must not overflow into a negative wait.
func seconds(s float64) time.Duration {
	if !(s > 0) {
		return 0
	}
	return time.Duration(min(s, 86400) * float64(time.Second))
}

// RateWindow is what a server says of its current rate-limit window.
type RateWindow struct {
	Limit        int           // requests allowed in the window; 0 when not said
	Remaining    int           // requests left in it
	HasRemaining bool          // Remaining was given
	Reset        time.Duration // until the window ends
	Exact        bool          // Reset came as a decimal (x-rate-limit-reset), not rounded up
}

// RateWindowOf reads the current window from Close's x-rate-limit-* headers
// (reset in decimal seconds), else from the IETF RateLimit header (whole
// seconds), else from bucket4j's X-Rate-Limit-Remaining. ok is false when
// no header says anything of the window. Malformed values are ignored.
func RateWindowOf(h http.Header) (RateWindow, bool) {
	var w RateWindow
	if v := h.Get("X-Rate-Limit-Reset"); v != "" {
		if s, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
			w.Reset, w.Exact = seconds(s), true
			w.Limit, _ = strconv.Atoi(strings.TrimSpace(h.Get("X-Rate-Limit-Limit")))
			if n, err := strconv.Atoi(strings.TrimSpace(h.Get("X-Rate-Limit-Remaining"))); err == nil {
				w.Remaining, w.HasRemaining = n, true
			}
			return w, true
		}
	}
	if v := h.Get("RateLimit"); v != "" {
		p := parseParams(v)
		if s, err := strconv.ParseFloat(p["reset"], 64); err == nil {
			w.Reset = seconds(s)
			w.Limit, _ = strconv.Atoi(p["limit"])
			if n, err := strconv.Atoi(p["remaining"]); err == nil {
				w.Remaining, w.HasRemaining = n, true
			}
			return w, true
		}
	}
	if n, err := strconv.Atoi(strings.TrimSpace(h.Get("X-Rate-Limit-Remaining"))); err == nil {
		w.Remaining, w.HasRemaining = n, true
		if s, err := strconv.ParseFloat(strings.TrimSpace(h.Get("X-Rate-Limit-Retry-After-Seconds")), 64); err == nil {
			w.Reset = seconds(s)
		}
		return w, true
	}
	return w, false
}
