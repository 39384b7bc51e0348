package tabular

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// maxQuotedLines bounds how many lines a quoted field may span before the
// reader takes its opening quote for a stray one: without a bound, one
// unclosed quote would swallow the rest of the file into a single bad row.
const maxQuotedLines = 1000

// csvParser splits delimited text into records the way encoding/csv does
// (RFC 4180 quoting, "\r\n" read as "\n", a "\r" before the end of the file
// dropped), with three differences that encoding/csv cannot offer: a record
// with broken quoting is reported and reading goes on from the line after
// the one where it started (so rows swallowed by a stray quote are read
// again rather than lost); a quoted field is given up on after
// maxQuotedLines lines or the row limit; and memory is bounded by the
// limits, however long a line is: text over a limit is counted, not kept.
//
// It reads the input in pieces that never cross a line end, split a UTF-8
// sequence or separate "\r" from "\n" (see chunk), so a '\n' can only be
// the last byte of a piece and a multi-byte delimiter is never cut.
type csvParser struct {
	src     *bufio.Reader
	srcErr  error // the error the source returned, handed out once its bytes are used
	comma   []byte
	special [256]bool // bytes that end a run of unquoted text
	lim     limits

	// replay holds input to read again before src: the lines after the
	// first line of a broken record. spare is the other buffer of the pair.
	replay, spare []byte
	roff          int
	fromReplay    bool // the last piece came from replay

	line    int // lines consumed so far: the next byte is on line line+1
	lineOff int // bytes of the current line consumed so far

	// The record being read.
	recLine     int
	state       csvState
	buf         []byte // stored field text, one field after the other
	ends        []int  // end in buf of each stored field
	cut         []bool // whether each stored field lost text to a limit
	fields      int    // fields seen, stored or not (past maxColumns)
	fieldStart  int    // start in buf of the current field
	fieldLen    int    // bytes of the current field, stored or not
	fieldCut    bool   // the current field is over a limit
	rowLen      int    // bytes of all fields, stored or not
	bigCell     int    // first field over the cell limit, -1 if none
	bigSize     int
	err         error // *quoteError when the quoting is broken
	raw         []byte
	capturing   bool // input is copied to raw: the record's first line is behind
	quotedLines int  // line ends inside the current record
	quoteLine   int  // line where the last quoted field opened
}

// csvState is where the parser is within a field.
type csvState uint8

const (
	stFieldStart csvState = iota
	stUnquoted
	stQuoted
	stQuoteSeen // a quote in a quoted field: the field's end or the first of ""
)

// quoteError is the cause of a record with broken quoting: the error
// encoding/csv would give, a clearer message for a quoted field given up
// on, and the line reading goes on from when that is not the next one.
type quoteError struct {
	pe     *csv.ParseError
	msg    string // replaces pe's message when set
	resume int    // line reading goes on from, if the record spans lines
}

func (e *quoteError) Error() string {
	msg := e.msg
	if msg == "" {
		msg = e.pe.Error()
	}
	if e.resume > 0 {
		msg += fmt.Sprintf("; reading goes on from line %d", e.resume)
	}
	return msg
}

func (e *quoteError) Unwrap() error { return e.pe }

func (e *quoteError) Is(target error) bool { return target == ErrQuote }

// fieldCountLimitError is the cause of a record with more fields than
// maxColumns.
type fieldCountLimitError struct{ n int }

func (e *fieldCountLimitError) Error() string {
	return fmt.Sprintf("%d fields, over the limit of %d", e.n, maxColumns)
}

func (e *fieldCountLimitError) Is(target error) bool { return target == ErrTooLarge }

func newCSVParser(src *bufio.Reader, comma rune, lim limits) *csvParser {
	p := &csvParser{src: src, comma: utf8.AppendRune(nil, comma), lim: lim}
	for _, c := range []byte{p.comma[0], '"', '\r', '\n'} {
		p.special[c] = true
	}
	return p
}

// read reads the next record; ok is false at the end of the input. err is
// only an I/O error: a broken record is returned with recErr set.
func (p *csvParser) read() (ok bool, err error) {
	p.startRecord()
	started := false
	for {
		b, err := p.chunk()
		if errors.Is(err, io.EOF) {
			if !started {
				return false, nil
			}
			p.atEOF()
			break
		}
		if err != nil {
			return false, err
		}
		started = true
		n, done := p.feed(b)
		p.consume(b, n)
		if done {
			break
		}
		if b[len(b)-1] == '\n' {
			// A quoted field goes on to the next line.
			p.capturing = true
			if p.quotedLines++; p.quotedLines >= maxQuotedLines {
				p.unclosed(fmt.Sprintf("not closed within %d lines", maxQuotedLines))
				break
			}
		}
		if len(p.raw) > p.lim.row {
			p.unclosed("not closed within the " + formatSize(int64(p.lim.row)) + " row limit")
			break
		}
	}
	if p.err != nil {
		return true, p.recover()
	}
	return true, nil
}

