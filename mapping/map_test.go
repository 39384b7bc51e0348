package mapping

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
)

func ptr(s string) *string { return &s }

func TestMap(t *testing.T) {
	header := []string{"First Name", "Middle", "Last Name", "Email", "Phone", "Source", "Full Name"}
	tests := []struct {
		name    string
		rules   []Rule
		row     []string
		want    Record
		wantErr []string // every line of the joined error, in rule order
	}{
		{
			name:  "join several columns with a space",
			rules: []Rule{{Field: StringList{"name"}, From: StringList{"First Name", "Last Name"}}},
			row:   []string{"Ada", "", "Lovelace"},
			want:  Record{"name": "Ada Lovelace"},
		},
		{
			name:  "join skips empty and blank parts and trims parts",
			rules: []Rule{{Field: StringList{"name"}, From: StringList{"First Name", "Middle", "Last Name"}, Join: ptr("-")}},
			row:   []string{" Ada ", "  ", "Lovelace "},
			want:  Record{"name": "Ada-Lovelace"},
		},
		{
			name:  "join with empty separator",
			rules: []Rule{{Field: StringList{"code"}, From: StringList{"First Name", "Middle", "Last Name"}, Join: ptr("")}},
			row:   []string{"A", "B", "C"},
			want:  Record{"code": "ABC"},
		},
		{
			name:  "join of one non-empty part",
			rules: []Rule{{Field: StringList{"name"}, From: StringList{"First Name", "Last Name"}}},
			row:   []string{"", "", " Lovelace "},
			want:  Record{"name": "Lovelace"},
		},
		{
			name:  "join of nothing is empty",
			rules: []Rule{{Field: StringList{"name"}, From: StringList{"First Name", "Last Name"}}},
			row:   []string{"", "", ""},
			want:  Record{},
		},
		{
			name:  "single column is kept as is",
			rules: []Rule{{Field: StringList{"name"}, From: StringList{"First Name"}}},
			row:   []string{"  Ada  "},
			want:  Record{"name": "  Ada  "},
		},
		{
			name:  "constant value, transformed once",
			rules: []Rule{{Field: StringList{"status"}, Value: ptr("  potential "), Transform: StringList{"trim", "title"}}},
			row:   []string{},
			want:  Record{"status": "Potential"},
		},
		{
			name:  "empty constant with default",
			rules: []Rule{{Field: StringList{"status"}, Value: ptr(""), Default: "New"}},
			want:  Record{"status": "New"},
		},
		{
			name:  "default when empty",
			rules: []Rule{{Field: StringList{"custom.Lead Source"}, From: StringList{"Source"}, Default: "Import"}},
			row:   []string{"", "", "", "", "", ""},
			want:  Record{"custom.Lead Source": "Import"},
		},
		{
			name:  "default not used when given",
			rules: []Rule{{Field: StringList{"custom.Lead Source"}, From: StringList{"Source"}, Default: "Import"}},
			row:   []string{"", "", "", "", "", "Webinar"},
			want:  Record{"custom.Lead Source": "Webinar"},
		},
		{
			name:  "default when transforms empty the value, used as given",
			rules: []Rule{{Field: StringList{"zip"}, From: StringList{"Source"}, Transform: StringList{"digits"}, Default: "n/a"}},
			row:   []string{"", "", "", "", "", "none"},
			want:  Record{"zip": "n/a"},
		},
		{
			name:  "default satisfies required",
			rules: []Rule{{Field: StringList{"email"}, From: StringList{"Email"}, Required: true, Default: "unknown@example.com"}},
			row:   []string{"", "", "", ""},
			want:  Record{"email": "unknown@example.com"},
		},
		{
			name:  "required and present",
			rules: []Rule{{Field: StringList{"email"}, From: StringList{"Email"}, Required: true}},
			row:   []string{"", "", "", "ada@example.com"},
			want:  Record{"email": "ada@example.com"},
		},
		{
			name:    "required and empty",
			rules:   []Rule{{Field: StringList{"email"}, From: StringList{"Email"}, Required: true}},
			row:     []string{"Ada", "", "", ""},
			wantErr: []string{`column "Email": a value is required`},
		},
		{
			name:    "required and blank after trim",
			rules:   []Rule{{Field: StringList{"email"}, From: StringList{"Email"}, Transform: StringList{"trim"}, Required: true}},
			row:     []string{"Ada", "", "", " \t "},
			wantErr: []string{`column "Email": a value is required`},
		},
		{
			name:    "required over several columns",
			rules:   []Rule{{Field: StringList{"name"}, From: StringList{"First Name", "Last Name"}, Required: true}},
			row:     []string{" ", "", ""},
			wantErr: []string{`column "First Name + Last Name": a value is required`},
		},
		{
			name:    "required split needs a first name",
			rules:   []Rule{{Field: StringList{"first_name", "last_name"}, From: StringList{"Full Name"}, Transform: StringList{"split"}, Required: true}},
			row:     []string{"", "", "", "", "", "", "  "},
			wantErr: []string{`column "Full Name": a value is required`},
		},
		{
			name:  "required split accepts one word",
			rules: []Rule{{Field: StringList{"first_name", "last_name"}, From: StringList{"Full Name"}, Transform: StringList{"split"}, Required: true}},
			row:   []string{"", "", "", "", "", "", "Cher"},
			want:  Record{"first_name": "Cher"},
		},
		{
			name: "custom fields pass through",
			rules: []Rule{
				{Field: StringList{"custom.Lead Source"}, From: StringList{"Source"}},
				{Field: StringList{"custom.Référence client"}, Value: ptr("42")},
			},
			row:  []string{"", "", "", "", "", "Webinar"},
			want: Record{"custom.Lead Source": "Webinar", "custom.Référence client": "42"},
		},
		{
			name:  "short row reads missing columns as empty",
			rules: []Rule{{Field: StringList{"email"}, From: StringList{"Email"}, Default: "none"}},
			row:   []string{"Ada"},
			want:  Record{"email": "none"},
		},
		{
			name: "every failing rule is reported",
			rules: []Rule{
				{Field: StringList{"email"}, From: StringList{"Email"}, Transform: StringList{"email"}},
				{Field: StringList{"name"}, From: StringList{"First Name"}},
				{Field: StringList{"phone"}, From: StringList{"Phone"}, Transform: StringList{"phone_e164"}, Region: "US"},
				{Field: StringList{"custom.Lead Source"}, From: StringList{"Source"}, Required: true},
			},
			row: []string{"Ada", "", "", "bob@", "12ab", ""},
			wantErr: []string{
				`column "Email": "bob@" is not a valid email address`,
				`column "Phone": "12ab" is not a valid phone number (region US)`,
				`column "Source": a value is required`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Compile(tt.rules, header, Options{})
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			rec, err := m.Map(tt.row)
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("got %v, want an error", rec)
				}
				if rec != nil {
					t.Errorf("got record %v with the error", rec)
				}
				if got := strings.Split(err.Error(), "\n"); !slices.Equal(got, tt.wantErr) {
					t.Errorf("error lines\n got %q\nwant %q", got, tt.wantErr)
				}
				if n := len(fieldErrors(err)); n != len(tt.wantErr) {
					t.Errorf("%d *FieldErrors in %v, want %d", n, err, len(tt.wantErr))
				}
				return
			}
			if err != nil {
				t.Fatalf("Map: %v", err)
			}
			if !maps.Equal(rec, tt.want) {
				t.Errorf("got %v, want %v", rec, tt.want)
			}
		})
	}
}

