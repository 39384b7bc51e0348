package tabular

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"
)

// sniffSize bounds the prefix read to check the encoding and detect the
// delimiter; it stays in the bufio.Reader, so nothing is read twice.
const sniffSize = 64 << 10

// csvReader streams a delimited text file.
type csvReader struct {
	file   *os.File
	path   string
	p      *csvParser
	comma  rune
	header []string
	num    int
	check  textCheck
}

func openCSV(path, ext string, opt Options) (_ Reader, err error) {
	lim, err := opt.limits()
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()
		}
	}()
	src, check, err := decoded(f, opt.Encoding)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	br := bufio.NewReaderSize(src, sniffSize)
	prefix, err := br.Peek(sniffSize)
	atEOF := errors.Is(err, io.EOF)
	if err != nil && !atEOF && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if check == checkUTF8 {
		if line := otherEncoding(prefix, atEOF); line > 0 {
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

	c := &csvReader{file: f, path: path, p: newCSVParser(br, delim, lim), comma: delim, check: check}
	if err := c.readHeader(); err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return c, nil
}

// readHeader takes the first non-empty record as the header.
func (c *csvReader) readHeader() error {
	for {
		ok, err := c.p.read()
		if err != nil {
			return fmt.Errorf("read header: %w", err)
		}
		if !ok {
			return errors.New("empty file: no header row")
		}
		if err := c.p.recErr(nil); err != nil {
			return fmt.Errorf("header (line %d): %w", c.p.recLine, err)
		}
		raw := c.p.values()
		if allEmpty(raw) {
			continue
		}
		if err := c.textError(raw, nil); err != nil {
			return fmt.Errorf("header (line %d): %w", c.p.recLine, err)
		}
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
		ok, err := c.p.read()
		if err != nil {
			return Row{}, fmt.Errorf("read %s: %w", c.path, err)
		}
		if !ok {
			return Row{}, io.EOF
		}
		values := c.p.values()
		err = c.p.recErr(c.header)
		if err == nil && allEmpty(values) {
			continue
		}
		c.num++
		row := Row{Num: c.num, Values: values}
		if err == nil {
			row.Values, err = fitRow(values, len(c.header))
		}
		if err == nil {
			err = c.textError(values, c.header)
		}
		if err != nil {
			row.Err = &RowError{Num: c.num, Line: c.p.recLine, Err: err}
		}
		return row, nil
	}
}

// textError reports a value that is not valid text in the file's encoding:
// invalid UTF-8 when the bytes are read as they are, or U+FFFD, which a
// decoder puts in place of bytes invalid in its encoding.
func (c *csvReader) textError(values, header []string) error {
	for i, v := range values {
		switch {
		case c.check == checkUTF8 && !utf8.ValidString(v):
			return fmt.Errorf("column %s is not valid UTF-8: %w (set the file's encoding, e.g. windows-1252)", columnName(header, i), ErrEncoding)
		case c.check == checkDecoded && strings.ContainsRune(v, utf8.RuneError):
			return fmt.Errorf("column %s holds bytes that are not valid in the file's encoding: %w", columnName(header, i), ErrEncoding)
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

// otherEncoding tells from the sniffed prefix whether a file read as UTF-8
// is in another encoding, and returns the 1-based line of its first invalid
// byte if so, else 0. A prefix with invalid bytes but no valid multi-byte
// sequence is another encoding (windows-1252 text is like that); one that
// also holds valid multi-byte sequences is UTF-8 with damaged rows, which
// come back as bad rows. A sequence cut by the prefix's end is ignored.
func otherEncoding(p []byte, atEOF bool) int {
	firstBad, multi := -1, false
	for i := 0; i < len(p); {
		r, size := utf8.DecodeRune(p[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			if !atEOF && !utf8.FullRune(p[i:]) {
				i = len(p)
				continue
			}
			if firstBad < 0 {
				firstBad = i
			}
		case size > 1:
			multi = true
		}
		i += size
	}
	if firstBad < 0 || multi {
		return 0
	}
	return 1 + bytes.Count(p[:firstBad], []byte("\n"))
}
