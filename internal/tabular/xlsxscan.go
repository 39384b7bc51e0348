package tabular

import (
	"archive/zip"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// excelize's row iterator returns cell values but not cell styles or types,
// and its per-cell GetCellStyle loads the whole worksheet. So a second,
// byte-level pass over the same sheet XML reads just the r, s and t
// attributes of each cell, row by row in step with the iterator. It skips
// text without decoding it: about a sixth of the time excelize takes to
// parse the same rows (see BenchmarkReadXLSX).

// cellMeta is what the scanner learns about one cell.
type cellMeta struct {
	col   int // 1-based
	style int
	kind  cellKind
}

// sheetScanner walks the <row> and <c> start tags of a worksheet part.
type sheetScanner struct {
	rc      io.ReadCloser
	br      *bufio.Reader
	rowNum  int  // number of the last <row> seen
	pending bool // that row's cells are not read yet
	empty   bool // that row was self-closing
	done    bool
	cells   []cellMeta
	tag     []byte
}

func newSheetScanner(zr *zip.Reader, part string) (*sheetScanner, error) {
	zf := findPart(zr, part)
	if zf == nil {
		return nil, fmt.Errorf("worksheet part %s missing", part)
	}
	rc, err := zf.Open()
	if err != nil {
		return nil, fmt.Errorf("open worksheet part %s: %w", part, err)
	}
	return &sheetScanner{rc: rc, br: bufio.NewReaderSize(rc, 64<<10)}, nil
}

// row returns the cells of sheet row n, or nil when the sheet has no such
// row. Rows must be asked for in increasing order. The slice is reused.
func (s *sheetScanner) row(n int) ([]cellMeta, error) {
	for {
		if !s.pending {
			if s.done {
				return nil, nil
			}
			if err := s.nextRow(); err != nil {
				return nil, err
			}
			if s.done {
				return nil, nil
			}
		}
		if s.rowNum > n {
			return nil, nil
		}
		cells, err := s.readCells()
		if err != nil {
			return nil, err
		}
		if s.rowNum == n {
			return cells, nil
		}
	}
}

// nextRow advances to the next <row> start tag, or to the end of sheetData.
func (s *sheetScanner) nextRow() error {
	for {
		name, end, selfClose, err := s.nextTag()
		if errors.Is(err, io.EOF) {
			s.done = true
			return nil
		}
		if err != nil {
			return err
		}
		switch {
		case name == "sheetData" && end:
			s.done = true
			return nil
		case name == "row" && !end:
			if r, ok := attr(s.tag, "r"); ok {
				n, err := strconv.Atoi(r)
				if err != nil {
					return fmt.Errorf("worksheet row number %q: %w", r, err)
				}
				s.rowNum = n
			} else {
				s.rowNum++
			}
			s.pending, s.empty = true, selfClose
			return nil
		}
	}
}

// readCells reads the <c> tags of the pending row up to its end tag.
func (s *sheetScanner) readCells() ([]cellMeta, error) {
	s.pending = false
	s.cells = s.cells[:0]
	if s.empty {
		return s.cells, nil
	}
	col := 0
	for {
		name, end, _, err := s.nextTag()
		if err != nil {
			return nil, fmt.Errorf("worksheet row %d: %w", s.rowNum, err)
		}
		if name == "row" && end {
			return s.cells, nil
		}
		if name != "c" || end {
			continue
		}
		col++
		if ref, ok := attr(s.tag, "r"); ok {
			if c := refColumn(ref); c > 0 {
				col = c
			}
		}
		m := cellMeta{col: col}
		if v, ok := attr(s.tag, "s"); ok {
			m.style, _ = strconv.Atoi(v) // a malformed style means no style, as in excelize
		}
		t, _ := attr(s.tag, "t")
		switch t {
		case "", "n":
			m.kind = kindNumber
		case "s", "str", "inlineStr":
			m.kind = kindText
		case "b":
			m.kind = kindBool
		default:
			m.kind = kindOther
		}
		s.cells = append(s.cells, m)
	}
}

// nextTag skips to the next element tag and returns its local name (any
// namespace prefix removed), leaving the tag's bytes in s.tag. Comments,
// CDATA sections and processing instructions are skipped whole.
func (s *sheetScanner) nextTag() (name string, end, selfClose bool, err error) {
	for {
		if err := s.skipPast('<'); err != nil {
			return "", false, false, err
		}
		c, err := s.br.ReadByte()
		if err != nil {
			return "", false, false, unexpectedEOF(err)
		}
		switch c {
		case '?':
			err = s.skipUntil("?>")
		case '!':
			if b, _ := s.br.Peek(2); string(b) == "--" {
				_, _ = s.br.Discard(2)
				err = s.skipUntil("-->")
			} else if b, _ := s.br.Peek(7); string(b) == "[CDATA[" {
				_, _ = s.br.Discard(7)
				err = s.skipUntil("]]>")
			} else {
				err = s.skipUntil(">")
			}
		default:
			if err := s.br.UnreadByte(); err != nil {
				return "", false, false, err
			}
			if err := s.readTag(); err != nil {
				return "", false, false, err
			}
			t := s.tag
			if end = len(t) > 0 && t[0] == '/'; end {
				t = t[1:]
			}
			if selfClose = len(t) > 0 && t[len(t)-1] == '/'; selfClose {
				t = t[:len(t)-1]
			}
			if i := bytes.IndexAny(t, " \t\r\n"); i >= 0 {
				t = t[:i]
			}
			if i := bytes.IndexByte(t, ':'); i >= 0 {
				t = t[i+1:]
			}
			return string(t), end, selfClose, nil
		}
		if err != nil {
			return "", false, false, err
		}
	}
}

// readTag reads the rest of a tag up to its unquoted '>' into s.tag.
func (s *sheetScanner) readTag() error {
	s.tag = s.tag[:0]
	var quote byte
	for {
		c, err := s.br.ReadByte()
		if err != nil {
			return unexpectedEOF(err)
		}
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return nil
		}
		s.tag = append(s.tag, c)
	}
}

