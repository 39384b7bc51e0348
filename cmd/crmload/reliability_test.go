package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/internal/sandbox"
)

// The regression tests of issue 9: what a new user can do to crmload by
// mistake (or a disk can do to it) must never lose a row, leak or hang.

// A report named like the source must not truncate it.
func TestReportOverSourceRefused(t *testing.T) {
	_, url := closeSandbox(t, sandbox.Faults{})
	dir := t.TempDir()
	src := writeCSV(t, dir, "people.csv", people(5, "x"))
	before, _ := os.ReadFile(src)
	path := job(t, dir, src, url, fmt.Sprintf(leadMapping, "upsert"))
	replaceInFile(t, path, "report: report.csv", "report: people.csv")
	for _, cmd := range []string{"validate", "run"} {
		code, _, errOut := newCLI(t).run(cmd, path)
		if code != exitInvalid || !strings.Contains(errOut, "own input") {
			t.Fatalf("%s: exit %d, want 2 naming the clash\n%s", cmd, code, errOut)
		}
	}
	if after, _ := os.ReadFile(src); !bytes.Equal(before, after) {
		t.Fatal("the source was changed")
	}
}

// Retrying a report twice in one second writes two reports and leaves the
// input whole; a report named like its input is refused.
func TestRetryNeverOverwrites(t *testing.T) {
	_, url := closeSandbox(t, sandbox.Faults{})
	dir := t.TempDir()
	rows := people(6, "x")
	rows[2][2], rows[4][2] = "not-an-email", "nope" // two rows fail mapping
	src := writeCSV(t, dir, "people.csv", rows)
	c := newCLI(t)
	if code, out, errOut := c.run("run", job(t, dir, src, url, fmt.Sprintf(leadMapping, "upsert"))); code != exitFailed {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	rep := filepath.Join(dir, "report.csv")
	before, _ := os.ReadFile(rep)
	var outs []string
	for range 2 {
		code, out, errOut := c.run("retry", rep)
		if code != exitFailed {
			t.Fatalf("retry: exit %d\n%s\n%s", code, out, errOut)
		}
		outs = append(outs, reportOf(t, out))
	}
	if outs[0] == outs[1] {
		t.Fatalf("both retries wrote %s", outs[0])
	}
	for _, o := range outs {
		if n := lineCount(o); n != 2 {
			t.Fatalf("%s has %d lines, want the 2 failed rows", o, n)
		}
	}
	if after, _ := os.ReadFile(rep); !bytes.Equal(before, after) {
		t.Fatal("retry changed the report it read")
	}
	code, _, errOut := c.run("retry", "--report", rep, rep)
	if code != exitInvalid || !strings.Contains(errOut, "being retried") {
		t.Fatalf("retry --report over its input: exit %d\n%s", code, errOut)
	}
}

// reportOf returns the report path a run printed.
func reportOf(t *testing.T, stdout string) string {
	t.Helper()
	for _, l := range strings.Split(stdout, "\n") {
		if p, ok := strings.CutPrefix(l, "report: "); ok {
			return p
		}
	}
	t.Fatalf("no report in %q", stdout)
	return ""
}

// A report that can no longer be written stops the run: no more rows are
// sent than can be accounted for.
func TestReportWriteErrorStops(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	fake, url := closeSandbox(t, sandbox.Faults{Latency: 2 * time.Millisecond})
	dir := t.TempDir()
	src := writeCSV(t, dir, "people.csv", people(3000, "x"))
	// The process may write 64 KiB per file: the source's report needs
	// far more, the meta file far less.
	cmd, out := subprocess(t, []string{"CLOSE_KEY=" + sandbox.DefaultKey, "CRMLOAD_TEST_FSIZE=65536"},
		"run", job(t, dir, src, url, fmt.Sprintf(leadMapping, "upsert")))
	stdout, _ := io.ReadAll(out)
	err := cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != exitAborted {
		t.Fatalf("exit %d (%v), want 3\n%s", code, err, stdout)
	}
	reported := lineCount(filepath.Join(dir, "report.csv"))
	sent := len(fake.Leads())
	if sent >= 3000 || sent > reported+300 {
		t.Fatalf("%d leads sent, %d reported: the run went on after the report failed", sent, reported)
	}
}

// Two runs of one job at once: the second refuses and sends nothing.
func TestConcurrentRunsRefused(t *testing.T) {
	fake, url := closeSandbox(t, sandbox.Faults{Latency: 20 * time.Millisecond})
	dir := t.TempDir()
	src := writeCSV(t, dir, "people.csv", people(120, "x"))
	path := job(t, dir, src, url, fmt.Sprintf(leadMapping, "upsert"))
	first := make(chan int)
	go func() {
		code, _, _ := newCLI(t).run("run", path)
		first <- code
	}()
	for len(fake.Leads()) == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	code, _, errOut := newCLI(t).run("run", path)
	if code != exitAborted || !strings.Contains(errOut, "another crmload run") {
		t.Fatalf("second run: exit %d\n%s", code, errOut)
	}
	if code := <-first; code != 0 {
		t.Fatalf("first run: exit %d", code)
	}
	if n := len(fake.Leads()); n != 120 {
		t.Fatalf("%d leads, want 120", n)
	}
	readReport(t, filepath.Join(dir, "report.csv"), 120)
}

// failFirst answers the first n requests with status, then proxies.
func failFirst(t *testing.T, target string, n int32, status int) string {
	t.Helper()
	u, _ := url.Parse(target)
	proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: u.Scheme, Host: u.Host})
	var seen atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if seen.Add(1) <= n {
			w.Header().Set("Retry-After", "0")
			http.Error(w, `{"error":"try later"}`, status)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + u.Path
}

