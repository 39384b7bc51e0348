package tabular

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// The XML code the worksheet scanner and the shared strings reader share:
// a byte-level reader of tags and of chosen elements' text, and the OOXML
// string escapes.

// maxTagSize bounds one tag with its attributes; worksheet tags are short,
// so a longer one means a corrupt part.
const maxTagSize = 64 << 10

// xmlScanner reads the element tags of an XML part, and the text of the
// elements its caller asks for.
type xmlScanner struct {
	br        *bufio.Reader
	tag       []byte // the last tag, without its angle brackets
	name      []byte // its local name, in tag
	end       bool   // </name>
	selfClose bool   // <name/>
	pending   bool   // text read the tag after the text: nextTag returns it

	// What text is decoding into.
	out  []byte
	keep int  // out is not grown past this length
	size int  // bytes of the text, kept or not
	full bool // out stopped growing
	cr   bool // the last CDATA byte was '\r'
}

func newXMLScanner(r io.Reader) *xmlScanner {
	return &xmlScanner{br: bufio.NewReaderSize(r, 64<<10)}
}

// nextTag skips to the next element tag and reads it. Comments,
// processing instructions, CDATA and other declarations are skipped whole.
// It returns io.EOF at the end of the input outside any tag.
func (x *xmlScanner) nextTag() error {
	if x.pending {
		x.pending = false
		return nil
	}
	for {
		if err := x.skipPast('<'); err != nil {
			return err
		}
		isTag, err := x.markup(false)
		if err != nil || isTag {
			return err
		}
	}
}

// markup reads what follows a '<': a tag, which it leaves in x.tag, or
// something else, which it skips, or, with capture, appends to the text
// when it is a CDATA section.
func (x *xmlScanner) markup(capture bool) (isTag bool, err error) {
	c, err := x.br.Peek(1)
	if err != nil {
		return false, unexpectedEOF(err)
	}
	switch c[0] {
	case '?':
		return false, x.skipUntil("?>")
	case '!':
		if b, _ := x.br.Peek(3); string(b) == "!--" {
			_, _ = x.br.Discard(3)
			return false, x.skipUntil("-->")
		}
		if b, _ := x.br.Peek(8); string(b) == "![CDATA[" {
			_, _ = x.br.Discard(8)
			if capture {
				return false, x.cdata()
			}
			return false, x.skipUntil("]]>")
		}
		return false, x.skipUntil(">")
	}
	return true, x.readTag()
}

// readTag reads a tag up to its '>' outside quoted attribute values.
func (x *xmlScanner) readTag() error {
	x.tag = x.tag[:0]
	var quote byte
	for {
		b, err := x.br.ReadSlice('>')
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return unexpectedEOF(err)
		}
		i := 0
		if quote != 0 { // b goes on with a quoted value
			if j := bytes.IndexByte(b, quote); j >= 0 {
				i, quote = j+1, 0
			} else {
				i = len(b)
			}
		}
		for ; i < len(b); i++ {
			if c := b[i]; c == '"' || c == '\'' {
				// Jump to the closing quote, or to the end of b.
				j := bytes.IndexByte(b[i+1:], c)
				if j < 0 {
					quote = c
					break
				}
				i += j + 1
			}
		}
		if x.tag = append(x.tag, b...); len(x.tag) > maxTagSize {
			return fmt.Errorf("a tag longer than %s", formatSize(maxTagSize))
		}
		if err == nil && quote == 0 {
			x.tag = x.tag[:len(x.tag)-1]
			break
		}
	}
	t := x.tag
	if x.end = len(t) > 0 && t[0] == '/'; x.end {
		t = t[1:]
	}
	if x.selfClose = len(t) > 0 && t[len(t)-1] == '/'; x.selfClose {
		t = t[:len(t)-1]
	}
	t = t[:nameEnd(t)]
	if i := bytes.IndexByte(t, ':'); i >= 0 {
		t = t[i+1:]
	}
	x.name = t
	return nil
}

