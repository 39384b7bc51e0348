package closum

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/connector"
)

// testKey has characters that URL encoding changes, so redaction must catch
// its escaped forms too.
const testKey = "s3cr+t/key=x&y"

// fakeRec is a lead or contact held by fakeClosum.
type fakeRec struct {
	ID                       string
	Name, Email, Mobile      string
	BirthDate                string
	Stage                    int
	ConsentEmail, ConsentSMS bool
	Tags                     []string
	Custom                   map[string]string
	Created                  string
}

// seen is one request fakeClosum received.
type seen struct {
	Method, Path string
	Query        url.Values
	ContentType  string
	Body         map[string]any
}

// fakeClosum imitates the parts of Closum v2 the connector uses, with the
// shapes of the Postman collection's examples.
type fakeClosum struct {
	t   *testing.T
	key string

	mu       sync.Mutex
	leads    []*fakeRec
	contacts []*fakeRec
	fields   []map[string]string
	reqs     []seen
	nextID   int

	// notFound is how a view of a missing record answers: "404",
	// "status-false" or "empty" (status true, no data).
	notFound string
	// upsertHint adds {"updated": bool} to lead/add answers.
	upsertHint bool
}

func newFake(t *testing.T) (*fakeClosum, *Client) {
	t.Helper()
	f := &fakeClosum{t: t, key: testKey, notFound: "status-false", nextID: 100,
		fields: []map[string]string{
			{"id": "54207563-7757-4f2d-a26c-7330b4acaf7a", "label": "Tipo de Serviço", "var": "tipo-de-servico"},
			{"id": "75daa806-ad6b-4bf6-97f9-094c458a1455", "label": "Empresa", "var": "empresa"},
		}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, newClient(t, srv.URL+"/v2", nil)
}

func newClient(t *testing.T, base string, opts map[string]string) *Client {
	t.Helper()
	conn, err := New(connector.Config{BaseURL: base, APIKey: testKey, Options: opts, HTTP: &http.Client{Timeout: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	return conn.(*Client)
}

func (f *fakeClosum) requests() []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.reqs)
}

func (f *fakeClosum) ok(w http.ResponseWriter, data any) {
	writeJSON(w, http.StatusOK, map[string]any{"status": true, "code": 200, "responseData": data,
		"message": []string{"success"}, "errors": []string{}, "timestamp": "2025-11-04T10:26:34+00:00"})
}

func (f *fakeClosum) fail(w http.ResponseWriter, errs ...string) {
	writeJSON(w, http.StatusOK, map[string]any{"status": false, "code": 200, "responseData": []any{},
		"message": []string{}, "errors": errs, "timestamp": "2025-11-04T10:26:34+00:00"})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeClosum) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := seen{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), ContentType: r.Header.Get("Content-Type")}
	if b, _ := io.ReadAll(r.Body); len(b) > 0 {
		if err := json.Unmarshal(b, &s.Body); err != nil {
			f.t.Errorf("%s %s: body is not JSON: %s", r.Method, r.URL.Path, b)
		}
	}
	f.reqs = append(f.reqs, s)
	if r.URL.Query().Get("api-key") != f.key {
		f.fail(w, "Invalid API Key")
		return
	}
	path := strings.TrimPrefix(r.URL.Path, "/v2/")
	switch {
	case r.Method == http.MethodGet && path == "field/":
		f.ok(w, map[string]any{"fields": f.fields})
	case r.Method == http.MethodGet && path == "lead/":
		f.list(w, r, "leads", f.leads, leadJSON)
	case r.Method == http.MethodGet && path == "contact/list":
		f.list(w, r, "contacts", f.contacts, contactJSON)
	case r.Method == http.MethodGet && strings.HasPrefix(path, "lead/view/"):
		f.view(w, r, "lead_data", f.leads, strings.TrimPrefix(path, "lead/view/"), leadJSON)
	case r.Method == http.MethodGet && strings.HasPrefix(path, "contact/view/"):
		f.view(w, r, "contact_data", f.contacts, strings.TrimPrefix(path, "contact/view/"), contactJSON)
	case r.Method == http.MethodPost && path == "lead/add/":
		f.addLead(w, s.Body)
	case r.Method == http.MethodPut && path == "lead/edit-by-email":
		f.editLead(w, find(f.leads, "email", str(s.Body["email"])), s.Body)
	case r.Method == http.MethodPut && strings.HasPrefix(path, "lead/edit/"):
		f.editLead(w, find(f.leads, "", strings.TrimPrefix(path, "lead/edit/")), s.Body)
	case r.Method == http.MethodPost && path == "contact/add":
		rec := &fakeRec{ID: fmt.Sprintf("00000000-0000-0000-0000-%012d", f.next())}
		apply(rec, s.Body)
		f.contacts = append(f.contacts, rec)
		f.ok(w, []any{map[string]any{"contact_id": rec.ID}})
	case r.Method == http.MethodPut && strings.HasPrefix(path, "contact/edit/"):
		rec := find(f.contacts, "", strings.TrimPrefix(path, "contact/edit/"))
		if rec == nil {
			f.fail(w, "Contact not found")
			return
		}
		apply(rec, s.Body)
		f.ok(w, []any{map[string]any{"contact_id": rec.ID}})
	default:
		writeJSON(w, http.StatusNotFound, map[string]any{"status": false, "code": 404, "errors": []string{"Not Found"}})
	}
}

