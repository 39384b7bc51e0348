package tabular

import (
	"encoding/csv"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
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
			if got := r.(*csvReader).r.Comma; got != tt.want {
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

func TestCSVUnclosedQuoteIsFatal(t *testing.T) {
	content := "id,note\n1,ok\n2,\"never closed\n3,swallowed\n4,\"x\"y\n5,after\n"
	r, err := openFile(t, "q.csv", content, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if row, err := r.Next(); err != nil || row.Values[1] != "ok" {
		t.Fatalf("first row = %+v, %v", row, err)
	}
	_, err = r.Next()
	if err == nil || errors.Is(err, io.EOF) || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("Next = %v, want a fatal error naming line 3", err)
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