// nameEnd returns the length of the element name a tag starts with.
func nameEnd(t []byte) int {
	for i, c := range t {
		if isSpace(c) {
			return i
		}
	}
	return len(t)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// skipPast discards input up to and including the next c.
func (x *xmlScanner) skipPast(c byte) error {
	for {
		_, err := x.br.ReadSlice(c)
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return err
	}
}

// skipUntil discards input up to and including the next occurrence of end
// (at most 3 bytes). It goes byte by byte: it only runs over comments,
// CDATA and processing instructions, which worksheets rarely hold.
func (x *xmlScanner) skipUntil(end string) error {
	var win [3]byte
	for seen := 1; ; seen++ {
		c, err := x.br.ReadByte()
		if err != nil {
			return unexpectedEOF(err)
		}
		win[0], win[1], win[2] = win[1], win[2], c
		if seen >= len(end) && string(win[3-len(end):]) == end {
			return nil
		}
	}
}

// text appends the text up to the next element tag to dst, growing dst to
// at most keep bytes, and reads that tag, which the next nextTag returns.
// It returns dst and the size of the text, kept or not.
func (x *xmlScanner) text(dst []byte, keep int) ([]byte, int, error) {
	x.out, x.keep, x.size, x.full, x.cr = dst, keep, 0, false, false
	for {
		b, found, err := x.peekUntil('<')
		if found {
			x.decode(b[:len(b)-1])
			_, _ = x.br.Discard(len(b)) // cannot fail: the bytes are buffered
			isTag, err := x.markup(true)
			if err != nil {
				return x.out, x.size, err
			}
			if isTag {
				x.pending = true
				return x.out, x.size, nil
			}
			continue
		}
		if err != nil {
			return x.out, x.size, unexpectedEOF(err)
		}
		// Text longer than the buffer: decode all but a tail that may be
		// an entity or a "\r\n" cut in two.
		k := len(b)
		tail := max(0, k-maxEntity)
		if i := bytes.LastIndexByte(b[tail:], '&'); i >= 0 && bytes.IndexByte(b[tail+i:], ';') < 0 {
			k = tail + i
		}
		if k > 0 && b[k-1] == '\r' {
			k--
		}
		x.decode(b[:k])
		_, _ = x.br.Discard(k)
	}
}

// peekUntil returns the input up to and including the next c without
// consuming it; when the buffer fills first, it returns the buffer with
// found false. err is set when the input ends before c.
func (x *xmlScanner) peekUntil(c byte) (b []byte, found bool, err error) {
	scanned := 0
	for {
		n := x.br.Buffered()
		b, _ = x.br.Peek(n)
		if i := bytes.IndexByte(b[scanned:], c); i >= 0 {
			return b[:scanned+i+1], true, nil
		}
		scanned = n
		if n == x.br.Size() {
			return b, false, nil
		}
		if _, err := x.br.Peek(n + 1); err != nil && x.br.Buffered() == n {
			return b, false, err
		}
	}
}

// maxEntity bounds an entity reference with its '&' and ';' ("&#x10FFFF;").
const maxEntity = 12

// decode appends character data to the text, replacing entity references
// and reading "\r\n" and a lone "\r" as "\n", as encoding/xml does. An
// unknown or malformed reference is kept as it is.
func (x *xmlScanner) decode(b []byte) {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '&')
		if i < 0 {
			i = len(b)
		}
		if j := bytes.IndexByte(b[:i], '\r'); j >= 0 {
			i = j
		}
		if i == len(b) {
			x.emit(b)
			return
		}
		x.emit(b[:i])
		b = b[i:]
		if b[0] == '\r' {
			x.emit([]byte{'\n'})
			if len(b) > 1 && b[1] == '\n' {
				b = b[1:]
			}
			b = b[1:]
			continue
		}
		j := bytes.IndexByte(b[:min(len(b), maxEntity)], ';')
		if r, ok := entity(b[:max(j, 0)]); j > 0 && ok {
			var enc [utf8.UTFMax]byte
			x.emit(enc[:utf8.EncodeRune(enc[:], r)])
			b = b[j+1:]
			continue
		}
		x.emit(b[:1])
		b = b[1:]
	}
}

// entity decodes a reference, given without its ';'.
func entity(ref []byte) (rune, bool) {
	switch string(ref) {
	case "&lt":
		return '<', true
	case "&gt":
		return '>', true
	case "&amp":
		return '&', true
	case "&apos":
		return '\'', true
	case "&quot":
		return '"', true
	}
	if len(ref) < 3 || ref[1] != '#' {
		return 0, false
	}
	num, base := ref[2:], 10
	if num[0] == 'x' {
		num, base = num[1:], 16
	}
	n, err := strconv.ParseUint(string(num), base, 32)
	if err != nil || !utf8.ValidRune(rune(n)) || n == 0 {
		return 0, false
	}
	return rune(n), true
}

