package report

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/crmload/crmload/internal/tabular"
)

// scan reads the report journal at path, checks its header against the
// source header, calls visit for each complete line, and returns the byte
// offset where the last complete line ends. A final line that lacks its
// newline or does not parse is torn by a crash: it is left out and the
// offset stops before it. Only the first limit bytes are read (-1: all).
func scan(path string, sourceHeader []string, limit int64, visit func(rec []string, l Line) error) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("resume report: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("resume report: %w", err)
	}
	size := st.Size()
	if limit >= 0 && limit < size {
		size = limit
	}
	r := csv.NewReader(bufio.NewReaderSize(io.LimitReader(f, size), 64<<10))
	r.FieldsPerRecord = -1
	head, err := r.Read()
	if err != nil {
		return 0, fmt.Errorf("resume report %s: read header: %w", path, err)
	}
	if !isHeader(head, sourceHeader) {
		return 0, fmt.Errorf("resume report %s: its columns differ from the source's; was it made from another file?", path)
	}
	if err := visit(head, Line{}); err != nil {
		return 0, err
	}
	good := r.InputOffset()
	if !endsWithNewline(f, good) {
		// Lines appended here would join the header.
		return 0, fmt.Errorf("resume report %s: its header line is not ended", path)
	}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		end := r.InputOffset()
		var l Line
		if err == nil {
			l, err = parseLine(rec, len(sourceHeader), true)
		}
		if err == nil && end == size && !endsWithNewline(f, end) {
			err = errors.New("no final newline")
		}
		if err != nil {
			if end < size && !isLast(r) {
				return 0, fmt.Errorf("resume report %s: line at byte %d: %w", path, good, err)
			}
			break // torn by a crash: drop it, that row is sent again
		}
		if err := visit(rec, l); err != nil {
			return 0, err
		}
		good = end
	}
	return good, nil
}

func endsWithNewline(f *os.File, size int64) bool {
	b := make([]byte, 1)
	_, err := f.ReadAt(b, size-1)
	return err == nil && b[0] == '\n'
}

// isLast reports whether nothing follows in r. A bad line followed by
// another, even a bad one, is not a torn last line: cutting there would
// drop the lines after it.
func isLast(r *csv.Reader) bool {
	_, err := r.Read()
	return errors.Is(err, io.EOF)
}

// isHeader reports whether head is the header of a CSV report of a source
// with the given columns.
func isHeader(head, sourceHeader []string) bool {
	if len(head) != len(Fixed)+len(sourceHeader) || !slices.Equal(head[:len(Fixed)], Fixed[:]) {
		return false
	}
	for i, h := range head[len(Fixed):] {
		if Restore(h) != sourceHeader[i] {
			return false
		}
	}
	return true
}

// Reader streams the lines of a report (CSV, its journal, or a finished
// .xlsx), for retry.
type Reader struct {
	path    string
	header  []string // the source's columns
	restore bool     // a CSV, whose source cells were neutralised
	next    func() ([]string, int, error)
	close   func() error
}

// Open opens a report for reading. A .xlsx report whose run did not finish
// is read from its journal.
func Open(path string) (*Reader, error) {
	file := JournalOrReport(path)
	var head []string
	rd := &Reader{path: path}
	if strings.EqualFold(filepath.Ext(file), ".xlsx") {
		t, err := tabular.Open(file, tabular.Options{})
		if err != nil {
			return nil, fmt.Errorf("read report: %w", err)
		}
		head = t.Header()
		rd.close = t.Close
		rd.next = func() ([]string, int, error) {
			row, err := t.Next()
			if err == nil && row.Err != nil {
				err = row.Err
			}
			return row.Values, row.Num + 1, err
		}
	} else {
		rd.restore = true
		f, err := os.Open(file)
		if err != nil {
			return nil, fmt.Errorf("read report: %w", err)
		}
		r := csv.NewReader(bufio.NewReaderSize(f, 64<<10))
		r.FieldsPerRecord = -1
		if head, err = r.Read(); err != nil {
			f.Close()
			return nil, fmt.Errorf("read report %s: header: %w", path, err)
		}
		rd.close = f.Close
		rd.next = func() ([]string, int, error) {
			rec, err := r.Read()
			if err != nil { // a csv.ParseError tells its line; FieldPos would panic
				return nil, 0, err
			}
			line, _ := r.FieldPos(0)
			return rec, line, nil
		}
	}
	if len(head) < len(Fixed) || !slices.Equal(head[:len(Fixed)], Fixed[:]) {
		rd.close()
		return nil, fmt.Errorf("read report %s: not a crmload report (its first columns are not %v)", path, Fixed)
	}
	rd.header = make([]string, 0, len(head)-len(Fixed))
	for _, h := range head[len(Fixed):] {
		if rd.restore {
			h = Restore(h)
		}
		rd.header = append(rd.header, h)
	}
	return rd, nil
}

// Header returns the source's columns (the report's, less the fixed six).
func (r *Reader) Header() []string { return r.header }

// Next returns the next line, or io.EOF.
func (r *Reader) Next() (Line, error) {
	rec, line, err := r.next()
	if errors.Is(err, io.EOF) {
		return Line{}, io.EOF
	}
	if err != nil {
		return Line{}, fmt.Errorf("read report %s: %w", r.path, err)
	}
	l, err := parseLine(rec, len(r.header), r.restore)
	if err != nil {
		return Line{}, fmt.Errorf("read report %s: line %d: %w", r.path, line, err)
	}
	return l, nil
}

// Close closes the report.
func (r *Reader) Close() error { return r.close() }

// Read calls fn for every line of a report, in file order.
func Read(path string, fn func(header []string, l Line) error) error {
	r, err := Open(path)
	if err != nil {
		return err
	}
	defer r.Close()
	for {
		l, err := r.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(r.header, l); err != nil {
			return err
		}
	}
}

// JournalOrReport returns the journal of an .xlsx report when one is still
// there (the run did not finish), else path.
func JournalOrReport(path string) string {
	j := JournalPath(path)
	if _, err := os.Stat(j); err == nil {
		return j
	}
	return path
}
