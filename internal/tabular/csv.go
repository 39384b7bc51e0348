package tabular

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"unicode/utf8"
)

// sniffSize bounds the prefix read to check the encoding and detect the
// delimiter; it stays in the bufio.Reader, so nothing is read twice.
const sniffSize = 64 << 10

// csvReader streams a delimited text file.
type csvReader struct {
	file      *os.File
	path      string
	r         *csv.Reader
	header    []string
	num       int
	checkUTF8 bool // the bytes reach csv undecoded, so invalid UTF-8 must be caught here
}

func openCSV(path, ext string, opt Options) (_ Reader, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()
		}
	}()
	src, checkUTF8, err := decoded(f, opt.Encoding)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	br := bufio.NewReaderSize(src, sniffSize)
	prefix, err := br.Peek(sniffSize)
	atEOF := errors.Is(err, io.EOF)
	if err != nil && !atEOF && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if checkUTF8 {
		if line, ok := validUTF8Prefix(prefix, atEOF); !ok {
			return nil, fmt.Errorf("open %s: line %d is not valid UTF-8: %w (set the file's encoding, e.g. windows-1252)", path, line, ErrEncoding)
		}
	}
	delim := opt.Delimiter
	switch {
	case delim != 0:
		if !validDelimiter(delim) {
			return nil, fmt.Errorf("open %s: invalid delimiter %q", path, delim)
		}
	case ext == ".tsv":
		delim = '\t'
	default:
		delim = detectDelimiter(prefix, atEOF)
	}

	r := csv.NewReader(br)
	r.Comma = delim
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	c := &csvReader{file: f, path: path, r: r, checkUTF8: checkUTF8}
	if err := c.readHeader(); err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return c, nil
}

// readHeader takes the first non-empty record as the header.
func (c *csvReader) readHeader() error {
	for {
		rec, err := c.r.Read()
		if errors.Is(err, io.EOF) {
			return errors.New("empty file: no header row")
		}
		if err != nil {
			return fmt.Errorf("read header: %w", err)
		}
		if allEmpty(rec) {
			continue
		}
		raw := slices.Clone(rec)
		// A BOM in a non-UTF-8 encoding survives decoding; never let it
		// become part of the first column's name.
		raw[0] = strings.TrimPrefix(raw[0], "\uFEFF")
		c.header, err = checkHeader(raw)
		return err
	}
}

// Header returns the column names.
func (c *csvReader) Header() []string { return c.header }

// Next returns the next non-empty record.
func (c *csvReader) Next() (Row, error) {
	for {
		rec, err := c.r.Read()
		if errors.Is(err, io.EOF) {
			return Row{}, io.EOF
		}
		var pe *csv.ParseError
		if err != nil && !errors.As(err, &pe) {
			return Row{}, fmt.Errorf("read %s: %w", c.path, err)
		}
		if pe != nil && errors.Is(pe.Err, csv.ErrQuote) && pe.Line > pe.StartLine {
			// A quote that was never closed swallowed the lines after it;
			// carrying on would silently drop those rows.
			return Row{}, fmt.Errorf("read %s: quoted field opened on line %d is not closed properly (error on line %d); the rows after it cannot be read reliably: %w",
				c.path, pe.StartLine, pe.Line, err)
		}
		if pe == nil && allEmpty(rec) {
			continue
		}
		c.num++
		row := Row{Num: c.num, Values: slices.Clone(rec)}
		var line int
		if pe != nil {
			line = pe.StartLine
		} else {
			line, _ = c.r.FieldPos(0)
		}
		switch {
		case pe != nil:
			row.Err = &RowError{Num: c.num, Line: line, Err: pe}
		default:
			row.Values, err = fitRow(row.Values, len(c.header))
			if err == nil && c.checkUTF8 {
				err = c.validUTF8(row.Values)
			}
			if err != nil {
				row.Err = &RowError{Num: c.num, Line: line, Err: err}
			}
		}
		return row, nil
	}
}

func (c *csvReader) validUTF8(values []string) error {
	for i, v := range values {
		if !utf8.ValidString(v) {
			return fmt.Errorf("column %q is not valid UTF-8: %w (set the file's encoding, e.g. windows-1252)", c.header[i], ErrEncoding)
		}
	}
	return nil
}

// Close closes the file.
func (c *csvReader) Close() error {
	if err := c.file.Close(); err != nil {
		return fmt.Errorf("close %s: %w", c.path, err)
	}
	return nil
}

// validDelimiter mirrors encoding/csv's rule, so a bad choice fails at Open
// with the option named rather than on the first Read.
func validDelimiter(r rune) bool {
	return r != 0 && r != '"' && r != '\r' && r != '\n' && utf8.ValidRune(r) && r != utf8.RuneError
}

// validUTF8Prefix checks the sniffed prefix, ignoring a rune cut by the
// prefix's end, and returns the 1-based line of the first invalid byte.
func validUTF8Prefix(p []byte, atEOF bool) (int, bool) {
	for i := 0; i < len(p); {
		r, size := utf8.DecodeRune(p[i:])
		if r == utf8.RuneError && size <= 1 {
			if !atEOF && !utf8.FullRune(p[i:]) {
				return 0, true
			}
			return 1 + strings.Count(string(p[:i]), "\n"), false
		}
		i += size
	}
	return 0, true
}
