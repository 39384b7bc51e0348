package qlara

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

// call sends one request to f in process with the default key.
func call(f sandbox.Fake, method, path, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-Key", sandbox.DefaultKey)
	w := httptest.NewRecorder()
	f.ServeHTTP(w, req)
	return w
}

// contactState is n contacts created through the handler, each with names,
// an email, a phone, a city and a tag, the first three unique.
func contactState(n int) sandboxtest.State {
	return sandboxtest.State{
		N:    n,
		Open: func(path string) sandbox.Fake { return New(sandbox.Options{StatePath: path}) },
		Add: func(f sandbox.Fake, i int) error {
			body := fmt.Sprintf(`{"firstName":"Person","lastName":"%07d","emailAddresses":["person%07d@example.com"],`+
				`"phoneNumbers":["+39333%07d"],"city":"Milano","tags":["imported"]}`, i, i, i)
			if w := call(f, "POST", basePath+"/contacts", body); w.Code != http.StatusCreated {
				return fmt.Errorf("POST /contacts: %d %s", w.Code, w.Body)
			}
			return nil
		},
		Export: exportAll,
	}
}

// exportAll exports every contact and downloads the file.
func exportAll(f sandbox.Fake) error {
	if w := call(f, "POST", basePath+"/exports/contacts", `{}`); w.Code != http.StatusAccepted {
		return fmt.Errorf("export: %d %s", w.Code, w.Body)
	}
	var page ExportPage
	for range 2 {
		if err := json.Unmarshal(call(f, "GET", basePath+"/exports", "").Body.Bytes(), &page); err != nil {
			return err
		}
	}
	if len(page.Items) == 0 {
		return fmt.Errorf("no export listed")
	}
	var u DownloadURL
	if err := json.Unmarshal(call(f, "GET", fmt.Sprint(basePath+"/exports/", page.Items[0].ID), "").Body.Bytes(), &u); err != nil {
		return err
	}
	_, path, _ := strings.Cut(strings.TrimPrefix(u.URL, "http://"), "/")
	if w := call(f, "GET", "/"+path, ""); w.Code != http.StatusOK {
		return fmt.Errorf("download %s: %d", u.URL, w.Code)
	}
	return nil
}

// BenchmarkState reports the heap the fake keeps for 100k contacts and the
// peak heap in use while saving, loading and exporting them:
//
//	go test -run '^$' -bench State -benchtime 1x ./internal/sandbox/qlara/
func BenchmarkState(b *testing.B) { contactState(100_000).Bench(b) }

// The records stay compact: a budget per record, checked on a small store
// (the heap a fake keeps for contacts; 1281 B each before it was compacted).
func TestStateCompact(t *testing.T) {
	const n, budget = 2000, 600
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
			return map[string]any{"contacts": f.Contacts(), "lists": f.Lists(), "members": f.ListMembers(501)}
		})
}
