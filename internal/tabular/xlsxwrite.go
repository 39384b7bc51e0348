package tabular

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

const (
	// widthSampleRows bounds the rows buffered to size the columns: the
	// StreamWriter needs widths before the first row.
	widthSampleRows = 100
	minColWidth     = 8
	maxColWidth     = 60
	maxSheetName    = 31 // Excel's limit on a sheet name, in UTF-16 units
)

// xlsxWriter writes one or more sheets with excelize's StreamWriter. When a
// sheet is full it goes on in a new sheet ("Sheet1 (2)", …) that repeats
// the header.
type xlsxWriter struct {
	path      string
	out       *os.File // created up front so a bad path fails at Create, not Close
	file      *excelize.File
	sw        *excelize.StreamWriter
	header    []string
	baseSheet string
	sheets    int // sheets started so far
	row       int // last row written on the current sheet
	maxRows   int // rows per sheet, header included; tests lower it
	dateCols  []bool
	styles    struct{ header, date, dateTime int }
	sample    [][]any   // first rows, held until the widths are known
	widths    []float64 // nil until computed
	closed    bool
}

func createXLSX(path string, header []string, opt WriteOptions) (_ Writer, err error) {
	sheet := opt.Sheet
	if sheet == "" {
		sheet = "Sheet1"
	}
	w := &xlsxWriter{
		path:      path,
		header:    header,
		baseSheet: sheet,
		maxRows:   excelize.TotalRows,
		dateCols:  make([]bool, len(header)),
	}
	for _, c := range opt.DateColumns {
		if c < 0 || c >= len(header) {
			return nil, fmt.Errorf("create %s: date column %d out of range (header has %d columns)", path, c, len(header))
		}
		w.dateCols[c] = true
	}
	if w.out, err = os.Create(path); err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	w.file = excelize.NewFile()
	defer func() {
		if err != nil {
			_ = w.file.Close()
			_ = w.out.Close()
		}
	}()
	if sheet != "Sheet1" {
		if err := w.file.SetSheetName("Sheet1", sheet); err != nil {
			return nil, fmt.Errorf("create %s: sheet name %q: %w", path, sheet, err)
		}
	}
	if err := w.newStyles(); err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	return w, nil
}

func (w *xlsxWriter) newStyles() error {
	var err error
	if w.styles.header, err = w.file.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}}); err != nil {
		return err
	}
	date, dateTime := "yyyy-mm-dd", "yyyy-mm-dd hh:mm:ss"
	if w.styles.date, err = w.file.NewStyle(&excelize.Style{CustomNumFmt: &date}); err != nil {
		return err
	}
	w.styles.dateTime, err = w.file.NewStyle(&excelize.Style{CustomNumFmt: &dateTime})
	return err
}

// Write appends one row. A value over Excel's 32,767-character cell limit
// is an error: excelize would cut it silently.
func (w *xlsxWriter) Write(values []string) error {
	if w.closed {
		return fmt.Errorf("write %s: writer is closed", w.path)
	}
	if len(values) != len(w.header) {
		return fmt.Errorf("write %s: %d values, header has %d", w.path, len(values), len(w.header))
	}
	cells := make([]any, len(values))
	for i, v := range values {
		if n := utf16Len(v); n > excelize.TotalCellChars {
			return fmt.Errorf("write %s: column %q: value of %d characters exceeds Excel's limit of %d per cell",
				w.path, w.header[i], n, excelize.TotalCellChars)
		}
		cells[i] = w.cell(i, v)
	}
	if w.widths == nil {
		w.sample = append(w.sample, cells)
		if len(w.sample) < widthSampleRows {
			return nil
		}
		return w.flushSample()
	}
	return w.writeRow(cells)
}

// cell turns a value into what the StreamWriter writes: text, or a date
// cell for an ISO date in a date column.
func (w *xlsxWriter) cell(col int, v string) any {
	if w.dateCols[col] {
		if t, hasTime, ok := parseISODate(v); ok {
			style := w.styles.date
			if hasTime {
				style = w.styles.dateTime
			}
			return excelize.Cell{StyleID: style, Value: t}
		}
	}
	return v
}

// parseISODate accepts "2006-01-02" and a date with a time of day, with a
// "T" or a space, with or without seconds. Zoned times stay text: a
// spreadsheet date has no zone to keep them in.
func parseISODate(v string) (t time.Time, hasTime, ok bool) {
	if len(v) < len(time.DateOnly) {
		return time.Time{}, false, false
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, false, true
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02 15:04"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, true, true
		}
	}
	return time.Time{}, false, false
}

