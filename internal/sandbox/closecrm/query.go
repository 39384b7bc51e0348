package closecrm

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The lead search language: what the doc shows (created/updated
// comparisons, status:, and/or/not, sort:) plus the exact-match keywords an
// upsert needs (email_address:, phone:, name:):
//
//	*                                  every lead
//	email_address:"a@b.com"            a contact email, case-insensitive, exact
//	phone:"+16503334444"               a contact phone, compared in E.164
//	name:"Acme"                        the lead name, case-insensitive, exact
//	status:potential, lead_status:"Bad Fit"
//	created >= 2014-01-31, updated > "2014-01-01 08:00:00",
//	updated <= 30 days ago, created:today
//	a and b, a or b, not a, (a), and "a b" meaning "a and b"
//	sort:updated, sort:-created        (one, at the top level)
//
// Anything else is a 400: the sandbox never silently returns every lead for
// a query it does not understand.

// expr is a parsed search condition.
type expr interface {
	match(s *store, r *leadRec) bool
}

type allExpr struct{}
type andExpr []expr
type orExpr []expr
type notExpr struct{ e expr }

// termExpr is key:value on a text attribute; emails are lower-cased and
// phones in E.164 ("" when unparseable, matching nothing).
type termExpr struct{ key, value string }

// dateExpr compares created/updated with an instant or a day [lo, hi).
type dateExpr struct {
	field  string // created | updated
	op     string
	lo, hi time.Time // hi is zero for an instant
}

type sortExpr struct {
	field string
	desc  bool
}

// query is a parsed search: a condition and an optional order.
type query struct {
	root     expr
	sort     *sortExpr
	relative bool // depends on the current time: not cached
}

// token kinds of the search language.
const (
	tokWord = iota
	tokString
	tokOp // : > >= < <= =
	tokOpen
	tokClose
)

type token struct {
	kind int
	text string
}

func lex(s string) ([]token, error) {
	var out []token
	for i := 0; i < len(s); {
		ch := s[i]
		switch {
		case ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r':
			i++
		case ch == '(':
			out = append(out, token{tokOpen, "("})
			i++
		case ch == ')':
			out = append(out, token{tokClose, ")"})
			i++
		case ch == '"':
			var sb strings.Builder
			j := i + 1
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' && j+1 < len(s) {
					j++
				}
				sb.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, fmt.Errorf("unterminated quote")
			}
			out = append(out, token{tokString, sb.String()})
			i = j + 1
		case ch == ':' || ch == '=':
			out = append(out, token{tokOp, string(ch)})
			i++
		case ch == '<' || ch == '>':
			op := string(ch)
			if i+1 < len(s) && s[i+1] == '=' {
				op += "="
			}
			out = append(out, token{tokOp, op})
			i += len(op)
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\r\n()\":=<>", rune(s[j])) {
				j++
			}
			out = append(out, token{tokWord, s[i:j]})
			i = j
		}
	}
	return out, nil
}

type parser struct {
	toks []token
	pos  int
	now  time.Time
	loc  *time.Location
	rel  bool
}

func (p *parser) peek() *token {
	if p.pos < len(p.toks) {
		return &p.toks[p.pos]
	}
	return nil
}

func (p *parser) isWord(w string) bool {
	t := p.peek()
	return t != nil && t.kind == tokWord && strings.EqualFold(t.text, w)
}

// parseQuery parses a search; loc is the x-tz-offset zone for dates given
// without an offset.
func parseQuery(s string, now time.Time, loc *time.Location) (query, error) {
	toks, err := lex(s)
	if err != nil {
		return query{}, err
	}
	if len(toks) == 0 {
		return query{root: allExpr{}}, nil
	}
	p := &parser{toks: toks, now: now.In(loc), loc: loc}
	root, err := p.or()
	if err != nil {
		return query{}, err
	}
	if t := p.peek(); t != nil {
		return query{}, fmt.Errorf("unexpected %q", t.text)
	}
	q := query{root: root, relative: p.rel}
	// sort: must be a top-level term.
	terms := []expr{root}
	if a, ok := root.(andExpr); ok {
		terms = a
	}
	var rest andExpr
	for _, e := range terms {
		if se, ok := e.(sortExpr); ok {
			if q.sort != nil {
				return query{}, fmt.Errorf("only one sort: is allowed")
			}
			q.sort = &se
			continue
		}
		if hasSort(e) {
			return query{}, fmt.Errorf("sort: must be at the top level")
		}
		rest = append(rest, e)
	}
	switch len(rest) {
	case 0:
		q.root = allExpr{}
	case 1:
		q.root = rest[0]
	default:
		q.root = rest
	}
	return q, nil
}

func hasSort(e expr) bool {
	switch x := e.(type) {
	case sortExpr:
		return true
	case andExpr:
		return slices.ContainsFunc(x, hasSort)
	case orExpr:
		return slices.ContainsFunc(x, hasSort)
	case notExpr:
		return hasSort(x.e)
	}
	return false
}

