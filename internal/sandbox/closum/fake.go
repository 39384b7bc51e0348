package closum

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/crmload/crmload/internal/sandbox"
)

const (
	basePath = "/v2"

	// timeLayout is how the examples write dates: "2025-10-24T15:45:15+01:00"
	// (an offset, never "Z", so not time.RFC3339).
	timeLayout = "2006-01-02T15:04:05-07:00"

	defaultStage  = 1 // contact_lifecycle_stage_id of a new lead (the examples show 1)
	apiSourceID   = 15
	defaultUserID = 1 // the account owner, as in the Lead List example
)

// Fake is an in-process Closum API v2. It is safe for concurrent use.
type Fake struct {
	keys []string
	now  func() time.Time
	gate *sandbox.Gate
	api  []route

	mu sync.Mutex
	d  *data

	// saver keeps the records in Options.StatePath; a state file that would
	// not load is never overwritten, except after Reset.
	saver *sandbox.Saver
}

var _ sandbox.Fake = (*Fake)(nil)

// New returns a Closum v2 fake accepting opt.Keys() (sandbox.DefaultKey when
// none is given), loading its records from opt.StatePath when that file exists.
func New(opt sandbox.Options) *Fake {
	f := &Fake{keys: opt.Keys(), now: opt.Now, api: routes()}
	if f.now == nil {
		f.now = time.Now
	}
	f.saver = sandbox.NewSaver(opt.StatePath, sandbox.EncodeLocked(&f.mu, func() any { return f.d.state() }))
	var s state
	if f.saver.Load(&s) != nil {
		s = state{} // start empty; the saver leaves the file alone
	}
	if len(s.Fields) == 0 && s.NextSeq == 0 {
		s.Fields = seedFields(f.now())
	}
	f.d = newData(s)
	f.gate = sandbox.NewGate(http.HandlerFunc(f.serveAPI), apiKeyOf, f.limited, opt.Faults)
	return f
}

// ServeHTTP serves the API behind the Gate.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) { f.gate.ServeHTTP(w, r) }

// Gate is the rate limit and fault injector in front of the API.
func (f *Fake) Gate() *sandbox.Gate { return f.gate }

// BasePath is "/v2", the collection's version path.
func (f *Fake) BasePath() string { return basePath }

// apiKeyOf is the Gate's rate-limit key: Closum authenticates by the
// api-key query parameter.
func apiKeyOf(r *http.Request) string { return r.URL.Query().Get("api-key") }

func (f *Fake) authorized(r *http.Request) bool {
	got := apiKeyOf(r)
	return sandbox.KeyIn(f.keys, got)
}

// limited answers a rate-limited request. The collection documents no rate
// limit; this is HTTP 429 with the usual error envelope (code 429) and a
// Retry-After in whole seconds. The bare form imitates the Cloudflare edge
// the examples' headers show: 429, no body, no Retry-After.
func (f *Fake) limited(w http.ResponseWriter, _ *http.Request, reset time.Duration, bare bool) {
	if bare {
		w.WriteHeader(http.StatusTooManyRequests)
		return
	}
	secs := max(int(math.Ceil(reset.Seconds())), 1)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	f.fail(w, http.StatusTooManyRequests, "Too Many Requests")
}

func (f *Fake) stamp(t time.Time) string { return t.UTC().Format(timeLayout) }

// reply writes env. Nothing from the request URL is ever written back, so
// the api-key in it cannot leak into a body.
func (f *Fake) reply(w http.ResponseWriter, status int, env envelope) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(env) // the client went away; nothing to do
}

func (f *Fake) ok(w http.ResponseWriter, responseData any) {
	f.reply(w, http.StatusOK, envelope{Status: true, Code: http.StatusOK, ResponseData: responseData,
		Message: []string{"success"}, Errors: []string{}, Timestamp: f.stamp(f.now())})
}

// fail writes the documented error envelope. Application errors (auth,
// validation, not found, duplicates) use status 200, as the "Invalid API
// Key" example does.
func (f *Fake) fail(w http.ResponseWriter, status int, errs ...string) {
	f.reply(w, status, envelope{Status: false, Code: status, ResponseData: []any{},
		Message: []string{}, Errors: errs, Timestamp: f.stamp(f.now())})
}

// Save writes the records to the state file now (no-op without one).
func (f *Fake) Save() error { return f.saver.Save() }

// Close stops the background saver and saves. Calling it again returns the
// first result.
func (f *Fake) Close() error { return f.saver.Close() }
