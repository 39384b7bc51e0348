package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crmload/crmload/internal/connector"
)

var header = []string{"Email", "Notes"}

func line(row int, st connector.Status, errMsg string) Line {
	return Line{Row: row, Status: st, ID: "id" + string(rune('0'+row)), Attempts: 1, HTTPStatus: 200, Error: errMsg,
		Values: []string{"a@example.com", "two\nlines, with comma"}}
}

func TestWriteThenResume(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.csv")
	w, err := Create(path, header)
	if err != nil {
		t.Fatal(err)
	}
	for i, st := range []connector.Status{connector.Created, connector.Failed, connector.Updated} {
		if err := w.Write(line(i+1, st, "")); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(nil); err != nil {
		t.Fatal(err)
	}
	w, done, err := Resume(path, header, nil)
	if err != nil {
		t.Fatal(err)
	}
	if done.Len() != 3 || !done.Has(1) || !done.Has(3) || done.Has(4) {
		t.Fatalf("resumed rows = %+v", done)
	}
	if err := w.Write(line(4, connector.Skipped, "cancelled")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(nil); err != nil {
		t.Fatal(err)
	}
	s := w.Summary()
	if s.Total != 4 || !s.Balanced() || s.Counts[connector.Created] != 1 || s.Counts[connector.Skipped] != 1 {
		t.Fatalf("summary = %+v", s)
	}
	var rows []int
	if err := Read(path, func(h []string, l Line) error {
		rows = append(rows, l.Row)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 {
		t.Fatalf("read rows %v", rows)
	}
}

// A crash can cut the last line anywhere: resume must drop exactly that line.
func TestResumeDropsTornLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.csv")
	w, err := Create(path, header)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		if err := w.Write(line(i, connector.Created, "")); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(nil); err != nil {
		t.Fatal(err)
	}
	full, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lastStart := strings.LastIndex(string(full), "\n3,")
	for cut := lastStart + 2; cut < len(full); cut += 3 {
		if err := os.WriteFile(path, full[:cut], 0o644); err != nil {
			t.Fatal(err)
		}
		w, done, err := Resume(path, header, nil)
		if err != nil {
			t.Fatalf("cut at %d: %v", cut, err)
		}
		if done.Len() != 2 || done.Has(3) {
			t.Fatalf("cut at %d: kept %d rows, want 1 and 2", cut, done.Len())
		}
		if err := w.Write(line(3, connector.Created, "")); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(nil); err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(path)
		if string(got) != string(full) {
			t.Fatalf("cut at %d: report after resume differs:\n%q\nwant\n%q", cut, got, full)
		}
	}
}

func TestResumeRejectsOtherSource(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.csv")
	w, err := Create(path, header)
	if err != nil {
		t.Fatal(err)
	}
	w.Close(nil)
	if _, _, err := Resume(path, []string{"Other"}, nil); err == nil {
		t.Fatal("want an error for a report made from other columns")
	}
}

func TestErrorKind(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`column "Email": "a@" is not a valid email address`, `column "Email": "…" is not a valid email address`},
		{`create lead: HTTP 400: bad`, `create lead: HTTP 400: bad`},
		{`a: "x" and b: "y"`, `a: "…" and b: "…"`},
	} {
		if got := errorKind(tc.in); got != tc.want {
			t.Errorf("errorKind(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestTopErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.csv")
	w, _ := Create(path, header)
	defer w.Close(nil)
	w.Write(line(1, connector.Failed, `column "Email": "a@" is not valid`))
	w.Write(line(2, connector.Failed, `column "Email": "b@" is not valid`))
	w.Write(line(3, connector.Failed, `HTTP 500`))
	top := w.Summary().TopErrors(1)
	if len(top) != 1 || top[0].Rows != 2 {
		t.Fatalf("top = %+v", top)
	}
}

// A ragged source row still makes a well-formed report line.
func TestRaggedRowsFit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.csv")
	w, _ := Create(path, header)
	w.Write(Line{Row: 1, Status: connector.Failed, Error: "short", Values: []string{"a"}})
	w.Write(Line{Row: 2, Status: connector.Failed, Error: "long", Values: []string{"a", "b", "c", "d"}})
	if err := w.Close(nil); err != nil {
		t.Fatal(err)
	}
	got := map[int]Line{}
	if err := Read(path, func(_ []string, l Line) error { got[l.Row] = l; return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got[1].Values) != 2 || got[2].Values[1] != "b" || got[2].Error != "long; extra fields: c | d" {
		t.Fatalf("lines %+v", got)
	}
}

// Resume takes the lines keep refuses out of the report: their rows are sent
// again and must be reported once.
func TestResumeDropsCancelled(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.csv")
	w, _ := Create(path, header)
	w.Write(line(1, connector.Created, ""))
	w.Write(line(2, connector.Skipped, "cancelled"))
	w.Write(line(3, connector.Failed, "bad"))
	w.Close(nil)
	w, done, err := Resume(path, header, func(l Line) bool { return l.Error != "cancelled" })
	if err != nil {
		t.Fatal(err)
	}
	if done.Len() != 2 || done.Has(2) {
		t.Fatalf("done %+v", done)
	}
	w.Write(line(2, connector.Created, ""))
	w.Close(nil)
	var rows []int
	Read(path, func(_ []string, l Line) error { rows = append(rows, l.Row); return nil })
	if len(rows) != 3 || rows[0] != 1 || rows[1] != 3 || rows[2] != 2 {
		t.Fatalf("rows %v, want 1 3 2", rows)
	}
	if s := w.Summary(); s.Total != 3 || s.Counts[connector.Skipped] != 0 {
		t.Fatalf("summary %+v", s)
	}
}
