package tabular

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// readAll reads every row of r, failing the test on a fatal error.
func readAll(t testing.TB, r Reader) []Row {
	t.Helper()
	var rows []Row
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			return rows
		}
		if err != nil {
			t.Fatalf("Next after %d rows: %v", len(rows), err)
		}
		rows = append(rows, row)
	}
}

// openFile writes content to a file named name in a temporary folder and opens it.
func openFile(t *testing.T, name, content string, opt Options) (Reader, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Open(path, opt)
	if err == nil {
		t.Cleanup(func() { _ = r.Close() })
	}
	return r, err
}

func values(rows []Row) [][]string {
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = r.Values
	}
	return out
}

func TestDetectDelimiter(t *testing.T) {
	tests := []struct {
		name, file, content string
		want                rune
	}{
		{"comma", "a.csv", "a,b,c\n1,2,3\n", ','},
		{"semicolon", "a.csv", "a;b;c\n1;2,5;3\n4;5;6\n", ';'},
		{"tab", "a.csv", "a\tb\tc\n1\t2\t3\n", '\t'},
		{"pipe", "a.txt", "a|b|c\n1|2|3\n", '|'},
		{"semicolon with quoted commas", "a.csv", "name;note\n\"Doe, Jane\";\"a, b, c\"\n\"Roe, Rick\";x\n", ';'},
		{"comma beats a stray semicolon in data", "a.csv", "a,b\n1;x,2\n3,4\n", ','},
		{"single column", "a.csv", "email\nann@example.com\n", ','},
		{"header only", "a.csv", "a;b;c\n", ';'},
		{"tsv defaults to tab", "a.tsv", "a,b\tc\n1,2\t3\n", '\t'},
		{"consistent rows win over a wider header", "a.csv", "a,b;c;d\n1;2;3\n4;5;6\n", ';'},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := openFile(t, tt.file, tt.content, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got := r.(*csvReader).comma; got != tt.want {
				t.Errorf("delimiter = %q, want %q (header %q)", got, tt.want, r.Header())
			}
		})
	}
}

