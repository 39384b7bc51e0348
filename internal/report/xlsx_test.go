package report

import (
	"bufio"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/internal/tabular"
)

// restoreToXLSX converts a journal the way the caller must: XLSX text cells
// are never formulas, so the source's header and values are restored there
// (the report's own columns may keep their quote).
func restoreToXLSX(journal, path string) error {
	f, err := os.Open(journal)
	if err != nil {
		return err
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReader(f))
	r.FieldsPerRecord = -1
	var w tabular.Writer
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return w.Close()
		}
		if err != nil {
			return err
		}
		for i := len(Fixed); i < len(rec); i++ {
			rec[i] = Restore(rec[i])
		}
		if w == nil {
			if w, err = tabular.Create(path, rec, tabular.WriteOptions{Sheet: "Report"}); err != nil {
				return err
			}
			continue
		}
		if err := w.Write(rec); err != nil {
			w.Close()
			return err
		}
	}
}

// A finished .xlsx report holds the source's values as they were, and the
// reader takes them as they are: a leading quote there is the source's.
func TestXLSXReportKeepsValues(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.xlsx")
	hdr := []string{"=Email", "Notes"}
	w, err := Create(path, hdr)
	if err != nil {
		t.Fatal(err)
	}
	values := []string{"=1+1", "'quoted"}
	w.Write(Line{Row: 1, Status: connector.Failed, Error: "bad", Values: values})
	w.Write(Line{Row: 2, Rest: true})
	if err := w.Close(restoreToXLSX); err != nil {
		t.Fatal(err)
	}
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var lines []Line
	for {
		l, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, l)
	}
	if !slices.Equal(r.Header(), hdr) || len(lines) != 2 || !slices.Equal(lines[0].Values, values) || !lines[1].Rest {
		t.Fatalf("header %q, lines %+v", r.Header(), lines)
	}
}
