package closumv1

import (
	"encoding/json"
	"net/http"
	"strconv"
	"testing"

	"github.com/crmload/crmload/internal/sandbox"
)

// viewLead reads GET /lead/{id}.
func (c *apiClient) viewLead(id int) leadView {
	c.t.Helper()
	var v leadView
	c.ok(http.StatusOK, http.MethodGet, "/lead/"+strconv.Itoa(id), nil).into(c.t, &v)
	return v
}

func TestEmailPut(t *testing.T) {
	f, c := start(t, sandbox.Options{})
	c.login()
	id := c.create("/lead", []byte(docLeadBody))
	other := c.create("/lead", leadBody("Other", "other@example.com", nil))
	eid := c.viewLead(id).Email.ID
	path := "/email/" + strconv.Itoa(eid)

	// The doc's example body, id included.
	r := c.ok(http.StatusOK, http.MethodPut, path, map[string]any{"id": eid, "email": "update.sylvialhook@closum.com"})
	if string(r.Data) != "[]" {
		t.Errorf("PUT answered data %s, want []", r.Data)
	}
	if got := c.viewLead(id).Email; got.ID != eid || got.Email != "update.sylvialhook@closum.com" {
		t.Errorf("lead shows %+v after the PUT", got)
	}
	if l, _ := f.Lead(other); l.Email != "other@example.com" {
		t.Errorf("another lead changed: %+v", l)
	}
	// id may be left out, or sent as a string.
	c.ok(http.StatusOK, http.MethodPut, path, map[string]any{"email": "third@example.com"})
	c.ok(http.StatusOK, http.MethodPut, path, map[string]any{"id": strconv.Itoa(eid), "email": "fourth@example.com"})
	var e emailItem
	c.ok(http.StatusOK, http.MethodGet, path, nil).into(t, &e)
	if e.Email != "fourth@example.com" {
		t.Errorf("GET %s: %+v", path, e)
	}

	tests := []struct {
		name string
		body any
		want string // error path
	}{
		{"mismatched id", map[string]any{"id": eid + 1, "email": "x@example.com"}, "id"},
		{"invalid address", map[string]any{"email": "x@"}, "email"},
		{"no address", map[string]any{"id": eid}, "email"},
		{"unknown field", map[string]any{"email": "x@example.com", "status": 0}, "status"},
	}
	for _, tt := range tests {
		d := c.failed(http.StatusBadRequest, http.MethodPut, path, tt.body)
		if errAt(d.Errors, tt.want) == nil {
			t.Errorf("%s: errors %v lack %s", tt.name, d.Errors, tt.want)
		}
	}
	c.failed(http.StatusNotFound, http.MethodPut, "/email/999", map[string]any{"email": "x@example.com"})
	if l, _ := f.Lead(id); l.Email != "fourth@example.com" {
		t.Fatalf("failed PUTs changed the email: %+v", l)
	}
}

func TestPhonePut(t *testing.T) {
	f, c := start(t, sandbox.Options{})
	c.login()
	id := c.create("/lead", []byte(docLeadBody))
	pid := c.viewLead(id).Phone.ID
	path := "/phone/" + strconv.Itoa(pid)

	r := c.ok(http.StatusOK, http.MethodPut, path, map[string]any{"id": pid, "extension": "351", "number": "916912468"})
	if string(r.Data) != "[]" {
		t.Errorf("PUT answered data %s", r.Data)
	}
	if p := c.viewLead(id).Phone; *p.Extension != "351" || p.Number != "916912468" {
		t.Errorf("lead shows %+v", p)
	}
	// An extension not sent is kept.
	c.ok(http.StatusOK, http.MethodPut, path, map[string]any{"number": "912345678"})
	if l, _ := f.Lead(id); l.PhoneExtension != "351" || l.PhoneNumber != "912345678" {
		t.Errorf("stored %+v", l)
	}
	var p phoneItem
	c.ok(http.StatusOK, http.MethodGet, path, nil).into(t, &p)
	if p.Number != "912345678" || p.IsValid != 1 {
		t.Errorf("GET %s: %+v", path, p)
	}

	for name, body := range map[string]map[string]any{
		"no number":      {"extension": "1"},
		"bad number":     {"number": "call me"},
		"bad extension":  {"extension": "0044x", "number": "912345678"},
		"mismatched id":  {"id": pid + 5, "number": "912345678"},
		"unknown fields": {"number": "912345678", "is_valid": 0},
	} {
		d := c.failed(http.StatusBadRequest, http.MethodPut, path, body)
		if d.ErrorCount != 1 {
			t.Errorf("%s: %d errors %v", name, d.ErrorCount, d.Errors)
		}
	}
	c.failed(http.StatusNotFound, http.MethodPut, "/phone/999", map[string]any{"number": "912345678"})
	if l, _ := f.Lead(id); l.PhoneNumber != "912345678" {
		t.Fatalf("failed PUTs changed the phone: %+v", l)
	}
}

