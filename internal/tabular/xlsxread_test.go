package tabular

import (
	"archive/zip"
	"bufio"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/crmload/crmload/internal/heapmeter"
	"github.com/xuri/excelize/v2"
)

// bookPart is one part of a hand-made workbook. A part with declared set
// is written raw: size bytes of filler that the central directory says
// unzip to declared bytes, which Open must refuse before reading them.
type bookPart struct {
	name, body string
	store      bool // stored, not deflated
	declared   uint64
	size       int
}

// handBook writes a workbook of one sheet, "Data", from its sheet XML (or
// an extra part named xl/worksheets/sheet1.xml), an optional shared
// strings part and any extra parts, and returns its path.
func handBook(t *testing.T, sheetXML, sharedXML string, extra ...bookPart) string {
	t.Helper()
	parts := []bookPart{
		{name: "[Content_Types].xml", body: `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`},
		{name: "_rels/.rels", body: `<Relationships xmlns="` + nsPkgRel + `"><Relationship Id="rId1" Type="` + nsRel + `/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{name: "xl/workbook.xml", body: `<workbook xmlns="` + nsMain + `" xmlns:r="` + nsRel + `"><sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{name: "xl/_rels/workbook.xml.rels", body: `<Relationships xmlns="` + nsPkgRel + `">` +
			`<Relationship Id="rId1" Type="` + nsRel + `/worksheet" Target="worksheets/sheet1.xml"/>` +
			`<Relationship Id="rId2" Type="` + nsRel + `/sharedStrings" Target="sharedStrings.xml"/></Relationships>`},
	}
	if sheetXML != "" {
		parts = append(parts, bookPart{name: "xl/worksheets/sheet1.xml", body: sheetXML})
	}
	if sharedXML != "" {
		parts = append(parts, bookPart{name: "xl/sharedStrings.xml", body: sharedXML})
	}
	path := filepath.Join(t.TempDir(), "hand.xlsx")
	f, err := os.Create(path)
	must(t, err)
	bw := bufio.NewWriter(f)
	zw := zip.NewWriter(bw)
	for _, p := range append(parts, extra...) {
		var w io.Writer
		switch {
		case p.declared > 0:
			w, err = zw.CreateRaw(&zip.FileHeader{Name: p.name, Method: zip.Deflate,
				CompressedSize64: uint64(p.size), UncompressedSize64: p.declared})
			must(t, err)
			_, err = w.Write(make([]byte, p.size))
		case p.store:
			w, err = zw.CreateHeader(&zip.FileHeader{Name: p.name, Method: zip.Store})
			must(t, err)
			_, err = io.WriteString(w, p.body)
		default:
			w, err = zw.Create(p.name)
			must(t, err)
			_, err = io.WriteString(w, p.body)
		}
		must(t, err)
	}
	must(t, zw.Close())
	must(t, bw.Flush())
	must(t, f.Close())
	return path
}

// sheetOf wraps rows in a worksheet's XML.
func sheetOf(rows string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="` + nsMain + `"><sheetData>` + rows + `</sheetData></worksheet>`
}

// The reader must give the values excelize gives (raw, for text cells),
// on the XML quirks other writers produce.
func TestXLSXReadsLikeExcelize(t *testing.T) {
	shared := `<sst xmlns="` + nsMain + `" count="5" uniqueCount="5">` +
		`<si><t>Email</t></si>` +
		`<si><r><rPr><b/><sz val="11"/></rPr><t xml:space="preserve">Zoë </t></r><r><t>O'Neil</t></r><rPh sb="0" eb="1"><t>ゾエ</t></rPh></si>` +
		`<si><t>tab&#9;amp&amp;lt&lt;_x000D_cr_x005F_x0041_</t></si>` +
		`<si/>` +
		`<si><t><![CDATA[a<b>]]>&gt;</t></si>` +
		`</sst>`
	sheet := sheetOf(`<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>Notes</t></is></c><c r="C1" t="str"><v>Id</v></c></row>` +
		`<!-- comment --><row r="2" spans="1:3"><c r="A2" t="s"><v> 1 </v></c><c r="B2" t="s"><v>2</v></c><c r="C2"><v>42</v></c></row>` +
		"<row r=\"3\"><c r=\"A3\" t=\"s\"><v>3</v></c><c r=\"B3\" t=\"s\"><v>4</v></c><c r=\"C3\" t=\"inlineStr\"><is><t>line1\r\nline2\rline3</t></is></c></row>" +
		`<row r="5"><c r="B5" t='inlineStr' x='a>b'><is><r><t>rich </t></r><r><t>text</t></r></is></c><c r="C5" t="str"><f>A1&amp;"x"</f><v>calc</v></c></row>`)
	path := handBook(t, sheet, shared)

	f, err := excelize.OpenFile(path, excelize.Options{RawCellValue: true})
	must(t, err)
	want, err := f.GetRows("Data")
	must(t, err)
	_ = f.Close()

	r, err := Open(path, Options{})
	must(t, err)
	defer r.Close()
	got := [][]string{r.Header()}
	for _, row := range readAll(t, r) {
		if row.Err != nil {
			t.Errorf("row %d: %v", row.Num, row.Err)
		}
		n := len(row.Values) // excelize leaves out trailing empty cells
		for n > 0 && row.Values[n-1] == "" {
			n--
		}
		got = append(got, row.Values[:n])
	}
	want = dropEmptyRows(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rows =\n%q\nexcelize reads\n%q", got, want)
	}
}

// dropEmptyRows drops empty rows, which the reader skips.
func dropEmptyRows(rows [][]string) [][]string {
	out := rows[:0]
	for _, r := range rows {
		if len(r) > 0 {
			out = append(out, r)
		}
	}
	return out
}

func TestXLSXRefused(t *testing.T) {
	sheet := sheetOf(`<row r="1"><c r="A1" t="inlineStr"><is><t>Email</t></is></c></row>`)
	tests := []struct {
		name    string
		extra   bookPart
		errPart string
	}{
		{"non-sheet part over the part limit", bookPart{name: "xl/media/image1.png", declared: 300 << 20, size: 2 << 20},
			"part xl/media/image1.png would unzip to 300 MiB, over the 256 MiB limit for a part that is not a worksheet"},
		{"zip bomb ratio", bookPart{name: "xl/theme/theme1.xml", declared: 100 << 20, size: 100 << 10},
			"part xl/theme/theme1.xml would unzip to 100 MiB from 100 KiB, a ratio over 400:1: refused as a possible zip bomb"},
		{"workbook over the total limit", bookPart{name: "xl/worksheets/sheet2.xml", declared: 5 << 30, size: 16 << 20},
			"workbook would unzip to more than 4 GiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := handBook(t, sheet, "", tt.extra)
			r, err := Open(path, Options{})
			if err == nil {
				_ = r.Close()
			}
			if err == nil || !strings.Contains(err.Error(), tt.errPart) {
				t.Errorf("Open = %v, want %q", err, tt.errPart)
			}
		})
	}
	// A worksheet may be large, it is streamed: Open goes on to read this
	// one, and finds it is not deflated data.
	path := handBook(t, "", "", bookPart{name: "xl/worksheets/sheet1.xml", declared: 300 << 20, size: 2 << 20})
	r, err := Open(path, Options{})
	if err == nil {
		_ = r.Close()
	}
	if err == nil || strings.Contains(err.Error(), "limit") || strings.Contains(err.Error(), "bomb") {
		t.Errorf("Open = %v, want a read error", err)
	}
}

