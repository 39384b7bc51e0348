package sandbox

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestGate(t *testing.T) {
	var handled atomic.Int32
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handled.Add(1)
		w.Write([]byte("ok"))
	})
	limited := func(w http.ResponseWriter, r *http.Request, reset time.Duration, bare bool) {
		w.WriteHeader(http.StatusTooManyRequests)
	}
	key := func(r *http.Request) string { return r.Header.Get("K") }

	t.Run("rate limit per key", func(t *testing.T) {
		g := NewGate(api, key, limited, Faults{RatePerSecond: 0.001, Burst: 2})
		srv, err := Start(g, "")
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		codes := map[string][]int{}
		for _, k := range []string{"a", "a", "a", "b"} {
			req, _ := http.NewRequest("GET", srv.URL, nil)
			req.Header.Set("K", k)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			codes[k] = append(codes[k], resp.StatusCode)
		}
		if c := codes["a"]; c[0] != 200 || c[1] != 200 || c[2] != 429 || codes["b"][0] != 200 {
			t.Fatalf("codes = %v, want a: 200 200 429, b: 200", codes)
		}
		if _, lim, _ := g.Stats(); lim != 1 {
			t.Fatalf("limited = %d", lim)
		}
	})

	t.Run("timeout after the work is done", func(t *testing.T) {
		handled.Store(0)
		g := NewGate(api, key, limited, Faults{Timeout: 1, Hang: 5 * time.Second})
		srv, err := Start(g, "")
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		c := &http.Client{Timeout: 100 * time.Millisecond}
		if _, err := c.Get(srv.URL); err == nil {
			t.Fatal("want a timeout")
		}
		if handled.Load() != 1 {
			t.Fatalf("handled = %d, want the work done once", handled.Load())
		}
	})

	t.Run("injected 5xx fraction is seeded", func(t *testing.T) {
		count := func() int {
			g := NewGate(api, key, limited, Faults{Error5xx: 0.5, Seed: 7})
			n := 0
			for range 200 {
				if g.judge("k").verdict == fault5xx {
					n++
				}
			}
			return n
		}
		a, b := count(), count()
		if a != b || a < 60 || a > 140 {
			t.Fatalf("5xx counts %d and %d: want equal and about 100", a, b)
		}
	})
}

func TestSaveLoadJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "state.json")
	in := map[string]int{"a": 1}
	if err := SaveJSON(path, in); err != nil {
		t.Fatal(err)
	}
	var out map[string]int
	if err := LoadJSON(path, &out); err != nil || out["a"] != 1 {
		t.Fatalf("load = %v, %v", out, err)
	}
	var none map[string]int
	if err := LoadJSON(filepath.Join(t.TempDir(), "missing.json"), &none); err != nil || none != nil {
		t.Fatalf("missing file: %v, %v", none, err)
	}
}

func TestSaver(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.json")
	var mu sync.Mutex
	n := 0
	s := NewSaver(path, func() any { mu.Lock(); defer mu.Unlock(); return map[string]int{"n": n} })
	mu.Lock()
	n = 7
	mu.Unlock()
	s.Changed()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	var got map[string]int
	if err := LoadJSON(path, &got); err != nil || got["n"] != 7 {
		t.Fatalf("saved %v, %v", got, err)
	}

	// A state file that failed to load is never overwritten, until Reset.
	s = NewSaver(path, func() any { return map[string]int{"n": 0} })
	s.LoadFailed(errors.New("bad json"))
	if err := s.Save(); err == nil {
		t.Fatal("overwrote an unreadable state file")
	}
	s.Reset()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := LoadJSON(path, &got); err != nil || got["n"] != 0 {
		t.Fatalf("after reset saved %v, %v", got, err)
	}
}

func TestSaverLoad(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name      string
		content   string // "" for no file
		wantErr   bool
		wantN     int
		overwrite bool // whether Save may then replace the file
	}{
		{name: "missing file", wantN: -1, overwrite: true},
		{name: "good file", content: `{"n":3}`, wantN: 3, overwrite: true},
		{name: "unreadable file", content: `{"n":`, wantErr: true, wantN: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.name+".json")
			if tt.content != "" {
				if err := os.WriteFile(path, []byte(tt.content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			var mu sync.Mutex
			got := struct{ N int }{N: -1}
			s := NewSaver(path, EncodeLocked(&mu, func() any { return map[string]int{"n": 9} }))
			defer s.Close()
			if err := s.Load(&got); (err != nil) != tt.wantErr || got.N != tt.wantN {
				t.Fatalf("Load = %v, n %d; want error %v, n %d", err, got.N, tt.wantErr, tt.wantN)
			}
			if err := s.Save(); (err == nil) != tt.overwrite {
				t.Fatalf("Save = %v, want overwrite %v", err, tt.overwrite)
			}
			b, _ := os.ReadFile(path)
			if saved := strings.Contains(string(b), `"n":9`); saved != tt.overwrite {
				t.Fatalf("file holds %q after Save", b)
			}
		})
	}
}

// A snapshot that cannot be encoded fails the Save and leaves the file as it was.
func TestEncodeLockedError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.json")
	var mu sync.Mutex
	s := NewSaver(path, EncodeLocked(&mu, func() any { return map[string]any{"f": func() {}} }))
	if err := s.Save(); err == nil {
		t.Fatal("saved an unencodable snapshot")
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("state file written: %v", err)
	}
	if err := s.Close(); err == nil {
		t.Fatal("Close after a failed save reported nothing")
	}
}
