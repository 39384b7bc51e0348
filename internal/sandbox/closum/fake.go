package closum

import (
	"crypto/subtle"
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
	key  string
	now  func() time.Time
	path string
	gate *sandbox.Gate
	api  []route

	mu      sync.Mutex
	d       *data
	dirty   bool
	loadErr error // a state file that would not load is never overwritten, except after Reset

	saveMu    sync.Mutex // orders snapshots and renames
	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error
}

var _ sandbox.Fake = (*Fake)(nil)

// New returns a Closum v2 fake accepting opt.APIKey (sandbox.DefaultKey when
// empty), loading its records from opt.StatePath when that file exists.
func New(opt sandbox.Options) *Fake {
	f := &Fake{key: opt.APIKey, now: opt.Now, path: opt.StatePath, api: routes()}
	if f.key == "" {
		f.key = sandbox.DefaultKey
	}
	if f.now == nil {
		f.now = time.Now
	}
	var s state
	if f.path != "" {
		if err := sandbox.LoadJSON(f.path, &s); err != nil {
			f.loadErr = fmt.Errorf("closum sandbox: %w", err)
			s = state{}
		}
	}
	if len(s.Fields) == 0 && s.NextSeq == 0 {
		s.Fields = seedFields(f.now())
	}
	f.d = newData(s)
	f.gate = sandbox.NewGate(http.HandlerFunc(f.serveAPI), apiKeyOf, f.limited, opt.Faults)
	if f.path != "" {
		f.stop, f.done = make(chan struct{}), make(chan struct{})
		go f.saveLoop()
	}
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
	return subtle.ConstantTimeCompare([]byte(got), []byte(f.key)) == 1
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
func (f *Fake) Save() error {
	if f.path == "" {
		return nil
	}
	f.saveMu.Lock()
	defer f.saveMu.Unlock()
	f.mu.Lock()
	if f.loadErr != nil {
		err := f.loadErr
		f.mu.Unlock()
		return fmt.Errorf("not overwriting unreadable state (reset to clear it): %w", err)
	}
	b, err := json.Marshal(f.d.state())
	f.dirty = false
	f.mu.Unlock()
	if err == nil {
		err = sandbox.SaveJSON(f.path, json.RawMessage(b))
	}
	if err != nil {
		f.mu.Lock()
		f.dirty = true
		f.mu.Unlock()
		return fmt.Errorf("closum sandbox: %w", err)
	}
	return nil
}

// saveLoop saves at most once a second while records change.
func (f *Fake) saveLoop() {
	defer close(f.done)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-f.stop:
			return
		case <-t.C:
			f.mu.Lock()
			dirty := f.dirty && f.loadErr == nil
			f.mu.Unlock()
			if dirty {
				_ = f.Save() // retried next tick; Close reports a lasting failure
			}
		}
	}
}

// Close stops the background saver and saves. Calling it again returns the
// first result.
func (f *Fake) Close() error {
	f.closeOnce.Do(func() {
		if f.stop != nil {
			close(f.stop)
			<-f.done
		}
		f.closeErr = f.Save()
	})
	return f.closeErr
}

// changed marks the records dirty; callers hold f.mu.
func (f *Fake) changed() { f.dirty = true }
