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
		return phoneStep(c.region), true
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
// space. Most values are already clean, so check before allocating.
func collapseSpace(s string) string {
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

// checkEmail trims v and requires a bare, valid address.
func checkEmail(v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", nil
	}
	// ParseAddress also accepts `Bob <bob@x.com>` and comments; requiring the
	// address to equal the input keeps only bare addresses.
	a, err := mail.ParseAddress(v)
	if err != nil || a.Address != v {
		return v, invalid(v, "is not a valid email address")
	}
	return v, nil
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
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || !strings.Contains(u.Hostname(), ".") || strings.ContainsAny(u.Hostname(), " _") {
		return v, invalid(v, "is not a valid web address")
	}
	return u.String(), nil
}

// phoneStep returns a step that formats numbers as E.164, reading numbers
// without a +country code as numbers of region.
func phoneStep(region string) step {
	where := "(region " + region + ")"
	if region == "" {
		where = "(no region)"
	}
	return func(v string) (string, error) {
		n, err := phonenumbers.Parse(v, region)
		if (err != nil || !phonenumbers.IsValidNumber(n)) && len(v) >= 11 && keepDigits(v) == v {
			// A number cell in a spreadsheet loses the "+" of an E.164
			// number (442079460958): read bare international digits as such
			// when they make no number of the region.
			n, err = phonenumbers.Parse("+"+v, "")
		}
		if err != nil || !phonenumbers.IsValidNumber(n) {
			return v, invalid(v, "is not a valid phone number "+where)
		}
		if n.GetExtension() != "" {
			// E.164 cannot hold it: dropping it would lose data silently.
			return v, invalid(v, "has an extension, which E.164 cannot hold "+where)
		}
		return phonenumbers.Format(n, phonenumbers.E164), nil
	}
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
