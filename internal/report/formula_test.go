package report

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/crmload/crmload/internal/connector"
)

func TestNeutralise(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{`=HYPERLINK("http://x","y")`, `'=HYPERLINK("http://x","y")`},
		{"+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"},
		{"-2+3", "'-2+3"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\t=1", "'\t=1"},
		{"\r=1", "'\r=1"},
		{"-", "'-"},
		{"'quoted", "''quoted"},
		{"''", "'''"},
		{"a=1", "a=1"},
		{"-12", "-12"},
		{"+3.5", "+3.5"},
		{"-1,5", "-1,5"},
		{"-1,234.56", "-1,234.56"},
		{"-1+2", "'-1+2"},
		{"-.", "'-."},
		{"-2e-3", "-2e-3"},
		{"-2e", "'-2e"},
		{"+44 20 7946 0958", "+44 20 7946 0958"},
		{"+1 (555) 123-4567", "'+1 (555) 123-4567"},
		{"+", "'+"},
		{"+ ", "'+ "},
	} {
		got := Neutralise(tc.in)
		if got != tc.want {
			t.Errorf("Neutralise(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if back := Restore(got); back != tc.in {
			t.Errorf("Restore(Neutralise(%q)) = %q", tc.in, back)
		}
	}
}

// Source values with formulas reach the CSV neutralised and come back from
// the reader as they were; the report's own columns are neutralised too.
func TestReportCellsAreNeutralised(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.csv")
	hdr := []string{"=Email", "Notes"}
	w, err := Create(path, hdr)
	if err != nil {
		t.Fatal(err)
	}
	values := []string{`=HYPERLINK("http://evil","click")`, "'kept"}
	if err := w.Write(Line{Row: 1, Status: connector.Failed, ID: "@id", Error: "-x is bad", Values: values}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(nil); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	wantHead := append(slices.Clone(Fixed[:]), "'=Email", "Notes")
	wantLine := []string{"1", "failed", "'@id", "0", "", "'-x is bad", `'=HYPERLINK("http://evil","click")`, "''kept"}
	if !slices.Equal(recs[0], wantHead) || !slices.Equal(recs[1], wantLine) {
		t.Fatalf("cells\n%q\n%q\nwant\n%q\n%q", recs[0], recs[1], wantHead, wantLine)
	}
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	l, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.Header(), hdr) || !slices.Equal(l.Values, values) {
		t.Fatalf("read back header %q values %q, want %q %q", r.Header(), l.Values, hdr, values)
	}
	w, _, err = Resume(path, hdr, nil)
	if err != nil {
		t.Fatalf("resume with a neutralised header: %v", err)
	}
	w.Close(nil)
}
