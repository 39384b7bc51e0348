package mapping

import (
	"errors"
	"maps"
	"net/mail"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"
)

// mapOne maps in through rule r read from the single column "Input".
func mapOne(t *testing.T, r Rule, opt Options, in string) (Record, error) {
	t.Helper()
	r.From = StringList{"Input"}
	if r.Field == nil {
		r.Field = StringList{"out"}
	}
	m, err := Compile([]Rule{r}, []string{"Input"}, opt)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return m.Map([]string{in})
}

func TestTransforms(t *testing.T) {
	dmy := StringList{"DD/MM/YYYY"}
	tests := []struct {
		name      string
		transform StringList
		region    string
		layouts   StringList
		opt       Options
		in        string
		want      string // the "out" field; "" means absent
		wantErr   string // the whole message when the row fails
	}{
		{name: "trim collapses", transform: StringList{"trim"}, in: "  John \t\n Smith  ", want: "John Smith"},
		{name: "trim clean", transform: StringList{"trim"}, in: "John Smith", want: "John Smith"},
		{name: "trim unicode space", transform: StringList{"trim"}, in: "\u00a0Ann\u2003Lee", want: "Ann Lee"},
		{name: "trim blank", transform: StringList{"trim"}, in: " \t ", want: ""},
		{name: "trim empty", transform: StringList{"trim"}, in: "", want: ""},

		{name: "lower", transform: StringList{"lower"}, in: "Bob@Example.COM", want: "bob@example.com"},
		{name: "lower unicode", transform: StringList{"lower"}, in: "ÉLOÏSE", want: "éloïse"},
		{name: "lower empty", transform: StringList{"lower"}, in: "", want: ""},
		{name: "upper", transform: StringList{"upper"}, in: "gb", want: "GB"},
		{name: "upper unicode", transform: StringList{"upper"}, in: "éloïse", want: "ÉLOÏSE"},
		{name: "upper empty", transform: StringList{"upper"}, in: "", want: ""},

		{name: "title shouting", transform: StringList{"title"}, in: "JOHN SMITH", want: "John Smith"},
		{name: "title apostrophe name", transform: StringList{"title"}, in: "o'neil", want: "O'Neil"},
		{name: "title typographic apostrophe", transform: StringList{"title"}, in: "d’angelo", want: "D’Angelo"},
		{name: "title contraction", transform: StringList{"title"}, in: "don't stop", want: "Don't Stop"},
		{name: "title hyphen", transform: StringList{"title"}, in: "mary-jane", want: "Mary-Jane"},
		{name: "title accents", transform: StringList{"title"}, in: "éloïse dupont", want: "Éloïse Dupont"},
		{name: "title empty", transform: StringList{"title"}, in: "", want: ""},

		{name: "email valid", transform: StringList{"email"}, in: " bob@example.com ", want: "bob@example.com"},
		{name: "email keeps case", transform: StringList{"email"}, in: "Bob@Example.com", want: "Bob@Example.com"},
		{name: "email incomplete", transform: StringList{"email"}, in: "bob@",
			wantErr: `column "Input": "bob@" is not a valid email address`},
		{name: "email with display name", transform: StringList{"email"}, in: "Bob <bob@example.com>",
			wantErr: `column "Input": "Bob <bob@example.com>" is not a valid email address`},
		{name: "email two addresses", transform: StringList{"email"}, in: "a@x.com, b@x.com",
			wantErr: `column "Input": "a@x.com, b@x.com" is not a valid email address`},
		{name: "email blank", transform: StringList{"email"}, in: "   ", want: ""},
		{name: "email empty", transform: StringList{"email"}, in: "", want: ""},

		{name: "phone national", transform: StringList{"phone_e164"}, region: "US", in: "(415) 555-2671", want: "+14155552671"},
		{name: "phone international ignores region", transform: StringList{"phone_e164"}, region: "US", in: "+44 20 7946 0958", want: "+442079460958"},
		{name: "phone region lower case", transform: StringList{"phone_e164"}, region: "fr", in: "06 12 34 56 78", want: "+33612345678"},
		{name: "phone options region", transform: StringList{"phone_e164"}, opt: Options{Region: "GB"}, in: "020 7946 0958", want: "+442079460958"},
		{name: "phone rule region overrides options", transform: StringList{"phone_e164"}, region: "GB", opt: Options{Region: "US"}, in: "020 7946 0958", want: "+442079460958"},
		{name: "phone no region international", transform: StringList{"phone_e164"}, in: "+1 415 555 2671", want: "+14155552671"},
		{name: "phone letters", transform: StringList{"phone_e164"}, region: "US", in: "12ab",
			wantErr: `column "Input": "12ab" is not a valid phone number (region US)`},
		{name: "phone too short", transform: StringList{"phone_e164"}, region: "US", in: "415 555 267",
			wantErr: `column "Input": "415 555 267" is not a valid phone number (region US)`},
		{name: "phone no region national", transform: StringList{"phone_e164"}, in: "555-1234",
			wantErr: `column "Input": "555-1234" is not a valid phone number (no region)`},
		{name: "phone extension", transform: StringList{"phone_e164"}, region: "US", in: "415 555 2671 ext. 12",
			wantErr: `column "Input": "415 555 2671 ext. 12" has an extension, which E.164 cannot hold (region US)`},
		{name: "phone empty", transform: StringList{"phone_e164"}, region: "US", in: "", want: ""},

		{name: "date friendly layout", transform: StringList{"date"}, layouts: dmy, in: "31/12/2023", want: "2023-12-31"},
		{name: "date go layout", transform: StringList{"date"}, layouts: StringList{"Jan 2, 2006"}, in: "Mar 5, 2023", want: "2023-03-05"},
		{name: "date single-digit tokens", transform: StringList{"date"}, layouts: StringList{"M/D/YYYY"}, in: "3/5/2023", want: "2023-03-05"},
		{name: "date two-digit year", transform: StringList{"date"}, layouts: StringList{"DD.MM.YY"}, in: "15.03.23", want: "2023-03-15"},
		{name: "date drops the time", transform: StringList{"date"}, layouts: StringList{"DD/MM/YYYY hh:mm"}, in: "15/03/2023 14:30", want: "2023-03-15"},
		{name: "datetime keeps the time", transform: StringList{"datetime"}, layouts: StringList{"DD/MM/YYYY hh:mm"}, in: "15/03/2023 14:30", want: "2023-03-15T14:30:00Z"},
		{name: "datetime of a date", transform: StringList{"datetime"}, in: "2023-03-15", want: "2023-03-15"},
		{name: "date of an xlsx date-time cell", transform: StringList{"date"}, in: "2022-06-15T22:51:00", want: "2022-06-15"},
		{name: "date iso always", transform: StringList{"date"}, layouts: dmy, in: "2023-03-15", want: "2023-03-15"},
		{name: "datetime rfc3339 always", transform: StringList{"datetime"}, in: "2023-03-15T14:30:00+02:00", want: "2023-03-15T14:30:00+02:00"},
		{name: "date options layouts", transform: StringList{"date"}, opt: Options{DateLayouts: []string{"MM/DD/YYYY"}}, in: "03/15/2023", want: "2023-03-15"},
		{name: "date rule layouts before options", transform: StringList{"date"}, layouts: dmy, opt: Options{DateLayouts: []string{"MM/DD/YYYY"}}, in: "01/02/2023", want: "2023-02-01"},
		{name: "date trims", transform: StringList{"date"}, in: " 2023-03-15 ", want: "2023-03-15"},
		{name: "date impossible day", transform: StringList{"date"}, layouts: dmy, in: "31/02/2023",
			wantErr: `column "Input": "31/02/2023" is not a date in any of the layouts [DD/MM/YYYY, 2006-01-02, RFC 3339, 2006-01-02T15:04:05]`},
		{name: "date lists options layouts", transform: StringList{"date"}, layouts: dmy, opt: Options{DateLayouts: []string{"Jan 2 2006"}}, in: "soon",
			wantErr: `column "Input": "soon" is not a date in any of the layouts [DD/MM/YYYY, Jan 2 2006, 2006-01-02, RFC 3339, 2006-01-02T15:04:05]`},
		{name: "date empty", transform: StringList{"date"}, layouts: dmy, in: "", want: ""},

		{name: "digits", transform: StringList{"digits"}, in: "(415) 555-2671", want: "4155552671"},
		{name: "digits only digits", transform: StringList{"digits"}, in: "02134", want: "02134"},
		{name: "digits none", transform: StringList{"digits"}, in: "n/a", want: ""},
		{name: "digits empty", transform: StringList{"digits"}, in: "", want: ""},

		{name: "strip accents", transform: StringList{"strip_accents"}, in: "Éloïse Ñúñez", want: "Eloise Nunez"},
		{name: "strip accents keeps other letters", transform: StringList{"strip_accents"}, in: "Søren Straße", want: "Søren Straße"},
		{name: "strip accents ascii", transform: StringList{"strip_accents"}, in: "plain", want: "plain"},
		{name: "strip accents empty", transform: StringList{"strip_accents"}, in: "", want: ""},

		{name: "phone digits that lost their plus", transform: StringList{"phone_e164"}, region: "US", in: "442079460958", want: "+442079460958"},
		{name: "phone national digits stay national", transform: StringList{"phone_e164"}, region: "US", in: "4155552671", want: "+14155552671"},
		{name: "url adds a scheme", transform: StringList{"url"}, in: " cotejardin.example ", want: "https://cotejardin.example"},
		{name: "url keeps http", transform: StringList{"url"}, in: "http://initech.example/a?b=c", want: "http://initech.example/a?b=c"},
		{name: "url rejects no host", transform: StringList{"url"}, in: "n/a", wantErr: `column "Input": "https://n/a" is not a valid web address`},
		{name: "url rejects ftp", transform: StringList{"url"}, in: "ftp://x.example", wantErr: `column "Input": "ftp://x.example" is not a valid web address`},
		{name: "url empty", transform: StringList{"url"}, in: "", want: ""},

		{name: "chain in order", transform: StringList{"trim", "lower", "email"}, in: "  BOB@EXAMPLE.COM ", want: "bob@example.com"},
		{name: "chain stops at empty", transform: StringList{"digits", "phone_e164"}, region: "US", in: "none", want: ""},
		{name: "chain error names value seen", transform: StringList{"trim", "email"}, in: "  not   an email ",
			wantErr: `column "Input": "not an email" is not a valid email address`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Rule{Transform: tt.transform, Region: tt.region, Layouts: tt.layouts}
			rec, err := mapOne(t, r, tt.opt, tt.in)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("got %v, want error %q", rec, tt.wantErr)
				}
				if err.Error() != tt.wantErr {
					t.Errorf("error\n got %q\nwant %q", err, tt.wantErr)
				}
				if !errors.Is(err, ErrInvalid) {
					t.Errorf("error %v does not match ErrInvalid", err)
				}
				var fe *FieldError
				if !errors.As(err, &fe) || fe.Field != "out" || fe.Column != "Input" || !strings.Contains(tt.wantErr, fe.Value) {
					t.Errorf("FieldError = %+v", fe)
				}
				return
			}
			if err != nil {
				t.Fatalf("Map: %v", err)
			}
			want := Record{}
			if tt.want != "" {
				want["out"] = tt.want
			}
			if !maps.Equal(rec, want) {
				t.Errorf("got %v, want %v", rec, want)
			}
		})
	}
}

