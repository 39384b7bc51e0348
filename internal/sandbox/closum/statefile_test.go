package closum

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/crmload/crmload/internal/sandbox"
	"github.com/crmload/crmload/internal/sandbox/sandboxtest"
)

// leadState is n leads (each with its contact), added through the handler:
// a name, an email, a mobile, consents, a tag and a custom field, all but
// the tag unique.
func leadState(n int) sandboxtest.State {
	return sandboxtest.State{
		N:    n,
		Open: func(path string) sandbox.Fake { return New(sandbox.Options{StatePath: path}) },
		Add: func(f sandbox.Fake, i int) error {
			body := fmt.Sprintf(`{"name":"Person %07d","email":"person%07d@example.com","mobile_number":"9123%05d",`+
				`"consent_email":true,"consent_sms":false,"tags":["imported"],"custom_fields":{"lead_source":"web %d"}}`, i, i, i, i)
			req := httptest.NewRequest("POST", basePath+"/lead/add/?api-key="+sandbox.DefaultKey, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			f.ServeHTTP(w, req)
			if !strings.Contains(w.Body.String(), `"status":true`) {
				return fmt.Errorf("lead/add: %d %s", w.Code, w.Body)
			}
			return nil
		},
	}
}

// BenchmarkState reports the heap the fake keeps for 100k leads and the
// peak heap in use while saving and loading them:
//
//	go test -run '^$' -bench State -benchtime 1x ./internal/sandbox/closum/
func BenchmarkState(b *testing.B) { leadState(100_000).Bench(b) }

// The records stay compact: a budget per record, checked on a small store
// (the heap a fake keeps for leads; 1003 B each before it was compacted).
func TestStateCompact(t *testing.T) {
	const n, budget = 2000, 880
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
			return map[string]any{"leads": f.Leads(), "contacts": f.Contacts(), "fields": f.Fields()}
		})
}
