package closem

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

// keyForms are the ways the key can show up in text: raw and escaped, and
// a fragment distinctive enough that a cut-off key is caught too.
func keyForms() []string {
	return []string{testKey, url.QueryEscape(testKey), url.PathEscape(testKey), "s/cr=t"}
}

// echo answers with the whole request URL, key included.
func echo(code int, json bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(code)
		u := r.URL.String()
		if json {
			fmt.Fprintf(w, `{"success":false,"error":"bad request %s with key %s","message":"auth %s"}`, u, r.URL.Query().Get("auth"), u)
			return
		}
		fmt.Fprintf(w, "error: no route for %s key=%s", u, r.URL.Query().Get("auth"))
	}
}

// padded echoes the key starting at byte n of the body, where a message is cut.
func padded(code, n int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(code)
		fmt.Fprintf(w, "error %s%s and more", strings.Repeat("x", n), r.URL.Query().Get("auth"))
	}
}

// TestKeyNeverInErrors sends every kind of call to servers that fail in
// every way, and requires the key in none of the errors.
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
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				conn.Close()
			}
		}))},
		{"timeout", serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-time.After(2 * time.Second):
			case <-r.Context().Done():
			}
		}))},
		{"200 JSON failure echoing the URL", serve(echo(200, true))},
		{"200 text error echoing the URL", serve(echo(200, false))},
		{"400 echoing the URL", serve(echo(400, true))},
		{"401 echoing the URL", serve(echo(401, false))},
		{"429 echoing the URL", serve(echo(429, false))},
		{"500 echoing the URL", serve(echo(500, false))},
		{"400 with the key across the message cut", serve(padded(400, 290))},
		{"200 with the key across the message cut", serve(padded(200, 290))},
		{"redirect loop", serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, r.URL.String(), http.StatusFound)
		}))},
	}
	writes := []struct {
		action string
		mode   connector.Mode
		rec    mapping.Record
	}{
		{"", connector.Create, mapping.Record{"email": "a@example.com"}},
		{"", connector.Upsert, mapping.Record{"email": "a@example.com"}},
		{actionRunSequence, connector.Create, mapping.Record{"email": "a@example.com", "sequence_id": "5"}},
		{actionSchedule, connector.Create, mapping.Record{"phone": "5554443333", "appointment_note": "x", "appointment_timestamp": "1743510600"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := tt.url(t) + "/"
			for _, w := range writes {
				c := newClient(t, base, w.action)
				c.http.Timeout = 200 * time.Millisecond
				_, err := c.Write(context.Background(), connector.Contact, w.rec, connector.WriteOptions{Mode: w.mode, Match: []string{"email"}})
				if err == nil {
					t.Errorf("%s %s succeeded, want an error", w.action, w.mode)
					continue
				}
				assertRedacted(t, err)
			}
		})
	}
}

// A row error quoting the key (a source column holding it by mistake) is
// redacted too.
func TestRowErrorRedacted(t *testing.T) {
	f, c := newFake(t, "", respond(200, created))
	_, err := c.Write(context.Background(), connector.Contact, mapping.Record{"email": "a@example.com", "tags": testKey},
		connector.WriteOptions{Mode: connector.Create})
	if err == nil {
		t.Fatal("want a row error")
	}
	assertRedacted(t, err)
	if len(f.requests()) != 0 {
		t.Fatal("the row was sent")
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
}

func TestNewErrorsHideKey(t *testing.T) {
	for _, cfg := range []connector.Config{
		{BaseURL: "ftp://app.closem.ai/?m=api&auth=" + url.QueryEscape(testKey)},
		{BaseURL: "app.closem.ai/?auth=" + testKey, APIKey: testKey},
		{BaseURL: "https://app.closem.ai/", APIKey: testKey, Options: map[string]string{"action": testKey}},
	} {
		_, err := New(cfg)
		if err == nil {
			t.Fatalf("New(%q) accepted it", cfg.BaseURL)
		}
		assertRedacted(t, err)
	}
}
