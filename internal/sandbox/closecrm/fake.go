package closecrm

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/crmload/crmload/internal/sandbox"
)

// basePath is the API root under the server URL.
const basePath = "/api/v1"

// DefaultMaxSkip is the largest _skip a list accepts unless SetMaxSkip says
// otherwise. The doc only says a per-resource maximum exists.
const DefaultMaxSkip = 250_000

// maxLimit is the largest _limit of the lead and contact lists; the doc's
// paging example uses 100 and says a larger one is refused with a 400.
const maxLimit = 100

// maxBody caps a request body; Close documents no size, this only protects
// the sandbox.
const maxBody = 10 << 20

// Fake is an in-process imitation of the Close REST API v1. It is safe for
// concurrent use. Its records live in memory and, when Options.StatePath is
// set, in a JSON file saved atomically.
type Fake struct {
	keys []string // the organisation's API keys
	now  func() time.Time
	gate *sandbox.Gate

	mu        sync.Mutex
	data      store
	exports   map[string]*exportJob // in memory only: not in the state file
	generated int                   // SetGenerated: serve this many generated leads
	maxSkip   int
	queryHit  queryCache

	// saver keeps the records in Options.StatePath; a state file that could
	// not be read is never overwritten, except after Reset.
	saver  *sandbox.Saver
	closed atomic.Bool // a Close after the first saves again
}

var _ sandbox.Fake = (*Fake)(nil)

// New returns a Close fake configured by opt, loading opt.StatePath when it
// exists. A state file that cannot be read leaves the fake empty and makes
// Save fail rather than overwrite it (Reset clears that).
func New(opt sandbox.Options) *Fake {
	f := &Fake{
		keys:    opt.Keys(),
		now:     opt.Now,
		exports: map[string]*exportJob{},
		maxSkip: DefaultMaxSkip,
	}
	if f.now == nil {
		f.now = time.Now
	}
	f.gate = sandbox.NewGate(http.HandlerFunc(f.serveAPI), basicUser, f.limited, opt.Faults)
	f.gate.SetOrgKeys(f.keys)
	f.saver = sandbox.NewSaver(opt.StatePath, f.snapshot)
	f.data = newStore(f.clock())
	f.data.saver = f.saver
	f.load()
	return f
}

// ServeHTTP serves the API behind the Gate.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) { f.gate.ServeHTTP(w, r) }

// Gate is the rate limit and fault injector in front of the API.
func (f *Fake) Gate() *sandbox.Gate { return f.gate }

// BasePath is "/api/v1".
func (f *Fake) BasePath() string { return basePath }

// SetFaults changes the Gate's faults, as Gate().SetFaults does: the rate
// headers and 429 bodies report what the Gate counts.
func (f *Fake) SetFaults(fl sandbox.Faults) { f.gate.SetFaults(fl) }

// SetMaxSkip changes the largest _skip the lists accept (DefaultMaxSkip).
func (f *Fake) SetMaxSkip(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.maxSkip = n
}

// clock returns the fake's time, truncated to the microseconds Close shows so
// that timestamps survive a round trip through the wire format.
func (f *Fake) clock() time.Time { return f.now().UTC().Truncate(time.Microsecond) }

// basicUser is the rate-limit key: Close limits per API key, which is the
// basic-auth username.
func basicUser(r *http.Request) string {
	u, _, _ := r.BasicAuth()
	return u
}

// call is one API request after routing.
type call struct {
	w      http.ResponseWriter
	r      *http.Request
	method string
	query  url.Values
	body   map[string]json.RawMessage
}

func (f *Fake) serveAPI(w http.ResponseWriter, r *http.Request) {
	if name, ok := strings.CutPrefix(r.URL.Path, storagePath); ok {
		f.download(w, r, name)
		return
	}
	user, pass, ok := r.BasicAuth()
	if !ok || pass != "" || !sandbox.KeyIn(f.keys, user) {
		// Close answers 401 for a missing or wrong key; the body shape is
		// not documented, the {"error": …} form is the one it uses elsewhere.
		w.Header().Set("WWW-Authenticate", `Basic realm="Close API"`)
		writeError(w, http.StatusUnauthorized, "The API key is missing or invalid.")
		return
	}
	rateHeaders(w, r)

	path, ok := strings.CutPrefix(r.URL.Path, basePath+"/")
	// Every documented URL ends in "/"; without it the sandbox answers 404
	// rather than redirect (a redirected POST would turn into a GET).
	if !ok || !strings.HasSuffix(path, "/") {
		writeError(w, http.StatusNotFound, "Not found.")
		return
	}
	c := &call{w: w, r: r, method: r.Method, query: r.URL.Query()}
	if o := r.Header.Get("X-Http-Method-Override"); o != "" && r.Method == http.MethodPost {
		c.method = strings.ToUpper(o)
	}
	h, allowed := f.route(strings.Split(strings.TrimSuffix(path, "/"), "/"))
	if h == nil {
		writeError(w, http.StatusNotFound, "Not found.")
		return
	}
	if !allowed[c.method] {
		w.Header().Set("Allow", allowList(allowed))
		writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("Method %s not allowed.", c.method))
		return
	}
	if !f.readBody(c) {
		return
	}
	h(c)
}

type handler func(*call)

