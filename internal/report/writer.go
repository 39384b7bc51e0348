package report

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/crmload/crmload/internal/connector"
)

// syncEvery bounds how many seconds of outcomes a crash can lose.
const syncEvery = 2 * time.Second

// Writer appends report lines. It is not safe for concurrent use: the
// runner gives it to one goroutine.
//
// encoding/csv rather than gocsv: the columns after the fixed six are the
// source's, known only at run time, and gocsv is built for fixed structs.
type Writer struct {
	path    string // the report the user asked for
	journal string // the CSV being appended to: path itself, or a journal for .xlsx
	header  []string
	f       *os.File
	bw      *bufio.Writer
	cw      *csv.Writer
	synced  time.Time
	now     func() time.Time

	summary Summary
}

// Create starts a new report at path (.csv or .xlsx) for a source with the
// given header, replacing any report already there.
func Create(path string, sourceHeader []string) (*Writer, error) {
	if err := checkExt(path); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("create report: %w", err)
	}
	w := newWriter(path, sourceHeader)
	f, err := os.OpenFile(w.journal, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("create report: %w", err)
	}
	w.attach(f)
	if err := w.cw.Write(w.header); err != nil {
		f.Close()
		return nil, fmt.Errorf("write report header: %w", err)
	}
	return w, nil
}

// Resume reopens the report of an interrupted run for appending and
// returns the rows it already has. A last line torn by a crash is cut off
// (its row will be sent again). Lines for which keep returns false (rows a
// Ctrl-C skipped) are taken out of the report, so that their rows can be
// sent and reported again, once. The source header must be the one the
// report was written with. Only row numbers are kept in memory.
func Resume(path string, sourceHeader []string, keep func(Line) bool) (*Writer, *RowSet, error) {
	if err := checkExt(path); err != nil {
		return nil, nil, err
	}
	w := newWriter(path, sourceHeader)
	done := &RowSet{}
	dropped := 0
	end, err := scan(w.journal, sourceHeader, -1, func(_ []string, l Line) error {
		if l.Row == 0 { // the header
			return nil
		}
		if keep != nil && !keep(l) {
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
	if _, err := f.Seek(end, 0); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("resume report: %w", err)
	}
	w.attach(f)
	return w, done, nil
}

// rewrite replaces the journal by its header and the lines keep accepts
// among its first end bytes, in order, atomically (temp file, fsync,
// rename); it returns the new size.
func rewrite(path string, sourceHeader []string, end int64, keep func(Line) bool) (int64, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp-*")
	if err != nil {
		return 0, fmt.Errorf("resume report: %w", err)
	}
	defer os.Remove(tmp.Name())
	bw := bufio.NewWriterSize(tmp, 64<<10)
	cw := csv.NewWriter(bw)
	_, err = scan(path, sourceHeader, end, func(rec []string, l Line) error {
		if l.Row != 0 && !keep(l) {
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
	if err == nil {
		err = tmp.Sync()
	}
	var size int64
	if err == nil {
		var st os.FileInfo
		if st, err = tmp.Stat(); err == nil {
			size = st.Size()
		}
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return 0, fmt.Errorf("resume report: rewrite %s: %w", path, err)
	}
	return size, nil
}

func checkExt(path string) error {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv", ".xlsx":
		return nil
	}
	return fmt.Errorf("report %s: want a .csv or .xlsx file name", path)
}

func newWriter(path string, sourceHeader []string) *Writer {
	w := &Writer{path: path, journal: JournalPath(path), now: time.Now}
	w.header = append(append(make([]string, 0, len(Fixed)+len(sourceHeader)), Fixed[:]...), sourceHeader...)
	w.summary.Counts = map[connector.Status]int{}
	w.summary.errors = map[string]int{}
	return w
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

// Write appends one line. It fsyncs when the last sync is more than a few
// seconds old; call Flush when idle so finished rows reach the OS promptly.
func (w *Writer) Write(l Line) error {
	l = w.fit(l)
	if err := w.cw.Write(l.record()); err != nil {
		return fmt.Errorf("write report line %d: %w", l.Row, err)
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
		l.Error = strings.TrimPrefix(l.Error+"; extra fields: "+strings.Join(extra, " | "), "; ")
	}
	return l
}

// Flush hands buffered lines to the operating system (a process crash then
// loses nothing; a power loss may lose what was not yet synced).
func (w *Writer) Flush() error {
	w.cw.Flush()
	if err := w.cw.Error(); err != nil {
		return fmt.Errorf("flush report: %w", err)
	}
	if err := w.bw.Flush(); err != nil {
		return fmt.Errorf("flush report: %w", err)
	}
	return nil
}

func (w *Writer) sync() error {
	if err := w.Flush(); err != nil {
		return err
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("sync report: %w", err)
	}
	w.synced = w.now()
	return nil
}

// Close syncs and closes the report; for .xlsx it then writes the workbook
// from the journal (with convert) and removes the journal.
func (w *Writer) Close(convert func(journal, path string) error) error {
	err := w.sync()
	if cerr := w.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close report: %w", cerr)
	}
	if err != nil || w.journal == w.path {
		return err
	}
	if convert == nil {
		return errors.New("close report: no converter for " + w.path)
	}
	if err := convert(w.journal, w.path); err != nil {
		return fmt.Errorf("write %s: %w (the journal %s keeps every line)", w.path, err, w.journal)
	}
	return os.Remove(w.journal)
}

// Summary returns the counts so far, including lines found by Resume.
func (w *Writer) Summary() Summary { return w.summary.clone() }

// Path returns the report's path.
func (w *Writer) Path() string { return w.path }

// Summary counts a report's lines.
type Summary struct {
	Counts map[connector.Status]int
	Total  int
	errors map[string]int
}

func (s *Summary) add(l Line) {
	s.Counts[l.Status]++
	s.Total++
	if l.Error != "" && (l.Status == connector.Failed || l.Status == connector.Skipped) {
		s.errors[errorKind(l.Error)]++
	}
}

func (s Summary) clone() Summary {
	c := Summary{Counts: map[connector.Status]int{}, Total: s.Total, errors: map[string]int{}}
	for k, v := range s.Counts {
		c.Counts[k] = v
	}
	for k, v := range s.errors {
		c.errors[k] = v
	}
	return c
}

// Balanced reports whether every line has exactly one status.
func (s Summary) Balanced() bool {
	n := 0
	for _, st := range connector.Statuses {
		n += s.Counts[st]
	}
	return n == s.Total
}

// ErrorCount is one error message and how many rows had it.
type ErrorCount struct {
	Message string
	Rows    int
}

// TopErrors returns the n most frequent errors, most frequent first.
func (s Summary) TopErrors(n int) []ErrorCount {
	out := make([]ErrorCount, 0, len(s.errors))
	for m, c := range s.errors {
		out = append(out, ErrorCount{m, c})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Rows != out[j].Rows {
			return out[i].Rows > out[j].Rows
		}
		return out[i].Message < out[j].Message
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// errorKind groups messages that differ only in a quoted value, so that
// `column "Email": "a@" is not…` and `column "Email": "b@" is not…` count as
// one. A value is a quoted string right after ": "; names elsewhere stay.
func errorKind(msg string) string {
	var b strings.Builder
	for {
		i := strings.Index(msg, `: "`)
		if i < 0 {
			break
		}
		end := strings.IndexByte(msg[i+3:], '"')
		if end < 0 {
			break
		}
		b.WriteString(msg[:i+3])
		b.WriteString(`…"`)
		msg = msg[i+3+end+1:]
	}
	b.WriteString(msg)
	return b.String()
}