func (p *csvParser) startRecord() {
	p.recLine = p.line + 1
	p.state = stFieldStart
	p.buf, p.ends, p.cut = p.buf[:0], p.ends[:0], p.cut[:0]
	p.fields, p.fieldStart, p.fieldLen, p.fieldCut, p.rowLen = 0, 0, 0, false, 0
	p.bigCell, p.bigSize = -1, 0
	p.err = nil
	p.raw, p.capturing, p.quotedLines = p.raw[:0], false, 0
}

// feed parses one piece of input and returns how many of its bytes it used
// and whether the record ended (well-formed or broken).
func (p *csvParser) feed(b []byte) (int, bool) {
	i := 0
	for i < len(b) {
		switch p.state {
		case stFieldStart:
			if b[i] == '"' {
				p.state = stQuoted
				p.quoteLine = p.line + 1
				i++
				continue
			}
			p.state = stUnquoted
		case stUnquoted:
			j := i
			for j < len(b) && !p.special[b[j]] {
				j++
			}
			p.keep(b[i:j])
			if i = j; i == len(b) {
				return i, false
			}
			switch c := b[i]; {
			case c == '\n':
				p.endField()
				return i + 1, true
			case c == '\r' && i+1 == len(b):
				// Only the last piece of the input ends in '\r': drop it.
				return i + 1, false
			case c == '\r' && b[i+1] == '\n':
				p.endField()
				return i + 2, true
			case c == '\r':
				p.keep(b[i : i+1])
				i++
			case c == '"':
				p.fail(csv.ErrBareQuote, p.lineOff+i+1)
				return i, true
			case bytes.HasPrefix(b[i:], p.comma):
				p.endField()
				p.state = stFieldStart
				i += len(p.comma)
			default: // a byte that starts the delimiter's encoding but not the delimiter
				p.keep(b[i : i+1])
				i++
			}
		case stQuoted:
			j := bytes.IndexByte(b[i:], '"')
			if j < 0 {
				seg := b[i:]
				if n := len(seg); n >= 2 && seg[n-2] == '\r' && seg[n-1] == '\n' {
					p.keep(seg[:n-2])
					p.keep(seg[n-1:])
				} else {
					p.keep(seg)
				}
				return len(b), false
			}
			p.keep(b[i : i+j])
			i += j + 1
			p.state = stQuoteSeen
		case stQuoteSeen:
			switch c := b[i]; {
			case c == '"':
				p.keep(b[i : i+1])
				p.state = stQuoted
				i++
			case c == '\n':
				p.endField()
				return i + 1, true
			case c == '\r' && i+1 == len(b):
				return i + 1, false // the input's last byte: dropped
			case c == '\r' && b[i+1] == '\n':
				p.endField()
				return i + 2, true
			case bytes.HasPrefix(b[i:], p.comma):
				p.endField()
				p.state = stFieldStart
				i += len(p.comma)
			default:
				// The column of the closing quote, as encoding/csv gives it.
				p.fail(csv.ErrQuote, p.lineOff+i)
				return i, true
			}
		}
	}
	return i, false
}

// atEOF ends the record at the end of the input.
func (p *csvParser) atEOF() {
	if p.state == stQuoted {
		p.unclosed("not closed by the end of the file")
		return
	}
	p.endField()
}

// keep adds text to the current field, unless the field or the record is
// over its limit: then the text is only counted, and the field's stored
// part is dropped to make room for the fields after it.
func (p *csvParser) keep(s []byte) {
	p.fieldLen += len(s)
	p.rowLen += len(s)
	if p.fieldCut {
		return
	}
	if p.fieldLen > p.lim.cell || len(p.buf)+len(s) > p.lim.row {
		p.fieldCut = true
		p.buf = p.buf[:p.fieldStart]
		return
	}
	p.buf = append(p.buf, s...)
}

func (p *csvParser) endField() {
	if p.fieldLen > p.lim.cell && p.bigCell < 0 {
		p.bigCell, p.bigSize = p.fields, p.fieldLen
	}
	if p.fields < maxColumns {
		p.ends = append(p.ends, len(p.buf))
		p.cut = append(p.cut, p.fieldCut)
	} else {
		p.buf = p.buf[:p.fieldStart] // not kept: the row is bad
	}
	p.fields++
	p.fieldStart, p.fieldLen, p.fieldCut = len(p.buf), 0, false
}

