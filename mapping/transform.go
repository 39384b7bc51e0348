package mapping

import (
	"net/mail"
	"net/url"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/cases"
	"golang.org/x/text/language"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// step is one compiled transform. It is never called with an empty value.
type step func(string) (string, error)

// Transform names, as written in a job.
const (
	transformTrim         = "trim"
	transformLower        = "lower"
	transformUpper        = "upper"
	transformTitle        = "title"
	transformEmail        = "email"
	transformPhone        = "phone_e164"
	transformDate         = "date"
	transformDatetime     = "datetime"
	transformSplit        = "split"
	transformDigits       = "digits"
	transformStripAccents = "strip_accents"
	transformURL          = "url"
)

// transformNames lists every transform, for "did you mean" suggestions.
func transformNames() []string {
	return []string{transformTrim, transformLower, transformUpper, transformTitle,
		transformEmail, transformPhone, transformDate, transformDatetime, transformSplit,
		transformDigits, transformStripAccents, transformURL}
}

// stepConfig is what a transform may need from its rule, resolved by Compile.
type stepConfig struct {
	region  string
	dates   *dateParser
	title   *sync.Pool // of *cases.Caser: a Caser is stateful, not safe to share
	accents *sync.Pool // of transform.Transformer, for the same reason
	phones  *phoneParser
}

// newStep returns the step for a transform name; split is handled by the
// rule itself and has no step. ok is false for an unknown name.
func newStep(name string, c *stepConfig) (s step, ok bool) {
	switch name {
	case transformTrim:
		return func(v string) (string, error) { return collapseSpace(v), nil }, true
	case transformLower:
		return func(v string) (string, error) { return strings.ToLower(v), nil }, true
	case transformUpper:
		return func(v string) (string, error) { return strings.ToUpper(v), nil }, true
	case transformTitle:
		return func(v string) (string, error) { return titleCase(c.title, v), nil }, true
	case transformEmail:
		return checkEmail, true
	case transformPhone:
		return phoneStep(c.phones, c.region), true
	case transformDate:
		return func(v string) (string, error) { return c.dates.parse(v, false) }, true
	case transformDatetime:
		return func(v string) (string, error) { return c.dates.parse(v, true) }, true
	case transformDigits:
		return func(v string) (string, error) { return keepDigits(v), nil }, true
	case transformStripAccents:
		return func(v string) (string, error) { return stripAccents(c.accents, v), nil }, true
	case transformURL:
		return checkURL, true
	}
	return nil, false
}

// newTitlePool returns a pool of title casers.
func newTitlePool() *sync.Pool {
	return &sync.Pool{New: func() any {
		c := cases.Title(language.Und)
		return &c
	}}
}

// newAccentPool returns a pool of transformers that drop combining marks.
func newAccentPool() *sync.Pool {
	return &sync.Pool{New: func() any {
		return transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	}}
}

// collapseSpace trims s and turns each inner run of whitespace into one
// space. Most values are already clean ASCII, so check that first, byte
// by byte, before allocating.
func collapseSpace(s string) string {
	prevSpace := true // true at the start catches a leading space
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError || unicode.IsSpace(r) {
				return collapseUnicodeSpace(s)
			}
			i += n - 1
			prevSpace = false
		case c == ' ':
			if prevSpace {
				return collapseUnicodeSpace(s)
			}
			prevSpace = true
		case '\t' <= c && c <= '\r': // the other ASCII spaces
			return collapseUnicodeSpace(s)
		default:
			prevSpace = false
		}
	}
	if !prevSpace {
		return s
	}
	return collapseUnicodeSpace(s)
}

