package closecrm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/crmload/crmload/internal/connector"
)

// tracker collects, over the calls of one Write, what the Result reports:
// the last HTTP status and the longest pause the rate-limit headers asked for.
type tracker struct {
	status int
	wait   time.Duration
}

// call sends one request to the API and decodes the JSON answer into out
// (when out is not nil). Failures are *connector.Error, classified by
// connector.Call and sharpened with what Close's bodies say.
func (c *Client) call(ctx context.Context, t *tracker, op, method, path string, q url.Values, body, out any) error {
	u := c.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("%s: encode request: %w", op, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return fmt.Errorf("%s: %w", op, c.red.Error(err))
	}
	req.SetBasicAuth(c.key, "") // Close: the key is the user, the password blank
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "crmload")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}

	resp, data, err := connector.Call(ctx, c.http, req, op, c.red)
	if resp != nil && t != nil {
		t.status = resp.StatusCode
		if w, ok := connector.RateHint(resp.Header, c.now()); ok && resp.StatusCode < 400 {
			t.wait = max(t.wait, w)
		}
	}
	if err != nil {
		if ce, ok := connector.AsError(err); ok {
			c.explain(ce, data)
		}
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return &connector.Error{Op: op, HTTPStatus: resp.StatusCode,
			Message: "unreadable answer from Close: " + c.red.String(err.Error())}
	}
	return nil
}

// explain rewrites the message of a failed call with what Close's error
// body says, and reads the 429 body's rate_reset, which Close recommends
// over the headers.
func (c *Client) explain(e *connector.Error, body []byte) {
	var ae apiError
	parsed := len(bytes.TrimSpace(body)) > 0 && json.Unmarshal(body, &ae) == nil
	switch {
	case e.Auth:
		msg := "Close rejected the API key"
		if e.HTTPStatus == http.StatusForbidden {
			msg = "Close refused the operation for this API key"
		}
		if parsed {
			if s := errorText(ae); s != "" {
				msg += ": " + s
			}
		}
		e.Message = c.red.String(msg)
	case e.HTTPStatus == http.StatusTooManyRequests:
		msg := "rate limited"
		var rl rateLimit
		if parsed && json.Unmarshal(ae.Error, &rl) == nil {
			if rl.Message != "" {
				msg = rl.Message
			}
			// Close: "We recommend using the rate_reset value instead of
			// the retry-after header": it is exact, where the headers are
			// rounded up to whole seconds.
			if rl.RateReset > 0 {
				e.RetryAfter = time.Duration(rl.RateReset * float64(time.Second))
			}
		}
		if e.RetryAfter > 0 {
			msg += fmt.Sprintf(" (retry after %s)", e.RetryAfter.Round(time.Millisecond))
		}
		e.Message = c.red.String(msg)
	case parsed:
		if s := errorText(ae); s != "" {
			e.Message = c.red.String(s)
		}
	}
}

// errorText turns an error body into one short line: the "error" text, the
// "errors" list and every field error as "field: message".
func errorText(ae apiError) string {
	var parts []string
	if s := rawText(ae.Error); s != "" {
		parts = append(parts, s)
	}
	for _, e := range ae.Errors {
		if s := rawText(e); s != "" {
			parts = append(parts, s)
		}
	}
	parts = append(parts, fieldErrors("", ae.FieldErrors)...)
	s := strings.Join(parts, "; ")
	if len(s) > 400 {
		s = s[:400] + "…"
	}
	return s
}

// fieldErrors flattens Close's "field-errors", which nest for lists and
// sub-objects ({"emails": {"errors": {"0": {"field-errors": {"email": …}}}}}),
// into "emails.0.email: message" lines, sorted for a stable message.
func fieldErrors(prefix string, m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		name := k
		if prefix != "" {
			name = prefix + "." + k
		}
		out = append(out, fieldError(name, m[k])...)
	}
	return out
}

func fieldError(name string, raw json.RawMessage) []string {
	if s := rawText(raw); s != "" {
		return []string{name + ": " + s}
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil {
		return nil
	}
	// A nested error body: {"errors": …, "field-errors": …}.
	var out []string
	if fe, ok := obj["field-errors"]; ok {
		var m map[string]json.RawMessage
		if json.Unmarshal(fe, &m) == nil {
			out = append(out, fieldErrors(name, m)...)
		}
	}
	if e, ok := obj["errors"]; ok {
		if s := rawText(e); s != "" {
			out = append(out, name+": "+s)
		} else {
			var m map[string]json.RawMessage
			if json.Unmarshal(e, &m) == nil {
				out = append(out, fieldErrors(name, m)...)
			}
		}
	}
	if len(out) == 0 && obj["field-errors"] == nil && obj["errors"] == nil {
		out = fieldErrors(name, obj)
	}
	return out
}

// rawText returns a JSON string, a list of strings joined, or an object's
// "message"; "" for anything else.
func rawText(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.TrimSpace(s)
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return strings.Join(list, ", ")
	}
	var obj struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(raw, &obj) == nil {
		return obj.Message
	}
	return ""
}

// valueText renders a custom field value as the text a Record holds:
// lists joined with ", ", numbers in their shortest form, null as "".
func valueText(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		if f, err := n.Float64(); err == nil {
			return strconv.FormatFloat(f, 'f', -1, 64)
		}
		return n.String()
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) == nil {
		items := make([]string, 0, len(list))
		for _, it := range list {
			if s := valueText(it); s != "" {
				items = append(items, s)
			}
		}
		return strings.Join(items, ", ")
	}
	return string(raw)
}
