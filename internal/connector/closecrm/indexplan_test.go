package closecrm

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/internal/heapmeter"
)

// The index decides "unchanged" by canonical forms; each must be equal
// exactly when the comparison a patch uses says equal.
func TestCanonicalAgreesWithCompare(t *testing.T) {
	num := customField{ID: "n", Type: "number"}
	when := customField{ID: "d", Type: "datetime"}
	multi := customField{ID: "m", Type: "choices", AcceptsMultipleValues: true}
	text := customField{ID: "t", Type: "text"}
	p := plan{region: "US"}
	for _, tc := range []struct {
		kind      cmpKind
		cf        customField
		row, held string
	}{
		{cmpText, text, "Bluth  Company", " Bluth Company "},
		{cmpText, text, "Bluth Company", "bluth company"},
		{cmpFold, text, "KELVIN", "\u212aelvin"}, // Kelvin sign folds to k
		{cmpFold, text, "Chief ſecretary", "CHIEF SECRETARY"},
		{cmpFold, text, "Straße", "STRASSE"}, // EqualFold does not expand ß
		{cmpFold, text, "Ægir", "ægir"},
		{cmpURL, text, "HTTP://Bluth.example/", "http://bluth.example"},
		{cmpURL, text, "http://bluth.example/a", "http://bluth.example/A"},
		{cmpEmail, text, " Gob@Example.com", "gob@example.COM"},
		{cmpEmail, text, "gob@example.com", "gob@example.org"},
		{cmpPhone, text, "(800) 444-5555", "+18004445555"},
		{cmpPhone, text, "800 444 5555", "+18004445556"},
		{cmpPhone, text, "no digits", ""},
		{cmpCustom, num, "12", "12.0"},
		{cmpCustom, num, "12.5", "12.50"},
		{cmpCustom, num, "12", "13"},
		{cmpCustom, num, "twelve", "twelve"},
		{cmpCustom, num, "12", "twelve"},
		{cmpCustom, when, "2024-01-01T10:00:00+02:00", "2024-01-01T08:00:00Z"},
		{cmpCustom, when, "2024-01-01T10:00:00+02:00", "2024-01-01T10:00:00Z"},
		{cmpCustom, multi, "Cars, IT", "IT,Cars"},
		{cmpCustom, multi, "Cars", "IT,Cars"},
		{cmpCustom, text, "Website", " Website"},
		{cmpCustom, text, "Website", ""},
	} {
		var want bool
		switch tc.kind {
		case cmpText:
			want = sameText(tc.row, tc.held)
		case cmpFold:
			want = sameFold(tc.row, tc.held)
		case cmpURL:
			want = sameURL(tc.row, tc.held)
		case cmpEmail:
			want = sameEmail(tc.row, tc.held)
		case cmpPhone:
			want = samePhone(tc.row, tc.held, "US")
		case cmpCustom:
			held, _ := json.Marshal(tc.held)
			want = sameCustom(tc.cf, tc.row, held)
		}
		u := unit{kind: tc.kind, cf: tc.cf}
		if got := p.canonical(u, tc.row, true) == p.canonical(u, tc.held, false); got != want {
			t.Errorf("%d %q vs %q: canonical forms equal %v, comparison says %v", tc.kind, tc.row, tc.held, got, want)
		}
	}
}

// The index costs well under 200 bytes a record (1M records ≤ 200 MB),
// measured on records shaped like Close's: 48-character ids, a lead and
// its contact for lead writes.
func TestIndexBytesPerRecord(t *testing.T) {
	n := 10_000
	if os.Getenv("CRMLOAD_MEMTEST") != "" {
		n = 1_000_000
	}
	c := &Client{region: "US"}
	cfs := map[string]customField{"lead source": {ID: "lcf_src", Name: "Lead Source", Type: "text"}}
	for _, obj := range []connector.Object{connector.Lead, connector.Contact} {
		fields := []string{"company", "name", "email", "title"}
		if obj == connector.Lead {
			fields = append(fields, "custom.Lead Source", "city")
		}
		p, err := newPlan(obj, []string{"email"}, fields, cfs, "US")
		if err != nil {
			t.Fatal(err)
		}
		x := &index{obj: obj, match: []string{"email"}, plan: p, t: connector.NewKeyTable[heldRec]()}
		for i := range n {
			l := leadData{ID: fmt.Sprintf("lead_%043d", i), Name: fmt.Sprintf("Company %d", i),
				Addresses: []address{{City: "Springfield"}}, Custom: map[string]json.RawMessage{"lcf_src": json.RawMessage(`"Fair"`)},
				Contacts: []contactData{{ID: fmt.Sprintf("cont_%043d", i), Name: fmt.Sprintf("Person %d", i), Title: "Buyer",
					Emails: []emailEntry{{Email: fmt.Sprintf("person%07d@example.com", i)}}}}}
			if err := x.addLead(c, &l); err != nil {
				t.Fatal(err)
			}
		}
		x.t.Trim()
		if e := x.lookup(x.t.Sum("e" + connector.Fold("PERSON0000042@example.com") + "\x00")); e.holders != 1 ||
			!strings.HasSuffix(e.ids, "42") {
			t.Errorf("lookup after build = %+v", e)
		}
		size := heapmeter.Held(func() { runtime.KeepAlive(x) })
		per := float64(size) / float64(n)
		t.Logf("%s index of %d records: %.0f bytes/record (%.1f MB)", obj, n, per, float64(size)/1e6)
		if per > 200 || per < 32 { // under 32, the index was not what was freed
			t.Errorf("%s: %.0f bytes/record, budget 200", obj, per)
		}
	}
}
