package closum

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"testing"

	"github.com/crmload/crmload/internal/sandbox"
)

func TestLeadEdit(t *testing.T) {
	f, c := start(t, sandbox.Options{})
	id := c.addLead(leadBody("edit@example.com", map[string]any{"tags": []string{"old"}, "custom_fields": map[string]any{"lead_source": "web"}}))
	path := "/lead/edit/" + strconv.Itoa(id)

	var ids []leadIDRef
	c.ok(http.MethodPut, path, nil, map[string]any{
		"name": "Ana Edited", "mobile_number": "910000001", "consent_sms": true, "tags": []string{"new"},
		"birth_date": "1985-12-31", "contact_lifecycle_stage_id": 7, "sales_sequence_id": "12", "user_id": 3,
		"email": "EDIT@example.com", // the same address: allowed
	}).data(t, &ids)
	if len(ids) != 1 || ids[0].LeadID != id {
		t.Fatalf("lead/edit answered %+v", ids)
	}
	l, _ := f.Lead(id)
	want := Lead{Name: "Ana Edited", Email: "edit@example.com", Mobile: "910000001", BirthDate: "1985-12-31",
		ConsentEmail: true, ConsentSMS: true, Stage: 7, UserID: 3, SalesSequenceID: 12}
	if l.Name != want.Name || l.Email != want.Email || l.Mobile != want.Mobile || l.BirthDate != want.BirthDate ||
		l.ConsentEmail != want.ConsentEmail || l.ConsentSMS != want.ConsentSMS || l.Stage != want.Stage ||
		l.UserID != want.UserID || l.SalesSequenceID != want.SalesSequenceID {
		t.Fatalf("after edit %+v", l)
	}
	if !slices.Equal(l.Tags, []string{"old", "new"}) {
		t.Errorf("tags %q: edit adds tags", l.Tags)
	}

	// Refusals leave the lead as it was.
	c.refused(http.MethodPut, path, nil, map[string]any{"email": "other@example.com", "name": "X"}, "You are not allowed to change a lead email.")
	c.refused(http.MethodPut, path, nil, map[string]any{"contact_lifecycle_stage_id": 12}, stageMsg)
	c.refused(http.MethodPut, path, nil, map[string]any{"birth_date": "31-12-1985"}, "birth_date")
	c.refused(http.MethodPut, path, nil, map[string]any{"consent_email": "no"}, "consent_email must be a boolean")
	c.refused(http.MethodPut, path, nil, map[string]any{"user_id": 0}, "user_id")
	c.refused(http.MethodPut, "/lead/edit/999", nil, map[string]any{"name": "X"}, "Lead not found")
	c.refused(http.MethodPut, "/lead/edit/abc", nil, map[string]any{"name": "X"}, "Lead not found")
	if l2, _ := f.Lead(id); !sameLead(l, l2) {
		t.Fatalf("a refused edit changed the lead: %+v → %+v", l, l2)
	}

	// custom_fields is not a Lead Edit field: ignored.
	c.ok(http.MethodPut, path, nil, map[string]any{"custom_fields": map[string]any{"lead_source": "changed"}})
	if l3, _ := f.Lead(id); l3.CustomFields["lead_source"] != "web" {
		t.Errorf("lead/edit applied custom_fields: %+v", l3.CustomFields)
	}
}

func TestLeadEditByEmail(t *testing.T) {
	f, c := start(t, sandbox.Options{})
	id := c.addLead(leadBody("byemail@example.com", nil))
	var ids []leadIDRef
	c.ok(http.MethodPut, "/lead/edit-by-email", nil, map[string]any{"email": "ByEmail@Example.com", "name": "Found", "contact_lifecycle_stage_id": 2}).data(t, &ids)
	if l, _ := f.Lead(id); len(ids) != 1 || ids[0].LeadID != id || l.Name != "Found" || l.Stage != 2 || l.Email != "byemail@example.com" {
		t.Fatalf("answer %+v, lead %+v", ids, l)
	}
	c.refused(http.MethodPut, "/lead/edit-by-email", nil, map[string]any{"name": "x"}, "email is required")
	c.refused(http.MethodPut, "/lead/edit-by-email", nil, map[string]any{"email": "nobody@example.com", "name": "x"}, "Lead not found")
	c.refused(http.MethodPut, "/lead/edit-by-email", nil, map[string]any{"email": "byemail@example.com", "birth_date": "2001-13-01"}, "birth_date")
}

