package report

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/crmload/crmload/internal/connector"
)

// FuzzReport feeds arbitrary bytes as a report to the reader and to
// Resume: neither may panic or loop, and what Resume leaves (after one more
// line) must be whole, valid lines that its keep accepted. Seeds are in
// testdata/fuzz/FuzzReport.
func FuzzReport(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(fuzzDir(t), "r.csv")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		hdr := header
		if r, err := Open(path); err == nil {
			hdr = slices.Clone(r.Header())
			// Each line read takes at least one byte: more calls than
			// bytes would be a loop.
			for i := 0; ; i++ {
				if i > len(data)+1 {
					t.Fatal("Next does not reach io.EOF")
				}
				if _, err := r.Next(); errors.Is(err, io.EOF) {
					break
				}
			}
			r.Close()
		}

		odd := func(l Line) bool { return l.Row%2 == 1 }
		w, _, err := Resume(path, hdr, odd)
		if err != nil {
			return
		}
		if err := w.Write(Line{Row: 1, Status: connector.Created, Values: make([]string, len(hdr))}); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(nil); err != nil {
			t.Fatal(err)
		}
		after, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasSuffix(after, []byte("\n")) {
			t.Fatalf("report after Resume does not end a line:\n%q", after)
		}
		n := 0
		err = Read(path, func(_ []string, l Line) error {
			n++
			if !odd(l) || l.Rest {
				t.Errorf("Resume kept %+v, which keep rejects", l)
			}
			return nil
		})
		if err != nil || n == 0 {
			t.Fatalf("report after Resume: %d lines, %v:\n%q", n, err, after)
		}
	})
}

// fuzzDir returns a temporary directory, in memory where the system has
// one: Resume and Close fsync a few times per input, which on a busy disk
// left the fuzzer some 500 inputs in 20 s instead of tens of thousands.
func fuzzDir(t *testing.T) string {
	if d, err := os.MkdirTemp("/dev/shm", "crmload-fuzz-"); err == nil {
		t.Cleanup(func() { os.RemoveAll(d) })
		return d
	}
	return t.TempDir()
}
