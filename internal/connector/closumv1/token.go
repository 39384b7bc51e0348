package closumv1

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/crmload/crmload/internal/connector"
)

// Token lifetimes. A token is renewed at 90% of its life or refreshMargin
// before it ends, whichever is earlier, so no call goes out with a token
// about to lapse in flight; a margin never takes more than half the life.
const (
	refreshMargin = 60 * time.Second
	// unknownLife is assumed when the answer gives neither expires_in nor a
	// usable expiration_date: short, since a 401 renews it anyway.
	unknownLife = 5 * time.Minute
)

// tokenState is the one bearer token all workers share, guarded by
// Client.tmu.
type tokenState struct {
	value     string
	refreshAt time.Time
	flight    *flight[string] // the renewal in progress, nil when none
	seen      []string        // every token issued to this client, for the redactor
	red       connector.Redactor
}

// token returns a bearer token that is not due for renewal, renewing it
// first when needed.
func (c *Client) token(ctx context.Context) (string, error) {
	return c.acquire(ctx, "")
}

// renew returns a token other than stale, the one a 401 refused: the
// current one when another worker has renewed it meanwhile, else a new one.
func (c *Client) renew(ctx context.Context, stale string) (string, error) {
	return c.acquire(ctx, stale)
}

// acquire implements token and renew. Workers that find the token stale
// share one renewal: the first starts it, the rest wait for its outcome
// (or their own ctx). A renewal abandoned because its starter's ctx ended
// is started again by the next waiter whose ctx is alive.
func (c *Client) acquire(ctx context.Context, stale string) (string, error) {
	for {
		c.tmu.Lock()
		if t := c.tok; t.value != "" && t.value != stale && c.now().Before(t.refreshAt) {
			c.tmu.Unlock()
			return t.value, nil
		}
		if f := c.tok.flight; f != nil {
			c.tmu.Unlock()
			select {
			case <-f.done:
			case <-ctx.Done():
				return "", ctx.Err()
			}
			if f.err != nil && isContextErr(f.err) && ctx.Err() == nil {
				continue
			}
			return f.val, f.err
		}
		f := &flight[string]{done: make(chan struct{})}
		c.tok.flight = f
		c.tmu.Unlock()
		f.val, f.err = c.fetchToken(ctx)
		close(f.done)
		return f.val, f.err
	}
}

// fetchToken asks POST /token for a new token and installs it. It always
// clears the flight it runs in.
func (c *Client) fetchToken(ctx context.Context) (tok string, err error) {
	const op = "get bearer token"
	defer func() {
		if err != nil {
			c.tmu.Lock()
			c.tok.flight = nil
			c.tmu.Unlock()
		}
	}()
	red := c.redactor()
	b, err := json.Marshal(tokenBody{Username: c.user, Password: c.pw})
	if err != nil {
		return "", &connector.Error{Op: op, Message: "encode credentials: " + red.String(err.Error())}
	}
	req, err := newJSONRequest(ctx, http.MethodPost, c.base+"/token", b)
	if err != nil {
		return "", &connector.Error{Op: op, Err: red.Error(err)}
	}
	issued := c.now()
	resp, raw, err := connector.Call(ctx, c.http, req, op, red)
	if err != nil {
		ce, ok := connector.AsError(err)
		if !ok {
			return "", err // ctx ended
		}
		if resp != nil {
			explain(ce, raw, red)
			if resp.StatusCode == http.StatusNotFound {
				ce.Message = "POST /token is not found: is the base URL the API root, such as https://api.closum.com/api?"
			}
			if !ce.Retryable && resp.StatusCode < 500 && resp.StatusCode != http.StatusNotFound {
				credentialsRefused(ce, c.user)
			}
		}
		return "", ce
	}
	var env envelope
	if json.Unmarshal(raw, &env) != nil {
		return "", &connector.Error{Op: op, HTTPStatus: resp.StatusCode,
			Message: "unexpected answer, not a Closum envelope: " + snippet(red.String(string(raw)))}
	}
	if env.Success != nil && !*env.Success {
		ce := envelopeError(op, http.MethodPost, resp, env, red, c.now())
		if !ce.Retryable {
			credentialsRefused(ce, c.user)
		}
		return "", ce
	}
	var data tokenData
	if json.Unmarshal(env.Data, &data) != nil || strings.TrimSpace(data.Token) == "" {
		return "", &connector.Error{Op: op, HTTPStatus: resp.StatusCode, Message: "the answer has no token"}
	}
	life := tokenLife(data, issued)
	c.tmu.Lock()
	defer c.tmu.Unlock()
	c.tok.value = data.Token
	c.tok.refreshAt = issued.Add(life - min(max(life/10, refreshMargin), life/2))
	c.tok.flight = nil
	c.tok.seen = append(c.tok.seen, data.Token)
	c.tok.red = newRedactor(c.pw, c.tok.seen)
	return data.Token, nil
}

// tokenLife is how long a token lasts from issued: expires_in, which no
// clock skew can distort, else expiration_date, else unknownLife.
func tokenLife(d tokenData, issued time.Time) time.Duration {
	if d.ExpiresIn > 0 {
		return time.Duration(d.ExpiresIn) * time.Second
	}
	if t, err := time.Parse(time.RFC3339, strings.TrimSpace(d.ExpirationDate)); err == nil {
		if life := t.Sub(issued); life > 0 {
			return life
		}
	}
	return unknownLife
}

// credentialsRefused turns a refusal of POST /token into an Auth error that
// names the user but never the password.
func credentialsRefused(ce *connector.Error, user string) {
	msg := "Closum v1 refused api_username " + `"` + user + `"` + " with this api_pw"
	if ce.Message != "" {
		msg += ": " + ce.Message
	}
	ce.Message = msg
	ce.Auth = true
	ce.Retryable = false
	ce.MaybeApplied = false
}

// redactor returns the Redactor for the secrets known so far: the password
// and every token issued.
func (c *Client) redactor() connector.Redactor {
	c.tmu.Lock()
	defer c.tmu.Unlock()
	return c.tok.red
}

// newRedactor scrubs the password and tokens, also in the JSON-escaped
// forms an API echoing a request body could show them in (with and without
// HTML escaping, and with PHP's escaped slashes).
func newRedactor(pw string, tokens []string) connector.Redactor {
	var secrets []string
	for _, s := range append([]string{pw}, tokens...) {
		if s == "" {
			continue
		}
		forms := []string{s}
		for _, html := range []bool{true, false} {
			var b bytes.Buffer
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(html)
			if enc.Encode(s) == nil {
				esc := strings.TrimSuffix(strings.TrimSpace(b.String()), `"`)
				esc = strings.TrimPrefix(esc, `"`)
				forms = append(forms, esc, strings.ReplaceAll(esc, "/", `\/`))
			}
		}
		for _, f := range forms {
			if !slices.Contains(secrets, f) {
				secrets = append(secrets, f)
			}
		}
	}
	return connector.NewRedactor(secrets...)
}

// isContextErr reports whether err is a cancelled or expired context.
func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
