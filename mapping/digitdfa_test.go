package mapping

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// TestDigitDFA checks the automaton against package regexp, whole match
// and prefix match, on hand-picked patterns and on every number pattern
// of libphonenumber's metadata with random digit strings.
func TestDigitDFA(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	check := func(t *testing.T, patterns []string, inputs []string) {
		t.Helper()
		d, err := compileDigitDFA(patterns)
		if err != nil {
			t.Fatalf("compile %q: %v", patterns, err)
		}
		for k, p := range patterns {
			whole := regexp.MustCompile(`^(?:` + p + `)$`)
			prefix := regexp.MustCompile(`^(?:` + p + `)`)
			for _, in := range inputs {
				if got, want := d.match([]byte(in))>>k&1 == 1, whole.MatchString(in); got != want {
					t.Errorf("pattern %q, %q: match %v, want %v", p, in, got, want)
				}
				if got, want := d.matchPrefix([]byte(in))>>k&1 == 1, prefix.MatchString(in); got != want {
					t.Errorf("pattern %q, %q: matchPrefix %v, want %v", p, in, got, want)
				}
			}
		}
	}
	randomDigits := func(n int) []string {
		out := []string{""}
		for range n {
			var b strings.Builder
			for range rng.IntN(19) {
				b.WriteByte(byte('0' + rng.IntN(10)))
			}
			out = append(out, b.String())
		}
		return out
	}

	t.Run("hand-picked", func(t *testing.T) {
		check(t, []string{`1[2-4]\d{2}`, `(?:12|3)4?`, ``, `\d{0,3}`, `.5`, `[^\x00-\x{10FFFF}]`, `0|00(?:1[0-2])?`},
			append(randomDigits(2000), "1234", "12", "3", "34", "124", "05", "55", "0", "00", "0010", "0012", "0013"))
	})
	t.Run("metadata", func(t *testing.T) {
		coll, err := phonenumbers.MetadataCollection()
		if err != nil {
			t.Fatal(err)
		}
		step := 1
		if raceEnabled || testing.Short() {
			step = 10 // a sample: the regexps are slow under -race
		}
		for i, m := range coll.GetMetadata() {
			if i%step != 0 {
				continue
			}
			var patterns []string
			inputs := randomDigits(60)
			for _, d := range typeDescs(m) {
				patterns = append(patterns, d.GetNationalNumberPattern())
				if ex := d.GetExampleNumber(); ex != "" {
					inputs = append(inputs, ex, ex[1:], ex+"0", ex[:len(ex)-1])
				}
			}
			check(t, patterns, inputs)
			if ld := m.GetLeadingDigits(); ld != "" {
				check(t, []string{ld}, inputs)
			}
		}
	})
	t.Run("too many patterns", func(t *testing.T) {
		if _, err := compileDigitDFA(make([]string, 17)); err == nil {
			t.Error("17 patterns compiled")
		}
	})
	t.Run("assertions refused", func(t *testing.T) {
		if _, err := compileDigitDFA([]string{`([2-9]\d{6})$|1`}); err == nil {
			t.Error("a pattern with $ compiled")
		}
	})
}
