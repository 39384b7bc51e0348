package tabular

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
)

// xlsxReader streams one sheet of a workbook: a sheetScanner reads the
// stored value, style and type of each cell, from which cellText makes
// dates ISO and keeps zero-padded numbers padded.
type xlsxReader struct {
	path     string
	zip      *zip.ReadCloser
	part     io.ReadCloser // the worksheet part
	scan     *sheetScanner
	shared   *sharedStrings
	formats  styleFormats
	date1904 bool
	lim      limits
	header   []string
	num      int
	buf      []byte   // the text of the row being built
	spans    [][2]int // each cell's value in buf
}

// errBeyondXFD is the cause of a row with a cell past Excel's last column.
var errBeyondXFD = fmt.Errorf("a cell past column XFD (%d), Excel's last: %w", maxColumns, ErrTooLarge)

func openXLSX(path string, opt Options) (_ Reader, err error) {
	lim, err := opt.limits()
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	x := &xlsxReader{path: path, zip: zr, lim: lim}
	defer func() {
		if err != nil {
			_ = x.Close()
		}
	}()
	wp, err := readWorkbookParts(&zr.Reader)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	sheet, err := wp.sheet(opt.Sheet)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if sheet.part == nil {
		return nil, fmt.Errorf("open %s: sheet %q: worksheet part missing", path, sheet.name)
	}
	x.date1904 = wp.date1904
	if x.formats, err = readStyleFormats(wp.styles); err != nil {
		return nil, fmt.Errorf("open %s: styles: %w", path, err)
	}
	if x.shared, err = readSharedStrings(wp.shared, lim); err != nil {
		return nil, fmt.Errorf("open %s: shared strings: %w", path, err)
	}
	if x.part, err = sheet.part.Open(); err != nil {
		return nil, fmt.Errorf("open %s: sheet %q: %w", path, sheet.name, err)
	}
	x.scan = newSheetScanner(x.part, lim)
	if err := x.readHeader(); err != nil {
		return nil, fmt.Errorf("open %s: sheet %q: %w", path, sheet.name, err)
	}
	return x, nil
}

// readHeader takes the first non-empty row as the header.
func (x *xlsxReader) readHeader() error {
	for {
		values, rowErr, ok, err := x.nextValues()
		if err != nil {
			return err
		}
		if !ok {
			return errors.New("empty sheet: no header row")
		}
		if rowErr != nil {
			return fmt.Errorf("header (row %d): %w", x.scan.rowNum, rowErr)
		}
		n := len(values)
		for n > 0 && values[n-1] == "" {
			n--
		}
		if n == 0 {
			continue
		}
		x.header, err = checkHeader(values[:n])
		return err
	}
}

// nextValues reads the next spreadsheet row as text, with the reason it
// is bad if it is; ok is false at the end.
func (x *xlsxReader) nextValues() (values []string, rowErr error, ok bool, err error) {
	ok, err = x.scan.next()
	if err != nil {
		return nil, nil, false, fmt.Errorf("read %s: %w", x.path, err)
	}
	if !ok {
		return nil, nil, false, nil
	}
	s := x.scan
	if s.wide {
		rowErr = errBeyondXFD
	}
	width, total := 0, 0
	x.buf, x.spans = x.buf[:0], x.spans[:0]
	for _, c := range s.cells {
		val, size := s.text[c.start:c.end], c.size
		if c.shared && len(val) > 0 && size <= x.lim.cell {
			i, ok := atoiBytes(val)
			if ok {
				val, size, ok = x.shared.get(i)
			}
			if !ok {
				rowErr = firstErr(rowErr, fmt.Errorf("cell in column %s: no shared string %q", columnName(x.header, c.col-1), s.text[c.start:c.end]))
				val, size = nil, 0
			}
		}
		total += size
		start := len(x.buf)
		switch {
		case size > x.lim.cell:
			rowErr = firstErr(rowErr, &sizeError{what: "cell in column " + columnName(x.header, c.col-1), size: int64(size), limit: int64(x.lim.cell)})
		case len(x.buf)+len(val) <= x.lim.row:
			x.buf = append(x.buf, val...)
		}
		x.spans = append(x.spans, [2]int{start, len(x.buf)})
		if len(x.buf) > start {
			// Empty cells past the last value (styled, say, up to column
			// XFD) would only be padding.
			width = max(width, c.col)
		}
	}
	if total > x.lim.row {
		rowErr = firstErr(rowErr, &sizeError{what: "row", size: int64(total), limit: int64(x.lim.row)})
	}
	text := string(x.buf)
	values = make([]string, width)
	for i, c := range s.cells {
		if x.spans[i][0] == x.spans[i][1] {
			continue
		}
		values[c.col-1] = cellText(text[x.spans[i][0]:x.spans[i][1]], c.kind, x.formats.of(c.style), x.date1904)
	}
	return values, rowErr, true, nil
}

// firstErr keeps the first of two errors.
func firstErr(first, next error) error {
	if first != nil {
		return first
	}
	return next
}

// Header returns the column names.
func (x *xlsxReader) Header() []string { return x.header }

// Next returns the next non-empty row, padded to the header's width.
// Empty rows anywhere in the sheet are skipped and not counted in Row.Num,
// so trailing formatted-but-empty rows never show up as data.
func (x *xlsxReader) Next() (Row, error) {
	for {
		values, rowErr, ok, err := x.nextValues()
		if err != nil {
			return Row{}, err
		}
		if !ok {
			return Row{}, io.EOF
		}
		if rowErr == nil && allEmpty(values) {
			continue
		}
		x.num++
		row := Row{Num: x.num, Values: values}
		if width := len(x.header); len(values) < width {
			row.Values = append(values, make([]string, width-len(values))...)
		} else if rowErr == nil {
			row.Values, rowErr = fitRow(values, width)
		}
		if rowErr != nil {
			row.Err = &RowError{Num: x.num, Line: x.scan.rowNum, Err: rowErr}
		}
		return row, nil
	}
}

// Close releases the worksheet part and the archive.
func (x *xlsxReader) Close() error {
	var errs []error
	if x.part != nil {
		errs = append(errs, x.part.Close())
	}
	errs = append(errs, x.zip.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close %s: %w", x.path, err)
	}
	return nil
}
