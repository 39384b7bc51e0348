package closum

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/mapping"
)

// keyForms are the ways the key can show up in text: raw and escaped.
func keyForms() []string {
	return []string{testKey, url.QueryEscape(testKey), url.PathEscape(testKey), "s3cr"}
}

// echo answers with the whole request URL (key included) in the body.
func echo(code int, envelope bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(code)
		u := r.URL.String()
		if envelope {
			fmt.Fprintf(w, `{"status":false,"code":%d,"message":["bad request %s"],"errors":["key %s rejected for %s"]}`,
				code, u, r.URL.Query().Get("api-key"), u)
			return
		}
		fmt.Fprintf(w, "<html>no route for %s key=%s</html>", u, r.URL.Query().Get("api-key"))
	}
}

// padded answers with a body whose echoed key starts at byte n, where a
// message is cut.
func padded(code, n int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(code)
		fmt.Fprintf(w, "%s%s and more", strings.Repeat("x", n), r.URL.Query().Get("api-key"))
	}
}

// TestKeyNeverInErrors runs every kind of call against servers that fail
// in every way, and requires the key in none of the errors.
func TestKeyNeverInErrors(t *testing.T) {
	refused := func(t *testing.T) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		return "http://" + addr
	}
	serve := func(h http.Handler) func(t *testing.T) string {
		return func(t *testing.T) string {
			srv := httptest.NewServer(h)
			t.Cleanup(srv.Close)
			return srv.URL
		}
	}
	tests := []struct {
		name string
		url  func(t *testing.T) string
	}{
		{"connection refused", refused},
		{"connection closed", serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		}))},
		{"timeout", serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-time.After(2 * time.Second):
			case <-r.Context().Done():
			}
		}))},
		{"200 status false echoing the URL", serve(echo(200, true))},
		{"200 not JSON echoing the URL", serve(echo(200, false))},
		{"400 echoing the URL", serve(echo(400, true))},
		{"401 echoing the URL", serve(echo(401, false))},
		{"429 echoing the URL", serve(echo(429, false))},
		{"500 echoing the URL", serve(echo(500, false))},
		{"400 with the key across the message cut", serve(padded(400, 295))},
		{"200 with the key across the message cut", serve(padded(200, 195))},
		{"redirect loop", serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, r.URL.String(), http.StatusFound)
		}))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := New(connector.Config{BaseURL: tt.url(t) + "/v2", APIKey: testKey, HTTP: &http.Client{Timeout: 200 * time.Millisecond}})
			if err != nil {
				t.Fatal(err)
			}
			c := conn.(*Client)
			ctx := context.Background()
			var errs []error
			errs = append(errs, c.Prepare(ctx, connector.Lead, nil))
			c.fields = []field{}
			for _, w := range []struct {
				obj  connector.Object
				mode connector.Mode
				rec  mapping.Record
			}{
				{connector.Lead, connector.Create, mapping.Record{"email": "a@x.com"}},
				{connector.Lead, connector.Upsert, mapping.Record{"email": "a@x.com"}},
				{connector.Lead, connector.Update, mapping.Record{"phone": "910", "email": "a@x.com"}},
				{connector.Contact, connector.Upsert, mapping.Record{"email": "a@x.com"}},
			} {
				_, err := c.Write(ctx, w.obj, w.rec, connector.WriteOptions{Mode: w.mode, Match: []string{"email"}})
				errs = append(errs, err)
			}
			for _, err := range c.List(ctx, connector.Contact, connector.Query{}) {
				errs = append(errs, err)
				break
			}
			for i, err := range errs {
				if err == nil {
					t.Errorf("call %d succeeded, want an error", i)
					continue
				}
				assertRedacted(t, err)
			}
		})
	}
}

// assertRedacted fails when any text reachable from err holds the key.
func assertRedacted(t *testing.T, err error) {
	t.Helper()
	var texts []string
	for e := err; e != nil; e = errors.Unwrap(e) {
		texts = append(texts, e.Error(), fmt.Sprintf("%+v", e), fmt.Sprintf("%#v", e))
		if ce, ok := e.(*connector.Error); ok {
			texts = append(texts, ce.Message, ce.Op)
		}
	}
	for _, s := range texts {
		for _, k := range keyForms() {
			if strings.Contains(s, k) {
				t.Errorf("key form %q leaked in error text: %s", k, s)
			}
		}
	}
	if !strings.Contains(err.Error(), "REDACTED") && strings.Contains(err.Error(), "api-key") {
		t.Errorf("error mentions api-key without redaction marker: %v", err)
	}
}

func TestNewErrorHidesKeyInURL(t *testing.T) {
	_, err := New(connector.Config{BaseURL: "ftp://host/v2?api-key=" + testKey, APIKey: testKey})
	if err == nil {
		t.Fatal("New accepted an ftp URL")
	}
	assertRedacted(t, err)
}
