package qlara

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/crmload/crmload/internal/sandbox"
)

// basePath is the API root under the server URL.
const basePath = "/api/partner-gateway/v1"

// storagePath serves export files: the "pre-signed storage URL" the API
// hands out, so it needs no API key.
const storagePath = "/sandbox-storage/exports/"

// maxBody caps JSON request bodies; uploads have their own cap.
const maxBody = 8 << 20

// Fake is the Qlara Platform API sandbox. It is safe for concurrent use.
type Fake struct {
	keys []string
	now  func() time.Time
	path string // state file; "" keeps records in memory only
	gate *sandbox.Gate
	mux  *http.ServeMux

	mu           sync.Mutex
	st           *store
	generated    int // SetGenerated: list this many computed contacts
	listAddCalls int
	uploadCalls  int
	loadErr      error // why New moved the state file aside, if it did

	saver     *sandbox.Saver
	closeOnce sync.Once // a Close after the first returns nil
}

var _ sandbox.Fake = (*Fake)(nil)

// New returns a Qlara fake configured by opt. Records are loaded from
// opt.StatePath when it exists; a file that cannot be read is moved aside to
// StatePath+".corrupt" (see LoadErr) and the fake starts empty.
func New(opt sandbox.Options) *Fake {
	f := &Fake{keys: opt.Keys(), now: opt.Now, path: opt.StatePath}
	f.saver = sandbox.NewSaver(f.path, f.snapshot)
	f.st = newStore(f.saver)
	if f.now == nil {
		f.now = time.Now
	}
	f.mux = f.routes()
	f.gate = sandbox.NewGate(http.HandlerFunc(f.serve), rateKey, limited, opt.Faults)
	if f.path != "" {
		if err := f.load(); err != nil {
			f.loadErr = err
		}
	}
	return f
}

// ServeHTTP serves the API behind the Gate.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) { f.gate.ServeHTTP(w, r) }

// Gate returns the rate limit and fault injector in front of the API.
func (f *Fake) Gate() *sandbox.Gate { return f.gate }

// BasePath returns "/api/partner-gateway/v1".
func (f *Fake) BasePath() string { return basePath }

// LoadErr reports why the state file could not be loaded by New, if it could not.
func (f *Fake) LoadErr() error { return f.loadErr }

// rateKey is the per-key rate-limit bucket: the X-API-Key header as sent.
func rateKey(r *http.Request) string { return r.Header.Get("X-API-Key") }

// limited answers 429 the way bucket4j-spring-boot-starter does by default:
// a JSON message and X-Rate-Limit-Retry-After-Seconds (whole seconds, at
// least 1). The collection documents no 429, so this is a plausible choice.
func limited(w http.ResponseWriter, _ *http.Request, reset time.Duration, bare bool) {
	if bare {
		w.WriteHeader(http.StatusTooManyRequests)
		return
	}
	secs := max(1, int(math.Ceil(reset.Seconds())))
	w.Header().Set("X-Rate-Limit-Retry-After-Seconds", strconv.Itoa(secs))
	writeJSON(w, http.StatusTooManyRequests, RateLimitedBody{Message: "Too many requests!"})
}

func (f *Fake) routes() *http.ServeMux {
	m := http.NewServeMux()
	b := basePath
	m.HandleFunc("GET "+b+"/contacts", f.findContacts)
	m.HandleFunc("POST "+b+"/contacts", f.createContact)
	m.HandleFunc("DELETE "+b+"/contacts", f.deleteContacts)
	m.HandleFunc("GET "+b+"/contacts/{id}", f.getContact)
	m.HandleFunc("PUT "+b+"/contacts/{id}", f.updateContact)
	m.HandleFunc("POST "+b+"/contacts/upload", f.upload)
	m.HandleFunc("GET "+b+"/contacts/list", f.findLists)
	m.HandleFunc("POST "+b+"/contacts/list", f.createList)
	m.HandleFunc("DELETE "+b+"/contacts/list", f.deleteLists)
	m.HandleFunc("GET "+b+"/contacts/list/{id}", f.getList)
	m.HandleFunc("PUT "+b+"/contacts/list/{id}", f.updateList)
	m.HandleFunc("GET "+b+"/contacts/list/{id}/contacts", f.findListContacts)
	m.HandleFunc("POST "+b+"/contacts/list/contacts", f.addToLists)
	m.HandleFunc("DELETE "+b+"/contacts/list/contacts", f.removeFromLists)
	m.HandleFunc("DELETE "+b+"/contacts/list/contacts/{id}", f.deleteAssociation)
	m.HandleFunc("GET "+b+"/exports", f.listExports)
	m.HandleFunc("POST "+b+"/exports/contacts", f.exportContacts)
	m.HandleFunc("GET "+b+"/exports/{id}", f.exportURL)
	m.HandleFunc("POST "+b+"/exports/{id}", f.regenerateExport)
	// Documented but not imitated: say so rather than 404.
	for _, p := range []string{"POST " + b + "/contacts/upload/vcard", "POST " + b + "/exports/delivery-reports"} {
		m.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
			writeError(w, r, &apiError{http.StatusNotImplemented, "not imitated by the sandbox"})
		})
	}
	m.HandleFunc("GET "+storagePath+"{file}", f.download)
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if allow := allowed(m, r); len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			writeError(w, r, &apiError{http.StatusMethodNotAllowed, fmt.Sprintf("method %s not supported here", r.Method)})
			return
		}
		writeError(w, r, notFound("no such endpoint: %s %s", r.Method, r.URL.Path))
	})
	return m
}

