package closecrm

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/sandbox"
)

func TestAuth(t *testing.T) {
	e := start(t, sandbox.Options{APIKey: "k-123"})
	tests := []struct {
		name string
		prep func(*http.Request)
		want int
	}{
		{"no credentials", func(*http.Request) {}, http.StatusUnauthorized},
		{"wrong key", func(r *http.Request) { r.SetBasicAuth("nope", "") }, http.StatusUnauthorized},
		{"key with a password", func(r *http.Request) { r.SetBasicAuth("k-123", "x") }, http.StatusUnauthorized},
		{"key as password", func(r *http.Request) { r.SetBasicAuth("", "k-123") }, http.StatusUnauthorized},
		{"bearer", func(r *http.Request) { r.Header.Set("Authorization", "Bearer k-123") }, http.StatusUnauthorized},
		{"key as username", func(r *http.Request) { r.SetBasicAuth("k-123", "") }, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.doWith("GET", "/me/", nil, tt.prep)
			b := r.must(t, tt.want)
			if tt.want == http.StatusUnauthorized {
				if msg, _ := b["error"].(string); msg == "" || strings.Contains(msg, "k-123") {
					t.Errorf("401 body %s: want an error message without the key", r.raw)
				}
				return
			}
			if at(b, "organizations", "0", "id") != orgID {
				t.Errorf("/me/ = %s", r.raw)
			}
		})
	}
}

