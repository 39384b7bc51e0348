package tabular

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Limits for opening a workbook, set deliberately rather than inherited
// from excelize (whose total defaults to ~16 GB).
const (
	// maxUnzipSize caps the total uncompressed size of a workbook, a guard
	// against zip bombs; a million rows of 50 short columns fit under it.
	maxUnzipSize = 4 << 30
	// maxInMemoryPart is the largest worksheet or shared-strings part kept
	// in memory; a larger one is unzipped to a temporary file and streamed.
	maxInMemoryPart = 16 << 20
)

// xlsxReader streams one sheet of a workbook. excelize's row iterator gives
// the stored values (RawCellValue: no locale formatting, no rounding) and a
// sheetScanner gives each cell's style and type, from which cellText makes
// dates ISO and keeps zero-padded numbers padded.
type xlsxReader struct {
	path     string
	file     *excelize.File
	rows     *excelize.Rows
	zip      *zip.ReadCloser
	scan     *sheetScanner
	formats  styleFormats
	date1904 bool
	header   []string
	sheetRow int // spreadsheet row number of the last row read
	num      int
}

func openXLSX(path string, opt Options) (_ Reader, err error) {
	f, err := excelize.OpenFile(path, excelize.Options{
		RawCellValue:      true,
		UnzipSizeLimit:    maxUnzipSize,
		UnzipXMLSizeLimit: maxInMemoryPart,
	})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	x := &xlsxReader{path: path, file: f}
	defer func() {
		if err != nil {
			_ = x.Close()
		}
	}()
	sheet, err := pickSheet(f.GetSheetList(), opt.Sheet)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	props, err := f.GetWorkbookProps()
	if err != nil {
		return nil, fmt.Errorf("open %s: workbook properties: %w", path, err)
	}
	x.date1904 = props.Date1904 != nil && *props.Date1904
	x.formats = loadStyleFormats(f)

	if x.zip, err = zip.OpenReader(path); err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	part, err := sheetPart(&x.zip.Reader, sheet)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if x.scan, err = newSheetScanner(&x.zip.Reader, part); err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if x.rows, err = f.Rows(sheet); err != nil {
		return nil, fmt.Errorf("open %s: sheet %q: %w", path, sheet, err)
	}
	if err := x.readHeader(); err != nil {
		return nil, fmt.Errorf("open %s: sheet %q: %w", path, sheet, err)
	}
	return x, nil
}

// pickSheet returns the sheet to read: the first one when want is empty,
// else the one named want (case-insensitively, as Excel compares names).
func pickSheet(sheets []string, want string) (string, error) {
	if len(sheets) == 0 {
		return "", errors.New("workbook has no sheets")
	}
	if want == "" {
		return sheets[0], nil
	}
	for _, s := range sheets {
		if strings.EqualFold(s, want) {
			return s, nil
		}
	}
	return "", fmt.Errorf("no sheet named %q (sheets: %s)", want, strings.Join(sheets, ", "))
}

// readHeader takes the first non-empty row as the header.
func (x *xlsxReader) readHeader() error {
	for {
		values, ok, err := x.nextValues()
		if err != nil {
			return err
		}
		if !ok {
			return errors.New("empty sheet: no header row")
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

// nextValues reads the next spreadsheet row as text; ok is false at the end.
func (x *xlsxReader) nextValues() (_ []string, ok bool, _ error) {
	if !x.rows.Next() {
		if err := x.rows.Error(); err != nil {
			return nil, false, fmt.Errorf("read %s: %w", x.path, err)
		}
		return nil, false, nil
	}
	x.sheetRow++
	values, err := x.rows.Columns()
	if err != nil {
		return nil, false, fmt.Errorf("read %s: row %d: %w", x.path, x.sheetRow, err)
	}
	cells, err := x.scan.row(x.sheetRow)
	if err != nil {
		return nil, false, fmt.Errorf("read %s: %w", x.path, err)
	}
	for _, c := range cells {
		if i := c.col - 1; i < len(values) {
			values[i] = cellText(values[i], c.kind, x.formats.of(c.style), x.date1904)
		}
	}
	return values, true, nil
}

// Header returns the column names.
func (x *xlsxReader) Header() []string { return x.header }

// Next returns the next non-empty row, padded to the header's width.
// Empty rows anywhere in the sheet are skipped and not counted in Row.Num,
// so trailing formatted-but-empty rows never show up as data.
func (x *xlsxReader) Next() (Row, error) {
	for {
		values, ok, err := x.nextValues()
		if err != nil {
			return Row{}, err
		}
		if !ok {
			return Row{}, io.EOF
		}
		if allEmpty(values) {
			continue
		}
		x.num++
		row := Row{Num: x.num, Values: values}
		if width := len(x.header); len(values) < width {
			row.Values = append(values, make([]string, width-len(values))...)
		} else if values, err = fitRow(values, width); err != nil {
			row.Err = &RowError{Num: x.num, Line: x.sheetRow, Err: err}
		} else {
			row.Values = values
		}
		return row, nil
	}
}

// Close releases the row iterator, the workbook's temporary files and the
// scanner's archive.
func (x *xlsxReader) Close() error {
	var errs []error
	if x.rows != nil {
		errs = append(errs, x.rows.Close())
	}
	if x.scan != nil {
		errs = append(errs, x.scan.Close())
	}
	if x.zip != nil {
		errs = append(errs, x.zip.Close())
	}
	errs = append(errs, x.file.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close %s: %w", x.path, err)
	}
	return nil
}
