package closumv1

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/mapping"
)

// leaks reports whether text shows the password or a token in any form.
func leaks(text string) bool {
	for _, s := range []string{"s3cr3t", "tok-", "eyJ."} {
		if strings.Contains(text, s) {
			return true
		}
	}
	return false
}

func TestErrorsClassified(t *testing.T) {
	create := connector.WriteOptions{Mode: connector.Create}
	for _, tc := range []struct {
		name      string
		c         canned
		status    int
		retryable bool
		maybe     bool
		auth      bool
		after     time.Duration
		msg       string
	}{
		{"validation 400 with field errors", canned{status: 400,
			body: `{"success":false,"data":{"message":"The request has errors","errors":{"email":{"email":{"_valid":"Invalid email"}}},"code":400}}`},
			400, false, false, false, 0, "email.email._valid: Invalid email"},
		{"429 with Retry-After", canned{status: 429, header: map[string]string{"Retry-After": "7"}},
			429, true, false, false, 7 * time.Second, "rate limited"},
		{"503 maintenance", canned{status: 503, body: `<html>down</html>`},
			503, true, true, false, 0, "down"},
		{"500 bare", canned{status: 500},
			500, true, true, false, 0, "Internal Server Error"},
		{"403", canned{status: 403, body: `{"success":false,"data":{"message":"Forbidden"}}`},
			403, false, false, true, 0, "Forbidden"},
		{"200 with success false", canned{status: 200, body: `{"success":false,"data":{"message":"Lead could not be saved"}}`},
			200, false, false, false, 0, "Lead could not be saved"},
		{"200 success false stating 503", canned{status: 200, body: `{"success":false,"code":503,"message":"busy"}`},
			503, true, true, false, 0, "busy"},
		{"200 not an envelope", canned{status: 200, body: `<html>proxy</html>`},
			200, false, true, false, 0, "not a Closum envelope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			c := f.client(t, nil)
			tc.c.method, tc.c.prefix = http.MethodPost, "/api/lead"
			f.queue(tc.c)
			_, err := c.Write(context.Background(), connector.Lead, mapping.Record{"email": "a@example.com"}, create)
			ce, ok := connector.AsError(err)
			if !ok {
				t.Fatalf("err = %v, want *connector.Error", err)
			}
			if ce.HTTPStatus != tc.status || ce.Retryable != tc.retryable || ce.MaybeApplied != tc.maybe || ce.Auth != tc.auth || ce.RetryAfter != tc.after {
				t.Errorf("got %+v", ce)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("message %q lacks %q", err.Error(), tc.msg)
			}
		})
	}
}

// Servers that echo the request (the bearer token, the credentials) must
// not get them into an error.
func TestNoSecretInErrors(t *testing.T) {
	f := newFake(t)
	c := f.client(t, nil)
	ctx := context.Background()
	create := connector.WriteOptions{Mode: connector.Create}
	rec := mapping.Record{"email": "a@example.com"}

	f.queue(canned{method: http.MethodPost, prefix: "/api/lead", status: 400,
		body: `{"success":false,"data":{"message":"bad request with {auth}"}}`})
	_, err := c.Write(ctx, connector.Lead, rec, create)
	if err == nil || leaks(err.Error()) || !strings.Contains(err.Error(), "REDACTED") {
		t.Errorf("echoed bearer: %v", err)
	}

	// A long echo: redaction happens before any cut.
	f.queue(canned{method: http.MethodPost, prefix: "/api/lead", status: 500,
		body: strings.Repeat("x", 290) + "{auth}{auth}"})
	_, err = c.Write(ctx, connector.Lead, rec, create)
	if err == nil || leaks(err.Error()) {
		t.Errorf("long echo: %v", err)
	}

	// A token endpoint that echoes the JSON request on a server fault.
	f.revokeAll()
	f.queue(canned{method: http.MethodPost, prefix: "/api/token", status: 500,
		body: `{"success":false,"message":"failed for {\"api_username\":\"crm-user\",\"api_pw\":\"pw\\\"\u003cs3cr3t\u003e\u0026/+x\"}"}`})
	_, err = c.Write(ctx, connector.Lead, rec, create)
	if ce, ok := connector.AsError(err); !ok || !ce.Retryable || ce.Auth || leaks(err.Error()) {
		t.Errorf("token fault: %#v %v", err, err)
	}

	// Transport errors quote the URL, never a header, but check anyway.
	ln, lerr := net.Listen("tcp", "127.0.0.1:0")
	if lerr != nil {
		t.Fatal(lerr)
	}
	addr := ln.Addr().String()
	ln.Close()
	c.base = "http://" + addr + "/api"
	_, err = c.Write(ctx, connector.Lead, rec, create)
	if ce, ok := connector.AsError(err); !ok || !ce.Retryable || leaks(err.Error()) {
		t.Errorf("refused connection: %v", err)
	}
}

func TestTimeoutAfterSendMaybeApplied(t *testing.T) {
	f := newFake(t)
	c := f.client(t, nil)
	c.http = &http.Client{Timeout: 200 * time.Millisecond}
	f.queue(canned{method: http.MethodPost, prefix: "/api/lead", hang: true})
	_, err := c.Write(context.Background(), connector.Lead, mapping.Record{"email": "a@example.com"}, connector.WriteOptions{Mode: connector.Create})
	ce, ok := connector.AsError(err)
	if !ok || !ce.Retryable || !ce.MaybeApplied {
		t.Fatalf("err = %#v, want retryable and maybe applied", err)
	}
	if !c.index[connector.Lead].uncertain() {
		t.Error("a lost create should make the next lookup read the newest leads")
	}
}
