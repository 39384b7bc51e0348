package closumv1

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/sandbox"
)

func TestCreateGetLead(t *testing.T) {
	clk := newClock()
	f, c := start(t, sandbox.Options{Now: clk.Now})
	c.login()
	r := c.ok(http.StatusCreated, http.MethodPost, "/lead", []byte(docLeadBody))
	if string(r.Data) != `{"id":1}` {
		t.Fatalf("create answered %s, want {\"id\":1}", r.Data)
	}

	r = c.ok(http.StatusOK, http.MethodGet, "/lead/1", nil)
	if got := keysOf(t, r.Data); got != "city_id,creation_date,custom_data,email,id,lead_opt_in,name,phone" {
		t.Errorf("lead view keys %s", got)
	}
	var v leadView
	r.into(t, &v)
	if v.ID != 1 || v.Name == nil || *v.Name != "Sylvia L. Hook" || v.CityID != nil || v.CustomData != nil {
		t.Errorf("lead view %+v", v)
	}
	if v.CreationDate != "2025-03-01T09:00:00+00:00" {
		t.Errorf("creation_date %q", v.CreationDate)
	}
	if v.Email == nil || v.Email.Email != "sylvialhook@closum.com" || v.Email.ID <= 0 {
		t.Errorf("email %+v", v.Email)
	}
	if v.Phone == nil || v.Phone.Number != "517-388-1452" || v.Phone.Extension == nil || *v.Phone.Extension != "001" || v.Phone.ID <= 0 {
		t.Errorf("phone %+v", v.Phone)
	}
	o := v.LeadOptIn
	if o == nil || !o.SMS || !o.Email || o.LeadID != 1 || o.Enviroment == nil {
		t.Fatalf("lead_opt_in %+v", o)
	}
	var env map[string]string
	if err := json.Unmarshal([]byte(*o.Enviroment), &env); err != nil || env["REMOTE_PORT"] != "1364" || len(env) != 8 {
		t.Errorf("enviroment %s (%v)", *o.Enviroment, err)
	}

	// The email and phone are records of their own.
	var e emailItem
	c.ok(http.StatusOK, http.MethodGet, "/email/"+strconv.Itoa(v.Email.ID), nil).into(t, &e)
	if e.Email != "sylvialhook@closum.com" || e.Status != 1 {
		t.Errorf("email record %+v", e)
	}
	var p phoneItem
	c.ok(http.StatusOK, http.MethodGet, "/phone/"+strconv.Itoa(v.Phone.ID), nil).into(t, &p)
	if p.Number != "517-388-1452" || p.IsValid != 1 {
		t.Errorf("phone record %+v", p)
	}

	// The list item has the list example's fields: no ids inside.
	r = c.ok(http.StatusOK, http.MethodGet, "/lead", nil)
	var items []json.RawMessage
	r.into(t, &items)
	if len(items) != 1 {
		t.Fatalf("list has %d items", len(items))
	}
	if got := keysOf(t, items[0]); got != "city_id,creation_date,custom_data,email,id,name,phone" {
		t.Errorf("list item keys %s", got)
	}
	var it leadItem
	_ = json.Unmarshal(items[0], &it)
	if got := keysOf(t, mustMarshal(t, it.Phone)); got != "extension,number" {
		t.Errorf("list phone keys %s", got)
	}

	// A lead with only a phone, a city and custom data.
	id := c.create("/lead", map[string]any{"phone": map[string]any{"number": "916912468"}, "city_id": 213,
		"custom_data": `{"source":"fair"}`})
	l, ok := f.Lead(id)
	if !ok || l.Email != "" || l.EmailID != 0 || l.PhoneNumber != "916912468" || l.PhoneExtension != "" ||
		l.CityID != 213 || l.CustomData != `{"source":"fair"}` || l.OptIn != nil {
		t.Fatalf("stored %+v", l)
	}
	var v2 leadView
	c.ok(http.StatusOK, http.MethodGet, "/lead/"+strconv.Itoa(id), nil).into(t, &v2)
	if v2.Email != nil || v2.Phone.Extension != nil || v2.LeadOptIn != nil || *v2.CityID != 213 {
		t.Errorf("view of a phone-only lead %s", mustMarshal(t, v2))
	}
	c.failed(http.StatusNotFound, http.MethodGet, "/lead/99", nil)
}

