package closumv1

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/sandbox"
)

func TestRateLimit(t *testing.T) {
	f, c := start(t, sandbox.Options{Faults: sandbox.Faults{RatePerSecond: 0.2, Burst: 2, Seed: 7}})
	c.login() // the login counts against the user it logs in as
	c.ok(http.StatusOK, http.MethodGet, "/lead", nil)
	r := c.call(http.MethodGet, "/lead", nil)
	if r.HTTP != http.StatusTooManyRequests {
		t.Fatalf("third call within the rate: HTTP %d, want 429", r.HTTP)
	}
	if len(r.Raw) > 0 {
		var d errData
		_ = json.Unmarshal(r.Data, &d)
		if r.Success || d.Code != 429 || r.Header.Get("Retry-After") == "" {
			t.Errorf("429 body %s, Retry-After %q", r.Raw, r.Header.Get("Retry-After"))
		}
	}
	// Another login as the same user is limited too: the key is the user.
	if r := c.call(http.MethodPost, "/token", map[string]any{"api_username": testUser, "api_pw": testPass}); r.HTTP != http.StatusTooManyRequests {
		t.Errorf("login as the limited user: HTTP %d, want 429", r.HTTP)
	}
	// Callers without a token have their own bucket: they get 401, not 429.
	c.token = ""
	if r := c.call(http.MethodGet, "/lead", nil); r.HTTP != http.StatusUnauthorized {
		t.Errorf("anonymous call: HTTP %d, want 401", r.HTTP)
	}
	if _, limited, _ := f.Gate().Stats(); limited != 2 {
		t.Errorf("limited = %d, want 2", limited)
	}
}

// TestLimitedAnswer checks both forms of the 429 directly, since the Gate
// picks the bare one at random.
func TestLimitedAnswer(t *testing.T) {
	f := New(sandbox.Options{})
	defer f.Close()
	req := httptest.NewRequest(http.MethodGet, "/api/lead", nil)

	w := httptest.NewRecorder()
	f.limited(w, req, 1500*time.Millisecond, false)
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "2" {
		t.Errorf("HTTP %d Retry-After %q, want 429 and 2", w.Code, w.Header().Get("Retry-After"))
	}
	var env errEnvelope
	if err := json.Unmarshal(w.Body.Bytes(), &env); err != nil || env.Success || env.Data.Code != 429 ||
		env.Data.Message != "Too Many Requests" || env.Data.URL != "/api/lead" {
		t.Errorf("body %s (%v)", w.Body.Bytes(), err)
	}

	w = httptest.NewRecorder()
	f.limited(w, req, 10*time.Millisecond, true)
	if w.Code != http.StatusTooManyRequests || w.Body.Len() != 0 || w.Header().Get("Retry-After") != "" {
		t.Errorf("bare: HTTP %d body %q Retry-After %q", w.Code, w.Body.String(), w.Header().Get("Retry-After"))
	}
}

// A create that times out was still applied: the client cannot tell, and
// a blind retry makes a duplicate (the API allows them).
func TestTimeoutAfterStore(t *testing.T) {
	f, c := start(t, sandbox.Options{})
	c.login()
	f.Gate().SetFaults(sandbox.Faults{Timeout: 1, Hang: 5 * time.Second})
	c.hc.Timeout = 300 * time.Millisecond
	if _, err := c.hc.Do(c.request(http.MethodPost, "/lead", leadBody("Late", "late@example.com", nil))); err == nil {
		t.Fatal("want a client timeout")
	}
	ls := f.Leads()
	if len(ls) != 1 || ls[0].Email != "late@example.com" {
		t.Fatalf("the timed-out create was not stored: %+v", ls)
	}
	f.Gate().SetFaults(sandbox.Faults{})
	c.hc.Timeout = 10 * time.Second
	var items []leadItem
	c.ok(http.StatusOK, http.MethodGet, "/lead", nil).into(t, &items)
	if len(items) != 1 || items[0].Email.Email != "late@example.com" {
		t.Fatalf("list after the timeout: %+v", items)
	}
	c.create("/lead", leadBody("Late", "late@example.com", nil))
	if n := len(f.Leads()); n != 2 {
		t.Fatalf("%d leads after a blind retry, want the duplicate", n)
	}
}

func TestInjected5xx(t *testing.T) {
	f, c := start(t, sandbox.Options{})
	c.login()
	f.Gate().SetFaults(sandbox.Faults{Error5xx: 1})
	if r := c.call(http.MethodPost, "/lead", leadBody("A", "a@example.com", nil)); r.HTTP != http.StatusServiceUnavailable {
		t.Fatalf("HTTP %d, want 503", r.HTTP)
	}
	if len(f.Leads()) != 0 {
		t.Fatal("a request failed before the work stored a lead")
	}
}

