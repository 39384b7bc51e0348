package closumv1

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/connector"
)

// Test credentials; the password has characters JSON and URLs escape.
const (
	testUser = "crm-user"
	testPW   = `pw"<s3cr3t>&/+x`
)

// fakeEmail and fakePhone are the email and phone objects, with their ids.
type fakeEmail struct {
	ID    int    `json:"id"`
	Email string `json:"email"`
}

type fakePhone struct {
	ID        int    `json:"id"`
	Extension string `json:"extension,omitempty"`
	Number    string `json:"number"`
}

// fakeRec is a lead or unqualified lead held by fakeV1.
type fakeRec struct {
	ID          int
	Name        string
	CityID      int
	ContactType int
	CustomData  string
	Email       *fakeEmail
	Phone       *fakePhone
	OptIn       map[string]any
	Created     string
}

// seen is one request fakeV1 received.
type seen struct {
	Method, Path string
	Query        map[string][]string
	Auth         string
	Body         map[string]any
}

// canned is an answer served instead of the API to the next request whose
// method and path prefix match.
type canned struct {
	method, prefix string
	status         int
	header         map[string]string
	body           string
	hang           bool // hold the request until the client gives up, after doing the work
}

// fakeV1 imitates Closum v1 as documented: POST /api/token, bearer tokens,
// /api/lead and /api/unqualified-lead with pagination, email and phone
// objects with their own PUT, /api/city.
type fakeV1 struct {
	t   *testing.T
	srv *httptest.Server

	mu         sync.Mutex
	recs       map[string][]*fakeRec // "lead" / "unqualified-lead" → records
	cities     []map[string]any
	valid      map[string]bool // tokens the server accepts
	issued     int
	expiresIn  int           // seconds, in token answers
	tokenDelay time.Duration // slows POST /token, to let workers pile up
	maxLimit   int
	nextID     int
	nextObj    int
	reqs       []seen
	canned     []canned
	badCreds   string // "401" (default) or "200": how bad credentials are answered
}

func newFake(t *testing.T) *fakeV1 {
	t.Helper()
	f := &fakeV1{t: t, recs: map[string][]*fakeRec{}, valid: map[string]bool{}, expiresIn: 604800,
		maxLimit: 100, nextID: 1, nextObj: 1, badCreds: "401"}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// client returns a connector for the fake with the test credentials.
func (f *fakeV1) client(t *testing.T, opts map[string]string) *Client {
	t.Helper()
	return f.clientAs(t, testUser, testPW, opts)
}

func (f *fakeV1) clientAs(t *testing.T, user, pw string, opts map[string]string) *Client {
	t.Helper()
	conn, err := New(connector.Config{BaseURL: f.srv.URL + "/api/", Username: user, Password: pw, Options: opts,
		HTTP: &http.Client{Timeout: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	return conn.(*Client)
}

func (f *fakeV1) requests() []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.reqs)
}

// count returns how many requests had this method and path.
func (f *fakeV1) count(method, path string) int {
	n := 0
	for _, r := range f.requests() {
		if r.Method == method && r.Path == path {
			n++
		}
	}
	return n
}

func (f *fakeV1) tokenCalls() int { return f.count(http.MethodPost, "/api/token") }

// revokeAll makes the server refuse every token issued so far.
func (f *fakeV1) revokeAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.valid = map[string]bool{}
}

func (f *fakeV1) queue(c canned) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.canned = append(f.canned, c)
}

// add stores a record directly, as if created earlier.
func (f *fakeV1) add(kind string, r *fakeRec) *fakeRec {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.insert(kind, r)
}

func (f *fakeV1) insert(kind string, r *fakeRec) *fakeRec {
	r.ID = f.nextID
	f.nextID++
	if r.Email != nil {
		r.Email.ID = f.nextObj
		f.nextObj++
	}
	if r.Phone != nil {
		r.Phone.ID = f.nextObj
		f.nextObj++
	}
	if r.Created == "" {
		r.Created = time.Date(2024, 1, 1, 0, 0, r.ID, 0, time.UTC).Format(time.RFC3339)
	}
	f.recs[kind] = append(f.recs[kind], r)
	return r
}

