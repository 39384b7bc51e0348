package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/internal/tabular"
)

// countSourceRows counts the data rows of a source file.
func countSourceRows(t *testing.T, path string) int {
	t.Helper()
	r, err := tabular.Open(path, tabular.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n := 0
	for {
		if _, err := r.Next(); errors.Is(err, io.EOF) {
			return n
		} else if err != nil {
			t.Fatal(err)
		}
		n++
	}
}

// TestInitValidateRun generates a job from the HubSpot sample into a
// directory apart from the data, then validates and runs it as generated.
func TestInitValidateRun(t *testing.T) {
	dir := t.TempDir()
	jobPath := filepath.Join(dir, "jobs", "import.yaml")
	if err := os.Mkdir(filepath.Dir(jobPath), 0o755); err != nil {
		t.Fatal(err)
	}
	sample := filepath.Join("..", "..", "samples", "data", "hubspot-contacts.csv")
	c := newCLI(t)
	if code, _, stderr := c.run("init", sample, "-o", jobPath); code != exitOK {
		t.Fatalf("init: exit %d: %s", code, stderr)
	}
	text, err := os.ReadFile(jobPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"match: [email]", "base_url: sandbox", `# auth: { api_key: "${CLOSE_API_KEY}" }`,
		"{ field: email, from: Email, transform: [trim, lower, email], required: true }",
		"{ field: phone, from: Phone Number, transform: [phone_e164] }",
		"# not mapped: Record ID, Lifecycle Stage, Lead Status, Original Source, Create Date"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("job lacks %q:\n%s", want, text)
		}
	}
	// The source path is relative to the job's directory.
	abs, _ := filepath.Abs(sample)
	rel, _ := filepath.Rel(filepath.Dir(jobPath), abs)
	if !strings.Contains(string(text), "file: "+filepath.ToSlash(rel)+"\n") {
		t.Errorf("source is not %q:\n%s", rel, text)
	}

	if code, stdout, stderr := c.run("validate", jobPath); code != exitOK {
		t.Fatalf("validate: exit %d\n%s%s\njob:\n%s", code, stdout, stderr, text)
	}

	reportPath := filepath.Join(dir, "report.csv")
	code, stdout, stderr := c.run("run", jobPath, "--sandbox-dir", filepath.Join(dir, "sandbox"), "--report", reportPath)
	if code != exitOK && code != exitFailed {
		t.Fatalf("run: exit %d\n%s%s", code, stdout, stderr)
	}
	rows := countSourceRows(t, sample)
	got := counts(readReport(t, reportPath, rows))
	if ok := got[connector.Created] + got[connector.Updated] + got[connector.Unchanged]; ok*10 < rows*8 {
		t.Errorf("only %d of %d rows written: %v", ok, rows, got)
	}
}

func TestInitRefusesToOverwrite(t *testing.T) {
	dir := t.TempDir()
	src := writeCSV(t, dir, "people.csv", [][]string{{"Email", "Name"}, {"a@example.com", "A"}})
	out := filepath.Join(dir, "job.yaml")
	if err := os.WriteFile(out, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := newCLI(t).run("init", src, "-o", out)
	if code == exitOK || !strings.Contains(stderr, "already exists") {
		t.Errorf("exit %d, stderr %q; want a refusal", code, stderr)
	}
	if b, _ := os.ReadFile(out); string(b) != "keep me" {
		t.Errorf("file overwritten: %q", b)
	}
}

func TestInitStdout(t *testing.T) {
	dir := t.TempDir()
	src := writeCSV(t, dir, "people.tsv", [][]string{{"Full Name\tMobile Phone\tBirthday\tFavourite: colour"}, {"Ann Lee\t+14155550123\t1990-01-02\tblue"}})
	tests := []struct {
		name    string
		args    []string
		code    int
		want    []string
		notWant []string
	}{
		{
			name: "close lead drops birth_date, matches on phone",
			args: []string{"init", src},
			code: exitOK,
			want: []string{"file: " + src + "\n", "match: [phone]", "{ field: name, from: Full Name, transform: [trim, title] }",
				"# - { field: birth_date, from: Birthday, transform: [date] }   # close leads have no birth_date field",
				`# not mapped: Favourite: colour`},
		},
		{
			name:    "closum contact keeps birth_date",
			args:    []string{"init", src, "--system", "closum", "--object", "contact"},
			code:    exitOK,
			want:    []string{"  - { field: birth_date, from: Birthday, transform: [date] }", `# auth: { api_key: "${CLOSUM_API_KEY}" }`},
			notWant: []string{"# - { field: birth_date"},
		},
		{name: "unknown system", args: []string{"init", src, "--system", "nope"}, code: exitInvalid},
		{name: "bad mode", args: []string{"init", src, "--mode", "merge"}, code: exitInvalid},
		{name: "missing file", args: []string{"init", filepath.Join(dir, "none.csv")}, code: exitInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := newCLI(t).run(tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d: %s", code, tt.code, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stdout, w) {
					t.Errorf("output lacks %q:\n%s", w, stdout)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(stdout, w) {
					t.Errorf("output has %q:\n%s", w, stdout)
				}
			}
		})
	}
}

func TestYAMLScalar(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Email", "Email"},
		{"State/Region", "State/Region"},
		{"Person - Email", "Person - Email"},
		{"Favourite: colour", `"Favourite: colour"`},
		{"a, b", `"a, b"`},
		{"#tag", `"#tag"`},
		{"yes", `"yes"`},
		{"2023", `"2023"`},
		{"", `""`},
		{"Ann ", `"Ann "`},
	}
	for _, tt := range tests {
		if got := yamlScalar(tt.in); got != tt.want {
			t.Errorf("yamlScalar(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}
