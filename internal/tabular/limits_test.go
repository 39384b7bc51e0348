package tabular

import (
	"bufio"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crmload/crmload/internal/heapmeter"
)

func TestCSVLimits(t *testing.T) {
	tests := []struct {
		name, content string
		opt           Options
		want          []wantRow
		msg           string // in the first bad row's message
	}{
		{"cell over the default limit", "id,note\n1," + strings.Repeat("x", 3<<20) + ",z\n2,ok\n", Options{}, []wantRow{
			{2, []string{"1", "", "z"}, ErrTooLarge},
			{3, []string{"2", "ok"}, nil},
		}, `cell in column "note" is 3 MiB, over the 1 MiB limit`},
		{"quoted cell over a set limit", "id,note\n1,\"" + strings.Repeat("x", 2000) + "\"\n2,ok\n", Options{MaxCellBytes: 1000}, []wantRow{
			{2, []string{"1", ""}, ErrTooLarge},
			{3, []string{"2", "ok"}, nil},
		}, `cell in column "note" is 2000 bytes, over the 1000 bytes limit`},
		{"row over the limit", "a,b,c\n1,0123456789,0123456789\n2,x,y\n", Options{MaxRowBytes: 20}, []wantRow{
			{2, []string{"1", "0123456789", ""}, ErrTooLarge},
			{3, []string{"2", "x", "y"}, nil},
		}, "row is 21 bytes, over the 20 bytes limit"},
		{"extra cell over the limit", "a\n1,,," + strings.Repeat("y", 50) + "\n", Options{MaxCellBytes: 10}, []wantRow{
			{2, []string{"1", "", "", ""}, ErrTooLarge},
		}, "cell in column 4 is 50 bytes"},
		{"too many fields", "a,b\n" + strings.Repeat(",", 20000) + "\n1,2\n", Options{}, []wantRow{
			{2, nil, ErrTooLarge},
			{3, []string{"1", "2"}, nil},
		}, "20001 fields, over the limit of 16384"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := openFile(t, "big.csv", tt.content, tt.opt)
			must(t, err)
			rows := readAll(t, r)
			checkRows(t, rows, tt.want)
			if len(rows) > 0 && rows[0].Err != nil && !strings.Contains(rows[0].Err.Error(), tt.msg) {
				t.Errorf("message = %q, want it to contain %q", rows[0].Err, tt.msg)
			}
		})
	}
}

func TestCSVLimitsAtOpen(t *testing.T) {
	tests := []struct {
		name, content string
		opt           Options
		errPart       string
	}{
		{"negative limit", "a\n", Options{MaxCellBytes: -1}, "negative size limit"},
		{"header cell over the limit", "a," + strings.Repeat("b", 100) + "\n", Options{MaxCellBytes: 50}, "header (line 1): cell in column 2 is 100 bytes"},
		{"header quote never closed", "a,\"b\n1,2\n", Options{}, "header (line 1): quoted field opened on line 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := openFile(t, "h.csv", tt.content, tt.opt)
			if err == nil || !strings.Contains(err.Error(), tt.errPart) {
				t.Errorf("Open = %v, want an error containing %q", err, tt.errPart)
			}
		})
	}
}

// writeBigCellCSV writes a file whose second row holds a quoted cell of
// size bytes, without holding the cell in memory.
func writeBigCellCSV(t *testing.T, size int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "big.csv")
	f, err := os.Create(path)
	must(t, err)
	w := bufio.NewWriter(f)
	_, _ = w.WriteString("id,note\n1,ok\n2,\"")
	part := strings.Repeat("x", 1<<10)
	for n := 0; n < size; n += len(part) {
		_, _ = w.WriteString(part)
	}
	_, _ = w.WriteString("\"\n3,ok\n")
	must(t, w.Flush())
	must(t, f.Close())
	return path
}