func (f *fakeV1) all(kind string) []fakeRec {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]fakeRec, 0, len(f.recs[kind]))
	for _, r := range f.recs[kind] {
		cp := *r
		if r.Email != nil {
			e := *r.Email
			cp.Email = &e
		}
		if r.Phone != nil {
			p := *r.Phone
			cp.Phone = &p
		}
		out = append(out, cp)
	}
	return out
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func ok(w http.ResponseWriter, data any) {
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "data": data})
}

func fail(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]any{"success": false, "data": map[string]any{"message": msg, "code": code}})
}

func (f *fakeV1) serve(w http.ResponseWriter, r *http.Request) {
	s := seen{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Auth: r.Header.Get("Authorization")}
	if b, _ := io.ReadAll(r.Body); len(b) > 0 {
		if err := json.Unmarshal(b, &s.Body); err != nil {
			f.t.Errorf("%s %s: body is not JSON: %s", r.Method, r.URL.Path, b)
		}
	}
	f.mu.Lock()
	f.reqs = append(f.reqs, s)
	if s.Method == http.MethodPost && s.Path == "/api/token" {
		delay := f.tokenDelay
		f.mu.Unlock()
		time.Sleep(delay)
		f.mu.Lock()
	}
	defer f.mu.Unlock()
	for i, c := range f.canned {
		if (c.method == "" || c.method == r.Method) && strings.HasPrefix(r.URL.Path, c.prefix) {
			f.canned = slices.Delete(f.canned, i, i+1)
			if c.hang {
				f.route(httptest.NewRecorder(), r, s)
				f.mu.Unlock()
				<-r.Context().Done()
				f.mu.Lock()
				return
			}
			for k, v := range c.header {
				w.Header().Set(k, v)
			}
			w.WriteHeader(c.status)
			_, _ = io.WriteString(w, strings.ReplaceAll(c.body, "{auth}", s.Auth))
			return
		}
	}
	f.route(w, r, s)
}

// route serves the API; f.mu is held.
func (f *fakeV1) route(w http.ResponseWriter, r *http.Request, s seen) {
	if s.Path == "/api/token" && s.Method == http.MethodPost {
		f.token(w, s)
		return
	}
	if tok, ok := strings.CutPrefix(s.Auth, "Bearer "); !ok || !f.valid[tok] {
		fail(w, http.StatusUnauthorized, "Invalid or expired token")
		return
	}
	parts := strings.Split(strings.Trim(strings.TrimPrefix(s.Path, "/api/"), "/"), "/")
	kind := parts[0]
	switch {
	case kind == "city" && s.Method == http.MethodGet:
		f.list(w, r, f.cities, func(c map[string]any) any { return c })
	case (kind == "lead" || kind == "unqualified-lead") && len(parts) == 1 && s.Method == http.MethodGet:
		recs := make([]map[string]any, 0, len(f.recs[kind]))
		for _, rec := range f.recs[kind] {
			recs = append(recs, recJSON(kind, rec, false))
		}
		f.list(w, r, recs, func(m map[string]any) any { return m })
	case (kind == "lead" || kind == "unqualified-lead") && len(parts) == 1 && s.Method == http.MethodPost:
		f.create(w, kind, s.Body)
	case (kind == "lead" || kind == "unqualified-lead") && len(parts) == 2 && s.Method == http.MethodGet:
		for _, rec := range f.recs[kind] {
			if strconv.Itoa(rec.ID) == parts[1] {
				ok(w, recJSON(kind, rec, true))
				return
			}
		}
		fail(w, http.StatusNotFound, "Record not found")
	case (kind == "email" || kind == "phone") && len(parts) == 2 && s.Method == http.MethodPut:
		f.put(w, kind, parts[1], s.Body)
	default:
		fail(w, http.StatusMethodNotAllowed, "Method Not Allowed")
	}
}

func (f *fakeV1) token(w http.ResponseWriter, s seen) {
	if s.Body["api_username"] != testUser || s.Body["api_pw"] != testPW {
		msg := fmt.Sprintf("Invalid credentials for %v / %v", s.Body["api_username"], s.Body["api_pw"])
		if f.badCreds == "200" {
			writeJSON(w, http.StatusOK, map[string]any{"success": false, "data": map[string]any{"message": msg}})
			return
		}
		fail(w, http.StatusUnauthorized, msg)
		return
	}
	f.issued++
	tok := fmt.Sprintf("eyJ.tok-%d.sig", f.issued)
	f.valid[tok] = true
	ok(w, map[string]any{"token": tok, "expires_in": f.expiresIn,
		"expiration_date": time.Now().Add(time.Duration(f.expiresIn) * time.Second).Format(time.RFC3339)})
}