func mustMarshal(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCreateGetUnqualifiedLead(t *testing.T) {
	f, c := start(t, sandbox.Options{})
	c.login()
	id := c.create("/unqualified-lead", []byte(docUnqualifiedBody))
	r := c.ok(http.StatusOK, http.MethodGet, "/unqualified-lead/"+strconv.Itoa(id), nil)
	if got := keysOf(t, r.Data); got != "city_id,contact_type_id,creation_date,email,id,name,phone,unqualified_lead_opt_in" {
		t.Errorf("view keys %s", got)
	}
	var v struct {
		unqualifiedItem
		OptIn *unqualifiedOptInView `json:"unqualified_lead_opt_in"`
		Phone map[string]any        `json:"phone"`
	}
	r.into(t, &v)
	if v.ContactTypeID != 1 || v.Email.Email != "sylvialhook@closum.com" || len(v.Phone) != 1 || v.Phone["number"] != "517-388-1452" {
		t.Errorf("view %s", r.Data)
	}
	if v.OptIn == nil || v.OptIn.UnqualifiedLeadID != id || !v.OptIn.SMS {
		t.Errorf("opt-in %+v", v.OptIn)
	}
	u, ok := f.UnqualifiedLead(id)
	if !ok || u.PhoneExtension != "001" || u.OptIn == nil || u.OptIn.Environment["REQUEST_URI"] != "/" {
		t.Errorf("stored %+v", u)
	}
	// Unqualified leads and leads are separate tables.
	if len(f.Leads()) != 0 {
		t.Error("an unqualified lead shows up as a lead")
	}
	c.failed(http.StatusNotFound, http.MethodGet, "/lead/"+strconv.Itoa(id), nil)

	r = c.ok(http.StatusOK, http.MethodGet, "/unqualified-lead", nil)
	var items []json.RawMessage
	r.into(t, &items)
	if len(items) != 1 || keysOf(t, items[0]) != "city_id,contact_type_id,creation_date,email,id,name,phone" {
		t.Fatalf("list %s", r.Data)
	}
}

// The doc does not say addresses are unique: a second lead with the same
// email is a second lead, with a second email record.
func TestDuplicatesAllowed(t *testing.T) {
	f, c := start(t, sandbox.Options{})
	c.login()
	a := c.create("/lead", leadBody("Ana", "ana@example.com", nil))
	b := c.create("/lead", leadBody("Ana", "ana@example.com", nil))
	if a == b {
		t.Fatalf("both creates answered id %d", a)
	}
	ls := f.Leads()
	if len(ls) != 2 || ls[0].Email != ls[1].Email || ls[0].EmailID == ls[1].EmailID {
		t.Fatalf("leads %+v", ls)
	}
	if n := len(f.Emails()); n != 2 {
		t.Fatalf("%d email records, want 2", n)
	}
}

// pageThrough walks a list with has_next_page and returns the ids seen.
func pageThrough(t *testing.T, c *apiClient, path string) (ids []int, pages []pagination) {
	t.Helper()
	for page := 1; ; page++ {
		if page > 50 {
			t.Fatal("has_next_page never became false")
		}
		r := c.ok(http.StatusOK, http.MethodGet, fmt.Sprintf("%s&page=%d", path, page), nil)
		var items []idRef
		r.into(t, &items)
		for _, it := range items {
			ids = append(ids, it.ID)
		}
		pages = append(pages, *r.Pagination)
		if !r.Pagination.HasNextPage {
			return ids, pages
		}
	}
}

func TestPaging(t *testing.T) {
	clk := newClock()
	_, c := start(t, sandbox.Options{Now: clk.Now})
	c.login()
	const n = 23
	for i := range n {
		// Names repeat, so sorting by name has ties across pages.
		c.create("/lead", leadBody(fmt.Sprintf("Name %d", i%4), fmt.Sprintf("p%d@example.com", i), nil))
		c.create("/unqualified-lead", map[string]any{"email": map[string]any{"email": fmt.Sprintf("u%d@example.com", i)}, "contact_type_id": 1})
		clk.Advance(time.Second)
	}
	tests := []struct {
		name, query string
		order       func(ids []int) bool
	}{
		{"leads by id", "/lead?limit=5", slices.IsSorted[[]int]},
		{"leads by id desc", "/lead?limit=5&direction=DESC", func(ids []int) bool {
			return slices.IsSortedFunc(ids, func(a, b int) int { return b - a })
		}},
		{"leads by name", "/lead?limit=4&sort=name", nil},
		{"leads by creation date desc", "/lead?limit=6&sort=creation_date&direction=desc", func(ids []int) bool {
			return slices.IsSortedFunc(ids, func(a, b int) int { return b - a })
		}},
		{"unknown sort column means id", "/lead?limit=7&sort=password", slices.IsSorted[[]int]},
		{"unqualified leads", "/unqualified-lead?limit=10", slices.IsSorted[[]int]},
		{"emails", "/email?limit=9", slices.IsSorted[[]int]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ids, pages := pageThrough(t, c, tt.query)
			want := n
			if tt.name == "emails" {
				want = 2 * n
			}
			seen := map[int]bool{}
			for _, id := range ids {
				if seen[id] {
					t.Fatalf("id %d seen twice: %v", id, ids)
				}
				seen[id] = true
			}
			if len(ids) != want {
				t.Fatalf("%d ids over %d pages, want %d: %v", len(ids), len(pages), want, ids)
			}
			if tt.order != nil && !tt.order(ids) {
				t.Errorf("order %v", ids)
			}
			last := pages[len(pages)-1]
			if last.PageCount != len(pages) || last.Count != want || pages[0].HasPrevPage || !last.HasPrevPage {
				t.Errorf("pagination %+v over %d pages", last, len(pages))
			}
			for i, p := range pages {
				if p.CurrentPage != i+1 || p.Limit == nil {
					t.Errorf("page %d: %+v", i+1, p)
				}
			}
		})
	}
	// Sorted by name, names come in order; equal names keep id order.
	var byName []leadItem
	c.ok(http.StatusOK, http.MethodGet, "/lead?sort=name&limit=100", nil).into(t, &byName)
	if !slices.IsSortedFunc(byName, func(a, b leadItem) int {
		if *a.Name != *b.Name {
			return compareVals(strVal(*a.Name), strVal(*b.Name))
		}
		return a.ID - b.ID
	}) {
		t.Errorf("sort=name order wrong")
	}
}

