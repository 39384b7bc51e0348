package closumv1

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/crmload/crmload/internal/sandbox"
)

const (
	basePath = "/api"

	// timeLayout is how the examples write dates: "2018-05-11T17:20:43+00:00"
	// (an offset, never "Z", so not time.RFC3339). Always UTC here.
	timeLayout = "2006-01-02T15:04:05-07:00"
)

// Fake is an in-process Closum API v1. It is safe for concurrent use.
type Fake struct {
	user      string
	passwords []string // api_pw values accepted
	now       func() time.Time
	gate      *sandbox.Gate
	api       []route
	secret    []byte // signs tokens; new per Fake, so tokens never outlive it

	tokMu  sync.Mutex
	tokens map[string]tokenRec
	ttl    time.Duration
	issues int

	mu sync.Mutex
	d  *data

	// saver keeps the records in Options.StatePath; a state file that would
	// not load is never overwritten, except after Reset.
	saver *sandbox.Saver
}

var _ sandbox.Fake = (*Fake)(nil)

// New returns a Closum v1 fake accepting opt.Username and opt.Password
// (sandbox.DefaultUser and sandbox.DefaultKey when empty), or any of
// opt.APIKeys as the password, loading its
// records from opt.StatePath when that file exists.
func New(opt sandbox.Options) *Fake {
	// The password plays the API key's part; extra keys are more passwords.
	pw := sandbox.Options{APIKey: opt.Password, APIKeys: opt.APIKeys}.Keys()
	f := &Fake{user: opt.Username, passwords: pw, now: opt.Now,
		api: routes(), tokens: map[string]tokenRec{}, ttl: DefaultTokenTTL, secret: make([]byte, 32)}
	if f.user == "" {
		f.user = sandbox.DefaultUser
	}
	if f.now == nil {
		f.now = time.Now
	}
	_, _ = rand.Read(f.secret) // crypto/rand.Read never fails on supported platforms
	f.saver = sandbox.NewSaver(opt.StatePath, sandbox.EncodeLocked(&f.mu, func() any { return f.d.state() }))
	var s state
	if f.saver.Load(&s) != nil {
		s = state{} // start empty; the saver leaves the file alone
	}
	if len(s.ContactTypes) == 0 && s.NextContactType == 0 {
		s.ContactTypes = seedContactTypes(f.now())
	}
	f.d = newData(s)
	f.gate = sandbox.NewGate(http.HandlerFunc(f.serveAPI), f.rateKey, f.limited, opt.Faults)
	return f
}

// ServeHTTP serves the API behind the Gate.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) { f.gate.ServeHTTP(w, r) }

// Gate is the rate limit and fault injector in front of the API.
func (f *Fake) Gate() *sandbox.Gate { return f.gate }

// BasePath is "/api", the root of every documented URL.
func (f *Fake) BasePath() string { return basePath }

// limited answers a rate-limited request. The doc documents no rate limit
// (its error table even drops 429): this is HTTP 429 with the usual error
// body and a Retry-After in whole seconds. The bare form is what a proxy in
// front may send: 429, no body, no Retry-After.
func (f *Fake) limited(w http.ResponseWriter, r *http.Request, reset time.Duration, bare bool) {
	if bare {
		w.WriteHeader(http.StatusTooManyRequests)
		return
	}
	secs := max(int(math.Ceil(reset.Seconds())), 1)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	f.fail(w, r, http.StatusTooManyRequests, "Too Many Requests")
}

func stamp(t time.Time) string { return t.UTC().Format(timeLayout) }

func (f *Fake) reply(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(body) // the client went away; nothing to do
}

func (f *Fake) ok(w http.ResponseWriter, status int, data any) {
	f.reply(w, status, okEnvelope{Success: true, Data: data})
}

func (f *Fake) okList(w http.ResponseWriter, data any, p pagination) {
	f.reply(w, http.StatusOK, okEnvelope{Success: true, Data: data, Pagination: &p})
}

// fail writes the error body. url is the request path only: nothing from
// the query, headers or body (token, password) is ever written back.
func (f *Fake) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	f.reply(w, status, errEnvelope{Data: errData{Message: msg, URL: r.URL.Path, Code: status}})
}

// invalid writes a validation failure: HTTP 400 (the doc's "Your request
// is invalid"), with Crud's message, errorCount and the nested errors.
func (f *Fake) invalid(w http.ResponseWriter, r *http.Request, c *checker) {
	msg := "A validation error occurred"
	if c.n > 1 {
		msg = fmt.Sprintf("%d validation errors occurred", c.n)
	}
	f.reply(w, http.StatusBadRequest, errEnvelope{Data: errData{Message: msg, URL: r.URL.Path,
		Code: http.StatusBadRequest, ErrorCount: c.n, Errors: c.errs}})
}

func (f *Fake) notFound(w http.ResponseWriter, r *http.Request) {
	f.fail(w, r, http.StatusNotFound, "Not found")
}

// Save writes the records to the state file now (no-op without one).
// Tokens are not saved: a restarted sandbox asks clients to log in again.
func (f *Fake) Save() error { return f.saver.Save() }

// Close stops the background saver and saves. Calling it again returns the
// first result.
func (f *Fake) Close() error { return f.saver.Close() }
