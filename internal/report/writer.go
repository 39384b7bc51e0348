package report

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/crmload/crmload/internal/atomicfile"
	"github.com/crmload/crmload/internal/connector"
)

// syncEvery bounds how many seconds of outcomes a crash can lose.
const syncEvery = 2 * time.Second

// maxSuffix bounds the names Create tries: name-2.ext … name-1000.ext.
const maxSuffix = 1000

// Writer appends report lines. It is not safe for concurrent use: the
// runner gives it to one goroutine.
//
// After a write, flush, sync or close fails, every later Write, Flush and
// Close returns that same error: the runner stops at the first one, and no
// line is silently lost after it. After a successful Close they return an
// error matching os.ErrClosed.
//
// encoding/csv rather than gocsv: the columns after the fixed six are the
// source's, known only at run time, and gocsv is built for fixed structs.
type Writer struct {
	path    string // the report
	journal string // the CSV being appended to: path itself, or a journal for .xlsx
	header  []string
	f       *os.File
	bw      *bufio.Writer
	cw      *csv.Writer
	synced  time.Time
	now     func() time.Time
	err     error // the first failure, returned ever after

	summary Summary
}

// Create starts a new report (.csv or .xlsx) for a source with the given
// header. It never replaces a file: when path is taken (for .xlsx, when the
// workbook or its journal is), it tries name-2.ext, name-3.ext and so on;
// Path tells the name used. The report is readable by its owner only.
func Create(path string, sourceHeader []string) (*Writer, error) {
	if err := prepare(path); err != nil {
		return nil, err
	}
	ext := filepath.Ext(path)
	base := strings.TrimSuffix(path, ext)
	for n := 1; n <= maxSuffix; n++ {
		p := path
		if n > 1 {
			p = fmt.Sprintf("%s-%d%s", base, n, ext)
		}
		w, err := create(p, sourceHeader)
		if !errors.Is(err, fs.ErrExist) {
			return w, err
		}
	}
	return nil, fmt.Errorf("create report %s: it and the names up to %s-%d%s are all taken", path, base, maxSuffix, ext)
}

// CreateExact is Create for a caller that must own the given name: when
// path (or, for .xlsx, its journal) exists it fails with an error matching
// fs.ErrExist.
func CreateExact(path string, sourceHeader []string) (*Writer, error) {
	if err := prepare(path); err != nil {
		return nil, err
	}
	return create(path, sourceHeader)
}

func prepare(path string) error {
	if err := checkExt(path); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create report: %w", err)
	}
	return nil
}

// create makes the report at path, failing with fs.ErrExist if it is taken.
func create(path string, sourceHeader []string) (*Writer, error) {
	w := newWriter(path, sourceHeader)
	if w.journal != path {
		// The workbook is written at Close; here it is taken only if an
		// earlier run finished under this name. Another run in progress
		// holds the journal, which O_EXCL checks without a race.
		if _, err := os.Lstat(path); err == nil {
			return nil, fmt.Errorf("create report: %w", &fs.PathError{Op: "create", Path: path, Err: fs.ErrExist})
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("create report: %w", err)
		}
	}
	// O_EXCL: never truncate an earlier report, nor follow a planted link.
	f, err := os.OpenFile(w.journal, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create report: %w", err)
	}
	w.attach(f)
	if err := w.cw.Write(w.headerRecord()); err != nil {
		f.Close()
		os.Remove(w.journal)
		return nil, fmt.Errorf("create report %s: write header: %w", path, err)
	}
	return w, nil
}

