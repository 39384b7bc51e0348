package connector

import "sync"

// KeyLocks serialises work that shares a key while letting other keys run
// in parallel: the runner uses it for rows sharing a match-key value, and a
// connector for records that must not be created twice by two workers at
// once (two contacts of one new company creating its lead twice). The zero
// value is ready to use.
type KeyLocks struct {
	mu    sync.Mutex
	locks map[string]*keyLock
}

type keyLock struct {
	mu   sync.Mutex
	refs int
}

// Lock takes the lock of key and returns its release; "" locks nothing.
func (k *KeyLocks) Lock(key string) (unlock func()) {
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
