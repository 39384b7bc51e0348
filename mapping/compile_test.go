package mapping

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestCompileErrors(t *testing.T) {
	header := []string{"First Name", "Last Name", "Email", "Phone Number", "Birthday"}
	email := StringList{"email"}
	tests := []struct {
		name   string
		header []string // header when not nil
		opt    Options
		rules  []Rule
		want   []string // every line of the joined error, in order
	}{
		{
			name:  "misspelt column gets a suggestion",
			rules: []Rule{{Field: email, From: StringList{"Emial"}}},
			want:  []string{`rule 1 (email): no column "Emial" in the header; did you mean "Email"?`},
		},
		{
			name:  "unrelated column lists the header",
			rules: []Rule{{Field: StringList{"company"}, From: StringList{"Organisation"}}},
			want:  []string{`rule 1 (company): no column "Organisation" in the header (it has "First Name", "Last Name", "Email", "Phone Number", "Birthday")`},
		},
		{
			name:   "empty header",
			header: []string{},
			rules:  []Rule{{Field: email, From: StringList{"Email"}}},
			want:   []string{`rule 1 (email): no column "Email": the header is empty`},
		},
		{
			name:   "column repeated in the header",
			header: []string{"Email", "Phone", "Email"},
			rules:  []Rule{{Field: email, From: StringList{"Email"}}},
			want:   []string{`rule 1 (email): column "Email" appears 2 times in the header (columns 1, 3)`},
		},
		{
			name:   "column ambiguous without case",
			header: []string{"EMAIL", "email "},
			rules:  []Rule{{Field: email, From: StringList{"Email"}}},
			want:   []string{`rule 1 (email): column "Email" matches 2 header columns (1, 2) when case and spaces are ignored; write it exactly`},
		},
		{
			name:  "both from and value",
			rules: []Rule{{Field: StringList{"status"}, From: StringList{"Email"}, Value: ptr("New")}},
			want:  []string{`rule 1 (status): give either from or value, not both`},
		},
		{
			name:  "neither from nor value",
			rules: []Rule{{Field: StringList{"status"}}},
			want:  []string{`rule 1 (status): no source: give from (a column) or value (a constant)`},
		},
		{
			name:  "unknown transform with a suggestion",
			rules: []Rule{{Field: email, From: StringList{"Email"}, Transform: StringList{"lowr"}}},
			want:  []string{`rule 1 (email): unknown transform "lowr"; did you mean "lower"?`},
		},
		{
			name:  "unknown transform without a suggestion",
			rules: []Rule{{Field: email, From: StringList{"Email"}, Transform: StringList{"normalize_everything"}}},
			want:  []string{`rule 1 (email): unknown transform "normalize_everything" (known: trim, lower, upper, title, email, phone_e164, date, datetime, split, digits, strip_accents, url)`},
		},
		{
			name: "field given twice",
			rules: []Rule{
				{Field: email, From: StringList{"Email"}},
				{Field: StringList{"name"}, From: StringList{"First Name"}},
				{Field: email, From: StringList{"Last Name"}},
			},
			want: []string{`rule 3 (email): field "email" is already set by rule 1`},
		},
		{
			name: "split field given twice",
			rules: []Rule{
				{Field: StringList{"first_name"}, From: StringList{"First Name"}},
				{Field: StringList{"first_name", "first_name"}, From: StringList{"Last Name"}, Transform: StringList{"split"}},
			},
			want: []string{
				`rule 2 (first_name, first_name): field "first_name" is already set by rule 1`,
				`rule 2 (first_name, first_name): field "first_name" is given twice`,
			},
		},
		{
			name:  "split with one field",
			rules: []Rule{{Field: StringList{"name"}, From: StringList{"First Name"}, Transform: StringList{"split"}}},
			want:  []string{`rule 1 (name): split needs two fields, e.g. field: [first_name, last_name]`},
		},
		{
			name:  "two fields without split",
			rules: []Rule{{Field: StringList{"first_name", "last_name"}, From: StringList{"First Name"}}},
			want:  []string{`rule 1 (first_name, last_name): two fields need the split transform`},
		},
		{
			name:  "three fields",
			rules: []Rule{{Field: StringList{"a", "b", "c"}, From: StringList{"First Name"}, Transform: StringList{"split"}}},
			want:  []string{`rule 1 (a, b, c): 3 fields: a rule fills one field, or two with split`},
		},
		{
			name:  "split twice",
			rules: []Rule{{Field: StringList{"first_name", "last_name"}, From: StringList{"First Name"}, Transform: StringList{"split", "split"}}},
			want:  []string{`rule 1 (first_name, last_name): split is given 2 times`},
		},
		{
			name:  "no field",
			rules: []Rule{{From: StringList{"Email"}}},
			want:  []string{`rule 1: no field: say which target field the rule fills`},
		},
		{
			name:  "empty field names",
			rules: []Rule{{Field: StringList{" "}, From: StringList{"Email"}}, {Field: StringList{"custom."}, From: StringList{"Email"}}},
			want: []string{
				`rule 1 ( ): empty field name`,
				`rule 2 (custom.): custom field "custom." has no name after "custom."`,
			},
		},
		{
			name:  "empty column name",
			rules: []Rule{{Field: email, From: StringList{""}}},
			want:  []string{`rule 1 (email): empty column name in from`},
		},
		{
			name:  "join with one column",
			rules: []Rule{{Field: email, From: StringList{"Email"}, Join: ptr(",")}},
			want:  []string{`rule 1 (email): join needs several from columns`},
		},
		{
			name: "bad regions",
			opt:  Options{Region: "Mars"},
			rules: []Rule{
				{Field: StringList{"phone"}, From: StringList{"Phone Number"}, Transform: StringList{"phone_e164"}, Region: "XX"},
				{Field: email, From: StringList{"Email"}, Region: "US"},
			},
			want: []string{
				`options: unknown region "Mars": want an ISO 3166-1 alpha-2 code such as US or GB`,
				`rule 1 (phone): unknown region "XX": want an ISO 3166-1 alpha-2 code such as US or GB`,
				`rule 2 (email): region is only used by the phone_e164 transform`,
			},
		},
		{
			name: "bad date layouts",
			opt:  Options{DateLayouts: []string{"2006-01"}},
			rules: []Rule{
				{Field: StringList{"birth_date"}, From: StringList{"Birthday"}, Transform: StringList{"date"}, Layouts: StringList{"dd/mm/yyyy", "DD/MM/YYYY", ""}},
				{Field: email, From: StringList{"Email"}, Layouts: StringList{"YYYY-MM-DD"}},
			},
			want: []string{
				`options: date layout "2006-01" does not give a year, month and day (use Go's 2006-01-02 or YYYY-MM-DD)`,
				`rule 1 (birth_date): date layout "dd/mm/yyyy" does not give a year, month and day (use Go's 2006-01-02 or YYYY-MM-DD)`,
				`rule 1 (birth_date): date layout "" does not give a year, month and day (use Go's 2006-01-02 or YYYY-MM-DD)`,
				`rule 2 (email): layouts are only used by the date transform`,
			},
		},
		{
			name: "bad constants",
			rules: []Rule{
				{Field: email, Value: ptr("bob@"), Transform: StringList{"email"}},
				{Field: StringList{"status"}, Value: ptr(" "), Transform: StringList{"trim"}, Required: true},
			},
			want: []string{
				`rule 1 (email): value: "bob@" is not a valid email address`,
				`rule 2 (status): required, but the value is empty`,
			},
		},
		{
			name:  "no rules",
			rules: nil,
			want:  []string{`no mapping rules`},
		},
		{
			name: "every problem at once",
			rules: []Rule{
				{Field: email, From: StringList{"E-mail"}, Transform: StringList{"trim", "lowercase"}},
				{Field: StringList{"phone"}, From: StringList{"Phone Number"}, Transform: StringList{"phone_e164"}, Region: "USA"},
				{Field: StringList{"name"}, From: StringList{"First Name", "Lastname"}, Value: ptr("x")},
				{Field: email, From: StringList{"Email"}},
			},
			want: []string{
				`rule 1 (email): no column "E-mail" in the header; did you mean "Email"?`,
				`rule 1 (email): unknown transform "lowercase"; did you mean "lower"?`,
				`rule 2 (phone): unknown region "USA": want an ISO 3166-1 alpha-2 code such as US or GB`,
				`rule 3 (name): give either from or value, not both`,
				`rule 3 (name): no column "Lastname" in the header; did you mean "Last Name"?`,
				`rule 4 (email): field "email" is already set by rule 1`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := header
			if tt.header != nil {
				h = tt.header
			}
			m, err := Compile(tt.rules, h, tt.opt)
			if err == nil {
				t.Fatalf("Compile succeeded (%v fields), want %d errors", m.Fields(), len(tt.want))
			}
			if m != nil {
				t.Error("Compile returned a Mapper with its error")
			}
			if got := strings.Split(err.Error(), "\n"); !slices.Equal(got, tt.want) {
				t.Errorf("errors\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestCompileRuleError(t *testing.T) {
	_, err := Compile([]Rule{
		{Field: StringList{"email"}, From: StringList{"Email"}},
		{Field: StringList{"phone"}, From: StringList{"Phone"}},
	}, []string{"Email"}, Options{})
	var re *RuleError
	if !errors.As(err, &re) {
		t.Fatalf("error %v holds no *RuleError", err)
	}
	if re.Index != 1 || re.Field != "phone" {
		t.Errorf("RuleError = %+v, want Index 1, Field phone", re)
	}
}

func TestCompileFindsColumns(t *testing.T) {
	tests := []struct {
		name   string
		header []string
		from   string
		want   string // the value mapped from the matched column
	}{
		{name: "exact", header: []string{"Email", "Phone"}, from: "Phone", want: "v1"},
		{name: "exact beats case-insensitive", header: []string{"email", "Email"}, from: "Email", want: "v1"},
		{name: "case-insensitive", header: []string{"Name", "EMAIL"}, from: "email", want: "v1"},
		{name: "surrounding spaces", header: []string{" E-mail  ", "Phone"}, from: "e-mail ", want: "v0"},
		{name: "exact with spaces", header: []string{"Email", " Email"}, from: " Email", want: "v1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Compile([]Rule{{Field: StringList{"out"}, From: StringList{tt.from}}}, tt.header, Options{})
			if err != nil {
				t.Fatal(err)
			}
			rec, err := m.Map([]string{"v0", "v1"})
			if err != nil {
				t.Fatal(err)
			}
			if got := rec["out"]; got != tt.want {
				t.Errorf("mapped %q, want %q", got, tt.want)
			}
		})
	}
}