func TestDetectDelimiterOnlyReadsPrefix(t *testing.T) {
	// Past the 64 KiB prefix the file switches to semicolons; detection must
	// not see it, and the reader must still return every byte afterwards.
	var b strings.Builder
	b.WriteString("a,b\n")
	for b.Len() < 2*sniffSize {
		b.WriteString("1,2\n")
	}
	b.WriteString("x;y;z\n")
	r, err := openFile(t, "big.csv", b.String(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	rows := readAll(t, r)
	last := rows[len(rows)-1]
	if last.Err == nil || !reflect.DeepEqual(last.Values, []string{"x;y;z"}) {
		t.Errorf("last row = %+v, want the semicolon line as one ragged field", last)
	}
}

func TestCSVFiles(t *testing.T) {
	tests := []struct {
		file   string
		opt    Options
		header []string
		rows   [][]string
	}{
		{"bom.csv", Options{}, []string{"Email", "Name"}, [][]string{{"ann@example.com", "Ann"}}},
		{"quoted-newlines.csv", Options{}, []string{"Email", "Notes", "City"}, [][]string{
			{"ann@example.com", "first line\nsecond line, with comma", "Paris"},
			{"bob@example.com", "He said \"hi\"\nthen left", "Lyon"},
			{"cid@example.com", "", "Nantes"},
		}},
		{"windows-1252.csv", Options{Encoding: "windows-1252"}, []string{"Name", "City", "Note"}, [][]string{
			{"François Müller", "Besançon", "price 10€ – “quoted”"},
			{"Zoë", "Orléans", ""},
		}},
		{"windows-1252.csv", Options{Encoding: "latin1"}, []string{"Name", "City", "Note"}, [][]string{
			{"François Müller", "Besançon", "price 10€ – “quoted”"},
			{"Zoë", "Orléans", ""},
		}},
		{"utf16le-bom.csv", Options{}, []string{"Name", "City"}, [][]string{{"José", "São Paulo"}}},
	}
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.opt.Encoding, func(t *testing.T) {
			r, err := Open(filepath.Join("testdata", tt.file), tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if got := r.Header(); !reflect.DeepEqual(got, tt.header) {
				t.Errorf("header = %q, want %q", got, tt.header)
			}
			rows := readAll(t, r)
			for _, row := range rows {
				if row.Err != nil {
					t.Errorf("row %d: %v", row.Num, row.Err)
				}
			}
			if got := values(rows); !reflect.DeepEqual(got, tt.rows) {
				t.Errorf("rows = %q, want %q", got, tt.rows)
			}
		})
	}
}

func TestCSVWrongEncoding(t *testing.T) {
	_, err := Open(filepath.Join("testdata", "windows-1252.csv"), Options{})
	if !errors.Is(err, ErrEncoding) || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("Open = %v, want an encoding error on line 2", err)
	}
	if _, err := Open(filepath.Join("testdata", "bom.csv"), Options{Encoding: "klingon"}); err == nil {
		t.Error("unknown encoding accepted")
	}

	// Invalid UTF-8 past the sniffed prefix makes that row bad, not the file.
	var b strings.Builder
	b.WriteString("name,city\n")
	for b.Len() < sniffSize+100 {
		b.WriteString("Ann,Paris\n")
	}
	b.WriteString("Fran\xe7ois,Besan\xe7on\nZoe,Lyon\n")
	r, err := openFile(t, "late.csv", b.String(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	rows := readAll(t, r)
	bad, last := rows[len(rows)-2], rows[len(rows)-1]
	if !errors.Is(bad.Err, ErrEncoding) {
		t.Errorf("row with Latin-1 bytes: err = %v, want ErrEncoding", bad.Err)
	}
	if last.Err != nil || last.Values[0] != "Zoe" {
		t.Errorf("row after it = %+v", last)
	}
}

func TestCSVBadRows(t *testing.T) {
	content := "id,name,email\n" +
		"1,Ann,ann@example.com\n" +
		"\n" + // empty line: skipped, not counted
		"2,Bob\n" + // ragged
		",,\n" + // all empty: skipped
		"3,Cid,cid@example.com,,\n" + // trailing empty extras: accepted
		"4,Dan \"the man\",dan@example.com\n" + // bare quote
		"5,Eve,eve@example.com,extra\n" + // too many fields
		"6,\"Fay\",fay@example.com\n"
	r, err := openFile(t, "bad.csv", content, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rows := readAll(t, r)
	type want struct {
		num    int
		values []string
		err    error // matched with errors.Is; nil for a good row
		line   int
	}
	wants := []want{
		{1, []string{"1", "Ann", "ann@example.com"}, nil, 2},
		{2, []string{"2", "Bob"}, ErrFieldCount, 4},
		{3, []string{"3", "Cid", "cid@example.com"}, nil, 6},
		{4, []string{"4"}, csv.ErrBareQuote, 7},
		{5, []string{"5", "Eve", "eve@example.com", "extra"}, ErrFieldCount, 8},
		{6, []string{"6", "Fay", "fay@example.com"}, nil, 9},
	}
	if len(rows) != len(wants) {
		t.Fatalf("got %d rows, want %d: %+v", len(rows), len(wants), rows)
	}
	for i, w := range wants {
		got := rows[i]
		if got.Num != w.num || !reflect.DeepEqual(got.Values, w.values) {
			t.Errorf("row %d = %d %q, want %d %q", i, got.Num, got.Values, w.num, w.values)
		}
		if w.err == nil {
			if got.Err != nil {
				t.Errorf("row %d: unexpected error %v", w.num, got.Err)
			}
			continue
		}
		var re *RowError
		if !errors.As(got.Err, &re) || !errors.Is(got.Err, w.err) || re.Line != w.line || re.Num != w.num {
			t.Errorf("row %d: err = %v, want %v on line %d", w.num, got.Err, w.err, w.line)
		}
	}
	if msg := rows[1].Err.Error(); msg != "row 2 (line 4): 2 fields, header has 3" {
		t.Errorf("ragged row message = %q", msg)
	}
}

// wantRow is what a test expects of one row: its line, its values and,
// for a bad row, an error it matches with errors.Is.
type wantRow struct {
	line   int
	values []string
	err    error
}

// anyError in a wantRow expects a bad row, whatever its cause.
type anyError struct{}

func (anyError) Error() string { return "any error" }

// checkRows compares rows with want, numbering them from 1.
func checkRows(t *testing.T, rows []Row, want []wantRow) {
	t.Helper()
	if len(rows) != len(want) {
		for _, r := range rows {
			t.Logf("row %d: %q %v", r.Num, r.Values, r.Err)
		}
		t.Fatalf("got %d rows, want %d", len(rows), len(want))
	}
	for i, w := range want {
		got := rows[i]
		if got.Num != i+1 || (w.values != nil && !reflect.DeepEqual(got.Values, w.values)) {
			t.Errorf("row %d = %d %q, want %d %q", i+1, got.Num, got.Values, i+1, w.values)
		}
		if w.err == nil {
			if got.Err != nil {
				t.Errorf("row %d: unexpected error %v", i+1, got.Err)
			}
			continue
		}
		var re *RowError
		_, isAny := w.err.(anyError)
		if !errors.As(got.Err, &re) || !isAny && !errors.Is(got.Err, w.err) || re.Line != w.line || re.Num != i+1 {
			t.Errorf("row %d: err = %v, want %v on line %d", i+1, got.Err, w.err, w.line)
		}
	}
}

// A broken quote must cost its own record only: the rows after it are read
// again from the line after the one where the broken record started.
func TestCSVBrokenQuotes(t *testing.T) {
	manyLines := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "%d,x\n", i+2)
		}
		return b.String()
	}
	// After a quote left open on line 2, lines 3 to 1502 are rows again; a
	// bare quote on one of them is a bad row of its own.
	var longWant []wantRow
	longWant = append(longWant, wantRow{2, []string{"1"}, ErrQuote})
	for i := range 1500 {
		w := wantRow{i + 3, []string{strconv.Itoa(i + 2), "x"}, nil}
		if i == 1200 {
			w = wantRow{i + 3, []string{strconv.Itoa(i + 2)}, csv.ErrBareQuote}
		}
		longWant = append(longWant, w)
	}
	long := "id,note\n1,\"open\n" + strings.Replace(manyLines(1500), "1202,x\n", "1202,x\"\n", 1)

	tests := []struct {
		name, content string
		opt           Options
		want          []wantRow
	}{
		{"quote closed lines later by a stray one", "id,note\n1,ok\n2,\"never closed\n3,swallowed\n4,\"x\"y\n5,after\n", Options{}, []wantRow{
			{2, []string{"1", "ok"}, nil},
			{3, []string{"2"}, csv.ErrQuote},
			{4, []string{"3", "swallowed"}, nil},
			{5, []string{"4"}, csv.ErrQuote},
			{6, []string{"5", "after"}, nil},
		}},
		{"quote open at the end of the file", "id,note\n1,\"open\n2,b\r\n3,c", Options{}, []wantRow{
			{2, []string{"1"}, ErrQuote},
			{3, []string{"2", "b"}, nil},
			{4, []string{"3", "c"}, nil},
		}},
		{"quote open past maxQuotedLines", long, Options{}, longWant},
		{"text after a closing quote lines later", "id,note\n1,\"a\nb\"x,c\n2,ok\n", Options{}, []wantRow{
			{2, []string{"1"}, ErrQuote},
			{3, nil, csv.ErrBareQuote},
			{4, []string{"2", "ok"}, nil},
		}},
		{"quote open past the row limit", "id,note\n1,\"open\n" + manyLines(5), Options{MaxRowBytes: 12}, []wantRow{
			{2, []string{"1"}, ErrQuote},
			{3, []string{"2", "x"}, nil},
			{4, []string{"3", "x"}, nil},
			{5, []string{"4", "x"}, nil},
			{6, []string{"5", "x"}, nil},
			{7, []string{"6", "x"}, nil},
		}},
		{"closed quoted cell over the cell limit", "id,note\n1,\"0123456789\nabc\",x\n2,ok\n", Options{MaxCellBytes: 10}, []wantRow{
			{2, []string{"1", "", "x"}, ErrTooLarge},
			{4, []string{"2", "ok"}, nil},
		}},
		{"bare quote in a later field", "id,note\n1,\"a\nb\",c\"d\n2,ok\n", Options{}, []wantRow{
			{2, []string{"1", "a\nb"}, csv.ErrBareQuote},
			{3, nil, csv.ErrBareQuote},
			{4, []string{"2", "ok"}, nil},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "q.csv")
			must(t, os.WriteFile(path, []byte(tt.content), 0o600))
			var first []Row
			for range 2 { // the numbering must not change from one read to the next
				r, err := Open(path, tt.opt)
				must(t, err)
				rows := readAll(t, r)
				must(t, r.Close())
				checkRows(t, rows, tt.want)
				if first != nil && !reflect.DeepEqual(values(rows), values(first)) {
					t.Error("second read differs from the first")
				}
				first = rows
			}
		})
	}
}

