package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/internal/report"
	"github.com/crmload/crmload/internal/sandbox"
	closumsb "github.com/crmload/crmload/internal/sandbox/closum"
	"github.com/crmload/crmload/internal/systems"
)

// End-to-end tests of Closum API v2 (system closum) through the CLI. The
// helpers at the top are shared by the other systems' e2e files.

// fastRun is a run block for tests: many calls per second, few workers.
const fastRun = "run: { workers: 4, rate: 500/s }\n"

// e2eServe starts h on 127.0.0.1 for one test and returns the server URL.
func e2eServe(t *testing.T, h http.Handler, closeFake func() error) string {
	t.Helper()
	srv, err := sandbox.Start(h, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close(); closeFake() })
	return srv.URL
}

// systemJob writes job.yaml in dir for system; target holds the lines of
// the target block after system (object, base_url, auth, options), body the
// rest (mode, match, mapping, run).
func systemJob(t *testing.T, dir, system, source, target, body string) string {
	t.Helper()
	text := fmt.Sprintf("name: test\nsource:\n  file: %s\ntarget:\n  system: %s\n%sreport: report.csv\n%s",
		source, system, target, body)
	path := filepath.Join(dir, "job.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// checkRun checks what every run must hold: a report with one line per
// input row, a summary that balances and agrees with the report. It returns
// the report's lines and the summary's counts.
func checkRun(t *testing.T, dir, stdout string, rows int) (map[int]report.Line, map[string]int) {
	t.Helper()
	lines := readReport(t, filepath.Join(dir, "report.csv"), rows)
	sum := summaryCounts(t, stdout)
	if sum["total"] != rows {
		t.Fatalf("summary counts %d rows, want %d: %v", sum["total"], rows, sum)
	}
	for st, n := range counts(lines) {
		if sum[string(st)] != n {
			t.Fatalf("summary %v disagrees with the report's %d %s rows", sum, n, st)
		}
	}
	return lines, sum
}

// assertNoSecret fails when secret appears in any of texts or in any file
// under dir (reports, their meta files, journals).
func assertNoSecret(t *testing.T, secret, dir string, texts ...string) {
	t.Helper()
	for i, s := range texts {
		if strings.Contains(s, secret) {
			t.Errorf("output %d shows the secret:\n%s", i, s)
		}
	}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.Contains(string(b), secret) {
			t.Errorf("%s shows the secret", filepath.Base(path))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// faultsAfter serves fake, and turns on faults once a request whose path
// contains trigger has been answered: the run's preparation goes through,
// its rows meet the faults.
type faultsAfter struct {
	fake    sandbox.Fake
	trigger string
	faults  sandbox.Faults
	once    sync.Once
}

func (h *faultsAfter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.fake.ServeHTTP(w, r)
	if strings.Contains(r.URL.Path, h.trigger) {
		h.once.Do(func() { h.fake.Gate().SetFaults(h.faults) })
	}
}

// runSample runs samples/jobs/<name> against its embedded sandbox, keeping
// the sandbox's records (systems.StatePath(dir, …)) and the report
// (dir/report.csv) in dir. It runs a copy of the job whose rate is raised,
// as the sandbox has no limit and the test no time, and checks the run
// like checkRun; the sample data has 300 rows.
func runSample(t *testing.T, dir, name string) (code int, lines map[int]report.Line, sum map[string]int) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "samples", "jobs", name))
	if err != nil {
		t.Fatal(err)
	}
	data, err := filepath.Abs(filepath.Join("..", "..", "samples", "data"))
	if err != nil {
		t.Fatal(err)
	}
	text := regexp.MustCompile(`(?m)^(\s+rate:) .*$`).ReplaceAllString(string(b), "$1 5000/s")
	text = strings.ReplaceAll(text, "file: ../data/", "file: "+data+"/")
	job := filepath.Join(dir, name)
	if err := os.WriteFile(job, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := newCLI(t).run("run", job, "--sandbox-dir", dir, "--report", filepath.Join(dir, "report.csv"))
	if code != exitOK && code != exitFailed {
		t.Fatalf("%s: exit %d\n%s\n%s", name, code, out, errOut)
	}
	lines, sum = checkRun(t, dir, out, 300)
	return code, lines, sum
}

// checkSampleBadRows checks that the sample data's bad rows that every
// import sample maps (samples/data/README.md) fail with their reason.
func checkSampleBadRows(t *testing.T, lines map[int]report.Line) {
	t.Helper()
	for row, want := range map[int]string{
		7:   `column "Email": a value is required`,
		23:  "is not a valid email address",
		41:  `"12ab" is not a valid phone number`,
		93:  "17 fields, header has 18",
		118: "is not a valid email address",
		137: `"555" is not a valid phone number`,
		251: `"n/a" is not a valid email address`,
	} {
		if l := lines[row]; l.Status != connector.Failed || !strings.Contains(l.Error, want) {
			t.Errorf("row %d: %s %q, want failed with %q", row, l.Status, l.Error, want)
		}
	}
}

// closumServer serves a fresh Closum v2 fake accepting key ("" for the
// default); the base URL includes the API path.
func closumServer(t *testing.T, key string) (*closumsb.Fake, string) {
	t.Helper()
	fake := closumsb.New(sandbox.Options{APIKey: key})
	return fake, e2eServe(t, fake, fake.Close) + fake.BasePath()
}

func closumTarget(url string) string {
	return fmt.Sprintf("  object: lead\n  base_url: %s\n  auth: { api_key: \"${CLOSUM_KEY}\" }\n", url)
}

func closumCLI(t *testing.T, key string) *cli {
	c := newCLI(t)
	c.env["CLOSUM_KEY"] = key
	return c
}

// closumLeadMapping maps people(): custom fields only where lead/add takes
// them (create, upsert).
const closumLeadMapping = `mode: %s
match: [email]
region: US
mapping:
  - { field: name, from: Name, transform: [trim, title] }
  - { field: email, from: Email, transform: [trim, lower, email], required: true }
  - { field: phone, from: Phone, transform: [phone_e164] }
  - { field: tags, from: Title }
  - { field: custom.Company Name, from: Company }
` + fastRun

func TestClosumCreateUpsertUpdate(t *testing.T) {
	t.Parallel()
	fake, url := closumServer(t, "")
	dir := t.TempDir()
	c := closumCLI(t, sandbox.DefaultKey)
	src := writeCSV(t, dir, "people.csv", people(20, "Engineer"))

	code, out, errOut := c.run("run", systemJob(t, dir, "closum", src, closumTarget(url), fmt.Sprintf(closumLeadMapping, "create")))
	if code != exitOK {
		t.Fatalf("create: exit %d\n%s\n%s", code, out, errOut)
	}
	lines, sum := checkRun(t, dir, out, 20)
	if sum["created"] != 20 || len(fake.Leads()) != 20 {
		t.Fatalf("create: %v, sandbox has %d leads", sum, len(fake.Leads()))
	}
	created := map[int]string{}
	for row, l := range lines {
		created[row] = l.ID
	}
	id, _ := strconv.Atoi(lines[3].ID)
	l, ok := fake.Lead(id)
	if !ok || l.Name != "Person 3" || l.Email != "p3@example.com" || l.Mobile != "+14155551003" ||
		l.CustomFields["company_name"] != "Acme 3" || strings.Join(l.Tags, ",") != "Engineer" || l.ConsentEmail || l.ConsentSMS {
		t.Fatalf("row 3 (id %q) stored as %+v", lines[3].ID, l)
	}

	// Upsert 24 people twice: 4 new leads the first time, none the second,
	// and every row lands on the same lead both times.
	src = writeCSV(t, dir, "people.csv", people(24, "Engineer"))
	for run := 1; run <= 2; run++ {
		code, out, errOut = c.run("run", systemJob(t, dir, "closum", src, closumTarget(url), fmt.Sprintf(closumLeadMapping, "upsert")))
		if code != exitOK {
			t.Fatalf("upsert %d: exit %d\n%s\n%s", run, code, out, errOut)
		}
		lines, sum = checkRun(t, dir, out, 24)
		if n := len(fake.Leads()); n != 24 || sum["failed"] != 0 {
			t.Fatalf("upsert %d: %v, sandbox has %d leads, want 24", run, sum, n)
		}
		for row, l := range lines {
			if run == 1 && row > 20 {
				created[row] = l.ID
			}
			if l.ID != created[row] {
				t.Fatalf("upsert %d: row %d reported id %q, want the lead it already is (%q)", run, row, l.ID, created[row])
			}
			// lead/add's answer does not say which it did: a row reported
			// created must say so, as it may have been an update.
			if l.Status == connector.Created && !strings.Contains(l.Error, "does not say whether it created or updated") {
				t.Fatalf("upsert %d: row %d reported created without the note: %+v", run, row, l)
			}
		}
	}

	// Update by email (lead/edit-by-email): custom fields are not taken by
	// lead edit, so the mapping leaves them out.
	update := strings.Replace(fmt.Sprintf(closumLeadMapping, "update"), "  - { field: custom.Company Name, from: Company }\n", "", 1)
	src = writeCSV(t, dir, "people.csv", people(24, "Manager"))
	code, out, errOut = c.run("run", systemJob(t, dir, "closum", src, closumTarget(url), update))
	if code != exitOK {
		t.Fatalf("update: exit %d\n%s\n%s", code, out, errOut)
	}
	if _, sum = checkRun(t, dir, out, 24); sum["updated"] != 24 || len(fake.Leads()) != 24 {
		t.Fatalf("update: %v, sandbox has %d leads", sum, len(fake.Leads()))
	}
	l, _ = fake.LeadByEmail("p3@example.com")
	if strings.Join(l.Tags, ",") != "Engineer,Manager" || l.CustomFields["company_name"] != "Acme 3" {
		t.Fatalf("after update, lead 3 is %+v", l)
	}
}

// Rows Closum refuses: some are caught before any call, others come back
// as HTTP 200 with "status": false and fail with the API's own words. The
// run goes on and the good rows are created.
func TestClosumBadRowsAndStatusFalse(t *testing.T) {
	t.Parallel()
	fake, url := closumServer(t, "")
	dir := t.TempDir()
	c := closumCLI(t, sandbox.DefaultKey)
	body := `mode: create
mapping:
  - { field: name, from: Name }
  - { field: email, from: Email, transform: [trim, lower] }
  - { field: phone, from: Phone }
  - { field: lifecycle_stage, from: Stage }
  - { field: birth_date, from: Born }
` + fastRun
	header := []string{"Name", "Email", "Phone", "Stage", "Born"}
	src := writeCSV(t, dir, "seed.csv", [][]string{header, {"Ann Old", "ann@example.com", "", "", ""}})
	code, out, errOut := c.run("run", systemJob(t, dir, "closum", src, closumTarget(url), body))
	if code != exitOK {
		t.Fatalf("seed: exit %d\n%s\n%s", code, out, errOut)
	}
	checkRun(t, dir, out, 1)
	reqBefore, _, _ := fake.Gate().Stats()

	src = writeCSV(t, dir, "bad.csv", [][]string{header,
		{"Good One", "good1@example.com", "+14155550101", "2", "1990-05-01"},
		{"Bad Email", "not-an-email", "", "", ""},
		{"Bad Phone", "phone@example.com", "(415) 555-0199", "", ""},
		{"Bad Stage", "stage@example.com", "", "12", ""},
		{"Bad Date", "date@example.com", "", "", "1990-02-30"},
		{"Ann Again", "ann@example.com", "", "", ""},
		{"Good Two", "good2@example.com", "", "", ""},
		{"Nobody", "", "", "", ""},
	})
	code, out, errOut = c.run("run", systemJob(t, dir, "closum", src, closumTarget(url), body))
	if code != exitFailed {
		t.Fatalf("exit %d, want 1 (some rows failed)\n%s\n%s", code, out, errOut)
	}
	lines, sum := checkRun(t, dir, out, 8)
	if sum["created"] != 2 || sum["failed"] != 6 || len(fake.Leads()) != 3 {
		t.Fatalf("%v, sandbox has %d leads, want 3", sum, len(fake.Leads()))
	}
	for _, tc := range []struct {
		row    int
		status int // 200: Closum's "status": false answer; 0: refused before any call
		want   string
	}{
		{2, 200, "email must be a valid email address"},
		{3, 200, "mobile_number must be a valid mobile number"},
		{4, 0, "must be a number from 1 to 9"},
		{5, 0, "birth_date"},
		{6, 200, "A contact with this email already exists"},
		{8, 0, "email and phone are both empty"},
	} {
		l := lines[tc.row]
		if l.Status != connector.Failed || l.HTTPStatus != tc.status || !strings.Contains(l.Error, tc.want) || l.ID != "" {
			t.Errorf("row %d: %s, HTTP %d, id %q, %q; want failed, HTTP %d, %q", tc.row, l.Status, l.HTTPStatus, l.ID, l.Error, tc.status, tc.want)
		}
	}
	if g, ok := fake.LeadByEmail("good1@example.com"); !ok || g.Stage != 2 || g.BirthDate != "1990-05-01" || g.Mobile != "+14155550101" {
		t.Errorf("good row stored as %+v", g)
	}
	// Prepare's field/ and one call per row that reached Closum (1, 2, 3, 6, 7).
	if req, _, _ := fake.Gate().Stats(); req-reqBefore != 6 {
		t.Errorf("%d requests, want 6: rows refused locally must make no call", req-reqBefore)
	}
}

func TestClosumRejectedKeyExitsFast(t *testing.T) {
	t.Parallel()
	fake, url := closumServer(t, "")
	dir := t.TempDir()
	c := closumCLI(t, "closum-wrong-key-5e1d")
	src := writeCSV(t, dir, "people.csv", people(40, "x"))
	start := time.Now()
	code, out, errOut := c.run("run", systemJob(t, dir, "closum", src, closumTarget(url), fmt.Sprintf(closumLeadMapping, "upsert")))
	if code != exitAborted || time.Since(start) > 5*time.Second {
		t.Fatalf("exit %d after %v, want 3 at once\n%s", code, time.Since(start), errOut)
	}
	if !strings.Contains(errOut, "Invalid API Key") {
		t.Errorf("stderr %q: want Closum's own reason", errOut)
	}
	assertNoSecret(t, "closum-wrong-key-5e1d", dir, out, errOut)
	if req, _, _ := fake.Gate().Stats(); req > 2 {
		t.Errorf("%d requests for a rejected key", req)
	}
	if len(fake.Leads()) != 0 {
		t.Errorf("%d leads written with a rejected key", len(fake.Leads()))
	}
}

// The api-key rides in every URL, and net/http quotes URLs in its errors:
// rows failing on 5xx beyond retries and on timeouts, and a run with a
// wrong key, must not show either key anywhere.
func TestClosumKeyNeverShown(t *testing.T) {
	t.Parallel()
	const key = "closum-secret-9f3e1b7a"
	fake := closumsb.New(sandbox.Options{APIKey: key})
	h := &faultsAfter{fake: fake, trigger: "/field", faults: sandbox.Faults{Error5xx: 0.4, Timeout: 0.3, Hang: 2 * time.Second, Seed: 3}}
	url := e2eServe(t, h, fake.Close) + fake.BasePath()
	dir := t.TempDir()
	c := closumCLI(t, key)
	src := writeCSV(t, dir, "people.csv", people(12, "x"))
	body := strings.Replace(fmt.Sprintf(closumLeadMapping, "upsert"), fastRun,
		"run: { workers: 4, rate: 500/s, retries: 1, timeout: 300ms, max_consecutive_failures: 1000 }\n", 1)
	code, out, errOut := c.run("run", systemJob(t, dir, "closum", src, closumTarget(url), body))
	if code != exitFailed {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, out, errOut)
	}
	lines, _ := checkRun(t, dir, out, 12)
	var fived, timedOut int
	for _, l := range lines {
		switch {
		case l.Status != connector.Failed:
		case l.HTTPStatus == http.StatusServiceUnavailable:
			fived++
		case strings.Contains(l.Error, "Timeout") || strings.Contains(l.Error, "deadline") || strings.Contains(l.Error, "timeout"):
			timedOut++
		}
	}
	if fived == 0 || timedOut == 0 {
		t.Fatalf("the faults never failed a row: %d by 503, %d by timeout", fived, timedOut)
	}

	// A wrong key, first with every call timing out (the transport's error
	// quotes the URL, key included), then answered "Invalid API Key".
	texts := []string{out, errOut}
	c.env["CLOSUM_KEY"] = "closum-wrong-4c2a"
	for _, f := range []sandbox.Faults{{Timeout: 1, Hang: 2 * time.Second}, {}} {
		fake.Gate().SetFaults(f)
		code, out, errOut := c.run("run", systemJob(t, dir, "closum", src, closumTarget(url), body))
		if code != exitAborted {
			t.Fatalf("wrong key, faults %+v: exit %d, want 3\n%s\n%s", f, code, out, errOut)
		}
		texts = append(texts, out, errOut)
	}
	if !strings.Contains(texts[3], "/field/?api-key=") || !strings.Contains(texts[5], "Invalid API Key") {
		t.Fatalf("the wrong-key runs did not fail as meant:\n%s\n%s", texts[3], texts[5])
	}
	assertNoSecret(t, key, dir, texts...)
	assertNoSecret(t, "closum-wrong-4c2a", dir, texts...)
}

// The sample job imports the sample data: only its bad rows fail, and a
// second run leaves one lead per email (Closum's upsert).
func TestClosumSample(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for run := 1; run <= 2; run++ {
		code, lines, sum := runSample(t, dir, "closum-import.yaml")
		if code != exitFailed || sum["failed"] != 7 || sum["created"]+sum["updated"] != 293 {
			t.Fatalf("run %d: exit %d, %v; want the 7 bad rows failed and the rest written", run, code, sum)
		}
		checkSampleBadRows(t, lines)
		fake := closumsb.New(sandbox.Options{StatePath: systems.StatePath(dir, "closum")})
		leads := fake.Leads()
		fake.Close()
		// 293 rows written; row 76 is row 12's email in other case.
		if len(leads) != 292 {
			t.Fatalf("run %d: the sandbox holds %d leads, want 292", run, len(leads))
		}
	}
}
