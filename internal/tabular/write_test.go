package tabular

import (
	"archive/zip"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// roundTripRows exercise quoting, line breaks, non-ASCII text and values
// that look like numbers or dates but must stay text.
func roundTripRows() (header []string, rows [][]string) {
	header = []string{"Email", "Name", "Phone", "Zip", "Created", "Notes"}
	rows = [][]string{
		{"ann@example.com", "Ann O'Neil", "+1 (617) 555-0142", "02134", "2023-03-15", "likes \"quotes\", commas"},
		{"bob@example.com", "Björn Þórsdóttir", "00442079460958", "01000", "2023-03-15T10:30:00", "line one\nline two"},
		{"cid@example.com", "  padded  ", "=1+2", "", "31/02/2023", ""},
		{"", "", "", "", "", "all empty but one"},
	}
	return header, rows
}

func writeAll(t *testing.T, path string, header []string, rows [][]string, opt WriteOptions) {
	t.Helper()
	w, err := Create(path, header, opt)
	must(t, err)
	for _, row := range rows {
		must(t, w.Write(row))
	}
	must(t, w.Close())
}

func TestWriteRoundTrip(t *testing.T) {
	header, rows := roundTripRows()
	for _, name := range []string{"out.csv", "out.tsv", "out.xlsx"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), name)
			writeAll(t, path, header, rows, WriteOptions{DateColumns: []int{4}})
			r, err := Open(path, Options{})
			must(t, err)
			defer r.Close()
			if !reflect.DeepEqual(r.Header(), header) {
				t.Errorf("header = %q", r.Header())
			}
			if got := values(readAll(t, r)); !reflect.DeepEqual(got, rows) {
				t.Errorf("rows =\n%q\nwant\n%q", got, rows)
			}
		})
	}
}

func TestXLSXWriterCells(t *testing.T) {
	header, rows := roundTripRows()
	path := filepath.Join(t.TempDir(), "out.xlsx")
	writeAll(t, path, header, rows, WriteOptions{Sheet: "Contacts", DateColumns: []int{4}})
	f, err := excelize.OpenFile(path)
	must(t, err)
	defer f.Close()
	if got := f.GetSheetList(); !reflect.DeepEqual(got, []string{"Contacts"}) {
		t.Errorf("sheets = %q", got)
	}
	// Dates are real date cells; text that is not an ISO date stays text.
	for cell, wantNumber := range map[string]bool{"E2": true, "E3": true, "E4": false, "D2": false} {
		typ, err := f.GetCellType("Contacts", cell)
		must(t, err)
		// A number cell has no type attribute: excelize reports it unset.
		if isNumber := typ == excelize.CellTypeUnset || typ == excelize.CellTypeNumber; isNumber != wantNumber {
			t.Errorf("%s type = %v, want a number cell: %v", cell, typ, wantNumber)
		}
	}
	id, err := f.GetCellStyle("Contacts", "A1")
	must(t, err)
	st, err := f.GetStyle(id)
	must(t, err)
	if st.Font == nil || !st.Font.Bold {
		t.Error("header is not bold")
	}
	panes, err := f.GetPanes("Contacts")
	must(t, err)
	if !panes.Freeze || panes.YSplit != 1 || panes.TopLeftCell != "A2" {
		t.Errorf("panes = %+v, want the header row frozen", panes)
	}
	for col, want := range map[string][2]float64{"A": {minColWidth, 20}, "B": {18, 20}, "F": {22, 24}} {
		w, err := f.GetColWidth("Contacts", col)
		must(t, err)
		if w < want[0] || w > want[1] {
			t.Errorf("column %s width = %v, want within %v", col, w, want)
		}
	}
}

func TestXLSXWriterCellLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.xlsx")
	w, err := Create(path, []string{"id", "notes"}, WriteOptions{})
	must(t, err)
	atLimit := strings.Repeat("x", maxCellChars)
	// U+1F600 is two UTF-16 units: half as many runes reach the limit.
	over := strings.Repeat("😀", maxCellChars/2+1)
	if err := w.Write([]string{"1", atLimit}); err != nil {
		t.Errorf("value at the limit: %v", err)
	}
	err = w.Write([]string{"2", over})
	if err == nil || !strings.Contains(err.Error(), `column "notes"`) || !strings.Contains(err.Error(), "32767") {
		t.Errorf("over the limit: err = %v", err)
	}
	must(t, w.Write([]string{"3", "after"})) // the writer goes on
	must(t, w.Close())
	r, err := Open(path, Options{})
	must(t, err)
	defer r.Close()
	got := values(readAll(t, r))
	if len(got) != 2 || got[0][1] != atLimit || got[1][0] != "3" {
		t.Errorf("read back %d rows", len(got))
	}
}