func TestLeadCreateGetPatchDelete(t *testing.T) {
	clock := time.Date(2024, 5, 1, 12, 0, 0, 123456789, time.UTC)
	e := start(t, sandbox.Options{Now: func() time.Time { return clock }})
	source, _ := e.fake.CustomFieldID("lead", "Lead Source")
	industry, _ := e.fake.CustomFieldID("lead", "Industry")
	birthday, _ := e.fake.CustomFieldID("contact", "Birthday")

	created := e.do("POST", "/lead/", map[string]any{
		"name":        "Bluth Company",
		"url":         "http://thebluthcompany.tumblr.com/",
		"description": "Best. Show. Ever.",
		"status":      "qualified",
		"contacts": []any{map[string]any{
			"name": "Gob", "title": "Sr. Vice President",
			"emails":             []any{map[string]any{"type": "office", "email": "Gob@Example.com"}},
			"phones":             []any{map[string]any{"type": "office", "phone": "8004445555"}},
			"urls":               []any{map[string]any{"url": "https://gob.example.com/"}},
			"custom." + birthday: "1970-04-01",
		}},
		"addresses":          []any{map[string]any{"label": "business", "address_1": "747 Howard St", "city": "San Francisco", "country": "US"}},
		"custom." + source:   "Website contact form",
		"custom." + industry: []string{"Cars", "IT"},
	}).must(t, http.StatusOK)
	id := created["id"].(string)
	if !strings.HasPrefix(id, "lead_") || len(id) != len("lead_")+43 {
		t.Errorf("lead id %q not shaped like the doc's", id)
	}
	checks := map[string]any{
		"status_label":                        "Qualified",
		"display_name":                        "Bluth Company",
		"date_created":                        "2024-05-01T12:00:00.123456+00:00",
		"custom." + source:                    "Website contact form",
		"contacts.0.phones.0.phone":           "+18004445555",
		"contacts.0.phones.0.phone_formatted": "+1 800-444-5555",
		"contacts.0.emails.0.email":           "Gob@Example.com",
		"contacts.0.urls.0.type":              "url",
		"contacts.0.custom." + birthday:       "1970-04-01",
		"addresses.0.city":                    "San Francisco",
	}
	for path, want := range checks {
		keys := splitPath(path)
		if got := at(created, keys...); got != want {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
	}
	if cid, _ := at(created, "contacts", "0", "id").(string); !strings.HasPrefix(cid, "cont_") {
		t.Errorf("contact id %q", cid)
	}

	got := e.do("GET", "/lead/"+id+"/", nil).must(t, http.StatusOK)
	if got["name"] != "Bluth Company" || at(got, "custom."+industry, "1") != "IT" {
		t.Errorf("GET lead = %v", got)
	}

	clock = clock.Add(time.Hour)
	patched := e.do("PUT", "/lead/"+id+"/", map[string]any{
		"description":                 "Best show ever canceled. Sad.",
		"custom." + industry + ".add": "Apparel",
		"custom." + source:            nil,
	}).must(t, http.StatusOK)
	if patched["description"] != "Best show ever canceled. Sad." || patched["name"] != "Bluth Company" ||
		patched["url"] != "http://thebluthcompany.tumblr.com/" || at(patched, "contacts", "0", "name") != "Gob" {
		t.Errorf("PUT is not a patch: %v", patched)
	}
	if _, ok := patched["custom."+source]; ok {
		t.Errorf("custom field set to null still present")
	}
	if n := len(at(patched, "custom."+industry).([]any)); n != 3 {
		t.Errorf(".add gave %v", patched["custom."+industry])
	}
	if patched["date_updated"] != "2024-05-01T13:00:00.123456+00:00" || patched["date_created"] != created["date_created"] {
		t.Errorf("dates after PUT: created %v updated %v", patched["date_created"], patched["date_updated"])
	}

	e.do("DELETE", "/lead/"+id+"/", nil).must(t, http.StatusOK)
	e.do("GET", "/lead/"+id+"/", nil).must(t, http.StatusNotFound)
	if len(e.fake.Contacts()) != 0 {
		t.Errorf("contacts survive their lead: %v", e.fake.Contacts())
	}
	e.do("DELETE", "/lead/"+id+"/", nil).must(t, http.StatusNotFound)
}

func splitPath(p string) []string {
	// custom keys contain dots: "custom.lcf_x" stays one key.
	var out []string
	parts := strings.Split(p, ".")
	for i := 0; i < len(parts); i++ {
		if parts[i] == "custom" && i+1 < len(parts) {
			out = append(out, "custom."+parts[i+1])
			i++
			continue
		}
		out = append(out, parts[i])
	}
	return out
}

func TestContacts(t *testing.T) {
	e := start(t, sandbox.Options{})
	lead := e.createLead(map[string]any{"name": "Acme"})
	other := e.createLead(map[string]any{"name": "Other"})

	fe := e.do("POST", "/contact/", map[string]any{"name": "No Lead"}).fieldErrors(t)
	if fe["lead_id"] == nil {
		t.Errorf("missing lead_id: field-errors %v", fe)
	}
	fe = e.do("POST", "/contact/", map[string]any{"lead_id": "lead_missing", "name": "x"}).fieldErrors(t)
	if fe["lead_id"] == nil {
		t.Errorf("unknown lead_id: field-errors %v", fe)
	}

	c := e.do("POST", "/contact/", map[string]any{
		"lead_id": lead, "name": "John Smith", "title": "President",
		"phones": []any{map[string]any{"phone": "9045551234", "type": "mobile"}},
		"emails": []any{map[string]any{"email": "john@example.com", "type": "office"}},
	}).must(t, http.StatusOK)
	cid := c["id"].(string)
	if c["lead_id"] != lead || at(c, "phones", "0", "country") != "US" || at(c, "phones", "0", "phone") != "+19045551234" {
		t.Errorf("created contact %v", c)
	}
	l, _ := e.fake.Lead(lead)
	if len(l.Contacts) != 1 || l.Contacts[0].ID != cid {
		t.Errorf("lead contacts %v", l.Contacts)
	}

	p := e.do("PUT", "/contact/"+cid+"/", map[string]any{"name": "Johnny Smith"}).must(t, http.StatusOK)
	if p["name"] != "Johnny Smith" || p["title"] != "President" || at(p, "emails", "0", "email") != "john@example.com" {
		t.Errorf("contact PUT is not a patch: %v", p)
	}
	e.do("PUT", "/contact/"+cid+"/", map[string]any{"lead_id": other}).must(t, http.StatusOK)
	if l, _ := e.fake.Lead(lead); len(l.Contacts) != 0 {
		t.Errorf("moved contact still on its old lead")
	}
	q := e.do("GET", "/lead/?query="+urlQuery(`email_address:"JOHN@example.com"`), nil).must(t, http.StatusOK)
	if got := ids(data(t, q)); len(got) != 1 || got[0] != other {
		t.Errorf("search after move = %v, want [%s]", got, other)
	}

	list := e.do("GET", "/contact/", nil).must(t, http.StatusOK)
	if got := ids(data(t, list)); len(got) != 1 || got[0] != cid || list["has_more"] != false {
		t.Errorf("contact list %s", list)
	}
	if _, ok := list["total_results"]; ok {
		t.Errorf("contact list has total_results, the doc shows none")
	}
	e.do("GET", "/contact/?lead_id="+lead, nil).must(t, http.StatusBadRequest)

	e.do("DELETE", "/contact/"+cid+"/", nil).must(t, http.StatusOK)
	e.do("GET", "/contact/"+cid+"/", nil).must(t, http.StatusNotFound)
	if l, _ := e.fake.Lead(other); len(l.Contacts) != 0 {
		t.Errorf("deleted contact still on lead")
	}
}

func TestValidation(t *testing.T) {
	e := start(t, sandbox.Options{})
	role, _ := e.fake.CustomFieldID("contact", "Role")
	industry, _ := e.fake.CustomFieldID("lead", "Industry")
	tests := []struct {
		name string
		body map[string]any
		path []string // into field-errors; nil means a general error
	}{
		{"unparseable phone", map[string]any{"contacts": []any{map[string]any{
			"phones": []any{map[string]any{"phone": "not a phone"}}}}},
			[]string{"contacts", "errors", "0", "field-errors", "phones", "errors", "0", "field-errors", "phone"}},
		{"invalid email", map[string]any{"contacts": []any{map[string]any{
			"emails": []any{map[string]any{"email": "gob@"}}}}},
			[]string{"contacts", "errors", "0", "field-errors", "emails", "errors", "0", "field-errors", "email"}},
		{"unknown custom field", map[string]any{"custom.lcf_doesnotexist": "x"}, []string{"custom.lcf_doesnotexist"}},
		{"custom field by name", map[string]any{"custom.Lead Source": "x"}, []string{"custom.Lead Source"}},
		{"contact field on a lead", map[string]any{"custom." + role: "CEO"}, []string{"custom." + role}},
		{"invalid choice", map[string]any{"custom." + industry: []string{"Boats"}}, []string{"custom." + industry}},
		{"single value for multi field", map[string]any{"custom." + industry: "IT"}, []string{"custom." + industry}},
		{"unknown field", map[string]any{"nmae": "x"}, []string{"nmae"}},
		{"read-only field", map[string]any{"status_label": "Potential"}, []string{"status_label"}},
		{"unknown status", map[string]any{"status": "Nope"}, []string{"status"}},
		{"status and status_id", map[string]any{"status": "Potential", "status_id": "stat_1ZdiZqcSIkoGVnNOyxiEY58eTGQmFNG3LPlEVQ4V7Nk"}, nil},
		{"name not a string", map[string]any{"name": 12}, []string{"name"}},
		{"relative url", map[string]any{"url": "example.com"}, []string{"url"}},
		{"bad country", map[string]any{"addresses": []any{map[string]any{"country": "United States"}}},
			[]string{"addresses", "errors", "0", "field-errors", "country"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do("POST", "/lead/", tt.body)
			fe := r.fieldErrors(t)
			if tt.path == nil {
				if len(r.body["errors"].([]any)) == 0 {
					t.Errorf("no general error in %s", r.raw)
				}
				return
			}
			if msg, _ := at(fe, tt.path...).(string); msg == "" {
				t.Errorf("no message at %v in %s", tt.path, r.raw)
			}
		})
	}
	if n := len(e.fake.Leads()); n != 0 {
		t.Errorf("%d leads stored by invalid requests", n)
	}
}

func TestRequestErrors(t *testing.T) {
	e := start(t, sandbox.Options{})
	id := e.createLead(map[string]any{"name": "x"})
	tests := []struct {
		name, method, path string
		prep               func(*http.Request)
		want               int
	}{
		{"no trailing slash", "GET", "/lead", nil, http.StatusNotFound},
		{"unknown path", "GET", "/nothing/", nil, http.StatusNotFound},
		{"method", "PATCH", "/lead/" + id + "/", nil, http.StatusMethodNotAllowed},
		{"form body", "POST", "/lead/", func(r *http.Request) { r.Header.Set("Content-Type", "application/x-www-form-urlencoded") }, http.StatusUnsupportedMediaType},
		{"malformed json", "POST", "/lead/", func(r *http.Request) { r.Body, r.ContentLength = http.NoBody, 0 }, http.StatusBadRequest},
		{"contacts in lead PUT", "PUT", "/lead/" + id + "/", nil, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body any
			if tt.method == "POST" || tt.method == "PUT" {
				body = map[string]any{"contacts": []any{}}
			}
			r := e.doWith(tt.method, tt.path, body, func(r *http.Request) {
				r.SetBasicAuth(e.key, "")
				if tt.prep != nil {
					tt.prep(r)
				}
			})
			r.must(t, tt.want)
			if r.body == nil {
				t.Errorf("body %q is not a JSON object", r.raw)
			}
		})
	}
}

func TestWireTypesDecode(t *testing.T) {
	e := start(t, sandbox.Options{})
	source, _ := e.fake.CustomFieldID("lead", "Lead Source")
	id := e.createLead(map[string]any{
		"name": "Acme", "custom." + source: "Fair",
		"contacts": []any{map[string]any{"name": "Ann", "phones": []any{map[string]any{"phone": "650-333-4444"}}}},
	})
	r := e.do("GET", "/lead/"+id+"/", nil)
	r.must(t, http.StatusOK)
	var l Lead
	if err := json.Unmarshal(r.raw, &l); err != nil {
		t.Fatal(err)
	}
	want, _ := e.fake.Lead(id)
	if l.ID != id || l.URL != "" || l.Custom[source] != "Fair" || len(l.Contacts) != 1 ||
		l.Contacts[0].Phones[0].Phone != "+16503334444" || !l.DateUpdated.Equal(want.DateUpdated.Time) {
		t.Errorf("decoded lead %+v", l)
	}
}
