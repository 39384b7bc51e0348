package closum

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/crmload/crmload/internal/connector"
)

// call sends one request to Closum and returns the decoded envelope of a
// successful answer. Every failure is a *connector.Error whose text has been
// through the Redactor: the api-key rides in every URL, and net/http quotes
// URLs in its errors. A cancelled ctx comes back as ctx.Err().
//
// Success needs both an HTTP status below 400 (connector.Call) and
// "status": true in the body: Closum answers some failures, an invalid key
// among them, with HTTP 200 and "status": false.
func (c *Client) call(ctx context.Context, method, path string, q url.Values, body any, op string) (*http.Response, envelope, error) {
	var env envelope
	req, err := c.newRequest(ctx, method, path, q, body)
	if err != nil {
		return nil, env, &connector.Error{Op: op, Err: c.red.Error(err)}
	}
	resp, raw, err := connector.Call(ctx, c.http, req, op, c.red)
	if err != nil {
		if ce, ok := connector.AsError(err); ok && len(raw) > 0 {
			// connector.Call cuts the body before redacting it, which can
			// leave part of an echoed key behind: redact whole, then cut.
			ce.Message = snippet([]byte(c.red.String(string(raw))))
			c.explain(ce, raw)
		}
		return resp, env, err
	}
	if err := json.Unmarshal(raw, &env); err != nil || env.Status == nil {
		return resp, env, &connector.Error{
			Op:           op,
			HTTPStatus:   resp.StatusCode,
			Message:      "unexpected answer, not a Closum envelope: " + snippet([]byte(c.red.String(string(raw)))),
			MaybeApplied: method != http.MethodGet,
		}
	}
	if !*env.Status {
		return resp, env, c.envelopeError(op, method, resp, env)
	}
	return resp, env, nil
}

// newRequest builds a request for path under the base URL with the api-key
// and q as query parameters and body, when not nil, as JSON.
func (c *Client) newRequest(ctx context.Context, method, path string, q url.Values, body any) (*http.Request, error) {
	params := url.Values{}
	for k, v := range q {
		params[k] = v
	}
	params.Set("api-key", c.key)
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("encode body: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+"/"+path+"?"+params.Encode(), rd)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// envelopeError classifies a "status": false answer. The body's own code,
// when it says 401/403/429/5xx, is honoured like the HTTP status would be.
func (c *Client) envelopeError(op, method string, resp *http.Response, env envelope) *connector.Error {
	msgs := env.problems()
	e := &connector.Error{Op: op, HTTPStatus: resp.StatusCode, Message: c.red.String(strings.Join(msgs, "; "))}
	if e.Message == "" {
		e.Message = "Closum answered status false without a reason"
	}
	code := int(env.Code)
	switch {
	case code == http.StatusTooManyRequests || rateLimited(msgs):
		e.Retryable = true
		e.RetryAfter, _ = connector.RateHint(resp.Header, c.now())
	case code == http.StatusUnauthorized || code == http.StatusForbidden || authProblem(msgs):
		e.Auth = true
	case code >= 500:
		e.Retryable = true
		e.MaybeApplied = method != http.MethodGet
		e.RetryAfter, _ = connector.RateHint(resp.Header, c.now())
	}
	return e
}

// explain replaces the raw-body message connector.Call put in an HTTP error
// with the envelope's own words, and marks key problems as Auth even when
// they come with a status other than 401/403.
func (c *Client) explain(e *connector.Error, raw []byte) {
	var env envelope
	if json.Unmarshal(raw, &env) != nil {
		return
	}
	msgs := env.problems()
	if len(msgs) == 0 {
		return
	}
	e.Message = c.red.String(strings.Join(msgs, "; "))
	if e.HTTPStatus != http.StatusTooManyRequests && authProblem(msgs) && !rateLimited(msgs) {
		e.Auth = true
		e.Retryable = false
	}
}

// authProblem reports whether the API's messages reject the key, as in
// Closum's documented "Invalid API Key".
func authProblem(msgs []string) bool {
	for _, m := range msgs {
		l := strings.ToLower(m)
		if strings.Contains(l, "api key") || strings.Contains(l, "api-key") || strings.Contains(l, "apikey") ||
			strings.Contains(l, "unauthorized") || strings.Contains(l, "unauthorised") {
			return true
		}
	}
	return false
}

// rateLimited reports whether the API's messages say it is throttling.
func rateLimited(msgs []string) bool {
	for _, m := range msgs {
		l := strings.ToLower(m)
		if strings.Contains(l, "rate limit") || strings.Contains(l, "too many requests") {
			return true
		}
	}
	return false
}

// rowError is a record Closum would refuse, found before any call.
func rowError(op, format string, args ...any) *connector.Error {
	return &connector.Error{Op: op, Message: fmt.Sprintf(format, args...)}
}

// snippet returns the start of a body on one line, for a message.
func snippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// responseID finds the id of the record an add or edit touched. The
// documented answers (contact/add, contact/edit, topic/add) are
// [{"contact_id": "…"}]; lead/add's is not documented, so the same shape is
// expected with lead_id, and an object or a plain "id" is accepted too.
func responseID(raw json.RawMessage, keys ...string) string {
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if dec.Decode(&v) != nil {
		return ""
	}
	if arr, ok := v.([]any); ok {
		if len(arr) == 0 {
			return ""
		}
		v = arr[0]
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	for _, k := range append(keys, "id") {
		switch t := obj[k].(type) {
		case string:
			if t != "" {
				return t
			}
		case json.Number:
			return t.String()
		case map[string]any:
			if id := responseID(mustJSON(t), "id"); id != "" {
				return id
			}
		}
	}
	return ""
}

func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}