// fieldErrors returns the *FieldErrors in err, joined or not.
func fieldErrors(err error) []*FieldError {
	var fe *FieldError
	if errors.As(err, &fe) && err == error(fe) {
		return []*FieldError{fe}
	}
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return nil
	}
	var out []*FieldError
	for _, e := range j.Unwrap() {
		out = append(out, fieldErrors(e)...)
	}
	return out
}

func TestFieldErrorDetails(t *testing.T) {
	m, err := Compile([]Rule{
		{Field: StringList{"email"}, From: StringList{"E-mail"}, Transform: StringList{"trim", "email"}, Required: true},
		{Field: StringList{"phone"}, From: StringList{"Tel"}, Required: true},
	}, []string{"E-mail", "Tel"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("é", 80) + "@"
	_, err = m.Map([]string{" " + long + " ", ""})
	got := fieldErrors(err)
	if len(got) != 2 {
		t.Fatalf("got %d field errors in %v, want 2", len(got), err)
	}
	if fe := got[0]; fe.Field != "email" || fe.Column != "E-mail" || fe.Value != long || !errors.Is(fe, ErrInvalid) {
		t.Errorf("first error = %+v", fe)
	}
	if fe := got[1]; fe.Field != "phone" || fe.Column != "Tel" || fe.Value != "" || !errors.Is(fe, ErrRequired) {
		t.Errorf("second error = %+v", fe)
	}
	// Long values are shortened to 60 characters in messages.
	want := `column "E-mail": "` + strings.Repeat("é", 59) + `…" is not a valid email address`
	if msg := got[0].Error(); msg != want {
		t.Errorf("message\n got %q\nwant %q", msg, want)
	}
}

func TestFields(t *testing.T) {
	m, err := Compile([]Rule{
		{Field: StringList{"email"}, From: StringList{"Email"}},
		{Field: StringList{"first_name", "last_name"}, From: StringList{"Name"}, Transform: StringList{"split"}},
		{Field: StringList{"custom.Lead Source"}, Value: ptr("csv")},
	}, []string{"Email", "Name"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"email", "first_name", "last_name", "custom.Lead Source"}
	got := m.Fields()
	if !slices.Equal(got, want) {
		t.Fatalf("Fields() = %q, want %q", got, want)
	}
	got[0] = "changed"
	if m.Fields()[0] != "email" {
		t.Error("Fields() shares its slice with the Mapper")
	}
}

// TestMapConcurrent maps the same rows from several goroutines (run with
// -race): transforms with pooled state must not mix up their values.
func TestMapConcurrent(t *testing.T) {
	// The phone numbers are of several regions, which the phone parser
	// prepares on first use, here from several goroutines at once.
	m, err := Compile([]Rule{
		{Field: StringList{"name"}, From: StringList{"Name"}, Transform: StringList{"title", "strip_accents"}},
		{Field: StringList{"city"}, From: StringList{"City"}, Transform: StringList{"strip_accents", "upper"}},
		{Field: StringList{"phone"}, From: StringList{"Phone"}, Transform: StringList{"phone_e164"}, Region: "US"},
	}, []string{"Name", "City", "Phone"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	phones := [][2]string{
		{"(415) 555-2671", "+14155552671"}, {"+44 20 7946 0958", "+442079460958"},
		{"+33 6 12 34 56 78", "+33612345678"}, {"+49 30 123456", "+4930123456"},
		{"+39 06 6988 0000", "+390669880000"}, {"+7 701 123 4567", "+77011234567"},
	}
	rows := make([][]string, 50)
	want := make([]Record, len(rows))
	for i := range rows {
		ph := phones[i%len(phones)]
		rows[i] = []string{fmt.Sprintf("éloïse o'neil-%d", i), fmt.Sprintf("Besançon %d", i), ph[0]}
		want[i] = Record{"name": fmt.Sprintf("Eloise O'Neil-%d", i), "city": fmt.Sprintf("BESANCON %d", i), "phone": ph[1]}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			for range 10 {
				for i, row := range rows {
					rec, err := m.Map(row)
					if err != nil || !maps.Equal(rec, want[i]) {
						errs <- fmt.Errorf("row %d: got %v, %v; want %v", i, rec, err, want[i])
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func BenchmarkMap(b *testing.B) {
	header := []string{"First Name", "Last Name", "Full Name", "Email", "Phone Number", "Birthday", "Zip", "Original Source"}
	rules := []Rule{
		{Field: StringList{"name"}, From: StringList{"First Name", "Last Name"}},
		{Field: StringList{"first_name", "last_name"}, From: StringList{"Full Name"}, Transform: StringList{"trim", "split", "title"}},
		{Field: StringList{"email"}, From: StringList{"Email"}, Transform: StringList{"trim", "lower", "email"}, Required: true},
		{Field: StringList{"phone"}, From: StringList{"Phone Number"}, Transform: StringList{"phone_e164"}, Region: "US"},
		{Field: StringList{"birth_date"}, From: StringList{"Birthday"}, Transform: StringList{"date"}, Layouts: StringList{"MM/DD/YYYY"}},
		{Field: StringList{"zip"}, From: StringList{"Zip"}, Transform: StringList{"digits"}},
		{Field: StringList{"custom.Lead Source"}, From: StringList{"Original Source"}, Default: "Import"},
		{Field: StringList{"status"}, Value: ptr("Potential")},
	}
	row := []string{"Ada", "Lovelace", "ADA KING lovelace", " Ada@Example.com ", "(415) 555-2671", "12/10/1815", "02134", ""}
	// phonenumbers' regexps cost most of a row: measure the rest apart.
	noPhone := slices.DeleteFunc(slices.Clone(rules), func(r Rule) bool { return r.Field[0] == "phone" })
	for _, bb := range []struct {
		name  string
		rules []Rule
	}{{"all", rules}, {"without_phone", noPhone}} {
		b.Run(bb.name, func(b *testing.B) {
			m, err := Compile(bb.rules, header, Options{})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := m.Map(row); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := m.Map(row); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