// fail records broken quoting found at column col of the current line.
func (p *csvParser) fail(cause error, col int) {
	pe := &csv.ParseError{StartLine: p.recLine, Line: p.line + 1, Column: col, Err: cause}
	p.err = &quoteError{pe: pe}
}

// unclosed records a quoted field given up on.
func (p *csvParser) unclosed(why string) {
	pe := &csv.ParseError{StartLine: p.recLine, Line: p.line + 1, Column: p.lineOff + 1, Err: csv.ErrQuote}
	if p.lineOff == 0 {
		pe.Line, pe.Column = p.line, 0 // at a line's end: name the line read last
	}
	p.err = &quoteError{pe: pe, msg: fmt.Sprintf("quoted field opened on line %d is %s", p.quoteLine, why)}
}

// recover positions the input after a broken record: at the next line when
// the record did not go past its first line (what encoding/csv does), else
// back at the line after its first, whose text is in raw.
func (p *csvParser) recover() error {
	if !p.capturing {
		return p.skipLine()
	}
	p.err.(*quoteError).resume = p.recLine + 1
	next := append(p.spare[:0], p.raw...)
	next = append(next, p.replay[p.roff:]...)
	p.spare, p.replay, p.roff = p.replay[:0], next, 0
	p.line, p.lineOff = p.recLine, 0
	return nil
}

// skipLine discards the rest of the current line.
func (p *csvParser) skipLine() error {
	for {
		b, err := p.chunk()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		p.consume(b, len(b))
		if b[len(b)-1] == '\n' {
			return nil
		}
	}
}

// chunk returns the next piece of input without consuming it: the rest of
// the current line through its '\n' or, for a line longer than the buffer,
// a part of it that ends neither inside a UTF-8 sequence nor on a '\r'.
// It never returns an empty piece; io.EOF comes after the last one.
func (p *csvParser) chunk() ([]byte, error) {
	if p.fromReplay = p.roff < len(p.replay); p.fromReplay {
		b := p.replay[p.roff:]
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[:i+1]
		}
		return b, nil
	}
	scanned := 0
	for {
		n := p.src.Buffered()
		b, _ := p.src.Peek(n) // cannot fail: the bytes are buffered
		if i := bytes.IndexByte(b[scanned:], '\n'); i >= 0 {
			return b[:scanned+i+1], nil
		}
		scanned = n
		if p.srcErr != nil {
			if n > 0 {
				return b, nil
			}
			return nil, p.srcErr
		}
		if n == p.src.Size() {
			return holdBack(b), nil
		}
		if _, err := p.src.Peek(n + 1); err != nil {
			p.srcErr = err // kept: bufio hands an error out only once
		}
	}
}

// holdBack shortens a piece cut from a long line so that it ends neither
// inside a UTF-8 sequence nor on a '\r'; the bytes held back come first in
// the next piece.
func holdBack(b []byte) []byte {
	k := len(b)
	for j := k - 1; j >= 0 && j >= k-utf8.UTFMax+1; j-- {
		if utf8.RuneStart(b[j]) {
			if !utf8.FullRune(b[j:k]) {
				k = j
			}
			break
		}
	}
	if k > 0 && b[k-1] == '\r' {
		k--
	}
	return b[:k]
}

// consume marks the first n bytes of piece b as read.
func (p *csvParser) consume(b []byte, n int) {
	if p.capturing {
		p.raw = append(p.raw, b[:n]...)
	}
	if p.fromReplay {
		if p.roff += n; p.roff == len(p.replay) {
			p.replay, p.roff = p.replay[:0], 0
		}
	} else {
		_, _ = p.src.Discard(n) // cannot fail: the bytes are buffered
	}
	if n == len(b) && n > 0 && b[n-1] == '\n' {
		p.line++
		p.lineOff = 0
	} else {
		p.lineOff += n
	}
}

// recErr returns why the last record is bad, or nil.
func (p *csvParser) recErr(header []string) error {
	switch {
	case p.err != nil:
		return p.err
	case p.fields > maxColumns:
		return &fieldCountLimitError{n: p.fields}
	case p.bigCell >= 0:
		return &sizeError{what: "cell in column " + columnName(header, p.bigCell), size: int64(p.bigSize), limit: int64(p.lim.cell)}
	case p.rowLen > p.lim.row:
		return &sizeError{what: "row", size: int64(p.rowLen), limit: int64(p.lim.row)}
	}
	return nil
}

// values returns the stored fields of the last record as one new string
// sliced per field; a field that lost text to a limit is empty.
func (p *csvParser) values() []string {
	s := string(p.buf)
	out := make([]string, len(p.ends))
	start := 0
	for i, end := range p.ends {
		if !p.cut[i] {
			out[i] = s[start:end]
		}
		start = end
	}
	return out
}
