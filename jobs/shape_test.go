package jobs

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const (
	srcFile    = "source:\n  file: people.csv\n"
	srcCRM     = "source:\n  system: close\n  object: lead\n  base_url: sandbox\n"
	tgtCRM     = "target:\n  system: qlara\n  object: contact\n  base_url: sandbox\n"
	tgtFile    = "target:\n  file: exports/{{job}}-{{date}}.xlsx\n"
	importBody = "mode: upsert\nmatch: [email]\nmapping:\n  - { field: email, from: email }\n"
)

// Every combination of source and target, and the keys that do not belong.
func TestJobShapes(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string // substrings of the problems; none means valid
	}{
		{"import", srcFile + tgtCRM + importBody, nil},
		{"export", srcCRM + tgtFile, nil},
		{"export with mapping and options", srcCRM + "  since: last_run\n  async: true\n" +
			"target:\n  file: x.xlsx\n  sheet: Leads\n  formulas: keep\nmapping:\n  - { field: E-mail, from: email }\n", nil},
		{"CRM to CRM", srcCRM + tgtCRM + importBody, nil},
		{"file to file", srcFile + tgtFile, []string{"a file to a file is not a job"}},
		{"no source", tgtCRM + importBody, []string{"source: missing: give file"}},
		{"no target", srcFile + importBody, []string{"target: missing: give system"}},
		{"both source kinds", "source:\n  file: a.csv\n  system: close\n  object: lead\n  base_url: sandbox\n" + tgtFile,
			[]string{"source: give file (a CSV, TSV or XLSX to read) or system"}},
		{"both target kinds", srcCRM + "target:\n  file: a.csv\n  system: close\n", []string{"target: give system"}},
		{"file source with since", "source:\n  file: a.csv\n  since: last_run\n" + tgtCRM + importBody,
			[]string{"source.since: only for a CRM source"}},
		{"CRM source with sheet", "source:\n  system: close\n  object: lead\n  base_url: sandbox\n  sheet: x\n" + tgtFile,
			[]string{"source.sheet: only for a file source"}},
		{"CRM source without object", "source:\n  system: close\n  base_url: sandbox\n" + tgtFile,
			[]string{"source.object: missing"}},
		{"export with mode and report", srcCRM + tgtFile + importBody + "report: r.csv\n",
			[]string{"mode: an export writes a file", "match: an export writes a file", "report: an export writes no per-row report"}},
		{"file target with object", srcCRM + "target:\n  file: a.csv\n  object: lead\n", []string{"target.object: only for a CRM target"}},
		{"CRM target with formulas", srcFile + tgtCRM + "  formulas: keep\n" + importBody, []string{"target.formulas: only for a file target"}},
		{"bad extension", srcCRM + "target:\n  file: a.json\n", []string{`target.file: "a.json" is not a .csv, .tsv or .xlsx file`}},
		{"sheet on csv", srcCRM + "target:\n  file: a.csv\n  sheet: x\n", []string{"target.sheet: only an .xlsx file has sheets"}},
		{"bad formulas", srcCRM + "target:\n  file: a.csv\n  formulas: eval\n", []string{`target.formulas: "eval" is not keep`}},
		{"same sandbox both sides", srcCRM + "target:\n  system: close\n  object: lead\n  base_url: sandbox\n" + importBody,
			[]string{"same embedded close sandbox"}},
		{"CRM to CRM needs a mapping", srcCRM + tgtCRM + "mode: create\n", []string{"mapping: empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("/jobs/job.yaml", []byte(tt.text), func(string) (string, bool) { return "", false })
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("valid job refused: %v", err)
				}
				return
			}
			var inv *InvalidError
			if !errors.As(err, &inv) {
				t.Fatalf("err %v, want an *InvalidError", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("problems do not say %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestSince(t *testing.T) {
	tests := []struct {
		yaml string
		want Since
		err  string
	}{
		{"last_run", Since{LastRun: true}, ""},
		{"2024-01-31", Since{At: time.Date(2024, 1, 31, 0, 0, 0, 0, time.UTC)}, ""},
		{"2024-01-31T22:00:00Z", Since{At: time.Date(2024, 1, 31, 22, 0, 0, 0, time.UTC)}, ""},
		{`"2024-01-31T22:00:00+02:00"`, Since{At: time.Date(2024, 1, 31, 20, 0, 0, 0, time.UTC)}, ""},
		{"yesterday", Since{}, `"yesterday" is not last_run, a date`},
		{"lastrun", Since{}, `"lastrun" is not last_run`},
	}
	for _, tt := range tests {
		t.Run(tt.yaml, func(t *testing.T) {
			j, err := Parse("/j.yaml", []byte(srcCRM+"  since: "+tt.yaml+"\n"+tgtFile), nil)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := j.Source.Since; got.LastRun != tt.want.LastRun || !got.At.Equal(tt.want.At) {
				t.Fatalf("since = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// Source CRM blocks expand ${VAR}s like target blocks; paths are relative
// to the job file.
func TestExportJobExpansion(t *testing.T) {
	env := map[string]string{"KEY": "s3cret", "HOST": "https://api.close.com"}
	_, err := Parse("/jobs/x.yaml", []byte("source:\n  system: close\n  object: lead\n  base_url: ${HOST}/api/v1\n  auth: { api_key: \"${KEY}\" }\n  options: { page_size: \"${MISSING}\" }\ntarget:\n  file: ../exports/a.csv\n"),
		func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err == nil || !strings.Contains(err.Error(), "source.options.page_size: environment variable MISSING is not set") {
		t.Fatalf("err %v", err)
	}
	env["MISSING"] = "10"
	j, err := Parse("/jobs/x.yaml", []byte("source:\n  system: close\n  object: lead\n  base_url: ${HOST}/api/v1\n  auth: { api_key: \"${KEY}\" }\ntarget:\n  file: ../exports/a.csv\n"),
		func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if j.Source.BaseURL != "https://api.close.com/api/v1" || j.Source.Auth.APIKey != "s3cret" || j.Target.File != filepath.FromSlash("/exports/a.csv") {
		t.Fatalf("source %+v target %q", j.Source, j.Target.File)
	}
	if j.Report != "" {
		t.Fatalf("an export got a default report %q", j.Report)
	}
}

// Check: a source system that cannot list, unknown systems, missing auth;
// a mapping is checked without the source's columns.
func TestCheckExport(t *testing.T) {
	sys := fakeSystems{"close": &fakeCRM{}, "closem": writeOnly{}}
	tests := []struct {
		name, text string
		want       []string
	}{
		{"ok", srcCRM + tgtFile, nil},
		{"cannot list", "source:\n  system: closem\n  object: contact\n  base_url: sandbox\n" + tgtFile,
			[]string{"CLOSEM's API has no list endpoint"}},
		{"unknown system", "source:\n  system: hubspot\n  object: lead\n  base_url: sandbox\n" + tgtFile,
			[]string{`source: unknown system "hubspot"`}},
		{"no auth", "source:\n  system: close\n  object: lead\n  base_url: https://api.close.com/api/v1\n" + tgtFile,
			[]string{"source.auth: missing"}},
		{"bad transform", srcCRM + tgtFile + "mapping:\n  - { field: E, from: email, transform: [lowr] }\n",
			[]string{`unknown transform "lowr"`}},
		{"CRM to CRM target checked", srcCRM + "target:\n  system: closem\n  object: contact\n  base_url: sandbox\n" + importBody, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "j.yaml")
			os.WriteFile(path, []byte(tt.text), 0o644)
			j, err := Load(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			err = Check(j, sys)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			for _, w := range tt.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("err %v, want %q", err, w)
				}
			}
		})
	}
}
