package qlara

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/crmload/crmload/internal/sandbox"
)

// exampleBody is the request body of "Create a new contact" in the collection.
func exampleBody(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/create-contact.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCreateContact(t *testing.T) {
	f, c := start(t, sandbox.Options{Now: newClock().Now})
	got := c.create(exampleBody(t))
	if got.ID == 0 || str(got.FullName) != "Mario Rossi" || str(got.CustomField3) != "value3" ||
		fmt.Sprint(got.PhoneNumbers) != "[+393331234567 +390212345678]" ||
		fmt.Sprint(got.Tags) != "[vip newsletter q4-promo]" || str(got.MainEmail) != "mario.rossi@email.com" {
		t.Errorf("created contact %+v", got)
	}
	if got.CreatedAt != "2026-03-10" || got.UpdatedAt != "2026-03-10" || got.FkIDCompany != companyID {
		t.Errorf("server fields: createdAt %q updatedAt %q fkIdCompany %d", got.CreatedAt, got.UpdatedAt, got.FkIDCompany)
	}
	if !got.IsValid || str(got.MobilePhoneNumber) != "+393331234567" {
		t.Errorf("isValid %v mobilePhoneNumber %v, want true, +393331234567", got.IsValid, str(got.MobilePhoneNumber))
	}
	var fetched Contact
	c.call("GET", fmt.Sprintf("/contacts/%d", got.ID), nil, http.StatusOK, &fetched)
	if a, b := mustJSON(t, fetched), mustJSON(t, got); a != b {
		t.Errorf("GET differs from POST answer:\n%s\n%s", a, b)
	}
	stored, ok := f.Contact(got.ID)
	if !ok || mustJSON(t, stored) != mustJSON(t, got) {
		t.Errorf("Contact(%d) = %+v, %v", got.ID, stored, ok)
	}
	// Unset fields are null, as a Java service shows them, and the wrapper
	// carries an empty errors array.
	status, _, raw := c.do("POST", "/contacts", `{"emailAddresses":["x@example.com"]}`)
	if status != http.StatusCreated || !strings.Contains(string(raw), `"firstName":null`) || !strings.Contains(string(raw), `"errors":[]`) {
		t.Errorf("minimal create: %d %s", status, raw)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCreateContactDerivesNames(t *testing.T) {
	_, c := start(t, sandbox.Options{})
	got := c.create(map[string]any{"firstName": "Ada", "lastName": "Lovelace", "mainEmail": "ada@example.com"})
	if str(got.FullName) != "Ada Lovelace" || fmt.Sprint(got.EmailAddresses) != "[ada@example.com]" {
		t.Errorf("fullName %q emailAddresses %v", str(got.FullName), got.EmailAddresses)
	}
	if got.IsValid || got.MobilePhoneNumber != nil {
		t.Errorf("email-only contact: isValid %v mobile %v", got.IsValid, got.MobilePhoneNumber)
	}
}

func TestCreateContactRejects(t *testing.T) {
	tests := []struct {
		name, body string
		want       int
	}{
		{"national phone", `{"phoneNumbers":["3331234567"]}`, 400},
		{"phone with spaces", `{"phoneNumbers":["+39 333 1234567"]}`, 400},
		{"phone with dashes", `{"phoneNumbers":["+1-415-555-2671"]}`, 400},
		{"phone too long", `{"phoneNumbers":["+3933312345678901"]}`, 400},
		{"phone too short", `{"phoneNumbers":["+39333"]}`, 400},
		{"leading zero", `{"phoneNumbers":["+0393331234567"]}`, 400},
		{"unknown country code", `{"phoneNumbers":["+9993331234567"]}`, 400},
		{"letters", `{"phoneNumbers":["+39333ABC4567"]}`, 400},
		{"empty phone", `{"phoneNumbers":[""]}`, 400},
		{"second phone bad", `{"phoneNumbers":["+393331234567","12"]}`, 400},
		{"bad email", `{"emailAddresses":["not-an-email"]}`, 400},
		{"email with name", `{"emailAddresses":["Ada <ada@example.com>"]}`, 400},
		{"bad mainEmail", `{"phoneNumbers":["+393331234567"],"mainEmail":"x@"}`, 400},
		{"no phone or email", `{"firstName":"Ada"}`, 400},
		{"empty lists", `{"phoneNumbers":[],"emailAddresses":[]}`, 400},
		{"unknown field", `{"email":"ada@example.com"}`, 400},
		{"read-only field", `{"id":5,"emailAddresses":["ada@example.com"]}`, 400},
		{"wrong type", `{"phoneNumbers":"+393331234567"}`, 400},
		{"bad birthday", `{"emailAddresses":["ada@example.com"],"birthday":"10/03/2022"}`, 400},
		{"trailing data", `{"emailAddresses":["ada@example.com"]} {}`, 400},
		{"empty body", ``, 400},
		{"null body", `null`, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, c := start(t, sandbox.Options{})
			status, _, body := c.do("POST", "/contacts", tt.body)
			if status != tt.want {
				t.Fatalf("status %d, want %d; body %s", status, tt.want, body)
			}
			var e ErrorBody
			if err := json.Unmarshal(body, &e); err != nil || e.Status != tt.want || e.Message == "" {
				t.Errorf("error body %s (%v)", body, err)
			}
			if n := len(f.Contacts()); n != 0 {
				t.Errorf("%d contacts stored after a refused create", n)
			}
		})
	}
}

func TestDuplicatePhoneConflict(t *testing.T) {
	_, c := start(t, sandbox.Options{})
	a := c.create(map[string]any{"phoneNumbers": []string{"+393331234567"}, "emailAddresses": []string{"same@example.com"}})
	if status, _, body := c.do("POST", "/contacts", map[string]any{"phoneNumbers": []string{"+390212345678", "+393331234567"}}); status != http.StatusConflict {
		t.Fatalf("second contact with the same phone: %d %s, want 409", status, body)
	}
	// Emails are not unique.
	b := c.create(map[string]any{"phoneNumbers": []string{"+390212345678"}, "emailAddresses": []string{"same@example.com"}})
	if status, _, body := c.do("PUT", fmt.Sprintf("/contacts/%d", b.ID), map[string]any{"phoneNumbers": []string{"+393331234567"}}); status != http.StatusConflict {
		t.Fatalf("update to a taken phone: %d %s, want 409", status, body)
	}
	// A contact may keep (and re-send) its own number.
	c.call("PUT", fmt.Sprintf("/contacts/%d", a.ID), map[string]any{"phoneNumbers": []string{"+393331234567", "+393339999999"}}, http.StatusOK, nil)
	// A number freed by an update may be taken by another contact.
	c.call("PUT", fmt.Sprintf("/contacts/%d", a.ID), map[string]any{"phoneNumbers": []string{"+393339999999"}}, http.StatusOK, nil)
	c.call("PUT", fmt.Sprintf("/contacts/%d", b.ID), map[string]any{"phoneNumbers": []string{"+393331234567"}}, http.StatusOK, nil)
}

func TestUpdateContactPartial(t *testing.T) {
	f, c := start(t, sandbox.Options{})
	orig := c.create(exampleBody(t))
	var resp ContactWriteResponse
	c.call("PUT", fmt.Sprintf("/contacts/%d", orig.ID),
		`{"lastName":"Bianchi","firstName":null,"tags":[],"customField2":""}`, http.StatusOK, &resp)
	if len(resp.Contacts) != 1 {
		t.Fatalf("update answer has %d contacts", len(resp.Contacts))
	}
	got, _ := f.Contact(orig.ID)
	want := orig
	want.LastName, want.Tags, want.CustomField2 = ptr("Bianchi"), []string{}, ptr("")
	if mustJSON(t, got) != mustJSON(t, want) {
		t.Errorf("after partial update:\n got %s\nwant %s", mustJSON(t, got), mustJSON(t, want))
	}
	if mustJSON(t, resp.Contacts[0]) != mustJSON(t, got) {
		t.Errorf("update answer differs from the stored contact")
	}
}

func TestContactNotFound(t *testing.T) {
	_, c := start(t, sandbox.Options{})
	tests := []struct {
		method, path, body string
		want               int
	}{
		{"GET", "/contacts/100001", "", http.StatusNotFound},
		{"PUT", "/contacts/100001", `{"lastName":"X"}`, http.StatusNotFound},
		{"GET", "/contacts/abc", "", http.StatusBadRequest},
		{"PUT", "/contacts/-3", `{}`, http.StatusBadRequest},
	}
	for _, tt := range tests {
		if status, _, body := c.do(tt.method, tt.path, tt.body); status != tt.want {
			t.Errorf("%s %s: %d %s, want %d", tt.method, tt.path, status, body, tt.want)
		}
	}
}

func TestFindByEmailAndPhone(t *testing.T) {
	f, c := start(t, sandbox.Options{})
	seed := []ContactFields{
		{FullName: ptr("Zed"), PhoneNumbers: []string{"+393331111111"}, EmailAddresses: []string{"shared@example.com"}},
		{FullName: ptr("Amy"), PhoneNumbers: []string{"+393332222222", "+14155552671"}, EmailAddresses: []string{"amy@example.com", "shared@example.com"}},
		{FullName: ptr("Bob"), EmailAddresses: []string{"Bob@Example.com"}},
	}
	var ids []int64
	for _, s := range seed {
		ct, err := f.SeedContact(s)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, ct.ID)
	}
	tests := []struct {
		name, query string
		want        []int64
	}{
		{"email shared, sorted by fullName", "email=shared@example.com", []int64{ids[1], ids[0]}},
		{"email second address", "email=amy@example.com", []int64{ids[1]}},
		{"email is case-sensitive", "email=bob@example.com", nil},
		{"email exact case", "email=Bob@Example.com", []int64{ids[2]}},
		{"email no partial match", "email=shared", nil},
		{"phone", "phoneNumber=%2B393331111111", []int64{ids[0]}},
		{"phone second number", "phoneNumber=%2B14155552671", []int64{ids[1]}},
		{"phone with raw plus is a space", "phoneNumber=+393331111111", nil},
		{"phone and email disagree", "phoneNumber=%2B393331111111&email=amy@example.com", nil},
		{"email plus id", fmt.Sprintf("email=shared@example.com&id=%d", ids[0]), []int64{ids[0]}},
		{"search, case-insensitive", "search=AMY", []int64{ids[1]}},
		{"search by name", "search=zed", []int64{ids[0]}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []Contact
			c.call("GET", "/contacts?"+tt.query, nil, http.StatusOK, &got)
			if got == nil {
				t.Fatal("answer is null, want an array")
			}
			var gotIDs []int64
			for _, ct := range got {
				gotIDs = append(gotIDs, ct.ID)
			}
			if fmt.Sprint(gotIDs) != fmt.Sprint(tt.want) && !(len(gotIDs) == 0 && len(tt.want) == 0) {
				t.Errorf("ids %v, want %v", gotIDs, tt.want)
			}
		})
	}
}

