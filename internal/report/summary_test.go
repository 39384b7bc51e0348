package report

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/crmload/crmload/internal/connector"
)

func TestErrorKindPlaceholders(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`row 12 (line 14): 9 fields, header has 7; extra fields: a | b@c.d | 42`,
			`row N (line N): N fields, header has N; extra fields: …`},
		{`column "Phone Number": "12ab" is not a valid phone number (region US)`,
			`column "Phone Number": "…" is not a valid phone number (region US)`},
		{`field "email": a value is required`, `field "email": a value is required`},
		{`create lead: HTTP 400: {"message":"Lead with email u7@example.com already exists","id":"00Q5g000003XyZ1EAK"}`,
			`create lead: HTTP 400: {"message":"Lead with email <email> already exists","id":"…"}`},
		{`update contact 123456: HTTP 404: not found`, `update contact N: HTTP 404: not found`},
		{`get lead lead_8f3a9c2e41: HTTP 500`, `get lead <id>: HTTP 500`},
		{`token abcdefghijklmnopqrstuvwxyzABCDEFGHIJ rejected`, `token <…> rejected`},
		{`send to bob@example.com failed.`, `send to <email> failed.`},
		{`cut short: {"message":"no`, `cut short: {"message":"…`},
		{`no column "Emial" in the header; did you mean "Email"?`, `no column "Emial" in the header; did you mean "…"?`},
	} {
		if got := errorKind(tc.in); got != tc.want {
			t.Errorf("errorKind(%q)\n = %q\nwant %q", tc.in, got, tc.want)
		}
	}
	long := errorKind("x: " + string(make([]byte, 100_000)))
	if len(long) > maxKindLen+len("…") {
		t.Errorf("kind of a 100 kB message is %d bytes", len(long))
	}
}

// 500k rows with distinct messages (ragged rows once grew the summary to
// 225 MB) keep the summary small, and TopErrors still groups them.
func TestSummaryStaysBounded(t *testing.T) {
	const n = 500_000
	messages := []func(i int) string{
		func(i int) string {
			return fmt.Sprintf("row %d (line %d): 9 fields, header has 7; extra fields: v%d | w%d", i, i+1, i, i)
		},
		func(i int) string { return fmt.Sprintf(`column "Email": "user%d@" is not a valid email address`, i) },
		func(i int) string {
			return fmt.Sprintf(`create lead: HTTP 400: {"message":"Lead with email u%d@example.com already exists"}`, i)
		},
	}
	// One row in ten has a kind of its own: far more kinds than the 200
	// the table may hold, and megabytes if it held them all.
	const kindsHeld = 200
	oneOff := func(i int) bool { return i%10 == 0 }
	var want [3]int
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	s := newSummary()
	for i := range n {
		msg := "unheard of " + letters(i)
		if !oneOff(i) {
			msg = messages[i%3](i)
			want[i%3]++
		}
		s.add(Line{Row: i + 1, Status: connector.Failed, Error: msg})
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("summary of %d distinct messages: heap grew %.1f KiB", n, float64(grown)/1024)
	if grown > 2<<20 {
		t.Errorf("heap grew %d bytes for the summary, want under 2 MiB", grown)
	}

	top := s.TopErrors(n)
	if len(top) > kindsHeld+1 {
		t.Errorf("%d kinds, want at most %d and %q", len(top), kindsHeld, OtherErrors)
	}
	sum := 0
	for _, e := range top {
		sum += e.Rows
	}
	if sum != n {
		t.Errorf("kinds add up to %d rows, want %d", sum, n)
	}
	kinds := []string{
		`row N (line N): N fields, header has N; extra fields: …`,
		`column "Email": "…" is not a valid email address`,
		`create lead: HTTP 400: {"message":"Lead with email <email> already exists"}`,
	}
	got := map[string]int{}
	for _, e := range top[:4] {
		got[e.Message] = e.Rows
	}
	for i, k := range kinds {
		if got[k] != want[i] {
			t.Errorf("%d rows of kind %q, want %d (top: %+v)", got[k], k, want[i], top[:4])
		}
	}
	if ones := n / 10; got[OtherErrors] < ones-kindsHeld || got[OtherErrors] > ones {
		t.Errorf("%d rows under %q, want the one-offs less those still in the table", got[OtherErrors], OtherErrors)
	}
	runtime.KeepAlive(s)
}

// A kind that keeps coming stays in the table even when one-offs filled
// it first.
func TestErrorTableKeepsFrequentKinds(t *testing.T) {
	s := newSummary()
	for i := range maxKinds * 3 {
		s.add(Line{Status: connector.Failed, Error: "one-off " + letters(i)})
	}
	for i := range 1000 {
		s.add(Line{Status: connector.Failed, Error: "one-off again " + letters(i)})
		s.add(Line{Status: connector.Failed, Error: "late but frequent"})
	}
	top := s.TopErrors(1)
	if len(top) != 1 || top[0].Message != OtherErrors {
		t.Fatalf("top = %+v", top)
	}
	top = s.TopErrors(2)
	if top[1] != (ErrorCount{"late but frequent", 1000}) {
		t.Fatalf("second = %+v, want the frequent kind with all its 1000 rows", top[1])
	}
}

// letters spells i in base 26 with a–z: words without digits, so each is
// a kind of its own.
func letters(i int) string {
	b := []byte{byte('a' + i%26)}
	for i /= 26; i > 0; i /= 26 {
		b = append(b, byte('a'+i%26))
	}
	return string(b)
}