// Skipping an oversized cell must not hold it: the heap stays far below
// the cell's 48 MiB (encoding/csv held it twice over).
func TestCSVBigCellMemory(t *testing.T) {
	const size = 48 << 20
	for _, tc := range []struct {
		name  string
		write func(t *testing.T, size int) string
		opt   Options
	}{
		{"cell of one line", writeBigCellCSV, Options{}},
		// Over the row limit, the quote is taken for a stray one.
		{"cell of many lines", writeBigLinesCSV, Options{MaxRowBytes: 2 << 20}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.write(t, size)
			// Only the second row and the last are kept: the rows a stray
			// quote leaves behind are big, and not the point here.
			var n int
			var second, last Row
			st := heapmeter.Measure(1, func(each func(int)) {
				r, err := Open(path, tc.opt)
				must(t, err)
				defer r.Close()
				for {
					row, err := r.Next()
					if errors.Is(err, io.EOF) {
						break
					}
					must(t, err)
					if n++; n == 2 {
						second = row
						each(1)
					}
					last = row
				}
			})
			t.Log(st)
			if n < 3 || !errors.Is(second.Err, ErrTooLarge) && !errors.Is(second.Err, ErrQuote) || last.Err != nil || last.Values[1] != "ok" {
				t.Fatalf("got %d rows; second: %v; last: %q %v", n, second.Err, last.Values, last.Err)
			}
			if st.PeakInuse > 24<<20 {
				t.Errorf("heap peaked at %.1f MiB reading a %d MiB cell", float64(st.PeakInuse)/(1<<20), size>>20)
			}
		})
	}
}

// writeBigLinesCSV writes a file whose second row opens a quote that runs
// over many short lines (more than the row limit of the test, fewer than
// maxQuotedLines) and is closed.
func writeBigLinesCSV(t *testing.T, size int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "big.csv")
	f, err := os.Create(path)
	must(t, err)
	w := bufio.NewWriter(f)
	_, _ = w.WriteString("id,note\n1,ok\n2,\"")
	line := strings.Repeat("x", size/(maxQuotedLines/2)) + "\n"
	for range maxQuotedLines / 2 {
		_, _ = w.WriteString(line)
	}
	_, _ = w.WriteString("\"\n3,ok\n")
	must(t, w.Flush())
	must(t, f.Close())
	return path
}

func TestCSVEncodingErrorsMidFile(t *testing.T) {
	tests := []struct {
		name, content string
		opt           Options
		want          []wantRow
	}{
		// Valid accents make it UTF-8; the stray Latin-1 byte is one bad row.
		{"utf-8 with one damaged row in the sniffed prefix", "name,city\nZoë,Orléans\nFran\xe7ois,Paris\nAnn,Lyon\n", Options{}, []wantRow{
			{2, []string{"Zoë", "Orléans"}, nil},
			{3, nil, ErrEncoding},
			{4, []string{"Ann", "Lyon"}, nil},
		}},
		{"shift_jis with bytes it cannot decode", "name,city\n\x93\x8c\x8b\x9e,a\nb,\xfd\nc,d\n", Options{Encoding: "shift_jis"}, []wantRow{
			{2, []string{"東京", "a"}, nil},
			{3, nil, ErrEncoding},
			{4, []string{"c", "d"}, nil},
		}},
		{"utf-16 with an unpaired surrogate", utf16LE("\ufeffname\nAnn\n") + "\x00\xd8\n\x00" + utf16LE("Bob\n"), Options{}, []wantRow{
			{2, []string{"Ann"}, nil},
			{3, nil, ErrEncoding},
			{4, []string{"Bob"}, nil},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := openFile(t, "enc.csv", tt.content, tt.opt)
			must(t, err)
			checkRows(t, readAll(t, r), tt.want)
		})
	}
}

// utf16LE encodes ASCII and BMP text as UTF-16LE.
func utf16LE(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteByte(byte(r))
		b.WriteByte(byte(r >> 8))
	}
	return b.String()
}
