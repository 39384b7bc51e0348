package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crmload/crmload/internal/connector"
)

// A run that stops early says which rows it never read, in one line.
func TestRestLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.csv")
	w, err := Create(path, header)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(line(1, connector.Created, ""))
	if err := w.Write(Line{Row: 3, Rest: true, Status: connector.Created}); err == nil {
		t.Fatal("a Rest line with status created was written")
	}
	w.Write(line(2, connector.Failed, "bad"))
	if err := w.Write(Line{Row: 3, Rest: true}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(nil); err != nil {
		t.Fatal(err)
	}
	s := w.Summary()
	if s.Total != 2 || !s.Balanced() || s.UnreadFrom != 3 || s.Counts[connector.Skipped] != 0 {
		t.Fatalf("summary %+v", s)
	}
	raw, _ := os.ReadFile(path)
	if !strings.Contains(string(raw), "\n3-,skipped,,0,,cancelled: rows 3 to the end of the source were not read,,\n") {
		t.Fatalf("report:\n%s", raw)
	}
	var rest []Line
	if err := Read(path, func(_ []string, l Line) error {
		if l.Rest {
			rest = append(rest, l)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(rest) != 1 || rest[0].Row != 3 || rest[0].Status != connector.Skipped {
		t.Fatalf("Rest lines read back: %+v", rest)
	}

	// Resume drops the line: the resumed run reads rows 3… and reports them.
	w, done, err := Resume(path, header, func(l Line) bool { return !l.Rest })
	if err != nil {
		t.Fatal(err)
	}
	if done.Len() != 2 || done.Has(3) || w.Summary().UnreadFrom != 0 {
		t.Fatalf("resumed: %d rows done, has 3: %v, summary %+v", done.Len(), done.Has(3), w.Summary())
	}
	w.Write(line(3, connector.Created, ""))
	if err := w.Close(nil); err != nil {
		t.Fatal(err)
	}
	if raw, _ := os.ReadFile(path); strings.Contains(string(raw), "3-,") {
		t.Fatalf("the Rest line is still there:\n%s", raw)
	}
	if s := w.Summary(); s.Total != 3 || s.UnreadFrom != 0 || !s.Balanced() {
		t.Fatalf("summary after resume %+v", s)
	}
}
