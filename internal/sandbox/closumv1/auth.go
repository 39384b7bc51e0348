package closumv1

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/crmload/crmload/internal/sandbox"
)

// DefaultTokenTTL is the documented token lifetime: "expires_in": 604800
// seconds (seven days).
const DefaultTokenTTL = 604800 * time.Second

// notAuthorized is CakePHP's AuthComponent message; its JWT authenticator
// answers a missing, unknown, badly signed or expired token alike.
const notAuthorized = "You are not authorized to access that location."

// tokenRec is an issued token: whose it is and when it stops working.
type tokenRec struct {
	user    string
	expires time.Time
}

// SetTokenTTL sets the lifetime of tokens issued from now on (and the
// expires_in they report), so tests can make tokens expire mid-run.
// Tokens already issued keep their expiry.
func (f *Fake) SetTokenTTL(d time.Duration) {
	f.tokMu.Lock()
	defer f.tokMu.Unlock()
	f.ttl = max(d, time.Second)
}

// TokenTTL is the lifetime of newly issued tokens.
func (f *Fake) TokenTTL() time.Duration {
	f.tokMu.Lock()
	defer f.tokMu.Unlock()
	return f.ttl
}

// TokenIssues counts the tokens issued so far, so tests can prove a client
// logs in once rather than per request.
func (f *Fake) TokenIssues() int {
	f.tokMu.Lock()
	defer f.tokMu.Unlock()
	return f.issues
}

// RevokeTokens forgets every issued token, as a server-side key rotation
// would: the next call with any of them gets 401.
func (f *Fake) RevokeTokens() {
	f.tokMu.Lock()
	defer f.tokMu.Unlock()
	clear(f.tokens)
}

// issueToken: POST /api/token with {"api_username", "api_pw"}.
func (f *Fake) issueToken(w http.ResponseWriter, r *http.Request, _ int) {
	body, err := readJSON(w, r)
	if err != nil {
		f.fail(w, r, http.StatusBadRequest, badBody)
		return
	}
	user, _ := body["api_username"].(string)
	pw, _ := body["api_pw"].(string)
	// Both compared in full whatever the first says, so timing tells nothing.
	userOK := subtle.ConstantTimeCompare([]byte(user), []byte(f.user)) == 1
	pwOK := sandbox.KeyIn(f.passwords, pw)
	if !userOK || !pwOK {
		f.fail(w, r, http.StatusUnauthorized, "Invalid username or password")
		return
	}
	now := f.now()
	f.tokMu.Lock()
	ttl := f.ttl
	exp := now.Add(ttl).Truncate(time.Second)
	tok := f.sign(exp)
	for t, rec := range f.tokens {
		if !now.Before(rec.expires) {
			delete(f.tokens, t) // keeps the table small in long runs
		}
	}
	f.tokens[tok] = tokenRec{user: f.user, expires: exp}
	f.issues++
	f.tokMu.Unlock()
	f.ok(w, http.StatusOK, tokenData{Token: tok, ExpiresIn: int(ttl / time.Second), ExpirationDate: stamp(exp)})
}

// sign makes a JWT like the doc's: header {"typ":"JWT","alg":"HS256"},
// payload {"sub":1,"exp":…} (the account's user id is 1), HMAC-SHA256.
// Two tokens issued in the same second are the same, as with the real one.
func (f *Fake) sign(exp time.Time) string {
	enc := base64.RawURLEncoding
	head := enc.EncodeToString([]byte(`{"typ":"JWT","alg":"HS256"}`))
	payload := enc.EncodeToString(fmt.Appendf(nil, `{"sub":1,"exp":%d}`, exp.Unix()))
	mac := hmac.New(sha256.New, f.secret)
	mac.Write([]byte(head + "." + payload))
	return head + "." + payload + "." + enc.EncodeToString(mac.Sum(nil))
}

// bearer returns the token of an "Authorization: Bearer …" header.
func bearer(r *http.Request) string {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}

// authenticated reports whether the request carries a live token.
func (f *Fake) authenticated(r *http.Request) bool {
	tok := bearer(r)
	if tok == "" {
		return false
	}
	now := f.now()
	f.tokMu.Lock()
	defer f.tokMu.Unlock()
	rec, ok := f.tokens[tok]
	return ok && now.Before(rec.expires)
}

// rateKey is the Gate's per-key bucket: the user a request acts as. That
// is the bearer token's user, or for POST /api/token the api_username it
// logs in as (the body is read and put back). Anything else shares the
// anonymous bucket "".
func (f *Fake) rateKey(r *http.Request) string {
	if tok := bearer(r); tok != "" {
		f.tokMu.Lock()
		rec, ok := f.tokens[tok]
		f.tokMu.Unlock()
		if ok {
			return "user:" + rec.user
		}
		return ""
	}
	if r.Method != http.MethodPost || strings.TrimRight(r.URL.Path, "/") != basePath+"/token" || r.Body == nil {
		return ""
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	r.Body = io.NopCloser(bytes.NewReader(raw))
	if err != nil {
		return ""
	}
	var login struct {
		User string `json:"api_username"`
	}
	if json.Unmarshal(raw, &login) != nil || login.User == "" {
		return ""
	}
	return "user:" + login.User
}