func TestPaging(t *testing.T) {
	f, c := start(t, sandbox.Options{})
	want := map[int64]bool{}
	for i := range 95 {
		// Few distinct names, so most of the order comes from the ID tie-break.
		ct, err := f.SeedContact(ContactFields{FullName: ptr(fmt.Sprintf("Name %d", i%7)),
			PhoneNumbers: []string{fmt.Sprintf("+1415555%04d", i)}})
		if err != nil {
			t.Fatal(err)
		}
		want[ct.ID] = true
	}
	for _, order := range []string{"asc", "desc"} {
		t.Run(order, func(t *testing.T) {
			var all []Contact
			pages := 0
			for page := 0; ; page++ {
				var got []Contact
				c.call("GET", fmt.Sprintf("/contacts?limit=10&page=%d&sortOrder=%s", page, order), nil, http.StatusOK, &got)
				pages++
				all = append(all, got...)
				if len(got) < 10 {
					break
				}
			}
			if pages != 10 {
				t.Errorf("%d pages, want 10", pages)
			}
			seen := map[int64]bool{}
			for _, ct := range all {
				if seen[ct.ID] {
					t.Errorf("contact %d repeated", ct.ID)
				}
				seen[ct.ID] = true
			}
			if len(seen) != len(want) {
				t.Errorf("%d distinct contacts over all pages, want %d", len(seen), len(want))
			}
			sorted := slices.IsSortedFunc(all, func(a, b Contact) int {
				x := strings.Compare(str(a.FullName), str(b.FullName))
				if x == 0 {
					x = int(a.ID - b.ID)
				}
				if order == "desc" {
					return -x
				}
				return x
			})
			if !sorted {
				t.Error("pages are not in fullName, id order")
			}
		})
	}
}