func TestXLSXWriterRollover(t *testing.T) {
	path := filepath.Join(t.TempDir(), "roll.xlsx")
	w, err := Create(path, []string{"n", "v"}, WriteOptions{Sheet: "Export"})
	must(t, err)
	w.(*xlsxWriter).maxRows = 4 // header + 3 data rows per sheet
	const total = 8
	for i := range total {
		must(t, w.Write([]string{string(rune('a' + i)), "x"}))
	}
	must(t, w.Close())

	f, err := excelize.OpenFile(path)
	must(t, err)
	sheets := f.GetSheetList()
	_ = f.Close()
	if want := []string{"Export", "Export (2)", "Export (3)"}; !reflect.DeepEqual(sheets, want) {
		t.Fatalf("sheets = %q, want %q", sheets, want)
	}
	var got []string
	for _, s := range sheets {
		r, err := Open(path, Options{Sheet: s})
		must(t, err)
		if !reflect.DeepEqual(r.Header(), []string{"n", "v"}) {
			t.Errorf("sheet %s header = %q", s, r.Header())
		}
		for _, row := range readAll(t, r) {
			got = append(got, row.Values[0])
		}
		must(t, r.Close())
	}
	if want := []string{"a", "b", "c", "d", "e", "f", "g", "h"}; !reflect.DeepEqual(got, want) {
		t.Errorf("rows across sheets = %q, want %q", got, want)
	}
}

func TestRolloverSheetName(t *testing.T) {
	long := strings.Repeat("é", 40)
	if got := rolloverSheetName(long, 12); utf16Len(got) != maxSheetName || !strings.HasSuffix(got, " (12)") {
		t.Errorf("rolloverSheetName = %q (%d units)", got, utf16Len(got))
	}
	if got := rolloverSheetName("Sheet1", 2); got != "Sheet1 (2)" {
		t.Errorf("rolloverSheetName = %q", got)
	}
}

func TestCSVWriterFlushAndSync(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.csv")
	w, err := Create(path, []string{"a", "b"}, WriteOptions{})
	must(t, err)
	must(t, w.Write([]string{"1", "2"}))
	must(t, w.Flush())
	data, err := os.ReadFile(path)
	must(t, err)
	if string(data) != "a,b\n1,2\n" {
		t.Errorf("after Flush the file holds %q", data)
	}
	must(t, w.Write([]string{"3", "4"}))
	must(t, w.Sync())
	data, err = os.ReadFile(path)
	must(t, err)
	if string(data) != "a,b\n1,2\n3,4\n" {
		t.Errorf("after Sync the file holds %q", data)
	}
	if err := w.Write([]string{"only one"}); err == nil {
		t.Error("short row accepted")
	}
	must(t, w.Close())
}

func TestCreateErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name   string
		path   string
		header []string
		opt    WriteOptions
	}{
		{"unknown type", filepath.Join(dir, "a.json"), []string{"a"}, WriteOptions{}},
		{"no header", filepath.Join(dir, "a.csv"), nil, WriteOptions{}},
		{"missing folder", filepath.Join(dir, "no", "a.xlsx"), []string{"a"}, WriteOptions{}},
		{"bad sheet name", filepath.Join(dir, "b.xlsx"), []string{"a"}, WriteOptions{Sheet: "a/b"}},
		{"date column out of range", filepath.Join(dir, "c.xlsx"), []string{"a"}, WriteOptions{DateColumns: []int{1}}},
	}
	for _, tt := range tests {
		if w, err := Create(tt.path, tt.header, tt.opt); err == nil {
			_ = w.Close()
			t.Errorf("%s: Create succeeded", tt.name)
		}
	}
}

func TestWriteHeaderOnly(t *testing.T) {
	for _, name := range []string{"empty.csv", "empty.xlsx"} {
		path := filepath.Join(t.TempDir(), name)
		writeAll(t, path, []string{"Email", "Name"}, nil, WriteOptions{})
		r, err := Open(path, Options{})
		must(t, err)
		if rows := readAll(t, r); len(rows) != 0 || !reflect.DeepEqual(r.Header(), []string{"Email", "Name"}) {
			t.Errorf("%s: header %q, %d rows", name, r.Header(), len(rows))
		}
		must(t, r.Close())
	}
}

// Files hold personal data: only their owner may read them, also when
// Create truncates a file that was readable by all.
func TestCreateMode0600(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"new.csv", "new.tsv", "new.xlsx", "old.csv", "old.xlsx"} {
		path := filepath.Join(dir, name)
		if strings.HasPrefix(name, "old") {
			must(t, os.WriteFile(path, []byte("old"), 0o644))
		}
		writeAll(t, path, []string{"a"}, [][]string{{"1"}}, WriteOptions{})
		fi, err := os.Stat(path)
		must(t, err)
		if perm := fi.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s: mode %v, want 0600", name, perm)
		}
	}
}

