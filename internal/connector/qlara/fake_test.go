package qlara

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/crmload/crmload/internal/connector"
)

// testKey is the API key the fake accepts.
const testKey = "qk_test_5ecret_value"

// fake is a Qlara API written from the Postman collection's shapes: GET
// /contacts answers a bare array, POST and PUT /contacts {"contacts": […]},
// list endpoints bare arrays and objects, associations an array of ids.
type fake struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	nextID int
	cs     []map[string]any // contacts, by ascending id
	lists  []map[string]any
	member map[string]map[string]bool // list id → contact ids
	reqs   []request
	// intercept, when set, may answer a request instead of the fake: it
	// returns true when it wrote the answer.
	intercept func(w http.ResponseWriter, r *http.Request, body []byte) bool
}

// request is one call the fake received.
type request struct {
	Method, Path string
	Query        url.Values
	Body         []byte
	Key          string
}

func newFake(t *testing.T) *fake {
	t.Helper()
	f := &fake{t: t, nextID: 1000, member: map[string]map[string]bool{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// connector returns a connector for the fake with the given options.
func (f *fake) connector(t *testing.T, opts map[string]string) *Connector {
	t.Helper()
	c, err := newConnector(connector.Config{BaseURL: f.srv.URL + "/api/partner-gateway/v1", APIKey: testKey, Options: opts, HTTP: f.srv.Client()})
	if err != nil {
		t.Fatalf("newConnector: %v", err)
	}
	return c
}

// seed adds a contact and returns its id.
func (f *fake) seed(c map[string]any) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	c["id"] = f.nextID
	f.cs = append(f.cs, c)
	return strconv.Itoa(f.nextID)
}

func (f *fake) seedList(name string, deleted bool) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	f.lists = append(f.lists, map[string]any{"id": f.nextID, "name": name, "isDeleted": deleted, "numContact": 0})
	return strconv.Itoa(f.nextID)
}

// calls returns the requests received whose "METHOD path" (path under the
// API root) equals what, or all of them when what is "".
func (f *fake) calls(what string) []request {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []request
	for _, r := range f.reqs {
		if what == "" || r.Method+" "+r.Path == what {
			out = append(out, r)
		}
	}
	return out
}

// setIntercept replaces the interceptor while requests may be in flight.
func (f *fake) setIntercept(fn func(w http.ResponseWriter, r *http.Request, body []byte) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.intercept = fn
}

// inList counts the contacts in a list.
func (f *fake) inList(listID string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.member[listID])
}

func (f *fake) contact(id string) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.cs {
		if fmt.Sprint(c["id"]) == id {
			return c
		}
	}
	return nil
}