func TestSplit(t *testing.T) {
	tests := []struct {
		name      string
		transform StringList
		def       string
		in        string
		want      Record
	}{
		{name: "two words", transform: StringList{"split"}, in: "John Smith",
			want: Record{"first_name": "John", "last_name": "Smith"}},
		{name: "last word is the last name", transform: StringList{"split"}, in: "  John  Ronald   Tolkien ",
			want: Record{"first_name": "John Ronald", "last_name": "Tolkien"}},
		{name: "one word is a first name", transform: StringList{"split"}, in: "Madonna",
			want: Record{"first_name": "Madonna"}},
		{name: "empty", transform: StringList{"split"}, in: "", want: Record{}},
		{name: "transforms after split apply to each part", transform: StringList{"trim", "split", "title"}, in: "JOHN o'neil",
			want: Record{"first_name": "John", "last_name": "O'Neil"}},
		{name: "default fills each empty part", transform: StringList{"split"}, def: "Unknown", in: "Cher",
			want: Record{"first_name": "Cher", "last_name": "Unknown"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Rule{Field: StringList{"first_name", "last_name"}, Transform: tt.transform, Default: tt.def}
			rec, err := mapOne(t, r, Options{}, tt.in)
			if err != nil {
				t.Fatalf("Map: %v", err)
			}
			if !maps.Equal(rec, tt.want) {
				t.Errorf("got %v, want %v", rec, tt.want)
			}
		})
	}
}

