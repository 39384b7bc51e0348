package tabular

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// textCheck is how the reader checks the text it returns.
type textCheck uint8

const (
	// checkUTF8: the bytes reach the parser undecoded, so invalid UTF-8
	// must be caught there.
	checkUTF8 textCheck = iota
	// checkDecoded: a decoder turned the bytes it could not decode into
	// U+FFFD, which the reader takes for invalid text.
	checkDecoded
)

// decoded returns r as UTF-8 text. For UTF-8 input (the default) the bytes
// pass through undecoded, without a UTF-8 BOM: a decoder would turn bad
// bytes into U+FFFD silently, and checking them costs less than decoding.
// A UTF-16 BOM switches to UTF-16 decoding.
func decoded(r io.Reader, name string) (io.Reader, textCheck, error) {
	name = strings.TrimSpace(name)
	if name != "" {
		enc, err := htmlindex.Get(name)
		if err != nil {
			return nil, 0, fmt.Errorf("unknown encoding %q", name)
		}
		if enc != unicode.UTF8 {
			return transform.NewReader(r, enc.NewDecoder()), checkDecoded, nil
		}
	}
	br := bufio.NewReader(r)
	bom, err := br.Peek(3)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, 0, err
	}
	switch {
	case bytes.HasPrefix(bom, []byte{0xEF, 0xBB, 0xBF}):
		_, _ = br.Discard(3) // cannot fail: the bytes are buffered
		return br, checkUTF8, nil
	case bytes.HasPrefix(bom, []byte{0xFE, 0xFF}), bytes.HasPrefix(bom, []byte{0xFF, 0xFE}):
		return transform.NewReader(br, unicode.BOMOverride(unicode.UTF8.NewDecoder())), checkDecoded, nil
	default:
		return br, checkUTF8, nil
	}
}

// detectSampleRows bounds how many records the detection parses per candidate.
const detectSampleRows = 50

// detectDelimiter picks the candidate that splits the header into at least
// two columns and the most sample rows into as many fields as the header;
// among equals, the one giving more columns. A file no candidate splits is
// read as one comma-separated column.
func detectDelimiter(prefix []byte, atEOF bool) rune {
	sample := prefix
	if !atEOF {
		// The last line may be cut by the prefix's end; leave it out.
		if i := bytes.LastIndexByte(sample, '\n'); i >= 0 {
			sample = sample[:i+1]
		}
	}
	best, bestWidth, bestGood, bestRows := ',', 1, 0, 0
	// Candidates in order of preference: the first wins a tie.
	for _, d := range []rune{',', ';', '\t', '|'} {
		width, good, rows := splitScore(sample, d)
		if width < 2 {
			continue
		}
		// Compare good/rows fractions without division (rows may be 0,
		// meaning a header-only sample, which counts as fully consistent).
		if rows == 0 {
			good, rows = 1, 1
		}
		lhs, rhs := good*bestRows, bestGood*rows
		if bestWidth < 2 || lhs > rhs || (lhs == rhs && width > bestWidth) {
			best, bestWidth, bestGood, bestRows = d, width, good, rows
		}
	}
	return best
}

// splitScore parses sample with delimiter d and returns the header's width,
// how many of the following rows have that width, and how many rows it saw.
func splitScore(sample []byte, d rune) (width, good, rows int) {
	r := csv.NewReader(bytes.NewReader(sample))
	r.Comma = d
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	r.ReuseRecord = true
	for rows < detectSampleRows {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if width == 0 {
			if err != nil {
				return 0, 0, 0
			}
			width = len(rec)
			continue
		}
		rows++
		if err == nil && len(rec) == width {
			good++
		}
	}
	return width, good, rows
}