// flushSample sizes the columns from the buffered rows, starts the first
// sheet and writes the rows held so far.
func (w *xlsxWriter) flushSample() error {
	w.widths = columnWidths(w.header, w.sample)
	if err := w.startSheet(); err != nil {
		return err
	}
	for _, cells := range w.sample {
		if err := w.writeRow(cells); err != nil {
			return err
		}
	}
	w.sample = nil
	return nil
}

// startSheet opens a stream on the next sheet, sets its widths and frozen
// header, and writes the header.
func (w *xlsxWriter) startSheet() error {
	w.sheets++
	name := w.baseSheet
	if w.sheets > 1 {
		if err := w.sw.Flush(); err != nil {
			return fmt.Errorf("write %s: %w", w.path, err)
		}
		name = rolloverSheetName(w.baseSheet, w.sheets)
		if _, err := w.file.NewSheet(name); err != nil {
			return fmt.Errorf("write %s: new sheet %q: %w", w.path, name, err)
		}
	}
	sw, err := w.file.NewStreamWriter(name)
	if err != nil {
		return fmt.Errorf("write %s: sheet %q: %w", w.path, name, err)
	}
	w.sw, w.row = sw, 0
	for i, width := range w.widths {
		if err := sw.SetColWidth(i+1, i+1, width); err != nil {
			return fmt.Errorf("write %s: column width: %w", w.path, err)
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return fmt.Errorf("write %s: freeze header: %w", w.path, err)
	}
	head := make([]any, len(w.header))
	for i, h := range w.header {
		head[i] = excelize.Cell{StyleID: w.styles.header, Value: h}
	}
	return w.setRow(head)
}

// writeRow writes one data row, moving to a new sheet when this one is full.
func (w *xlsxWriter) writeRow(cells []any) error {
	if w.row >= w.maxRows {
		if err := w.startSheet(); err != nil {
			return err
		}
	}
	return w.setRow(cells)
}

func (w *xlsxWriter) setRow(cells []any) error {
	w.row++
	ref, err := excelize.CoordinatesToCellName(1, w.row)
	if err != nil {
		return fmt.Errorf("write %s: %w", w.path, err)
	}
	if err := w.sw.SetRow(ref, cells); err != nil {
		return fmt.Errorf("write %s: row %d: %w", w.path, w.row, err)
	}
	return nil
}

// Flush does nothing: a workbook is one zip archive written at Close.
func (w *xlsxWriter) Flush() error { return nil }

// Sync does nothing, as Flush.
func (w *xlsxWriter) Sync() error { return nil }

// Close writes any held rows, ends the last sheet and writes the workbook.
func (w *xlsxWriter) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	var err error
	if w.widths == nil {
		err = w.flushSample()
	}
	if err == nil && w.sw != nil {
		if err = w.sw.Flush(); err != nil {
			err = fmt.Errorf("write %s: %w", w.path, err)
		}
	}
	if err == nil {
		if err = w.file.Write(w.out); err != nil {
			err = fmt.Errorf("write %s: %w", w.path, err)
		}
	}
	if cerr := w.file.Close(); cerr != nil {
		err = errors.Join(err, fmt.Errorf("close %s: %w", w.path, cerr))
	}
	if cerr := w.out.Close(); cerr != nil {
		err = errors.Join(err, fmt.Errorf("close %s: %w", w.path, cerr))
	}
	return err
}

// rolloverSheetName names the n-th sheet "base (n)", shortening base so the
// name fits Excel's limit of 31 UTF-16 units.
func rolloverSheetName(base string, n int) string {
	suffix := " (" + strconv.Itoa(n) + ")"
	r := []rune(base)
	for len(r) > 0 && utf16Len(string(r))+len(suffix) > maxSheetName {
		r = r[:len(r)-1]
	}
	return string(r) + suffix
}

// columnWidths sizes each column to its longest line among the header and
// the sample, plus a margin, within [minColWidth, maxColWidth].
func columnWidths(header []string, sample [][]any) []float64 {
	widths := make([]float64, len(header))
	measure := func(i int, s string) {
		for line := range strings.SplitSeq(s, "\n") {
			if n := float64(utf8.RuneCountInString(line) + 2); n > widths[i] {
				widths[i] = n
			}
		}
	}
	for i, h := range header {
		measure(i, h)
	}
	for _, row := range sample {
		for i, c := range row {
			switch v := c.(type) {
			case string:
				measure(i, v)
			case excelize.Cell:
				measure(i, "2006-01-02 15:04:05")
			}
		}
	}
	for i, n := range widths {
		widths[i] = min(max(n, minColWidth), maxColWidth)
	}
	return widths
}

// utf16Len counts UTF-16 code units, the unit of Excel's cell limit.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}
