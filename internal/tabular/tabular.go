// Package tabular reads and writes CSV and XLSX files as streams of text
// rows, never holding a whole file in memory.
//
// Readers return every value as text exactly as a person would type it back:
// numbers keep all their digits, date cells come out as ISO 8601 and numbers
// formatted with leading zeros (ZIP codes) keep them. A bad row (wrong field
// count, broken quoting, invalid text encoding, a cell or row over the size
// limits) is returned as data with Row.Err set, so the caller can report it
// and go on; only I/O failures and a corrupt workbook end the stream. Memory
// stays bounded by the limits in Options, whatever the file holds.
//
// Writers take rows of text and write CSV through encoding/csv, or XLSX by
// streaming the sheet XML straight into the zip archive.
package tabular

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// Options tunes how Open reads a file. The zero value suits most files.
type Options struct {
	// Delimiter separates CSV fields. 0 detects it among ',' ';' '\t' '|'
	// from the first lines of the file; a .tsv file defaults to '\t'.
	Delimiter rune
	// Sheet names the XLSX sheet to read; "" reads the first sheet.
	Sheet string
	// Encoding names the text encoding of a CSV file: "" or "utf-8" reads
	// UTF-8 (a UTF-8 or UTF-16 byte order mark is honoured); any WHATWG
	// label such as "windows-1252", "latin1" or "utf-16le" is accepted.
	Encoding string
	// MaxCellBytes caps the text of one cell, in bytes; a longer cell
	// makes its row bad and is not held in memory. 0 means 1 MiB.
	MaxCellBytes int
	// MaxRowBytes caps the text of one row, all cells together, in bytes;
	// a longer row is bad. It also bounds what a CSV reader buffers to
	// recover from a quoted field that is never closed. 0 means 8 MiB.
	MaxRowBytes int
}

// Default limits, and the fixed ones.
const (
	defaultMaxCellBytes = 1 << 20
	defaultMaxRowBytes  = 8 << 20
	// maxColumns is Excel's column limit (XFD); a CSV row with more fields
	// is bad, which bounds the memory a row of bare delimiters can take.
	maxColumns = 16384
)

// limits are the resolved size limits of a read.
type limits struct{ cell, row int }

func (o Options) limits() (limits, error) {
	l := limits{cell: o.MaxCellBytes, row: o.MaxRowBytes}
	if l.cell < 0 || l.row < 0 {
		return limits{}, fmt.Errorf("negative size limit (MaxCellBytes %d, MaxRowBytes %d)", l.cell, l.row)
	}
	if l.cell == 0 {
		l.cell = defaultMaxCellBytes
	}
	if l.row == 0 {
		l.row = defaultMaxRowBytes
	}
	return l, nil
}

// Row is one data row of a file.
type Row struct {
	// Num is the 1-based number of the row among the data rows: the header
	// and skipped empty rows are not counted. It is stable from one read of
	// the same file to the next, which resume relies on.
	Num int
	// Values holds exactly len(Header()) values for a good row; for a bad
	// row it holds what could be read.
	Values []string
	// Err is non-nil for a bad row; it is a *RowError.
	Err error
}

// Reader streams the rows of a file. A Reader is not safe for concurrent use.
type Reader interface {
	// Header returns the column names, in file order, each unique and
	// non-empty. The caller must not modify the slice.
	Header() []string
	// Next returns the next row, io.EOF after the last one, or another error
	// when the file cannot be read further (I/O failure, corrupt archive).
	// A bad row is not an error of Next: it comes back with Row.Err set.
	Next() (Row, error)
	// Close releases the file and any temporary files.
	Close() error
}

// ErrFieldCount marks a row whose number of fields differs from the header's.
var ErrFieldCount = errors.New("wrong number of fields")

// ErrEncoding marks text that is not valid in the file's encoding.
var ErrEncoding = errors.New("invalid text encoding")

// ErrQuote marks a CSV record whose quoting is broken: a quote inside an
// unquoted field, text after a closing quote, or a quoted field not closed
// by the end of the file, within 1,000 lines or within the row limit (the
// reader then reads on from the line after the record's first). The cause
// also unwraps to the *csv.ParseError.
var ErrQuote = errors.New("broken quoting")

// ErrTooLarge marks a row with a cell or a total over the limits of
// Options, or with more than 16,384 fields.
var ErrTooLarge = errors.New("over the size limit")