func TestXLSXLimits(t *testing.T) {
	shared := `<sst xmlns="` + nsMain + `"><si><t>` + strings.Repeat("s", 300) + `</t></si><si><t>ok</t></si></sst>`
	sheet := sheetOf(`<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c><c r="B1" t="inlineStr"><is><t>note</t></is></c></row>` +
		`<row r="2"><c r="A2"><v>1</v></c><c r="B2" t="inlineStr"><is><t>` + strings.Repeat("x", 200) + `</t></is></c></row>` +
		`<row r="3"><c r="A3"><v>2</v></c><c r="B3" t="s"><v>0</v></c></row>` +
		`<row r="4"><c r="A4"><v>3</v></c><c r="B4" t="s"><v>1</v></c></row>` +
		`<row r="5"><c r="A5" t="str"><v>` + strings.Repeat("y", 90) + `</v></c><c r="B5" t="str"><v>` + strings.Repeat("z", 90) + `</v></c></row>` +
		`<row r="6"><c r="A6"><v>4</v></c><c r="XFE6"><v>1</v></c></row>` +
		`<row r="7"><c r="A7"><v>5</v></c><c r="B7" t="s"><v>9</v></c></row>` +
		`<row r="8"><c r="A8"><v>6</v></c><c r="B8" s="1" t="s"/></row>`)
	r, err := Open(handBook(t, sheet, shared), Options{MaxCellBytes: 100, MaxRowBytes: 150})
	must(t, err)
	defer r.Close()
	rows := readAll(t, r)
	checkRows(t, rows, []wantRow{
		{2, []string{"1", ""}, ErrTooLarge},
		{3, []string{"2", ""}, ErrTooLarge},
		{4, []string{"3", "ok"}, nil},
		{5, nil, ErrTooLarge},
		{6, []string{"4", ""}, ErrTooLarge},
		{7, []string{"5", ""}, anyError{}},
		{8, []string{"6", ""}, nil},
	})
	for i, msg := range map[int]string{
		0: `cell in column "note" is 200 bytes, over the 100 bytes limit`,
		1: `cell in column "note" is 300 bytes, over the 100 bytes limit`,
		3: "row is 180 bytes, over the 150 bytes limit",
		4: "a cell past column XFD (16384)",
		5: `cell in column "note": no shared string "9"`,
	} {
		if rows[i].Err == nil || !strings.Contains(rows[i].Err.Error(), msg) {
			t.Errorf("row %d: err = %v, want %q", i+1, rows[i].Err, msg)
		}
	}
}

