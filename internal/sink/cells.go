package sink

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// Neutralise makes a cell safe to open in a spreadsheet, following OWASP's
// CSV-injection guidance: a value starting with =, +, -, @, tab, carriage
// return or line feed could run as a formula (=HYPERLINK(…), DDE payloads
// such as -2+3+cmd|' /C calc'!A0), so it gets a leading single quote and
// reads as text.
//
// Two kinds of value are left alone, because nothing in them can call a
// function or reach another cell, and quoting them would spoil ordinary
// data:
//   - a plain number: an optional sign, digits, an optional decimal point
//     and exponent ("-12.5", "+3", "1e6"); this covers E.164 phone numbers
//     ("+14155550123");
//   - a phone number written with a leading "+" and only digits, spaces
//     and the punctuation ( ) - . between them, with 7 to 15 digits
//     ("+1 (415) 555-0123", "+44 20 7946 0958").
//
// Everything else starting with those characters is quoted, e.g. "-
// item", "@handle", "+1 555 CALL-NOW".
func Neutralise(v string) string {
	if v == "" {
		return v
	}
	switch v[0] {
	case '=', '@', '\t', '\r', '\n':
		return "'" + v
	case '+', '-':
		if plainNumber(v) || phoneNumber(v) {
			return v
		}
		return "'" + v
	}
	return v
}

// plainNumber reports whether v is a decimal number and nothing else.
func plainNumber(v string) bool {
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c >= '0' && c <= '9', c == '+', c == '-', c == '.', c == 'e', c == 'E':
		default:
			return false
		}
	}
	_, err := strconv.ParseFloat(v, 64)
	return err == nil || errors.Is(err, strconv.ErrRange)
}

// phoneNumber reports whether v is "+" and a phone number in common
// punctuation.
func phoneNumber(v string) bool {
	if v[0] != '+' {
		return false
	}
	digits := 0
	for i := 1; i < len(v); i++ {
		switch c := v[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == ' ', c == '(', c == ')', c == '-', c == '.':
		default:
			return false
		}
	}
	return digits >= 7 && digits <= 15 && v[1] != ' '
}

// DateCell prepares a value of a date column for an XLSX date cell: a time
// with a zone or offset (RFC 3339, as CRMs send them) becomes its UTC wall
// time "2006-01-02 15:04:05", which tabular writes as a date-time cell (a
// spreadsheet cell has no zone to keep). Plain dates and times without a
// zone are already understood by tabular; anything else stays as it is and
// is written as text.
func DateCell(v string) string {
	if len(v) <= len(time.DateOnly) || (v[len(v)-1] != 'Z' && !strings.ContainsAny(v[len(time.DateOnly):], "+-")) {
		return v
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return v
	}
	return t.UTC().Format(time.DateTime)
}

// IsDateColumn reports whether a column name says it holds dates:
// "date_created", "Close Date", "birthday", "updated_at", "createdAt".
func IsDateColumn(name string) bool {
	n := strings.ToLower(strings.TrimSpace(name))
	return strings.Contains(n, "date") || strings.Contains(n, "birthday") ||
		strings.HasSuffix(n, "_at") || strings.HasSuffix(name, "At")
}