// Excel's widest sheet: the widths go in one <col> per run of equal
// widths (excelize's StreamWriter took minutes over one call per column),
// and a wider header is refused.
func TestXLSXWriterWide(t *testing.T) {
	header := make([]string, maxColumns)
	row := make([]string, maxColumns)
	for i := range header {
		header[i] = "c" + strconv.Itoa(i+1)
		row[i] = strconv.Itoa(i)
	}
	row[maxColumns-1] = strings.Repeat("w", 30)
	path := filepath.Join(t.TempDir(), "wide.xlsx")
	writeAll(t, path, header, [][]string{row, row}, WriteOptions{})

	zr, err := zip.OpenReader(path)
	must(t, err)
	defer zr.Close()
	var sheet []byte
	for _, f := range zr.File {
		if f.Name == "xl/worksheets/sheet1.xml" {
			rc, err := f.Open()
			must(t, err)
			sheet, err = io.ReadAll(rc)
			must(t, err)
			_ = rc.Close()
		}
	}
	cols := regexp.MustCompile(`<col [^>]*>`).FindAll(sheet, -1)
	want := []string{`<col min="1" max="16383" width="8" customWidth="1"/>`, `<col min="16384" max="16384" width="32" customWidth="1"/>`}
	if len(cols) != len(want) || string(cols[0]) != want[0] || string(cols[1]) != want[1] {
		t.Errorf("cols = %s, want %s", cols, want)
	}
	r, err := Open(path, Options{})
	must(t, err)
	defer r.Close()
	if rows := readAll(t, r); len(r.Header()) != maxColumns || len(rows) != 2 || !reflect.DeepEqual(rows[1].Values, row) {
		t.Errorf("read back %d columns, %d rows", len(r.Header()), len(rows))
	}

	_, err = Create(filepath.Join(t.TempDir(), "wider.xlsx"), append(header, "one more"), WriteOptions{})
	if err == nil || !strings.Contains(err.Error(), "16385 columns, over Excel's limit of 16384") {
		t.Errorf("Create = %v, want the column limit", err)
	}
}

// Dates in date columns become date cells and read back as they were
// written, to the second; what is no date in Excel's range stays text.
func TestXLSXWriterDates(t *testing.T) {
	tests := []struct {
		in, want string
		isDate   bool
	}{
		{"2023-03-15", "2023-03-15", true},
		{"2023-03-15T23:59:59", "2023-03-15T23:59:59", true},
		{"2023-03-15 00:00:01", "2023-03-15T00:00:01", true},
		{"1900-03-01", "1900-03-01", true}, // after Excel's fictitious 1900-02-29
		{"1900-02-28", "1900-02-28", true},
		{"9999-12-31T23:59:59", "9999-12-31T23:59:59", true},
		{"1899-12-31", "1899-12-31", false},
		{"2023-02-30", "2023-02-30", false},
		{"2023-03-15T10:30:00Z", "2023-03-15T10:30:00Z", false},
		{"15/03/2023", "15/03/2023", false},
	}
	path := filepath.Join(t.TempDir(), "dates.xlsx")
	var rows [][]string
	for _, tt := range tests {
		rows = append(rows, []string{tt.in})
	}
	writeAll(t, path, []string{"When"}, rows, WriteOptions{DateColumns: []int{0}})
	f, err := excelize.OpenFile(path)
	must(t, err)
	defer f.Close()
	r, err := Open(path, Options{})
	must(t, err)
	defer r.Close()
	for i, row := range readAll(t, r) {
		tt := tests[i]
		if row.Values[0] != tt.want {
			t.Errorf("%s read back as %q, want %q", tt.in, row.Values[0], tt.want)
		}
		typ, err := f.GetCellType("Sheet1", "A"+strconv.Itoa(i+2))
		must(t, err)
		// A number cell has no type attribute: excelize reports it unset.
		if isDate := typ == excelize.CellTypeUnset; isDate != tt.isDate {
			t.Errorf("%s: a date cell: %v, want %v", tt.in, isDate, tt.isDate)
		}
	}
}

// Text that XML cannot carry as it is reads back the same, through this
// reader and excelize's; invalid UTF-8 becomes U+FFFD.
func TestXLSXWriterText(t *testing.T) {
	values := []string{
		" lead and trail\t", "cr\r\nlf", "ctl\x01\x1f", "_x0041_ stays", "_x005F_ too", "a & b < c > d \"q\" 'a'",
		"\uFFFE\uFFFF", "😀 Zoë", "bad \xff byte", "_", "x_",
	}
	path := filepath.Join(t.TempDir(), "text.xlsx")
	header := make([]string, len(values))
	for i := range header {
		header[i] = "c" + strconv.Itoa(i)
	}
	writeAll(t, path, header, [][]string{values}, WriteOptions{})
	want := slices.Clone(values)
	want[8] = "bad \uFFFD byte"

	r, err := Open(path, Options{})
	must(t, err)
	defer r.Close()
	if rows := readAll(t, r); len(rows) != 1 || !reflect.DeepEqual(rows[0].Values, want) {
		t.Errorf("read back\n%q\nwant\n%q", rows[0].Values, want)
	}
	f, err := excelize.OpenFile(path)
	must(t, err)
	defer f.Close()
	got, err := f.GetRows("Sheet1")
	must(t, err)
	if len(got) != 2 || !reflect.DeepEqual(got[1], want) {
		t.Errorf("excelize reads\n%q\nwant\n%q", got[1], want)
	}
}
