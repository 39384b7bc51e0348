package closem

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/sandbox"
)

func TestAuth(t *testing.T) {
	f, c := start(t, sandbox.Options{})
	add := vals("mode", "addcontact", "email", "a@example.com")
	tests := []struct {
		name string
		url  string
	}{
		{"missing auth", c.base + "?m=api"},
		{"empty auth", c.base + "?m=api&auth="},
		{"wrong key", c.apiURL("wrong-Zk3-key")},
		{"key differing in case", c.apiURL(strings.ToUpper(testKey))},
		{"key as a body field only", c.base + "?m=api"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := add
			if tt.name == "key as a body field only" {
				body = vals("mode", "addcontact", "email", "a@example.com", "auth", testKey)
			}
			req := c.formRequest("", body)
			req.URL, _ = req.URL.Parse(tt.url)
			r := c.do(req)
			if r.HTTP != http.StatusUnauthorized || r.Success || r.Error != "Invalid API key" {
				t.Fatalf("HTTP %d %s, want 401 Invalid API key", r.HTTP, r.Raw)
			}
			if bytes.Contains(r.Raw, []byte(testKey)) {
				t.Fatal("answer holds the right key")
			}
		})
	}
	if n := len(f.Contacts()); n != 0 {
		t.Fatalf("%d contacts stored by unauthenticated calls", n)
	}
	c.ok(add) // and the right key works
}

func TestRoutes(t *testing.T) {
	_, c := start(t, sandbox.Options{})
	add := vals("mode", "addcontact", "email", "a@example.com")
	tests := []struct {
		name   string
		method string
		url    string
		want   int
	}{
		{"documented", http.MethodPost, c.apiURL(testKey), 200},
		{"m missing", http.MethodPost, c.base + "?auth=" + testKey, 404},
		{"m not api", http.MethodPost, c.base + "?m=app&auth=" + testKey, 404},
		{"other path", http.MethodPost, strings.TrimSuffix(c.base, "/") + "/api?m=api&auth=" + testKey, 404},
		{"GET", http.MethodGet, c.apiURL(testKey), 405},
		{"PUT", http.MethodPut, c.apiURL(testKey), 405},
		{"GET with a wrong key", http.MethodGet, c.apiURL("nope"), 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := c.formRequest(testKey, add)
			req.Method = tt.method
			req.URL, _ = req.URL.Parse(tt.url)
			r := c.do(req)
			if r.HTTP != tt.want || r.Success != (tt.want == 200) {
				t.Fatalf("HTTP %d %s, want %d", r.HTTP, r.Raw, tt.want)
			}
			if tt.want == 405 && r.Header.Get("Allow") != http.MethodPost {
				t.Errorf("Allow %q", r.Header.Get("Allow"))
			}
		})
	}
}

func TestMode(t *testing.T) {
	f, c := start(t, sandbox.Options{})
	c.refused(vals("email", "a@example.com"), 400, "mode parameter is required")
	c.refused(vals("mode", "deletecontact", "email", "a@example.com"), 400, "Invalid mode")
	c.refused(vals("mode", "AddContact", "email", "a@example.com"), 400, "Invalid mode")

	// A JSON body carries no form fields, as with PHP's $_POST.
	js := `{"mode":"addcontact","email":"json@example.com"}`
	req, err := http.NewRequest(http.MethodPost, c.apiURL(testKey), strings.NewReader(js))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if r := c.do(req); r.HTTP != 400 || !strings.Contains(r.Error, "mode") {
		t.Errorf("JSON body: HTTP %d %s, want 400 mode required", r.HTTP, r.Raw)
	}
	// Fields in the query string are not fields.
	req = c.formRequest(testKey, vals())
	req.URL.RawQuery += "&mode=addcontact&email=q@example.com"
	if r := c.do(req); r.HTTP != 400 {
		t.Errorf("fields in the query: HTTP %d %s, want 400", r.HTTP, r.Raw)
	}
	if len(f.Contacts()) != 0 {
		t.Fatal("a refused request stored a contact")
	}
}

func TestMultipartForm(t *testing.T) {
	f, c := start(t, sandbox.Options{})
	r := c.do(c.multipartRequest(testKey, vals("mode", "addcontact", "phone", "9999999998", "fullname", "John Doe", "tags", "42,57")))
	if r.HTTP != 200 || !r.Success || r.Action != "created" || r.ContactID == "" {
		t.Fatalf("HTTP %d %s", r.HTTP, r.Raw)
	}
	got := f.Contacts()
	if len(got) != 1 || got[0].Phone != "9999999998" || got[0].FirstName != "John" || got[0].LastName != "Doe" ||
		strings.Join(got[0].Tags, ",") != "42,57" || got[0].ID != r.ContactID {
		t.Fatalf("stored %+v", got)
	}
}

func TestBodyTooLarge(t *testing.T) {
	_, c := start(t, sandbox.Options{})
	r := c.post(vals("mode", "addcontact", "email", "big@example.com", "notes", strings.Repeat("x", maxBody+10)))
	if r.HTTP != http.StatusRequestEntityTooLarge {
		t.Fatalf("HTTP %d %s, want 413", r.HTTP, r.Raw)
	}
}

