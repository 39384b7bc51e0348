package closum

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/mapping"
)

func TestNew(t *testing.T) {
	tests := []struct {
		name string
		cfg  connector.Config
		want string // "" for success
	}{
		{"ok", connector.Config{BaseURL: "https://api.closum.com/v2/", APIKey: "k"}, ""},
		{"no key", connector.Config{BaseURL: "https://api.closum.com/v2"}, "API key is required"},
		{"no scheme", connector.Config{BaseURL: "api.closum.com/v2", APIKey: "k"}, "must be an http(s) URL"},
		{"bad page size", connector.Config{BaseURL: "https://x/v2", APIKey: "k", Options: map[string]string{"page_size": "0"}}, "page_size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.cfg)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("New: %v", err)
			case tt.want == "" && c.(*Client).base != "https://api.closum.com/v2":
				t.Errorf("base = %q, want the trailing slash trimmed", c.(*Client).base)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestPrepare(t *testing.T) {
	tests := []struct {
		name   string
		key    string
		fields []string
		want   []string // substrings of the error; nil for success
		auth   bool
	}{
		{"label any case and var", testKey, []string{"email", "custom.tipo de serviço", "custom.empresa", "custom.Empresa"}, nil, false},
		{"unknown listed with what exists", testKey, []string{"custom.Nope", "custom.Empresa", "custom.Other"},
			[]string{`"Nope"`, `"Other"`, `"Tipo de Serviço" (var tipo-de-servico)`, `"Empresa" (var empresa)`}, false},
		{"invalid key is auth", "wrong", []string{"email"}, []string{"Invalid API Key"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, c := newFake(t)
			f.key = tt.key
			err := c.Prepare(context.Background(), connector.Lead, tt.fields)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Prepare: %v", err)
				}
			} else {
				if err == nil {
					t.Fatal("Prepare succeeded, want an error")
				}
				for _, w := range tt.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("err = %v, want it to contain %s", err, w)
					}
				}
				if strings.Contains(err.Error(), `"Empresa",`) {
					t.Errorf("err = %v lists a known field as unknown", err)
				}
			}
			ce, ok := connector.AsError(err)
			if tt.auth != (ok && ce.Auth) {
				t.Errorf("auth = %v (%v), want %v", ok && ce.Auth, err, tt.auth)
			}
			reqs := f.requests()
			if len(reqs) != 1 || reqs[0].Path != "/v2/field/" {
				t.Errorf("requests = %+v, want one GET /v2/field/", reqs)
			}
		})
	}
}

func TestCustomFieldResolvedOnWrite(t *testing.T) {
	f, c := newFake(t)
	prepared(t, c, connector.Contact, "custom.TIPO DE SERVIÇO")
	rec := mapping.Record{"email": "a@x.com", "custom.TIPO DE SERVIÇO": "SEO", "custom.empresa": "ACME"}
	if _, err := c.Write(context.Background(), connector.Contact, rec, connector.WriteOptions{Mode: connector.Create}); err != nil {
		t.Fatal(err)
	}
	reqs := f.requests()
	got := reqs[len(reqs)-1].Body["custom_fields"]
	want := map[string]any{"tipo-de-servico": "SEO", "empresa": "ACME"}
	if !mapsEqual(got, want) {
		t.Errorf("custom_fields = %v, want %v", got, want)
	}
}

func mapsEqual(got any, want map[string]any) bool {
	m, ok := got.(map[string]any)
	if !ok || len(m) != len(want) {
		return false
	}
	for k, v := range want {
		if m[k] != v {
			return false
		}
	}
	return true
}

