package jobs

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// A redirect to another host is refused: the key in a custom header (Go
// forwards those) or in the URL must not reach it.
func TestRedirectToOtherHostRefused(t *testing.T) {
	var leaked atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked.Add(1)
	}))
	defer other.Close()
	// Same port, other host name: localhost is not 127.0.0.1 to a client.
	otherURL := strings.Replace(other.URL, "127.0.0.1", "localhost", 1)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, otherURL+"/steal", http.StatusTemporaryRedirect)
	}))
	defer api.Close()
	c := newHTTPClient(5*time.Second, http.DefaultTransport)
	req, _ := http.NewRequest("POST", api.URL+"/lead?api_key=secret", strings.NewReader(`{"name":"x"}`))
	req.Header.Set("X-API-Key", "secret")
	resp, err := c.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatal("the redirect was followed")
	}
	if strings.Contains(err.Error(), "secret") {
		t.Fatalf("the error shows the key: %v", err)
	}
	if leaked.Load() != 0 {
		t.Fatal("the other host got the request")
	}
}

// With several keys, each call goes out with one of them wherever the
// connector put the first: header, Basic auth or URL.
func TestSwapKey(t *testing.T) {
	req, _ := http.NewRequest("GET", "https://api.example.com/v2/key-one/leads?api_key=key-one&x=1", nil)
	req.Header.Set("X-API-Key", "key-one")
	req.SetBasicAuth("key-one", "")
	got := swapKey(req, "key-one", "key-two")
	if got.Header.Get("X-API-Key") != "key-two" || got.URL.Query().Get("api_key") != "key-two" || !strings.Contains(got.URL.Path, "key-two") {
		t.Fatalf("swapped request: %v %v", got.URL, got.Header)
	}
	if u, _, _ := got.BasicAuth(); u != "key-two" {
		t.Fatalf("basic auth user %q", u)
	}
	if req.Header.Get("X-API-Key") != "key-one" {
		t.Fatal("the original request was changed")
	}
}

// Calls spread over the keys: three keys at 20/s each carry 60/s.
func TestKeysShareTheLoad(t *testing.T) {
	var perKey [3]atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Header.Get("X-API-Key") {
		case "k0":
			perKey[0].Add(1)
		case "k1":
			perKey[1].Add(1)
		case "k2":
			perKey[2].Add(1)
		}
	}))
	defer srv.Close()
	var slots []*keySlot
	for _, k := range []string{"k0", "k1", "k2"} {
		slots = append(slots, &keySlot{key: k, pacer: newPacer(20, 1)})
	}
	c := newHTTPClient(5*time.Second, &pacedTransport{slots: slots, primary: "k0", next: http.DefaultTransport, stats: &callStats{}})
	for range 30 {
		req, _ := http.NewRequestWithContext(context.Background(), "GET", srv.URL, nil)
		req.Header.Set("X-API-Key", "k0")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	for i := range perKey {
		if n := perKey[i].Load(); n < 8 {
			t.Fatalf("key %d sent %d of 30 calls: the keys do not share the load (%d/%d/%d)", i, n, perKey[0].Load(), perKey[1].Load(), perKey[2].Load())
		}
	}
}

// A job whose aliases expand without bound is refused before decoding.
func TestAliasBombRefused(t *testing.T) {
	data, err := os.ReadFile("testdata/alias-bomb.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Parse("testdata/alias-bomb.yaml", data, func(string) (string, bool) { return "", false })
	if err == nil || !strings.Contains(err.Error(), "expands to more than") {
		t.Fatalf("err = %v", err)
	}
}

// FuzzJobParse feeds arbitrary YAML to the job loader: it must return a job
// or an error, never panic, and never expand aliases without bound.
func FuzzJobParse(f *testing.F) {
	for _, p := range []string{"testdata/alias-bomb.yaml", "../samples/jobs/quickstart.yaml", "../samples/jobs/close-leads-export.yaml", "../samples/jobs/qlara-import.yaml"} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("a: &a [*a]"))
	f.Add([]byte("name: ${X}\nsource: {file: a.csv}\n"))
	env := func(k string) (string, bool) { return "v", true }
	f.Fuzz(func(t *testing.T, data []byte) {
		done := make(chan struct{})
		go func() {
			defer close(done)
			j, err := Parse("/tmp/job.yaml", data, env)
			if err == nil && j == nil {
				t.Error("nil job without an error")
			}
		}()
		select {
		case <-done:
		case <-time.After(2 * time.Second):
			t.Fatalf("Parse hangs on %q", data)
		}
	})
}

// An API that echoes the second key in an error must not put it in the
// report: the connector only knows the first.
func TestRunnerRedactsEveryKey(t *testing.T) {
	r := &Runner{slots: []*keySlot{{key: "first-key"}, {key: "second/key+x"}}}
	got := r.redact(`401: invalid key "second/key+x" (url ...?api_key=second%2Fkey%2Bx), first-key`)
	if strings.Contains(got, "second") || strings.Contains(got, "first-key") {
		t.Fatalf("redact left a key: %q", got)
	}
}

func TestPrefetchPays(t *testing.T) {
	for _, tc := range []struct {
		cost, rows int
		want       bool
	}{
		{1, 300, true},     // an empty target: one call
		{20, 2000, true},   // 2,000 records, 2,000 rows
		{10000, 5, false},  // a million records for five rows
		{10000, -1, false}, // a retry of unknown size
		{3, -1, true},      // a retry against a small target
		{-1, 5000, true},   // no count (Qlara), a big input
		{-1, 50, false},    // no count, a small input
		{-1, -1, false},    // nothing known
		{300, 300, false},  // as many calls as rows: no gain
	} {
		if got := prefetchPays(tc.cost, tc.rows); got != tc.want {
			t.Errorf("prefetchPays(%d, %d) = %v", tc.cost, tc.rows, got)
		}
	}
}