func (p *parser) or() (expr, error) {
	var parts orExpr
	for {
		e, err := p.and()
		if err != nil {
			return nil, err
		}
		parts = append(parts, e)
		if !p.isWord("or") {
			break
		}
		p.pos++
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	return parts, nil
}

func (p *parser) and() (expr, error) {
	var parts andExpr
	for {
		e, err := p.not()
		if err != nil {
			return nil, err
		}
		parts = append(parts, e)
		if p.isWord("and") {
			p.pos++
			continue
		}
		if t := p.peek(); t == nil || t.kind == tokClose || p.isWord("or") {
			break
		}
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	return parts, nil
}

func (p *parser) not() (expr, error) {
	if p.isWord("not") {
		p.pos++
		e, err := p.not()
		if err != nil {
			return nil, err
		}
		return notExpr{e}, nil
	}
	return p.primary()
}

func (p *parser) primary() (expr, error) {
	t := p.peek()
	if t == nil {
		return nil, fmt.Errorf("unexpected end of query")
	}
	p.pos++
	switch {
	case t.kind == tokOpen:
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if c := p.peek(); c == nil || c.kind != tokClose {
			return nil, fmt.Errorf("missing )")
		}
		p.pos++
		return e, nil
	case t.kind == tokWord && t.text == "*":
		return allExpr{}, nil
	case t.kind != tokWord:
		return nil, fmt.Errorf("unexpected %q", t.text)
	}
	key := strings.ToLower(t.text)
	op := p.peek()
	if op == nil || op.kind != tokOp {
		return nil, fmt.Errorf("unsupported search term %q (free-text search is not imitated)", t.text)
	}
	p.pos++
	switch key {
	case "email_address", "phone", "name", "status", "lead_status":
		if op.text != ":" {
			return nil, fmt.Errorf("%s takes key:value", key)
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		switch key { // normalise once here, not per lead
		case "lead_status":
			key = "status"
		case "email_address":
			v = strings.ToLower(v)
		case "phone":
			v = searchPhone(v)
		}
		return termExpr{key: key, value: v}, nil
	case "sort":
		if op.text != ":" {
			return nil, fmt.Errorf("sort takes sort:field")
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		se := sortExpr{}
		v, se.desc = strings.CutPrefix(v, "-")
		switch v {
		case "created", "date_created":
			se.field = "created"
		case "updated", "date_updated":
			se.field = "updated"
		case "name", "display_name":
			se.field = "name"
		default:
			return nil, fmt.Errorf("cannot sort by %q", v)
		}
		return se, nil
	case "created", "updated":
		return p.date(key, op.text)
	}
	return nil, fmt.Errorf("unsupported search keyword %q", t.text)
}

func (p *parser) value() (string, error) {
	t := p.peek()
	if t == nil || (t.kind != tokWord && t.kind != tokString) {
		return "", fmt.Errorf("missing value")
	}
	p.pos++
	return t.text, nil
}

// date parses the value of a created/updated comparison: a day
// (2014-01-31, today, yesterday), a time ("2014-01-01 08:00:00", RFC 3339)
// or "N days ago".
func (p *parser) date(field, op string) (expr, error) {
	if op == ":" {
		op = "="
	}
	t := p.peek()
	if t == nil || (t.kind != tokWord && t.kind != tokString) {
		return nil, fmt.Errorf("missing date after %s %s", field, op)
	}
	p.pos++
	d := dateExpr{field: field, op: op}
	v := t.text
	day := func(at time.Time) {
		d.lo = time.Date(at.Year(), at.Month(), at.Day(), 0, 0, 0, 0, p.loc)
		d.hi = d.lo.AddDate(0, 0, 1)
	}
	if n, err := strconv.Atoi(v); err == nil && t.kind == tokWord && (p.isWord("days") || p.isWord("day")) {
		p.pos++
		if !p.isWord("ago") {
			return nil, fmt.Errorf("expected \"ago\" after %q days", v)
		}
		p.pos++
		p.rel = true
		d.lo = p.now.AddDate(0, 0, -n)
		return d, nil
	}
	switch strings.ToLower(v) {
	case "today":
		p.rel = true
		day(p.now)
		return d, nil
	case "yesterday":
		p.rel = true
		day(p.now.AddDate(0, 0, -1))
		return d, nil
	}
	if at, err := time.ParseInLocation(time.DateOnly, v, p.loc); err == nil {
		day(at)
		return d, nil
	}
	for _, layout := range []string{time.DateTime, "2006-01-02 15:04", "2006-01-02T15:04:05", "2006-01-02T15:04:05.999999"} {
		if at, err := time.ParseInLocation(layout, v, p.loc); err == nil {
			d.lo = at
			return d, nil
		}
	}
	if at, err := time.Parse(time.RFC3339Nano, v); err == nil {
		d.lo = at
		return d, nil
	}
	return nil, fmt.Errorf("invalid date %q", v)
}
