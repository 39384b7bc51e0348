package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/crmload/crmload/internal/connector"
)

// retryTransport is the HTTP stack of a CRM source: it retries the calls a
// listing makes, so that one failed page does not end an export of a
// million records.
//
// Only GET and HEAD are retried: listing is idempotent, so sending a page
// request again is always safe (a POST, such as the start of an async
// export, is sent once). Layers, outermost first: retry → pace (the shared
// pacer: pauses, then a token) → one attempt bounded by run.timeout →
// transport. The pacer is waited on before the attempt's clock starts, so
// a long pause asked by the server is not mistaken for a timeout.
//
//   - 429: the wait the server gives (RateLimit, Retry-After, X-Rate-Limit-*
//     headers, or Close's rate_reset in the body) pauses the pacer, then the
//     call is sent again; a bare 429 pauses longer each time. 429s do not
//     spend run.retries but end after rateLimitAttempts.
//   - 5xx, timeouts and connection errors: up to run.retries more attempts
//     with exponential backoff and full jitter (or the server's wait, if
//     longer).
//   - Anything else, and the last failure once attempts are spent, goes to
//     the connector unchanged, which classifies it as usual.
//
// A connection cut while the connector reads a body that had begun to
// arrive is not retried here (the body streams to the connector); the
// listing then fails as before.
type retryTransport struct {
	base    http.RoundTripper
	pace    *pacer
	retries int           // extra attempts after 5xx, timeouts, connection errors
	timeout time.Duration // one attempt, body included
	backoff time.Duration // mean of the first retry's wait
}

// newListClient returns the HTTP client of a CRM source.
func newListClient(j *Job, pace *pacer, backoff time.Duration) *http.Client {
	if backoff == 0 {
		backoff = 250 * time.Millisecond
	}
	return &http.Client{CheckRedirect: sameHostRedirects, Transport: &retryTransport{base: http.DefaultTransport, pace: pace,
		retries: *j.Run.Retries, timeout: j.Run.Timeout.Duration, backoff: backoff}}
}

// RoundTrip sends req, retrying as the type's comment says.
func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		return t.attempt(req)
	}
	ctx := req.Context()
	failures, limited := 0, 0
	for {
		resp, err := t.attempt(req)
		var wait time.Duration
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return nil, err
			}
			if failures++; failures > t.retries {
				return nil, err
			}
			wait = t.jitter(failures - 1)
		case resp.StatusCode == http.StatusTooManyRequests:
			if limited++; limited >= rateLimitAttempts {
				return resp, nil
			}
			hint := rateLimitWait(resp)
			if hint <= 0 {
				hint = min(t.backoff<<min(limited-1, 6), 10*time.Second)
			}
			t.pace.Backoff(hint)
		case resp.StatusCode >= 500:
			if failures++; failures > t.retries {
				return resp, nil
			}
			wait = t.jitter(failures - 1)
			if hint, ok := connector.RateHint(resp.Header, t.pace.now()); ok && hint > wait {
				wait = hint
			}
			discard(resp)
		default:
			return resp, nil
		}
		if err := t.pace.sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// attempt waits for the pacer, then sends req once within the timeout; the
// timeout's clock runs until the body is closed. A success that says no
// call remains in the window holds the pacer until the reset, as pacedTransport does.
func (t *retryTransport) attempt(req *http.Request) (*http.Response, error) {
	seq, err := t.pace.Wait(req.Context())
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(req.Context(), t.timeout)
	sent := t.pace.now()
	resp, err := t.base.RoundTrip(req.Clone(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = cancelBody{ReadCloser: resp.Body, cancel: cancel}
	if resp.StatusCode < 400 {
		if w, ok := connector.RateWindowOf(resp.Header); ok {
			t.pace.Observe(seq, sent, w)
		}
	}
	return resp, nil
}

// jitter is exponential backoff with full jitter: uniform in [0, base·2^n],
// capped at 20s, like the runner's.
func (t *retryTransport) jitter(n int) time.Duration {
	ceil := min(t.backoff<<min(n, 10), 20*time.Second)
	return time.Duration(rand.Int64N(int64(ceil) + 1))
}

// cancelBody ends an attempt's context when its body is closed.
type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// discard reads and closes a body that will not be used, so the connection
// can be reused.
func discard(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
}

// rateLimitWait reads how long a 429 asks to wait: the headers first, then
// a rate_reset in the JSON body (Close's form: {"error": {"rate_reset": 1.5}}
// or at the top level). The body is kept readable for the caller.
func rateLimitWait(resp *http.Response) time.Duration {
	if d, ok := connector.RateHint(resp.Header, time.Now()); ok {
		return d
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	var v struct {
		RateReset float64 `json:"rate_reset"`
		Error     struct {
			RateReset float64 `json:"rate_reset"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &v) != nil {
		// "error" may be a string in other answers: try the top level alone.
		var top struct {
			RateReset float64 `json:"rate_reset"`
		}
		if json.Unmarshal(body, &top) != nil {
			return 0
		}
		v.RateReset = top.RateReset
	}
	s := max(v.RateReset, v.Error.RateReset)
	return time.Duration(s * float64(time.Second))
}