// allowed lists the methods m routes for r's path to something other than
// the catch-all, for a 405's Allow header.
func allowed(m *http.ServeMux, r *http.Request) []string {
	var out []string
	for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = method
		if _, pattern := m.Handler(probe); pattern != "/" {
			out = append(out, method)
		}
	}
	return out
}

// serve checks the API key (for every API path, known or not, as an auth
// filter in front of the routes would) and routes the request.
func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, basePath+"/") || r.URL.Path == basePath {
		got := r.Header.Get("X-API-Key")
		if got == "" || !sandbox.KeyIn(f.keys, got) {
			writeError(w, r, &apiError{http.StatusUnauthorized, "Missing or invalid API key"})
			return
		}
	}
	f.mux.ServeHTTP(w, r)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"message":"encode response"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeError answers err: its own status for an *apiError, 500 otherwise.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = &apiError{http.StatusInternalServerError, "internal error"}
	}
	writeJSON(w, ae.status, ErrorBody{Timestamp: time.Now().UTC(), Status: ae.status,
		Error: http.StatusText(ae.status), Message: ae.msg, Path: r.URL.Path})
}

// decodeBody reads a JSON object into v, strictly: unknown keys, wrong types
// and trailing data are 400s (the API's request DTOs are fixed).
func decodeBody(r *http.Request, v any) error {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return badRequest("read body: %v", err)
	}
	if len(b) > maxBody {
		return badRequest("request body larger than %d bytes", maxBody)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("invalid request body: %v", err)
	}
	if dec.More() {
		return badRequest("invalid request body: data after the JSON object")
	}
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte("null")) {
		return badRequest("invalid request body: expected a JSON object")
	}
	return nil
}

// pathID parses the {id} path segment.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, badRequest("%s: %q is not a numeric ID", name, r.PathValue(name))
	}
	return id, nil
}

// intParam parses an optional integer query parameter.
func intParam(r *http.Request, name string, def int) (int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, badRequest("%s: %q is not an integer", name, s)
	}
	return n, nil
}

// paging reads page (0-based, default 0) and limit (default 10, 1..1000).
func paging(r *http.Request) (page, limit int, err error) {
	if page, err = intParam(r, "page", 0); err != nil {
		return 0, 0, err
	}
	if limit, err = intParam(r, "limit", 10); err != nil {
		return 0, 0, err
	}
	if page < 0 {
		return 0, 0, badRequest("page must be 0 or more, got %d", page)
	}
	if limit < 1 || limit > maxLimit {
		return 0, 0, badRequest("limit must be between 1 and %d, got %d", maxLimit, limit)
	}
	return page, limit, nil
}

// maxLimit is the documented largest page size.
const maxLimit = 1000

// idsParam parses an optional comma-separated list of IDs.
func idsParam(r *http.Request, name string) ([]int64, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return nil, nil
	}
	var ids []int64
	for _, part := range strings.Split(s, ",") {
		id, err := strconv.ParseInt(strings.TrimSpace(part), 10, 64)
		if err != nil {
			return nil, badRequest("%s: %q is not a comma-separated list of IDs", name, s)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// boolParam parses an optional true/false query parameter.
func boolParam(r *http.Request, name string) (*bool, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return nil, badRequest("%s: %q is not true or false", name, s)
	}
	return &b, nil
}

// sortOrder reads sortOrder (asc or desc, default asc).
func sortOrder(r *http.Request) (desc bool, err error) {
	switch s := strings.ToLower(r.URL.Query().Get("sortOrder")); s {
	case "", "asc":
		return false, nil
	case "desc":
		return true, nil
	default:
		return false, badRequest("sortOrder: %q is not asc or desc", s)
	}
}
