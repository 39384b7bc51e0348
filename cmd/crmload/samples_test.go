package main

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/internal/sandbox"
	"github.com/crmload/crmload/internal/tabular"
)

// The README's first command: the quickstart against the embedded sandbox.
func TestQuickstartSample(t *testing.T) {
	t.Parallel() // mostly waiting on rate limits: overlap with the others
	dir := t.TempDir()
	rep := filepath.Join(dir, "quickstart.csv")
	c := newCLI(t)
	args := []string{"run", "../../samples/jobs/quickstart.yaml", "--sandbox-dir", filepath.Join(dir, "sb"), "--report", rep}
	code, out, errOut := c.run(args...)
	if code != exitFailed {
		t.Fatalf("exit %d, want 1 (the sample has bad rows)\n%s\n%s", code, out, errOut)
	}
	lines := readReport(t, rep, 300)
	cnt := counts(lines)
	if cnt[connector.Failed] < 5 || cnt[connector.Failed] > 12 || cnt[connector.Created] < 280 {
		t.Fatalf("counts %v", cnt)
	}
	// Bad rows named in samples/data/README.md fail with their reason.
	for row, want := range map[int]string{7: `column "Email": a value is required`, 41: `"12ab" is not a valid phone number`, 93: "17 fields, header has 18"} {
		if l := lines[row]; l.Status != connector.Failed || !strings.Contains(l.Error, want) {
			t.Errorf("row %d: %s %q, want failed with %q", row, l.Status, l.Error, want)
		}
	}
	if s := summaryCounts(t, out); s["total"] != 300 {
		t.Fatalf("summary %v", s)
	}

	// Again: the sandbox kept its records; nothing is created twice.
	code, out, _ = c.run(args...)
	if s := summaryCounts(t, out); code != exitFailed || s["created"] != 0 || s["unchanged"] < 280 {
		t.Fatalf("second run: exit %d %v", code, s)
	}
}

// The XLSX sample, with an .xlsx report.
func TestXLSXSample(t *testing.T) {
	t.Parallel() // mostly waiting on rate limits: overlap with the others
	dir := t.TempDir()
	rep := filepath.Join(dir, "contacts.xlsx")
	code, out, errOut := newCLI(t).run("run", "../../samples/jobs/xlsx-contacts.yaml", "--sandbox-dir", filepath.Join(dir, "sb"), "--report", rep)
	if code != exitFailed {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if _, err := os.Stat(rep + ".journal.csv"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("journal left behind: %v", err)
	}
	r, err := tabular.Open(rep, tabular.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if h := r.Header(); len(h) < 7 || h[0] != "row" || h[1] != "status" || h[6] != "Record ID" {
		t.Fatalf("report header %v", h)
	}
	n, created := 0, 0
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
		if row.Values[1] == "created" {
			created++
		}
	}
	if n != 292 || created < 280 {
		t.Fatalf("xlsx report: %d rows, %d created; want 292 rows", n, created)
	}
}

// validate lists every problem at once.
func TestValidateReportsEveryProblem(t *testing.T) {
	_, url := closeSandbox(t, sandbox.Faults{})
	dir := t.TempDir()
	src := writeCSV(t, dir, "p.csv", people(1, "x"))
	body := `mode: upsert
match: [phone]
mapping:
  - { field: email, from: Emial }
  - { field: favourite_colour, from: Name }
  - { field: phone, from: Phone, transform: [phone_164] }
`
	code, _, errOut := newCLI(t).run("validate", job(t, dir, src, url, body))
	if code != exitInvalid {
		t.Fatalf("exit %d, want 2\n%s", code, errOut)
	}
	for _, want := range []string{`"Emial"`, `did you mean "Email"`, `phone_164`, `favourite_colour`} {
		if !strings.Contains(errOut, want) {
			t.Errorf("validate output lacks %q:\n%s", want, errOut)
		}
	}
}

func TestStrictYAMLNamesTheLine(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "job.yaml")
	os.WriteFile(path, []byte("name: x\nsource:\n  file: a.csv\ntaget:\n  system: close\n"), 0o644)
	code, _, errOut := newCLI(t).run("validate", path)
	if code != exitInvalid || !strings.Contains(errOut, "[4:1]") || !strings.Contains(errOut, "taget") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}

func TestPreview(t *testing.T) {
	code, out, errOut := newCLI(t).run("preview", "../../samples/jobs/quickstart.yaml", "-n", "7")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "row 1:") || !strings.Contains(out, "row 7: error: column \"Email\": a value is required") || strings.Contains(out, "row 8") {
		t.Fatalf("preview output:\n%s", out)
	}
}

func TestHelpListsExitCodes(t *testing.T) {
	for _, cmd := range []string{"run", "validate", "preview", "sandbox"} {
		code, out, _ := newCLI(t).run(cmd, "--help")
		if code != 0 || !strings.Contains(out, "Usage:") {
			t.Errorf("%s --help: exit %d\n%s", cmd, code, out)
		}
	}
	_, out, _ := newCLI(t).run("run", "--help")
	if !strings.Contains(out, "3  the run was aborted") {
		t.Errorf("run --help does not list the exit codes:\n%s", out)
	}
}

// crmload sandbox serves the fakes until interrupted, printing URL and key.
func TestSandboxCommand(t *testing.T) {
	pr, pw := io.Pipe()
	sig := make(chan os.Signal, 1)
	done := make(chan int)
	go func() {
		done <- Main([]string{"sandbox", "--memory", "--system", "close,qlara"}, Env{Stdout: pw, Stderr: io.Discard, Getenv: os.LookupEnv, Signals: sig})
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	urls := map[string]string{}
	for len(urls) < 2 && sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 || f[2] != "key="+sandbox.DefaultKey || !strings.HasPrefix(f[1], "http://127.0.0.1:") {
			t.Fatalf("line %q", sc.Text())
		}
		urls[f[0]] = f[1]
	}
	req, _ := http.NewRequest("GET", urls["close"]+"/me/", nil)
	req.SetBasicAuth(sandbox.DefaultKey, "")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("close sandbox: %v %v", resp, err)
	}
	resp.Body.Close()
	sig <- os.Interrupt
	go io.Copy(io.Discard, pr)
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("sandbox did not stop on interrupt")
	}
}
