package connector

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestRateHint(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		h    map[string]string
		want time.Duration
		ok   bool
	}{
		{"none", nil, 0, false},
		{"RateLimit exhausted", map[string]string{"RateLimit": "limit=100, remaining=0, reset=3"}, 3 * time.Second, true},
		{"RateLimit remaining", map[string]string{"RateLimit": "limit=100, remaining=5, reset=3"}, 0, false},
		{"RateLimit fraction", map[string]string{"RateLimit": `limit=100, remaining=0, reset="0.5"`}, 500 * time.Millisecond, true},
		{"Retry-After seconds", map[string]string{"Retry-After": "2"}, 2 * time.Second, true},
		{"Retry-After date", map[string]string{"Retry-After": now.Add(4 * time.Second).Format(http.TimeFormat)}, 4 * time.Second, true},
		{"x-rate-limit exhausted", map[string]string{"X-Rate-Limit-Reset": "1.5", "X-Rate-Limit-Remaining": "0"}, 1500 * time.Millisecond, true},
		{"x-rate-limit left", map[string]string{"X-Rate-Limit-Reset": "1.5", "X-Rate-Limit-Remaining": "7"}, 0, false},
		{"bucket4j", map[string]string{"X-Rate-Limit-Retry-After-Seconds": "7"}, 7 * time.Second, true},
		{"RateLimit wins over Retry-After", map[string]string{"RateLimit": "limit=1, remaining=0, reset=1", "Retry-After": "9"}, time.Second, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tc.h {
				h.Set(k, v)
			}
			got, ok := RateHint(h, now)
			if got != tc.want || ok != tc.ok {
				t.Fatalf("RateHint = %v, %v; want %v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestCallClassifies(t *testing.T) {
	const key = "k3y/with+chars"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/401":
			w.WriteHeader(401)
		case "/429":
			w.Header().Set("Retry-After", "3")
			w.WriteHeader(429)
		case "/503":
			w.WriteHeader(503)
		case "/400":
			w.WriteHeader(400)
			w.Write([]byte(`{"error":"bad email for ` + key + `"}`))
		default:
			w.Write([]byte("ok"))
		}
	}))
	defer srv.Close()
	red := NewRedactor(key)
	for _, tc := range []struct {
		path      string
		method    string
		status    int
		auth      bool
		retryable bool
		maybe     bool
		after     time.Duration
	}{
		{"/ok", "GET", 0, false, false, false, 0},
		{"/401", "GET", 401, true, false, false, 0},
		{"/429", "POST", 429, false, true, false, 3 * time.Second},
		{"/503", "POST", 503, false, true, true, 0},
		{"/503", "GET", 503, false, true, false, 0},
		{"/400", "POST", 400, false, false, false, 0},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path+"?api-key="+key, nil)
		_, _, err := Call(context.Background(), srv.Client(), req, "op", red)
		if tc.status == 0 {
			if err != nil {
				t.Errorf("%s: %v", tc.path, err)
			}
			continue
		}
		ce, ok := AsError(err)
		if !ok {
			t.Fatalf("%s: error %v is not *Error", tc.path, err)
		}
		if ce.HTTPStatus != tc.status || ce.Auth != tc.auth || ce.Retryable != tc.retryable || ce.MaybeApplied != tc.maybe || ce.RetryAfter != tc.after {
			t.Errorf("%s %s: got %+v", tc.method, tc.path, ce)
		}
		if strings.Contains(err.Error(), "k3y") {
			t.Errorf("%s: key leaked: %v", tc.path, err)
		}
	}
}

func TestCallTransportErrorsRedacted(t *testing.T) {
	const key = "supersecret"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens: connection refused
	req, _ := http.NewRequest("POST", "http://"+addr+"/x?api-key="+key, nil)
	_, _, err = Call(context.Background(), http.DefaultClient, req, "create lead", NewRedactor(key))
	ce, ok := AsError(err)
	if !ok || !ce.Retryable || ce.MaybeApplied {
		t.Fatalf("refused: got %#v, want retryable, not maybe-applied", err)
	}
	if strings.Contains(err.Error(), key) || !strings.Contains(err.Error(), "REDACTED") {
		t.Fatalf("error text %q leaks the key or lost the URL", err)
	}

	// A server that takes the request and never answers: a timeout after
	// sending may have been applied.
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer hang.Close()
	req, _ = http.NewRequest("POST", hang.URL+"/x?api-key="+key, nil)
	_, _, err = Call(context.Background(), &http.Client{Timeout: 50 * time.Millisecond}, req, "create lead", NewRedactor(key))
	ce, ok = AsError(err)
	if !ok || !ce.Retryable || !ce.MaybeApplied {
		t.Fatalf("timeout: got %#v", err)
	}
	if strings.Contains(err.Error(), key) {
		t.Fatalf("timeout error leaks the key: %v", err)
	}
	var to interface{ Timeout() bool }
	if !errors.As(err, &to) || !to.Timeout() {
		t.Fatalf("timeout lost: %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req, _ = http.NewRequest("GET", hang.URL, nil)
	if _, _, err := Call(ctx, hang.Client(), req, "x", Redactor{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled call: %v, want context.Canceled unclassified", err)
	}
}

func TestConfigHidesCredentials(t *testing.T) {
	c := Config{BaseURL: "https://x.example", APIKey: "k3y", Password: "pw9"}
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c)} {
		if strings.Contains(s, "k3y") || strings.Contains(s, "pw9") {
			t.Fatalf("credentials printed: %s", s)
		}
	}
}

func TestRecentIDs(t *testing.T) {
	var r RecentIDs
	r.Add("a")
	r.Turn()
	r.Add("b")
	if !r.Has("a") || !r.Has("b") {
		t.Fatal("forgot the page before")
	}
	r.Turn()
	if r.Has("a") || !r.Has("b") {
		t.Fatal("kept more than two pages")
	}
}
