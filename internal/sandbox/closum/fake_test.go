package closum

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/sandbox"
)

// The one documented error: HTTP 200, status false, errors ["Invalid API Key"].
func TestInvalidKey(t *testing.T) {
	f, c := start(t, sandbox.Options{})
	tests := []struct {
		name, method, path string
		q                  url.Values
		body               any
	}{
		{"missing key", http.MethodGet, "/lead/", url.Values{"api-key": nil}, nil},
		{"empty key", http.MethodGet, "/lead/", url.Values{"api-key": {""}}, nil},
		{"wrong key", http.MethodPost, "/lead/add/", url.Values{"api-key": {"wrong-Zk3-key"}}, leadBody("a@example.com", nil)},
		{"key differing in case", http.MethodGet, "/contact/list", url.Values{"api-key": {"CK-7FQ2ZX9-SECRET"}}, nil},
		{"unknown path", http.MethodGet, "/nowhere", url.Values{"api-key": {"wrong-Zk3-key"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := c.request(tt.method, tt.path, nil, tt.body)
			q := req.URL.Query()
			if tt.q["api-key"] == nil {
				q.Del("api-key")
			} else {
				q.Set("api-key", tt.q.Get("api-key"))
			}
			req.URL.RawQuery = q.Encode()
			r := c.do(req)
			if r.HTTP != http.StatusOK {
				t.Fatalf("HTTP %d, want 200", r.HTTP)
			}
			var got map[string]json.RawMessage
			if err := json.Unmarshal(r.Raw, &got); err != nil {
				t.Fatal(err)
			}
			want := map[string]string{"status": "false", "code": "200", "responseData": "[]", "message": "[]", "errors": `["Invalid API Key"]`}
			for k, v := range want {
				if string(got[k]) != v {
					t.Errorf("%s = %s, want %s", k, got[k], v)
				}
			}
			if len(got) != len(want)+1 {
				t.Errorf("keys %v, want %v and timestamp", keys(got), want)
			}
			if _, err := time.Parse(timeLayout, r.Timestamp); err != nil {
				t.Errorf("timestamp %q: %v", r.Timestamp, err)
			}
		})
	}
	if n := len(f.Leads()); n != 0 {
		t.Fatalf("%d leads stored by unauthenticated calls", n)
	}
}

func keys(m map[string]json.RawMessage) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestSuccessEnvelope(t *testing.T) {
	_, c := start(t, sandbox.Options{})
	r := c.ok(http.MethodGet, "/field/", nil, nil)
	for _, part := range []string{`"status":true`, `"code":200`, `"message":["success"]`, `"errors":[]`} {
		if !bytes.Contains(r.Raw, []byte(part)) {
			t.Errorf("body lacks %s: %s", part, r.Raw)
		}
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json; charset=UTF-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if _, err := time.Parse(timeLayout, r.Timestamp); err != nil || r.Timestamp[len(r.Timestamp)-6:] != "+00:00" {
		t.Errorf("timestamp %q, want the examples' form with an offset", r.Timestamp)
	}
}

func TestRoutes(t *testing.T) {
	_, c := start(t, sandbox.Options{})
	tests := []struct {
		method, path string
		want         int
	}{
		{http.MethodGet, "/lead", 200},
		{http.MethodGet, "/lead/", 200},
		{http.MethodGet, "/contact/list/", 200},
		{http.MethodGet, "/field", 200},
		{http.MethodGet, "/tag/", 200},
		{http.MethodGet, "/contact-tag", 200},
		{http.MethodGet, "/lead/add/", 404},    // wrong method
		{http.MethodPost, "/lead/edit/1", 404}, // PUT only
		{http.MethodGet, "/lead/notes/1", 404}, // not imitated
		{http.MethodGet, "/nowhere", 404},
		{http.MethodGet, "/lead/view/1/extra", 404},
	}
	for _, tt := range tests {
		r := c.call(tt.method, tt.path, nil, nil)
		if r.HTTP != tt.want || r.Code != tt.want || r.Status != (tt.want == 200) {
			t.Errorf("%s %s: HTTP %d code %d status %v, want %d", tt.method, tt.path, r.HTTP, r.Code, r.Status, tt.want)
		}
	}
	// Outside /v2 entirely.
	req := c.request(http.MethodGet, "", nil, nil)
	req.URL.Path = "/api/lead"
	if r := c.do(req); r.HTTP != http.StatusNotFound {
		t.Errorf("/api/lead: HTTP %d, want 404", r.HTTP)
	}
}

func TestMalformedJSON(t *testing.T) {
	f, c := start(t, sandbox.Options{})
	for _, body := range []string{`{"email": `, `[1,2]`, `{"a":1} {"b":2}`} {
		r := c.call(http.MethodPost, "/lead/add/", nil, []byte(body))
		if r.HTTP != http.StatusBadRequest || r.Status || r.Code != 400 {
			t.Errorf("%s: HTTP %d %s, want 400 error envelope", body, r.HTTP, r.Raw)
		}
	}
	if len(f.Leads()) != 0 {
		t.Fatal("a malformed body stored a lead")
	}
}

func TestRateLimit(t *testing.T) {
	_, c := start(t, sandbox.Options{Faults: sandbox.Faults{RatePerSecond: 0.2, Burst: 1, Seed: 7}})
	c.ok(http.MethodGet, "/lead/", nil, nil)
	r := c.call(http.MethodGet, "/lead/", nil, nil)
	if r.HTTP != http.StatusTooManyRequests {
		t.Fatalf("second call within the rate: HTTP %d, want 429", r.HTTP)
	}
	if len(r.Raw) > 0 && (r.Status || r.Code != 429 || !containsErr(r.Errors, "Too Many Requests")) {
		t.Errorf("429 body %s", r.Raw)
	}
	// The limit is per key: another key is not limited by this one's use.
	other := c.call(http.MethodGet, "/lead/", url.Values{"api-key": {"another-key"}}, nil)
	if other.HTTP != http.StatusOK || !containsErr(other.Errors, "Invalid API Key") {
		t.Errorf("another key: HTTP %d %s", other.HTTP, other.Raw)
	}
}

// TestLimitedAnswer checks both forms of the 429 directly, since the Gate
// picks the bare one at random.
func TestLimitedAnswer(t *testing.T) {
	f := New(sandbox.Options{APIKey: testKey})
	defer f.Close()
	req := httptest.NewRequest(http.MethodGet, "/v2/lead/?api-key="+testKey, nil)

	w := httptest.NewRecorder()
	f.limited(w, req, 1500*time.Millisecond, false)
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "2" {
		t.Errorf("HTTP %d Retry-After %q, want 429 and 2", w.Code, w.Header().Get("Retry-After"))
	}
	var env envelope
	if err := json.Unmarshal(w.Body.Bytes(), &env); err != nil || env.Status || env.Code != 429 || len(env.Errors) != 1 {
		t.Errorf("body %s (%v)", w.Body.Bytes(), err)
	}
	if bytes.Contains(w.Body.Bytes(), []byte(testKey)) {
		t.Error("429 body echoes the key")
	}

	w = httptest.NewRecorder()
	f.limited(w, req, 10*time.Millisecond, true)
	if w.Code != http.StatusTooManyRequests || w.Body.Len() != 0 || w.Header().Get("Retry-After") != "" {
		t.Errorf("bare: HTTP %d body %q Retry-After %q", w.Code, w.Body.String(), w.Header().Get("Retry-After"))
	}
}

// A request that times out was still applied: a retry must then find it.
func TestTimeoutAfterStore(t *testing.T) {
	f, c := start(t, sandbox.Options{Faults: sandbox.Faults{Timeout: 1, Hang: 5 * time.Second}})
	c.hc.Timeout = 300 * time.Millisecond
	req := c.request(http.MethodPost, "/lead/add/", nil, leadBody("late@example.com", nil))
	if _, err := c.hc.Do(req); err == nil {
		t.Fatal("want a client timeout")
	}
	if _, ok := f.LeadByEmail("late@example.com"); !ok {
		t.Fatal("the timed-out add was not stored")
	}
	f.Gate().SetFaults(sandbox.Faults{})
	c.hc.Timeout = 10 * time.Second
	c.refused(http.MethodPost, "/lead/add/", nil, leadBody("late@example.com", nil), "already exists")
	id := c.addLead(leadBody("late@example.com", map[string]any{"update_enabled": true}))
	if l, _ := f.LeadByEmail("late@example.com"); l.ID != id || len(f.Leads()) != 1 {
		t.Fatalf("retry with update_enabled: id %d, leads %+v", id, f.Leads())
	}
}

func TestPersistence(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sandbox", "closum.json")
	opt := sandbox.Options{APIKey: testKey, StatePath: path, Now: steppingClock()}
	f, c := start(t, opt)
	f.AddField("Shoe Size", "shoe_size")
	id := c.addLead(leadBody("keep@example.com", map[string]any{
		"tags": []string{"vip"}, "custom_fields": map[string]any{"shoe_size": 42, "lead_source": "fair"},
		"birth_date": "1990-05-15", "contact_lifecycle_stage_id": 4,
	}))
	before := f.Leads()
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(testKey)) {
		t.Fatal("state file holds the key")
	}

	g := New(opt)
	defer g.Close()
	after := g.Leads()
	if len(after) != 1 || !sameLead(before[0], after[0]) {
		t.Fatalf("reloaded %+v, want %+v", after, before)
	}
	// Ids are not reused after a reload.
	srv, err := sandbox.Start(g, "")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c2 := &apiClient{t: t, base: srv.URL + g.BasePath(), key: testKey, hc: c.hc}
	if id2 := c2.addLead(leadBody("next@example.com", nil)); id2 <= id {
		t.Fatalf("new id %d after %d", id2, id)
	}

	g.Reset()
	if len(g.Leads()) != 0 || len(g.Contacts()) != 0 || len(g.Fields()) != 3 {
		t.Fatalf("after Reset: %d leads, %d contacts, %d fields", len(g.Leads()), len(g.Contacts()), len(g.Fields()))
	}
}

func sameLead(a, b Lead) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

func TestBackgroundSave(t *testing.T) {
	path := filepath.Join(t.TempDir(), "closum.json")
	_, c := start(t, sandbox.Options{StatePath: path})
	c.addLead(leadBody("soon@example.com", nil))
	deadline := time.Now().Add(5 * time.Second)
	for {
		raw, _ := os.ReadFile(path)
		if bytes.Contains(raw, []byte("soon@example.com")) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("state not saved in the background within 5s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestUnreadableStateIsKept(t *testing.T) {
	path := filepath.Join(t.TempDir(), "closum.json")
	if err := os.WriteFile(path, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	f := New(sandbox.Options{StatePath: path})
	if err := f.Save(); err == nil {
		t.Fatal("Save overwrote an unreadable state file")
	}
	if raw, _ := os.ReadFile(path); string(raw) != "{not json" {
		t.Fatalf("state file changed to %q", raw)
	}
	f.Reset()
	if err := f.Close(); err != nil {
		t.Fatalf("Close after Reset: %v", err)
	}
	var s state
	if err := sandbox.LoadJSON(path, &s); err != nil || len(s.Fields) != 3 {
		t.Fatalf("state after Reset: %+v, %v", s, err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestPhpInt(t *testing.T) {
	for in, want := range map[string]int{"": 0, "abc": 0, "12": 12, "12abc": 12, " 7": 7, "-3": -3, "+5": 5} {
		if got := phpInt(in); got != want {
			t.Errorf("phpInt(%q) = %d, want %d", in, got, want)
		}
	}
}
