package mapping

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// maxListed is how many header names an error lists when none is close.
const maxListed = 10

// findColumn returns the index of column name in header: an exact match
// first, then a case-insensitive one ignoring surrounding spaces. Several
// matches are an error rather than a guess, since picking the wrong column
// would silently map the wrong data.
func findColumn(header []string, name string) (int, error) {
	if strings.TrimSpace(name) == "" {
		return 0, fmt.Errorf("empty column name in from")
	}
	var exact, folded []int
	want := strings.TrimSpace(name)
	for i, h := range header {
		if h == name {
			exact = append(exact, i)
		}
		if strings.EqualFold(strings.TrimSpace(h), want) {
			folded = append(folded, i)
		}
	}
	switch {
	case len(exact) == 1:
		return exact[0], nil
	case len(exact) > 1:
		return 0, fmt.Errorf("column %q appears %d times in the header (columns %s)", name, len(exact), positions(exact))
	case len(folded) == 1:
		return folded[0], nil
	case len(folded) > 1:
		return 0, fmt.Errorf("column %q matches %d header columns (%s) when case and spaces are ignored; write it exactly", name, len(folded), positions(folded))
	case len(header) == 0:
		return 0, fmt.Errorf("no column %q: the header is empty", name)
	}
	if s := closest(name, header); s != "" {
		return 0, fmt.Errorf("no column %q in the header; did you mean %q?", name, s)
	}
	names := header
	more := ""
	if len(names) > maxListed {
		names, more = names[:maxListed], fmt.Sprintf(", … (%d more)", len(header)-maxListed)
	}
	quoted := make([]string, len(names))
	for i, h := range names {
		quoted[i] = fmt.Sprintf("%q", h)
	}
	return 0, fmt.Errorf("no column %q in the header (it has %s%s)", name, strings.Join(quoted, ", "), more)
}

// positions formats 0-based column indexes as 1-based column numbers.
func positions(idx []int) string {
	s := make([]string, len(idx))
	for i, n := range idx {
		s[i] = fmt.Sprint(n + 1)
	}
	return strings.Join(s, ", ")
}

// closest returns the candidate nearest to name (ignoring case and
// surrounding spaces), or "" when none looks like a typo of it: within a
// third of name's length (at least 2) edits, or one containing the other
// ("lowercase" and "lower", "Phone" and "Phone Number").
func closest(name string, candidates []string) string {
	want := strings.ToLower(strings.TrimSpace(name))
	limit := max(2, utf8.RuneCountInString(want)/3)
	best, bestDist := "", -1
	for _, c := range candidates {
		have := strings.ToLower(strings.TrimSpace(c))
		d := editDistance(want, have)
		near := d <= limit || (min(len(want), len(have)) >= 3 &&
			(strings.Contains(want, have) || strings.Contains(have, want)))
		if near && (bestDist < 0 || d < bestDist) {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
