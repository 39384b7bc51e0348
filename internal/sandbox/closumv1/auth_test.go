package closumv1

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/sandbox"
)

func TestTokenIssue(t *testing.T) {
	clk := newClock()
	f, c := start(t, sandbox.Options{Now: clk.Now})
	r := c.ok(http.StatusOK, http.MethodPost, "/token", map[string]any{"api_username": testUser, "api_pw": testPass})
	if got := keysOf(t, r.Data); got != "expiration_date,expires_in,token" {
		t.Fatalf("token data keys %s", got)
	}
	var td tokenData
	r.into(t, &td)
	if td.ExpiresIn != 604800 {
		t.Errorf("expires_in %d, want the documented 604800", td.ExpiresIn)
	}
	if want := clk.Now().Add(7*24*time.Hour).Format("2006-01-02T15:04:05") + "+00:00"; td.ExpirationDate != want {
		t.Errorf("expiration_date %q, want %q", td.ExpirationDate, want)
	}
	parts := strings.Split(td.Token, ".")
	if len(parts) != 3 || parts[0] != "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9" {
		t.Fatalf("token %q is not a JWT with the doc's header", td.Token)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	var claims struct{ Sub, Exp int64 }
	if err != nil || json.Unmarshal(payload, &claims) != nil || claims.Exp != clk.Now().Add(DefaultTokenTTL).Unix() {
		t.Errorf("payload %s (%v), want exp %d", payload, err, clk.Now().Add(DefaultTokenTTL).Unix())
	}

	// The token works for many calls without another login.
	c.token = td.Token
	for range 5 {
		c.ok(http.StatusOK, http.MethodGet, "/lead", nil)
	}
	if n := f.TokenIssues(); n != 1 {
		t.Fatalf("TokenIssues = %d, want 1", n)
	}
	c.login()
	if n := f.TokenIssues(); n != 2 {
		t.Fatalf("TokenIssues after a second login = %d, want 2", n)
	}
}

func TestDefaultCredentials(t *testing.T) {
	f := New(sandbox.Options{})
	defer f.Close()
	srv, err := sandbox.Start(f, "")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c := &apiClient{t: t, base: srv.URL + f.BasePath(), hc: &http.Client{Timeout: 10 * time.Second}}
	c.ok(http.StatusOK, http.MethodPost, "/token", map[string]any{"api_username": sandbox.DefaultUser, "api_pw": sandbox.DefaultKey})
	c.failed(http.StatusUnauthorized, http.MethodPost, "/token", map[string]any{"api_username": testUser, "api_pw": testPass})
}

func TestWrongCredentials(t *testing.T) {
	f, c := start(t, sandbox.Options{})
	tests := []struct {
		name string
		body any
		want int
	}{
		{"wrong password", map[string]any{"api_username": testUser, "api_pw": "nope"}, http.StatusUnauthorized},
		{"password in another case", map[string]any{"api_username": testUser, "api_pw": strings.ToUpper(testPass)}, http.StatusUnauthorized},
		{"wrong user", map[string]any{"api_username": "someone", "api_pw": testPass}, http.StatusUnauthorized},
		{"password missing", map[string]any{"api_username": testUser}, http.StatusUnauthorized},
		{"password not a string", map[string]any{"api_username": testUser, "api_pw": 123}, http.StatusUnauthorized},
		{"empty object", map[string]any{}, http.StatusUnauthorized},
		{"malformed JSON", []byte(`{"api_username": `), http.StatusBadRequest},
		{"not an object", []byte(`["` + testUser + `"]`), http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := c.failed(tt.want, http.MethodPost, "/token", tt.body)
			if tt.want == http.StatusUnauthorized && d.Message != "Invalid username or password" {
				t.Errorf("message %q", d.Message)
			}
		})
	}
	// A form body is not JSON, whatever it holds.
	req := c.request(http.MethodPost, "/token", nil)
	req.Body = http.NoBody
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if r := c.do(req); r.HTTP != http.StatusBadRequest {
		t.Errorf("form body: HTTP %d, want 400", r.HTTP)
	}
	if n := f.TokenIssues(); n != 0 {
		t.Fatalf("%d tokens issued for bad logins", n)
	}
}

