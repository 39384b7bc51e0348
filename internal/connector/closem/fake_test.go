package closem

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/connector"
)

// testKey has characters that URL encoding changes, so redaction must catch
// its escaped forms too.
const testKey = "k3y+s/cr=t&z"

// seen is one request a fake server received.
type seen struct {
	Method, Path string
	Query        url.Values
	ContentType  string
	Form         url.Values
}

// fakeServer records every request and answers with reply.
type fakeServer struct {
	mu    sync.Mutex
	reqs  []seen
	reply func(w http.ResponseWriter, r *http.Request, form url.Values)
}

func (f *fakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	s := seen{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), ContentType: r.Header.Get("Content-Type"), Form: r.PostForm}
	f.mu.Lock()
	f.reqs = append(f.reqs, s)
	reply := f.reply
	f.mu.Unlock()
	reply(w, r, r.PostForm)
}

// requests returns what the server received so far.
func (f *fakeServer) requests() []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seen(nil), f.reqs...)
}

// last returns the last request; the test fails when there is none.
func (f *fakeServer) last(t *testing.T) seen {
	t.Helper()
	reqs := f.requests()
	if len(reqs) == 0 {
		t.Fatal("no request reached the server")
	}
	return reqs[len(reqs)-1]
}

// respond answers every request with status, headers and body.
func respond(status int, body string, headers ...string) func(http.ResponseWriter, *http.Request, url.Values) {
	return func(w http.ResponseWriter, _ *http.Request, _ url.Values) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}
}

// newFake serves reply on 127.0.0.1 and returns the server with a client
// for action ("" for the default) whose clock is fixed at 1 March 2025.
func newFake(t *testing.T, action string, reply func(http.ResponseWriter, *http.Request, url.Values)) (*fakeServer, *Client) {
	t.Helper()
	f := &fakeServer{reply: reply}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, newClient(t, srv.URL+"/", action)
}

func newClient(t *testing.T, base, action string) *Client {
	t.Helper()
	var opts map[string]string
	if action != "" {
		opts = map[string]string{"action": action}
	}
	conn, err := New(connector.Config{BaseURL: base, APIKey: testKey, Options: opts, HTTP: &http.Client{Timeout: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	c := conn.(*Client)
	c.now = func() time.Time { return time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC) }
	return c
}

// formOf returns a request's form without mode and upsert, as a flat map.
func formOf(s seen) map[string]string {
	out := map[string]string{}
	for k, v := range s.Form {
		if k != "mode" && k != "upsert" {
			out[k] = v[0]
		}
	}
	return out
}
