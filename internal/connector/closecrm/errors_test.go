package closecrm

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/mapping"
)

func TestWriteErrors(t *testing.T) {
	tests := []struct {
		name       string
		answer     canned
		key        string // defaults to testKey
		retryable  bool
		auth       bool
		retryAfter time.Duration
		status     int
		message    string // expected substring of the message
	}{
		{
			name: "400 field errors",
			answer: canned{status: 400, body: `{"errors": [], "field-errors": {"name": "This field is required.",
				"contacts": {"errors": {"0": {"field-errors": {"emails": {"errors": {"0": {"field-errors": {"email": "Invalid email address."}}}}}}}}}}`},
			status:  400,
			message: "contacts.0.emails.0.email: Invalid email address.; name: This field is required.",
		},
		{
			name:    "400 plain error",
			answer:  canned{status: 400, body: `{"error": "Invalid status label"}`},
			status:  400,
			message: "Invalid status label",
		},
		{
			name: "429 rate_reset beats the rounded header",
			answer: canned{status: 429, header: map[string]string{"Retry-After": "1", "X-Rate-Limit-Reset": "0.4"},
				body: `{"error": {"message": "API call count exceeded for this period", "rate_reset": 2.5, "rate_limit": 40, "rate_window": 1, "rate_limit_type": "key"}}`},
			status: 429, retryable: true, retryAfter: 2500 * time.Millisecond,
			message: "API call count exceeded for this period",
		},
		{
			// Close recommends rate_reset over the rounded-up headers.
			name: "429 body's rate_reset wins over the headers",
			answer: canned{status: 429, header: map[string]string{"Retry-After": "1", "RateLimit": "limit=40, remaining=0, reset=1"},
				body: `{"error": {"message": "API call count exceeded for this period", "rate_reset": 0.870663}}`},
			status: 429, retryable: true, retryAfter: 870663 * time.Microsecond,
		},
		{
			name:   "bare 429 with a header",
			answer: canned{status: 429, header: map[string]string{"Retry-After": "4"}},
			status: 429, retryable: true, retryAfter: 4 * time.Second, message: "rate limited",
		},
		{
			name:   "bare 429 with nothing",
			answer: canned{status: 429, body: "<html>Too Many Requests</html>"},
			status: 429, retryable: true, message: "rate limited",
		},
		{
			name: "401", key: "wrong-key-5ecr3t",
			status: 401, auth: true, message: "Close rejected the API key",
		},
		{
			name:   "500",
			answer: canned{status: 500, body: `{"error": "Internal error"}`},
			status: 500, retryable: true,
		},
		{
			name:   "503 without body",
			answer: canned{status: 503},
			status: 503, retryable: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := seeded(t)
			key := testKey
			if tt.key != "" {
				key = tt.key
			}
			c := f.client(t, key)
			if tt.answer.status != 0 {
				tt.answer.method = http.MethodPost
				f.push(tt.answer)
			}
			_, err := c.Write(context.Background(), connector.Lead, mapping.Record{"company": "Acme"},
				connector.WriteOptions{Mode: connector.Create})
			ce, ok := connector.AsError(err)
			if !ok {
				t.Fatalf("err = %v (%T), want *connector.Error", err, err)
			}
			if ce.HTTPStatus != tt.status || ce.Retryable != tt.retryable || ce.Auth != tt.auth || ce.RetryAfter != tt.retryAfter {
				t.Errorf("got status %d retryable %v auth %v retryAfter %v; want %d %v %v %v",
					ce.HTTPStatus, ce.Retryable, ce.Auth, ce.RetryAfter, tt.status, tt.retryable, tt.auth, tt.retryAfter)
			}
			if !strings.Contains(ce.Message, tt.message) {
				t.Errorf("message = %q, want it to contain %q", ce.Message, tt.message)
			}
			assertNoSecret(t, err, key)
		})
	}
}

// assertNoSecret fails when the key, or its Basic-auth encoding, is in err.
func assertNoSecret(t *testing.T, err error, key string) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range []string{key, base64.StdEncoding.EncodeToString([]byte(key + ":"))} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error %q contains the key", err)
		}
	}
}

