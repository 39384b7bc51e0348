package closum

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"testing"

	"github.com/crmload/crmload/internal/sandbox"
)

func TestLeadAddAndView(t *testing.T) {
	f, c := start(t, sandbox.Options{})
	id := c.addLead(map[string]any{
		"name": "Pedro Closum", "email": "Pedro@Example.com", "mobile_number": "+351910000000",
		"consent_email": "1", "consent_sms": 0, "contact_lifecycle_stage_id": "3",
		"tags": []string{"b2b", "Fair 2025", "B2B"}, "birth_date": "1990-05-15",
		"custom_fields": map[string]any{"lead_source": "Trade fair", "favourite_colour": "green"},
		"custom_data":   `{"origin":"import"}`,
	})

	v := c.viewLead(id)
	if v.ID != id || *v.Name != "Pedro Closum" || v.Email.Email != "Pedro@Example.com" || v.Phone.Number != "+351910000000" {
		t.Errorf("lead_data %+v", v)
	}
	if v.ContactLifecycleStageID != 3 || !v.LeadOptIn.Email || v.LeadOptIn.SMS || v.CustomData != `{"origin":"import"}` {
		t.Errorf("stage/opt-in/custom_data %+v", v)
	}
	var tags []string
	for _, ct := range v.ContactTag {
		tags = append(tags, ct.Tag.Tag)
	}
	if !slices.Equal(tags, []string{"b2b", "Fair 2025"}) {
		t.Errorf("tags %q, want the two distinct ones", tags)
	}
	got := map[string]string{}
	for _, cf := range v.CustomFields {
		got[cf.Var] = cf.Value
	}
	if got["lead_source"] != "Trade fair" || got["favourite_colour"] != "green" || len(got) != 2 {
		t.Errorf("custom_fields %+v", v.CustomFields)
	}

	l, ok := f.Lead(id)
	if !ok || l.BirthDate != "1990-05-15" || l.CustomFields["lead_source"] != "Trade fair" || l.Stage != 3 {
		t.Errorf("stored %+v", l)
	}

	// By email (any case) and by mobile, with finder.
	for _, tt := range []struct{ key, finder string }{
		{"pedro@example.com", "email"}, {"+351910000000", "mobile"},
	} {
		var d leadViewData
		c.ok(http.MethodGet, "/lead/view/"+url.PathEscape(tt.key), url.Values{"finder": {tt.finder}}, nil).data(t, &d)
		if d.LeadData.ID != id {
			t.Errorf("finder=%s: id %d, want %d", tt.finder, d.LeadData.ID, id)
		}
	}
	c.refused(http.MethodGet, "/lead/view/999", nil, nil, "Lead not found")
	c.refused(http.MethodGet, "/lead/view/x@example.com", url.Values{"finder": {"name"}}, nil, "finder")
}

func TestLeadAddDuplicate(t *testing.T) {
	f, c := start(t, sandbox.Options{})
	id := c.addLead(leadBody("dup@example.com", map[string]any{"tags": []string{"a"}, "custom_fields": map[string]any{"lead_source": "web"}}))

	for _, upd := range []any{nil, false, 0, "0"} {
		body := leadBody("DUP@example.com", map[string]any{"name": "Changed"})
		if upd != nil {
			body["update_enabled"] = upd
		}
		c.refused(http.MethodPost, "/lead/add/", nil, body, "already exists")
	}
	if l, _ := f.Lead(id); l.Name != "Ana Silva" || len(f.Leads()) != 1 {
		t.Fatalf("a refused duplicate changed data: %+v", f.Leads())
	}

	for i, upd := range []any{true, 1, "1"} {
		name := "Updated " + strconv.Itoa(i)
		got := c.addLead(leadBody("dup@EXAMPLE.com", map[string]any{
			"name": name, "update_enabled": upd, "tags": []string{"b"},
			"custom_fields": map[string]any{"favourite_colour": "red"}, "contact_lifecycle_stage_id": 5,
		}))
		if got != id {
			t.Fatalf("update_enabled=%v: lead %d, want %d", upd, got, id)
		}
		l, _ := f.Lead(id)
		if l.Name != name || l.Stage != 5 || !slices.Equal(l.Tags, []string{"a", "b"}) ||
			l.CustomFields["lead_source"] != "web" || l.CustomFields["favourite_colour"] != "red" {
			t.Fatalf("after update_enabled=%v: %+v", upd, l)
		}
	}
	if len(f.Leads()) != 1 || len(f.Contacts()) != 1 {
		t.Fatalf("%d leads, %d contacts, want 1 and 1", len(f.Leads()), len(f.Contacts()))
	}
	c.refused(http.MethodPost, "/lead/add/", nil, leadBody("dup@example.com", map[string]any{"update_enabled": "yes"}), "update_enabled must be a boolean")
}

// A contact without a lead also blocks lead/add unless update_enabled.
func TestLeadAddForExistingContact(t *testing.T) {
	f, c := start(t, sandbox.Options{})
	c.ok(http.MethodPost, "/contact/add", nil, map[string]any{"email": "c@example.com", "consent_email": 1, "consent_sms": 1})
	c.refused(http.MethodPost, "/lead/add/", nil, leadBody("c@example.com", nil), "already exists")
	id := c.addLead(leadBody("c@example.com", map[string]any{"update_enabled": true}))
	l, _ := f.Lead(id)
	if cs := f.Contacts(); len(cs) != 1 || l.ContactID != cs[0].ID || l.Name != "Ana Silva" {
		t.Fatalf("lead %+v, contacts %+v", l, cs)
	}
	// Mobile-only leads are matched by their number.
	c.addLead(map[string]any{"mobile_number": "912345678", "consent_email": 0, "consent_sms": 1})
	c.refused(http.MethodPost, "/lead/add/", nil, map[string]any{"mobile_number": "912345678", "consent_email": 0, "consent_sms": 1}, "mobile number already exists")
}

