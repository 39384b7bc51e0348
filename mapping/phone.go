package mapping

import (
	"bytes"
	"errors"
	"strconv"
	"sync/atomic"

	"github.com/nyaruka/phonenumbers"
)

// phoneStep returns the phone_e164 step: it formats numbers as E.164,
// reading numbers without a +country code as numbers of region ("" for
// none). Numbers of the common shapes take phoneParser's fast path; the
// others, and every case the fast path is not sure of, take
// referencePhone, whose results the fast path reproduces exactly.
func phoneStep(p *phoneParser, region string) step {
	where := phoneWhere(region)
	var def *phoneRegion
	if region != "" {
		if def = p.region(region); def == nil || def.err != nil {
			return func(v string) (string, error) { return referencePhone(v, region, where) }
		}
	}
	return func(v string) (string, error) {
		out, res := p.fast(v, def, false)
		if res == phoneInvalid && len(v) >= 11 && allDigits(v) {
			out, res = p.fast(v, nil, true) // the bare international digits rule
		}
		switch res {
		case phoneValid:
			return out, nil
		case phoneInvalid:
			return v, invalid(v, "is not a valid phone number "+where)
		}
		return referencePhone(v, region, where)
	}
}

// allDigits reports whether s is all ASCII digits (keepDigits(s) == s,
// without building anything).
func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// phoneWhere says which region numbers are read in, for messages.
func phoneWhere(region string) string {
	if region == "" {
		return "(no region)"
	}
	return "(region " + region + ")"
}

// referencePhone is phone_e164 done by libphonenumber itself: Parse,
// IsValidNumber, Format(E164). The fast path must agree with it on every
// input (see FuzzPhone).
func referencePhone(v, region, where string) (string, error) {
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

// phoneResult is the outcome of the fast path.
type phoneResult uint8

const (
	phoneUnsure  phoneResult = iota // not a shape the fast path knows: ask libphonenumber
	phoneInvalid                    // libphonenumber would reject it
	phoneValid                      // libphonenumber would accept it, with this E.164 text
)

// Limits of libphonenumber that the fast path applies as it does.
const (
	maxPhoneInput = 250 // MAX_INPUT_STRING_LENGTH: longer input is refused
	minNSN        = 2   // MIN_LENGTH_FOR_NSN
	maxNSN        = 17  // MAX_LENGTH_FOR_NSN
	maxFastDigits = 32  // more digits than this take the slow path
)

// phoneParser holds what the fast path needs of libphonenumber's metadata.
// The automata of a region are built on first use (a millisecond or a
// few each), so a job pays only for the regions its numbers are in. It is safe
// for concurrent use.
type phoneParser struct {
	metas     []*phonenumbers.PhoneMetadata // every region's metadata
	prepared  []atomic.Pointer[phoneRegion] // metas[i] prepared, once used
	byRegion  map[string]int                // geographic region → index in metas
	countries [1000]phoneCountry            // by calling code
}

// phoneCountry is a calling code's entry in libphonenumber's
// countryCodeToRegion map.
type phoneCountry struct {
	known   bool  // the calling code is in the map
	nonGeo  bool  // its region is "001", the non-geographic entities'
	regions []int // its regions' indexes in metas, the main one first; -1 without metadata
}

// newPhoneParser indexes libphonenumber's metadata. Without metadata (it
// is embedded, so only a broken build lacks it) every number takes the slow
// path.
func newPhoneParser() *phoneParser {
	p := &phoneParser{byRegion: map[string]int{}}
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		return p
	}
	supported := phonenumbers.GetSupportedRegions()
	nonGeo := map[int]int{}
	for _, m := range coll.GetMetadata() {
		switch id := m.GetId(); {
		case id == nonGeoRegion:
			nonGeo[int(m.GetCountryCode())] = len(p.metas)
		case supported[id]: // as getMetadataForRegion, which ignores the others
			p.byRegion[id] = len(p.metas)
		default:
			continue
		}
		p.metas = append(p.metas, m)
	}
	p.prepared = make([]atomic.Pointer[phoneRegion], len(p.metas))
	for cc := range phonenumbers.GetSupportedCallingCodes() {
		if cc <= 0 || cc >= len(p.countries) {
			continue
		}
		c := &p.countries[cc]
		c.known = true
		for _, id := range phonenumbers.GetRegionCodesForCountryCode(cc) {
			i, ok := p.byRegion[id]
			if id == nonGeoRegion {
				i, ok = nonGeo[cc]
				c.nonGeo = true
			}
			if !ok {
				i = -1
			}
			c.regions = append(c.regions, i)
		}
	}
	return p
}

// errUnsupportedMetadata marks a region whose metadata the fast path does
// not handle: its numbers take the slow path.
var errUnsupportedMetadata = errors.New("metadata the phone fast path does not handle")

// nonGeoRegion is libphonenumber's region of non-geographic calling codes.
const nonGeoRegion = "001"

// region returns the prepared metadata of a geographic region, nil when
// libphonenumber has none.
func (p *phoneParser) region(id string) *phoneRegion {
	i, ok := p.byRegion[id]
	if !ok {
		return nil
	}
	return p.at(i)
}

// mainRegion is the metadata libphonenumber parses a number of calling
// code cc with: its main region's (US for 1), or the non-geographic one.
func (p *phoneParser) mainRegion(cc int) *phoneRegion {
	if rs := p.countries[cc].regions; len(rs) > 0 {
		return p.at(rs[0])
	}
	return nil
}

// at returns metas[i] prepared, building it on first use; nil for -1.
func (p *phoneParser) at(i int) *phoneRegion {
	if i < 0 {
		return nil
	}
	if r := p.prepared[i].Load(); r != nil {
		return r
	}
	p.prepared[i].CompareAndSwap(nil, newPhoneRegion(p.metas[i]))
	return p.prepared[i].Load()
}