func TestServerEchoingTheKeyIsRedacted(t *testing.T) {
	f := seeded(t)
	f.push(canned{status: 400, body: `{"error": "bad key ` + testKey + `"}`})
	c := f.client(t, testKey)
	_, err := c.Write(context.Background(), connector.Lead, mapping.Record{"company": "Acme"},
		connector.WriteOptions{Mode: connector.Create})
	if err == nil || !strings.Contains(err.Error(), "REDACTED") {
		t.Fatalf("err = %v, want the echoed key redacted", err)
	}
	assertNoSecret(t, err, testKey)
}

func TestUnreachableServer(t *testing.T) {
	f := seeded(t)
	c := f.client(t, testKey)
	f.srv.Close()
	_, err := c.Write(context.Background(), connector.Lead, mapping.Record{"company": "Acme"},
		connector.WriteOptions{Mode: connector.Create})
	ce, ok := connector.AsError(err)
	if !ok || !ce.Retryable || ce.HTTPStatus != 0 {
		t.Fatalf("err = %v, want a retryable error without status", err)
	}
	assertNoSecret(t, err, testKey)
}

func TestCancelledContextIsNotClassified(t *testing.T) {
	f := seeded(t)
	c := f.client(t, testKey)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.Write(ctx, connector.Lead, mapping.Record{"company": "Acme"}, connector.WriteOptions{Mode: connector.Create})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if _, ok := connector.AsError(err); ok {
		t.Errorf("a cancelled call must not be a *connector.Error (the runner would retry it)")
	}
}

func TestPrepare(t *testing.T) {
	tests := []struct {
		name    string
		key     string
		obj     connector.Object
		fields  []string
		auth    bool
		errText []string
	}{
		{name: "ok", obj: connector.Lead, fields: []string{"email", "custom.LEAD SOURCE", "custom. Seats "}},
		{name: "contact fields", obj: connector.Contact, fields: []string{"custom.role"}},
		{name: "bad key", key: "nope-5ecr3t", obj: connector.Lead, auth: true, errText: []string{"Close rejected the API key"}},
		{name: "unknown names", obj: connector.Lead, fields: []string{"custom.Nope", "custom.Role", "custom.Seats"},
			errText: []string{`"Nope", "Role"`, `available: "Industry", "Lead Source", "Seats"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := seeded(t)
			key := testKey
			if tt.key != "" {
				key = tt.key
			}
			err := f.client(t, key).Prepare(context.Background(), tt.obj, tt.fields)
			if len(tt.errText) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, s := range tt.errText {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("err = %q, want it to contain %q", err, s)
				}
			}
			ce, isCE := connector.AsError(err)
			if tt.auth != (isCE && ce.Auth) {
				t.Errorf("auth = %v, want %v", isCE && ce.Auth, tt.auth)
			}
			assertNoSecret(t, err, key)
		})
	}
}

func TestPrepareReadsEveryCustomFieldPage(t *testing.T) {
	f := newFake(t)
	for i := range 230 {
		f.leadCF = append(f.leadCF, customField{ID: fmt.Sprintf("lcf_%03d", i), Name: fmt.Sprintf("Field %03d", i), Type: "text"})
	}
	last := f.leadCF[229]
	c := f.client(t, testKey)
	if err := c.Prepare(context.Background(), connector.Lead, []string{"custom." + last.Name}); err != nil {
		t.Fatal(err)
	}
	if got := c.prepared(connector.Lead)[customKey(last.Name)].ID; got != last.ID {
		t.Errorf("resolved id = %q, want %q", got, last.ID)
	}
}

func TestNewValidatesConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  connector.Config
		ok   bool
	}{
		{name: "ok", cfg: connector.Config{BaseURL: "https://api.close.com/api/v1", APIKey: "k"}, ok: true},
		{name: "trailing slash", cfg: connector.Config{BaseURL: "https://api.close.com/api/v1/", APIKey: "k"}, ok: true},
		{name: "no key", cfg: connector.Config{BaseURL: "https://api.close.com/api/v1"}},
		{name: "no url", cfg: connector.Config{APIKey: "k"}},
		{name: "not http", cfg: connector.Config{BaseURL: "ftp://x", APIKey: "k"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.cfg)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			if tt.ok && strings.HasSuffix(c.(*Client).base, "/") {
				t.Errorf("base %q keeps its trailing slash", c.(*Client).base)
			}
		})
	}
}