// cdata appends a CDATA section's content to the text, up to its "]]>".
func (x *xmlScanner) cdata() error {
	var win [3]byte
	for seen := 1; ; seen++ {
		c, err := x.br.ReadByte()
		if err != nil {
			return unexpectedEOF(err)
		}
		win[0], win[1], win[2] = win[1], win[2], c
		if seen >= 3 && string(win[:]) == "]]>" {
			return nil
		}
		if seen >= 3 {
			x.emitCDATA(win[0])
		}
	}
}

// emitCDATA adds one byte of CDATA, read as "\r\n" → "\n" would be: a
// '\r' becomes '\n' and a '\n' right after a '\r' is dropped.
func (x *xmlScanner) emitCDATA(c byte) {
	switch {
	case c == '\r':
		x.emit([]byte{'\n'})
	case c == '\n' && x.cr:
	default:
		x.emit([]byte{c})
	}
	x.cr = c == '\r'
}

// emit adds text, unless the text is over its limit: then only its size
// counts from there on.
func (x *xmlScanner) emit(b []byte) {
	x.size += len(b)
	if x.full || len(x.out)+len(b) > x.keep {
		x.full = true
		return
	}
	x.out = append(x.out, b...)
}

func unexpectedEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// bstrDecode decodes the _xHHHH_ escapes OOXML uses in string items for
// characters XML cannot carry ("_x000D_" for "\r"), in place, as excelize
// does: "_x005F_" is a literal '_', and an escape of a lone surrogate half
// is dropped; a pair of escaped halves makes one character.
func bstrDecode(b []byte) []byte {
	i := bytes.Index(b, []byte("_x"))
	if i < 0 {
		return b
	}
	out := b[:i]
	for i < len(b) {
		u, ok := bstrEscape(b[i:])
		if !ok {
			out = append(out, b[i])
			i++
			continue
		}
		i += 7
		r := rune(u)
		if utf16IsHigh(u) {
			if lo, ok := bstrEscape(b[i:]); ok && utf16IsLow(lo) {
				r = 0x10000 + (rune(u)-0xD800)<<10 + rune(lo) - 0xDC00
				i += 7
			}
		}
		if utf8.ValidRune(r) {
			// The encoding is never longer than the 7 bytes it replaces,
			// so writing in place cannot overtake the reading.
			out = utf8.AppendRune(out, r)
		}
	}
	return out
}

// bstrEscape reads "_xHHHH_" at the start of b.
func bstrEscape(b []byte) (uint16, bool) {
	if len(b) < 7 || b[0] != '_' || b[1] != 'x' || b[6] != '_' {
		return 0, false
	}
	var u uint16
	for _, c := range b[2:6] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		u = u<<4 | uint16(c)
	}
	return u, true
}

func utf16IsHigh(u uint16) bool { return u >= 0xD800 && u < 0xDC00 }
func utf16IsLow(u uint16) bool  { return u >= 0xDC00 && u < 0xE000 }

// attrs calls fn with each attribute of a tag as read by readTag: its local
// name (namespace prefix removed) and its value, not unescaped.
func attrs(tag []byte, fn func(name, value []byte)) {
	i := nameEnd(tag)
	for i < len(tag) {
		for i < len(tag) && isSpace(tag[i]) {
			i++
		}
		eq := bytes.IndexByte(tag[i:], '=')
		if eq < 0 {
			return
		}
		key := bytes.TrimSpace(tag[i : i+eq])
		i += eq + 1
		for i < len(tag) && tag[i] != '"' && tag[i] != '\'' {
			i++
		}
		if i >= len(tag) {
			return
		}
		q := tag[i]
		j := bytes.IndexByte(tag[i+1:], q)
		if j < 0 {
			return
		}
		if k := bytes.IndexByte(key, ':'); k >= 0 {
			key = key[k+1:]
		}
		fn(key, tag[i+1:i+1+j])
		i += j + 2
	}
}

// atoiBytes parses a non-negative decimal number of at most 9 digits.
func atoiBytes(b []byte) (int, bool) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