// FuzzCollapseSpace checks trim's allocation-free fast path against the
// obvious definition.
func FuzzCollapseSpace(f *testing.F) {
	for _, s := range []string{"", " ", "a b", " a", "a ", "a  b", "a\tb", "a\u00a0b", "é è"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := collapseSpace(s), strings.Join(strings.Fields(s), " "); got != want {
			t.Errorf("collapseSpace(%q) = %q, want %q", s, got, want)
		}
	})
}

// FuzzPlainAddress checks the email fast path: an address it accepts must
// be one net/mail accepts and returns unchanged.
func FuzzPlainAddress(f *testing.F) {
	for _, s := range []string{"bob@example.com", "a.b+c@x-y.example", ".a@b", "a@b.", "a..b@c", "a@@b",
		"a@b@c", "a@[1.2.3.4]", `"a b"@c`, "a@b c", "é@x.com", "!#$%&'*+-/=?^_`{|}~@x", "a@", "@b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if !plainAddress(v) {
			return
		}
		if a, err := mail.ParseAddress(v); err != nil || a.Address != v {
			t.Errorf("plainAddress(%q) is true, but net/mail gives %v, %v", v, a, err)
		}
	})
}

// FuzzPlainWebAddress checks the url fast path: an address it accepts must
// be one checkURL's parse accepts and gives back unchanged.
func FuzzPlainWebAddress(f *testing.F) {
	for _, s := range []string{"https://example.com", "http://initech.example/", "https://www.x.example/a/b~c_d.e-f",
		"https://a..b", "https://.", "https://x.example//a", "https://x.example/./..", "http://-.-/", "https://x.example?q",
		"HTTPS://x.example", "https://x_y.example", "https://x.example:80/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if !plainWebAddress(v) {
			return
		}
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || !strings.Contains(u.Hostname(), ".") ||
			strings.ContainsAny(u.Hostname(), " _") || u.String() != v {
			t.Errorf("plainWebAddress(%q) is true, but url.Parse gives %v, %v", v, u, err)
		}
	})
}

