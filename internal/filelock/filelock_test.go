package filelock

import (
	"errors"
	"path/filepath"
	"testing"
)

func TestSecondLockFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "job.lock")
	a, err := TryLock(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := TryLock(path); !errors.Is(err, ErrLocked) {
		t.Fatalf("second lock: %v, want ErrLocked", err)
	}
	if err := a.Unlock(); err != nil {
		t.Fatal(err)
	}
	b, err := TryLock(path)
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	b.Unlock()
}
