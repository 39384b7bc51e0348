package qlara

import (
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/crmload/crmload/internal/sandbox"
)

// seedN stores n contacts with distinct phones and returns their IDs.
func seedN(t *testing.T, f *Fake, n int) []int64 {
	t.Helper()
	ids := make([]int64, n)
	for i := range n {
		c, err := f.SeedContact(ContactFields{FullName: ptr(fmt.Sprintf("C%04d", i)),
			PhoneNumbers: []string{fmt.Sprintf("+3933300%05d", i)}})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = c.ID
	}
	return ids
}

func TestListMembershipBatch(t *testing.T) {
	f, c := start(t, sandbox.Options{})
	ids := seedN(t, f, 5)
	var l ContactList
	c.call("POST", "/contacts/list", `{"name":"Newsletter VIP","filters":[{"field":"city","operand":"equals","value":"Milano"}]}`, http.StatusCreated, &l)
	if l.ID == 0 || l.Name != "Newsletter VIP" || l.NumContact != 0 || len(l.Filters) != 1 {
		t.Fatalf("created list %+v", l)
	}

	var created []int64
	c.call("POST", "/contacts/list/contacts", AssociationRequest{ListIDs: []int64{l.ID}, ContactIDs: ids[:3]}, http.StatusCreated, &created)
	if len(created) != 3 {
		t.Fatalf("first batch created %v, want 3 associations", created)
	}
	// Existing memberships are kept and not reported again.
	c.call("POST", "/contacts/list/contacts", AssociationRequest{ListIDs: []int64{l.ID}, ContactIDs: ids}, http.StatusCreated, &created)
	if len(created) != 2 {
		t.Fatalf("second batch created %v, want 2 associations", created)
	}
	if n := f.ListAddCalls(); n != 2 {
		t.Errorf("ListAddCalls() = %d, want 2", n)
	}
	if got := f.ListMembers(l.ID); fmt.Sprint(got) != fmt.Sprint(ids) {
		t.Errorf("members %v, want %v", got, ids)
	}
	var got ContactList
	c.call("GET", fmt.Sprintf("/contacts/list/%d", l.ID), nil, http.StatusOK, &got)
	if got.NumContact != 5 {
		t.Errorf("numContact %d, want 5", got.NumContact)
	}
	var ct Contact
	c.call("GET", fmt.Sprintf("/contacts/%d", ids[4]), nil, http.StatusOK, &ct)
	if fmt.Sprint(ct.ListIDs) != fmt.Sprint([]int64{l.ID}) {
		t.Errorf("contact listIds %v, want [%d]", ct.ListIDs, l.ID)
	}
	var members []Contact
	c.call("GET", fmt.Sprintf("/contacts/list/%d/contacts?limit=3&page=1", l.ID), nil, http.StatusOK, &members)
	if len(members) != 2 || members[0].ID != ids[3] {
		t.Errorf("second page of list contacts: %d contacts", len(members))
	}
	var filtered []Contact
	c.call("GET", fmt.Sprintf("/contacts?listIds=%d&phoneNumber=%%2B393330000004", l.ID), nil, http.StatusOK, &filtered)
	if len(filtered) != 1 || filtered[0].ID != ids[4] {
		t.Errorf("listIds+phoneNumber filter: %v", filtered)
	}
	c.call("GET", fmt.Sprintf("/contacts?notListIds=%d", l.ID), nil, http.StatusOK, &filtered)
	if len(filtered) != 0 {
		t.Errorf("notListIds filter: %d contacts, want 0", len(filtered))
	}
}

