package closem

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/crmload/crmload/internal/connector"
)

// post sends one form to CLOSEM and returns what a successful answer says.
// Every failure is a *connector.Error whose text has been through the
// Redactor: the key rides in the URL, and net/http quotes URLs in its
// errors. A cancelled ctx comes back as ctx.Err().
//
// Success needs both an HTTP status below 400 (connector.Call) and a body
// that does not say it failed: undocumented APIs of this kind often answer
// errors with HTTP 200.
func (c *Client) post(ctx context.Context, form url.Values, op string) (*http.Response, answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, answer{}, &connector.Error{Op: op, Err: c.red.Error(err)}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json, text/plain;q=0.9, */*;q=0.5")
	resp, raw, err := connector.Call(ctx, c.http, req, op, c.red)
	if err != nil {
		if ce, ok := connector.AsError(err); ok && len(raw) > 0 {
			c.explain(ce, raw)
		}
		return resp, answer{}, err
	}
	a := readAnswer(raw)
	if !a.ok {
		return resp, a, c.refusal(op, resp, a)
	}
	return resp, a, nil
}

// refusal classifies an answer with HTTP status below 400 whose body says
// it failed: Auth when it speaks of the key (or is a login page),
// retryable when it speaks of a rate limit or carries a 429/5xx code,
// otherwise a row error.
func (c *Client) refusal(op string, resp *http.Response, a answer) *connector.Error {
	e := &connector.Error{Op: op, HTTPStatus: resp.StatusCode, Message: snippet(c.red.String(a.message))}
	switch {
	case a.code == http.StatusTooManyRequests || rateProblem(a.message):
		e.Retryable = true
		e.RetryAfter, _ = connector.RateHint(resp.Header, c.now())
	case a.login || a.code == http.StatusUnauthorized || a.code == http.StatusForbidden || (!a.html && authProblem(a.message)):
		e.Auth = true
	case a.code >= 500:
		e.Retryable = true
		e.MaybeApplied = true
		e.RetryAfter, _ = connector.RateHint(resp.Header, c.now())
	}
	return e
}

// explain replaces the raw-body message connector.Call put in an HTTP
// error with the answer's own words, redacted whole before it is cut, and
// marks key problems as Auth whatever the 4xx status.
func (c *Client) explain(e *connector.Error, raw []byte) {
	a := readAnswer(raw)
	if a.message != "" {
		e.Message = snippet(c.red.String(a.message))
	} else {
		e.Message = snippet(c.red.String(string(raw)))
	}
	if e.HTTPStatus >= 400 && e.HTTPStatus < 500 && e.HTTPStatus != http.StatusTooManyRequests && !e.Auth {
		switch {
		case rateProblem(a.message):
			e.Retryable = true
		case a.login || (!a.html && authProblem(a.message)):
			e.Auth = true
		}
	}
}