// RowError says why a row is bad and where it is in the file.
type RowError struct {
	Num  int   // Row.Num of the bad row
	Line int   // CSV line or spreadsheet row where the row starts, 1-based
	Err  error // the cause; errors.Is works with ErrFieldCount, ErrEncoding, ErrQuote, ErrTooLarge, csv errors
}

// Error reads like "row 12 (line 14): 5 fields, header has 7".
func (e *RowError) Error() string {
	return fmt.Sprintf("row %d (line %d): %v", e.Num, e.Line, e.Err)
}

// Unwrap returns the cause.
func (e *RowError) Unwrap() error { return e.Err }

// fieldCountError is the cause of a ragged row.
type fieldCountError struct{ got, want int }

func (e *fieldCountError) Error() string {
	return fmt.Sprintf("%d fields, header has %d", e.got, e.want)
}

func (e *fieldCountError) Is(target error) bool { return target == ErrFieldCount }

// sizeError is the cause of a row over a limit: what is measured ("cell in
// column \"Notes\"", "row"), its size and the limit, in bytes.
type sizeError struct {
	what        string
	size, limit int64
}

func (e *sizeError) Error() string {
	return fmt.Sprintf("%s is %s, over the %s limit", e.what, formatSize(e.size), formatSize(e.limit))
}

func (e *sizeError) Is(target error) bool { return target == ErrTooLarge }

// formatSize writes a byte count the way the limits are given: "1 MiB",
// "52.4 MiB", "900 KiB", "2000 bytes" (below 10 KiB, exact).
func formatSize(n int64) string {
	f := func(v float64, unit string) string {
		return strings.TrimSuffix(strconv.FormatFloat(v, 'f', 1, 64), ".0") + " " + unit
	}
	switch {
	case n >= 1<<30:
		return f(float64(n)/(1<<30), "GiB")
	case n >= 1<<20:
		return f(float64(n)/(1<<20), "MiB")
	case n >= 10<<10:
		return f(float64(n)/(1<<10), "KiB")
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// columnName names column i (0-based) for a message: its header name, or
// its position past the header.
func columnName(header []string, i int) string {
	if i < len(header) {
		return strconv.Quote(header[i])
	}
	return strconv.Itoa(i + 1)
}

// Open opens the file at path for reading, choosing the format by its
// extension: .csv, .tsv and .txt are read as delimited text, .xlsx (and
// macro-enabled .xlsm) as an Excel workbook. It reads and checks the header
// before returning.
func Open(path string, opt Options) (Reader, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".csv", ".tsv", ".txt":
		return openCSV(path, ext, opt)
	case ".xlsx", ".xlsm":
		return openXLSX(path, opt)
	case ".xls":
		return nil, fmt.Errorf("open %s: legacy .xls workbooks are not supported; save it as .xlsx or .csv", path)
	default:
		return nil, fmt.Errorf("open %s: unsupported file type %q (want .csv, .tsv, .txt or .xlsx)", path, ext)
	}
}

// checkHeader trims the column names, names empty ones "column_N" and
// rejects duplicates, which would make a column unreachable by name.
func checkHeader(raw []string) ([]string, error) {
	header := make([]string, len(raw))
	seen := make(map[string]int, len(raw))
	var dups []string
	for i, name := range raw {
		name = strings.TrimSpace(name)
		if name == "" {
			name = "column_" + strconv.Itoa(i+1)
		}
		if first, ok := seen[name]; ok {
			dups = append(dups, fmt.Sprintf("%q (columns %d and %d)", name, first+1, i+1))
		} else {
			seen[name] = i
		}
		header[i] = name
	}
	if len(header) == 0 {
		return nil, errors.New("no header row")
	}
	if len(dups) > 0 {
		return nil, fmt.Errorf("duplicate column names in header: %s", strings.Join(dups, ", "))
	}
	return header, nil
}

// allEmpty reports whether every value is empty, i.e. the row carries no data.
func allEmpty(values []string) bool {
	for _, v := range values {
		if v != "" {
			return false
		}
	}
	return true
}

// fitRow checks a row against the header width. Extra trailing fields that
// are empty are dropped (spreadsheets often leave trailing separators); any
// other mismatch makes the row bad.
func fitRow(values []string, width int) ([]string, error) {
	n := len(values)
	for n > width && values[n-1] == "" {
		n--
	}
	if n != width {
		return values, &fieldCountError{got: len(values), want: width}
	}
	return values[:n], nil
}