func TestCSVQuoteErrorMessage(t *testing.T) {
	r, err := openFile(t, "q.csv", "id,note\n1,\"open\n2,b\n", Options{})
	must(t, err)
	rows := readAll(t, r)
	var pe *csv.ParseError
	if len(rows) != 2 || !errors.As(rows[0].Err, &pe) || pe.StartLine != 2 {
		t.Fatalf("rows = %+v", rows)
	}
	const want = "row 1 (line 2): quoted field opened on line 2 is not closed by the end of the file; reading goes on from line 3"
	if got := rows[0].Err.Error(); got != want {
		t.Errorf("message =\n%s\nwant\n%s", got, want)
	}
}

func TestCSVHeader(t *testing.T) {
	tests := []struct {
		name, content string
		want          []string
		errPart       string
	}{
		{"empty names", "a,,c, \n1,2,3,4\n", []string{"a", "column_2", "c", "column_4"}, ""},
		{"trimmed", " Email , Name\n", []string{"Email", "Name"}, ""},
		{"leading blank lines", "\n\n,,\nEmail\n", []string{"Email"}, ""},
		{"duplicates", "Email,Name,Email\n", nil, `"Email" (columns 1 and 3)`},
		{"empty file", "", nil, "no header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := openFile(t, "h.csv", tt.content, Options{})
			if tt.errPart != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errPart) {
					t.Fatalf("Open = %v, want an error containing %q", err, tt.errPart)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Header(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("header = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestOpenOptionsAndTypes(t *testing.T) {
	r, err := openFile(t, "p.csv", "a|b\n1|2\n", Options{Delimiter: '|'})
	if err != nil {
		t.Fatal(err)
	}
	if rows := readAll(t, r); len(rows) != 1 || rows[0].Values[1] != "2" {
		t.Errorf("rows = %+v", rows)
	}
	if _, err := openFile(t, "p.csv", "a,b\n", Options{Delimiter: '"'}); err == nil {
		t.Error("quote accepted as delimiter")
	}
	for _, name := range []string{"a.json", "a.xls", "a"} {
		if _, err := openFile(t, name, "x", Options{}); err == nil {
			t.Errorf("%s: opened", name)
		}
	}
	if _, err := Open(filepath.Join(t.TempDir(), "missing.csv"), Options{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}
