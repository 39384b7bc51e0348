package tabular

import (
	"archive/zip"
	"bytes"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// workbook builds an .xlsx file with excelize's ordinary API, as other
// tools would write it, and returns its path.
func workbook(t *testing.T, build func(f *excelize.File)) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	build(f)
	path := filepath.Join(t.TempDir(), "book.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	return path
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func style(t *testing.T, f *excelize.File, s *excelize.Style) int {
	t.Helper()
	id, err := f.NewStyle(s)
	must(t, err)
	return id
}

// rawNumber is a number cell's stored text, written as is (SetCellDefault),
// to reproduce what Excel itself writes.
type rawNumber string

func TestXLSXCellValues(t *testing.T) {
	ptr := func(s string) *string { return &s }
	at := time.Date(2023, 3, 15, 10, 30, 0, 0, time.UTC)
	day := time.Date(2023, 3, 15, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		value any // set with SetCellValue, or SetCellDefault for a rawNumber
		style *excelize.Style
		want  string
	}{
		{"text", "hello", nil, "hello"},
		{"text that looks like a number", "00123", nil, "00123"},
		{"integer", 42, nil, "42"},
		{"phone as number", int64(442079460958), nil, "442079460958"},
		{"big integer", int64(1234567890123456789), nil, "1234567890123456789"},
		{"exponent form", rawNumber("4.4207946E+11"), nil, "442079460000"},
		{"excel float noise", rawNumber("19.989999999999998"), nil, "19.99"},
		{"decimal", 3.25, nil, "3.25"},
		{"negative", -7.5, nil, "-7.5"},
		{"currency format keeps the number", 1234.5, &excelize.Style{NumFmt: 8}, "1234.5"},
		{"percent keeps the number", 0.15, &excelize.Style{NumFmt: 10}, "0.15"},
		{"zip with 00000", 2134, &excelize.Style{CustomNumFmt: ptr("00000")}, "02134"},
		{"zip already 5 digits", 94105, &excelize.Style{CustomNumFmt: ptr("00000")}, "94105"},
		{"zip format on text", "2134", &excelize.Style{CustomNumFmt: ptr("00000")}, "2134"},
		{"builtin date", day, &excelize.Style{NumFmt: 14}, "2023-03-15"},
		{"builtin date time", at, &excelize.Style{NumFmt: 22}, "2023-03-15T10:30:00"},
		{"custom date", day, &excelize.Style{CustomNumFmt: ptr("dd/mm/yyyy")}, "2023-03-15"},
		{"custom date with literal", at, &excelize.Style{CustomNumFmt: ptr(`[$-409]d" de "mmmm yyyy h:mm AM/PM`)}, "2023-03-15T10:30:00"},
		{"time of day", rawNumber("0.4375"), &excelize.Style{NumFmt: 20}, "10:30:00"},
		{"default time style", at, nil, "2023-03-15T10:30:00"},
		{"date format on text", "31/02/2023", &excelize.Style{NumFmt: 14}, "31/02/2023"},
		{"bool", true, nil, "TRUE"},
		{"accents", "Zoë Dubois-Lefèvre", nil, "Zoë Dubois-Lefèvre"},
	}
	path := workbook(t, func(f *excelize.File) {
		for i, tt := range tests {
			col, _ := excelize.ColumnNumberToName(i + 1)
			must(t, f.SetCellValue("Sheet1", col+"1", tt.name))
			cell := col + "2"
			if s, ok := tt.value.(rawNumber); ok {
				must(t, f.SetCellDefault("Sheet1", cell, string(s)))
			} else {
				must(t, f.SetCellValue("Sheet1", cell, tt.value))
			}
			if tt.style != nil {
				must(t, f.SetCellStyle("Sheet1", cell, cell, style(t, f, tt.style)))
			}
		}
	})
	r, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rows := readAll(t, r)
	if len(rows) != 1 || rows[0].Err != nil {
		t.Fatalf("rows = %+v", rows)
	}
	for i, tt := range tests {
		if got := rows[0].Values[i]; got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestXLSXDate1904(t *testing.T) {
	path := workbook(t, func(f *excelize.File) {
		must(t, f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: new(true)}))
		must(t, f.SetCellValue("Sheet1", "A1", "When"))
		must(t, f.SetCellValue("Sheet1", "A2", time.Date(2023, 3, 15, 0, 0, 0, 0, time.UTC)))
		must(t, f.SetCellStyle("Sheet1", "A2", "A2", style(t, f, &excelize.Style{NumFmt: 14})))
	})
	// The serial must really be in 1904 terms, or the test proves nothing.
	f, err := excelize.OpenFile(path, excelize.Options{RawCellValue: true})
	must(t, err)
	raw, _ := f.GetCellValue("Sheet1", "A2")
	_ = f.Close()
	if raw != "43538" {
		t.Fatalf("stored serial = %s, want 43538 (1904 system)", raw)
	}
	r, err := Open(path, Options{})
	must(t, err)
	defer r.Close()
	if rows := readAll(t, r); len(rows) != 1 || rows[0].Values[0] != "2023-03-15" {
		t.Errorf("rows = %+v", rows)
	}
}

func TestXLSXRows(t *testing.T) {
	path := workbook(t, func(f *excelize.File) {
		must(t, f.SetCellValue("Sheet1", "A1", "not this sheet"))
		_, err := f.NewSheet("Data")
		must(t, err)
		set := func(cell string, v any) { must(t, f.SetCellValue("Data", cell, v)) }
		// Header on row 3 after two empty rows, one of them styled.
		bold := style(t, f, &excelize.Style{Font: &excelize.Font{Bold: true}})
		must(t, f.SetCellStyle("Data", "A1", "C1", bold))
		set("A3", "Email")
		set("B3", "")
		set("C3", "City")
		set("A4", "ann@example.com")
		set("C4", "Paris")
		set("A5", "bob@example.com") // short row: padded
		// row 6 empty in the middle: skipped
		set("A7", "cid@example.com")
		set("B7", "x")
		set("C7", "Lyon")
		set("D7", "extra") // wider than the header: bad row
		set("A8", "dan@example.com")
		// styled, empty trailing rows
		must(t, f.SetCellStyle("Data", "A9", "D12", bold))
		must(t, f.SetRowHeight("Data", 13, 30))
	})
	r, err := Open(path, Options{Sheet: "data"})
	must(t, err)
	defer r.Close()
	if want := []string{"Email", "column_2", "City"}; !reflect.DeepEqual(r.Header(), want) {
		t.Errorf("header = %q, want %q", r.Header(), want)
	}
	rows := readAll(t, r)
	want := [][]string{
		{"ann@example.com", "", "Paris"},
		{"bob@example.com", "", ""},
		{"cid@example.com", "x", "Lyon", "extra"},
		{"dan@example.com", "", ""},
	}
	if got := values(rows); !reflect.DeepEqual(got, want) {
		t.Fatalf("rows = %q, want %q", got, want)
	}
	for i, row := range rows {
		if row.Num != i+1 {
			t.Errorf("row %d has Num %d", i+1, row.Num)
		}
		if (row.Err != nil) != (i == 2) {
			t.Errorf("row %d: err = %v", row.Num, row.Err)
		}
	}
	var re *RowError
	if !errors.As(rows[2].Err, &re) || re.Line != 7 || !errors.Is(re, ErrFieldCount) {
		t.Errorf("wide row error = %v, want ErrFieldCount on sheet row 7", rows[2].Err)
	}
}

func TestXLSXSheetErrors(t *testing.T) {
	path := workbook(t, func(f *excelize.File) {
		must(t, f.SetCellValue("Sheet1", "A1", "Email"))
		must(t, f.SetCellValue("Sheet1", "B1", "Email"))
		_, err := f.NewSheet("Empty")
		must(t, err)
	})
	tests := []struct{ sheet, errPart string }{
		{"", `duplicate column names in header: "Email" (columns 1 and 2)`},
		{"Empty", "no header row"},
		{"Nope", `no sheet named "Nope" (sheets: Sheet1, Empty)`},
	}
	for _, tt := range tests {
		r, err := Open(path, Options{Sheet: tt.sheet})
		if err == nil {
			_ = r.Close()
		}
		if err == nil || !strings.Contains(err.Error(), tt.errPart) {
			t.Errorf("sheet %q: Open = %v, want %q", tt.sheet, err, tt.errPart)
		}
	}
}

func TestClassifyFormatCode(t *testing.T) {
	tests := []struct {
		code string
		want numFormat
	}{
		{"General", numFormat{}},
		{"0.00", numFormat{}},
		{"#,##0.00 [$USD]", numFormat{}},
		{`0.00"m"`, numFormat{}},
		{"0.00E+00", numFormat{}},
		{"[Red]0.00;[Blue]-0.00", numFormat{}},
		{"@", numFormat{}},
		{"00000", numFormat{kind: fmtZeroPad, width: 5}},
		{"000000;-000000", numFormat{kind: fmtZeroPad, width: 6}},
		{"0", numFormat{}},
		{"yyyy-mm-dd", numFormat{kind: fmtDate}},
		{"dd/mm/yyyy hh:mm", numFormat{kind: fmtDate}},
		{`[$-F800]dddd\,\ mmmm\ dd\,\ yyyy`, numFormat{kind: fmtDate}},
		{"[h]:mm:ss", numFormat{kind: fmtDate}},
		{"h:mm AM/PM", numFormat{kind: fmtDate}},
		{`"Day "0`, numFormat{}},
	}
	for _, tt := range tests {
		if got := classifyFormatCode(tt.code); got != tt.want {
			t.Errorf("classifyFormatCode(%q) = %+v, want %+v", tt.code, got, tt.want)
		}
	}
}

func TestPlainNumber(t *testing.T) {
	tests := map[string]string{
		"42": "42", "-42": "-42", "007": "007", "123456789012345678901": "123456789012345678901",
		"4.4207946E+11": "442079460000", "1E-7": "0.0000001", "0.30000000000000004": "0.3",
		"2.5": "2.5", "-0.5": "-0.5", "abc": "abc",
	}
	for in, want := range tests {
		if got := plainNumber(in); got != want {
			t.Errorf("plainNumber(%q) = %q, want %q", in, got, want)
		}
	}
}

// sheetPartZip packs one worksheet part (and the parts that lead to it) in
// a zip, to drive the reader with XML no excelize writer produces.
func sheetPartZip(t *testing.T, sheetXML string) *zip.Reader {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	parts := map[string]string{
		"_rels/.rels": `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="/x/book.xml"/></Relationships>`,
		"x/book.xml": `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
			`<workbookPr date1904="true"/><sheets><sheet name="Other" sheetId="1" r:id="rId7"/><sheet name="Data" sheetId="2" r:id="rId9"/></sheets></workbook>`,
		"x/_rels/book.xml.rels": `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId7" Target="other.xml"/><Relationship Id="rId9" Target="sheets/../data.xml"/></Relationships>`,
		`X\Data.xml`: sheetXML,
	}
	for name, body := range parts {
		w, err := zw.Create(name)
		must(t, err)
		_, err = w.Write([]byte(body))
		must(t, err)
	}
	must(t, zw.Close())
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	must(t, err)
	return zr
}

func TestWorkbookParts(t *testing.T) {
	wp, err := readWorkbookParts(sheetPartZip(t, "<worksheet/>"))
	must(t, err)
	s, err := wp.sheet("data")
	must(t, err)
	if s.name != "Data" || s.part == nil || s.part.Name != `X\Data.xml` || !wp.date1904 {
		t.Errorf("sheet = %+v, date1904 %v", s, wp.date1904)
	}
	if s, err := wp.sheet(""); err != nil || s.name != "Other" || s.part != nil {
		t.Errorf("first sheet = %+v, %v; want Other, with no part", s, err)
	}
}

// scannedCell is a cell as the scanner reads it, with its value.
type scannedCell struct {
	cellMeta
	value string
}

// scanSheet reads every row of a worksheet part with the scanner.
func scanSheet(t *testing.T, sheetXML string, lim limits) (map[int][]scannedCell, error) {
	t.Helper()
	s := newSheetScanner(strings.NewReader(sheetXML), lim)
	rows := map[int][]scannedCell{}
	for {
		ok, err := s.next()
		if err != nil || !ok {
			return rows, err
		}
		cells := []scannedCell{}
		for _, c := range s.cells {
			cells = append(cells, scannedCell{c, string(s.text[c.start:c.end])})
		}
		rows[s.rowNum] = cells
	}
}

func TestSheetScanner(t *testing.T) {
	sheet := `<?xml version="1.0"?><x:worksheet xmlns:x="urn:x"><x:sheetData>` +
		`<!-- a <c r="Z9" s="9"/> comment -->` +
		`<x:row r="1"><x:c r="A1" t="s"><x:v>0</x:v></x:c><x:c r="C1" s="3"><x:v>1</x:v></x:c></x:row>` +
		`<x:row r="2"/>` +
		`<x:row><x:c s="2" t="b"><x:v>1</x:v></x:c><x:c t='inlineStr' s='4'><x:is><x:t><![CDATA[<c s="7">]]></x:t></x:is></x:c></x:row>` +
		`<x:row r="6" spans="1:2"><x:c r="AB6" t="e"><x:v>#N/A</x:v></x:c></x:row>` +
		`<row r="8"><c r="A8" t="inlineStr"><is><r><rPr><b/></rPr><t xml:space="preserve">a &amp; b </t></r>` +
		`<r><t>c&#x41;&#66;&bogus;&</t></r><rPh sb="0"><t>ignored</t></rPh></is></c>` +
		`<c r="B8" t="str"><f>A1&gt;0</f><v>x_x000D_y</v></c>` +
		`<c r="C8" t="inlineStr"><is><t>x_x000D_y_x005F_x0041__xD83D__xDE00_</t></is></c>` +
		"<c r=\"D8\" note='a > b'><v>1&#13;\r\n2\r3</v></c><c r=\"E8\" s=\"x\"/></row>" +
		`</x:sheetData><x:row r="9"><x:c r="A9"><x:v>after</x:v></x:c></x:row></x:worksheet>`
	rows, err := scanSheet(t, sheet, limits{cell: 100, row: 1000})
	must(t, err)
	cell := func(col, style int, kind cellKind, shared bool, value string) scannedCell {
		return scannedCell{cellMeta{col: col, style: style, kind: kind, shared: shared, size: len(value)}, value}
	}
	want := map[int][]scannedCell{
		1: {cell(1, 0, kindText, true, "0"), cell(3, 3, kindNumber, false, "1")},
		2: {},
		3: {cell(1, 2, kindBool, false, "1"), cell(2, 4, kindText, false, `<c s="7">`)},
		6: {cell(28, 0, kindOther, false, "#N/A")},
		8: {
			cell(1, 0, kindText, false, "a & b cAB&bogus;&"),
			cell(2, 0, kindText, false, "x_x000D_y"),
			cell(3, 0, kindText, false, "x\ry_x0041_😀"),
			cell(4, 0, kindNumber, false, "1\r\n2\n3"),
			cell(5, 0, kindNumber, false, ""),
		},
	}
	for n, cells := range want {
		got := rows[n]
		for i := range got { // positions in the row's text are not the point
			got[i].start, got[i].end = 0, 0
		}
		if !reflect.DeepEqual(got, cells) {
			t.Errorf("row %d =\n%+v\nwant\n%+v", n, got, cells)
		}
	}
	if len(rows) != len(want) {
		t.Errorf("read rows %v, want %d rows", rows, len(want))
	}
}

func TestSheetScannerErrors(t *testing.T) {
	tests := []struct{ name, xml, errPart string }{
		{"truncated in a tag", `<worksheet><sheetData><row r="1"><c r="A1" s="1`, "unexpected EOF"},
		{"truncated in a value", `<worksheet><sheetData><row r="1"><c r="A1"><v>12`, "unexpected EOF"},
		{"row number", `<worksheet><sheetData><row r="x1"><c/></row></sheetData>`, "invalid row number"},
		{"row in a row", `<sheetData><row r="1"><c r="A1"/><row r="2"></row></row></sheetData>`, "before the row's end"},
		{"tag too long", `<sheetData><row r="1"><c r="` + strings.Repeat("A", maxTagSize) + `"/></row>`, "tag longer than"},
	}
	for _, tt := range tests {
		_, err := scanSheet(t, tt.xml, limits{cell: 100, row: 1000})
		if err == nil || !strings.Contains(err.Error(), tt.errPart) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.errPart)
		}
	}
}
