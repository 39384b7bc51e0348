package connector

import (
	"strings"
	"testing"
)

// Ids come back from the table exactly as they went in, packed or not.
func TestKeyTableText(t *testing.T) {
	tb := NewKeyTable[struct{}]()
	for _, s := range []string{
		"", "1", "lead_IIDHIStmFcFQZZP0BRe99V1MCoXWz2PGCm6EDmR9v2O",
		"lead_IIDHIStmFcFQZZP0BRe99V1MCoXWz2PGCm6EDmR9v2O cont_pXHnV7OrvTxK8vTo0Hm6lVvbdIupDbtVSDa5r5l6kZO",
		"lead_a", " leading", "two  spaces", "ünïcode id", "a.b", "abcd", "abcde",
	} {
		ref, err := tb.PutText(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := tb.TextAt(ref); got != s {
			t.Errorf("stored %q, got back %q", s, got)
		}
	}
	before := len(tb.text)
	if _, err := tb.PutText("lead_IIDHIStmFcFQZZP0BRe99V1MCoXWz2PGCm6EDmR9v2O"); err != nil || len(tb.text)-before != 38 {
		t.Errorf("a 48-character Close id takes %d bytes, want 38", len(tb.text)-before)
	}
}

// A key held by several records lists them all until it is held by one.
func TestKeyTableLinks(t *testing.T) {
	tb := NewKeyTable[struct{}]()
	k := tb.Sum("eA@B")
	if tb.Sum("eA@B") != k || tb.Sum("eA@C") == k {
		t.Fatal("sums are not a function of the key")
	}
	tb.Link(k, 1)
	tb.Link(k, 1)
	tb.Link(k, 2)
	tb.Link(k, 3)
	if got := tb.Holders(k); len(got) != 3 {
		t.Fatalf("holders = %v", got)
	}
	tb.Unlink(k, 2)
	tb.Unlink(k, 1)
	if got := tb.Holders(k); len(got) != 1 || got[0] != 3 || len(tb.many) != 0 {
		t.Fatalf("holders = %v, many = %v", got, tb.many)
	}
	tb.Unlink(k, 3)
	if got := tb.Holders(k); got != nil {
		t.Fatalf("holders = %v", got)
	}
}

// fold gives two strings the same form exactly when strings.EqualFold
// calls them equal.
func TestFold(t *testing.T) {
	for _, tc := range [][2]string{
		{"Ann@Example.COM", "ann@example.com"},
		{"KELVIN", "\u212aelvin"}, // the Kelvin sign folds to k
		{"ſecret", "SECRET"},      // the long s folds to s
		{"Straße", "STRASSE"},     // no full folding: ß is not ss
		{"Ægir", "æGIR"},
		{"Σίσυφος", "ΣΊΣΥΦΟΣ"},
		{"abc", "abd"},
		{"\xff", "\xfe"}, // invalid bytes both read as U+FFFD
	} {
		if got, want := Fold(tc[0]) == Fold(tc[1]), strings.EqualFold(tc[0], tc[1]); got != want {
			t.Errorf("%q, %q: same fold %v, EqualFold %v", tc[0], tc[1], got, want)
		}
	}
}