func TestPaginationBlock(t *testing.T) {
	_, c := start(t, sandbox.Options{})
	c.login()
	for i := range 3 {
		c.create("/lead", leadBody("N", fmt.Sprintf("b%d@example.com", i), nil))
	}
	limit := func(n int) *int { return &n }
	tests := []struct {
		query string
		want  pagination
		items int
	}{
		{"", pagination{PageCount: 1, CurrentPage: 1, Count: 3}, 3},
		{"?limit=25", pagination{PageCount: 1, CurrentPage: 1, Count: 3}, 3},
		{"?limit=2", pagination{PageCount: 2, CurrentPage: 1, HasNextPage: true, Count: 3, Limit: limit(2)}, 2},
		{"?limit=2&page=2", pagination{PageCount: 2, CurrentPage: 2, HasPrevPage: true, Count: 3, Limit: limit(2)}, 1},
		{"?limit=abc", pagination{PageCount: 3, CurrentPage: 1, HasNextPage: true, Count: 3, Limit: limit(1)}, 1},
		{"?limit=0&page=0", pagination{PageCount: 3, CurrentPage: 1, HasNextPage: true, Count: 3, Limit: limit(1)}, 1},
		{"?limit=500", pagination{PageCount: 1, CurrentPage: 1, Count: 3, Limit: limit(100)}, 3},
	}
	for _, tt := range tests {
		r := c.ok(http.StatusOK, http.MethodGet, "/lead"+tt.query, nil)
		var items []leadItem
		r.into(t, &items)
		if got, want := mustMarshal(t, r.Pagination), mustMarshal(t, tt.want); string(got) != string(want) || len(items) != tt.items {
			t.Errorf("%s: %d items, pagination %s, want %d and %s", tt.query, len(items), got, tt.items, want)
		}
	}
	r := c.ok(http.StatusOK, http.MethodGet, "/lead", nil)
	var raw map[string]json.RawMessage
	_ = json.Unmarshal(r.Raw, &raw)
	if got := keysOf(t, raw["pagination"]); got != "count,current_page,has_next_page,has_prev_page,limit,page_count" {
		t.Errorf("pagination keys %s", got)
	}
	c.failed(http.StatusNotFound, http.MethodGet, "/lead?limit=2&page=3", nil)
	// An empty list has one (empty) page.
	r = c.ok(http.StatusOK, http.MethodGet, "/unqualified-lead", nil)
	if string(r.Data) != "[]" || r.Pagination.PageCount != 1 || r.Pagination.Count != 0 {
		t.Errorf("empty list %s", r.Raw)
	}
}
