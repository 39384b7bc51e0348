package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/internal/report"
	"github.com/crmload/crmload/internal/sandbox"
)

// The test binary doubles as crmload when asked, so crash tests run the
// real CLI as a subprocess without building it first.
func TestMain(m *testing.M) {
	if os.Getenv("CRMLOAD_AS_CLI") == "1" {
		if v := os.Getenv("CRMLOAD_TEST_FSIZE"); v != "" {
			// A full disk, as far as this process can tell: writes past
			// the size fail with EFBIG (Go ignores SIGXFSZ).
			var n uint64
			fmt.Sscan(v, &n)
			if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: n, Max: n}); err != nil {
				fmt.Fprintln(os.Stderr, "setrlimit:", err)
				os.Exit(99)
			}
		}
		os.Exit(Main(os.Args[1:], Env{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.LookupEnv}))
	}
	os.Exit(m.Run())
}

// subprocess starts crmload with args; its stdout is returned as a pipe.
func subprocess(t *testing.T, env []string, args ...string) (*exec.Cmd, io.Reader) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), "CRMLOAD_AS_CLI=1"), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if testing.Verbose() {
		cmd.Stderr = os.Stderr
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, out
}

// sandboxProcess serves the Close fake from another process and returns its
// base URL.
func sandboxProcess(t *testing.T, flags ...string) string {
	t.Helper()
	cmd, out := subprocess(t, nil, append([]string{"sandbox", "--system", "close", "--memory"}, flags...)...)
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("sandbox process: %v", err)
	}
	go io.Copy(io.Discard, out)
	f := strings.Fields(line)
	if len(f) != 3 || f[0] != "close" {
		t.Fatalf("sandbox printed %q", line)
	}
	return f[1]
}

