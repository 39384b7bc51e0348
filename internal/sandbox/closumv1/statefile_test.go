package closumv1

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/crmload/crmload/internal/sandbox"
	"github.com/crmload/crmload/internal/sandbox/sandboxtest"
)

// call sends one JSON request to f in process with token (if any).
func call(f sandbox.Fake, method, path, token, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, basePath+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	f.ServeHTTP(w, req)
	return w
}

// leadState is n leads created through the handler, each with a name, an
// email, a phone and an opt-in, all unique.
func leadState(n int) sandboxtest.State {
	var token string
	return sandboxtest.State{
		N:    n,
		Open: func(path string) sandbox.Fake { return New(sandbox.Options{StatePath: path}) },
		Add: func(f sandbox.Fake, i int) error {
			if i == 0 {
				w := call(f, "POST", "/token", "", `{"api_username":"`+sandbox.DefaultUser+`","api_pw":"`+sandbox.DefaultKey+`"}`)
				var td struct{ Data tokenData }
				if err := json.Unmarshal(w.Body.Bytes(), &td); err != nil || td.Data.Token == "" {
					return fmt.Errorf("login: %d %s", w.Code, w.Body)
				}
				token = td.Data.Token
			}
			body := fmt.Sprintf(`{"name":"Person %07d","email":{"email":"person%07d@example.com"},`+
				`"phone":{"number":"517-%03d-%04d"},"lead_opt_in":{"sms":true,"email":true}}`, i, i, 200+i/10000, i%10000)
			if w := call(f, "POST", "/lead", token, body); w.Code != http.StatusCreated {
				return fmt.Errorf("POST /lead: %d %s", w.Code, w.Body)
			}
			return nil
		},
	}
}

// BenchmarkState reports the heap the fake keeps for 100k leads and the
// peak heap in use while saving and loading them:
//
//	go test -run '^$' -bench State -benchtime 1x ./internal/sandbox/closumv1/
func BenchmarkState(b *testing.B) { leadState(100_000).Bench(b) }

// The records stay compact: a budget per record, checked on a small store
// (the heap a fake keeps for leads; 504 B each before it was compacted).
func TestStateCompact(t *testing.T) {
	const n, budget = 2000, 600
	if got := leadState(n).Seed(t).PerRecord(n); got > budget {
		t.Errorf("%.0f bytes of heap per record, over the budget of %d", got, budget)
	}
}

// A state file written before the records were compacted still loads, with
// the same records, and loads the same once saved again. The files in
// testdata were written, with what the fake then showed, by that version.
func TestLoadsEarlierStateFile(t *testing.T) {
	sandboxtest.CheckStateFile(t, "testdata/state-before.json", "testdata/state-before.want.json",
		func(path string) sandbox.Fake { return New(sandbox.Options{StatePath: path}) },
		func(fake sandbox.Fake) any {
			f := fake.(*Fake)
			return map[string]any{"leads": f.Leads(), "unqualified": f.UnqualifiedLeads(), "emails": f.Emails(),
				"phones": f.Phones(), "contact_types": f.ContactTypes()}
		})
}

// The password plays the API key's part: every key of Options.APIKeys
// logs in too, and no other.
func TestSeveralAPIKeys(t *testing.T) {
	f := New(sandbox.Options{Password: "key-a", APIKeys: []string{"key-b"}})
	defer f.Close()
	for key, want := range map[string]int{"key-a": 200, "key-b": 200, sandbox.DefaultKey: 401} {
		w := call(f, "POST", "/token", "", `{"api_username":"`+sandbox.DefaultUser+`","api_pw":"`+key+`"}`)
		if w.Code != want {
			t.Errorf("password %q: %d, want %d", key, w.Code, want)
		}
	}
}