// FuzzLatinTitle checks the title fast path against x/text's title caser.
func FuzzLatinTitle(f *testing.F) {
	for _, s := range []string{"john smith", "JOHN SMITH", "mary-jane", "a--b", " x", "x ", "McDONALD", "o'neil", "3rd",
		"é", "ÉLOÏSE DUPONT", "þórsdóttir", "ß", "×÷", "ÿ", "søren", "\xc3", "\xc3A", "e\u0301"} {
		f.Add(s)
	}
	c := cases.Title(language.Und)
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := latinTitle(s)
		if !ok {
			return
		}
		if want := c.String(s); got != want {
			t.Errorf("latinTitle(%q) = %q, want %q", s, got, want)
		}
	})
}

// TestLatinTitleExhaustive compares the title fast path with x/text on
// every string of up to four characters from an alphabet of the cases
// that matter: both cases of ASCII and Latin-1 letters, the separators,
// and characters the fast path must refuse.
func TestLatinTitleExhaustive(t *testing.T) {
	alphabet := []string{"a", "Z", " ", "-", "é", "É", "þ", "Þ", "ß", "×", "ÿ", "'", "1", "\u0301"}
	c := cases.Title(language.Und)
	var walk func(s string, depth int)
	walk = func(s string, depth int) {
		if got, ok := latinTitle(s); ok {
			if want := c.String(s); got != want {
				t.Errorf("latinTitle(%q) = %q, want %q", s, got, want)
			}
		}
		if depth == 4 {
			return
		}
		for _, a := range alphabet {
			walk(s+a, depth+1)
		}
	}
	walk("", 0)
}

// FuzzSplitName checks split's shortcut for clean text against its
// definition: the last word, and the words before it.
func FuzzSplitName(f *testing.F) {
	for _, s := range []string{"", " ", "John Smith", "  John  Ronald   Tolkien ", "Madonna", "a\u00a0b", "é è"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		words := strings.Fields(s)
		var first, last string
		if n := len(words); n > 0 {
			first = strings.Join(words[:n-1], " ")
			last = words[n-1]
			if n == 1 {
				first, last = last, ""
			}
		}
		if gf, gl := splitName(s); gf != first || gl != last {
			t.Errorf("splitName(%q) = %q, %q; want %q, %q", s, gf, gl, first, last)
		}
	})
}