func (f *fake) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	path := strings.TrimPrefix(r.URL.Path, "/api/partner-gateway/v1")
	f.mu.Lock()
	f.reqs = append(f.reqs, request{Method: r.Method, Path: path, Query: r.URL.Query(), Body: body, Key: r.Header.Get("X-API-Key")})
	intercept := f.intercept
	f.mu.Unlock()
	if r.Header.Get("X-API-Key") != testKey {
		reply(w, http.StatusUnauthorized, map[string]any{"message": "Invalid API key " + r.Header.Get("X-API-Key")})
		return
	}
	if intercept != nil {
		if intercept(w, r, body) {
			return
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	parts := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case r.Method == "GET" && path == "/contacts":
		f.findContacts(w, r.URL.Query())
	case r.Method == "POST" && path == "/contacts":
		f.createContact(w, body)
	case len(parts) == 2 && parts[0] == "contacts" && parts[1] != "list":
		f.oneContact(w, r.Method, parts[1], body)
	case r.Method == "GET" && path == "/contacts/list":
		f.findLists(w, r.URL.Query())
	case r.Method == "POST" && path == "/contacts/list":
		var in map[string]any
		json.Unmarshal(body, &in)
		f.nextID++
		in["id"] = f.nextID
		in["isDeleted"] = false
		f.lists = append(f.lists, in)
		reply(w, http.StatusCreated, in)
	case r.Method == "POST" && path == "/contacts/list/contacts":
		f.associate(w, body)
	case r.Method == "GET" && len(parts) == 3 && parts[1] == "list":
		for _, l := range f.lists {
			if fmt.Sprint(l["id"]) == parts[2] {
				reply(w, http.StatusOK, l)
				return
			}
		}
		w.WriteHeader(http.StatusNotFound)
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// page applies the documented 0-based page and limit (default 10, max 1000).
func page[T any](w http.ResponseWriter, q url.Values, all []T) ([]T, bool) {
	limit, p := 10, 0
	if v := q.Get("limit"); v != "" {
		limit, _ = strconv.Atoi(v)
	}
	if v := q.Get("page"); v != "" {
		p, _ = strconv.Atoi(v)
	}
	if limit < 1 || limit > 1000 || p < 0 {
		reply(w, http.StatusBadRequest, map[string]any{"message": "limit must be 1..1000"})
		return nil, false
	}
	from := min(p*limit, len(all))
	return all[from:min(from+limit, len(all))], true
}

func (f *fake) findContacts(w http.ResponseWriter, q url.Values) {
	out := []map[string]any{}
	for _, c := range f.cs {
		if e := q.Get("email"); e != "" && c["mainEmail"] != e && !slices.Contains(strs(c["emailAddresses"]), e) {
			continue
		}
		if p := q.Get("phoneNumber"); p != "" && !slices.Contains(strs(c["phoneNumbers"]), p) {
			continue
		}
		out = append(out, c)
	}
	if q.Get("sortBy") == "id" {
		sort.Slice(out, func(i, j int) bool { return out[i]["id"].(int) < out[j]["id"].(int) })
	}
	if pg, ok := page(w, q, out); ok {
		reply(w, http.StatusOK, pg)
	}
}

func strs(v any) []string {
	var out []string
	switch v := v.(type) {
	case []any:
		for _, s := range v {
			out = append(out, fmt.Sprint(s))
		}
	case []string:
		out = v
	}
	return out
}

func (f *fake) createContact(w http.ResponseWriter, body []byte) {
	var in map[string]any
	if err := json.Unmarshal(body, &in); err != nil {
		reply(w, http.StatusBadRequest, map[string]any{"message": "malformed JSON"})
		return
	}
	if in["mainEmail"] == nil && len(strs(in["phoneNumbers"])) == 0 {
		reply(w, http.StatusBadRequest, map[string]any{"message": "phone number or email required"})
		return
	}
	f.nextID++
	in["id"] = f.nextID
	f.cs = append(f.cs, in)
	reply(w, http.StatusCreated, map[string]any{"contacts": []any{in}})
}

func (f *fake) oneContact(w http.ResponseWriter, method, id string, body []byte) {
	for _, c := range f.cs {
		if fmt.Sprint(c["id"]) != id {
			continue
		}
		if method == "PUT" {
			var in map[string]any
			json.Unmarshal(body, &in)
			for k, v := range in {
				c[k] = v
			}
			reply(w, http.StatusOK, map[string]any{"contacts": []any{c}})
			return
		}
		reply(w, http.StatusOK, c)
		return
	}
	w.WriteHeader(http.StatusNotFound)
}

func (f *fake) findLists(w http.ResponseWriter, q url.Values) {
	out := []map[string]any{}
	for _, l := range f.lists {
		if s := q.Get("search"); s != "" && !strings.Contains(strings.ToLower(fmt.Sprint(l["name"])), strings.ToLower(s)) {
			continue
		}
		if l["isDeleted"] == true {
			continue
		}
		out = append(out, l)
	}
	if pg, ok := page(w, q, out); ok {
		reply(w, http.StatusOK, pg)
	}
}

func (f *fake) associate(w http.ResponseWriter, body []byte) {
	var in struct {
		ListIDs     []int `json:"listIds"`
		ContactIDs  []int `json:"contactIds"`
		AllContacts bool  `json:"allContacts"`
	}
	if err := json.Unmarshal(body, &in); err != nil || len(in.ListIDs) == 0 || in.AllContacts {
		reply(w, http.StatusBadRequest, map[string]any{"message": "invalid association"})
		return
	}
	var ids []int
	for _, l := range in.ListIDs {
		lid := strconv.Itoa(l)
		if f.member[lid] == nil {
			f.member[lid] = map[string]bool{}
		}
		for _, c := range in.ContactIDs {
			f.member[lid][strconv.Itoa(c)] = true
			f.nextID++
			ids = append(ids, f.nextID)
		}
	}
	reply(w, http.StatusCreated, ids)
}
