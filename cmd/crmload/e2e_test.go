package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/internal/report"
	"github.com/crmload/crmload/internal/sandbox"
	closesb "github.com/crmload/crmload/internal/sandbox/closecrm"
	"github.com/crmload/crmload/internal/systems"
)

// cli runs crmload in-process.
type cli struct {
	t       *testing.T
	env     map[string]string
	signals chan os.Signal
}

func newCLI(t *testing.T) *cli {
	return &cli{t: t, env: map[string]string{"CLOSE_KEY": sandbox.DefaultKey}}
}

func (c *cli) run(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = Main(args, Env{
		Stdout:  &out,
		Stderr:  &errb,
		Getenv:  func(k string) (string, bool) { v, ok := c.env[k]; return v, ok },
		Systems: systems.New(),
		Signals: c.signals,
	})
	return code, out.String(), errb.String()
}

// closeSandbox serves a fresh Close fake for one test.
func closeSandbox(t *testing.T, f sandbox.Faults) (*closesb.Fake, string) {
	t.Helper()
	fake := closesb.New(sandbox.Options{Faults: f})
	srv, err := sandbox.Start(fake, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close(); fake.Close() })
	return fake, srv.URL + fake.BasePath()
}

// writeCSV writes rows (the first is the header) to a file in dir.
func writeCSV(t *testing.T, dir, name string, rows [][]string) string {
	t.Helper()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.WriteAll(rows)
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// job writes a job file targeting baseURL; body holds mode, match, mapping…
func job(t *testing.T, dir, source, baseURL, body string) string {
	t.Helper()
	text := fmt.Sprintf(`name: test
source:
  file: %s
target:
  system: close
  object: lead
  base_url: %s
  auth: { api_key: "${CLOSE_KEY}" }
run:
  workers: 4
  rate: 200/s
report: report.csv
%s`, source, baseURL, body)
	path := filepath.Join(dir, "job.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// readReport returns the report's lines and checks the contract: one line
// per input row, no row twice, counts balanced.
func readReport(t *testing.T, path string, wantRows int) map[int]report.Line {
	t.Helper()
	path = latestReport(path)
	lines := map[int]report.Line{}
	var rest *report.Line
	err := report.Read(path, func(_ []string, l report.Line) error {
		if l.Rest {
			rest = &l
			return nil
		}
		if _, dup := lines[l.Row]; dup {
			t.Errorf("row %d twice in the report", l.Row)
		}
		lines[l.Row] = l
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if rest != nil { // rows from rest.Row on were not read: it stands for them
		for i := rest.Row; i <= wantRows; i++ {
			if _, dup := lines[i]; dup {
				t.Errorf("row %d both reported and in the unread range from %d", i, rest.Row)
			}
			lines[i] = report.Line{Row: i, Status: rest.Status, Error: rest.Error, Rest: true}
		}
	}
	if len(lines) != wantRows {
		t.Fatalf("report has %d lines, want one per input row (%d)", len(lines), wantRows)
	}
	for i := 1; i <= wantRows; i++ {
		if _, ok := lines[i]; !ok {
			t.Fatalf("row %d missing from the report", i)
		}
	}
	return lines
}

// latestReport returns the report the last run wrote for a job whose
// report name is fixed: runs never overwrite one, so the n-th run of it
// writes NAME-n.csv.
func latestReport(path string) string {
	ext := filepath.Ext(path)
	base := strings.TrimSuffix(path, ext)
	for n := 2; ; n++ {
		next := fmt.Sprintf("%s-%d%s", base, n, ext)
		if _, err := os.Stat(next); err != nil {
			return path
		}
		path = next
	}
}

func counts(lines map[int]report.Line) map[connector.Status]int {
	c := map[connector.Status]int{}
	for _, l := range lines {
		c[l.Status]++
	}
	return c
}

// summaryCounts parses "rows N: created a, updated b, …" and checks it balances.
func summaryCounts(t *testing.T, stdout string) map[string]int {
	t.Helper()
	for _, line := range strings.Split(stdout, "\n") {
		rest, ok := strings.CutPrefix(line, "rows ")
		if !ok {
			continue
		}
		total, parts, _ := strings.Cut(rest, ": ")
		out := map[string]int{}
		sum := 0
		for _, p := range strings.Split(parts, ", ") {
			name, n, _ := strings.Cut(p, " ")
			v, _ := strconv.Atoi(n)
			out[name] = v
			sum += v
		}
		if tn, _ := strconv.Atoi(total); tn != sum {
			t.Fatalf("summary does not balance: %q", line)
		}
		out["total"] = sum
		return out
	}
	t.Fatalf("no summary in output:\n%s", stdout)
	return nil
}

const leadMapping = `mode: %s
match: [email]
region: US
mapping:
  - { field: company, from: Company }
  - { field: name, from: Name, transform: [trim, title] }
  - { field: email, from: Email, transform: [trim, lower, email], required: true }
  - { field: phone, from: Phone, transform: [phone_e164] }
  - { field: title, from: Title }
`

func people(n int, title string) [][]string {
	rows := [][]string{{"Company", "Name", "Email", "Phone", "Title"}}
	for i := 1; i <= n; i++ {
		rows = append(rows, []string{fmt.Sprintf("Acme %d", i), fmt.Sprintf("person %d", i),
			fmt.Sprintf(" P%d@Example.com ", i), fmt.Sprintf("(415) 555-%04d", 1000+i), title})
	}
	return rows
}

func TestCreateUpdateUpsert(t *testing.T) {
	fake, url := closeSandbox(t, sandbox.Faults{})
	dir := t.TempDir()
	c := newCLI(t)
	src := writeCSV(t, dir, "people.csv", people(6, "Engineer"))

	code, out, errOut := c.run("run", job(t, dir, src, url, fmt.Sprintf(leadMapping, "create")))
	if code != 0 {
		t.Fatalf("create: exit %d\n%s\n%s", code, out, errOut)
	}
	if s := summaryCounts(t, out); s["created"] != 6 {
		t.Fatalf("create: %v", s)
	}
	lines := readReport(t, filepath.Join(dir, "report.csv"), 6)
	if len(fake.Leads()) != 6 || lines[1].ID == "" || lines[1].Attempts != 1 {
		t.Fatalf("sandbox has %d leads; line 1 = %+v", len(fake.Leads()), lines[1])
	}
	l, _ := fake.Lead(lines[3].ID)
	if l.Name != "Acme 3" || len(l.Contacts) != 1 || l.Contacts[0].Name != "Person 3" ||
		l.Contacts[0].Emails[0].Email != "p3@example.com" || l.Contacts[0].Phones[0].Phone != "+14155551003" {
		t.Fatalf("lead 3 stored as %+v", l)
	}

	// update: new titles; every row updates, nothing is created.
	src = writeCSV(t, dir, "people.csv", people(6, "Manager"))
	code, out, _ = c.run("run", job(t, dir, src, url, fmt.Sprintf(leadMapping, "update")))
	if s := summaryCounts(t, out); code != 0 || s["updated"] != 6 || len(fake.Leads()) != 6 {
		t.Fatalf("update: exit %d %v, %d leads", code, s, len(fake.Leads()))
	}
	l, _ = fake.Lead(lines[3].ID)
	if !strings.EqualFold(l.Contacts[0].Title, "Manager") {
		t.Fatalf("title not updated: %+v", l.Contacts[0])
	}

	// upsert with two more people: 2 created, 6 unchanged; then again: 0 created.
	src = writeCSV(t, dir, "people.csv", people(8, "Manager"))
	code, out, _ = c.run("run", job(t, dir, src, url, fmt.Sprintf(leadMapping, "upsert")))
	if s := summaryCounts(t, out); code != 0 || s["created"] != 2 || s["unchanged"] != 6 {
		t.Fatalf("upsert: exit %d %v", code, s)
	}
	code, out, _ = c.run("run", job(t, dir, src, url, fmt.Sprintf(leadMapping, "upsert")))
	if s := summaryCounts(t, out); code != 0 || s["created"] != 0 || s["unchanged"] != 8 || len(fake.Leads()) != 8 {
		t.Fatalf("upsert again: exit %d %v, %d leads", code, s, len(fake.Leads()))
	}
}

// Every transform, end to end: what the sandbox stores is what the mapping made.
func TestTransformsEndToEnd(t *testing.T) {
	fake, url := closeSandbox(t, sandbox.Faults{})
	dir := t.TempDir()
	src := writeCSV(t, dir, "t.csv", [][]string{
		{"Full Name", "Mail", "Tel", "Org", "Since", "Site", "Source"},
		{"  jean-luc   PICARD ", " JL@Enterprise.Example ", "+44 20 7946 0958", "starfleet", "15/03/2023", "enterprise.example", "word of mouth"},
	})
	body := `mode: upsert
match: [email]
mapping:
  - { field: [first_name, last_name], from: Full Name, transform: [trim, title, split] }
  - { field: email, from: Mail, transform: [trim, lower, email] }
  - { field: phone, from: Tel, transform: [phone_e164], region: GB }
  - { field: company, from: Org, transform: [upper] }
  - { field: description, from: [Since, Source], join: " / ", transform: [trim] }
  - { field: custom.Lead Source, from: Since, transform: [date], layouts: [DD/MM/YYYY] }
  - { field: url, from: Site, transform: [url] }
`
	code, out, errOut := newCLI(t).run("run", job(t, dir, src, url, body))
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	leads := fake.Leads()
	if len(leads) != 1 {
		t.Fatalf("%d leads", len(leads))
	}
	l := leads[0]
	ct := l.Contacts[0]
	srcID, _ := fake.CustomFieldID("lead", "Lead Source")
	checks := []struct{ what, got, want string }{
		{"split+title name", ct.Name, "Jean-Luc Picard"},
		{"lower+email", ct.Emails[0].Email, "jl@enterprise.example"},
		{"phone_e164", ct.Phones[0].Phone, "+442079460958"},
		{"upper", l.Name, "STARFLEET"},
		{"join", l.Description, "15/03/2023 / word of mouth"},
		{"date", fmt.Sprint(l.Custom[srcID]), "2023-03-15"},
		{"url", l.URL, "https://enterprise.example"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: stored %q, want %q", c.what, c.got, c.want)
		}
	}
}

// A 429 storm: the sandbox limits hard and injects random 429s (some bare);
// every row still succeeds.
func TestRateLimitStorm(t *testing.T) {
	t.Parallel() // mostly waiting on rate limits: overlap with the others
	fake, url := closeSandbox(t, sandbox.Faults{RatePerSecond: 50, Burst: 3, Error429: 0.1, Seed: 1})
	dir := t.TempDir()
	src := writeCSV(t, dir, "people.csv", people(40, "Engineer"))
	code, out, errOut := newCLI(t).run("run", job(t, dir, src, url, fmt.Sprintf(leadMapping, "upsert")))
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	lines := readReport(t, filepath.Join(dir, "report.csv"), 40)
	if c := counts(lines); c[connector.Created] != 40 || len(fake.Leads()) != 40 {
		t.Fatalf("counts %v, %d leads", c, len(fake.Leads()))
	}
	_, limited, injected := fake.Gate().Stats()
	if limited+injected == 0 {
		t.Fatal("the storm never happened: no 429 was sent")
	}
}

func TestRejectedKeyExitsFast(t *testing.T) {
	fake, url := closeSandbox(t, sandbox.Faults{})
	dir := t.TempDir()
	c := newCLI(t)
	c.env["CLOSE_KEY"] = "wrong-key"
	src := writeCSV(t, dir, "people.csv", people(50, "x"))
	start := time.Now()
	code, _, errOut := c.run("run", job(t, dir, src, url, fmt.Sprintf(leadMapping, "upsert")))
	if code != exitAborted || time.Since(start) > 5*time.Second {
		t.Fatalf("exit %d after %v, want 3 at once\n%s", code, time.Since(start), errOut)
	}
	if !strings.Contains(errOut, "401") || strings.Contains(errOut, "wrong-key") {
		t.Fatalf("message %q: want the 401 and no key", errOut)
	}
	if req, _, _ := fake.Gate().Stats(); req > 2 {
		t.Fatalf("%d requests for a rejected key", req)
	}
}

func TestMissingEnvVarIsInvalidJob(t *testing.T) {
	_, url := closeSandbox(t, sandbox.Faults{})
	dir := t.TempDir()
	c := newCLI(t)
	delete(c.env, "CLOSE_KEY")
	src := writeCSV(t, dir, "people.csv", people(1, "x"))
	code, _, errOut := c.run("validate", job(t, dir, src, url, fmt.Sprintf(leadMapping, "upsert")))
	if code != exitInvalid || !strings.Contains(errOut, "CLOSE_KEY is not set") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}

// Ctrl-C: the calls in flight finish, the rest are reported skipped, and the
// report is complete.
func TestInterruptWritesCompleteReport(t *testing.T) {
	fake, url := closeSandbox(t, sandbox.Faults{Latency: 20 * time.Millisecond})
	dir := t.TempDir()
	c := newCLI(t)
	c.signals = make(chan os.Signal, 1)
	src := writeCSV(t, dir, "people.csv", people(200, "x"))
	go func() {
		for {
			time.Sleep(10 * time.Millisecond)
			if len(fake.Leads()) >= 10 {
				c.signals <- os.Interrupt
				return
			}
		}
	}()
	code, out, errOut := c.run("run", job(t, dir, src, url, fmt.Sprintf(leadMapping, "upsert")))
	if code != exitAborted {
		t.Fatalf("exit %d, want 3\n%s\n%s", code, out, errOut)
	}
	lines := readReport(t, filepath.Join(dir, "report.csv"), 200)
	cnt := counts(lines)
	if cnt[connector.Skipped] == 0 || cnt[connector.Created] != len(fake.Leads()) {
		t.Fatalf("counts %v, sandbox has %d leads: every lead made must be reported created", cnt, len(fake.Leads()))
	}
	for _, l := range lines {
		if l.Status == connector.Skipped && !strings.HasPrefix(l.Error, "cancelled") {
			t.Fatalf("skipped row %d says %q", l.Row, l.Error)
		}
	}
}