func TestListAddRejects(t *testing.T) {
	f, c := start(t, sandbox.Options{})
	ids := seedN(t, f, 3)
	var l, gone ContactList
	c.call("POST", "/contacts/list", `{"name":"A"}`, http.StatusCreated, &l)
	c.call("POST", "/contacts/list", `{"name":"B"}`, http.StatusCreated, &gone)
	c.call("DELETE", fmt.Sprintf("/contacts/list?ids=%d", gone.ID), nil, http.StatusOK, nil)
	tooMany := make([]int64, maxBatchContacts+1)
	for i := range tooMany {
		tooMany[i] = ids[i%3]
	}
	tests := []struct {
		name string
		body any
	}{
		{"empty listIds", AssociationRequest{ContactIDs: ids}},
		{"no contactIds", AssociationRequest{ListIDs: []int64{l.ID}}},
		{"unknown list", AssociationRequest{ListIDs: []int64{l.ID, 9999}, ContactIDs: ids}},
		{"deleted list", AssociationRequest{ListIDs: []int64{gone.ID}, ContactIDs: ids}},
		{"unknown contact", AssociationRequest{ListIDs: []int64{l.ID}, ContactIDs: []int64{ids[0], 42}}},
		{"over the batch limit", AssociationRequest{ListIDs: []int64{l.ID}, ContactIDs: tooMany}},
		{"unknown key", `{"listIds":[1],"contacts":[1]}`},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if status, _, body := c.do("POST", "/contacts/list/contacts", tt.body); status != http.StatusBadRequest {
				t.Fatalf("status %d %s, want 400", status, body)
			}
			if m := f.ListMembers(l.ID); len(m) != 0 {
				t.Errorf("members after a refused call: %v", m)
			}
			if n := f.ListAddCalls(); n != i+1 {
				t.Errorf("ListAddCalls() = %d, want %d", n, i+1)
			}
		})
	}
	// allContacts adds everyone but the excluded, without a batch limit.
	var created []int64
	c.call("POST", "/contacts/list/contacts", AssociationRequest{ListIDs: []int64{l.ID}, AllContacts: true, ExcludeIDsAllContacts: ids[:1]}, http.StatusCreated, &created)
	if got := f.ListMembers(l.ID); fmt.Sprint(got) != fmt.Sprint(ids[1:]) {
		t.Errorf("allContacts members %v, want %v", got, ids[1:])
	}
}

func TestListLifecycle(t *testing.T) {
	f, c := start(t, sandbox.Options{})
	ids := seedN(t, f, 2)
	var a, b ContactList
	c.call("POST", "/contacts/list", `{"name":"beta","isTest":true}`, http.StatusCreated, &a)
	c.call("POST", "/contacts/list", `{"name":"Alpha","description":"d"}`, http.StatusCreated, &b)
	c.call("POST", "/contacts/list", `{"description":"no name"}`, http.StatusBadRequest, nil)
	c.call("PUT", fmt.Sprintf("/contacts/list/%d", b.ID), `{"name":"Alpha 2"}`, http.StatusOK, &b)
	if b.Name != "Alpha 2" || str(b.Description) != "d" {
		t.Errorf("updated list %+v", b)
	}
	var created []int64
	c.call("POST", "/contacts/list/contacts", AssociationRequest{ListIDs: []int64{a.ID, b.ID}, ContactIDs: ids}, http.StatusCreated, &created)

	var found []ContactList
	c.call("GET", "/contacts/list", nil, http.StatusOK, &found)
	if len(found) != 2 || found[0].ID != b.ID {
		t.Errorf("lists by name: %+v", found)
	}
	c.call("GET", "/contacts/list?isTest=true", nil, http.StatusOK, &found)
	if len(found) != 1 || found[0].ID != a.ID {
		t.Errorf("isTest lists: %+v", found)
	}
	// Remove one contact from both lists, then one association by ID.
	c.call("DELETE", "/contacts/list/contacts", AssociationRequest{ListIDs: []int64{a.ID, b.ID}, ContactIDs: ids[:1]}, http.StatusOK, nil)
	if m := f.ListMembers(b.ID); fmt.Sprint(m) != fmt.Sprint(ids[1:]) {
		t.Errorf("members of b after removal %v", m)
	}
	c.call("DELETE", fmt.Sprintf("/contacts/list/contacts/%d", created[len(created)-1]), nil, http.StatusOK, nil)
	c.call("DELETE", fmt.Sprintf("/contacts/list/contacts/%d", created[len(created)-1]), nil, http.StatusNotFound, nil)
	if m := f.ListMembers(b.ID); len(m) != 0 {
		t.Errorf("members of b after deleting the association %v", m)
	}

	c.call("DELETE", fmt.Sprintf("/contacts/list?ids=%d", a.ID), nil, http.StatusOK, nil)
	c.call("GET", "/contacts/list", nil, http.StatusOK, &found)
	if len(found) != 1 || found[0].ID != b.ID {
		t.Errorf("lists after delete: %+v", found)
	}
	c.call("GET", "/contacts/list?includeDeleted=true", nil, http.StatusOK, &found)
	if !slices.ContainsFunc(found, func(l ContactList) bool { return l.ID == a.ID && l.IsDeleted }) {
		t.Errorf("deleted list missing from includeDeleted: %+v", found)
	}
	c.call("GET", fmt.Sprintf("/contacts/list/%d/contacts", a.ID), nil, http.StatusNotFound, nil)
	c.call("GET", "/contacts/list/7", nil, http.StatusNotFound, nil)
	c.call("PUT", "/contacts/list/7", `{"name":"x"}`, http.StatusNotFound, nil)
	if m := f.ListMembers(a.ID); len(m) != 0 {
		t.Errorf("deleted list keeps members %v", m)
	}
}
