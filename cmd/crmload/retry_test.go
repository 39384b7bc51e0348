package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/internal/sandbox"
)

// Rows fail (5xx beyond the retry budget, a value Close refuses); the cause
// is fixed; retry re-sends only those rows, until every row succeeded, with
// no duplicates.
func TestRetryUntilNothingFails(t *testing.T) {
	fake, url := closeSandbox(t, sandbox.Faults{Error5xx: 0.3, Seed: 3})
	dir := t.TempDir()
	const n = 40
	rows := people(n, "x")
	rows[0] = append(rows[0], "Site")
	for i := 1; i <= n; i++ {
		site := "https://acme.example"
		if i%8 == 0 {
			site = "acme.example" // Close wants an absolute URL: a 400 for this row
		}
		rows[i] = append(rows[i], site)
	}
	src := writeCSV(t, dir, "people.csv", rows)
	mapping := fmt.Sprintf(leadMapping, "upsert") + "  - { field: url, from: Site }\n"
	jobPath := job(t, dir, src, url, mapping)
	setRun(t, jobPath, "run:\n  workers: 4\n  rate: 200/s\n  retries: 0\n")
	c := newCLI(t)

	code, out, errOut := c.run("run", jobPath)
	first := readReport(t, filepath.Join(dir, "report.csv"), n)
	cnt := counts(first)
	if code != exitFailed || cnt[connector.Failed] <= n/8 {
		t.Fatalf("first run: exit %d counts %v (want 5xx and URL failures)\n%s\n%s", code, cnt, out, errOut)
	}
	failed := cnt[connector.Failed]

	// The server is fixed: the 5xx rows now succeed, the URL rows still fail.
	fake.SetFaults(sandbox.Faults{})
	rep1 := filepath.Join(dir, "retry1.csv")
	code, out, _ = c.run("retry", filepath.Join(dir, "report.csv"), "--report", rep1)
	lines := map[int]bool{}
	retry1 := readReportRows(t, rep1)
	for _, l := range retry1 {
		lines[l.Row] = true
		if first[l.Row].Status != connector.Failed {
			t.Fatalf("retry re-sent row %d, which had %s", l.Row, first[l.Row].Status)
		}
	}
	if code != exitFailed || len(retry1) != failed || !strings.Contains(out, fmt.Sprintf("%d now succeed, %d still fail", failed-n/8, n/8)) {
		t.Fatalf("retry 1: exit %d, %d rows re-sent of %d failed\n%s", code, len(retry1), failed, out)
	}

	// The mapping is fixed: retry refuses a changed job without --force.
	text, _ := os.ReadFile(jobPath)
	os.WriteFile(jobPath, []byte(strings.Replace(string(text), "{ field: url, from: Site }", "{ field: url, from: Site, transform: [url] }", 1)), 0o644)
	if code, _, errOut := c.run("retry", rep1); code != exitInvalid || !strings.Contains(errOut, "--force") {
		t.Fatalf("changed job: exit %d %s", code, errOut)
	}
	rep2 := filepath.Join(dir, "retry2.csv")
	code, out, errOut = c.run("retry", rep1, "--force", "--report", rep2)
	if code != 0 || len(readReportRows(t, rep2)) != n/8 || !strings.Contains(out, fmt.Sprintf("%d now succeed, 0 still fail", n/8)) {
		t.Fatalf("retry 2: exit %d\n%s\n%s", code, out, errOut)
	}
	if leads := fake.Leads(); len(leads) != n {
		t.Fatalf("sandbox holds %d leads, want %d (no duplicates, none missing)", len(leads), n)
	}
}

// readReportRows reads a report whose row numbers are not 1..n (a retry's).
func readReportRows(t *testing.T, path string) []reportLine {
	t.Helper()
	var out []reportLine
	seen := map[int]bool{}
	if err := readAll(path, func(l reportLine) {
		if seen[l.Row] {
			t.Errorf("row %d twice in %s", l.Row, path)
		}
		seen[l.Row] = true
		out = append(out, l)
	}); err != nil {
		t.Fatal(err)
	}
	return out
}