// A 429 or 5xx while starting is retried like any call.
func TestStartupTransientRetried(t *testing.T) {
	for _, status := range []int{429, 503} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			fake, base := closeSandbox(t, sandbox.Faults{})
			dir := t.TempDir()
			src := writeCSV(t, dir, "people.csv", people(10, "x"))
			code, out, errOut := newCLI(t).run("run", job(t, dir, src, failFirst(t, base, 3, status), fmt.Sprintf(leadMapping, "upsert")))
			if code != 0 {
				t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
			}
			if n := len(fake.Leads()); n != 10 {
				t.Fatalf("%d leads, want 10", n)
			}
		})
	}
}

// Rejected credentials abort with exit 3, and the report still has every
// row, skipped with the reason.
func TestAbortWritesCompleteReport(t *testing.T) {
	_, url := closeSandbox(t, sandbox.Faults{})
	dir := t.TempDir()
	c := newCLI(t)
	c.env["CLOSE_KEY"] = "wrong-key"
	src := writeCSV(t, dir, "people.csv", people(30, "x"))
	code, out, errOut := c.run("run", job(t, dir, src, url, fmt.Sprintf(leadMapping, "upsert")))
	if code != exitAborted {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	lines := readReport(t, filepath.Join(dir, "report.csv"), 30)
	for _, l := range lines {
		if l.Status != connector.Skipped || !strings.Contains(l.Error, "401") {
			t.Fatalf("row %d: %s %q, want skipped with the 401", l.Row, l.Status, l.Error)
		}
	}
	if strings.Contains(out+errOut, "wrong-key") {
		t.Fatal("the key was printed")
	}
}

// Ctrl-C on a big file stops reading at once, and run --resume JOB (what
// the message says) finishes it; a source changed since is refused.
func TestInterruptThenResumeByJob(t *testing.T) {
	t.Parallel()
	fake, url := closeSandbox(t, sandbox.Faults{Latency: 5 * time.Millisecond})
	dir := t.TempDir()
	const n = 5000
	src := writeCSV(t, dir, "people.csv", people(n, "x"))
	path := job(t, dir, src, url, fmt.Sprintf(leadMapping, "upsert"))
	setRun(t, path, "run:\n  workers: 16\n  rate: 4000/s\n")
	c := newCLI(t)
	c.signals = make(chan os.Signal, 1)
	go func() {
		for len(fake.Leads()) < 10 {
			time.Sleep(5 * time.Millisecond)
		}
		c.signals <- os.Interrupt
	}()
	code, out, errOut := c.run("run", path)
	if code != exitAborted || !strings.Contains(errOut, "--resume") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	rep := filepath.Join(dir, "report.csv")
	if lines := lineCount(rep); lines > 1000 {
		t.Fatalf("%d report lines after a Ctrl-C at row ~10: the rest of the file was read", lines)
	}
	readReport(t, rep, n) // the range line accounts for the rest

	// The source changes: resuming would match rows by number wrongly.
	f, _ := os.OpenFile(src, os.O_APPEND|os.O_WRONLY, 0)
	fmt.Fprintln(f, "Acme X,Extra Person,extra@example.com,(415) 555-0999,x")
	f.Close()
	if code, _, errOut := c.run("run", "--resume", path); code != exitInvalid || !strings.Contains(errOut, "changed since") {
		t.Fatalf("resume of a changed source: exit %d\n%s", code, errOut)
	}
	if code, out, errOut := c.run("run", "--resume", "--force", path); code != 0 {
		t.Fatalf("resume: exit %d\n%s\n%s", code, out, errOut)
	}
	lines := readReport(t, rep, n+1)
	if c := counts(lines); c[connector.Created] != n+1 || len(fake.Leads()) != n+1 {
		t.Fatalf("counts %v, %d leads; want %d created once each", c, len(fake.Leads()), n+1)
	}
}

// Reports and their meta files hold personal data: only the user reads them.
func TestReportsArePrivate(t *testing.T) {
	_, url := closeSandbox(t, sandbox.Faults{})
	dir := t.TempDir()
	src := writeCSV(t, dir, "people.csv", people(3, "x"))
	if code, out, errOut := newCLI(t).run("run", job(t, dir, src, url, fmt.Sprintf(leadMapping, "upsert"))); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, name := range []string{"report.csv", "report.csv.meta.json"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", name, fi.Mode().Perm())
		}
	}
}

