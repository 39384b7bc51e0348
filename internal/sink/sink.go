// Package sink writes an export: rows of text to a CSV, TSV or XLSX file
// that appears at its path only when complete.
//
// Rows go to a hidden temporary file beside the target (same directory, so
// the final rename cannot cross file systems). Commit closes it, fsyncs it,
// renames it over the target and fsyncs the directory; Abort removes it. A
// failed or interrupted export therefore leaves yesterday's file, or
// nothing, at the target path — never half a file. A process killed outright
// can leave a ".<name>.partial-…" file behind, never a truncated target.
//
// On the way, cells are made safe for spreadsheets (see Neutralise) unless
// the job keeps formulas, and in an XLSX file the date columns become real
// date cells (see DateCell). The sink is not a separate name for
// internal/tabular: tabular writes rows; the sink adds what an export owes
// its reader (atomic appearance, formula safety, dates).
package sink

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf16"

	"github.com/crmload/crmload/internal/tabular"
)

// ErrCellTooLong is matched (errors.Is) by a Write refused because a value
// exceeds the 32,767 characters an XLSX cell holds; nothing of that row was
// written, so the caller may skip the record and go on.
var ErrCellTooLong = errors.New("value too long for a spreadsheet cell")

// maxCellChars is Excel's limit per cell, in UTF-16 units.
const maxCellChars = 32767

// Options tune Create.
type Options struct {
	// Sheet names the XLSX sheet ("Sheet1" when empty); a sheet that
	// fills up continues on "<Sheet> (2)", … (tabular does it).
	Sheet string
	// DateColumns are the 0-based columns whose values become date cells
	// in an XLSX file when they read as dates (DateCell); CSV keeps text.
	DateColumns []int
	// KeepFormulas writes every cell as it is; by default a cell that a
	// spreadsheet would run as a formula is neutralised (Neutralise).
	KeepFormulas bool
}

// File is an export being written. It is not safe for concurrent use.
type File struct {
	path   string // the target
	tmp    string // where rows go until Commit
	w      tabular.Writer
	xlsx   bool
	dates  []bool
	keep   bool
	header []string
	row    []string // reused for each Write
	rows   int
	ended  bool
}

// Create starts an export to path (.csv, .tsv or .xlsx, by extension),
// writing header as its first row. Missing directories are created. Nothing
// appears at path until Commit.
func Create(path string, header []string, opt Options) (*File, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create export %s: %w", path, err)
	}
	f := &File{
		path:   path,
		tmp:    tempName(path),
		xlsx:   strings.EqualFold(filepath.Ext(path), ".xlsx"),
		dates:  make([]bool, len(header)),
		keep:   opt.KeepFormulas,
		header: header,
		row:    make([]string, len(header)),
	}
	for _, c := range opt.DateColumns {
		if c < 0 || c >= len(header) {
			return nil, fmt.Errorf("create export %s: date column %d out of range", path, c)
		}
		f.dates[c] = true
	}
	head := make([]string, len(header))
	for i, h := range header {
		head[i] = f.safe(h)
	}
	topt := tabular.WriteOptions{Sheet: opt.Sheet}
	if f.xlsx {
		topt.DateColumns = opt.DateColumns
	}
	w, err := tabular.Create(f.tmp, head, topt)
	if err != nil {
		_ = os.Remove(f.tmp)
		return nil, fmt.Errorf("create export: %w", err)
	}
	f.w = w
	return f, nil
}

// tempName is a hidden name beside path that keeps its extension (tabular
// picks the format by it) and cannot collide with another run's.
func tempName(path string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	ext := filepath.Ext(path)
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".partial-"+hex.EncodeToString(b[:])+ext)
}

// Path returns the target path.
func (f *File) Path() string { return f.path }

// Rows returns how many data rows were written.
func (f *File) Rows() int { return f.rows }

// Write appends one row; it must have as many values as the header.
func (f *File) Write(values []string) error {
	if f.ended {
		return fmt.Errorf("write export %s: already finished", f.path)
	}
	if len(values) != len(f.row) {
		return fmt.Errorf("write export %s: %d values, header has %d", f.path, len(values), len(f.row))
	}
	for i, v := range values {
		if f.xlsx && f.dates[i] {
			v = DateCell(v)
		}
		f.row[i] = f.safe(v)
		if f.xlsx && len(f.row[i]) > maxCellChars { // a UTF-16 unit takes at least a byte
			if n := len(utf16.Encode([]rune(f.row[i]))); n > maxCellChars {
				return fmt.Errorf("%w: column %q has %d characters, a cell holds %d", ErrCellTooLong, f.header[i], n, maxCellChars)
			}
		}
	}
	if err := f.w.Write(f.row); err != nil {
		return err
	}
	f.rows++
	return nil
}

func (f *File) safe(v string) string {
	if f.keep {
		return v
	}
	return Neutralise(v)
}

// Commit finishes the file and moves it to the target path: close, fsync,
// rename, fsync the directory. On any error the temporary file is removed
// and the target path is left as it was.
func (f *File) Commit() error {
	if f.ended {
		return fmt.Errorf("commit export %s: already finished", f.path)
	}
	f.ended = true
	err := f.w.Close()
	if err == nil {
		err = syncFile(f.tmp)
	}
	if err == nil {
		if err = os.Rename(f.tmp, f.path); err != nil {
			err = fmt.Errorf("commit export: %w", err)
		}
	}
	if err != nil {
		_ = os.Remove(f.tmp)
		return err
	}
	// The rename is durable once the directory is; some systems cannot
	// sync a directory, and the file itself is already safe.
	if d, derr := os.Open(filepath.Dir(f.path)); derr == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// Abort drops the export: the temporary file is removed and the target path
// is left as it was. It is safe to call after Commit (it does nothing).
func (f *File) Abort() error {
	if f.ended {
		return nil
	}
	f.ended = true
	cerr := f.w.Close()
	if err := os.Remove(f.tmp); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove partial export: %w", err)
	}
	_ = cerr // the file is gone; why it could not be finished no longer matters
	return nil
}

// syncFile commits a closed file's content to stable storage.
func syncFile(path string) error {
	fh, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("sync export: %w", err)
	}
	err = fh.Sync()
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync export: %w", err)
	}
	return nil
}
