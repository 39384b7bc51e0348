package jobs

import (
	"slices"
	"strings"
	"testing"

	"github.com/crmload/crmload/mapping"
)

// fieldsOf renders rules as "field<-column" for compact comparison.
func fieldsOf(rules []mapping.Rule) []string {
	var out []string
	for _, r := range rules {
		out = append(out, strings.Join(r.Field, "+")+"<-"+strings.Join(r.From, "+"))
	}
	return out
}

func TestGuessMapping(t *testing.T) {
	tests := []struct {
		name     string
		header   []string
		rules    []string
		review   []string
		unmapped []string
		match    []string
	}{
		{
			name: "hubspot",
			header: []string{"Record ID", "First Name", "Last Name", "Email", "Phone Number", "Company Name",
				"Job Title", "Website URL", "Street Address", "City", "State/Region", "Postal Code",
				"Country/Region", "Lead Status", "Notes"},
			rules: []string{"first_name<-First Name", "last_name<-Last Name", "email<-Email", "phone<-Phone Number",
				"company<-Company Name", "title<-Job Title", "url<-Website URL", "address<-Street Address",
				"city<-City", "state<-State/Region", "zip<-Postal Code", "notes<-Notes"},
			review:   []string{"country<-Country/Region"},
			unmapped: []string{"Record ID", "Lead Status"},
			match:    []string{"email"},
		},
		{
			name:   "salesforce",
			header: []string{"Salutation", "First Name", "Last Name", "Title", "Account Name", "Mailing Street", "Mailing City", "Mailing Zip/Postal Code", "Mobile Phone", "Email"},
			rules: []string{"first_name<-First Name", "last_name<-Last Name", "title<-Title", "company<-Account Name",
				"address<-Mailing Street", "city<-Mailing City", "zip<-Mailing Zip/Postal Code", "phone<-Mobile Phone", "email<-Email"},
			unmapped: []string{"Salutation"},
			match:    []string{"email"},
		},
		{
			name:     "pipedrive",
			header:   []string{"Person - Name", "Person - Email", "Person - Phone", "Organization - Name", "Person - Labels"},
			rules:    []string{"name<-Person - Name", "email<-Person - Email", "phone<-Person - Phone", "company<-Organization - Name", "tags<-Person - Labels"},
			match:    []string{"email"},
			unmapped: nil,
		},
		{
			name: "google contacts",
			header: []string{"Given Name", "Family Name", "Birthday", "E-mail 1 - Value", "E-mail 2 - Value",
				"Phone 1 - Value", "Organization 1 - Name", "Organization 1 - Title", "Website 1 - Value"},
			rules: []string{"first_name<-Given Name", "last_name<-Family Name", "birth_date<-Birthday",
				"email<-E-mail 1 - Value", "phone<-Phone 1 - Value", "company<-Organization 1 - Name",
				"title<-Organization 1 - Title", "url<-Website 1 - Value"},
			unmapped: []string{"E-mail 2 - Value"},
			match:    []string{"email"},
		},
		{
			name:     "case, punctuation and first column wins",
			header:   []string{"E-MAIL ADDRESS", "zip_code", "Phone", "Mobile Phone", "organisation", "Favourite colour"},
			rules:    []string{"email<-E-MAIL ADDRESS", "zip<-zip_code", "phone<-Phone", "company<-organisation"},
			unmapped: []string{"Mobile Phone", "Favourite colour"},
			match:    []string{"email"},
		},
		{
			name:     "no email: match on phone",
			header:   []string{"Full Name", "Telephone"},
			rules:    []string{"name<-Full Name", "phone<-Telephone"},
			match:    []string{"phone"},
			unmapped: nil,
		},
		{
			name:     "nothing recognised",
			header:   []string{"foo", "bar"},
			unmapped: []string{"foo", "bar"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := GuessMapping(tt.header)
			if got := fieldsOf(g.Rules); !slices.Equal(got, tt.rules) {
				t.Errorf("rules\n got %q\nwant %q", got, tt.rules)
			}
			if got := fieldsOf(g.Review); !slices.Equal(got, tt.review) {
				t.Errorf("review: got %q, want %q", got, tt.review)
			}
			if !slices.Equal(g.Unmapped, tt.unmapped) {
				t.Errorf("unmapped: got %q, want %q", g.Unmapped, tt.unmapped)
			}
			if got := g.Match(); !slices.Equal(got, tt.match) {
				t.Errorf("match: got %q, want %q", got, tt.match)
			}
		})
	}
}

// TestGuessMappingTransforms checks that every guessed rule compiles against
// its header and that the transforms suit the field.
func TestGuessMappingTransforms(t *testing.T) {
	header := []string{"Email", "Phone", "First Name", "Website", "Birthday", "City", "Country"}
	g := GuessMapping(header)
	want := map[string]string{
		"email": "trim,lower,email", "phone": "phone_e164", "first_name": "trim,title",
		"url": "url", "birth_date": "date", "city": "trim", "country": "trim,upper",
	}
	for _, r := range append(slices.Clone(g.Rules), g.Review...) {
		f := r.Field[0]
		if got := strings.Join(r.Transform, ","); got != want[f] {
			t.Errorf("%s: transforms %q, want %q", f, got, want[f])
		}
		if r.Required != (f == "email") {
			t.Errorf("%s: required = %v", f, r.Required)
		}
	}
	if _, err := mapping.Compile(append(g.Rules, g.Review...), header, mapping.Options{Region: "US"}); err != nil {
		t.Fatalf("guessed rules do not compile: %v", err)
	}
}

func TestGuessKeep(t *testing.T) {
	g := GuessMapping([]string{"Email", "Birthday", "Country", "Other"})
	kept, dropped := g.Keep(func(f string) bool { return f != "birth_date" })
	if got := fieldsOf(kept.Rules); !slices.Equal(got, []string{"email<-Email"}) {
		t.Errorf("kept rules %q", got)
	}
	if got := fieldsOf(kept.Review); !slices.Equal(got, []string{"country<-Country"}) {
		t.Errorf("kept review %q", got)
	}
	if got := fieldsOf(dropped); !slices.Equal(got, []string{"birth_date<-Birthday"}) {
		t.Errorf("dropped %q", got)
	}
	if !slices.Equal(kept.Unmapped, []string{"Other"}) {
		t.Errorf("unmapped %q", kept.Unmapped)
	}
}
