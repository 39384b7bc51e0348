package jobs

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// scripted answers request n (from 1) with script(n).
func scripted(t *testing.T, script func(n int, w http.ResponseWriter, r *http.Request)) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		script(int(n.Add(1)), w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func testClient(retries int, timeout time.Duration) *http.Client {
	j := &Job{Run: RunOptions{Retries: &retries, Timeout: Duration{timeout}}}
	return newListClient(j, newPacer(1000, 10), time.Millisecond)
}

func TestRetryTransport(t *testing.T) {
	tests := []struct {
		name     string
		method   string
		retries  int
		script   func(n int, w http.ResponseWriter, r *http.Request)
		status   int // final answer; 0 for a transport error
		requests int32
		body     string
	}{
		{"5xx then ok", "GET", 5, func(n int, w http.ResponseWriter, r *http.Request) {
			if n <= 2 {
				w.WriteHeader(503)
				return
			}
			io.WriteString(w, "page")
		}, 200, 3, "page"},
		{"5xx beyond retries", "GET", 2, func(n int, w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(502)
			io.WriteString(w, "bad gateway")
		}, 502, 3, "bad gateway"},
		{"429 with Retry-After does not spend retries", "GET", 0, func(n int, w http.ResponseWriter, r *http.Request) {
			if n <= 3 {
				w.Header().Set("Retry-After", "0.01")
				w.WriteHeader(429)
				return
			}
			io.WriteString(w, "ok")
		}, 200, 4, "ok"},
		{"bare 429 and Close's rate_reset", "GET", 0, func(n int, w http.ResponseWriter, r *http.Request) {
			switch n {
			case 1:
				w.WriteHeader(429)
			case 2:
				w.WriteHeader(429)
				io.WriteString(w, `{"error": {"message": "slow down", "rate_reset": 0.01}}`)
			default:
				io.WriteString(w, "ok")
			}
		}, 200, 3, "ok"},
		{"4xx not retried", "GET", 5, func(n int, w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(400)
			io.WriteString(w, `{"error":"bad query"}`)
		}, 400, 1, `{"error":"bad query"}`},
		{"POST not retried", "POST", 5, func(n int, w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(503)
		}, 503, 1, ""},
		{"timeout then ok", "GET", 2, func(n int, w http.ResponseWriter, r *http.Request) {
			if n == 1 {
				select {
				case <-r.Context().Done():
				case <-time.After(5 * time.Second):
				}
				return
			}
			io.WriteString(w, "late page")
		}, 200, 2, "late page"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, n := scripted(t, tt.script)
			req, _ := http.NewRequest(tt.method, srv.URL+"/lead/", nil)
			resp, err := testClient(tt.retries, 200*time.Millisecond).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status || string(body) != tt.body || n.Load() != tt.requests {
				t.Fatalf("got %d %q after %d requests, want %d %q after %d", resp.StatusCode, body, n.Load(), tt.status, tt.body, tt.requests)
			}
		})
	}
}

// A server that never answers: bounded attempts, then the timeout error.
func TestRetryTransportGivesUp(t *testing.T) {
	srv, n := scripted(t, func(_ int, _ http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	start := time.Now()
	_, err := testClient(2, 50*time.Millisecond).Get(srv.URL)
	if err == nil || !strings.Contains(err.Error(), "deadline") || n.Load() != 3 {
		t.Fatalf("err %v after %d requests", err, n.Load())
	}
	if time.Since(start) > 3*time.Second {
		t.Fatalf("took %v", time.Since(start))
	}
}

// The whole body is readable after the attempt: the attempt's timeout
// ends only when the body is closed.
func TestRetryTransportSlowBody(t *testing.T) {
	srv, _ := scripted(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, strings.Repeat("x", 1<<20))
	})
	resp, err := testClient(0, 5*time.Second).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || len(b) != 1<<20 {
		t.Fatalf("read %d bytes: %v", len(b), err)
	}
}
