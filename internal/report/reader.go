package report

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
)

// scan reads the report journal at path, checks its header against the
// source header, and returns its lines by row and the byte offset where the
// last complete line ends. A final line that lacks its newline or does not
// parse is torn: it is left out and the offset stops before it. A row that
// appears twice keeps its last line (a resumed run may have re-sent it).
func scan(path string, sourceHeader []string) (map[int]Line, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("resume report: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, 0, fmt.Errorf("resume report: %w", err)
	}
	r := csv.NewReader(bufio.NewReaderSize(f, 64<<10))
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	head, err := r.Read()
	if err != nil {
		return nil, 0, fmt.Errorf("resume report %s: read header: %w", path, err)
	}
	want := append(append([]string(nil), Fixed[:]...), sourceHeader...)
	if !slices.Equal(head, want) {
		return nil, 0, fmt.Errorf("resume report %s: its columns differ from the source's; was it made from another file?", path)
	}
	done := map[int]Line{}
	good := r.InputOffset()
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		end := r.InputOffset()
		var l Line
		if err == nil {
			l, err = parseLine(rec, len(sourceHeader))
		}
		if err == nil && end == st.Size() && !endsWithNewline(f, end) {
			err = errors.New("no final newline")
		}
		if err != nil {
			if end < st.Size() && !isLast(r) {
				return nil, 0, fmt.Errorf("resume report %s: line at byte %d: %w", path, good, err)
			}
			break // torn by a crash: drop it, that row is sent again
		}
		done[l.Row] = l
		good = end
	}
	return done, good, nil
}

func endsWithNewline(f *os.File, size int64) bool {
	b := make([]byte, 1)
	_, err := f.ReadAt(b, size-1)
	return err == nil && b[0] == '\n'
}

// isLast reports whether nothing readable follows in r.
func isLast(r *csv.Reader) bool {
	_, err := r.Read()
	return errors.Is(err, io.EOF) || err != nil
}

// Read returns every line of a finished report (or a journal), in file
// order, with the source header taken from the report's own header. It is
// used by retry, whose reports may be any size: fn is called per line.
func Read(path string, fn func(header []string, l Line) error) error {
	f, err := os.Open(JournalOrReport(path))
	if err != nil {
		return fmt.Errorf("read report: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReaderSize(f, 64<<10))
	r.FieldsPerRecord = -1
	head, err := r.Read()
	if err != nil {
		return fmt.Errorf("read report %s: header: %w", path, err)
	}
	if len(head) < len(Fixed) || !slices.Equal(head[:len(Fixed)], Fixed[:]) {
		return fmt.Errorf("read report %s: not a crmload report (its first columns are not %v)", path, Fixed)
	}
	src := head[len(Fixed):]
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read report %s: %w", path, err)
		}
		l, err := parseLine(rec, len(src))
		if err != nil {
			line, _ := r.FieldPos(0)
			return fmt.Errorf("read report %s: line %d: %w", path, line, err)
		}
		if err := fn(src, l); err != nil {
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
