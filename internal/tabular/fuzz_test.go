package tabular

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// fuzzOptions sets small limits, so that short inputs reach them.
func fuzzOptions() Options { return Options{MaxCellBytes: 64, MaxRowBytes: 256} }

// FuzzCSVReader reads arbitrary bytes as a .csv file: Open may refuse
// them, but once open the reader never panics, never loops, numbers its
// rows 1, 2, 3… from lines that only go forward, gives a good row as many
// values as the header, and reads the same rows a second time.
func FuzzCSVReader(f *testing.F) {
	for _, name := range []string{"bom.csv", "quoted-newlines.csv", "utf16le-bom.csv", "windows-1252.csv"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"id,note\n1,ok\n2,\"never closed\n3,swallowed\n4,\"x\"y\n5,after\n",
		"a;b\r\n\"x\"\"y\";\"multi\r\nline\"\r\n;\r\n",
		"a\tb\n\"\"\"\t\"\n\"a\"b\tc\n",
		"a,b\n1," + string(bytes.Repeat([]byte("x"), 100)) + "\n\"" + string(bytes.Repeat([]byte("y\n"), 40)) + "\",z\n",
		"h\n\xff\xfe\n\"\xc3\n\xa9\"\n",
		"a|b\n1|\"2\r",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "fuzz.csv")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		first := fuzzReadCSV(t, path, data)
		if second := fuzzReadCSV(t, path, data); !reflect.DeepEqual(first, second) {
			t.Fatalf("two reads differ:\n%+v\n%+v", first, second)
		}
	})
}

// fuzzReadCSV reads every row of the file, checking each; it returns nil
// when Open refuses the file.
func fuzzReadCSV(t *testing.T, path string, data []byte) []Row {
	r, err := Open(path, fuzzOptions())
	if err != nil {
		return nil
	}
	defer r.Close()
	c := r.(*csvReader)
	// Every row starts on a line of its own, and there are no more lines
	// than '\n' bytes plus one (a UTF-16 '\n' holds a 0x0A byte too).
	maxRows := bytes.Count(data, []byte("\n")) + 1
	var rows []Row
	lastLine := c.p.recLine
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			return rows
		}
		if err != nil {
			t.Fatalf("Next after %d rows: %v", len(rows), err)
		}
		rows = append(rows, row)
		if row.Num != len(rows) || len(rows) > maxRows {
			t.Fatalf("row %d numbered %d (at most %d rows)", len(rows), row.Num, maxRows)
		}
		if line := c.p.recLine; line <= lastLine {
			t.Fatalf("row %d starts on line %d, after a row on line %d", row.Num, line, lastLine)
		}
		lastLine = c.p.recLine
		var re *RowError
		switch {
		case row.Err == nil && len(row.Values) != len(r.Header()):
			t.Fatalf("good row %d has %d values, header %d", row.Num, len(row.Values), len(r.Header()))
		case row.Err != nil && (!errors.As(row.Err, &re) || re.Num != row.Num || re.Line != lastLine):
			t.Fatalf("row %d: error %v", row.Num, row.Err)
		}
		for _, v := range row.Values {
			if len(v) > fuzzOptions().MaxCellBytes {
				t.Fatalf("row %d holds a value of %d bytes", row.Num, len(v))
			}
		}
	}
}

// FuzzXLSXScanner runs the worksheet scanner, and the shared strings
// reader that shares its XML code, on arbitrary bytes: they never panic or
// loop, and what they keep is within the limits.
func FuzzXLSXScanner(f *testing.F) {
	for _, s := range []string{
		sheetOf(`<row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1" s="3"><v>1</v></c></row><row r="2"/>`),
		sheetOf(`<row><c s="2" t="b"><v>1</v></c><c t='inlineStr' s='4'><is><t><![CDATA[<c s="7">]]></t></is></c></row>`),
		sheetOf(`<row r="8"><c r="A8" t="inlineStr"><is><r><rPr><b/></rPr><t xml:space="preserve">a &amp; b </t></r>` +
			`<r><t>c&#x41;&#66;&bogus;&</t></r><rPh sb="0"><t>ignored</t></rPh></is></c>` +
			`<c r="XFD8" note='a > b'><v>1&#13;` + "\r\n2\r3" + `</v></c><!-- x --><?pi x?></row>`),
		`<sst><si><t>a_x000D_b_x005F_x0041_</t></si><si/><si><r><t>x</t></r><rPh><t>y</t></rPh></si></sst>`,
		`<worksheet><sheetData><row r="1"><c r="A1" s="1`,
	} {
		f.Add([]byte(s))
	}
	lim := limits{cell: 64, row: 256}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := newSheetScanner(bytes.NewReader(data), lim)
		for n := 1; ; n++ {
			ok, err := s.next()
			if err != nil || !ok {
				break
			}
			if n > len(data)/len("<row/>") {
				t.Fatalf("%d rows from %d bytes", n, len(data))
			}
			if len(s.text) > lim.row || len(s.cells) > maxColumns {
				t.Fatalf("row %d keeps %d bytes in %d cells", s.rowNum, len(s.text), len(s.cells))
			}
			for _, c := range s.cells {
				if c.col < 1 || c.col > maxColumns || c.start > c.end || c.end > len(s.text) || c.end-c.start > min(c.size, lim.cell) {
					t.Fatalf("row %d: cell %+v", s.rowNum, c)
				}
			}
		}
		ss, err := parseSharedStrings(bytes.NewReader(data), uint64(len(data)), lim)
		if err != nil {
			return
		}
		for i := range ss.ends {
			if text, size, ok := ss.get(i); !ok || len(text) > lim.cell || len(text) > size {
				t.Fatalf("shared string %d: %d bytes kept of %d", i, len(text), size)
			}
		}
	})
}
