package sandbox

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// Saver keeps a fake's records in its state file: the fake marks a change
// with Changed, the Saver writes a snapshot at most once a second while
// there are changes, and Close writes the last one. A state file that would
// not load is never overwritten (the fake reports that with LoadFailed),
// until Reset.
type Saver struct {
	path     string
	snapshot func() any // the records to save; the fake takes its own lock

	saveMu  sync.Mutex // orders snapshots and renames
	dirty   atomic.Bool
	loadErr atomic.Pointer[error]

	stop, done chan struct{}
	closeOnce  sync.Once
	closeErr   error
}

// NewSaver returns a Saver writing snapshot() to path (with SaveJSON: a
// JSONWriter writes itself) every second while dirty (less often when a
// save is slow); with no path it does nothing.
func NewSaver(path string, snapshot func() any) *Saver {
	s := &Saver{path: path, snapshot: snapshot}
	if path != "" {
		s.stop, s.done = make(chan struct{}), make(chan struct{})
		go s.loop()
	}
	return s
}

// Load reads the state file into v; a missing file, or no path, leaves v
// untouched. A file that will not load is never overwritten (as after
// LoadFailed), and Load returns why.
func (s *Saver) Load(v any) error {
	return s.LoadStream(func(r io.Reader) error { return DecodeStream(r, v) })
}

// LoadStream is Load for a fake that reads its state file itself, piece by
// piece (see ReadObject): read gets the file's content.
func (s *Saver) LoadStream(read func(io.Reader) error) error {
	if s.path == "" {
		return nil
	}
	if err := LoadStream(s.path, read); err != nil {
		s.LoadFailed(err)
		return err
	}
	return nil
}

// Changed marks the records as changed since the last save.
func (s *Saver) Changed() { s.dirty.Store(true) }

// LoadFailed records that the state file would not load: it is then never
// overwritten, so no records are lost to a bad read.
func (s *Saver) LoadFailed(err error) { s.loadErr.Store(&err) }

// Reset forgets a load failure: the next save replaces the file.
func (s *Saver) Reset() {
	s.loadErr.Store(nil)
	s.Changed()
}

// Save writes the records now.
func (s *Saver) Save() error {
	if s.path == "" {
		return nil
	}
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	if p := s.loadErr.Load(); p != nil {
		return fmt.Errorf("not overwriting unreadable state %s (reset to clear it): %w", s.path, *p)
	}
	// Cleared before the snapshot: a change made while it is taken marks
	// the records dirty again and is saved next time.
	s.dirty.Store(false)
	if err := SaveJSON(s.path, s.snapshot()); err != nil {
		s.dirty.Store(true)
		return err
	}
	return nil
}

// loop saves while dirty, a second after the last save ended or twice as
// long as that save took, whichever is longer, so that saving a large state
// never takes more than a third of the time.
func (s *Saver) loop() {
	defer close(s.done)
	t := time.NewTimer(time.Second)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		wait := time.Second
		if s.dirty.Load() && s.loadErr.Load() == nil {
			began := time.Now()
			_ = s.Save() // retried next time; Close reports a lasting failure
			wait = max(wait, 2*time.Since(began))
		}
		t.Reset(wait)
	}
}

// Close stops the background saves and saves once more; calling it again
// returns the first result.
func (s *Saver) Close() error {
	s.closeOnce.Do(func() {
		if s.stop != nil {
			close(s.stop)
			<-s.done
		}
		s.closeErr = s.Save()
	})
	return s.closeErr
}

// EncodeLocked returns a snapshot function for NewSaver that writes
// state() as JSON (EncodeStream) while holding mu, for a fake whose records
// may change as soon as its lock is released. The lock is held while the
// state is written to the temporary file, not while it is synced; an
// encoding error fails the Save.
func EncodeLocked(mu sync.Locker, state func() any) func() any {
	return func() any { return lockedState{mu, state} }
}

// lockedState writes a fake's state under its lock.
type lockedState struct {
	mu    sync.Locker
	state func() any
}

func (l lockedState) WriteJSON(w io.Writer) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := EncodeStream(w, l.state()); err != nil {
		return fmt.Errorf("encode sandbox state: %w", err)
	}
	return nil
}
