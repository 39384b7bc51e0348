package jobs

import (
	"context"
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/mapping"
)

const exportJob = `name: nightly
source:
  system: fake
  object: lead
  base_url: http://127.0.0.1:1
  auth: { api_key: "${KEY}" }
  since: %s
target:
  file: out/{{job}}-{{date}}.csv
`

func exportJobText(since, extra string) string {
	return strings.Replace(exportJob, "%s", since, 1) + extra
}

func readCSVFile(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var names []string
	for _, d := range des {
		names = append(names, d.Name())
	}
	return names
}

var day = time.Date(2026, 11, 23, 22, 0, 0, 0, time.Local)

func TestExportWritesEveryRecord(t *testing.T) {
	tests := []struct {
		name    string
		mapping string
		header  []string
		row1    []string
	}{
		{"default: every column", "", peopleColumns,
			[]string{"lead_001", "Person 1", "p1@example.com", "web", "2024-03-15T10:30:00Z"}},
		{"mapping: order and names kept", `mapping:
  - { field: E-mail, from: email }
  - { field: [First, Last], from: name, transform: [split] }
  - { field: Source, from: custom.Lead Source, transform: [upper] }
`, []string{"E-mail", "First", "Last", "Source"}, []string{"p1@example.com", "Person", "1", "WEB"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			crm := &fakeCRM{columns: peopleColumns, records: people(250)}
			j := loadJob(t, dir, exportJobText("2024-01-01", tt.mapping))
			res, err := Export(context.Background(), j, fakeSystems{"fake": crm}, ExportOptions{Now: day})
			if err != nil {
				t.Fatal(err)
			}
			want := filepath.Join(dir, "out", "nightly-2026-11-23.csv")
			if res.Path != want || res.Records != 250 || res.Failed != 0 {
				t.Fatalf("result %+v, want 250 records in %s", res, want)
			}
			rows := readCSVFile(t, want)
			if len(rows) != 251 || strings.Join(rows[0], "|") != strings.Join(tt.header, "|") || strings.Join(rows[1], "|") != strings.Join(tt.row1, "|") {
				t.Fatalf("header %q row 1 %q (%d rows)", rows[0], rows[1], len(rows))
			}
			if got := crm.since[0].Since; !got.Equal(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)) {
				t.Errorf("listed since %v", got)
			}
			if got := dirEntries(t, filepath.Join(dir, "out")); len(got) != 1 {
				t.Errorf("files beside the export: %v", got)
			}
		})
	}
}

// A listing that fails (after the transport's retries) or is interrupted
// leaves the target path as it was and no partial file beside it.
func TestExportFailureLeavesNoPartialFile(t *testing.T) {
	tests := []struct {
		name   string
		failAt int
		cancel int
		want   string
	}{
		{"page fails", 180, 0, "list fake leads: list leads page 2: HTTP 503"},
		{"interrupted", 0, 120, "interrupted while listing fake leads"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			crm := &fakeCRM{columns: peopleColumns, records: people(300), failAt: tt.failAt,
				onList: func(i int) {
					if i == tt.cancel {
						cancel()
					}
				}}
			j := loadJob(t, dir, exportJobText("last_run", ""))
			target := j.TargetPath(day)
			os.MkdirAll(filepath.Dir(target), 0o755)
			os.WriteFile(target, []byte("earlier run"), 0o644)
			res, err := Export(ctx, j, fakeSystems{"fake": crm}, ExportOptions{Now: day})
			var ab *AbortError
			if !errors.As(err, &ab) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want an abort saying %q", err, tt.want)
			}
			if res == nil || res.Path != "" || res.Records == 0 {
				t.Fatalf("result %+v: want records read, no path", res)
			}
			if b, _ := os.ReadFile(target); string(b) != "earlier run" {
				t.Fatalf("target overwritten: %q", b)
			}
			if got := dirEntries(t, filepath.Dir(target)); len(got) != 1 {
				t.Fatalf("partial files left: %v", got)
			}
			if _, err := os.Stat(StatePath(j, "")); !os.IsNotExist(err) {
				t.Fatalf("a failed run recorded its state: %v", err)
			}
		})
	}
}

