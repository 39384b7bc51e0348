package closem

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

// basePath is the company base URL's path: the API lives at /?m=api.
const basePath = "/"

// Fake is an in-process CLOSEM API. It is safe for concurrent use.
type Fake struct {
	key  string
	now  func() time.Time
	path string
	gate *sandbox.Gate

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

// New returns a CLOSEM fake accepting opt.APIKey (sandbox.DefaultKey when
// empty), loading its records from opt.StatePath when that file exists.
func New(opt sandbox.Options) *Fake {
	f := &Fake{key: opt.APIKey, now: opt.Now, path: opt.StatePath}
	if f.key == "" {
		f.key = sandbox.DefaultKey
	}
	if f.now == nil {
		f.now = time.Now
	}
	var s state
	if f.path != "" {
		if err := sandbox.LoadJSON(f.path, &s); err != nil {
			f.loadErr = fmt.Errorf("closem sandbox: %w", err)
			s = state{}
		}
	}
	f.d = newData(s)
	f.gate = sandbox.NewGate(http.HandlerFunc(f.serveAPI), authOf, f.limited, opt.Faults)
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

// BasePath is "/": the company base URL, to which clients add ?m=api&auth=KEY.
func (f *Fake) BasePath() string { return basePath }

// authOf is the Gate's rate-limit key: CLOSEM authenticates by the auth
// query parameter.
func authOf(r *http.Request) string { return r.URL.Query().Get("auth") }

func (f *Fake) authorized(r *http.Request) bool {
	got := authOf(r)
	return subtle.ConstantTimeCompare([]byte(got), []byte(f.key)) == 1
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
		return fmt.Errorf("closem sandbox: %w", err)
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
