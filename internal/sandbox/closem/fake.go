package closem

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/crmload/crmload/internal/sandbox"
)

// basePath is the company base URL's path: the API lives at /?m=api.
const basePath = "/"

// Fake is an in-process CLOSEM API. It is safe for concurrent use.
type Fake struct {
	keys []string
	now  func() time.Time
	gate *sandbox.Gate

	mu sync.Mutex
	d  *data

	// saver keeps the records in Options.StatePath; a state file that would
	// not load is never overwritten, except after Reset.
	saver *sandbox.Saver
}

var _ sandbox.Fake = (*Fake)(nil)

// New returns a CLOSEM fake accepting opt.Keys() (sandbox.DefaultKey when
// none is given), loading its records from opt.StatePath when that file exists.
func New(opt sandbox.Options) *Fake {
	f := &Fake{keys: opt.Keys(), now: opt.Now}
	if f.now == nil {
		f.now = time.Now
	}
	f.saver = sandbox.NewSaver(opt.StatePath, sandbox.EncodeLocked(&f.mu, func() any { return f.d.state() }))
	var s state
	if f.saver.Load(&s) != nil {
		s = state{} // start empty; the saver leaves the file alone
	}
	f.d = newData(s)
	f.gate = sandbox.NewGate(http.HandlerFunc(f.serveAPI), authOf, f.limited, opt.Faults)
	return f
}

// ServeHTTP serves the API behind the Gate.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) { f.gate.ServeHTTP(w, r) }

// Gate is the rate limit and fault injector in front of the API.
func (f *Fake) Gate() *sandbox.Gate { return f.gate }

// BasePath is "/": the company base URL, to which clients add ?m=api&auth=KEY.
func (f *Fake) BasePath() string { return basePath }

// authOf is the Gate's rate-limit key: CLOSEM authenticates by the auth
// query parameter.
func authOf(r *http.Request) string { return r.URL.Query().Get("auth") }

func (f *Fake) authorized(r *http.Request) bool {
	got := authOf(r)
	return sandbox.KeyIn(f.keys, got)
}

// limited answers a rate-limited request: 429 with the error body and a
// Retry-After in whole seconds, or a bare 429 as a proxy in front might send.
func (f *Fake) limited(w http.ResponseWriter, _ *http.Request, reset time.Duration, bare bool) {
	if bare {
		w.WriteHeader(http.StatusTooManyRequests)
		return
	}
	secs := max(int(math.Ceil(reset.Seconds())), 1)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	f.fail(w, http.StatusTooManyRequests, "Too many requests")
}

// reply writes v as JSON. Nothing from the request URL is ever written
// back, so the key cannot leak into a body.
func (f *Fake) reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the client went away; nothing to do
}

// fail writes {"success": false, "error": msg}.
func (f *Fake) fail(w http.ResponseWriter, status int, msg string) {
	f.reply(w, status, failure{Success: false, Error: msg})
}

// Save writes the records to the state file now (no-op without one).
func (f *Fake) Save() error { return f.saver.Save() }

// Close stops the background saver and saves. Calling it again returns the
// first result.
func (f *Fake) Close() error { return f.saver.Close() }