// Records the mapping rejects are left out and listed; the file has the rest.
func TestExportMappingFailures(t *testing.T) {
	dir := t.TempDir()
	recs := people(10)
	recs[3]["email"] = ""
	recs[6]["email"] = "not an address"
	crm := &fakeCRM{columns: peopleColumns, records: recs}
	j := loadJob(t, dir, exportJobText("2024-01-01", `mapping:
  - { field: id, from: id }
  - { field: email, from: email, transform: [email], required: true }
`))
	res, err := Export(context.Background(), j, fakeSystems{"fake": crm}, ExportOptions{Now: day})
	if err != nil {
		t.Fatal(err)
	}
	if res.Records != 8 || res.Failed != 2 || len(res.Errors) != 2 || !strings.HasPrefix(res.Errors[0], "record lead_004: ") {
		t.Fatalf("result %+v", res)
	}
	if rows := readCSVFile(t, res.Path); len(rows) != 9 {
		t.Fatalf("%d rows in the file", len(rows))
	}
}

// A mapping that reads a field the source does not have fails the job.
func TestExportMappingUnknownField(t *testing.T) {
	dir := t.TempDir()
	crm := &fakeCRM{columns: peopleColumns, records: people(1)}
	j := loadJob(t, dir, exportJobText("2024-01-01", "mapping:\n  - { field: Phone, from: phone }\n"))
	_, err := Export(context.Background(), j, fakeSystems{"fake": crm}, ExportOptions{Now: day})
	var inv *InvalidError
	if !errors.As(err, &inv) || !strings.Contains(err.Error(), "phone") || !strings.Contains(err.Error(), "custom.Lead Source") {
		t.Fatalf("err %v: want an invalid job naming the field and the source's fields", err)
	}
	if got := dirEntries(t, filepath.Join(dir, "out")); len(got) != 0 {
		t.Fatalf("files written: %v", got)
	}
}

