package mapping

import (
	"encoding/csv"
	"os"
	"slices"
	"testing"
	"time"
)

// quickstartRows returns the quickstart mapping (testdata/quickstart.yaml,
// with its job's region), the header of testdata/hubspot-contacts.csv and n
// rows made from that file's rows, each with its phone number's last four
// digits changed so that the rows mostly hold distinct numbers, as a real
// export does (a cache keyed on the value would not help).
func quickstartRows(tb testing.TB, n int) (rules []Rule, opt Options, header []string, rows [][]string) {
	tb.Helper()
	b, err := os.ReadFile("testdata/quickstart.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	if rules, err = decodeRules(b); err != nil {
		tb.Fatalf("decode: %v", err)
	}
	f, err := os.Open("testdata/hubspot-contacts.csv")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1 // the sample has ragged rows, as exports do
	records, err := r.ReadAll()
	if err != nil {
		tb.Fatalf("read csv: %v", err)
	}
	header, sample := records[0], records[1:]
	phone := slices.Index(header, "Phone Number")
	if phone < 0 {
		tb.Fatal("no Phone Number column")
	}
	rows = make([][]string, n)
	for i := range rows {
		row := slices.Clone(sample[i%len(sample)])
		if phone < len(row) {
			row[phone] = withLastDigits(row[phone], (i/len(sample))*7919+i)
		}
		rows[i] = row
	}
	return rules, Options{Region: "US"}, header, rows
}

// withLastDigits replaces the last four digits of s with those of k,
// keeping its punctuation.
func withLastDigits(s string, k int) string {
	b := []byte(s)
	for i, left := len(b)-1, 4; i >= 0 && left > 0; i-- {
		if b[i] >= '0' && b[i] <= '9' {
			b[i] = byte('0' + k%10)
			k /= 10
			left--
		}
	}
	return string(b)
}

// BenchmarkQuickstartMapping maps rows of a HubSpot export with the
// quickstart's rules, the work of one row of `crmload preview`, and reports
// the time per row and the rows per second of one core.
func BenchmarkQuickstartMapping(b *testing.B) {
	rules, opt, header, rows := quickstartRows(b, 1<<14)
	m, err := Compile(rules, header, opt)
	if err != nil {
		b.Fatal(err)
	}
	// Measure the steady state: the phone parser prepares each region's
	// metadata on its first number, a millisecond or so once per job.
	for _, row := range rows[:300] {
		_, _ = m.Map(row)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_, _ = m.Map(rows[i%len(rows)]) // some rows fail, as in the sample
		i++
	}
	reportRows(b)
}

// reportRows reports ns/row and rows/s for a benchmark doing one row per
// iteration.
func reportRows(b *testing.B) {
	perRow := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(perRow, "ns/row")
	b.ReportMetric(float64(time.Second)/perRow, "rows/s")
}

// phoneCorpus returns the phone numbers of the quickstart rows, as the
// phone_e164 transform sees them.
func phoneCorpus(tb testing.TB, n int) []string {
	_, _, header, rows := quickstartRows(tb, n)
	col := slices.Index(header, "Phone Number")
	out := make([]string, 0, n)
	for _, r := range rows {
		if col < len(r) && r[col] != "" {
			out = append(out, r[col])
		}
	}
	return out
}

// BenchmarkPhone measures the phone_e164 step alone on the quickstart's
// numbers, region US: libphonenumber itself (reference) and the step.
func BenchmarkPhone(b *testing.B) {
	numbers := phoneCorpus(b, 1<<14)
	for _, bb := range []struct {
		name string
		step step
	}{
		{"reference", func(v string) (string, error) { return referencePhone(v, "US", phoneWhere("US")) }},
		{"step", phoneStep(newPhoneParser(), "US")},
	} {
		b.Run(bb.name, func(b *testing.B) {
			for _, v := range numbers[:300] { // the steady state, as above
				_, _ = bb.step(v)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				_, _ = bb.step(numbers[i%len(numbers)])
				i++
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/number")
		})
	}
}

// TestQuickstartRows checks the benchmark's rows: they must map mostly
// without errors and hold mostly distinct phone numbers, or the benchmark
// would measure the wrong thing.
func TestQuickstartRows(t *testing.T) {
	rules, opt, header, rows := quickstartRows(t, 1<<14)
	m, err := Compile(rules, header, opt)
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	phones := map[string]bool{}
	for _, r := range rows {
		rec, err := m.Map(r)
		if err != nil {
			failed++
			continue
		}
		phones[rec.Get(FieldPhone)] = true
	}
	t.Logf("%d rows, %d fail, %d distinct phones", len(rows), failed, len(phones))
	if failed > len(rows)/10 {
		t.Errorf("%d of %d rows fail", failed, len(rows))
	}
	if len(phones) < len(rows)/2 {
		t.Errorf("only %d distinct phone numbers in %d rows", len(phones), len(rows))
	}
}
