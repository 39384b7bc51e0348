package mapping

import (
	"bytes"
	"regexp"
	"regexp/syntax"
	"strconv"

	"github.com/nyaruka/phonenumbers"
)

// phoneRegion is one region's metadata, prepared for the fast path.
type phoneRegion struct {
	code     int
	codeText []byte // code in decimal

	// types matches the national number patterns: bit 0 the general
	// description's, the others the number types' (fixed line, mobile…).
	types   *digitDFA
	lengths [maxNSN + 1]uint16 // by length, the patterns whose possible lengths allow it
	known   uint16             // the type bits that make a number valid
	leading *digitDFA          // the leading digits pattern, nil when there is none

	possible  []int32 // the general description's possible lengths
	localOnly []int32 // and its local-only ones

	idd      prefixPattern // international dialling prefix, unanchored as parsePrefixAsIdd uses it
	npfp     prefixPattern // national prefix for parsing, anchored
	npTransf string        // national prefix transform rule

	err error // the region cannot take the fast path
}

// typeDescs returns the descriptions getNumberTypeHelper checks, the
// general one first.
func typeDescs(m *phonenumbers.PhoneMetadata) []*phonenumbers.PhoneNumberDesc {
	return []*phonenumbers.PhoneNumberDesc{
		m.GetGeneralDesc(), m.GetPremiumRate(), m.GetTollFree(), m.GetSharedCost(),
		m.GetVoip(), m.GetPersonalNumber(), m.GetPager(), m.GetUan(),
		m.GetVoicemail(), m.GetFixedLine(), m.GetMobile(),
	}
}

// mobileBit is the bit of the mobile description in typeDescs' order.
const mobileBit = 10

// newPhoneRegion prepares m; on failure the returned region has err set.
func newPhoneRegion(m *phonenumbers.PhoneMetadata) *phoneRegion {
	r := &phoneRegion{
		code:     int(m.GetCountryCode()),
		codeText: strconv.AppendInt(nil, int64(m.GetCountryCode()), 10),
		npTransf: m.GetNationalPrefixTransformRule(),
	}
	descs := typeDescs(m)
	patterns := make([]string, len(descs))
	for i, d := range descs {
		if d == nil {
			// getNumberTypeHelper would dereference it; never seen.
			r.err = errUnsupportedMetadata
			return r
		}
		patterns[i] = d.GetNationalNumberPattern()
		for n := range r.lengths {
			if len(d.PossibleLength) == 0 || containsLength(d.PossibleLength, n) {
				r.lengths[n] |= 1 << i
			}
		}
	}
	// getNumberTypeHelper tries mobile alone only when its pattern differs
	// from the fixed line's.
	r.known = 1<<len(descs) - 2
	if m.GetSameMobileAndFixedLinePattern() {
		r.known &^= 1 << mobileBit
	}
	if r.types, r.err = compileDigitDFA(patterns); r.err != nil {
		return r
	}
	if ld := m.GetLeadingDigits(); ld != "" {
		if r.leading, r.err = compileDigitDFA([]string{ld}); r.err != nil {
			return r
		}
	}
	g := m.GetGeneralDesc()
	r.possible, r.localOnly = g.GetPossibleLength(), g.GetPossibleLengthLocalOnly()
	if len(r.possible) == 0 {
		r.err = errUnsupportedMetadata // testNumberLength would index it; never seen
		return r
	}
	if r.idd, r.err = newPrefixPattern(m.GetInternationalPrefix(), false, true); r.err != nil {
		return r
	}
	if !digitsAndGroups(r.npTransf) {
		// A transform writing anything but digits would feed the
		// automata other symbols.
		r.err = errUnsupportedMetadata
		return r
	}
	if np := m.GetNationalPrefixForParsing(); np != "" {
		// With a transform rule, the groups of a match matter: keep the
		// expression even when it is a literal.
		r.npfp, r.err = newPrefixPattern(np, true, r.npTransf == "")
	}
	return r
}

// digitsAndGroups reports whether a transform rule writes only digits
// and groups ($1).
func digitsAndGroups(rule string) bool {
	for i := 0; i < len(rule); i++ {
		switch c := rule[i]; {
		case '0' <= c && c <= '9':
		case c == '$' && i+1 < len(rule) && '0' <= rule[i+1] && rule[i+1] <= '9':
			i++
		default:
			return false
		}
	}
	return true
}

// containsLength reports whether lengths holds n.
func containsLength(lengths []int32, n int) bool {
	for _, l := range lengths {
		if int(l) == n {
			return true
		}
	}
	return false
}

// general reports whether digits match the general description's
// pattern, whatever their length.
func (r *phoneRegion) general(digits []byte) bool {
	return r.types.match(digits)&1 != 0
}

