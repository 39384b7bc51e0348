package report

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crmload/crmload/internal/connector"
)

// After the first failed write, flush or sync, every later Write, Flush and
// Close returns that error, with the report's path, so the runner stops.
func TestStickyWriteErrors(t *testing.T) {
	for _, tc := range []struct {
		name      string
		breakFile func(t *testing.T, w *Writer) // makes the writer's file fail
	}{
		{"closed fd", func(t *testing.T, w *Writer) { w.f.Close() }},
		{"full disk", func(t *testing.T, w *Writer) {
			full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
			if err != nil {
				t.Skipf("no /dev/full here: %v", err)
			}
			w.f.Close()
			w.attach(full)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "r.csv")
			w, err := Create(path, header)
			if err != nil {
				t.Fatal(err)
			}
			tc.breakFile(t, w)
			if err := w.Write(line(1, connector.Created, "")); err != nil {
				t.Fatal(err) // buffered: the failure shows at Flush
			}
			first := w.Flush()
			if first == nil {
				t.Fatal("Flush to a broken file succeeded")
			}
			if !strings.Contains(first.Error(), path) {
				t.Errorf("error %q does not name the report", first)
			}
			for i, later := range []error{
				w.Write(line(2, connector.Created, "")),
				w.Flush(),
				w.Write(line(3, connector.Created, "")),
				w.Close(nil),
			} {
				if later != first {
					t.Errorf("call %d after the failure: %v, want %v", i+1, later, first)
				}
			}
		})
	}
}

// A Write after Close fails instead of vanishing into a closed file.
func TestWriteAfterClose(t *testing.T) {
	w, err := Create(filepath.Join(t.TempDir(), "r.csv"), header)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(nil); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(line(1, connector.Created, "")); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("Write after Close: %v, want os.ErrClosed", err)
	}
}
