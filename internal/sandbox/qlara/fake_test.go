package qlara

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/sandbox"
)

// clock is a settable Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// client calls a started fake with a plain net/http client.
type client struct {
	t    *testing.T
	root string // server URL
	base string // root + BasePath
	key  string
	hc   *http.Client
}

// start serves a new fake on 127.0.0.1 and closes both at the end of the test.
func start(t *testing.T, opt sandbox.Options) (*Fake, *client) {
	t.Helper()
	f := New(opt)
	srv, err := sandbox.Start(f, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Close()
		if err := f.Close(); err != nil {
			t.Errorf("close fake: %v", err)
		}
	})
	key := opt.APIKey
	if key == "" {
		key = sandbox.DefaultKey
	}
	return f, &client{t: t, root: srv.URL, base: srv.URL + f.BasePath(), key: key,
		hc: &http.Client{Timeout: 10 * time.Second}}
}

// do sends body (JSON unless it is already []byte) and returns the answer.
func (c *client) do(method, path string, body any) (int, http.Header, []byte) {
	c.t.Helper()
	return c.doKey(c.key, method, path, body)
}

func (c *client) doKey(key, method, path string, body any) (int, http.Header, []byte) {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	url := path
	if !strings.HasPrefix(path, "http") {
		url = c.base + path
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("X-API-Key", key)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, out
}

// call sends body, fails unless the status is want, and decodes into out.
func (c *client) call(method, path string, body any, want int, out any) {
	c.t.Helper()
	status, _, b := c.do(method, path, body)
	if status != want {
		c.t.Fatalf("%s %s: status %d, want %d; body %s", method, path, status, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
}

// create posts a contact and returns it as stored.
func (c *client) create(body any) Contact {
	c.t.Helper()
	var resp ContactWriteResponse
	c.call("POST", "/contacts", body, http.StatusCreated, &resp)
	if len(resp.Contacts) != 1 {
		c.t.Fatalf("create: %d contacts in answer, want 1", len(resp.Contacts))
	}
	return resp.Contacts[0]
}

func ptr[T any](v T) *T { return &v }

func TestAuth(t *testing.T) {
	_, c := start(t, sandbox.Options{APIKey: "k-secret-123"})
	tests := []struct {
		name, key, path string
		want            int
	}{
		{"no key", "", "/contacts", http.StatusUnauthorized},
		{"wrong key", "k-secret-124", "/contacts", http.StatusUnauthorized},
		{"wrong key, unknown path", "nope", "/campaigns", http.StatusUnauthorized},
		{"right key", "k-secret-123", "/contacts", http.StatusOK},
		{"right key, unknown path", "k-secret-123", "/campaigns", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, h, body := c.doKey(tt.key, "GET", tt.path, nil)
			if status != tt.want {
				t.Fatalf("status %d, want %d; body %s", status, tt.want, body)
			}
			if status == http.StatusOK {
				return
			}
			var e ErrorBody
			if err := json.Unmarshal(body, &e); err != nil || e.Status != tt.want {
				t.Errorf("error body %s (%v), want JSON with status %d", body, err, tt.want)
			}
			if h.Get("Content-Type") != "application/json" {
				t.Errorf("Content-Type %q", h.Get("Content-Type"))
			}
			if strings.Contains(string(body), "k-secret") {
				t.Errorf("error body leaks a key: %s", body)
			}
		})
	}
}

func TestMethodNotAllowed(t *testing.T) {
	_, c := start(t, sandbox.Options{})
	status, h, body := c.do("PATCH", "/contacts/100001", `{}`)
	if status != http.StatusMethodNotAllowed || h.Get("Allow") != "GET, PUT" {
		t.Fatalf("PATCH /contacts/{id}: %d Allow=%q %s, want 405 Allow=GET, PUT", status, h.Get("Allow"), body)
	}
}

func TestRateLimit(t *testing.T) {
	f, c := start(t, sandbox.Options{Faults: sandbox.Faults{RatePerSecond: 0.5, Burst: 2, Seed: 7}})
	var codes []int
	for range 6 {
		status, h, body := c.do("GET", "/contacts", nil)
		codes = append(codes, status)
		if status != http.StatusTooManyRequests || len(body) == 0 {
			continue // a bare 429 has neither body nor headers
		}
		var b RateLimitedBody
		if err := json.Unmarshal(body, &b); err != nil || b.Message == "" {
			t.Errorf("429 body %s: %v", body, err)
		}
		if v := h.Get("X-Rate-Limit-Retry-After-Seconds"); v == "" || v == "0" {
			t.Errorf("429 X-Rate-Limit-Retry-After-Seconds = %q, want ≥ 1", v)
		}
	}
	want := []int{200, 200, 429, 429, 429, 429}
	if fmt.Sprint(codes) != fmt.Sprint(want) {
		t.Fatalf("statuses %v, want %v", codes, want)
	}
	// The bucket is per key: another key is judged on its own (and refused as unknown).
	if status, _, _ := c.doKey("other-key", "GET", "/contacts", nil); status != http.StatusUnauthorized {
		t.Errorf("other key: status %d, want 401", status)
	}
	if _, limited, _ := f.Gate().Stats(); limited != 4 {
		t.Errorf("gate counted %d limited requests, want 4", limited)
	}
}

func TestPersistence(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sandbox", "qlara.json")
	f1 := New(sandbox.Options{StatePath: path})
	c1, err := f1.SeedContact(ContactFields{FirstName: ptr("Ada"), PhoneNumbers: []string{"+393331234567"}})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sandbox.Start(f1, "")
	if err != nil {
		t.Fatal(err)
	}
	cl := &client{t: t, base: srv.URL + basePath, key: sandbox.DefaultKey, hc: http.DefaultClient}
	var l ContactList
	cl.call("POST", "/contacts/list", map[string]any{"name": "VIP"}, http.StatusCreated, &l)
	cl.call("POST", "/contacts/list/contacts", AssociationRequest{ListIDs: []int64{l.ID}, ContactIDs: []int64{c1.ID}}, http.StatusCreated, nil)
	srv.Close()
	if err := f1.Close(); err != nil {
		t.Fatal(err)
	}

	f2 := New(sandbox.Options{StatePath: path})
	defer f2.Close()
	if err := f2.LoadErr(); err != nil {
		t.Fatal(err)
	}
	got, ok := f2.Contact(c1.ID)
	if !ok || str(got.FirstName) != "Ada" || fmt.Sprint(got.ListIDs) != fmt.Sprint([]int64{l.ID}) {
		t.Fatalf("reloaded contact %+v (found %v), want Ada in list %d", got, ok, l.ID)
	}
	// Indexes are rebuilt: the phone is still taken, and IDs continue.
	if _, err := f2.SeedContact(ContactFields{PhoneNumbers: []string{"+393331234567"}}); err == nil {
		t.Error("duplicate phone accepted after reload")
	}
	c2, err := f2.SeedContact(ContactFields{PhoneNumbers: []string{"+393331234568"}})
	if err != nil || c2.ID != c1.ID+1 {
		t.Errorf("next contact ID %d (%v), want %d", c2.ID, err, c1.ID+1)
	}
}

func TestBackgroundSave(t *testing.T) {
	path := filepath.Join(t.TempDir(), "qlara.json")
	_, c := start(t, sandbox.Options{StatePath: path})
	created := c.create(map[string]any{"phoneNumbers": []string{"+14155552671"}})
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, _ := os.ReadFile(path)
		if bytes.Contains(b, []byte("+14155552671")) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("state file not written within 5s (contact %d)", created.ID)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestCorruptStateMovedAside(t *testing.T) {
	path := filepath.Join(t.TempDir(), "qlara.json")
	if err := os.WriteFile(path, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	f := New(sandbox.Options{StatePath: path})
	if f.LoadErr() == nil {
		t.Error("LoadErr() = nil for a corrupt file")
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(path + ".corrupt"); err != nil || string(b) != "{not json" {
		t.Errorf("corrupt file not kept aside: %q, %v", b, err)
	}
}

func TestReset(t *testing.T) {
	f, c := start(t, sandbox.Options{})
	first := c.create(map[string]any{"emailAddresses": []string{"a@example.com"}})
	c.call("POST", "/contacts/list/contacts", AssociationRequest{ListIDs: []int64{1}, ContactIDs: []int64{first.ID}}, http.StatusBadRequest, nil)
	f.Reset()
	if n := len(f.Contacts()); n != 0 || f.ListAddCalls() != 0 {
		t.Fatalf("after Reset: %d contacts, %d list calls", n, f.ListAddCalls())
	}
	if again := c.create(map[string]any{"emailAddresses": []string{"a@example.com"}}); again.ID != first.ID {
		t.Errorf("ID after Reset %d, want %d", again.ID, first.ID)
	}
}