func (f *fakeClosum) next() int {
	f.nextID++
	return f.nextID
}

func (f *fakeClosum) list(w http.ResponseWriter, r *http.Request, key string, recs []*fakeRec, render func(*fakeRec) map[string]any) {
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	if limit < 1 {
		limit = 20
	}
	page = max(page, 1)
	pages := max((len(recs)+limit-1)/limit, 1)
	out := []map[string]any{}
	for i := (page - 1) * limit; i < min(page*limit, len(recs)); i++ {
		out = append(out, render(recs[i]))
	}
	f.ok(w, map[string]any{key: out, "paginator": map[string]any{
		"finder": "all", "page": page, "current": len(out), "count": len(recs), "perPage": limit,
		"prevPage": page > 1, "nextPage": page < pages, "pageCount": pages, "limit": limit,
		"sort": "creation_date", "direction": "DESC"}})
}

func (f *fakeClosum) view(w http.ResponseWriter, r *http.Request, key string, recs []*fakeRec, raw string, render func(*fakeRec) map[string]any) {
	val, _ := url.PathUnescape(raw)
	if rec := find(recs, r.URL.Query().Get("finder"), val); rec != nil {
		f.ok(w, map[string]any{key: render(rec)})
		return
	}
	switch f.notFound {
	case "404":
		writeJSON(w, http.StatusNotFound, map[string]any{"status": false, "code": 404, "errors": []string{"Record not found"}})
	case "empty":
		f.ok(w, []any{})
	default:
		f.fail(w, "Lead not found")
	}
}

func (f *fakeClosum) addLead(w http.ResponseWriter, body map[string]any) {
	if _, ok := body["consent_email"].(bool); !ok {
		f.fail(w, "consent_email is required")
		return
	}
	if _, ok := body["consent_sms"].(bool); !ok {
		f.fail(w, "consent_sms is required")
		return
	}
	if rec := find(f.leads, "email", str(body["email"])); rec != nil {
		if body["update_enabled"] != true {
			f.fail(w, "The email is already in use")
			return
		}
		apply(rec, body)
		f.addAnswer(w, rec, true)
		return
	}
	rec := &fakeRec{ID: strconv.Itoa(f.next()), Created: "2025-10-24T15:45:15+01:00"}
	apply(rec, body)
	f.leads = append(f.leads, rec)
	f.addAnswer(w, rec, false)
}

