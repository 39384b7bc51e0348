package tabular

import (
	"archive/zip"
	"bufio"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// The XLSX writer streams each sheet's XML into the zip archive, straight
// to the file. excelize's StreamWriter cannot do that: it spills rows to a
// temporary file but then builds the whole archive in a bytes.Buffer
// (File.WriteTo calls WriteToBuffer), so its memory grows with the output
// (334 MB at a million rows). Written here, memory stays flat: one row of
// XML and the compressor's window. The workbook is minimal but complete:
// inline strings (no shared strings to hold), one style each for the bold
// header and the two date formats, the header row frozen.

const (
	// widthSampleRows bounds the rows buffered to size the columns: the
	// widths come before the first row in the sheet XML.
	widthSampleRows = 100
	minColWidth     = 8
	maxColWidth     = 60
	maxSheetName    = 31        // Excel's limit on a sheet name, in UTF-16 units
	maxSheetRows    = 1_048_576 // Excel's rows per sheet, header included
	maxCellChars    = 32_767    // Excel's limit on a cell's text, in UTF-16 units
)

// Style ids in styles.xml's cellXfs.
const (
	styleHeader   = 1
	styleDate     = 2
	styleDateTime = 3
)

// xlsxWriter writes one or more sheets. When a sheet is full it goes on in
// a new sheet ("Sheet1 (2)", …) that repeats the header.
type xlsxWriter struct {
	path      string
	out       *os.File
	buf       *bufio.Writer
	zw        *zip.Writer
	sheet     io.Writer // the current sheet's part; nil before the first
	header    []string
	cols      []string // column letters: "A", "B", …
	baseSheet string
	sheets    []string // names of the sheets started
	row       int      // last row written on the current sheet
	maxRows   int      // rows per sheet, header included; tests lower it
	dateCols  []bool
	sample    [][]string // first rows, held until the widths are known
	widths    []float64  // nil until computed
	line      []byte     // one row of XML being built
	closed    bool
}

func createXLSX(path string, header []string, opt WriteOptions) (_ Writer, err error) {
	if len(header) > maxColumns {
		return nil, fmt.Errorf("create %s: %d columns, over Excel's limit of %d", path, len(header), maxColumns)
	}
	sheet := opt.Sheet
	if sheet == "" {
		sheet = "Sheet1"
	}
	if err := checkSheetName(sheet); err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	w := &xlsxWriter{
		path:      path,
		header:    header,
		cols:      make([]string, len(header)),
		baseSheet: sheet,
		maxRows:   maxSheetRows,
		dateCols:  make([]bool, len(header)),
	}
	for i := range w.cols {
		w.cols[i] = columnLetters(i + 1)
	}
	for _, c := range opt.DateColumns {
		if c < 0 || c >= len(header) {
			return nil, fmt.Errorf("create %s: date column %d out of range (header has %d columns)", path, c, len(header))
		}
		w.dateCols[c] = true
	}
	if w.out, err = createPrivate(path); err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	w.buf = bufio.NewWriterSize(w.out, 64<<10)
	w.zw = zip.NewWriter(w.buf)
	// Fast compression: the files are reports, written once, often large.
	w.zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestSpeed)
	})
	return w, nil
}

// checkSheetName applies Excel's rules for a sheet name.
func checkSheetName(name string) error {
	switch {
	case utf16Len(name) > maxSheetName:
		return fmt.Errorf("sheet name %q is longer than %d characters", name, maxSheetName)
	case strings.ContainsAny(name, `:\/?*[]`):
		return fmt.Errorf(`sheet name %q holds one of : \ / ? * [ ]`, name)
	case strings.HasPrefix(name, "'") || strings.HasSuffix(name, "'"):
		return fmt.Errorf("sheet name %q starts or ends with an apostrophe", name)
	case strings.EqualFold(name, "History"):
		return fmt.Errorf("sheet name %q is reserved by Excel", name)
	case !utf8.ValidString(name) || strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 }):
		return fmt.Errorf("sheet name %q holds invalid characters", name)
	}
	return nil
}

