package closumv1

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/crmload/crmload/internal/connector"
)

// call sends one authorised request and returns the envelope of a
// successful answer. A 401 renews the shared token once and sends the
// request again once. Every failure is a *connector.Error whose text has
// been through the Redactor (the password and every token); a cancelled
// ctx comes back as ctx.Err().
//
// Success needs an HTTP status below 400 and no "success": false.
func (c *Client) call(ctx context.Context, t *tracker, op, method, path string, q url.Values, body any) (envelope, error) {
	var payload []byte
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return envelope{}, &connector.Error{Op: op, Message: "encode request: " + c.redactor().String(err.Error())}
		}
		payload = b
	}
	u := c.base + "/" + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	tok, err := c.token(ctx)
	if err != nil {
		return envelope{}, err
	}
	env, err := c.send(ctx, t, op, method, u, payload, tok)
	if !unauthorized(err) {
		return env, err
	}
	// The token was refused before its time (revoked, or the server's clock
	// runs ahead): renew it once, shared with any worker refused alike.
	if tok, err = c.renew(ctx, tok); err != nil {
		return envelope{}, err
	}
	env, err = c.send(ctx, t, op, method, u, payload, tok)
	if unauthorized(err) {
		ce, _ := connector.AsError(err)
		ce.Message = "Closum v1 refused a freshly issued bearer token: " + ce.Message
		ce.Auth = true
	}
	return env, err
}

// send makes one attempt of a request with the token given.
func (c *Client) send(ctx context.Context, t *tracker, op, method, u string, payload []byte, tok string) (envelope, error) {
	red := c.redactor()
	req, err := newJSONRequest(ctx, method, u, payload)
	if err != nil {
		return envelope{}, &connector.Error{Op: op, Err: red.Error(err)}
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, raw, err := connector.Call(ctx, c.http, req, op, red)
	if resp != nil && t != nil {
		t.status = resp.StatusCode
		if w, ok := connector.RateHint(resp.Header, c.now()); ok && resp.StatusCode < 400 {
			t.wait = max(t.wait, w)
		}
	}
	if err != nil {
		if ce, ok := connector.AsError(err); ok && resp != nil {
			explain(ce, raw, red)
		}
		return envelope{}, err
	}
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return env, &connector.Error{Op: op, HTTPStatus: resp.StatusCode,
			Message:      "unexpected answer, not a Closum envelope: " + snippet(red.String(string(raw))),
			MaybeApplied: method != http.MethodGet}
	}
	if env.Success != nil && !*env.Success {
		return env, envelopeError(op, method, resp, env, red, c.now())
	}
	return env, nil
}

// newJSONRequest builds a request with a JSON body (when payload is not
// nil) and the headers the documentation's examples send.
func newJSONRequest(ctx context.Context, method, u string, payload []byte) (*http.Request, error) {
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Cache-Control", "no-cache")
	req.Header.Set("User-Agent", "crmload")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// unauthorized reports whether err is a refusal of the bearer token: an
// HTTP 401, or a "success": false answer stating code 401.
func unauthorized(err error) bool {
	ce, ok := connector.AsError(err)
	return ok && ce.HTTPStatus == http.StatusUnauthorized
}

// envelopeError classifies a "success": false answer. The code it states,
// when 401/403/429/5xx, is honoured like the HTTP status would be; the
// error then carries that code as its HTTPStatus so a 401 renews the token.
func envelopeError(op, method string, resp *http.Response, env envelope, red connector.Redactor, now time.Time) *connector.Error {
	e := &connector.Error{Op: op, HTTPStatus: resp.StatusCode, Message: red.String(strings.Join(env.problems(), "; "))}
	if e.Message == "" {
		e.Message = "Closum answered success false without a reason"
	}
	switch code := env.code(); {
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		e.HTTPStatus = code
		e.Auth = true
	case code == http.StatusTooManyRequests:
		e.HTTPStatus = code
		e.Retryable = true
		e.RetryAfter, _ = connector.RateHint(resp.Header, now)
	case code >= 500:
		e.HTTPStatus = code
		e.Retryable = true
		e.MaybeApplied = method != http.MethodGet
		e.RetryAfter, _ = connector.RateHint(resp.Header, now)
	}
	return e
}

// explain replaces the raw-body message connector.Call put in an HTTP error
// with the API's own words when the body is an envelope, and names the
// documented meaning of the status when the body says nothing.
func explain(e *connector.Error, raw []byte, red connector.Redactor) {
	var env envelope
	if json.Unmarshal(raw, &env) == nil {
		if msgs := env.problems(); len(msgs) > 0 {
			e.Message = snippet(red.String(strings.Join(msgs, "; ")))
			return
		}
	}
	if strings.TrimSpace(string(raw)) != "" && e.Message != "" {
		return
	}
	if m := statusMeaning(e.HTTPStatus); m != "" {
		e.Message = m
	}
	if e.HTTPStatus == http.StatusTooManyRequests {
		e.Message = "rate limited"
		if e.RetryAfter > 0 {
			e.Message += fmt.Sprintf(" (retry after %s)", e.RetryAfter.Round(time.Millisecond))
		}
	}
}

// statusMeaning is the documentation's table of error codes; "" for others.
func statusMeaning(code int) string {
	switch code {
	case http.StatusBadRequest:
		return "Bad Request: the request is invalid"
	case http.StatusUnauthorized:
		return "Unauthorized: the bearer token is wrong"
	case http.StatusForbidden:
		return "Forbidden: no permission for this request"
	case http.StatusNotFound:
		return "Not Found: the record could not be found"
	case http.StatusMethodNotAllowed:
		return "Method Not Allowed"
	case http.StatusInternalServerError:
		return "Internal Server Error: try again later"
	case http.StatusServiceUnavailable:
		return "Service Unavailable: offline for maintenance, try again later"
	}
	return ""
}

// snippet returns the start of a body on one line, for a message.
func snippet(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
