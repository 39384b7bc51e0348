package report

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/crmload/crmload/internal/connector"
)

// Create never replaces a file: a taken name gets -2, -3, …; for .xlsx the
// workbook and its journal both count.
func TestCreateNeverOverwrites(t *testing.T) {
	for _, tc := range []struct {
		name     string
		report   string
		existing []string // files present before Create
		want     string   // the report Create must choose
	}{
		{"free", "r.csv", nil, "r.csv"},
		{"csv taken", "r.csv", []string{"r.csv"}, "r-2.csv"},
		{"csv and -2 taken", "r.csv", []string{"r.csv", "r-2.csv"}, "r-3.csv"},
		{"xlsx workbook taken", "r.xlsx", []string{"r.xlsx"}, "r-2.xlsx"},
		{"xlsx journal taken", "r.xlsx", []string{"r.xlsx.journal.csv"}, "r-2.xlsx"},
		{"xlsx -2 journal taken", "r.xlsx", []string{"r.xlsx", "r-2.xlsx.journal.csv"}, "r-3.xlsx"},
		{"dotted name", "run.retry-1.csv", []string{"run.retry-1.csv"}, "run.retry-1-2.csv"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, e := range tc.existing {
				if err := os.WriteFile(filepath.Join(dir, e), []byte("precious\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			w, err := Create(filepath.Join(dir, tc.report), header)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Write(line(1, connector.Created, "")); err != nil {
				t.Fatal(err)
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			if got := w.Path(); got != filepath.Join(dir, tc.want) {
				t.Errorf("Path() = %s, want %s", got, tc.want)
			}
			for _, e := range tc.existing {
				if b, err := os.ReadFile(filepath.Join(dir, e)); err != nil || string(b) != "precious\n" {
					t.Errorf("%s was changed: %q, %v", e, b, err)
				}
			}
			st, err := os.Stat(JournalPath(w.Path()))
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != 0o600 {
				t.Errorf("mode %v, want 0600", st.Mode().Perm())
			}
			w.Close(func(journal, path string) error { return os.WriteFile(path, nil, 0o600) })
		})
	}
}

// CreateExact refuses a taken name instead of choosing another.
func TestCreateExact(t *testing.T) {
	for _, tc := range []struct{ report, existing string }{
		{"r.csv", "r.csv"},
		{"r.xlsx", "r.xlsx"},
		{"r.xlsx", "r.xlsx.journal.csv"},
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, tc.existing), []byte("precious\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := CreateExact(filepath.Join(dir, tc.report), header)
		if !errors.Is(err, fs.ErrExist) {
			t.Errorf("%s with %s there: err = %v, want fs.ErrExist", tc.report, tc.existing, err)
		}
		if b, _ := os.ReadFile(filepath.Join(dir, tc.existing)); string(b) != "precious\n" {
			t.Errorf("%s was changed: %q", tc.existing, b)
		}
	}
	path := filepath.Join(t.TempDir(), "r.csv")
	w, err := CreateExact(path, header)
	if err != nil || w.Path() != path {
		t.Fatalf("free name: %v, %v", w, err)
	}
	w.Close(nil)
}

// The rewrite that takes cancelled lines out keeps the report private.
func TestResumeRewriteKeepsMode0600(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.csv")
	w, err := Create(path, header)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(line(1, connector.Created, ""))
	w.Write(line(2, connector.Skipped, "cancelled"))
	if err := w.Close(nil); err != nil {
		t.Fatal(err)
	}
	w, done, err := Resume(path, header, func(l Line) bool { return l.Error != "cancelled" })
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close(nil)
	if done.Len() != 1 {
		t.Fatalf("kept %d rows, want 1: the rewrite did not run", done.Len())
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode after rewrite %v, want 0600", st.Mode().Perm())
	}
}