func (f *fakeClosum) addAnswer(w http.ResponseWriter, rec *fakeRec, updated bool) {
	id, _ := strconv.Atoi(rec.ID)
	data := map[string]any{"lead_id": id}
	if f.upsertHint {
		data["updated"] = updated
	}
	f.ok(w, []any{data})
}

func (f *fakeClosum) editLead(w http.ResponseWriter, rec *fakeRec, body map[string]any) {
	if rec == nil {
		f.fail(w, "Lead not found")
		return
	}
	if e, ok := body["email"]; ok && !strings.EqualFold(str(e), rec.Email) {
		f.fail(w, "You are not allowed to change a lead email")
		return
	}
	apply(rec, body)
	id, _ := strconv.Atoi(rec.ID)
	f.ok(w, []any{map[string]any{"lead_id": id}})
}

// find returns the record whose id (finder ""), email or mobile is val.
func find(recs []*fakeRec, finder, val string) *fakeRec {
	for _, r := range recs {
		switch {
		case finder == "email" && strings.EqualFold(r.Email, val),
			finder == "mobile" && r.Mobile == val,
			finder == "" && r.ID == val:
			return r
		}
	}
	return nil
}

func apply(rec *fakeRec, body map[string]any) {
	for k, v := range body {
		switch k {
		case "name":
			rec.Name = str(v)
		case "email":
			rec.Email = str(v)
		case "mobile_number":
			rec.Mobile = str(v)
		case "birth_date":
			rec.BirthDate = str(v)
		case "contact_lifecycle_stage_id":
			n, _ := v.(float64)
			rec.Stage = int(n)
		case "consent_email":
			rec.ConsentEmail, _ = v.(bool)
		case "consent_sms":
			rec.ConsentSMS, _ = v.(bool)
		case "tags":
			rec.Tags = nil
			for _, t := range v.([]any) {
				rec.Tags = append(rec.Tags, str(t))
			}
		case "custom_fields":
			rec.Custom = map[string]string{}
			for k, x := range v.(map[string]any) {
				rec.Custom[k] = str(x)
			}
		}
	}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// leadJSON renders a lead as Lead View shows it: email and phone wrapped.
func leadJSON(r *fakeRec) map[string]any {
	id, _ := strconv.Atoi(r.ID)
	m := map[string]any{"id": id, "name": r.Name, "contact_lifecycle_stage_id": r.Stage, "custom_data": "[]",
		"user_id": 1, "creation_date": r.Created, "contact_tag": tagsJSON(r), "lead_sales_sequence": nil,
		"phone": nil, "email": nil, "lead_opt_in": map[string]any{"sms": r.ConsentSMS, "email": r.ConsentEmail}}
	if r.Mobile != "" {
		m["phone"] = map[string]any{"number": r.Mobile}
	}
	if r.Email != "" {
		m["email"] = map[string]any{"email": r.Email}
	}
	var custom []any
	for k, v := range r.Custom {
		custom = append(custom, map[string]any{"field_id": "x", "var": k, "value": v})
	}
	if custom != nil {
		m["custom_fields"] = custom
	}
	return m
}

// contactJSON renders a contact as Contact View shows it: plain strings.
func contactJSON(r *fakeRec) map[string]any {
	return map[string]any{"id": r.ID, "name": r.Name, "email": r.Email, "mobile_number": r.Mobile,
		"birth_date": r.BirthDate, "consent_email": r.ConsentEmail, "consent_sms": r.ConsentSMS,
		"email_status_id": 1, "creation_date": "2025-12-09T16:30:10+00:00", "contact_tag": tagsJSON(r)}
}

func tagsJSON(r *fakeRec) []any {
	out := []any{}
	for i, t := range r.Tags {
		out = append(out, map[string]any{"contact_id": r.ID, "tag": map[string]any{"id": i, "tag": t}})
	}
	return out
}