func TestLeadDelete(t *testing.T) {
	f, c := start(t, sandbox.Options{})
	id := c.addLead(leadBody("gone@example.com", nil))
	c.ok(http.MethodDelete, "/lead/delete/"+strconv.Itoa(id), nil, nil)
	c.refused(http.MethodGet, "/lead/view/"+strconv.Itoa(id), nil, nil, "Lead not found")
	c.refused(http.MethodDelete, "/lead/delete/"+strconv.Itoa(id), nil, nil, "Lead not found")
	if len(f.Leads()) != 0 || len(f.Contacts()) != 1 {
		t.Fatalf("lead delete: %d leads, %d contacts; want 0 and 1 (the contact stays)", len(f.Leads()), len(f.Contacts()))
	}
}

func TestLeadPaging(t *testing.T) {
	f, c := start(t, sandbox.Options{})
	const n = 45
	for i := range n {
		c.addLead(leadBody("p"+strconv.Itoa(i)+"@example.com", map[string]any{"contact_lifecycle_stage_id": 1 + i%3}))
	}
	list := func(q url.Values) leadList {
		var l leadList
		c.ok(http.MethodGet, "/lead/", q, nil).data(t, &l)
		return l
	}

	var seen []int
	for page := 1; ; page++ {
		l := list(url.Values{"limit": {"10"}, "page": {strconv.Itoa(page)}})
		p := l.Paginator
		if p.Page != page || p.Count != n || p.PerPage != 10 || p.PageCount != 5 || p.Current != len(l.Leads) ||
			p.PrevPage != (page > 1) || p.Limit == nil || *p.Limit != 10 || p.Finder != "all" || p.Sort != "creation_date" || p.Direction != "DESC" {
			t.Fatalf("page %d paginator %+v", page, p)
		}
		for _, it := range l.Leads {
			seen = append(seen, it.ID)
		}
		if !p.NextPage {
			break
		}
		if page > 5 {
			t.Fatal("nextPage never false")
		}
	}
	var want []int
	for _, l := range f.Leads() {
		want = append([]int{l.ID}, want...) // newest first
	}
	if !slices.Equal(seen, want) {
		t.Fatalf("paged ids %v, want every lead once, newest first %v", seen, want)
	}

	// An exact multiple of the limit: the last page is full and has no next.
	if p := list(url.Values{"limit": {"9"}, "page": {"5"}}).Paginator; p.NextPage || p.Current != 9 || p.PageCount != 5 || !p.PrevPage {
		t.Errorf("last full page: %+v", p)
	}

	r := c.call(http.MethodGet, "/lead/", url.Values{"limit": {"10"}, "page": {"6"}}, nil)
	if r.HTTP != http.StatusNotFound || r.Status || r.Code != 404 {
		t.Errorf("page past the end: HTTP %d %s", r.HTTP, r.Raw)
	}

	for _, tt := range []struct {
		q         url.Values
		perPage   int
		limitNull bool
	}{
		{url.Values{}, 20, true},
		{url.Values{"limit": {""}, "page": {""}}, 1, false}, // as the collection's URLs: the examples show perPage 1
		{url.Values{"limit": {"1000"}}, 100, false},
		{url.Values{"limit": {"20"}}, 20, true},
		{url.Values{"limit": {"abc"}, "page": {"-2"}}, 1, false},
	} {
		p := list(tt.q).Paginator
		if p.PerPage != tt.perPage || (p.Limit == nil) != tt.limitNull || p.Page != 1 {
			t.Errorf("%v: perPage %d limit %v page %d", tt.q, p.PerPage, p.Limit, p.Page)
		}
	}

	if l := list(url.Values{"email": {"P7@example.com"}}); len(l.Leads) != 1 || l.Leads[0].Email.Email != "p7@example.com" || l.Paginator.Count != 1 {
		t.Errorf("email filter: %+v", l)
	}
	if l := list(url.Values{"contact_lifecycle_stage_id[]": {"2", "3"}, "limit": {"100"}}); l.Paginator.Count != 30 {
		t.Errorf("stage filter count %d, want 30", l.Paginator.Count)
	}
	if l := list(url.Values{"contact_lifecycle_stage_id": {"1"}}); l.Paginator.Count != 15 {
		t.Errorf("stage filter count %d, want 15", l.Paginator.Count)
	}
	if l := list(url.Values{"name": {"nobody"}}); l.Paginator.Count != 0 || l.Paginator.PageCount != 1 || len(l.Leads) != 0 {
		t.Errorf("empty result %+v", l)
	}
}