// A formula in a source cell is neutralised in the CSV report, and retry
// sends the original value.
func TestReportNeutralisesFormulas(t *testing.T) {
	fake, url := closeSandbox(t, sandbox.Faults{})
	dir := t.TempDir()
	rows := people(2, `=HYPERLINK("http://evil.example","x")`)
	rows[2][2] = "bad-email" // fails, so retry re-sends it
	src := writeCSV(t, dir, "people.csv", rows)
	c := newCLI(t)
	c.run("run", job(t, dir, src, url, fmt.Sprintf(leadMapping, "upsert")))
	raw, _ := os.ReadFile(filepath.Join(dir, "report.csv"))
	if !bytes.Contains(raw, []byte(`'=HYPERLINK`)) {
		t.Fatalf("report cell not neutralised:\n%s", raw)
	}
	// Fix the row's email by retrying with a job that maps another column:
	// the title sent must be the original formula text, without the quote.
	if code, out, errOut := c.run("retry", filepath.Join(dir, "report.csv")); code != exitFailed {
		t.Fatalf("retry: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, l := range fake.Leads() {
		for _, ct := range l.Contacts {
			if strings.HasPrefix(ct.Title, "'") {
				t.Fatalf("a contact title was sent with the report's quote: %q", ct.Title)
			}
		}
	}
}

// validate catches what run would later refuse.
func TestValidateCatchesRunProblems(t *testing.T) {
	_, url := closeSandbox(t, sandbox.Faults{})
	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"report extension", "report: report.csv", "report: report.txt", "not a .csv or .xlsx"},
		{"unknown option", "  base_url:", "  options: { regoin: GB }\n  base_url:", "did you mean region?"},
		{"plain http elsewhere", "base_url: " + url, "base_url: http://crm.example.com/api", "insecure_http"},
		{"report in a file", "report: report.csv", "report: people.csv/r.csv", "not a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			src := writeCSV(t, dir, "people.csv", people(2, "x"))
			path := job(t, dir, src, url, fmt.Sprintf(leadMapping, "upsert"))
			replaceInFile(t, path, tc.old, tc.new)
			code, _, errOut := newCLI(t).run("validate", path)
			if code != exitInvalid || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, want 2 with %q:\n%s", code, tc.want, errOut)
			}
		})
	}
}