// since: last_run lists everything the first time, then from the start of
// the last successful run (less the overlap).
func TestExportSinceLastRun(t *testing.T) {
	dir := t.TempDir()
	crm := &fakeCRM{columns: peopleColumns, records: people(3)}
	j := loadJob(t, dir, exportJobText("last_run", ""))
	before := time.Now()
	res, err := Export(context.Background(), j, fakeSystems{"fake": crm}, ExportOptions{Now: day})
	if err != nil {
		t.Fatal(err)
	}
	if !crm.since[0].Since.IsZero() || !strings.Contains(res.Note, "no successful run") {
		t.Fatalf("first run: since %v, note %q", crm.since[0].Since, res.Note)
	}
	st, ok, err := readState(StatePath(j, ""))
	if err != nil || !ok || st.LastRun.Before(before.Add(-time.Second)) || st.Records != 3 || st.System != "fake" {
		t.Fatalf("state %+v %v %v", st, ok, err)
	}
	if filepath.Dir(StatePath(j, "")) != filepath.Join(dir, "out", ".crmload-state") {
		t.Fatalf("state at %s", StatePath(j, ""))
	}
	if _, err := Export(context.Background(), j, fakeSystems{"fake": crm}, ExportOptions{Now: day.Add(24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if got, want := crm.since[1].Since, st.LastRun.Add(-sinceOverlap); !got.Equal(want) {
		t.Fatalf("second run since %v, want %v", got, want)
	}
}

func TestStatePath(t *testing.T) {
	tests := []struct{ file, report, output, want string }{
		{"/x/exports/{{job}}-{{date}}.csv", "", "", "/x/exports/.crmload-state/a_b.json"},
		{"/x/exports/{{date}}/leads.csv", "", "", "/x/exports/.crmload-state/a_b.json"},
		{"/x/exports/leads.csv", "", "/tmp/o/{{date}}.xlsx", "/tmp/o/.crmload-state/a_b.json"},
		{"", "/x/reports/{{job}}.csv", "", "/x/reports/.crmload-state/a_b.json"},
	}
	for _, tt := range tests {
		j := &Job{Name: "a/b", Report: tt.report, Target: Target{File: tt.file}}
		if got := StatePath(j, tt.output); got != filepath.FromSlash(tt.want) {
			t.Errorf("StatePath(%q, %q, %q) = %q, want %q", tt.file, tt.report, tt.output, got, tt.want)
		}
	}
}

func TestTargetPathPlaceholders(t *testing.T) {
	j := &Job{Name: "close-leads", Target: Target{File: "exports/{{job}}-{{date}}-{{time}}.xlsx"}}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.Local)
	if got := j.TargetPath(at); got != "exports/close-leads-2026-01-02-030405.xlsx" {
		t.Fatalf("TargetPath = %q", got)
	}
	if a, b := j.TargetPath(at), j.TargetPath(at.AddDate(0, 0, 1)); a == b {
		t.Fatal("the next night's file has the same name")
	}
}

// CRM → CRM: the listing becomes the rows of Execute; the report keeps the
// source records' ids and values, counts balance, and since: last_run is
// recorded only when every row succeeded.
func TestCRMToCRM(t *testing.T) {
	dir := t.TempDir()
	recs := people(30)
	recs[4]["email"] = "bounce@example.com"
	src := &fakeCRM{columns: peopleColumns, records: recs}
	dst := &fakeCRM{}
	j := loadJob(t, dir, `name: migrate
source:
  system: src
  object: lead
  base_url: http://127.0.0.1:1
  auth: { api_key: "${KEY}" }
  since: last_run
target:
  system: dst
  object: lead
  base_url: http://127.0.0.1:1
  auth: { api_key: "${KEY}" }
mode: upsert
match: [email]
mapping:
  - { field: name, from: name }
  - { field: email, from: email, required: true }
report: reports/{{job}}.csv
run: { workers: 4, rate: 1000/s }
`)
	sys := fakeSystems{"src": src, "dst": dst}
	res, err := Execute(context.Background(), j, sys, ExecOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c := res.Summary.Counts
	if res.Summary.Total != 30 || c[connector.Created] != 29 || c[connector.Failed] != 1 || !res.Summary.Balanced() {
		t.Fatalf("summary %+v", res.Summary)
	}
	rows := readCSVFile(t, res.ReportPath)
	if got := strings.Join(rows[0][6:], "|"); got != strings.Join(peopleColumns, "|") {
		t.Fatalf("report's source columns %q", got)
	}
	for _, r := range rows[1:] {
		if r[1] == "failed" && (r[0] != "5" || r[6] != "lead_005") {
			t.Fatalf("failed line %q: want row 5 with the source id lead_005", r)
		}
	}
	if _, ok, _ := readState(StatePath(j, "")); ok {
		t.Fatal("state recorded although a row failed")
	}

	// Fix the record: the next run succeeds and records its start.
	recs[4]["email"] = "p5@example.com"
	if res, err = Execute(context.Background(), j, sys, ExecOptions{}); err != nil {
		t.Fatal(err)
	}
	if c := res.Summary.Counts; c[connector.Created] != 1 || c[connector.Unchanged] != 29 {
		t.Fatalf("second run %v", c)
	}
	if _, ok, _ := readState(StatePath(j, "")); !ok {
		t.Fatal("state not recorded after a clean run")
	}
	if len(dst.stored) != 30 || dst.stored["p7@example.com"][mapping.FieldName] != "Person 7" {
		t.Fatalf("target holds %d records", len(dst.stored))
	}
}

// Ctrl-C during a CRM → CRM run: the rows read so far are reported, the run
// is cancelled (not aborted) and since: last_run keeps its state.
func TestCRMToCRMInterrupted(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	src := &fakeCRM{columns: peopleColumns, records: people(50), onList: func(i int) {
		if i == 21 {
			cancel()
		}
	}}
	j := loadJob(t, dir, `name: migrate
source: { system: src, object: lead, base_url: "http://127.0.0.1:1", auth: { api_key: k }, since: last_run }
target: { system: dst, object: lead, base_url: "http://127.0.0.1:1", auth: { api_key: k } }
mode: upsert
match: [email]
mapping:
  - { field: email, from: email }
report: report.csv
`)
	res, err := Execute(ctx, j, fakeSystems{"src": src, "dst": &fakeCRM{}}, ExecOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Cancelled || res.Summary.Total != 20 || !res.Summary.Balanced() {
		t.Fatalf("cancelled %v, summary %+v: want the 20 rows read", res.Cancelled, res.Summary)
	}
	if _, ok, _ := readState(StatePath(j, "")); ok {
		t.Fatal("an interrupted run recorded its state")
	}
}
