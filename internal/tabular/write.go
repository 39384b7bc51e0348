package tabular

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Writer writes rows of text to a file. A Writer is not safe for concurrent
// use: one goroutine owns it.
type Writer interface {
	// Write appends one row; it must have as many values as the header.
	Write(values []string) error
	// Flush pushes buffered rows to the operating system. An XLSX workbook
	// only becomes a valid file at Close, so for XLSX it does nothing.
	Flush() error
	// Sync flushes and then commits the file to stable storage (fsync),
	// for CSV; for XLSX it does nothing, for the same reason as Flush.
	Sync() error
	// Close flushes, finishes the file and closes it. The file is complete
	// only if Close returns nil.
	Close() error
}

// WriteOptions tunes Create.
type WriteOptions struct {
	// Sheet names the XLSX sheet; "" means "Sheet1".
	Sheet string
	// DateColumns lists 0-based columns whose values are written as real
	// XLSX date cells when they parse as an ISO date ("2023-03-15") or date
	// and time ("2023-03-15T10:30:00", "2023-03-15 10:30"); other values in
	// those columns stay text. CSV ignores it.
	DateColumns []int
}

// Create creates (or truncates) the file at path and writes header as its
// first row. The format follows the extension: .csv (and .txt) or .tsv for
// delimited text, .xlsx for a workbook (at most 16,384 columns; a sheet
// that reaches Excel's 1,048,576 rows goes on in a new sheet). The file is
// readable by its owner only (mode 0600): it holds personal data.
func Create(path string, header []string, opt WriteOptions) (Writer, error) {
	if len(header) == 0 {
		return nil, fmt.Errorf("create %s: empty header", path)
	}
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".csv", ".txt":
		return createCSV(path, header, ',')
	case ".tsv":
		return createCSV(path, header, '\t')
	case ".xlsx":
		return createXLSX(path, header, opt)
	default:
		return nil, fmt.Errorf("create %s: unsupported file type %q (want .csv, .tsv or .xlsx)", path, ext)
	}
}

// csvWriter writes delimited text through a bufio.Writer.
type csvWriter struct {
	path  string
	file  *os.File
	buf   *bufio.Writer
	w     *csv.Writer
	width int
}

// createPrivate creates or truncates a file readable by its owner only.
// An existing file keeps its mode through O_TRUNC, so it is set again.
func createPrivate(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(0o600); err != nil {
		_ = f.Close()
		return nil, err
	}
	return f, nil
}

func createCSV(path string, header []string, delim rune) (Writer, error) {
	f, err := createPrivate(path)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	buf := bufio.NewWriterSize(f, 64<<10)
	w := csv.NewWriter(buf)
	w.Comma = delim
	c := &csvWriter{path: path, file: f, buf: buf, w: w, width: len(header)}
	if err := c.Write(header); err != nil {
		_ = f.Close()
		return nil, err
	}
	return c, nil
}

// Write appends one record.
func (c *csvWriter) Write(values []string) error {
	if len(values) != c.width {
		return fmt.Errorf("write %s: %d values, header has %d", c.path, len(values), c.width)
	}
	if err := c.w.Write(values); err != nil {
		return fmt.Errorf("write %s: %w", c.path, err)
	}
	return nil
}

// Flush pushes the csv and bufio buffers to the file.
func (c *csvWriter) Flush() error {
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		return fmt.Errorf("flush %s: %w", c.path, err)
	}
	if err := c.buf.Flush(); err != nil {
		return fmt.Errorf("flush %s: %w", c.path, err)
	}
	return nil
}

// Sync flushes and fsyncs the file.
func (c *csvWriter) Sync() error {
	if err := c.Flush(); err != nil {
		return err
	}
	if err := c.file.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", c.path, err)
	}
	return nil
}

// Close flushes and closes the file.
func (c *csvWriter) Close() error {
	err := c.Flush()
	if cerr := c.file.Close(); cerr != nil {
		err = errors.Join(err, fmt.Errorf("close %s: %w", c.path, cerr))
	}
	return err
}