// Resume reopens the report of an interrupted run for appending and
// returns the rows it already has. A last line torn by a crash is cut off
// (its row will be sent again). Lines for which keep returns false (rows a
// Ctrl-C skipped) are taken out of the report, so that their rows can be
// sent and reported again, once; so are Rest lines, since the resumed run
// reads the rest of the source again. The source header must be the one the
// report was written with. Only row numbers are kept in memory.
func Resume(path string, sourceHeader []string, keep func(Line) bool) (*Writer, *RowSet, error) {
	if err := checkExt(path); err != nil {
		return nil, nil, err
	}
	w := newWriter(path, sourceHeader)
	if err := w.repairHeader(); err != nil {
		return nil, nil, err
	}
	done := &RowSet{}
	dropped := 0
	end, err := scan(w.journal, sourceHeader, -1, func(_ []string, l Line) error {
		if l.Row == 0 { // the header
			return nil
		}
		if !kept(l, keep) {
			dropped++
			return nil
		}
		done.Add(l.Row)
		w.summary.add(l)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if dropped > 0 {
		if end, err = rewrite(w.journal, sourceHeader, end, keep); err != nil {
			return nil, nil, err
		}
	}
	f, err := os.OpenFile(w.journal, os.O_WRONLY, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("resume report: %w", err)
	}
	if err := f.Truncate(end); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("resume report: drop torn line: %w", err)
	}
	if _, err := f.Seek(end, io.SeekStart); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("resume report: %w", err)
	}
	w.attach(f)
	return w, done, nil
}

// kept says whether Resume keeps line l.
func kept(l Line, keep func(Line) bool) bool {
	return !l.Rest && (keep == nil || keep(l))
}

