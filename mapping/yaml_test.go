package mapping

import (
	"maps"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// decodeRules decodes a job's mapping section the way jobs.Load does.
func decodeRules(b []byte) ([]Rule, error) {
	var doc struct {
		Mapping []Rule `yaml:"mapping"`
	}
	err := yaml.UnmarshalWithOptions(b, &doc, yaml.Strict())
	return doc.Mapping, err
}

func TestDecodeYAML(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		want    []Rule
		wantErr string // a part of the error message
	}{
		{
			name: "scalars",
			yaml: "mapping:\n  - { field: email, from: Email, transform: trim, layouts: YYYY-MM-DD }\n",
			want: []Rule{{Field: StringList{"email"}, From: StringList{"Email"}, Transform: StringList{"trim"}, Layouts: StringList{"YYYY-MM-DD"}}},
		},
		{
			name: "flow lists",
			yaml: "mapping:\n  - { field: [first_name, last_name], from: [A, B], transform: [trim, split] }\n",
			want: []Rule{{Field: StringList{"first_name", "last_name"}, From: StringList{"A", "B"}, Transform: StringList{"trim", "split"}}},
		},
		{
			name: "block lists",
			yaml: "mapping:\n  - field: name\n    from:\n      - First Name\n      - Last Name\n    join: \", \"\n",
			want: []Rule{{Field: StringList{"name"}, From: StringList{"First Name", "Last Name"}, Join: ptr(", ")}},
		},
		{
			// goccy formats the number it read: 007 becomes "7" unless quoted.
			name: "numbers and booleans as text",
			yaml: "mapping:\n  - { field: zip, from: [2023, true, 007, '007'] }\n",
			want: []Rule{{Field: StringList{"zip"}, From: StringList{"2023", "true", "7", "007"}}},
		},
		{
			name: "empty join and value are set, not absent",
			yaml: "mapping:\n  - { field: code, from: [A, B], join: \"\" }\n  - { field: status, value: \"\" }\n",
			want: []Rule{
				{Field: StringList{"code"}, From: StringList{"A", "B"}, Join: ptr("")},
				{Field: StringList{"status"}, Value: ptr("")},
			},
		},
		{
			name: "other keys",
			yaml: "mapping:\n  - { field: phone, from: Tel, transform: phone_e164, region: GB, default: none, required: true }\n",
			want: []Rule{{Field: StringList{"phone"}, From: StringList{"Tel"}, Transform: StringList{"phone_e164"}, Region: "GB", Default: "none", Required: true}},
		},
		{
			name: "null and empty list",
			yaml: "mapping:\n  - { field: status, from: ~, transform: [] }\n",
			want: []Rule{{Field: StringList{"status"}, Transform: StringList{}}},
		},
		{
			name:    "unknown key",
			yaml:    "mapping:\n  - { field: email, form: Email }\n",
			wantErr: `unknown field "form"`,
		},
		{
			name:    "mapping where a list is expected",
			yaml:    "mapping:\n  - { field: email, from: { a: 1 } }\n",
			wantErr: "want a string or a list of strings",
		},
		{
			name:    "nested list",
			yaml:    "mapping:\n  - { field: email, from: [[Email]] }\n",
			wantErr: "cannot unmarshal []interface {} into Go struct field",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeRules([]byte(tt.yaml))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

// TestJobFile decodes a job's mapping from testdata, compiles it and maps a
// row: the path a real run takes.
func TestJobFile(t *testing.T) {
	b, err := os.ReadFile("testdata/hubspot-to-close.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rules, err := decodeRules(b)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	header := []string{"First Name", "Last Name", "Email", "Phone Number", "Original Source", "Full Name", "Birthday", "2023"}
	m, err := Compile(rules, header, Options{})
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	rec, err := m.Map([]string{"Ada", "Lovelace", " Ada@Example.com", "(415) 555-2671", "Webinar", "ada KING lovelace", "10/12/1815", "zip 02134"})
	if err != nil {
		t.Fatalf("Map: %v", err)
	}
	want := Record{
		"name":               "Ada Lovelace",
		"email":              "ada@example.com",
		"phone":              "+14155552671",
		"custom.Lead Source": "Webinar",
		"status":             "Potential",
		"first_name":         "Ada King",
		"last_name":          "Lovelace",
		"birth_date":         "1815-12-10",
		"zip":                "02134",
	}
	if !maps.Equal(rec, want) {
		t.Errorf("got  %v\nwant %v", rec, want)
	}
	if got := rec.Custom(); !maps.Equal(got, map[string]string{"Lead Source": "Webinar"}) {
		t.Errorf("Custom() = %v", got)
	}
}
