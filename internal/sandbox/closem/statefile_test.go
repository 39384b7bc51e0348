package closem

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/crmload/crmload/internal/sandbox"
	"github.com/crmload/crmload/internal/sandbox/sandboxtest"
)

// contactState is n contacts upserted through the handler, each with a
// name, an email, a phone and an address, all unique, and a tag.
func contactState(n int) sandboxtest.State {
	return sandboxtest.State{
		N:    n,
		Open: func(path string) sandbox.Fake { return New(sandbox.Options{StatePath: path}) },
		Add: func(f sandbox.Fake, i int) error {
			form := url.Values{"mode": {"addcontact"}, "upsert": {"true"},
				"firstname": {"Person"}, "lastname": {fmt.Sprintf("%07d", i)},
				"email": {fmt.Sprintf("person%07d@example.com", i)}, "phone": {fmt.Sprintf("650%07d", 5_550_000+i)},
				"address": {fmt.Sprintf("%d Main St", i)}, "city": {"Springfield"}, "tags": {"7"}}
			req := httptest.NewRequest("POST", "/?m=api&auth="+sandbox.DefaultKey, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			w := httptest.NewRecorder()
			f.ServeHTTP(w, req)
			if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), actionCreated) {
				return fmt.Errorf("addcontact: %d %s", w.Code, w.Body)
			}
			return nil
		},
	}
}

// BenchmarkState reports the heap the fake keeps for 100k contacts and the
// peak heap in use while saving and loading them:
//
//	go test -run '^$' -bench State -benchtime 1x ./internal/sandbox/closem/
func BenchmarkState(b *testing.B) { contactState(100_000).Bench(b) }

// The records stay compact: a budget per record, checked on a small store
// (the heap a fake keeps for contacts; 777 B each before it was compacted).
func TestStateCompact(t *testing.T) {
	const n, budget = 2000, 720
	if got := contactState(n).Seed(t).PerRecord(n); got > budget {
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
			return map[string]any{"contacts": f.Contacts(), "sequences": f.Sequences(), "appointments": f.Appointments()}
		})
}
