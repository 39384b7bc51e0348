package jobs

import (
	"strings"
	"sync"

	"github.com/crmload/crmload/mapping"
)

// keyLocks serialises rows that share a match-key value: two rows for the
// same email sent at once would both find nothing and both create, which is
// exactly the duplicate an upsert exists to prevent.
type keyLocks struct {
	mu    sync.Mutex
	locks map[string]*keyLock
}

type keyLock struct {
	mu   sync.Mutex
	refs int
}

// matchKey is the row's match-key value, normalised the way CRMs compare
// (case-insensitively); "" when the row has none.
func matchKey(rec mapping.Record, match []string) string {
	var b strings.Builder
	for _, f := range match {
		v := strings.ToLower(strings.TrimSpace(rec[f]))
		if v == "" {
			continue
		}
		b.WriteString(f)
		b.WriteByte('=')
		b.WriteString(v)
		b.WriteByte(0)
	}
	return b.String()
}

// lock takes the lock of key and returns its release; "" locks nothing.
func (k *keyLocks) lock(key string) (unlock func()) {
	if key == "" {
		return func() {}
	}
	k.mu.Lock()
	if k.locks == nil {
		k.locks = map[string]*keyLock{}
	}
	l := k.locks[key]
	if l == nil {
		l = &keyLock{}
		k.locks[key] = l
	}
	l.refs++
	k.mu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		k.mu.Lock()
		if l.refs--; l.refs == 0 {
			delete(k.locks, key)
		}
		k.mu.Unlock()
	}
}
