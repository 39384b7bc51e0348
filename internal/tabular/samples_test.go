package tabular

import (
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// The samples are produced by samples/gen; these tests read them as a user
// would and check them against each other.

func sampleHeader() []string {
	return []string{
		"Record ID", "First Name", "Last Name", "Email", "Phone Number", "Company Name", "Job Title",
		"Website URL", "Street Address", "City", "State/Region", "Postal Code", "Country/Region",
		"Lifecycle Stage", "Lead Status", "Original Source", "Create Date", "Notes",
	}
}

func readSample(t *testing.T, name string, opt Options) []Row {
	t.Helper()
	r, err := Open(filepath.Join("..", "..", "samples", "data", name), opt)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if !reflect.DeepEqual(r.Header(), sampleHeader()) {
		t.Fatalf("%s header = %q", name, r.Header())
	}
	return readAll(t, r)
}

func TestSampleCSV(t *testing.T) {
	rows := readSample(t, "hubspot-contacts.csv", Options{})
	if len(rows) != 300 {
		t.Fatalf("%d rows, want 300", len(rows))
	}
	multiline := 0
	for i, row := range rows {
		if row.Num != i+1 {
			t.Fatalf("row %d has Num %d", i+1, row.Num)
		}
		if strings.Contains(row.Values[len(row.Values)-1], "\n") {
			multiline++
		}
		// Only the ragged row is bad to the reader; the others are bad data
		// for the mapping to catch.
		if row.Num == 93 {
			var re *RowError
			if !errors.As(row.Err, &re) || !errors.Is(re, ErrFieldCount) || len(row.Values) != 17 {
				t.Errorf("row 93: err = %v with %d values, want a ragged row of 17", row.Err, len(row.Values))
			}
		} else if row.Err != nil {
			t.Errorf("row %d: %v", row.Num, row.Err)
		}
	}
	if multiline == 0 {
		t.Error("no Notes with an embedded line break")
	}
}

func TestSampleXLSX(t *testing.T) {
	// The first sheet is the About text, not the contacts.
	r, err := Open(filepath.Join("..", "..", "samples", "data", "hubspot-contacts.xlsx"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if h := r.Header(); len(h) != 1 || !strings.Contains(h[0], "Contacts sheet") {
		t.Errorf("first sheet header = %q", h)
	}
	_ = r.Close()

	csvByID := map[string][]string{}
	for _, row := range readSample(t, "hubspot-contacts.csv", Options{}) {
		csvByID[row.Values[0]] = row.Values
	}
	rows := readSample(t, "hubspot-contacts.xlsx", Options{Sheet: "Contacts"})
	if len(rows) != 292 {
		t.Fatalf("%d rows, want 292 (trailing empty rows must be ignored)", len(rows))
	}
	var leadingZeroZips, dateTimes, dates int
	for _, row := range rows {
		if row.Err != nil {
			t.Errorf("row %d: %v", row.Num, row.Err)
			continue
		}
		want, ok := csvByID[row.Values[0]]
		if !ok {
			t.Errorf("row %d: Record ID %q not in the CSV", row.Num, row.Values[0])
			continue
		}
		want = slices.Clone(want)
		want[4] = e164Digits(want[4])
		switch iso := isoFromExport(want[16]); {
		case strings.Contains(iso, "T"):
			dateTimes++
			want[16] = iso
		case iso != "":
			dates++
			want[16] = iso
		}
		if strings.HasPrefix(want[11], "0") {
			leadingZeroZips++
		}
		if !reflect.DeepEqual(row.Values, want) {
			for i := range want {
				if row.Values[i] != want[i] {
					t.Errorf("row %d %s = %q, want %q", row.Num, sampleHeader()[i], row.Values[i], want[i])
				}
			}
		}
	}
	if leadingZeroZips == 0 || dateTimes == 0 || dates == 0 {
		t.Errorf("sample lacks cases: %d zero-led ZIPs, %d date-times, %d dates", leadingZeroZips, dateTimes, dates)
	}
}

// e164Digits is how the sample workbook stores a phone: the E.164 digits
// as a number; a phone that is not a number stays as typed.
func e164Digits(phone string) string {
	var b strings.Builder
	for _, r := range phone {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	d := b.String()
	switch {
	case len(d) < 8 || strings.ContainsFunc(phone, func(r rune) bool { return r >= 'a' && r <= 'z' }):
		return phone
	case !strings.HasPrefix(phone, "+"):
		return "1" + d // a US number typed without its country code
	}
	return d
}

// isoFromExport converts the CSV's Create Date forms to what the workbook's
// date cells read as, "" for text that is no date.
func isoFromExport(s string) string {
	if t, err := time.Parse("2006-01-02 15:04", s); err == nil {
		return t.Format("2006-01-02T15:04:05")
	}
	if t, err := time.Parse("01/02/2006", s); err == nil {
		return t.Format(time.DateOnly)
	}
	return ""
}