// Concurrent creates get distinct ids and none is lost.
func TestConcurrentCreates(t *testing.T) {
	f, c := start(t, sandbox.Options{})
	c.login()
	const workers, each = 8, 10
	var wg sync.WaitGroup
	ids := make(chan int, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				body, _ := json.Marshal(leadBody("C", fmt.Sprintf("c%d-%d@example.com", w, i), nil))
				req, _ := http.NewRequest(http.MethodPost, c.base+"/lead", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+c.token)
				resp, err := c.hc.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				var r struct{ Data idRef }
				_ = json.NewDecoder(resp.Body).Decode(&r)
				resp.Body.Close()
				ids <- r.Data.ID
			}
		})
	}
	wg.Wait()
	close(ids)
	seen := map[int]bool{}
	for id := range ids {
		if id <= 0 || seen[id] {
			t.Fatalf("id %d repeated or missing", id)
		}
		seen[id] = true
	}
	if len(seen) != workers*each || len(f.Leads()) != workers*each || len(f.Emails()) != workers*each {
		t.Fatalf("%d ids, %d leads, %d emails", len(seen), len(f.Leads()), len(f.Emails()))
	}
}

func TestPersistence(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sandbox", "closum-v1.json")
	clk := newClock()
	opt := sandbox.Options{Username: testUser, Password: testPass, StatePath: path, Now: clk.Now}
	f, c := start(t, opt)
	c.login()
	lead := c.create("/lead", []byte(docLeadBody))
	clk.Advance(time.Second)
	c.create("/lead", map[string]any{"phone": map[string]any{"number": "916912468"}, "city_id": 40, "custom_data": `{"a":1}`})
	ct := c.create("/contact-type", map[string]any{"label": "Fair"})
	c.create("/unqualified-lead", map[string]any{"name": "U", "email": map[string]any{"email": "u@example.com"}, "contact_type_id": ct})
	c.ok(http.StatusOK, http.MethodPut, fmt.Sprintf("/email/%d", c.viewLead(lead).Email.ID), map[string]any{"email": "moved@example.com"})
	before := []any{f.Leads(), f.UnqualifiedLeads(), f.Emails(), f.Phones(), f.ContactTypes()}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(testPass)) || bytes.Contains(raw, []byte(c.token)) {
		t.Fatal("state file holds the password or a token")
	}

	g, c2 := start(t, opt)
	after := []any{g.Leads(), g.UnqualifiedLeads(), g.Emails(), g.Phones(), g.ContactTypes()}
	if !reflect.DeepEqual(mustMarshal(t, before), mustMarshal(t, after)) {
		t.Fatalf("reloaded\n%s\nwant\n%s", mustMarshal(t, after), mustMarshal(t, before))
	}
	// Tokens do not survive a restart; ids are not reused.
	c2.token = c.token
	c2.failed(http.StatusUnauthorized, http.MethodGet, "/lead", nil)
	c2.login()
	if id := c2.create("/lead", leadBody("N", "n@example.com", nil)); id != 3 {
		t.Fatalf("new lead id %d after reload, want 3", id)
	}
	if v := c2.viewLead(lead); v.Email.Email != "moved@example.com" || v.LeadOptIn == nil {
		t.Fatalf("reloaded lead view %+v", v)
	}

	g.Reset()
	if len(g.Leads()) != 0 || len(g.UnqualifiedLeads()) != 0 || len(g.Emails()) != 0 || len(g.ContactTypes()) != 1 {
		t.Fatal("Reset kept records")
	}
	c2.ok(http.StatusOK, http.MethodGet, "/lead", nil) // tokens survive a Reset
}

func TestBackgroundSave(t *testing.T) {
	path := filepath.Join(t.TempDir(), "closum-v1.json")
	_, c := start(t, sandbox.Options{StatePath: path})
	c.login()
	c.create("/lead", leadBody("Soon", "soon@example.com", nil))
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
	path := filepath.Join(t.TempDir(), "closum-v1.json")
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
	if err := sandbox.LoadJSON(path, &s); err != nil || len(s.ContactTypes) != 1 {
		t.Fatalf("state after Reset: %+v, %v", s, err)
	}
}

func TestPhpInt(t *testing.T) {
	for in, want := range map[string]int{"": 0, "abc": 0, "12": 12, "12abc": 12, " 7": 7, "-3": -3, "+5": 5} {
		if got := phpInt(in); got != want {
			t.Errorf("phpInt(%q) = %d, want %d", in, got, want)
		}
	}
}
