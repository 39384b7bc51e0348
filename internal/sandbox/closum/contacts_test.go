package closum

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"testing"

	"github.com/crmload/crmload/internal/sandbox"
)

func (c *apiClient) addContact(body map[string]any) string {
	c.t.Helper()
	var ids []contactIDRef
	c.ok(http.MethodPost, "/contact/add", nil, body).data(c.t, &ids)
	if len(ids) != 1 || len(ids[0].ContactID) != 36 {
		c.t.Fatalf("contact/add answered %+v", ids)
	}
	return ids[0].ContactID
}

func (c *apiClient) viewContact(id string) contactView {
	c.t.Helper()
	var v contactViewData
	c.ok(http.MethodGet, "/contact/view/"+id, nil, nil).data(c.t, &v)
	return v.ContactData
}

func TestContactAddEditView(t *testing.T) {
	f, c := start(t, sandbox.Options{})
	id := c.addContact(map[string]any{
		"name": "John Doe", "email": "john@example.com", "mobile_number": "351910000000",
		"consent_email": 1, "consent_sms": 0, "tags": []string{"Tag 1", "Tag 2"}, "birth_date": "1980-01-02",
		"custom_fields": map[string]any{"company_name": "Closum"},
	})
	v := c.viewContact(id)
	if v.ID != id || *v.Name != "John Doe" || *v.Email != "john@example.com" || *v.MobileNumber != "351910000000" ||
		*v.BirthDate != "1980-01-02" || !v.ConsentEmail || v.ConsentSMS || v.EmailStatusID != 1 || len(v.ContactTag) != 2 ||
		v.ContactTag[1].ContactID != id || v.ContactTag[1].Tag.Tag != "Tag 2" {
		t.Fatalf("contact_data %+v", v)
	}
	if cs := f.Contacts(); len(cs) != 1 || cs[0].CustomFields["company_name"] != "Closum" {
		t.Fatalf("stored %+v", cs)
	}
	// The documented optional finder: view by email (any case) or mobile.
	for _, tt := range []struct{ key, finder string }{{"JOHN@example.com", "email"}, {"351910000000", "mobile"}} {
		var d contactViewData
		c.ok(http.MethodGet, "/contact/view/"+url.PathEscape(tt.key), url.Values{"finder": {tt.finder}}, nil).data(t, &d)
		if d.ContactData.ID != id {
			t.Errorf("finder=%s: id %q, want %q", tt.finder, d.ContactData.ID, id)
		}
	}

	c.refused(http.MethodPost, "/contact/add", nil, map[string]any{"email": "JOHN@example.com", "consent_email": 1, "consent_sms": 1}, "already exists")
	c.refused(http.MethodPost, "/contact/add", nil, map[string]any{"email": "x@example.com"}, "consent_email is required")
	c.refused(http.MethodPost, "/contact/add", nil, map[string]any{"email": "x@example.com", "consent_email": 1, "consent_sms": 1,
		"custom_fields": map[string]any{"nope": 1}}, "unknown field var")

	// The contact's email may change; not to another contact's.
	other := c.addContact(map[string]any{"email": "jane@example.com", "consent_email": 0, "consent_sms": 0})
	var ids []contactIDRef
	c.ok(http.MethodPut, "/contact/edit/"+id, nil, map[string]any{"name": "Johnny", "email": "johnny@example.com", "consent_sms": "1"}).data(t, &ids)
	if len(ids) != 1 || ids[0].ContactID != id {
		t.Fatalf("contact/edit answered %+v", ids)
	}
	if v := c.viewContact(id); *v.Name != "Johnny" || *v.Email != "johnny@example.com" || !v.ConsentSMS || *v.MobileNumber != "351910000000" {
		t.Fatalf("after edit %+v", v)
	}
	c.refused(http.MethodPut, "/contact/edit/"+other, nil, map[string]any{"email": "Johnny@example.com"}, "already exists")
	c.refused(http.MethodPut, "/contact/edit/"+other, nil, map[string]any{"mobile_number": "12"}, "mobile_number")
	c.refused(http.MethodPut, "/contact/edit/no-such-id", nil, map[string]any{"name": "x"}, "Contact not found")
	c.refused(http.MethodGet, "/contact/view/no-such-id", nil, nil, "Contact not found")
	// The old address is free again; the new one finds the contact.
	c.addContact(map[string]any{"email": "john@example.com", "consent_email": 1, "consent_sms": 1})
	c.refused(http.MethodPost, "/lead/add/", nil, leadBody("johnny@example.com", nil), "already exists")
}

func TestContactDeleteTakesLead(t *testing.T) {
	f, c := start(t, sandbox.Options{})
	id := c.addLead(leadBody("both@example.com", nil))
	l, _ := f.Lead(id)
	c.ok(http.MethodDelete, "/contact/delete/"+l.ContactID, nil, nil)
	if len(f.Leads()) != 0 || len(f.Contacts()) != 0 {
		t.Fatalf("%d leads, %d contacts after contact delete", len(f.Leads()), len(f.Contacts()))
	}
	c.addLead(leadBody("both@example.com", nil)) // the email is free again
}