// collapseUnicodeSpace is collapseSpace for any text.
func collapseUnicodeSpace(s string) string {
	clean, prevSpace := true, true // true at the start catches a leading space
	for _, r := range s {
		if unicode.IsSpace(r) {
			if r != ' ' || prevSpace {
				clean = false
				break
			}
			prevSpace = true
			continue
		}
		prevSpace = false
	}
	if clean && !prevSpace {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// titleCase title-cases s, then upper-cases a letter after an apostrophe
// that follows a one-letter word start: O'Neil, D'Angelo, but Don't.
func titleCase(pool *sync.Pool, s string) string {
	if t, ok := latinTitle(s); ok {
		return t
	}
	c := pool.Get().(*cases.Caser)
	s = c.String(s)
	pool.Put(c)
	if !strings.ContainsAny(s, "'’") {
		return s
	}
	rs := []rune(s)
	for i := 1; i+1 < len(rs); i++ {
		if (rs[i] == '\'' || rs[i] == '’') && unicode.IsLetter(rs[i-1]) &&
			(i == 1 || !unicode.IsLetter(rs[i-2])) && unicode.IsLower(rs[i+1]) {
			rs[i+1] = unicode.ToUpper(rs[i+1])
		}
	}
	return string(rs)
}

// latinTitle is title casing for text of ASCII and Latin-1 letters
// (U+00C0 to U+00FE but for ×, ÷ and ß), spaces and hyphens, where
// Unicode's rules come down to: a letter after a space, a hyphen or the
// start is upper case, the others lower case, and each Latin-1 letter's
// other case is 0x20 away. ok is false for any other text. It allocates
// only when s changes.
func latinTitle(s string) (t string, ok bool) {
	var b []byte // nil while s is unchanged
	start := true
	for i := 0; i < len(s); i++ {
		c, want := s[i], s[i]
		upper := false
		switch {
		case 'a' <= c && c <= 'z':
		case 'A' <= c && c <= 'Z':
			upper = true
		case c == ' ' || c == '-':
			start = true
		case c == 0xC3 && i+1 < len(s) && s[i+1] >= 0x80 && s[i+1] <= 0xBE && s[i+1] != 0x97 && s[i+1] != 0x9F && s[i+1] != 0xB7:
			// A Latin-1 letter, encoded C3 80 to C3 BE: its case is
			// in the second byte.
			if b != nil {
				b = append(b, c)
			}
			i++
			c, want = s[i], s[i]
			upper = c < 0xA0
		default:
			return "", false
		}
		if c != ' ' && c != '-' {
			if start && !upper {
				want = c - 0x20 // a-z and à-þ: the upper case is 0x20 below
			} else if !start && upper {
				want = c + 0x20
			}
			start = false
		}
		if want != c && b == nil {
			b = make([]byte, i, len(s))
			copy(b, s)
		}
		if b != nil {
			b = append(b, want)
		}
	}
	if b == nil {
		return s, true
	}
	return string(b), true
}

// checkEmail trims v and requires a bare, valid address.
func checkEmail(v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", nil
	}
	if plainAddress(v) {
		return v, nil
	}
	// ParseAddress also accepts `Bob <bob@x.com>` and comments; requiring the
	// address to equal the input keeps only bare addresses.
	a, err := mail.ParseAddress(v)
	if err != nil || a.Address != v {
		return v, invalid(v, "is not a valid email address")
	}
	return v, nil
}

// plainAddress reports whether v is a plain ASCII address, local@domain,
// both dot-atoms of RFC 5322 atext: the common case, which
// mail.ParseAddress accepts and returns unchanged. Other addresses may
// be valid too; checkEmail asks net/mail about them.
func plainAddress(v string) bool {
	at := -1
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '@':
			if at >= 0 {
				return false
			}
			at = i
		case '(', ')', '<', '>', '[', ']', ':', ';', '\\', ',', '"': // RFC 5322 specials
			return false
		default:
			if c < '!' || c > '~' {
				return false
			}
		}
	}
	return at > 0 && dotAtom(v[:at]) && dotAtom(v[at+1:])
}

// dotAtom reports whether the atext s has no leading, trailing or double
// dot, and is not empty.
func dotAtom(s string) bool {
	return s != "" && s[0] != '.' && s[len(s)-1] != '.' && !strings.Contains(s, "..")
}

// checkURL makes a web address absolute, as exports from other CRMs often
// hold "example.com" where an API wants "https://example.com", and requires
// a host that looks like one.
func checkURL(v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", nil
	}
	if !strings.Contains(v, "://") {
		v = "https://" + v
	}
	if plainWebAddress(v) {
		return v, nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || !strings.Contains(u.Hostname(), ".") || strings.ContainsAny(u.Hostname(), " _") {
		return v, invalid(v, "is not a valid web address")
	}
	return u.String(), nil
}

// plainWebAddress reports whether v is http:// or https://, a host of
// ASCII letters, digits, dots and dashes with a dot in it, and a path of
// unreserved characters: the common case, which url.Parse accepts and
// String gives back unchanged. checkURL parses the others.
func plainWebAddress(v string) bool {
	rest, ok := strings.CutPrefix(v, "https://")
	if !ok {
		if rest, ok = strings.CutPrefix(v, "http://"); !ok {
			return false
		}
	}
	host, path := rest, ""
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		host, path = rest[:i], rest[i:]
	}
	if !strings.Contains(host, ".") {
		return false
	}
	for i := 0; i < len(host); i++ {
		if c := host[i]; !isAlnum(c) && c != '.' && c != '-' {
			return false
		}
	}
	for i := 0; i < len(path); i++ {
		if c := path[i]; !isAlnum(c) && c != '.' && c != '-' && c != '_' && c != '~' && c != '/' {
			return false
		}
	}
	return true
}

// isAlnum reports whether c is an ASCII letter or digit.
func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// validRegion reports whether region is a region phonenumbers knows.
func validRegion(region string) bool {
	return phonenumbers.GetCountryCodeForRegion(region) != 0
}

// keepDigits keeps the ASCII digits of s.
func keepDigits(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for ; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// stripAccents removes combining marks from s after canonical decomposition.
func stripAccents(pool *sync.Pool, s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	t := pool.Get().(transform.Transformer)
	out, _, err := transform.String(t, s)
	pool.Put(t)
	if err != nil {
		return s // only on invalid UTF-8: keep the value rather than lose it
	}
	return out
}

// splitName splits a full name into first (all but the final word) and last
// (the final word). One word is a first name only.
func splitName(s string) (first, last string) {
	if s != "" && collapseSpace(s) == s {
		// Words already one space apart, as after trim: cut at the last
		// space rather than split and join.
		if i := strings.LastIndexByte(s, ' '); i >= 0 {
			return s[:i], s[i+1:]
		}
		return s, ""
	}
	words := strings.Fields(s)
	switch len(words) {
	case 0:
		return "", ""
	case 1:
		return words[0], ""
	}
	n := len(words) - 1
	return strings.Join(words[:n], " "), words[n]
}