func TestPagingParams(t *testing.T) {
	_, c := start(t, sandbox.Options{})
	tests := []struct {
		query string
		want  int
	}{
		{"limit=1000", 200},
		{"limit=1001", 400},
		{"limit=0", 400},
		{"limit=-1", 400},
		{"limit=ten", 400},
		{"page=-1", 400},
		{"page=99999", 200},
		{"sortBy=fullName&sortOrder=DESC", 200},
		{"sortBy=shoeSize", 400},
		{"sortOrder=up", 400},
		{"isTest=maybe", 400},
		{"listIds=1,x", 400},
	}
	for _, tt := range tests {
		if status, _, body := c.do("GET", "/contacts?"+tt.query, nil); status != tt.want {
			t.Errorf("GET /contacts?%s: %d %s, want %d", tt.query, status, body, tt.want)
		}
	}
}

func TestDeleteContacts(t *testing.T) {
	f, c := start(t, sandbox.Options{})
	a := c.create(map[string]any{"phoneNumbers": []string{"+393331234567"}})
	b := c.create(map[string]any{"phoneNumbers": []string{"+393331234568"}})
	c.call("DELETE", "/contacts", nil, http.StatusBadRequest, nil)
	c.call("DELETE", "/contacts?ids="+url.QueryEscape(fmt.Sprint(a.ID)), nil, http.StatusOK, nil)
	if _, ok := f.Contact(a.ID); ok {
		t.Error("deleted contact still there")
	}
	if _, ok := f.Contact(b.ID); !ok {
		t.Error("other contact deleted")
	}
	// Its number is free again.
	c.create(map[string]any{"phoneNumbers": []string{"+393331234567"}})
}

func TestConcurrentCreates(t *testing.T) {
	f, c := start(t, sandbox.Options{})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 25 {
				// Not c.do: it may call t.Fatal, which only the test goroutine may.
				body := fmt.Sprintf(`{"phoneNumbers":["+1415555%02d%02d"]}`, g, i)
				req, _ := http.NewRequest("POST", c.base+"/contacts", strings.NewReader(body))
				req.Header.Set("X-API-Key", c.key)
				resp, err := c.hc.Do(req)
				if err != nil {
					t.Errorf("create: %v", err)
					continue
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusCreated {
					t.Errorf("create: status %d", resp.StatusCode)
				}
			}
		})
	}
	wg.Wait()
	all := f.Contacts()
	if len(all) != 200 {
		t.Fatalf("%d contacts, want 200", len(all))
	}
	for i := 1; i < len(all); i++ {
		if all[i].ID == all[i-1].ID {
			t.Fatalf("duplicate ID %d", all[i].ID)
		}
	}
}
