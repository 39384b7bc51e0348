package report

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/crmload/crmload/internal/connector"
)

// Resume on the reports a crash or a corruption can leave, from testdata/resume.
func TestResumeFiles(t *testing.T) {
	for _, tc := range []struct {
		file    string
		wantErr bool
		rows    []int // the rows Resume finds done
	}{
		{"empty.csv", false, nil},       // crash before the header reached the disk
		{"torn-header.csv", false, nil}, // … or all of it
		{"header-no-newline.csv", false, nil},
		{"torn-last.csv", false, []int{1}},
		{"rest.csv", false, []int{1, 2}},
		// Bad lines with good ones after them are not a torn end: cutting
		// there would drop row 4's outcome and send it twice.
		{"bad-middle.csv", true, nil},
		{"two-bad-middle.csv", true, nil},
		{"other-source.csv", true, nil},
	} {
		t.Run(tc.file, func(t *testing.T) {
			orig, err := os.ReadFile(filepath.Join("testdata", "resume", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "r.csv")
			if err := os.WriteFile(path, orig, 0o600); err != nil {
				t.Fatal(err)
			}
			w, done, err := Resume(path, header, nil)
			if tc.wantErr {
				if err == nil {
					w.Close(nil)
					t.Fatal("Resume succeeded")
				}
				if got, _ := os.ReadFile(path); string(got) != string(orig) {
					t.Fatalf("a failed Resume changed the report to %q", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for r := 1; r <= 10; r++ {
				if done.Has(r) {
					got = append(got, r)
				}
			}
			if !slices.Equal(got, tc.rows) {
				t.Errorf("done rows %v, want %v", got, tc.rows)
			}
			if err := w.Write(line(9, connector.Created, "")); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(nil); err != nil {
				t.Fatal(err)
			}
			var read []int
			if err := Read(path, func(_ []string, l Line) error { read = append(read, l.Row); return nil }); err != nil {
				t.Fatalf("report after resume: %v", err)
			}
			if want := append(slices.Clone(tc.rows), 9); !slices.Equal(read, want) {
				t.Errorf("report after resume has rows %v, want %v", read, want)
			}
		})
	}
}