func TestStandaloneEmailsAndPhones(t *testing.T) {
	f, c := start(t, sandbox.Options{})
	c.login()
	c.create("/lead", []byte(docLeadBody))
	eid := c.create("/email", map[string]any{"email": "sylvialhook@closum.com"})
	pid := c.create("/phone", map[string]any{"number": "517-388-1452"})

	var emails []emailItem
	c.ok(http.StatusOK, http.MethodGet, "/email", nil).into(t, &emails)
	if len(emails) != 2 || emails[1].ID != eid || emails[0].Email != emails[1].Email {
		t.Errorf("emails %+v", emails)
	}
	r := c.ok(http.StatusOK, http.MethodGet, "/phone", nil)
	var phones []json.RawMessage
	r.into(t, &phones)
	if len(phones) != 2 || keysOf(t, phones[0]) != "date_add,extension,id,is_valid,number" {
		t.Fatalf("phones %s", r.Data)
	}
	var p phoneItem
	_ = json.Unmarshal(phones[1], &p)
	if p.ID != pid || p.Extension != nil {
		t.Errorf("standalone phone %+v", p)
	}
	if len(f.Emails()) != 2 || len(f.Phones()) != 2 || len(f.Leads()) != 1 {
		t.Fatal("standalone records made leads, or were lost")
	}
	c.failed(http.StatusNotFound, http.MethodGet, "/email/999", nil)
	c.failed(http.StatusNotFound, http.MethodGet, "/phone/999", nil)
}

func TestContactTypes(t *testing.T) {
	f, c := start(t, sandbox.Options{})
	c.login()
	id := c.create("/contact-type", map[string]any{"label": "Newsletter"})
	if id != 2 {
		t.Fatalf("new contact type id %d, want 2 after the seeded one", id)
	}
	r := c.ok(http.StatusOK, http.MethodGet, "/contact-type/2", nil)
	if got := keysOf(t, r.Data); got != "date_add,id,label" {
		t.Errorf("view keys %s (the example says date_add)", got)
	}
	r = c.ok(http.StatusOK, http.MethodGet, "/contact-type", nil)
	var items []json.RawMessage
	r.into(t, &items)
	if len(items) != 2 || keysOf(t, items[0]) != "creation_date,id,label" {
		t.Fatalf("list %s", r.Data)
	}
	c.ok(http.StatusOK, http.MethodPut, "/contact-type/2", map[string]any{"label": "Newsletter (Updated)"})
	if ts := f.ContactTypes(); ts[1].Label != "Newsletter (Updated)" {
		t.Errorf("contact types %+v", ts)
	}
	c.failed(http.StatusBadRequest, http.MethodPut, "/contact-type/2", map[string]any{"label": ""})
	c.failed(http.StatusNotFound, http.MethodPut, "/contact-type/9", map[string]any{"label": "x"})

	u := c.create("/unqualified-lead", map[string]any{"email": map[string]any{"email": "n@example.com"}, "contact_type_id": id})
	if got, _ := f.UnqualifiedLead(u); got.ContactTypeID != id {
		t.Errorf("unqualified lead %+v", got)
	}
	if added := f.AddContactType("Seeded by a test"); added != 3 {
		t.Errorf("AddContactType gave %d", added)
	}
}

func TestCities(t *testing.T) {
	f, c := start(t, sandbox.Options{})
	c.login()
	r := c.ok(http.StatusOK, http.MethodGet, "/city?sort=city_name", nil)
	var cities []cityItem
	r.into(t, &cities)
	if len(cities) != len(f.Cities()) || cities[0].CityName != "Abrantes" || r.Pagination.Count != len(cities) {
		t.Fatalf("cities %s", r.Raw)
	}
}