// Skipping an oversized cell must not hold it: the heap stays far below
// the cell's 48 MiB.
func TestXLSXBigCellMemory(t *testing.T) {
	// Stored, not deflated: deflated, so repetitive a cell would look like
	// a zip bomb.
	big := bytes.Repeat([]byte("x"), 48<<20)
	sheet := sheetOf(`<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c><c r="B1" t="inlineStr"><is><t>note</t></is></c></row>` +
		`<row r="2"><c r="A2"><v>1</v></c><c r="B2" t="inlineStr"><is><t>` + string(big) + `</t></is></c></row>` +
		`<row r="3"><c r="A3"><v>2</v></c><c r="B3" t="inlineStr"><is><t>ok</t></is></c></row>`)
	big = nil
	path := handBook(t, "", "", bookPart{name: "xl/worksheets/sheet1.xml", body: sheet, store: true})
	sheet = ""
	var rows []Row
	st := heapmeter.Measure(1, func(each func(int)) {
		r, err := Open(path, Options{})
		must(t, err)
		defer r.Close()
		rows = readAll(t, r)
		each(1)
	})
	t.Log(st)
	checkRows(t, rows, []wantRow{{2, []string{"1", ""}, ErrTooLarge}, {3, []string{"2", "ok"}, nil}})
	if st.PeakInuse > 24<<20 {
		t.Errorf("heap peaked at %.1f MiB reading a 48 MiB cell", float64(st.PeakInuse)/(1<<20))
	}
}

// A worksheet stays far under maxRatio even when every row holds the same
// long text: the row and cell numbers keep it from compressing like a bomb.
func TestCompressionRatioOfRepetitiveSheet(t *testing.T) {
	var b strings.Builder
	same := strings.Repeat("The same long message in every row of a report. ", 20)
	for i := range 5_000 {
		n := strconv.Itoa(i + 1)
		b.WriteString(`<row r="` + n + `"><c r="A` + n + `" s="1"/><c r="B` + n + `" t="inlineStr"><is><t>` + same + `</t></is></c></row>`)
	}
	path := handBook(t, sheetOf(b.String()), "")
	zr, err := zip.OpenReader(path)
	must(t, err)
	defer zr.Close()
	for _, f := range zr.File {
		if ratio := f.UncompressedSize64 / max(f.CompressedSize64, 1); f.UncompressedSize64 > minRatioCheck && ratio > maxRatio/2 {
			t.Errorf("%s compresses %d:1, too close to maxRatio %d", f.Name, ratio, maxRatio)
		} else {
			t.Logf("%s: %d bytes, ratio %d:1", f.Name, f.UncompressedSize64, ratio)
		}
	}
	r, err := Open(path, Options{})
	must(t, err)
	must(t, r.Close())
}
