package closecrm

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/sandbox"
)

func TestPersistenceRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sandbox", "close.json")
	f := New(sandbox.Options{StatePath: path})
	tier := f.AddCustomField("lead", "Tier", "choices", "Gold", "Silver")
	industry, _ := f.CustomFieldID("lead", "Industry")
	a, err := f.AddLead(map[string]any{
		"name": "Acme", "url": "https://acme.example/",
		"custom." + tier: "Gold", "custom." + industry: []string{"IT"},
		"contacts": []any{
			map[string]any{"name": "Ann", "emails": []any{map[string]any{"email": "ann@acme.example"}}},
			map[string]any{"name": "Bob", "phones": []any{map[string]any{"phone": "+44 20 7946 0958", "type": "mobile"}}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.AddLead(map[string]any{"name": "Beta"}); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	wantLeads, wantContacts := f.Leads(), f.Contacts()

	g := New(sandbox.Options{StatePath: path})
	defer g.Close()
	if got := g.Leads(); !reflect.DeepEqual(roundTrip(t, got), roundTrip(t, wantLeads)) {
		t.Errorf("leads after reload:\n got %s\nwant %s", mustJSON(got), mustJSON(wantLeads))
	}
	if got := g.Contacts(); !reflect.DeepEqual(roundTrip(t, got), roundTrip(t, wantContacts)) {
		t.Errorf("contacts after reload differ")
	}
	if id, ok := g.CustomFieldID("lead", "Tier"); !ok || id != tier {
		t.Errorf("custom field Tier after reload: %q %v", id, ok)
	}

	// The indexes are rebuilt: search and multi-value .add work on loaded data.
	srv, err := sandbox.Start(g, "")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	e := &env{t: t, fake: g, url: srv.URL + g.BasePath(), key: sandbox.DefaultKey}
	for _, q := range []string{`email_address:"ANN@acme.example"`, `phone:"+442079460958"`, `name:acme`} {
		b := e.do("GET", "/lead/?query="+urlQuery(q), nil).must(t, http.StatusOK)
		if got := ids(data(t, b)); !slices.Equal(got, []string{a.ID}) {
			t.Errorf("%s after reload = %v", q, got)
		}
	}
	p := e.do("PUT", "/lead/"+a.ID+"/", map[string]any{"custom." + industry + ".add": "Cars"}).must(t, http.StatusOK)
	if got := at(p, "custom."+industry); !reflect.DeepEqual(got, []any{"IT", "Cars"}) {
		t.Errorf(".add after reload = %v", got)
	}
}

// roundTrip compares values by their JSON form (maps of any after a load
// hold []any where fresh ones hold []string).
func roundTrip(t *testing.T, v any) any {
	t.Helper()
	var out any
	if err := json.Unmarshal(mustJSON(v), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestBackgroundSave(t *testing.T) {
	path := filepath.Join(t.TempDir(), "close.json")
	f := New(sandbox.Options{StatePath: path})
	defer f.Close()
	if _, err := f.AddLead(map[string]any{"name": "Saved Soon"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		var st stateFile
		if err := sandbox.LoadJSON(path, &st); err != nil {
			t.Fatal(err)
		}
		if len(st.Leads) == 1 && st.Leads[0].Name == "Saved Soon" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("state not saved in the background within 3s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestUnreadableStateIsNotOverwritten(t *testing.T) {
	path := filepath.Join(t.TempDir(), "close.json")
	if err := os.WriteFile(path, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	f := New(sandbox.Options{StatePath: path})
	if err := f.Close(); err == nil {
		t.Error("Close saved over an unreadable state file")
	}
	if b, _ := os.ReadFile(path); string(b) != "{not json" {
		t.Errorf("state file changed to %q", b)
	}
	f.Reset()
	if err := f.Save(); err != nil {
		t.Errorf("Save after Reset: %v", err)
	}
}

func TestCustomFieldEndpoints(t *testing.T) {
	e := start(t, sandbox.Options{})
	list := data(t, e.do("GET", "/custom_field/lead/", nil).must(t, http.StatusOK))
	if len(list) != 2 || list[0]["name"] != "Lead Source" || list[0]["id"].(string)[:4] != "lcf_" {
		t.Fatalf("seeded lead fields %v", list)
	}
	if c := data(t, e.do("GET", "/custom_field/contact/", nil).must(t, http.StatusOK)); len(c) != 2 || c[0]["id"].(string)[:4] != "ccf_" {
		t.Fatalf("seeded contact fields %v", c)
	}

	cf := e.do("POST", "/custom_field/lead/", map[string]any{"name": "# of users", "type": "number"}).must(t, http.StatusOK)
	users := cf["id"].(string)
	l := e.do("POST", "/lead/", map[string]any{"custom." + users: "42"}).must(t, http.StatusOK)
	if l["custom."+users] != 42.0 {
		t.Errorf("number field stored %v (%T)", l["custom."+users], l["custom."+users])
	}
	if fe := e.do("POST", "/lead/", map[string]any{"custom." + users: "many"}).fieldErrors(t); fe["custom."+users] == nil {
		t.Errorf("non-numeric value accepted")
	}

	bad := []map[string]any{
		{"name": "# of users", "type": "text"},                         // duplicate name
		{"name": "X", "type": "colour"},                                // unknown type
		{"name": "X", "type": "text", "accepts_multiple_values": true}, // multi only for choices/user
		{"name": "X", "type": "choices"},                               // no choices
		{"type": "text"},                                               // no name
	}
	for _, b := range bad {
		e.do("POST", "/custom_field/lead/", b).fieldErrors(t)
	}

	// Narrowing the type drops values that no longer fit.
	e.do("PUT", "/custom_field/lead/"+users+"/", map[string]any{"type": "date"}).must(t, http.StatusOK)
	if got, _ := e.fake.Lead(l["id"].(string)); got.Custom[users] != nil {
		t.Errorf("value %v survived a type change to date", got.Custom[users])
	}

	id := e.fake.AddCustomField("contact", "Nickname", "text")
	lead := e.createLead(map[string]any{"contacts": []any{map[string]any{"name": "A", "custom." + id: "Al"}}})
	e.do("DELETE", "/custom_field/contact/"+id+"/", nil).must(t, http.StatusOK)
	got := e.do("GET", "/lead/"+lead+"/", nil).must(t, http.StatusOK)
	if _, ok := at(got, "contacts", "0").(map[string]any)["custom."+id]; ok {
		t.Errorf("deleted field still served")
	}
	e.do("GET", "/custom_field/contact/"+id+"/", nil).must(t, http.StatusNotFound)
	if st := data(t, e.do("GET", "/status/lead/", nil).must(t, http.StatusOK)); len(st) != 4 || st[0]["label"] != "Potential" {
		t.Errorf("statuses %v", st)
	}
}