// route maps a path (split on "/", without the base) to its handler and
// the methods it allows.
func (f *Fake) route(p []string) (handler, map[string]bool) {
	get := map[string]bool{http.MethodGet: true}
	list := map[string]bool{http.MethodGet: true, http.MethodPost: true}
	one := map[string]bool{http.MethodGet: true, http.MethodPut: true, http.MethodDelete: true}
	switch {
	case len(p) == 1 && p[0] == "me":
		return f.getMe, get
	case len(p) == 1 && p[0] == "lead":
		return func(c *call) { ifMethod(c, f.listLeads, f.createLead, nil, nil) }, list
	case len(p) == 2 && p[0] == "lead":
		id := p[1]
		return func(c *call) {
			ifMethod(c, func(c *call) { f.getLead(c, id) }, nil,
				func(c *call) { f.updateLead(c, id) }, func(c *call) { f.deleteLead(c, id) })
		}, one
	case len(p) == 1 && p[0] == "contact":
		return func(c *call) { ifMethod(c, f.listContacts, f.createContact, nil, nil) }, list
	case len(p) == 2 && p[0] == "contact":
		id := p[1]
		return func(c *call) {
			ifMethod(c, func(c *call) { f.getContact(c, id) }, nil,
				func(c *call) { f.updateContact(c, id) }, func(c *call) { f.deleteContact(c, id) })
		}, one
	case len(p) == 2 && p[0] == "custom_field" && (p[1] == "lead" || p[1] == "contact"):
		obj := p[1]
		return func(c *call) {
			ifMethod(c, func(c *call) { f.listFields(c, obj) }, func(c *call) { f.createField(c, obj) }, nil, nil)
		}, list
	case len(p) == 3 && p[0] == "custom_field" && (p[1] == "lead" || p[1] == "contact"):
		obj, id := p[1], p[2]
		return func(c *call) {
			ifMethod(c, func(c *call) { f.getField(c, obj, id) }, nil,
				func(c *call) { f.updateField(c, obj, id) }, func(c *call) { f.deleteField(c, obj, id) })
		}, one
	case len(p) == 2 && p[0] == "status" && p[1] == "lead":
		return f.listStatuses, get
	case len(p) == 1 && p[0] == "export":
		return f.listExports, get
	case len(p) == 2 && p[0] == "export" && p[1] == "lead":
		return f.createExport, map[string]bool{http.MethodPost: true}
	case len(p) == 2 && p[0] == "export":
		id := p[1]
		return func(c *call) { f.getExport(c, id) }, get
	}
	return nil, nil
}

func ifMethod(c *call, get, post, put, del handler) {
	switch c.method {
	case http.MethodGet:
		get(c)
	case http.MethodPost:
		post(c)
	case http.MethodPut:
		put(c)
	case http.MethodDelete:
		del(c)
	}
}

func allowList(m map[string]bool) string {
	var out []string
	for _, k := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
		if m[k] {
			out = append(out, k)
		}
	}
	return strings.Join(out, ", ")
}

// readBody decodes a POST/PUT body (and a GET sent as POST with
// x-http-method-override, whose parameters come in "_params"). It answers
// 415 for anything but JSON and 400 for malformed JSON.
func (f *Fake) readBody(c *call) bool {
	if c.r.Method != http.MethodPost && c.r.Method != http.MethodPut {
		return true
	}
	mt, _, err := mime.ParseMediaType(c.r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		writeError(c.w, http.StatusUnsupportedMediaType, "Unsupported media type; send application/json.")
		return false
	}
	b, err := io.ReadAll(http.MaxBytesReader(c.w, c.r.Body, maxBody))
	if err != nil {
		writeError(c.w, http.StatusBadRequest, "Could not read the request body.")
		return false
	}
	if err := json.Unmarshal(b, &c.body); err != nil || c.body == nil {
		writeError(c.w, http.StatusBadRequest, "The request body must be a JSON object.")
		return false
	}
	if c.method == http.MethodGet {
		if raw, ok := c.body["_params"]; ok {
			var params map[string]any
			if err := json.Unmarshal(raw, &params); err != nil {
				writeError(c.w, http.StatusBadRequest, "_params must be a JSON object.")
				return false
			}
			for k, v := range params {
				c.query.Set(k, paramText(v))
			}
		}
		c.body = nil
	}
	return true
}

func paramText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = paramText(e)
		}
		return strings.Join(parts, ",")
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error": "Internal error."}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, ErrorBody{Error: msg})
}

// errBadRequest is a request-level 400 ({"error": …}), as opposed to a
// validation 400 ({"errors", "field-errors"}).
type errBadRequest string

func (e errBadRequest) Error() string { return string(e) }

// writeErr answers err: a *validation as a validation 400, an errBadRequest
// as a plain 400, errNotFound as a 404.
func writeErr(w http.ResponseWriter, err error) {
	var v *validation
	var br errBadRequest
	switch {
	case errors.As(err, &v):
		writeJSON(w, http.StatusBadRequest, v.body())
	case errors.As(err, &br):
		writeError(w, http.StatusBadRequest, string(br))
	case errors.Is(err, errNotFound):
		writeError(w, http.StatusNotFound, "Not found.")
	default:
		writeError(w, http.StatusInternalServerError, "Internal error.")
	}
}

// errNotFound marks a missing object.
var errNotFound = errors.New("not found")
