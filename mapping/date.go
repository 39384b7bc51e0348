package mapping

import (
	"fmt"
	"strings"
	"time"
)

// isoDate is the output layout of the date transform for dates.
const isoDate = "2006-01-02"

// dateLayout is one compiled input layout.
type dateLayout struct {
	name    string // as written in the job, for messages
	layout  string // the Go layout
	hasTime bool   // parses a time of day: the output is RFC 3339
}

// dateParser tries its layouts in order.
type dateParser struct {
	layouts []dateLayout
	names   string // "[DD/MM/YYYY, 2006-01-02, RFC 3339]", for messages
}

// goLayout translates a friendly layout (one containing YY, which no Go
// layout does) to a Go layout; other layouts are returned unchanged.
func goLayout(s string) string {
	if !strings.Contains(s, "YY") {
		return s
	}
	// Longest first, so YYYY wins over YY and MM over M.
	tokens := [...]struct{ token, layout string }{
		{"YYYY", "2006"}, {"YY", "06"}, {"MM", "01"}, {"M", "1"},
		{"DD", "02"}, {"D", "2"}, {"hh", "15"}, {"mm", "04"}, {"ss", "05"},
	}
	var b strings.Builder
outer:
	for i := 0; i < len(s); {
		for _, t := range tokens {
			if strings.HasPrefix(s[i:], t.token) {
				b.WriteString(t.layout)
				i += len(t.token)
				continue outer
			}
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// compileLayout checks that a layout reads a full date back from its own
// output, which catches layouts with no year, month or day (or a misspelt
// token such as dd/mm/yyyy, which Go would read as literal text).
func compileLayout(name string) (dateLayout, error) {
	ref := time.Date(2023, time.November, 24, 13, 45, 56, 0, time.UTC)
	l := goLayout(name)
	p, err := time.Parse(l, ref.Format(l))
	if err != nil || p.Year() != ref.Year() || p.Month() != ref.Month() || p.Day() != ref.Day() {
		return dateLayout{}, fmt.Errorf("date layout %q does not give a year, month and day (use Go's 2006-01-02 or YYYY-MM-DD)", name)
	}
	return dateLayout{name: name, layout: l, hasTime: p.Hour() != 0 || p.Minute() != 0}, nil
}

// newDateParser compiles the rule's layouts, then the job's, then ISO and
// RFC 3339, skipping repeats. It returns every invalid layout's error.
func newDateParser(rule, job []string) (*dateParser, []error) {
	var (
		p    dateParser
		errs []error
		seen = map[string]bool{}
	)
	add := func(l dateLayout) {
		if !seen[l.layout] {
			seen[l.layout] = true
			p.layouts = append(p.layouts, l)
		}
	}
	for _, name := range append(append([]string(nil), rule...), job...) {
		l, err := compileLayout(name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		add(l)
	}
	add(dateLayout{name: isoDate, layout: isoDate})
	add(dateLayout{name: "RFC 3339", layout: time.RFC3339, hasTime: true})
	// What the XLSX reader gives for a date-time cell: ISO without a zone.
	add(dateLayout{name: "2006-01-02T15:04:05", layout: "2006-01-02T15:04:05", hasTime: true})
	names := make([]string, len(p.layouts))
	for i, l := range p.layouts {
		names[i] = l.name
	}
	p.names = "[" + strings.Join(names, ", ") + "]"
	return &p, errs
}

// parse is the date step.
//
// keepTime is the datetime transform: a value with a time of day comes out
// in RFC 3339 (UTC when it had no zone). The date transform keeps the date
// only, since a date field of a CRM refuses a time.
func (p *dateParser) parse(v string, keepTime bool) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", nil
	}
	for _, l := range p.layouts {
		t, err := time.Parse(l.layout, v)
		if err != nil {
			continue
		}
		if l.hasTime && keepTime {
			return t.Format(time.RFC3339), nil
		}
		return t.Format(isoDate), nil
	}
	return v, invalid(v, "is not a date in any of the layouts "+p.names)
}