// skipPast discards input up to and including the next c.
func (s *sheetScanner) skipPast(c byte) error {
	for {
		_, err := s.br.ReadSlice(c)
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return err
	}
}

// skipUntil discards input up to and including the next occurrence of end
// (at most 3 bytes). It goes byte by byte: it only runs over comments, CDATA
// and processing instructions, which worksheets rarely hold.
func (s *sheetScanner) skipUntil(end string) error {
	var win [3]byte
	for seen := 1; ; seen++ {
		c, err := s.br.ReadByte()
		if err != nil {
			return unexpectedEOF(err)
		}
		win[0], win[1], win[2] = win[1], win[2], c
		if seen >= len(end) && string(win[3-len(end):]) == end {
			return nil
		}
	}
}

func unexpectedEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// attr returns the value of the attribute name (without namespace prefix)
// in a tag's bytes, as read by readTag.
func attr(tag []byte, name string) (string, bool) {
	i := bytes.IndexAny(tag, " \t\r\n")
	for i >= 0 && i < len(tag) {
		for i < len(tag) && (tag[i] == ' ' || tag[i] == '\t' || tag[i] == '\r' || tag[i] == '\n') {
			i++
		}
		eq := bytes.IndexByte(tag[i:], '=')
		if eq < 0 {
			return "", false
		}
		key := bytes.TrimSpace(tag[i : i+eq])
		i += eq + 1
		for i < len(tag) && tag[i] != '"' && tag[i] != '\'' {
			i++
		}
		if i >= len(tag) {
			return "", false
		}
		q := tag[i]
		j := bytes.IndexByte(tag[i+1:], q)
		if j < 0 {
			return "", false
		}
		val := tag[i+1 : i+1+j]
		i += j + 2
		if k := bytes.IndexByte(key, ':'); k >= 0 {
			key = key[k+1:]
		}
		if string(key) == name {
			return string(val), true
		}
	}
	return "", false
}

// refColumn returns the 1-based column of a cell reference such as "AB12",
// or 0 when ref has no letters.
func refColumn(ref string) int {
	col := 0
	for i := 0; i < len(ref); i++ {
		c := ref[i] | 0x20 // lower case
		if c < 'a' || c > 'z' {
			break
		}
		col = col*26 + int(c-'a'+1)
	}
	return col
}

// Close releases the part's reader.
func (s *sheetScanner) Close() error { return s.rc.Close() }
