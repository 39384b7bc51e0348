package mapping

import (
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

var phoneCorpusScale = flag.Int("phone-corpus", 1, "size of TestPhoneMatchesReference's corpus: above 1, every number in 3 regions and N times more random numbers")

// phoneRegions returns the default regions the differential tests parse
// in: none, the common ones, and ones with unusual metadata (leading
// digits, national prefix transforms, IDD expressions, shared calling
// codes).
func phoneRegions() []string {
	return []string{"", "US", "GB", "FR", "DE", "IT", "ES", "NL", "BE", "CH", "AT", "IE", "PT",
		"CA", "PR", "AG", "BS", "JM", "DO", "MX", "BR", "AR", "CO", "CL", "AU", "NZ", "CX", "IN", "CN",
		"JP", "KR", "SG", "HK", "RU", "KZ", "UA", "PL", "SE", "NO", "SJ", "FI", "AX", "IM", "JE", "GG",
		"VA", "SM", "ZA", "NG", "MA", "EH", "EG", "IL", "TR", "ID", "BQ", "CW", "SH", "TA", "GF", "RE", "YT"}
}

// comparePhone maps v with the step and with referencePhone and reports
// any difference. It returns whether the fast path decided on its own.
func comparePhone(t *testing.T, p *phoneParser, region, v string) bool {
	t.Helper()
	where := phoneWhere(region)
	got, gotErr := phoneStep(p, region)(v)
	want, wantErr := referencePhone(v, region, where)
	if got != want || fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
		t.Errorf("phone %q region %q:\n got %q, %v\nwant %q, %v", v, region, got, gotErr, want, wantErr)
	}
	var def *phoneRegion
	if region != "" {
		def = p.region(region)
	}
	_, res := p.fast(v, def, false)
	return res != phoneUnsure
}

// supportedRegions returns libphonenumber's regions, sorted.
func supportedRegions() []string {
	return slices.Sorted(maps.Keys(phonenumbers.GetSupportedRegions()))
}

// phoneNumber is a number of the differential corpus and the region it
// was made for.
type phoneNumber struct{ v, home string }

// phoneDiffCorpus builds the differential corpus: every region's example
// numbers of every type, written in many ways and mutated into near
// misses, then random digit strings in random punctuation.
func phoneDiffCorpus(scale int) []phoneNumber {
	rng := rand.New(rand.NewPCG(1, 2))
	types := []phonenumbers.PhoneNumberType{phonenumbers.FIXED_LINE, phonenumbers.MOBILE,
		phonenumbers.TOLL_FREE, phonenumbers.PREMIUM_RATE, phonenumbers.SHARED_COST, phonenumbers.VOIP,
		phonenumbers.PERSONAL_NUMBER, phonenumbers.PAGER, phonenumbers.UAN, phonenumbers.VOICEMAIL}
	regions := supportedRegions()
	var out []phoneNumber
	home := ""
	add := func(s ...string) {
		for _, v := range s {
			out = append(out, phoneNumber{v, home})
		}
	}
	for _, region := range regions {
		home = region
		for _, typ := range types {
			n := phonenumbers.GetExampleNumberForType(region, typ)
			if n == nil {
				continue
			}
			cc := strconv.Itoa(int(n.GetCountryCode()))
			nsn := phonenumbers.GetNationalSignificantNumber(n)
			national := phonenumbers.Format(n, phonenumbers.NATIONAL)
			intl := phonenumbers.Format(n, phonenumbers.INTERNATIONAL)
			add(phonenumbers.Format(n, phonenumbers.E164), national, intl,
				"+"+cc+" "+nsn, cc+nsn, nsn, "0"+nsn, "1"+nsn, "8"+nsn,
				"00"+cc+nsn, "011 "+cc+" "+nsn, "(+"+cc+") "+nsn, "+ "+cc+"-"+nsn,
				strings.ReplaceAll(intl, " ", "-"), strings.ReplaceAll(intl, " ", "."),
				strings.ReplaceAll(national, " ", ""), "+"+cc+"0"+nsn, "+"+cc+cc+nsn)
			for range 4 {
				add(mutateDigits(rng, "+"+cc+" "+nsn), mutateDigits(rng, national), mutateDigits(rng, cc+nsn))
			}
		}
	}
	for i := range 3000 * scale {
		home = regions[i%len(regions)]
		add(randomPhone(rng))
	}
	return out
}

// mutateDigits changes, drops or adds a digit of s, or punctuates it.
func mutateDigits(rng *rand.Rand, s string) string {
	b := []byte(s)
	i := rng.IntN(len(b) + 1)
	switch rng.IntN(5) {
	case 0:
		if i < len(b) {
			b[i] = byte('0' + rng.IntN(10))
		}
	case 1:
		if i < len(b) {
			b = slices.Delete(b, i, i+1)
		}
	case 2:
		b = slices.Insert(b, i, byte('0'+rng.IntN(10)))
	case 3:
		b = slices.Insert(b, i, " -.()+"[rng.IntN(6)])
	case 4:
		b = append(b, " ext. 12x;#/"[rng.IntN(12)])
	}
	return string(b)
}

