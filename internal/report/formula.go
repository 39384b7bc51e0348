package report

import "strings"

// A report is opened in spreadsheets, and its cells copy text that came
// from a source file or another CRM: a cell such as =HYPERLINK(…) would run
// as a formula there (CSV injection). Following OWASP, such cells are
// written with a leading single quote, which spreadsheets show as text.

// Neutralise returns s made safe for a spreadsheet cell, reversibly: a
// leading ' is added when s starts with = + - @ tab or CR and is not a plain
// number or an E.164-like phone number, and also when s already starts with
// ', so that Restore(Neutralise(s)) == s for every s.
func Neutralise(s string) string {
	if strings.HasPrefix(s, "'") {
		return "'" + s
	}
	return defuse(s)
}

// Restore undoes Neutralise: it removes one leading ', if there is one.
func Restore(s string) string { return strings.TrimPrefix(s, "'") }

// defuse is the one-way form of Neutralise, for the report's own columns,
// which are never sent anywhere: only cells a spreadsheet would evaluate
// get the quote.
func defuse(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '@', '\t', '\r':
	case '+', '-':
		if isPlainNumber(s) || s[0] == '+' && isPhone(s[1:]) {
			return s
		}
	default:
		return s
	}
	return "'" + s
}

// isPlainNumber reports whether s is a signed number such as -12, +3.5,
// -1,234.5 or -2e-3: digits and separators hold no operator, so a
// spreadsheet cannot read a formula in them.
func isPlainNumber(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for ; i < len(s) && (isDigit(s[i]) || s[i] == '.' || s[i] == ','); i++ {
		if isDigit(s[i]) {
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for ; i < len(s) && isDigit(s[i]); i++ {
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
}

// isPhone reports whether s (what follows a +) is digits and spaces, with at
// least one digit: +44 20 7946 0958.
func isPhone(s string) bool {
	digits := 0
	for i := 0; i < len(s); i++ {
		switch {
		case isDigit(s[i]):
			digits++
		case s[i] != ' ':
			return false
		}
	}
	return digits > 0
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
