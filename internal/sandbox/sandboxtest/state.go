package sandboxtest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/crmload/crmload/internal/sandbox"
)

// State describes how to fill one system's fake, for Seed and Bench.
type State struct {
	N    int                               // records to store
	Open func(path string) sandbox.Fake    // a fake keeping its records in path ("" for none)
	Add  func(f sandbox.Fake, i int) error // stores record i, e.g. through f.ServeHTTP
	// Export, when set, exports every record and reads the file.
	Export func(f sandbox.Fake) error
}

// Seed stores the N records in a fake without a state file and reports the
// heap it keeps for them; the fake is closed before Seed returns.
func (s State) Seed(tb testing.TB) Heap {
	tb.Helper()
	var f sandbox.Fake
	h := Measure(func() {
		f = s.Open("")
		s.seed(tb, f)
	})
	runtime.KeepAlive(f)
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return h
}

func (s State) seed(tb testing.TB, f sandbox.Fake) {
	tb.Helper()
	for i := range s.N {
		if err := s.Add(f, i); err != nil {
			tb.Fatalf("record %d: %v", i, err)
		}
	}
}

// Bench measures the records' heap at every stage of a state file's life:
// seeded (saving in the background), saved, loaded back by a new fake, and
// exported when Export is set. It logs and reports the figures.
func (s State) Bench(b *testing.B) {
	path := filepath.Join(b.TempDir(), "state.json")
	for b.Loop() {
		_ = os.Remove(path)
		var f sandbox.Fake
		seed := Measure(func() {
			f = s.Open(path)
			s.seed(b, f)
			// Saved before measuring: a save in progress holds a snapshot.
			if err := f.Save(); err != nil {
				b.Fatal(err)
			}
		})
		runtime.KeepAlive(f)
		save := Measure(func() {
			if err := f.Close(); err != nil {
				b.Fatal(err)
			}
		})
		st, err := os.Stat(path)
		if err != nil {
			b.Fatal(err)
		}
		f = nil
		load := Measure(func() { f = s.Open(path) })
		runtime.KeepAlive(f)
		msg := fmt.Sprintf("%d records: seeded %v; saved: peak %.1f MB, file %.1f MB; loaded %v",
			s.N, seed, float64(save.Peak)/1e6, float64(st.Size())/1e6, load)
		if s.Export != nil {
			export := Measure(func() {
				if err := s.Export(f); err != nil {
					b.Fatal(err)
				}
			})
			runtime.KeepAlive(f)
			msg += fmt.Sprintf("; exported: peak %.1f MB", float64(export.Peak)/1e6)
			b.ReportMetric(float64(export.Peak)/1e6, "export-peak-MB")
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
		if hwm, ok := peakRSS(); ok {
			msg += fmt.Sprintf("; process peak RSS %.0f MB", float64(hwm)/1e6)
			b.ReportMetric(float64(hwm)/1e6, "rss-peak-MB")
		}
		b.Log(msg)
		seed.Report(b, s.N, "seed-")
		load.Report(b, s.N, "load-")
		b.ReportMetric(float64(save.Peak)/1e6, "save-peak-MB")
		b.ReportMetric(float64(st.Size())/1e6, "file-MB")
	}
}

// CheckStateFile opens a fake (open) on a copy of file, a state file an
// earlier version of the fake wrote, and compares what it holds, as view
// shows it in JSON, with wantFile, which that version wrote from the same
// records. Saved by this version and opened again, the fake must still
// hold the same.
func CheckStateFile(t *testing.T, file, wantFile string, open func(path string) sandbox.Fake, view func(sandbox.Fake) any) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "state.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	var want any
	if b, err = os.ReadFile(wantFile); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	for _, stage := range []string{"loaded", "saved and loaded again"} {
		f := open(path)
		var got any
		b, err := json.Marshal(view(f))
		if err == nil {
			err = json.Unmarshal(b, &got)
		}
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s %s:\n got %s\nwant %s", stage, file, b, jsonOf(want))
		}
		// A Save writes the file whether or not anything changed.
		if err := f.Save(); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func jsonOf(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// peakRSS is the most memory the process has held so far (Linux's VmHWM);
// false where /proc does not tell.
func peakRSS() (int64, bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb int64
			if _, err := fmt.Sscanf(strings.TrimSpace(v), "%d kB", &kb); err == nil {
				return kb * 1024, true
			}
		}
	}
	return 0, false
}