func TestContactList(t *testing.T) {
	_, c := start(t, sandbox.Options{})
	want := map[string]bool{}
	for i := range 7 {
		want[c.addContact(map[string]any{"email": "c" + strconv.Itoa(i) + "@example.com", "consent_email": 1, "consent_sms": 0})] = true
	}
	c.addLead(leadBody("lead@example.com", nil)) // a lead's contact is listed too
	seen := map[string]bool{}
	var first contactItem
	for page := 1; page <= 3; page++ {
		var l contactList
		c.ok(http.MethodGet, "/contact/list", url.Values{"limit": {"3"}, "page": {strconv.Itoa(page)}}, nil).data(t, &l)
		if l.Paginator.Count != 8 || l.Paginator.PageCount != 3 || l.Paginator.NextPage != (page < 3) {
			t.Fatalf("page %d paginator %+v", page, l.Paginator)
		}
		if page == 1 {
			first = l.Contacts[0]
		}
		for _, it := range l.Contacts {
			if seen[it.ID] {
				t.Fatalf("contact %s listed twice", it.ID)
			}
			seen[it.ID] = true
		}
	}
	if len(seen) != 8 || *first.Email != "lead@example.com" {
		t.Fatalf("listed %d contacts, first %+v; want 8, newest first", len(seen), first)
	}
	for id := range want {
		if !seen[id] {
			t.Errorf("contact %s never listed", id)
		}
	}
}

func TestFields(t *testing.T) {
	f, c := start(t, sandbox.Options{})
	id := f.AddField("Shoe Size", "shoe_size")
	var fl fieldList
	c.ok(http.MethodGet, "/field/", nil, nil).data(t, &fl)
	var vars []string
	for _, it := range fl.Fields {
		vars = append(vars, it.Var)
		if it.Var == "shoe_size" && (it.ID != id || it.Label != "Shoe Size") {
			t.Errorf("added field listed as %+v", it)
		}
	}
	if !slices.Equal(vars, []string{"lead_source", "favourite_colour", "company_name", "shoe_size"}) {
		t.Fatalf("field vars %q", vars)
	}
	lid := c.addLead(leadBody("shoe@example.com", map[string]any{"custom_fields": map[string]any{"shoe_size": 44}}))
	if l, _ := f.Lead(lid); l.CustomFields["shoe_size"] != "44" {
		t.Fatalf("custom field via added var: %+v", l.CustomFields)
	}
	if again := f.AddField("Shoe size (EU)", "shoe_size"); again != id || len(f.Fields()) != 4 {
		t.Fatalf("re-adding a var: id %s, %d fields", again, len(f.Fields()))
	}
}

func TestTags(t *testing.T) {
	f, c := start(t, sandbox.Options{})
	var tid []tagIDRef
	c.ok(http.MethodPost, "/tag/add/", nil, map[string]any{"tag": "tag_exemplo"}).data(t, &tid)
	c.refused(http.MethodPost, "/tag/add/", nil, map[string]any{"tag": "TAG_exemplo"}, "Tag already exists")
	c.refused(http.MethodPost, "/tag/add/", nil, map[string]any{}, "tag is required")

	lid := c.addLead(leadBody("tagged@example.com", map[string]any{"tags": []string{"Tag_Exemplo", "vip"}}))
	var tl tagList
	c.ok(http.MethodGet, "/tag/", nil, nil).data(t, &tl)
	if len(tl.Tags) != 2 || tl.Tags[0].Tag != "vip" || tl.Tags[1].ID != tid[0].TagID {
		t.Fatalf("tags %+v (want vip, then the existing tag reused)", tl.Tags)
	}

	c.ok(http.MethodPost, "/contact-tag/add-tag-by-email/", nil, map[string]any{"email": "TAGGED@example.com", "tag": []string{"b2b"}})
	c.ok(http.MethodPost, "/contact-tag/add-lead-tag/"+strconv.Itoa(lid), nil, map[string]any{"tag": []string{"hot"}})
	c.refused(http.MethodPost, "/contact-tag/add-tag-by-email/", nil, map[string]any{"email": "none@example.com", "tag": []string{"x"}}, "Contact not found")
	c.refused(http.MethodPost, "/contact-tag/add-lead-tag/999", nil, map[string]any{"tag": []string{"x"}}, "Lead not found")
	c.refused(http.MethodPost, "/contact-tag/add-tag-by-email/", nil, map[string]any{"email": "tagged@example.com"}, "tag is required")
	if l, _ := f.Lead(lid); !slices.Equal(l.Tags, []string{"tag_exemplo", "vip", "b2b", "hot"}) {
		t.Fatalf("lead tags %q", l.Tags)
	}

	var ctl contactTagList
	c.ok(http.MethodGet, "/contact-tag", url.Values{"tag": {"vip"}}, nil).data(t, &ctl)
	if len(ctl.ContactTags) != 1 || ctl.ContactTags[0].Tag.Tag != "vip" || ctl.Paginator.Count != 1 {
		t.Fatalf("contact-tag?tag=vip %+v", ctl)
	}

	c.ok(http.MethodDelete, "/contact-tag/remove-tag-by-email/", nil, map[string]any{"email": "tagged@example.com", "tag": []string{"VIP"}})
	c.refused(http.MethodDelete, "/contact-tag/remove-tag-by-email/", nil, map[string]any{"email": "tagged@example.com", "tag": []string{"never"}}, "Tag not found")
	c.ok(http.MethodDelete, "/tag/delete/hot", nil, nil)
	c.ok(http.MethodDelete, "/tag/delete/"+strconv.Itoa(tid[0].TagID), nil, nil)
	c.refused(http.MethodDelete, "/tag/delete/hot", nil, nil, "Tag not found")
	if l, _ := f.Lead(lid); !slices.Equal(l.Tags, []string{"b2b"}) {
		t.Fatalf("lead tags after removals %q", l.Tags)
	}
}