// countryCode is extractCountryCode: the calling code digits start with
// and its length, or 0, 0.
func (p *phoneParser) countryCode(digits []byte) (cc, n int) {
	if len(digits) == 0 || digits[0] == '0' {
		return 0, 0
	}
	for i := 1; i <= 3 && i <= len(digits); i++ {
		cc = cc*10 + int(digits[i-1]-'0')
		if p.countries[cc].known {
			return cc, i
		}
	}
	return 0, 0
}

// fast is the fast path of phone_e164 for v read in region def (nil for
// none). It takes numbers written with ASCII digits, spaces, dashes, dots,
// parentheses and at most one leading "+", and follows libphonenumber's
// parseHelper and IsValidNumber step by step for them, with the region's
// patterns matched by digitDFAs. It answers phoneUnsure for anything else,
// and for the rare turns of parseHelper it does not follow. bare reads v as
// if it began with "+".
func (p *phoneParser) fast(v string, def *phoneRegion, bare bool) (string, phoneResult) {
	if len(v) > maxPhoneInput || bare && len(v)+1 > maxPhoneInput {
		return "", phoneUnsure
	}
	var buf [maxFastDigits]byte
	digits := buf[:0]
	plus, started := bare, bare
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case '0' <= c && c <= '9':
			if len(digits) == len(buf) {
				return "", phoneUnsure
			}
			digits = append(digits, c)
			started = true
		case c == '+':
			// Anything before the number's first digit or "+" is dropped
			// (extractPossibleNumber); a "+" after it makes the number
			// not viable, or starts a second attempt: slow path.
			if started {
				return "", phoneUnsure
			}
			plus, started = true, true
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')':
		default:
			// Letters (extensions, vanity numbers), other punctuation and
			// non-ASCII digits take the slow path.
			return "", phoneUnsure
		}
	}
	// With the shapes above, the number is viable (VALID_PHONE_NUMBER) when it
	// has three digits; two digits alone are a special case.
	if len(digits) < 3 {
		return "", phoneUnsure
	}
	if !plus && def == nil {
		return "", phoneInvalid // no region and no "+": ErrInvalidCountryCode
	}

	// maybeExtractCountryCode.
	var (
		cc       int
		national []byte
		meta     *phoneRegion // the metadata parseHelper goes on with
	)
	switch {
	case plus:
		var n int
		if cc, n = p.countryCode(digits); cc == 0 {
			// parseHelper then retries without the "+": slow path.
			return "", phoneUnsure
		}
		national = digits[n:]
		meta = p.mainRegion(cc)
	default:
		if end, ok := def.idd.prefix(digits); ok && (end == len(digits) || digits[end] != '0') {
			rest := digits[end:]
			if len(rest) <= minNSN {
				return "", phoneInvalid // ErrTooShortAfterIDD
			}
			var n int
			if cc, n = p.countryCode(rest); cc == 0 {
				return "", phoneInvalid // ErrInvalidCountryCode, no "+" to retry without
			}
			national = rest[n:]
			meta = p.mainRegion(cc)
			break
		}
		if bytes.HasPrefix(digits, def.codeText) {
			pot := def.stripNationalPrefix(digits[len(def.codeText):])
			fullValid := def.general(digits)
			nationalValid := def.general(pot)
			if !fullValid && nationalValid || def.testLength(len(digits)) == phonenumbers.TOO_LONG {
				cc, national = def.code, pot
				meta = p.mainRegion(cc)
				break
			}
		}
		cc, national, meta = def.code, digits, def
	}
	if meta == nil || meta.err != nil {
		return "", phoneUnsure
	}
	if len(national) < minNSN {
		return "", phoneInvalid
	}
	pot := meta.stripNationalPrefix(national)
	switch meta.testLength(len(pot)) {
	case phonenumbers.TOO_SHORT, phonenumbers.IS_POSSIBLE_LOCAL_ONLY, phonenumbers.INVALID_LENGTH:
	default:
		national = pot
	}
	if len(national) < minNSN || len(national) > maxNSN {
		return "", phoneInvalid
	}
	// The national significant number is national as is: leading zeros are
	// kept by the "Italian leading zero" fields, and it has 17 digits at most.
	if res := p.validNumber(cc, national); res != phoneValid {
		return "", res
	}
	var ob [1 + 3 + maxNSN]byte // "+", the calling code, the number
	out := append(ob[:0], '+')
	out = strconv.AppendInt(out, int64(cc), 10)
	return string(append(out, national...)), phoneValid
}

// validNumber is IsValidNumber for the number of calling code cc and
// national significant number nsn: GetRegionCodeForNumber, then
// IsValidNumberForRegion.
func (p *phoneParser) validNumber(cc int, nsn []byte) phoneResult {
	c := &p.countries[cc]
	var r *phoneRegion
	switch len(c.regions) {
	case 0:
		return phoneInvalid // no region: no metadata to validate with
	case 1:
		r = p.at(c.regions[0])
	default:
		for _, i := range c.regions {
			rr := p.at(i)
			if rr == nil || rr.err != nil {
				return phoneUnsure // libphonenumber would not cope either
			}
			if rr.leading != nil {
				if rr.leading.matchPrefix(nsn) != 0 {
					r = rr
					break
				}
			} else if rr.valid(nsn) {
				if rr.code != cc {
					return phoneInvalid
				}
				return phoneValid // IsValidNumberForRegion would check again
			}
		}
	}
	switch {
	case r == nil:
		return phoneInvalid
	case r.err != nil:
		return phoneUnsure
	case !c.nonGeo && r.code != cc, !r.valid(nsn):
		return phoneInvalid
	}
	return phoneValid
}