// A source whose rows and columns are too wide for an .xlsx report is
// refused by validate, not after the run.
func TestValidateRefusesTooWideXLSXReport(t *testing.T) {
	_, url := closeSandbox(t, sandbox.Faults{})
	dir := t.TempDir()
	var head, row []string
	for i := range 16380 {
		head = append(head, fmt.Sprintf("c%d", i))
		row = append(row, "v")
	}
	head[0], head[1] = "Email", "Title"
	src := writeCSV(t, dir, "wide.csv", [][]string{head, row})
	path := job(t, dir, src, url, `mode: upsert
match: [email]
mapping:
  - { from: Email, field: email }
  - { from: Title, field: title }
`)
	replaceInFile(t, path, "report: report.csv", "report: report.xlsx")
	code, _, errOut := newCLI(t).run("validate", path)
	if code != exitInvalid || !strings.Contains(errOut, "use a .csv report") {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
}

func replaceInFile(t *testing.T, path, old, new string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(old)) {
		t.Fatalf("%s has no %q", path, old)
	}
	if err := os.WriteFile(path, bytes.Replace(b, []byte(old), []byte(new), 1), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A broken quote or invalid bytes mid-file fail their row only: every row
// after them is still read, sent and reported.
func TestBrokenRecordsMidFileContinue(t *testing.T) {
	fake, url := closeSandbox(t, sandbox.Faults{})
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("Company,Name,Email,Phone,Title\n")
	for i := 1; i <= 40; i++ {
		switch i {
		case 10: // a bare quote inside an unquoted field
			b.WriteString("Acme 10,person \"ten,p10@example.com,,x\n")
		case 20: // a quote opened and never closed: it must not swallow the file
			b.WriteString("Acme 20,\"person twenty,p20@example.com,,x\n")
		case 30: // bytes that are not UTF-8 (in a UTF-8 file: row 1 says so)
			b.WriteString("Acme 30,person \xff\xfe thirty,p30@example.com,,x\n")
		case 1:
			b.WriteString("Acme 1,Zoë Ångström,p1@example.com,,x\n")
		default:
			fmt.Fprintf(&b, "Acme %d,person %d,p%d@example.com,,x\n", i, i, i)
		}
	}
	src := filepath.Join(dir, "people.csv")
	if err := os.WriteFile(src, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := newCLI(t).run("run", job(t, dir, src, url, fmt.Sprintf(leadMapping, "upsert")))
	if code != exitFailed {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, out, errOut)
	}
	lines := readReport(t, filepath.Join(dir, "report.csv"), 40)
	for _, n := range []int{10, 20, 30} {
		if lines[n].Status != connector.Failed {
			t.Errorf("row %d: %s %q, want failed", n, lines[n].Status, lines[n].Error)
		}
	}
	if c := counts(lines); c[connector.Created] != 37 || len(fake.Leads()) != 37 {
		t.Fatalf("counts %v, %d leads: want the 37 good rows created", c, len(fake.Leads()))
	}
}

// Too few workers for the rate at the API's latency: the summary says so.
func TestSummaryNamesTooFewWorkers(t *testing.T) {
	_, url := closeSandbox(t, sandbox.Faults{Latency: 50 * time.Millisecond})
	dir := t.TempDir()
	src := writeCSV(t, dir, "people.csv", people(20, "x"))
	path := job(t, dir, src, url, fmt.Sprintf(leadMapping, "create"))
	setRun(t, path, "run:\n  workers: 1\n  rate: 200/s\n")
	code, out, errOut := newCLI(t).run("run", path)
	if code != 0 || !strings.Contains(out, "raise run.workers") {
		t.Fatalf("exit %d, want a note on workers:\n%s\n%s", code, out, errOut)
	}
}
