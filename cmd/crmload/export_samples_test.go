package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// copySamples copies samples/jobs and samples/data into a temporary root,
// so that the samples' outputs (../../exports, ../../reports) land there and
// not in the repository. The jobs' rates, sized for real APIs, are raised:
// the embedded sandboxes have no limit and the test has no time to wait.
func copySamples(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for _, sub := range []string{"jobs", "data"} {
		src := filepath.Join("..", "..", "samples", sub)
		dst := filepath.Join(root, "samples", sub)
		if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
			t.Fatal(err)
		}
	}
	jobs, err := filepath.Glob(filepath.Join(root, "samples", "jobs", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rate := regexp.MustCompile(`(?m)^(\s+rate:) .*$`)
	for _, j := range jobs {
		b, err := os.ReadFile(j)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(j, rate.ReplaceAll(b, []byte("$1 5000/s")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// The export samples and the CRM → CRM sample, run as their comments say
// on a fresh machine: first the import that fills the sandbox, then the job.
func TestExportSamples(t *testing.T) {
	t.Parallel() // mostly waiting on rate limits: overlap with the others
	root := copySamples(t)
	jobsDir := filepath.Join(root, "samples", "jobs")
	sb := filepath.Join(root, ".crmload", "sandbox")
	c := newCLI(t)
	run := func(cmd, name string, want ...int) string {
		t.Helper()
		args := []string{cmd, filepath.Join(jobsDir, name)}
		if cmd != "validate" {
			args = append(args, "--sandbox-dir", sb)
		}
		code, out, errOut := c.run(args...)
		for _, w := range want {
			if code == w {
				return out
			}
		}
		t.Fatalf("%s %s: exit %d, want %v\n%s\n%s", cmd, name, code, want, out, errOut)
		return ""
	}
	exports := []struct{ job, seed, file string }{
		{"close-leads-export.yaml", "quickstart.yaml", "close-leads-export-{{date}}.xlsx"},
		{"closum-leads-export.yaml", "closum-import.yaml", "closum-leads-export-{{date}}.csv"},
		{"closum-v1-leads-export.yaml", "closum-v1-import.yaml", "closum-v1-leads-export-{{date}}-"},
		{"qlara-contacts-export.yaml", "qlara-import.yaml", "qlara-contacts-export-{{date}}.csv"},
	}
	for _, e := range exports {
		run("validate", e.job, exitOK)
	}
	run("validate", "closum-to-close.yaml", exitOK)

	for _, e := range exports {
		run("run", e.seed, exitOK, exitFailed) // the sample data has bad rows on purpose
		date := time.Now().Format("2006-01-02")
		out := run("export", e.job, exitOK)
		prefix := strings.ReplaceAll(e.file, "{{date}}", date)
		var path string
		for _, n := range dirNames(t, filepath.Join(root, "exports")) {
			if strings.HasPrefix(n, prefix) {
				path = filepath.Join(root, "exports", n)
			}
		}
		if path == "" || !strings.Contains(out, path) {
			t.Fatalf("%s: no %s* in exports/ (%v)\n%s", e.job, prefix, dirNames(t, filepath.Join(root, "exports")), out)
		}
		if rows := countRows(t, path); rows < 250 {
			t.Fatalf("%s: %d records exported; the sample import put ~290 in the sandbox", e.job, rows)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "exports", ".crmload-state", "close-leads-export.json")); err != nil {
		t.Fatalf("since: last_run left no state: %v", err)
	}

	out := run("run", "closum-to-close.yaml", exitOK)
	if s := summaryCounts(t, out); s["total"] < 250 || s["failed"] != 0 {
		t.Fatalf("closum-to-close: %v", s)
	}
	out = run("run", "closum-to-close.yaml", exitOK)
	if s := summaryCounts(t, out); s["created"] != 0 || s["updated"] != 0 {
		t.Fatalf("closum-to-close again: %v, want nothing created or updated", s)
	}
}

// countRows counts the data rows of an exported CSV or XLSX file.
func countRows(t *testing.T, path string) int {
	t.Helper()
	if !strings.HasSuffix(path, ".xlsx") {
		return len(readCSVRows(t, path)) - 1
	}
	x, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, err := x.GetRows(x.GetSheetList()[0])
	if err != nil {
		t.Fatal(err)
	}
	return len(rows) - 1
}
