package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/internal/sandbox"
	closesb "github.com/crmload/crmload/internal/sandbox/closecrm"
	"github.com/crmload/crmload/mapping"
)

// CRM → CRM end to end: Closum leads, listed over several pages, upserted
// into Close through the runner. One report line per source record, with
// its id and values; counts balance; a second run creates nothing.
func TestClosumToClose(t *testing.T) {
	from := serveFake(t, "closum", sandbox.Options{})
	to := serveFake(t, "close", sandbox.Options{})
	const n, noPhone = 45, 5
	recs := make([]mapping.Record, n)
	for i := range recs {
		recs[i] = mapping.Record{"name": fmt.Sprintf("Person %d", i+1), "email": fmt.Sprintf("p%d@example.com", i+1)}
		if i >= noPhone {
			recs[i]["phone"] = fmt.Sprintf("+1415555%04d", 1000+i)
		}
	}
	from.seed(t, "closum", connector.Lead, recs)

	dir := t.TempDir()
	text := fmt.Sprintf(`name: migrate
source:
  system: closum
  object: lead
  base_url: %s
  auth: { api_key: "${KEY}" }
  options: { page_size: "20" }
target:
  system: close
  object: lead
  base_url: %s
  auth: { api_key: "${KEY}" }
mode: upsert
match: [email]
mapping:
  - { field: company, from: name }
  - { field: email, from: email, required: true }
  - { field: phone, from: phone, required: true }
run: { workers: 4, rate: 500/s }
report: report.csv
`, from.url, to.url)
	job := filepath.Join(dir, "job.yaml")
	if err := os.WriteFile(job, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	c := exportCLI(t)
	if code, out, errOut := c.run("validate", job); code != exitOK || !strings.Contains(out, "upsert lead from closum into close") {
		t.Fatalf("validate: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut := c.run("run", job)
	if code != exitFailed {
		t.Fatalf("exit %d, want 1 (rows without a phone fail)\n%s\n%s", code, out, errOut)
	}
	if s := summaryCounts(t, out); s["total"] != n || s["created"] != n-noPhone || s["failed"] != noPhone {
		t.Fatalf("summary %v", s)
	}
	lines := readReport(t, filepath.Join(dir, "report.csv"), n)
	// The report's own columns come first, then the source record's.
	srcHeader := readCSVRows(t, filepath.Join(dir, "report.csv"))[0][6:]
	id, email := column(t, srcHeader, "id"), column(t, srcHeader, "email")
	seen := map[string]bool{}
	for _, l := range lines {
		src := l.Values[id]
		if src == "" || seen[src] {
			t.Fatalf("row %d: source id %q empty or twice", l.Row, src)
		}
		seen[src] = true
		if l.Status == connector.Failed && (!strings.Contains(l.Error, "phone") || l.Values[email] == "") {
			t.Fatalf("failed row %d keeps %q: %s", l.Row, l.Values, l.Error)
		}
	}
	if got := len(to.fake.(*closesb.Fake).Leads()); got != n-noPhone {
		t.Fatalf("close holds %d leads", got)
	}

	code, out, _ = c.run("run", job)
	if s := summaryCounts(t, out); code != exitFailed || s["created"] != 0 || s["unchanged"] != n-noPhone {
		t.Fatalf("second run: exit %d %v", code, s)
	}
}
