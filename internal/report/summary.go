package report

import (
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/crmload/crmload/internal/connector"
)

// Summary counts a report's lines.
type Summary struct {
	Counts map[connector.Status]int
	Total  int
	// UnreadFrom is the first row of a range the run never read (a Rest
	// line), 0 when it read the whole source. Those rows are in neither
	// Counts nor Total.
	UnreadFrom int
	errors     *errorTable
}

func newSummary() Summary {
	return Summary{Counts: map[connector.Status]int{}, errors: &errorTable{index: map[string]int{}}}
}

func (s *Summary) add(l Line) {
	if l.Rest {
		if s.UnreadFrom == 0 || l.Row < s.UnreadFrom {
			s.UnreadFrom = l.Row
		}
		return
	}
	s.Counts[l.Status]++
	s.Total++
	if l.Error != "" && (l.Status == connector.Failed || l.Status == connector.Skipped) {
		s.errors.add(errorKind(l.Error))
	}
}

func (s Summary) clone() Summary {
	c := s
	c.Counts = make(map[connector.Status]int, len(s.Counts))
	for k, v := range s.Counts {
		c.Counts[k] = v
	}
	c.errors = s.errors.clone()
	return c
}

// Balanced reports whether every line has exactly one status.
func (s Summary) Balanced() bool {
	n := 0
	for _, st := range connector.Statuses {
		n += s.Counts[st]
	}
	return n == s.Total
}

// ErrorCount is one kind of error and how many rows had it.
type ErrorCount struct {
	Message string
	Rows    int
}

// OtherErrors is the Message under which TopErrors counts the errors of
// the kinds that did not fit in the summary's table.
const OtherErrors = "other errors"

// TopErrors returns the n most frequent kinds of error, most frequent
// first. A kind is a message with its values replaced by placeholders
// (`column "Email": "…" is not a valid email address`); past maxKinds
// kinds, the rarest are counted under OtherErrors.
func (s Summary) TopErrors(n int) []ErrorCount {
	if s.errors == nil {
		return nil
	}
	out := make([]ErrorCount, 0, len(s.errors.kinds)+1)
	for _, k := range s.errors.kinds {
		out = append(out, ErrorCount{k.msg, k.rows})
	}
	if s.errors.other > 0 {
		out = append(out, ErrorCount{OtherErrors, s.errors.other})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Rows != out[j].Rows {
			return out[i].Rows > out[j].Rows
		}
		return out[i].Message < out[j].Message
	})
	if len(out) > max(n, 0) {
		out = out[:max(n, 0)]
	}
	return out
}

// maxKinds bounds the error table: 500k rows with distinct messages once
// made a 225 MB summary.
const maxKinds = 200

// errorTable counts rows per kind of error, for at most maxKinds kinds.
// When a new kind comes and the table is full, the rarest kind (the least
// recently seen among equals) leaves it and its rows go to other: a kind
// that keeps coming stays, even if it first came after many one-offs.
type errorTable struct {
	kinds []errorKindCount
	index map[string]int // message → position in kinds
	other int
	clock uint64 // counts adds, to tell which kind was seen last
}

type errorKindCount struct {
	msg  string
	rows int
	seen uint64
}

func (t *errorTable) add(kind string) {
	t.clock++
	if i, ok := t.index[kind]; ok {
		t.kinds[i].rows++
		t.kinds[i].seen = t.clock
		return
	}
	k := errorKindCount{msg: kind, rows: 1, seen: t.clock}
	if len(t.kinds) < maxKinds {
		t.index[kind] = len(t.kinds)
		t.kinds = append(t.kinds, k)
		return
	}
	low := 0
	for i, c := range t.kinds {
		if c.rows < t.kinds[low].rows || c.rows == t.kinds[low].rows && c.seen < t.kinds[low].seen {
			low = i
		}
	}
	t.other += t.kinds[low].rows
	delete(t.index, t.kinds[low].msg)
	t.kinds[low] = k
	t.index[kind] = low
}

func (t *errorTable) clone() *errorTable {
	if t == nil {
		return nil
	}
	c := &errorTable{kinds: append([]errorKindCount(nil), t.kinds...), index: make(map[string]int, len(t.index)),
		other: t.other, clock: t.clock}
	for k, v := range t.index {
		c.index[k] = v
	}
	return c
}

// maxKindLen bounds the length of a kind, in bytes: a long response body
// is shortened.
const maxKindLen = 160

// extraFields introduces the values of a ragged row's surplus fields in
// its error (see Writer.fit).
const extraFields = "; extra fields: "