func TestRateLimit(t *testing.T) {
	_, c := start(t, sandbox.Options{Faults: sandbox.Faults{RatePerSecond: 0.2, Burst: 1, Seed: 7}})
	c.ok(vals("mode", "addcontact", "email", "one@example.com"))
	r := c.post(vals("mode", "addcontact", "email", "two@example.com"))
	if r.HTTP != http.StatusTooManyRequests {
		t.Fatalf("second call within the rate: HTTP %d, want 429", r.HTTP)
	}
	if len(r.Raw) > 0 && (r.Success || r.Error != "Too many requests" || r.Header.Get("Retry-After") == "") {
		t.Errorf("429 answer %s, Retry-After %q", r.Raw, r.Header.Get("Retry-After"))
	}
	// The limit is per key: another key is not limited by this one's use.
	if other := c.do(c.formRequest("another-key", vals("mode", "addcontact"))); other.HTTP != http.StatusUnauthorized {
		t.Errorf("another key: HTTP %d %s, want 401", other.HTTP, other.Raw)
	}
}

// TestLimitedAnswer checks both forms of the 429 directly, since the Gate
// picks the bare one at random.
func TestLimitedAnswer(t *testing.T) {
	f := New(sandbox.Options{APIKey: testKey})
	defer f.Close()
	req := httptest.NewRequest(http.MethodPost, "/?m=api&auth="+testKey, nil)

	w := httptest.NewRecorder()
	f.limited(w, req, 1500*time.Millisecond, false)
	var body failure
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Success || body.Error == "" {
		t.Errorf("body %s (%v)", w.Body.Bytes(), err)
	}
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "2" {
		t.Errorf("HTTP %d Retry-After %q, want 429 and 2", w.Code, w.Header().Get("Retry-After"))
	}

	w = httptest.NewRecorder()
	f.limited(w, req, 10*time.Millisecond, true)
	if w.Code != http.StatusTooManyRequests || w.Body.Len() != 0 || w.Header().Get("Retry-After") != "" {
		t.Errorf("bare: HTTP %d body %q Retry-After %q", w.Code, w.Body.String(), w.Header().Get("Retry-After"))
	}
}

// A request that times out was still applied: an upsert retry must then
// find the contact instead of adding another.
func TestTimeoutAfterStore(t *testing.T) {
	f, c := start(t, sandbox.Options{Faults: sandbox.Faults{Timeout: 1, Hang: 5 * time.Second}})
	c.hc.Timeout = 300 * time.Millisecond
	if _, err := c.hc.Do(c.formRequest(testKey, vals("mode", "addcontact", "email", "late@example.com"))); err == nil {
		t.Fatal("want a client timeout")
	}
	if got := f.Contacts(); len(got) != 1 || got[0].Email != "late@example.com" {
		t.Fatalf("the timed-out add was not stored: %+v", got)
	}
	f.Gate().SetFaults(sandbox.Faults{})
	c.hc.Timeout = 10 * time.Second
	r := c.ok(vals("mode", "addcontact", "upsert", "true", "email", "late@example.com", "city", "Austin"))
	if got := f.Contacts(); r.Action != "updated" || len(got) != 1 || got[0].City != "Austin" {
		t.Fatalf("retry with upsert: %s, contacts %+v", r.Raw, got)
	}
}

func TestPersistence(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sandbox", "closem.json")
	opt := sandbox.Options{APIKey: testKey, StatePath: path, Now: steppingClock()}
	f, c := start(t, opt)
	first := c.ok(vals("mode", "addcontact", "email", "keep@example.com", "fullname", "Kim Lee", "tags", "3,4", "sequence_id", "9"))
	c.ok(vals("mode", "runsequence", "sequence_id", "10", "contact_emails", "keep@example.com"))
	c.ok(vals("mode", "scheduleappointment", "appointment_note", "Call", "appointment_timestamp", "04/01/2026 12:30 PM", "tags", "4"))
	before := [3]any{f.Contacts(), f.Sequences(), f.Appointments()}
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
	after := [3]any{g.Contacts(), g.Sequences(), g.Appointments()}
	if !sameJSON(before, after) {
		t.Fatalf("reloaded %+v, want %+v", after, before)
	}
	// Ids are not reused after a reload.
	srv, err := sandbox.Start(g, "")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c2 := &apiClient{t: t, base: srv.URL + g.BasePath(), key: testKey, hc: c.hc}
	if next := c2.ok(vals("mode", "addcontact", "email", "next@example.com")); atoi(next.ContactID) <= atoi(first.ContactID) {
		t.Fatalf("new id %s after %s", next.ContactID, first.ContactID)
	}
	if r := c2.ok(vals("mode", "runsequence", "sequence_id", "10", "contact_emails", "next@example.com")); len(g.Sequences()) != 3 || g.Sequences()[2].ID == g.Sequences()[1].ID {
		t.Fatalf("sequence runs after reload: %+v (%s)", g.Sequences(), r.Raw)
	}

	g.Reset()
	if len(g.Contacts())+len(g.Sequences())+len(g.Appointments()) != 0 {
		t.Fatal("Reset kept records")
	}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func sameJSON(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

func TestBackgroundSave(t *testing.T) {
	path := filepath.Join(t.TempDir(), "closem.json")
	_, c := start(t, sandbox.Options{StatePath: path})
	c.ok(vals("mode", "addcontact", "email", "soon@example.com"))
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
	path := filepath.Join(t.TempDir(), "closem.json")
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
	if err := sandbox.LoadJSON(path, &s); err != nil || len(s.Contacts) != 0 || s.NextContact != firstContactID {
		t.Fatalf("state after Reset: %+v, %v", s, err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
