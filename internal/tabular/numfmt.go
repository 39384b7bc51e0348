package tabular

import (
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// fmtKind is what a cell's number format means for the text we return.
// Only two kinds change a stored number: dates, which are serial numbers in
// the file, and zero-padding formats such as "00000" for ZIP codes, whose
// leading zeros are part of the value to a person. Every other format
// (decimals, currency, percent) is presentation; the stored number is kept.
type fmtKind uint8

const (
	fmtPlain   fmtKind = iota // the stored number, written out in full
	fmtDate                   // a date and/or time serial number
	fmtZeroPad                // an integer padded with zeros to width
)

// numFormat is the meaning of one cell style's number format.
type numFormat struct {
	kind  fmtKind
	width int // digits, for fmtZeroPad
}

// styleFormats maps a cell style index (the s attribute of a cell) to what
// its number format means. It is built once per workbook (readStyleFormats).
type styleFormats []numFormat

func (s styleFormats) of(style int) numFormat {
	if style < 0 || style >= len(s) {
		return numFormat{}
	}
	return s[style]
}

// builtinDateFormat reports whether a built-in number format id (ECMA-376
// 18.8.30, plus the locale-dependent CJK and Thai ids) shows a date or time.
func builtinDateFormat(id int) bool {
	return (id >= 14 && id <= 22) || (id >= 27 && id <= 36) || (id >= 45 && id <= 47) ||
		(id >= 50 && id <= 58) || (id >= 71 && id <= 81)
}

// classifyFormatCode reads a custom format code. Only its first section (the
// one for positive numbers) matters; quoted literals, escaped characters,
// spacing/fill directives and bracketed colours or locales are ignored,
// except elapsed-time brackets such as [h].
func classifyFormatCode(code string) numFormat {
	var b strings.Builder
	for i := 0; i < len(code); i++ {
		switch c := code[i]; c {
		case ';':
			i = len(code)
		case '"':
			if j := strings.IndexByte(code[i+1:], '"'); j >= 0 {
				i += j + 1
			} else {
				i = len(code)
			}
		case '\\', '_', '*':
			i++ // skip the escaped, spacing or fill character
		case '[':
			j := strings.IndexByte(code[i:], ']')
			if j < 0 {
				i = len(code)
				continue
			}
			inner := strings.ToLower(code[i+1 : i+j])
			if inner != "" && strings.Trim(inner, "hms") == "" {
				b.WriteByte('h') // elapsed time
			}
			i += j
		default:
			b.WriteByte(c)
		}
	}
	plain := strings.ToLower(b.String())
	if plain == "general" {
		return numFormat{}
	}
	if strings.ContainsAny(plain, "ymdhs") {
		return numFormat{kind: fmtDate}
	}
	if len(plain) >= 2 && strings.Trim(plain, "0") == "" {
		return numFormat{kind: fmtZeroPad, width: len(plain)}
	}
	return numFormat{}
}

// cellKind is the type of a cell's stored value (its t attribute).
type cellKind uint8

const (
	kindNumber cellKind = iota // t absent or "n"
	kindText                   // "s", "str", "inlineStr"
	kindBool                   // "b"
	kindOther                  // "e" (error) and "d" (ISO date text): kept as stored
)

// cellText turns a cell's stored value into the text Row.Values carries.
func cellText(raw string, kind cellKind, nf numFormat, date1904 bool) string {
	switch kind {
	case kindNumber:
	case kindBool:
		switch raw {
		case "1":
			return "TRUE"
		case "0":
			return "FALSE"
		}
		return raw
	default:
		return raw
	}
	if raw == "" {
		return raw
	}
	switch nf.kind {
	case fmtDate:
		if s, ok := serialToISO(raw, date1904); ok {
			return s
		}
	case fmtZeroPad:
		n := plainNumber(raw)
		if isDigits(n) && len(n) < nf.width {
			return strings.Repeat("0", nf.width-len(n)) + n
		}
		return n
	}
	return plainNumber(raw)
}

// serialToISO converts an Excel serial date: "2023-03-15" for a whole day,
// "2023-03-15T10:30:00" with a time, "10:30:00" for a time of day alone.
func serialToISO(raw string, date1904 bool) (string, bool) {
	v, err := strconv.ParseFloat(raw, 64)
	if err != nil || v < 0 {
		return "", false
	}
	t, err := excelize.ExcelDateToTime(v, date1904)
	if err != nil {
		return "", false
	}
	midnight := t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0
	switch {
	case v < 1:
		return t.Format(time.TimeOnly), true
	case midnight:
		return t.Format(time.DateOnly), true
	default:
		return t.Format("2006-01-02T15:04:05"), true
	}
}

// plainNumber writes a stored number without exponent. Integers written as
// plain digits are kept as they are, however long (IDs, phone numbers).
// Other forms are rounded to 15 significant digits, the precision Excel
// shows, so 19.989999999999998 (how Excel stores 19.99) reads 19.99.
func plainNumber(raw string) string {
	if isDigits(strings.TrimPrefix(raw, "-")) {
		return raw
	}
	v, err := strconv.ParseFloat(raw, 64)
	if err != nil {
		return raw
	}
	v, _ = strconv.ParseFloat(strconv.FormatFloat(v, 'g', 15, 64), 64)
	return strconv.FormatFloat(v, 'f', -1, 64)
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