// closeEmails lists every lead's contact emails through the Close API.
func closeEmails(t *testing.T, base string) map[string]int {
	t.Helper()
	seen := map[string]int{}
	for skip := 0; ; skip += 100 {
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/lead/?_skip=%d&_limit=100", base, skip), nil)
		req.SetBasicAuth(sandbox.DefaultKey, "")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var page struct {
			Data []struct {
				Contacts []struct {
					Emails []struct{ Email string } `json:"emails"`
				} `json:"contacts"`
			} `json:"data"`
			HasMore bool `json:"has_more"`
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range page.Data {
			for _, c := range l.Contacts {
				for _, e := range c.Emails {
					seen[e.Email]++
				}
			}
		}
		if !page.HasMore {
			return seen
		}
	}
}

// reportLines counts a report's lines by row; a torn file is read as resume
// would read it.
func lineCount(path string) int {
	n := 0
	report.Read(path, func([]string, report.Line) error { n++; return nil })
	return n
}

// A run killed with SIGKILL at several moments and resumed each time ends
// with one report line per row and one record per distinct key.
func TestKillAndResume(t *testing.T) {
	t.Parallel() // mostly waiting on rate limits: overlap with the others
	if testing.Short() {
		t.Skip("subprocess test")
	}
	for _, mode := range []string{"upsert", "create"} {
		t.Run(mode, func(t *testing.T) {
			base := sandboxProcess(t, "--latency", "3ms")
			dir := t.TempDir()
			const n = 240
			rows := people(n, "x")
			if mode == "upsert" {
				// Duplicate keys: the sandbox must still hold one record each.
				rows[n][2] = rows[n-1][2]
				rows[n-10][2] = strings.ToUpper(rows[3][2])
			}
			src := writeCSV(t, dir, "people.csv", rows)
			jobPath := job(t, dir, src, base, fmt.Sprintf(leadMapping, mode))
			rep := filepath.Join(dir, "report.csv")
			env := []string{"CLOSE_KEY=" + sandbox.DefaultKey}

			args := []string{"run", jobPath, "--report", rep}
			for _, at := range []int{15, 80, 170} {
				cmd, _ := subprocess(t, env, args...)
				deadline := time.Now().Add(20 * time.Second)
				for lineCount(rep) < at && time.Now().Before(deadline) {
					time.Sleep(5 * time.Millisecond)
				}
				cmd.Process.Signal(syscall.SIGKILL)
				cmd.Wait()
				args = []string{"run", jobPath, "--resume", "--report", rep}
			}
			cmd, _ := subprocess(t, env, args...)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			go func() { <-ctx.Done(); cmd.Process.Kill() }()
			if err := cmd.Wait(); err != nil {
				t.Fatalf("final resume: %v", err)
			}

			lines := readReport(t, rep, n)
			cnt := counts(lines)
			if cnt[connector.Failed]+cnt[connector.Skipped] != 0 {
				t.Fatalf("counts %v", cnt)
			}
			emails := closeEmails(t, base)
			want := map[string]bool{}
			for _, r := range rows[1:] {
				want[strings.ToLower(strings.TrimSpace(r[2]))] = true
			}
			if len(emails) != len(want) {
				t.Fatalf("sandbox holds %d distinct emails, want %d", len(emails), len(want))
			}
			for e, k := range emails {
				if k != 1 || !want[e] {
					t.Fatalf("email %s held %d times (wanted: %v)", e, k, want[e])
				}
			}
		})
	}
}

// Create mode against a server that stores the record and never answers:
// the timed-out creates are looked up, not sent again.
func TestCreateTimeoutsNoDuplicates(t *testing.T) {
	t.Parallel() // mostly waiting on rate limits: overlap with the others
	if testing.Short() {
		t.Skip("subprocess test")
	}
	base := sandboxProcess(t, "--fail-timeout", "0.15", "--hang", "3s")
	dir := t.TempDir()
	const n = 60
	src := writeCSV(t, dir, "people.csv", people(n, "x"))
	jobPath := job(t, dir, src, base, fmt.Sprintf(leadMapping, "create"))
	setRun(t, jobPath, "run:\n  workers: 4\n  rate: 200/s\n  timeout: 300ms\n  retries: 8\n")
	c := newCLI(t)
	code, out, errOut := c.run("run", jobPath)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	lines := readReport(t, filepath.Join(dir, "report.csv"), n)
	retried := 0
	for _, l := range lines {
		if l.Attempts > 1 {
			retried++
		}
	}
	if retried == 0 {
		t.Fatal("no create timed out: the test proves nothing")
	}
	emails := closeEmails(t, base)
	if len(emails) != n {
		t.Fatalf("%d distinct emails, want %d", len(emails), n)
	}
	for e, k := range emails {
		if k != 1 {
			t.Fatalf("%s created %d times", e, k)
		}
	}
}

// setRun replaces the run block of a job written by job().
func setRun(t *testing.T, path, run string) {
	t.Helper()
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const old = "run:\n  workers: 4\n  rate: 200/s\n"
	if !strings.Contains(string(text), old) {
		t.Fatal("job has no standard run block")
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(text), old, run, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A real SIGINT: the process finishes its calls in flight, reports every
// other row skipped, and exits 3 with a complete report.
func TestSIGINTWritesCompleteReport(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	t.Parallel()
	base := sandboxProcess(t, "--latency", "10ms")
	dir := t.TempDir()
	const n = 200
	src := writeCSV(t, dir, "people.csv", people(n, "x"))
	jobPath := job(t, dir, src, base, fmt.Sprintf(leadMapping, "upsert"))
	rep := filepath.Join(dir, "report.csv")
	cmd, _ := subprocess(t, []string{"CLOSE_KEY=" + sandbox.DefaultKey}, "run", jobPath, "--report", rep)
	deadline := time.Now().Add(20 * time.Second)
	for lineCount(rep) < 20 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitAborted {
		t.Fatalf("exit: %v, want status 3", err)
	}
	lines := readReport(t, rep, n)
	cnt := counts(lines)
	if cnt[connector.Skipped] == 0 || cnt[connector.Failed] != 0 || cnt[connector.Created] != len(closeEmails(t, base)) {
		t.Fatalf("counts %v; sandbox holds %d leads: each lead made must be reported created", cnt, len(closeEmails(t, base)))
	}
}
