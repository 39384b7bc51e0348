package closecrm

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/connector"
)

// fakeClose is a small in-memory Close API for these tests, following the
// documented wire shapes: Basic auth with the key as user, leads with nested
// contacts, custom fields keyed "custom.<id>", the lead search "query" and
// _skip/_limit/has_more pages. It records every request it gets.
type fakeClose struct {
	key string
	srv *httptest.Server

	mu        sync.Mutex
	leads     []map[string]any // in creation order
	leadCF    []customField
	contactCF []customField
	reqs      []fakeReq
	canned    []canned // answers served instead of the API, first match wins
	seq       int
	clock     time.Time
	okHeader  http.Header // added to every successful answer
}

type fakeReq struct {
	Method, Path string
	Query        map[string][]string
	Body         map[string]any
	User, Pass   string
}

// canned is an answer given to the next request with this method (any when empty).
type canned struct {
	method string
	status int
	header map[string]string
	body   string
}

const testKey = "test-key-5ecr3t"

func newFake(t *testing.T) *fakeClose {
	t.Helper()
	f := &fakeClose{key: testKey, clock: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// client returns a connector pointed at the fake's /api/v1 with the given key.
func (f *fakeClose) client(t *testing.T, key string) *Client {
	t.Helper()
	c, err := New(connector.Config{BaseURL: f.srv.URL + "/api/v1/", APIKey: key, HTTP: f.srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	return c.(*Client)
}

func (f *fakeClose) requests() []fakeReq {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeReq(nil), f.reqs...)
}

// writes returns the requests that change data.
func (f *fakeClose) writes() []fakeReq {
	var out []fakeReq
	for _, r := range f.requests() {
		if r.Method != http.MethodGet {
			out = append(out, r)
		}
	}
	return out
}

func (f *fakeClose) resetLog() {
	f.mu.Lock()
	f.reqs = nil
	f.mu.Unlock()
}

func (f *fakeClose) push(c canned) {
	f.mu.Lock()
	f.canned = append(f.canned, c)
	f.mu.Unlock()
}

// addLead stores a lead as if created earlier and returns its id.
func (f *fakeClose) addLead(lead map[string]any) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.createLead(lead)
}

func (f *fakeClose) tick() string {
	f.clock = f.clock.Add(time.Second)
	return f.clock.Format("2006-01-02T15:04:05.000000+00:00")
}

func (f *fakeClose) nextID(prefix string) string {
	f.seq++
	return fmt.Sprintf("%s_%04d", prefix, f.seq)
}

func (f *fakeClose) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	user, pass, _ := r.BasicAuth()
	req := fakeReq{Method: r.Method, Path: strings.TrimPrefix(r.URL.Path, "/api/v1"), Query: r.URL.Query(), User: user, Pass: pass}
	var body map[string]any // decoded twice: the log must not see what the API stores
	if b, _ := io.ReadAll(r.Body); len(b) > 0 {
		if json.Unmarshal(b, &req.Body) != nil || json.Unmarshal(b, &body) != nil {
			writeJSON(w, 400, map[string]any{"error": "invalid JSON"})
			return
		}
	}
	f.reqs = append(f.reqs, req)
	for i, c := range f.canned {
		if c.method == "" || c.method == r.Method {
			f.canned = append(f.canned[:i], f.canned[i+1:]...)
			for k, v := range c.header {
				w.Header().Set(k, v)
			}
			w.WriteHeader(c.status)
			_, _ = io.WriteString(w, c.body)
			return
		}
	}
	if user != f.key || pass != "" {
		writeJSON(w, 401, map[string]any{"error": "The API key is invalid."})
		return
	}
	for k, v := range f.okHeader {
		w.Header()[k] = v
	}
	req.Body = body
	status, answer := f.route(req)
	writeJSON(w, status, answer)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func notFoundBody() map[string]any { return map[string]any{"error": "Not found"} }

func (f *fakeClose) route(r fakeReq) (int, any) {
	parts := strings.Split(strings.Trim(r.Path, "/"), "/")
	switch {
	case r.Method == "GET" && r.Path == "/me/":
		return 200, map[string]any{"id": "user_1", "email": "me@example.com"}
	case r.Method == "GET" && r.Path == "/custom_field/lead/":
		return 200, pageOf(r, toAny(f.leadCF))
	case r.Method == "GET" && r.Path == "/custom_field/contact/":
		return 200, pageOf(r, toAny(f.contactCF))
	case r.Method == "GET" && r.Path == "/lead/":
		leads, err := f.search(first(r.Query["query"]))
		if err != nil {
			return 400, map[string]any{"error": err.Error()}
		}
		return 200, pageOf(r, leads)
	case r.Method == "POST" && r.Path == "/lead/":
		if msg := f.invalidCustom(r.Body, f.leadCF); msg != nil {
			return 400, msg
		}
		return 200, f.lead(f.createLead(r.Body))
	case len(parts) == 2 && parts[0] == "lead":
		l := f.lead(parts[1])
		if l == nil {
			return 404, notFoundBody()
		}
		if r.Method == "PUT" {
			if msg := f.invalidCustom(r.Body, f.leadCF); msg != nil {
				return 400, msg
			}
			for k, v := range r.Body {
				if k == "status" {
					l["status_label"] = v
					continue
				}
				l[k] = v
			}
			l["date_updated"] = f.tick()
		}
		return 200, l
	case r.Method == "POST" && r.Path == "/contact/":
		l := f.lead(fmt.Sprint(r.Body["lead_id"]))
		if l == nil {
			return 400, map[string]any{"errors": []any{}, "field-errors": map[string]any{"lead_id": "Object does not exist."}}
		}
		ct := f.newContact(r.Body)
		l["contacts"] = append(l["contacts"].([]any), ct)
		return 200, withLead(ct, l)
	case len(parts) == 2 && parts[0] == "contact":
		ct, l := f.contact(parts[1])
		if ct == nil {
			return 404, notFoundBody()
		}
		if r.Method == "PUT" {
			for k, v := range r.Body {
				ct[k] = v
			}
			normalizePhones(ct)
			ct["date_updated"] = f.tick()
		}
		return 200, withLead(ct, l)
	}
	return 404, notFoundBody()
}

func (f *fakeClose) createLead(body map[string]any) string {
	l := map[string]any{"contacts": []any{}, "addresses": []any{}, "status_label": "Potential", "url": nil, "description": ""}
	for k, v := range body {
		l[k] = v
	}
	if s, ok := body["status"]; ok {
		l["status_label"] = s
		delete(l, "status")
	}
	id := f.nextID("lead")
	l["id"] = id
	l["date_created"] = f.tick()
	l["date_updated"] = l["date_created"]
	var contacts []any
	for _, c := range asList(l["contacts"]) {
		contacts = append(contacts, f.newContact(c.(map[string]any)))
	}
	l["contacts"] = orList(contacts)
	f.leads = append(f.leads, l)
	return id
}

func (f *fakeClose) newContact(body map[string]any) map[string]any {
	ct := map[string]any{"emails": []any{}, "phones": []any{}, "title": nil}
	for k, v := range body {
		if k != "lead_id" {
			ct[k] = v
		}
	}
	ct["id"] = f.nextID("cont")
	ct["date_created"] = f.tick()
	ct["date_updated"] = ct["date_created"]
	normalizePhones(ct)
	return ct
}

// normalizePhones stores phones in E.164 as Close does ("8004445555" → "+18004445555").
func normalizePhones(ct map[string]any) {
	for _, p := range asList(ct["phones"]) {
		pm := p.(map[string]any)
		digits := regexp.MustCompile(`\D`).ReplaceAllString(fmt.Sprint(pm["phone"]), "")
		if len(digits) == 10 {
			digits = "1" + digits
		}
		pm["phone"] = "+" + digits
	}
}

func (f *fakeClose) invalidCustom(body map[string]any, defs []customField) map[string]any {
	for k := range body {
		id, ok := strings.CutPrefix(k, "custom.")
		if !ok {
			continue
		}
		known := false
		for _, d := range defs {
			known = known || d.ID == id
		}
		if !known {
			return map[string]any{"errors": []any{}, "field-errors": map[string]any{k: "Unknown custom field."}}
		}
	}
	return nil
}

func (f *fakeClose) lead(id string) map[string]any {
	for _, l := range f.leads {
		if l["id"] == id {
			return l
		}
	}
	return nil
}

func (f *fakeClose) contact(id string) (map[string]any, map[string]any) {
	for _, l := range f.leads {
		for _, c := range asList(l["contacts"]) {
			if cm := c.(map[string]any); cm["id"] == id {
				return cm, l
			}
		}
	}
	return nil, nil
}

func withLead(ct, l map[string]any) map[string]any {
	out := map[string]any{"lead_id": l["id"]}
	for k, v := range ct {
		out[k] = v
	}
	return out
}

// search applies the few query keywords the connector uses; any other text
// is refused so a wrong query shows up as a failure.
func (f *fakeClose) search(q string) ([]any, error) {
	termRE := regexp.MustCompile(`(\w+)\s*(:|>=|<=|>|<)\s*("(?:[^"\\]|\\.)*"|\S+)`)
	rest := strings.TrimSpace(termRE.ReplaceAllString(q, ""))
	if rest != "" {
		return nil, fmt.Errorf("cannot parse query %q", q)
	}
	var out []any
	for _, l := range f.leads {
		ok := true
		for _, m := range termRE.FindAllStringSubmatch(q, -1) {
			key, opr, v := m[1], m[2], m[3]
			if s, err := strconv.Unquote(v); err == nil {
				v = s
			}
			switch {
			case key == "sort" && v == "created":
			case key == "email_address" && opr == ":":
				ok = ok && anyContact(l, func(c map[string]any) bool {
					// Close's search is not an exact match: a word inside an address hits too.
					return anyItem(c["emails"], "email", func(s string) bool {
						return strings.Contains(strings.ToLower(s), strings.ToLower(v))
					})
				})
			case key == "phone" && opr == ":":
				ok = ok && anyContact(l, func(c map[string]any) bool {
					return anyItem(c["phones"], "phone", func(s string) bool { return s == v })
				})
			case key == "name" && opr == ":":
				ok = ok && strings.Contains(strings.ToLower(fmt.Sprint(l["name"])), strings.ToLower(v))
			case key == "updated" && opr == ">=":
				since, err := time.Parse(time.DateTime, v)
				if err != nil {
					return nil, err
				}
				upd, _ := time.Parse("2006-01-02T15:04:05.000000+00:00", fmt.Sprint(l["date_updated"]))
				ok = ok && !upd.Before(since)
			default:
				return nil, fmt.Errorf("unknown search keyword %s%s", key, opr)
			}
		}
		if ok {
			out = append(out, l)
		}
	}
	return out, nil
}

func anyContact(l map[string]any, pred func(map[string]any) bool) bool {
	for _, c := range asList(l["contacts"]) {
		if pred(c.(map[string]any)) {
			return true
		}
	}
	return false
}

func anyItem(list any, key string, pred func(string) bool) bool {
	for _, it := range asList(list) {
		if pred(fmt.Sprint(it.(map[string]any)[key])) {
			return true
		}
	}
	return false
}

func pageOf(r fakeReq, all []any) map[string]any {
	skip, _ := strconv.Atoi(first(r.Query["_skip"]))
	limit, err := strconv.Atoi(first(r.Query["_limit"]))
	if err != nil || limit <= 0 {
		limit = 100
	}
	end := min(skip+limit, len(all))
	data := []any{}
	if skip < len(all) {
		data = all[skip:end]
	}
	return map[string]any{"has_more": end < len(all), "total_results": len(all), "data": data}
}

func toAny[T any](s []T) []any {
	out := make([]any, 0, len(s))
	for _, v := range s {
		out = append(out, v)
	}
	return out
}

func asList(v any) []any {
	switch l := v.(type) {
	case []any:
		return l
	case []map[string]any:
		return toAny(l)
	}
	return nil
}

func orList(l []any) []any {
	if l == nil {
		return []any{}
	}
	return l
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}