// valid is getNumberTypeHelper(nsn) != UNKNOWN.
func (r *phoneRegion) valid(nsn []byte) bool {
	if len(nsn) > maxNSN {
		return false
	}
	m := r.types.match(nsn) & r.lengths[len(nsn)]
	return m&1 != 0 && m&r.known != 0
}

// testLength is testNumberLength(number, metadata, UNKNOWN) for a number
// of n digits.
func (r *phoneRegion) testLength(n int) phonenumbers.ValidationResult {
	if r.possible[0] == -1 {
		return phonenumbers.INVALID_LENGTH
	}
	if containsLength(r.localOnly, n) {
		return phonenumbers.IS_POSSIBLE_LOCAL_ONLY
	}
	switch first, last := int(r.possible[0]), int(r.possible[len(r.possible)-1]); {
	case first == n:
		return phonenumbers.IS_POSSIBLE
	case first > n:
		return phonenumbers.TOO_SHORT
	case last < n:
		return phonenumbers.TOO_LONG
	}
	if containsLength(r.possible[1:], n) {
		return phonenumbers.IS_POSSIBLE
	}
	return phonenumbers.INVALID_LENGTH
}

// stripNationalPrefix is maybeStripNationalPrefixAndCarrierCode: number
// without its national prefix, or number itself.
func (r *phoneRegion) stripNationalPrefix(number []byte) []byte {
	if len(number) == 0 || r.npfp.empty() {
		return number
	}
	if r.npfp.re == nil {
		// A literal prefix and no transform: the first branch of
		// maybeStripNationalPrefixAndCarrierCode, without package regexp.
		if !bytes.HasPrefix(number, r.npfp.lit) {
			return number
		}
		rest := number[len(r.npfp.lit):]
		if r.general(number) && !r.general(rest) {
			return number
		}
		return rest
	}
	if !r.npfp.mayMatch(number) {
		return number
	}
	// The general case, on strings as libphonenumber does it.
	s, re := string(number), r.npfp.re
	if !re.MatchString(s) {
		return number
	}
	viable := r.general(number)
	groups := re.FindStringSubmatchIndex(s)
	n := len(groups)/2 - 1
	if r.npTransf == "" || groups[n*2] < 0 {
		if viable && !r.general([]byte(s[groups[1]:])) {
			return number
		}
		return number[groups[1]:]
	}
	t := []byte(re.ReplaceAllString(s, r.npTransf))
	if viable && !r.general(t) {
		return number
	}
	return t
}

// prefixPattern is a regular expression of libphonenumber's metadata that
// is matched at the start of a number: a literal compared as such, or a
// compiled expression with a digitDFA telling cheaply whether it can
// match at all.
type prefixPattern struct {
	set bool
	lit []byte         // the literal, when re is nil
	re  *regexp.Regexp // the expression, as libphonenumber compiles it
	dfa *digitDFA      // the expression's automaton, nil when it has none
}

// newPrefixPattern compiles pattern: anchored at the start (`^(?:…)`) as
// for the national prefix, or unanchored as for the international prefix.
// A literal is kept as such when literal allows it.
func newPrefixPattern(pattern string, anchored, literal bool) (prefixPattern, error) {
	pp := prefixPattern{set: true}
	if re, err := syntax.Parse(pattern, syntax.Perl); literal && err == nil && re.Flags&syntax.FoldCase == 0 {
		switch re.Op {
		case syntax.OpLiteral:
			pp.lit = []byte(string(re.Rune))
			return pp, nil
		case syntax.OpEmptyMatch:
			return pp, nil // matches at once: lit is ""
		}
	}
	expr := pattern
	if anchored {
		expr = "^(?:" + pattern + ")"
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return pp, err
	}
	pp.re = re
	pp.dfa, _ = compileDigitDFA([]string{pattern}) // nil with anchors ($): always ask re
	return pp, nil
}

// empty reports an unset pattern (no national prefix).
func (pp *prefixPattern) empty() bool { return !pp.set }

// mayMatch reports whether the pattern can match at the start of digits.
// It is exact for a yes-or-no answer; it does not say where a match ends.
func (pp *prefixPattern) mayMatch(digits []byte) bool {
	if pp.re == nil {
		return bytes.HasPrefix(digits, pp.lit)
	}
	return pp.dfa == nil || pp.dfa.matchPrefix(digits) != 0
}

// prefix is parsePrefixAsIdd's match: where the pattern's leftmost match
// ends when it starts at the first digit.
func (pp *prefixPattern) prefix(digits []byte) (end int, ok bool) {
	if !pp.mayMatch(digits) {
		return 0, false
	}
	if pp.re == nil {
		return len(pp.lit), true
	}
	loc := pp.re.FindStringIndex(string(digits)) // a copy: digits stays on the caller's stack
	if loc == nil || loc[0] != 0 {
		return 0, false
	}
	return loc[1], true
}