// list serves one page of items, sorted by id as asked.
func (f *fakeV1) list(w http.ResponseWriter, r *http.Request, items []map[string]any, show func(map[string]any) any) {
	q := r.URL.Query()
	limit, page := 25, 1
	if n, err := strconv.Atoi(q.Get("limit")); err == nil && n > 0 {
		limit = min(n, f.maxLimit)
	}
	if n, err := strconv.Atoi(q.Get("page")); err == nil && n > 0 {
		page = n
	}
	items = slices.Clone(items)
	sort.SliceStable(items, func(i, j int) bool {
		a, b := items[i]["id"].(int), items[j]["id"].(int)
		if q.Get("direction") == "desc" {
			return a > b
		}
		return a < b
	})
	pages := (len(items) + limit - 1) / limit
	var data []any
	for i := (page - 1) * limit; i < len(items) && i < page*limit; i++ {
		data = append(data, show(items[i]))
	}
	if data == nil {
		data = []any{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "data": data, "pagination": map[string]any{
		"page_count": pages, "current_page": page, "has_next_page": page < pages, "has_prev_page": page > 1,
		"count": len(items), "limit": nil,
	}})
}

// recJSON renders a record as the documentation shows it: the list without
// the email and phone object ids, the retrieve with them.
func recJSON(kind string, r *fakeRec, withIDs bool) map[string]any {
	m := map[string]any{"id": r.ID, "name": r.Name, "creation_date": r.Created}
	if r.CityID != 0 {
		m["city_id"] = r.CityID
	}
	if kind == "lead" {
		m["custom_data"] = nil
		if r.CustomData != "" {
			m["custom_data"] = r.CustomData
		}
	} else if r.ContactType != 0 {
		m["contact_type_id"] = r.ContactType
	}
	if r.Email != nil {
		e := map[string]any{"email": r.Email.Email}
		if withIDs {
			e["id"] = r.Email.ID
		}
		m["email"] = e
	}
	if r.Phone != nil {
		p := map[string]any{"number": r.Phone.Number}
		if r.Phone.Extension != "" {
			p["extension"] = r.Phone.Extension
		}
		if withIDs {
			p["id"] = r.Phone.ID
		}
		m["phone"] = p
	}
	return m
}

func (f *fakeV1) create(w http.ResponseWriter, kind string, body map[string]any) {
	rec := &fakeRec{Name: str(body["name"]), CustomData: str(body["custom_data"])}
	if e, ok := body["email"].(map[string]any); ok {
		rec.Email = &fakeEmail{Email: str(e["email"])}
	}
	if p, ok := body["phone"].(map[string]any); ok {
		rec.Phone = &fakePhone{Extension: str(p["extension"]), Number: str(p["number"])}
	}
	if n, ok := body["city_id"].(float64); ok {
		rec.CityID = int(n)
	}
	if n, ok := body["contact_type_id"].(float64); ok {
		rec.ContactType = int(n)
	}
	optKey := "lead_opt_in"
	if kind == "unqualified-lead" {
		optKey = "unqualified_lead_opt_in"
	}
	rec.OptIn, _ = body[optKey].(map[string]any)
	if rec.Email == nil && rec.Phone == nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"success": false, "data": map[string]any{
			"message": "The request has errors", "errors": map[string]any{"email": map[string]any{"_required": "An email or a phone is required"}}}})
		return
	}
	f.insert(kind, rec)
	ok(w, map[string]any{"id": rec.ID})
}

func (f *fakeV1) put(w http.ResponseWriter, kind, id string, body map[string]any) {
	for _, recs := range f.recs {
		for _, r := range recs {
			switch {
			case kind == "email" && r.Email != nil && strconv.Itoa(r.Email.ID) == id:
				r.Email.Email = str(body["email"])
				ok(w, []any{})
				return
			case kind == "phone" && r.Phone != nil && strconv.Itoa(r.Phone.ID) == id:
				r.Phone.Extension, r.Phone.Number = str(body["extension"]), str(body["number"])
				ok(w, []any{})
				return
			}
		}
	}
	fail(w, http.StatusNotFound, "Record not found")
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// clock is a settable time for the connector's token lifetimes.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