// randomPhone returns digits in random shapes: lengths 1 to 20, with
// punctuation, a "+", an IDD or a national prefix now and then.
func randomPhone(rng *rand.Rand) string {
	var b strings.Builder
	switch rng.IntN(6) {
	case 0:
		b.WriteByte('+')
	case 1:
		b.WriteString([]string{"00", "011", "0", "1", "8", "810", "0011"}[rng.IntN(7)])
	case 2:
		b.WriteString([]string{"(", " ", "+ ", "++", "-"}[rng.IntN(5)])
	}
	n := 1 + rng.IntN(20)
	for range n {
		b.WriteByte(byte('0' + rng.IntN(10)))
		if rng.IntN(5) == 0 {
			b.WriteByte(" -.()"[rng.IntN(5)])
		}
	}
	return b.String()
}

// TestPhoneMatchesReference is the differential test of the fast path:
// on every number of the corpus, in many regions, the step gives
// libphonenumber's result, text and error alike. libphonenumber takes
// ~40 µs a number, ten times that under -race, so by default each number
// is checked in one region, alternately its own and one of phoneRegions
// (and one number in 16 under -race); -phone-corpus=N checks each in both
// and with no region, with N times more random numbers.
func TestPhoneMatchesReference(t *testing.T) {
	scale := max(1, *phoneCorpusScale)
	stride, perNumber := 1, 1
	if raceEnabled {
		stride = 16
	}
	if scale > 1 {
		stride, perNumber = 1, 3
	}
	p := newPhoneParser()
	corpus := phoneDiffCorpus(scale)
	regions := phoneRegions()
	checked, fast := 0, 0
	for i := 0; i < len(corpus); i += stride {
		// Every region reads numbers made for it, and numbers of other
		// regions: the list rotates at two speeds, so each of its regions
		// sees numbers of all the others, and "" sees many.
		n := corpus[i]
		check := []string{n.home, regions[(i/7+3)%len(regions)], ""}
		if perNumber == 1 && i/stride%2 == 1 {
			check[0] = regions[i%len(regions)]
		}
		for _, region := range check[:perNumber] {
			if comparePhone(t, p, region, n.v) {
				fast++
			}
			checked++
		}
		if t.Failed() && checked > 100 {
			break
		}
	}
	t.Logf("%d checks, %d decided by the fast path", checked, fast)
	// The test is only worth something if the fast path decides most cases.
	if fast < checked/2 {
		t.Errorf("the fast path decided only %d of %d checks", fast, checked)
	}
}

// TestPhoneFastPath pins what the fast path decides on its own and what
// it leaves to libphonenumber.
func TestPhoneFastPath(t *testing.T) {
	p := newPhoneParser()
	tests := []struct {
		in, region string
		want       string // "" when invalid
		res        phoneResult
	}{
		{"(415) 555-2671", "US", "+14155552671", phoneValid},
		{"415.555.2671", "US", "+14155552671", phoneValid},
		{"1 415 555 2671", "US", "+14155552671", phoneValid},
		{"011 44 20 7946 0958", "US", "+442079460958", phoneValid},
		{"+44 20 7946 0958", "", "+442079460958", phoneValid},
		{"020 7946 0958", "GB", "+442079460958", phoneValid},
		{"06 12 34 56 78", "FR", "+33612345678", phoneValid},
		{"+39 06 6988 0000", "US", "+390669880000", phoneValid}, // Italian leading zero
		{"(613) 555-0100", "CA", "+16135550100", phoneValid},
		{"+1 613-555-0131", "", "+16135550131", phoneValid},
		{"(613) 155-0100", "CA", "", phoneInvalid}, // no exchange starts with 1
		{"442079460958", "US", "", phoneInvalid},   // the step then reads it as +44…
		{"415 555 267", "US", "", phoneInvalid},
		{"555-1234", "", "", phoneInvalid},
		{"12ab", "US", "", phoneUnsure},
		{"415 555 2671 ext. 12", "US", "", phoneUnsure},
		{"+44 20 7946 0958 +1", "US", "", phoneUnsure},
		{"+0044 20 7946 0958", "GB", "", phoneUnsure},
		{"12", "US", "", phoneUnsure},
	}
	for _, tt := range tests {
		var def *phoneRegion
		if tt.region != "" {
			def = p.region(tt.region)
		}
		got, res := p.fast(tt.in, def, false)
		if got != tt.want || res != tt.res {
			t.Errorf("fast(%q, %q) = %q, %d; want %q, %d", tt.in, tt.region, got, res, tt.want, tt.res)
		}
		comparePhone(t, p, tt.region, tt.in)
	}
}

// FuzzPhone compares the phone_e164 step with libphonenumber on any input,
// read in any region libphonenumber knows, or none.
func FuzzPhone(f *testing.F) {
	for i, s := range []string{"(415) 555-2671", "+44 20 7946 0958", "442079460958", "06 12 34 56 78",
		"+1 613-555-0131", "011 44 20 7946 0958", "415 555 2671 ext. 12", "+39 06 6988 0000",
		"0 800 123 456", "+7 701 123 4567", "8 (495) 123-45-67", "+55 11 91234-5678", "0011 61 2 9876 5432"} {
		f.Add(s, uint8(i*19))
	}
	p := newPhoneParser()
	regions := append([]string{""}, supportedRegions()...)
	f.Fuzz(func(t *testing.T, v string, r uint8) {
		if v == "" {
			return // a step never sees an empty value
		}
		comparePhone(t, p, regions[int(r)%len(regions)], v)
	})
}
