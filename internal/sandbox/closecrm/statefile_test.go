package closecrm

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/crmload/crmload/internal/sandbox"
	"github.com/crmload/crmload/internal/sandbox/sandboxtest"
)

// benchLead is lead i's POST /lead/ body: one contact with a name, an
// email and a phone, all unique.
func benchLead(i int) string {
	return fmt.Sprintf(`{"name":"Lead %07d","contacts":[{"name":"Person %07d","title":"Buyer",`+
		`"emails":[{"email":"person%07d@example.com"}],"phones":[{"phone":"+1650%07d"}]}]}`, i, i, i, 5_550_000+i)
}

// serve sends one request to f in process and returns the answer.
func serve(f sandbox.Fake, method, path, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.SetBasicAuth(sandbox.DefaultKey, "")
	w := httptest.NewRecorder()
	f.ServeHTTP(w, req)
	return w
}

// leadState is n leads with one contact each, posted through the handler.
func leadState(n int) sandboxtest.State {
	return sandboxtest.State{
		N:    n,
		Open: func(path string) sandbox.Fake { return New(sandbox.Options{StatePath: path}) },
		Add: func(f sandbox.Fake, i int) error {
			if w := serve(f, "POST", basePath+"/lead/", benchLead(i)); w.Code != http.StatusOK {
				return fmt.Errorf("POST /lead/: %d %s", w.Code, w.Body)
			}
			return nil
		},
		Export: exportAll,
	}
}

// BenchmarkState reports the heap the fake keeps for 100k leads with one
// contact each, and the peak heap in use while saving, loading and
// exporting them:
//
//	go test -run '^$' -bench State -benchtime 1x ./internal/sandbox/closecrm/
func BenchmarkState(b *testing.B) { leadState(100_000).Bench(b) }

// exportAll exports every lead and downloads the file.
func exportAll(f sandbox.Fake) error {
	w := serve(f, "POST", basePath+"/export/lead/", `{"format":"json","type":"leads"}`)
	if w.Code != http.StatusOK {
		return fmt.Errorf("export: %d %s", w.Code, w.Body)
	}
	id := between(w.Body.String(), `"id":"`, `"`)
	var url string
	for range 3 {
		url = between(serve(f, "GET", basePath+"/export/"+id+"/", "").Body.String(), `"download_url":"`, `"`)
	}
	if w := serve(f, "GET", url, ""); w.Code != http.StatusOK {
		return fmt.Errorf("download %s: %d", url, w.Code)
	}
	return nil
}

func between(s, from, to string) string {
	_, s, _ = strings.Cut(s, from)
	s, _, _ = strings.Cut(s, to)
	return s
}

// The records stay compact: a budget per record, checked on a small store
// (the heap a fake keeps for leads with one contact; 2031 B each before it was compacted).
func TestStateCompact(t *testing.T) {
	const n, budget = 2000, 1200
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
			return map[string]any{"leads": f.Leads(), "contacts": f.Contacts(),
				"lead_fields": f.CustomFields("lead"), "contact_fields": f.CustomFields("contact")}
		})
}