func TestUnauthorized(t *testing.T) {
	clk := newClock()
	f, c := start(t, sandbox.Options{Now: clk.Now})
	good := c.login().Token
	f.SetTokenTTL(time.Minute)
	clk.Advance(time.Second) // another second, so another token
	short := c.login().Token
	clk.Advance(2 * time.Minute)

	tests := []struct {
		name, auth string
	}{
		{"no header", ""},
		{"bearer without token", "Bearer "},
		{"basic auth", "Basic " + base64.StdEncoding.EncodeToString([]byte(testUser+":"+testPass))},
		{"unknown token", "Bearer " + good + "x"},
		{"token without scheme", good},
		{"expired token", "Bearer " + short},
	}
	routes := []struct{ method, path string }{
		{http.MethodGet, "/lead"},
		{http.MethodGet, "/lead/1"},
		{http.MethodPost, "/lead"},
		{http.MethodPost, "/unqualified-lead"},
		{http.MethodGet, "/unqualified-lead"},
		{http.MethodPut, "/email/1"},
		{http.MethodPut, "/phone/1"},
		{http.MethodGet, "/city"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, rt := range routes {
				var body any
				if rt.method != http.MethodGet {
					body = leadBody("X", "x@example.com", nil)
				}
				req := c.request(rt.method, rt.path, body)
				req.Header.Del("Authorization")
				if tt.auth != "" {
					req.Header.Set("Authorization", tt.auth)
				}
				r := c.do(req)
				var d errData
				_ = json.Unmarshal(r.Data, &d)
				if r.HTTP != http.StatusUnauthorized || r.Success || d.Code != 401 || d.Message != notAuthorized {
					t.Errorf("%s %s: HTTP %d %s, want 401 %q", rt.method, rt.path, r.HTTP, r.Raw, notAuthorized)
				}
			}
		})
	}
	// The long-lived token still works, and nothing was stored.
	c.token = good
	c.ok(http.StatusOK, http.MethodGet, "/lead", nil)
	if len(f.Leads()) != 0 || len(f.UnqualifiedLeads()) != 0 {
		t.Fatal("unauthenticated calls stored records")
	}
	f.RevokeTokens()
	c.failed(http.StatusUnauthorized, http.MethodGet, "/lead", nil)
}

// A token expires exactly at its expiration_date; a new login fixes it.
func TestTokenExpiresMidRun(t *testing.T) {
	clk := newClock()
	f, c := start(t, sandbox.Options{Now: clk.Now})
	f.SetTokenTTL(time.Minute)
	td := c.login()
	if td.ExpiresIn != 60 {
		t.Fatalf("expires_in %d, want 60", td.ExpiresIn)
	}
	exp, err := time.Parse(timeLayout, td.ExpirationDate)
	if err != nil || !exp.Equal(clk.Now().Add(time.Minute)) {
		t.Fatalf("expiration_date %q (%v)", td.ExpirationDate, err)
	}
	c.create("/lead", leadBody("A", "a@example.com", nil))
	clk.Advance(59 * time.Second)
	c.ok(http.StatusOK, http.MethodGet, "/lead", nil)
	clk.Advance(time.Second)
	d := c.failed(http.StatusUnauthorized, http.MethodGet, "/lead", nil)
	if d.Message != notAuthorized {
		t.Errorf("message %q", d.Message)
	}
	c.login()
	c.ok(http.StatusOK, http.MethodGet, "/lead", nil)
	if n := f.TokenIssues(); n != 2 {
		t.Fatalf("TokenIssues = %d, want 2", n)
	}
}

// Routing comes before auth: unknown paths are 404 and wrong methods 405
// with or without a token.
func TestRoutes(t *testing.T) {
	_, c := start(t, sandbox.Options{})
	tests := []struct {
		method, path string
		want         int
		allow        string
	}{
		{http.MethodPut, "/lead/1", http.StatusMethodNotAllowed, "GET"}, // no lead update
		{http.MethodPatch, "/lead/1", http.StatusMethodNotAllowed, "GET"},
		{http.MethodDelete, "/lead/1", http.StatusMethodNotAllowed, "GET"},
		{http.MethodPut, "/unqualified-lead/1", http.StatusMethodNotAllowed, "GET"},
		{http.MethodDelete, "/lead", http.StatusMethodNotAllowed, "GET, POST"},
		{http.MethodDelete, "/email/1", http.StatusMethodNotAllowed, "GET, PUT"},
		{http.MethodGet, "/token", http.StatusMethodNotAllowed, "POST"},
		{http.MethodPost, "/city", http.StatusMethodNotAllowed, "GET"},
		{http.MethodGet, "/lead/abc", http.StatusNotFound, ""},
		{http.MethodGet, "/lead/0", http.StatusNotFound, ""},
		{http.MethodGet, "/lead/1/email", http.StatusNotFound, ""},
		{http.MethodGet, "/city/1", http.StatusNotFound, ""},
		{http.MethodGet, "/leads", http.StatusNotFound, ""},
		{http.MethodGet, "/v2/lead", http.StatusNotFound, ""},
	}
	for _, withToken := range []bool{false, true} {
		if withToken {
			c.login()
		}
		for _, tt := range tests {
			r := c.call(tt.method, tt.path, nil)
			if r.HTTP != tt.want || r.Header.Get("Allow") != tt.allow {
				t.Errorf("token %v: %s %s: HTTP %d Allow %q, want %d %q", withToken, tt.method, tt.path,
					r.HTTP, r.Header.Get("Allow"), tt.want, tt.allow)
			}
		}
	}
	// A trailing slash is fine.
	c.ok(http.StatusOK, http.MethodGet, "/lead/", nil)
}