// Write appends one row. A value over Excel's 32,767-character cell limit
// is an error: Excel would cut it.
func (w *xlsxWriter) Write(values []string) error {
	if w.closed {
		return fmt.Errorf("write %s: writer is closed", w.path)
	}
	if len(values) != len(w.header) {
		return fmt.Errorf("write %s: %d values, header has %d", w.path, len(values), len(w.header))
	}
	for i, v := range values {
		// Only a long value can be over: a byte is at least half a unit.
		if len(v) > maxCellChars {
			if n := utf16Len(v); n > maxCellChars {
				return fmt.Errorf("write %s: column %q: value of %d characters exceeds Excel's limit of %d per cell",
					w.path, w.header[i], n, maxCellChars)
			}
		}
	}
	if w.widths == nil {
		w.sample = append(w.sample, slices.Clone(values))
		if len(w.sample) < widthSampleRows {
			return nil
		}
		return w.flushSample()
	}
	return w.writeRow(values)
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

// excelSerial converts a time to Excel's 1900 date system, counting the
// 29 February 1900 Excel believes in; ok is false before 1900.
func excelSerial(t time.Time) (float64, bool) {
	base := time.Date(1899, 12, 31, 0, 0, 0, 0, time.UTC) // serial 0
	secs := t.Unix() - base.Unix()
	if secs < 86400 {
		return 0, false
	}
	days := secs / 86400
	if !t.Before(time.Date(1900, 3, 1, 0, 0, 0, 0, time.UTC)) {
		days++
	}
	return float64(days) + float64(secs%86400)/86400, true
}

// flushSample sizes the columns from the buffered rows, starts the first
// sheet and writes the rows held so far.
func (w *xlsxWriter) flushSample() error {
	w.widths = columnWidths(w.header, w.sample, w.dateCols)
	if err := w.startSheet(); err != nil {
		return err
	}
	for _, values := range w.sample {
		if err := w.writeRow(values); err != nil {
			return err
		}
	}
	w.sample = nil
	return nil
}

// startSheet ends the current sheet, if any, and starts the next one with
// its widths, its frozen header row and the header.
func (w *xlsxWriter) startSheet() error {
	if err := w.endSheet(); err != nil {
		return err
	}
	name := w.baseSheet
	if len(w.sheets) > 0 {
		name = rolloverSheetName(w.baseSheet, len(w.sheets)+1)
	}
	w.sheets = append(w.sheets, name)
	part, err := w.zw.Create(fmt.Sprintf("xl/worksheets/sheet%d.xml", len(w.sheets)))
	if err != nil {
		return fmt.Errorf("write %s: %w", w.path, err)
	}
	w.sheet, w.row = part, 0
	b := append(w.line[:0], xmlHeader...)
	b = append(b, `<worksheet xmlns="`+nsMain+`" xmlns:r="`+nsRel+`"><sheetViews><sheetView`...)
	if len(w.sheets) == 1 {
		b = append(b, ` tabSelected="1"`...)
	}
	b = append(b, ` workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>`+
		`<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>`+
		`<sheetFormatPr defaultRowHeight="15"/><cols>`...)
	// One <col> per run of equal widths: a 16,384-column sheet of short
	// values takes one element, not 16,384.
	for i := 0; i < len(w.widths); {
		j := i + 1
		for j < len(w.widths) && w.widths[j] == w.widths[i] {
			j++
		}
		b = append(b, `<col min="`...)
		b = strconv.AppendInt(b, int64(i+1), 10)
		b = append(b, `" max="`...)
		b = strconv.AppendInt(b, int64(j), 10)
		b = append(b, `" width="`...)
		b = strconv.AppendFloat(b, w.widths[i], 'f', -1, 64)
		b = append(b, `" customWidth="1"/>`...)
		i = j
	}
	b = append(b, `</cols><sheetData>`...)
	w.line = b
	if _, err := w.sheet.Write(b); err != nil {
		return fmt.Errorf("write %s: %w", w.path, err)
	}
	return w.setRow(w.header, true)
}

// endSheet closes the current sheet's XML.
func (w *xlsxWriter) endSheet() error {
	if w.sheet == nil {
		return nil
	}
	if _, err := io.WriteString(w.sheet, `</sheetData></worksheet>`); err != nil {
		return fmt.Errorf("write %s: %w", w.path, err)
	}
	w.sheet = nil
	return nil
}

// writeRow writes one data row, moving to a new sheet when this one is full.
func (w *xlsxWriter) writeRow(values []string) error {
	if w.row >= w.maxRows {
		if err := w.startSheet(); err != nil {
			return err
		}
	}
	return w.setRow(values, false)
}

// setRow writes a row's XML: an inline string per non-empty value, or a
// date cell for an ISO date in a date column; the header in bold.
func (w *xlsxWriter) setRow(values []string, header bool) error {
	w.row++
	b := append(w.line[:0], `<row r="`...)
	b = strconv.AppendInt(b, int64(w.row), 10)
	b = append(b, `">`...)
	for i, v := range values {
		if v == "" {
			continue
		}
		b = append(b, `<c r="`...)
		b = append(b, w.cols[i]...)
		b = strconv.AppendInt(b, int64(w.row), 10)
		if !header && w.dateCols[i] {
			if t, hasTime, ok := parseISODate(v); ok {
				if serial, ok := excelSerial(t); ok {
					style := styleDate
					if hasTime {
						style = styleDateTime
					}
					b = append(b, `" s="`...)
					b = strconv.AppendInt(b, int64(style), 10)
					b = append(b, `"><v>`...)
					b = strconv.AppendFloat(b, serial, 'f', -1, 64)
					b = append(b, `</v></c>`...)
					continue
				}
			}
		}
		if header {
			b = append(b, `" s="1`...)
		}
		b = append(b, `" t="inlineStr"><is><t`...)
		if first, last := v[0], v[len(v)-1]; isSpace(first) || isSpace(last) {
			b = append(b, ` xml:space="preserve"`...)
		}
		b = append(b, '>')
		b = appendXMLText(b, v)
		b = append(b, `</t></is></c>`...)
	}
	b = append(b, `</row>`...)
	w.line = b
	if _, err := w.sheet.Write(b); err != nil {
		return fmt.Errorf("write %s: row %d: %w", w.path, w.row, err)
	}
	return nil
}

// appendXMLText appends s as XML character data in an OOXML string item:
// markup characters as entities; characters XML 1.0 cannot carry, and
// '\r' (which XML readers turn into '\n'), as _xHHHH_ escapes; a literal
// "_xHHHH_" with its '_' escaped, so a reader does not decode it; invalid
// UTF-8 as U+FFFD.
func appendXMLText(b []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < utf8.RuneSelf && c != '&' && c != '<' && c != '>' && c != '_' {
			b = append(b, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case c == '&':
			b = append(b, "&amp;"...)
		case c == '<':
			b = append(b, "&lt;"...)
		case c == '>':
			b = append(b, "&gt;"...)
		case c == '_':
			if _, ok := bstrEscape([]byte(s[i:min(len(s), i+7)])); ok {
				b = append(b, "_x005F_"...)
			} else {
				b = append(b, '_')
			}
		case c == '\t' || c == '\n':
			b = append(b, c)
		case r == utf8.RuneError && size == 1:
			b = append(b, "\uFFFD"...)
		case r < 0x20 || r == 0xFFFE || r == 0xFFFF:
			b = append(b, "_x"...)
			b = append(b, fmt.Sprintf("%04X", r)...)
			b = append(b, '_')
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return b
}

// Flush does nothing: a workbook only becomes a valid file at Close.
func (w *xlsxWriter) Flush() error { return nil }

// Sync does nothing, as Flush.
func (w *xlsxWriter) Sync() error { return nil }

// Close writes any held rows, ends the last sheet and writes the parts
// that list the sheets, then the zip's directory.
func (w *xlsxWriter) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	err := w.finish()
	if cerr := w.out.Close(); cerr != nil {
		err = errors.Join(err, fmt.Errorf("close %s: %w", w.path, cerr))
	}
	return err
}

func (w *xlsxWriter) finish() error {
	if w.widths == nil {
		if err := w.flushSample(); err != nil {
			return err
		}
	}
	if err := w.endSheet(); err != nil {
		return err
	}
	for _, p := range w.packageParts() {
		part, err := w.zw.Create(p.name)
		if err == nil {
			_, err = io.WriteString(part, p.body)
		}
		if err != nil {
			return fmt.Errorf("write %s: %s: %w", w.path, p.name, err)
		}
	}
	if err := w.zw.Close(); err != nil {
		return fmt.Errorf("write %s: %w", w.path, err)
	}
	if err := w.buf.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", w.path, err)
	}
	return nil
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
// the sample, plus a margin, within [minColWidth, maxColWidth]. A date in
// a date column is as wide as its display, "2006-01-02 15:04:05".
func columnWidths(header []string, sample [][]string, dateCols []bool) []float64 {
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
		for i, v := range row {
			if _, _, ok := parseISODate(v); ok && dateCols[i] {
				v = "2006-01-02 15:04:05"
			}
			measure(i, v)
		}
	}
	for i, n := range widths {
		widths[i] = min(max(n, minColWidth), maxColWidth)
	}
	return widths
}

// columnLetters names a 1-based column as Excel does: A … Z, AA … XFD.
func columnLetters(n int) string {
	var b [4]byte
	i := len(b)
	for n > 0 {
		n--
		i--
		b[i] = byte('A' + n%26)
		n /= 26
	}
	return string(b[i:])
}

// utf16Len counts UTF-16 code units, the unit of Excel's cell limit.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}