// errorKind reduces an error message to its kind, so that messages that
// differ only in their values count as one. Quoted names of columns and
// fields stay; other quoted values become "…"; outside quotes, numbers
// become N (but not HTTP status codes), email addresses <email>, id-like
// words <id> and long tokens <…>.
func errorKind(msg string) string {
	if i := strings.Index(msg, extraFields); i >= 0 {
		msg = msg[:i+len(extraFields)] + "…"
	}
	// No placeholder is three times as long as what it replaces, so text
	// past 8×maxKindLen cannot show in a kind: do not scan it.
	msg = shorten(msg, 8*maxKindLen)
	var b strings.Builder
	afterName := false // the last quoted string was a column or field name
	for i := 0; i < len(msg) && b.Len() < maxKindLen; {
		if msg[i] != '"' {
			j := i + 1
			for j < len(msg) && msg[j] != '"' {
				j++
			}
			writeWords(&b, msg[i:j])
			i = j
			continue
		}
		end := closingQuote(msg, i+1)
		if end < 0 { // cut short, as response snippets are
			b.WriteString(`"…`)
			break
		}
		content, next, before := msg[i+1:end], msg[end+1:], b.String()
		wasName := afterName
		afterName = false
		switch {
		case isNameContext(before) && len(content) <= 64:
			b.WriteString(msg[i : end+1])
			afterName = true
		case wasName && strings.HasSuffix(before, `": `):
			b.WriteString(`"…"`) // column "Email": "a@" is …: the value that failed
		case strings.HasPrefix(next, ":") && len(content) <= 64 && !strings.ContainsAny(content, " @"):
			b.WriteString(msg[i : end+1]) // a JSON key
		case !strings.ContainsAny(content, " \t\n"):
			b.WriteString(`"…"`) // one word: a value
		default: // a sentence, as in a JSON error body: keep its words
			b.WriteByte('"')
			writeWords(&b, content)
			b.WriteByte('"')
		}
		i = end + 1
	}
	return shorten(b.String(), maxKindLen)
}

// closingQuote returns the index of the quote that closes a string opened
// before from, skipping backslash escapes; -1 if none does.
func closingQuote(s string, from int) int {
	for i := from; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}

// isNameContext reports whether a quoted string after before names a
// column or field (column "Email", no column "X", field "phone").
func isNameContext(before string) bool {
	before = strings.ToLower(before[max(len(before)-8, 0):])
	for _, w := range []string{"column ", "columns ", "field ", "fields ", "sheet "} {
		if strings.HasSuffix(before, w) {
			return true
		}
	}
	return false
}

// writeWords copies text to b with its numbers, email addresses, ids and
// long tokens replaced by placeholders.
func writeWords(b *strings.Builder, text string) {
	for i := 0; i < len(text); {
		if !isWordByte(text[i]) {
			b.WriteByte(text[i])
			i++
			continue
		}
		j := i
		for j < len(text) && isWordByte(text[j]) {
			j++
		}
		w := text[i:j]
		// A sentence's full stop or comma is not part of the word.
		trail := len(w)
		for trail > 0 && (w[trail-1] == '.' || w[trail-1] == ',') {
			trail--
		}
		b.WriteString(wordKind(w[:trail], b.String()))
		b.WriteString(w[trail:])
		i = j
	}
}

// isWordByte tells the bytes of a word: letters (any non-ASCII byte too),
// digits and the punctuation of addresses, ids and numbers.
func isWordByte(c byte) bool {
	switch {
	case c >= 0x80, 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', isDigit(c):
		return true
	}
	return strings.IndexByte("_.@+-/#%=&?~", c) >= 0
}

// wordKind returns w or its placeholder; before is the text before it.
func wordKind(w, before string) string {
	if w == "" {
		return w
	}
	digits := 0
	for i := 0; i < len(w); i++ {
		if isDigit(w[i]) {
			digits++
		}
	}
	at := strings.IndexByte(w, '@')
	switch {
	case at > 0 && strings.Contains(w[at+1:], "."):
		return "<email>"
	case digits > 0 && strings.Trim(w, "0123456789.,+-") == "":
		// 12, -3.5, 1,234,567, 2026-01-05
		if strings.HasSuffix(before, "HTTP ") {
			return w // a status code tells kinds apart
		}
		return "N"
	case len(w) > 32:
		return "<…>"
	case digits >= 4 || digits >= 2 && len(w) >= 8:
		return "<id>"
	}
	return w
}

// shorten cuts s to n bytes, on a character boundary, marking the cut.
func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