// repairHeader writes the header of a report that a crash left empty, or
// with its header cut short: the run stopped before any line was written.
func (w *Writer) repairHeader() error {
	want := w.headerLine()
	f, err := os.OpenFile(w.journal, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("resume report: %w", err)
	}
	defer f.Close()
	got := make([]byte, len(want))
	n, err := io.ReadFull(f, got)
	switch {
	case err == nil || !strings.HasPrefix(want, string(got[:n])):
		return nil // complete, or not ours: scan says which
	case !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("resume report %s: %w", w.path, err)
	}
	if _, err := f.WriteAt([]byte(want[n:]), int64(n)); err != nil {
		return fmt.Errorf("resume report %s: repair header: %w", w.path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("resume report %s: repair header: %w", w.path, err)
	}
	return nil
}

// rewrite replaces the journal by its header and the lines Resume keeps
// among its first end bytes, in order, atomically (atomicfile: temp file
// made 0600, fsync, rename); it returns the new size.
func rewrite(path string, sourceHeader []string, end int64, keep func(Line) bool) (int64, error) {
	var size int64
	err := atomicfile.Write(path, func(out io.Writer) error {
		cnt := &countingWriter{w: out}
		bw := bufio.NewWriterSize(cnt, 64<<10)
		cw := csv.NewWriter(bw)
		_, err := scan(path, sourceHeader, end, func(rec []string, l Line) error {
			if l.Row != 0 && !kept(l, keep) {
				return nil
			}
			return cw.Write(rec)
		})
		if cw.Flush(); err == nil {
			err = cw.Error()
		}
		if err == nil {
			err = bw.Flush()
		}
		size = cnt.n
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("resume report: rewrite: %w", err)
	}
	return size, nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func checkExt(path string) error {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv", ".xlsx":
		return nil
	}
	return fmt.Errorf("report %s: want a .csv or .xlsx file name", path)
}

func newWriter(path string, sourceHeader []string) *Writer {
	w := &Writer{path: path, journal: JournalPath(path), now: time.Now, summary: newSummary()}
	w.header = append(append(make([]string, 0, len(Fixed)+len(sourceHeader)), Fixed[:]...), sourceHeader...)
	return w
}

// headerRecord is the header as written: column names come from the source
// too, so they are neutralised like its values.
func (w *Writer) headerRecord() []string {
	rec := make([]string, len(w.header))
	for i, h := range w.header {
		rec[i] = Neutralise(h)
	}
	return rec
}

// headerLine is the header's first line in the file, as csv writes it.
func (w *Writer) headerLine() string {
	var b strings.Builder
	cw := csv.NewWriter(&b)
	cw.Write(w.headerRecord()) // a strings.Builder does not fail
	cw.Flush()
	return b.String()
}

// JournalPath is the CSV a report is appended to while its run goes: the
// report itself for .csv, a sibling file for .xlsx.
func JournalPath(path string) string {
	if strings.EqualFold(filepath.Ext(path), ".xlsx") {
		return path + ".journal.csv"
	}
	return path
}

func (w *Writer) attach(f *os.File) {
	w.f = f
	w.bw = bufio.NewWriterSize(f, 64<<10)
	w.cw = csv.NewWriter(w.bw)
	w.synced = w.now()
}

// fail records the writer's first failure and returns it.
func (w *Writer) fail(err error) error {
	if w.err == nil {
		w.err = fmt.Errorf("report %s: %w", w.path, err)
	}
	return w.err
}

// Write appends one line. It fsyncs when the last sync is more than a few
// seconds old; call Flush when idle so finished rows reach the OS promptly.
// A Rest line's status must be skipped or empty (an invalid one is refused,
// writing nothing, and the writer goes on), and an empty error gets an
// explanation that starts with "cancelled", like the other rows a stopped
// run skipped.
func (w *Writer) Write(l Line) error {
	if w.err != nil {
		return w.err
	}
	if l.Rest {
		if l.Status == "" {
			l.Status = connector.Skipped
		}
		if l.Status != connector.Skipped || l.Row < 1 {
			return fmt.Errorf("report %s: rows %d- not read: want status %s, not %q", w.path, l.Row, connector.Skipped, l.Status)
		}
		if l.Error == "" {
			l.Error = fmt.Sprintf("cancelled: rows %d to the end of the source were not read", l.Row)
		}
		l.Values = nil
	}
	l = w.fit(l)
	if err := w.cw.Write(l.record()); err != nil {
		return w.fail(fmt.Errorf("write line %d: %w", l.Row, err))
	}
	w.summary.add(l)
	if w.now().Sub(w.synced) >= syncEvery {
		return w.sync()
	}
	return nil
}

// fit makes a ragged row's values as wide as the header, so that the report
// stays a well-formed table: missing fields are left empty and extra ones
// are kept in the error column rather than dropped.
func (w *Writer) fit(l Line) Line {
	width := len(w.header) - len(Fixed)
	switch {
	case len(l.Values) < width:
		l.Values = append(append(make([]string, 0, width), l.Values...), make([]string, width-len(l.Values))...)
	case len(l.Values) > width:
		extra := l.Values[width:]
		l.Values = l.Values[:width]
		l.Error = strings.TrimPrefix(l.Error+extraFields+strings.Join(extra, " | "), "; ")
	}
	return l
}

// Flush hands buffered lines to the operating system (a process crash then
// loses nothing; a power loss may lose what was not yet synced).
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	w.cw.Flush()
	if err := w.cw.Error(); err != nil {
		return w.fail(fmt.Errorf("flush: %w", err))
	}
	if err := w.bw.Flush(); err != nil {
		return w.fail(fmt.Errorf("flush: %w", err))
	}
	return nil
}

func (w *Writer) sync() error {
	if err := w.Flush(); err != nil {
		return err
	}
	if err := w.f.Sync(); err != nil {
		return w.fail(fmt.Errorf("sync: %w", err))
	}
	w.synced = w.now()
	return nil
}

// Close syncs and closes the report; for .xlsx it then writes the workbook
// from the journal (with convert) and removes the journal. After a failure
// the journal is left in place: it keeps every line written.
func (w *Writer) Close(convert func(journal, path string) error) error {
	if w.f == nil { // closed before
		return w.err
	}
	err := w.sync()
	if cerr := w.f.Close(); err == nil && cerr != nil {
		err = w.fail(fmt.Errorf("close: %w", cerr))
	}
	w.f = nil
	if err == nil && w.journal != w.path {
		err = w.convert(convert)
	}
	if err != nil {
		return err
	}
	w.fail(os.ErrClosed) // a Write after Close must not look like success
	return nil
}

func (w *Writer) convert(convert func(journal, path string) error) error {
	if convert == nil {
		return w.fail(errors.New("no converter for .xlsx"))
	}
	if err := convert(w.journal, w.path); err != nil {
		return w.fail(fmt.Errorf("write workbook: %w (the journal %s keeps every line)", err, w.journal))
	}
	if err := os.Remove(w.journal); err != nil {
		return w.fail(fmt.Errorf("remove journal: %w", err))
	}
	return nil
}

// Summary returns the counts so far, including lines found by Resume.
func (w *Writer) Summary() Summary { return w.summary.clone() }

// Path returns the report's path: the one Create chose when the name asked
// for was taken.
func (w *Writer) Path() string { return w.path }