// TestErrorClassification checks how answers become errors, above all that
// HTTP 200 with "status": false is a failure.
func TestErrorClassification(t *testing.T) {
	tests := []struct {
		name       string
		code       int
		header     map[string]string
		body       string
		ok         bool
		auth       bool
		retry      bool
		maybe      bool
		after      time.Duration
		msg        string
		httpStatus int
	}{
		{name: "success", code: 200, body: `{"status":true,"code":200,"responseData":[{"lead_id":5}],"message":["success"],"errors":[]}`, ok: true},
		{name: "200 invalid key", code: 200, body: `{"status":false,"code":200,"responseData":[],"message":[],"errors":["Invalid API Key"]}`,
			auth: true, msg: "Invalid API Key", httpStatus: 200},
		{name: "200 validation", code: 200, body: `{"status":false,"code":200,"responseData":[],"message":["Check the data"],"errors":["The email is invalid","Name too long"]}`,
			msg: "The email is invalid; Name too long; Check the data", httpStatus: 200},
		{name: "200 field errors object", code: 200, body: `{"status":false,"errors":{"birth_date":{"date":"Invalid date"}}}`,
			msg: "birth_date: date: Invalid date", httpStatus: 200},
		{name: "200 no reason", code: 200, body: `{"status":false}`, msg: "without a reason", httpStatus: 200},
		{name: "200 body code 403", code: 200, body: `{"status":false,"code":403,"errors":["Forbidden"]}`, auth: true, msg: "Forbidden", httpStatus: 200},
		{name: "200 body code 429", code: 200, header: map[string]string{"Retry-After": "3"}, body: `{"status":false,"code":429,"errors":["Slow down"]}`,
			retry: true, after: 3 * time.Second, msg: "Slow down", httpStatus: 200},
		{name: "401", code: 401, body: `{"status":false,"code":401,"errors":["Unauthorized"]}`, auth: true, msg: "Unauthorized", httpStatus: 401},
		{name: "400 invalid key", code: 400, body: `{"status":false,"errors":["Invalid API Key"]}`, auth: true, msg: "Invalid API Key", httpStatus: 400},
		{name: "422 message", code: 422, body: `{"status":false,"errors":["consent_sms is required"]}`, msg: "consent_sms is required", httpStatus: 422},
		{name: "429 retry-after", code: 429, header: map[string]string{"Retry-After": "7"}, body: `{"status":false,"errors":["Too Many Requests"]}`,
			retry: true, after: 7 * time.Second, httpStatus: 429},
		{name: "503", code: 503, body: `oops`, retry: true, maybe: true, httpStatus: 503},
		{name: "200 not json", code: 200, body: `<html>cloudflare</html>`, maybe: true, msg: "not a Closum envelope", httpStatus: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.code)
				_, _ = w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			c := newClient(t, srv.URL+"/v2", nil)
			c.fields = []field{}
			res, err := c.Write(context.Background(), connector.Lead, mapping.Record{"email": "a@x.com"}, connector.WriteOptions{Mode: connector.Create})
			if tt.ok {
				if err != nil || res.Status != connector.Created || res.ID != "5" {
					t.Fatalf("Write = %+v, %v; want created 5", res, err)
				}
				return
			}
			ce, ok := connector.AsError(err)
			if !ok {
				t.Fatalf("err = %#v, want *connector.Error", err)
			}
			if ce.Auth != tt.auth || ce.Retryable != tt.retry || ce.MaybeApplied != tt.maybe || ce.RetryAfter != tt.after || ce.HTTPStatus != tt.httpStatus {
				t.Errorf("error = %+v, want auth %v retry %v maybe %v after %v http %d", ce, tt.auth, tt.retry, tt.maybe, tt.after, tt.httpStatus)
			}
			if !strings.Contains(ce.Message, tt.msg) {
				t.Errorf("message = %q, want %q", ce.Message, tt.msg)
			}
		})
	}
}

func TestSuccessRateHintBecomesWait(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("RateLimit", "limit=60, remaining=0, reset=2")
		_, _ = w.Write([]byte(`{"status":true,"code":200,"responseData":[{"contact_id":"c1"}],"errors":[]}`))
	}))
	defer srv.Close()
	c := newClient(t, srv.URL+"/v2", nil)
	c.fields = []field{}
	res, err := c.Write(context.Background(), connector.Contact, mapping.Record{"email": "a@x.com"}, connector.WriteOptions{Mode: connector.Create})
	if err != nil || res.ID != "c1" || res.Wait != 2*time.Second {
		t.Errorf("Write = %+v, %v; want id c1 and a 2s wait", res, err)
	}
}