func TestLeadValidation(t *testing.T) {
	tests := []struct {
		name string
		body map[string]any
		want []string
	}{
		{"no consent_email", map[string]any{"email": "v@example.com", "consent_sms": true}, []string{"consent_email is required"}},
		{"no consents", map[string]any{"email": "v@example.com"}, []string{"consent_email is required", "consent_sms is required"}},
		{"consent as word", leadBody("v@example.com", map[string]any{"consent_email": "true"}), []string{"consent_email must be a boolean"}},
		{"consent 2", leadBody("v@example.com", map[string]any{"consent_sms": 2}), []string{"consent_sms must be a boolean"}},
		{"stage 0", leadBody("v@example.com", map[string]any{"contact_lifecycle_stage_id": 0}), []string{stageMsg}},
		{"stage 10", leadBody("v@example.com", map[string]any{"contact_lifecycle_stage_id": "10"}), []string{stageMsg}},
		{"stage fraction", leadBody("v@example.com", map[string]any{"contact_lifecycle_stage_id": 2.5}), []string{stageMsg}},
		{"stage word", leadBody("v@example.com", map[string]any{"contact_lifecycle_stage_id": "lead"}), []string{stageMsg}},
		{"birth_date no such day", leadBody("v@example.com", map[string]any{"birth_date": "1990-02-30"}), []string{"birth_date must be a valid date in the format Y-m-d"}},
		{"birth_date d/m/Y", leadBody("v@example.com", map[string]any{"birth_date": "15/05/1990"}), []string{"birth_date"}},
		{"birth_date unpadded", leadBody("v@example.com", map[string]any{"birth_date": "1990-5-15"}), []string{"birth_date"}},
		{"birth_date empty", leadBody("v@example.com", map[string]any{"birth_date": ""}), []string{"birth_date"}},
		{"unknown custom var", leadBody("v@example.com", map[string]any{"custom_fields": map[string]any{"shoe_size": "42"}}), []string{`unknown field var "shoe_size"`}},
		{"custom var by label", leadBody("v@example.com", map[string]any{"custom_fields": map[string]any{"Lead Source": "x"}}), []string{`unknown field var "Lead Source"`}},
		{"custom var wrong case", leadBody("v@example.com", map[string]any{"custom_fields": map[string]any{"Lead_Source": "x"}}), []string{"unknown field var"}},
		{"custom_fields not an object", leadBody("v@example.com", map[string]any{"custom_fields": "lead_source=x"}), []string{"custom_fields must be an object"}},
		{"custom value object", leadBody("v@example.com", map[string]any{"custom_fields": map[string]any{"lead_source": map[string]any{}}}), []string{"must be a string or a number"}},
		{"no email nor mobile", map[string]any{"name": "x", "consent_email": 1, "consent_sms": 1}, []string{"Email or Mobile Required"}},
		{"empty email", leadBody("", nil), []string{"Email or Mobile Required"}},
		{"bad email", leadBody("not-an-email", nil), []string{"email must be a valid email address"}},
		{"named email", leadBody("Ana <a@example.com>", nil), []string{"email must be a valid email address"}},
		{"mobile with spaces", leadBody("v@example.com", map[string]any{"mobile_number": "91 234 5678"}), []string{"mobile_number must be a valid mobile number"}},
		{"tags as text", leadBody("v@example.com", map[string]any{"tags": "a,b"}), []string{"tags must be an array"}},
		{"empty tag", leadBody("v@example.com", map[string]any{"tags": []string{"a", " "}}), []string{"tags must be an array"}},
		{"custom_data not JSON", leadBody("v@example.com", map[string]any{"custom_data": "{oops"}), []string{"custom_data must be valid JSON"}},
		{"name not text", leadBody("v@example.com", map[string]any{"name": 12}), []string{"name must be a string"}},
	}
	f, c := start(t, sandbox.Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.refused(http.MethodPost, "/lead/add/", nil, tt.body, tt.want[0])
			for _, w := range tt.want[1:] {
				if !containsErr(r.Errors, w) {
					t.Errorf("errors %q lack %q", r.Errors, w)
				}
			}
		})
	}
	if n := len(f.Leads()) + len(f.Contacts()); n != 0 {
		t.Fatalf("invalid requests stored %d records", n)
	}
}

// Form bodies use PHP's tags[N] and custom_fields[var] keys; a JSON body
// without its Content-Type is not read at all.
func TestLeadAddBodyFormats(t *testing.T) {
	f, c := start(t, sandbox.Options{})
	form := url.Values{"email": {"form@example.com"}, "consent_email": {"1"}, "consent_sms": {"0"},
		"tags[1]": {"one"}, "tags[2]": {"two"}, "custom_fields[lead_source]": {"form"}}
	var ids []leadIDRef
	c.ok(http.MethodPost, "/lead/add/", nil, form).data(t, &ids)
	l, _ := f.Lead(ids[0].LeadID)
	if !slices.Equal(l.Tags, []string{"one", "two"}) || l.CustomFields["lead_source"] != "form" || !l.ConsentEmail || l.ConsentSMS {
		t.Fatalf("form lead %+v", l)
	}

	req := c.request(http.MethodPost, "/lead/add/", nil, leadBody("nolabel@example.com", nil))
	req.Header.Del("Content-Type")
	r := c.do(req)
	if r.Status || !containsErr(r.Errors, "consent_email is required") {
		t.Fatalf("unlabelled JSON body: %s", r.Raw)
	}
}
