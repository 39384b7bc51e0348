package sandbox

import (
	"crypto/subtle"
	"net/http"
	"slices"
	"time"
)

// DefaultKey is the API key every embedded sandbox accepts unless told
// otherwise, so a newcomer's first job needs no credentials.
const DefaultKey = "sandbox-key"

// DefaultUser is the user name login-based fakes accept (with DefaultKey as
// the password) unless told otherwise.
const DefaultUser = "sandbox"

// Options configure one system's fake. Each system package exports
// New(Options) returning its fake, whose Handler serves the API (behind a
// Gate) and whose methods let tests inspect and seed the data.
type Options struct {
	APIKey string // the key the fake accepts; DefaultKey when it and APIKeys are empty
	// APIKeys are more keys the fake accepts, all of one organisation
	// (which Faults.OrgRatePerSecond limits together); see Keys.
	APIKeys  []string
	Username string // for login-based auth (Closum v1); DefaultUser when empty
	Password string // idem; DefaultKey when empty

	// StatePath, when set, is where the fake keeps its records between
	// processes (JSON, written atomically). It is loaded by New and saved by
	// the fake's Save method; fakes also save at most once a second while
	// records change, so a killed process loses at most a second.
	StatePath string

	Faults Faults

	// Now is the fake's clock (record timestamps, token expiry); time.Now when nil.
	Now func() time.Time
}

// Fake is what every system's sandbox offers, so the CLI and tests can start
// any of them the same way. System packages add their own methods to
// inspect and seed data.
type Fake interface {
	// ServeHTTP serves the whole API, behind the fake's Gate.
	ServeHTTP(w http.ResponseWriter, r *http.Request)
	// Gate is the rate limit and fault injector in front of the API.
	Gate() *Gate
	// BasePath is the API root path under the server URL, e.g. "/api/v1";
	// a connector's base URL is Server.URL + BasePath().
	BasePath() string
	// Save writes the records to Options.StatePath now (no-op without one).
	Save() error
	// Close saves and stops background work.
	Close() error
}

// Keys returns the API keys a fake accepts: APIKey and APIKeys, without
// empty ones or repeats, or DefaultKey alone when none is given.
func (o Options) Keys() []string {
	var keys []string
	for _, k := range append([]string{o.APIKey}, o.APIKeys...) {
		if k != "" && !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		keys = []string{DefaultKey}
	}
	return keys
}

// KeyIn reports whether got is one of keys, comparing with every key in
// constant time so that timing tells nothing about any of them.
func KeyIn(keys []string, got string) bool {
	found := 0
	for _, k := range keys {
		found |= subtle.ConstantTimeCompare([]byte(got), []byte(k))
	}
	return found == 1
}
