package main

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/internal/sandbox"
	closumv1sb "github.com/crmload/crmload/internal/sandbox/closumv1"
)

// End-to-end tests of the legacy Closum API v1 (system closum-v1) through
// the CLI: a bearer token bought with a user name and password.

// shiftClock is a sandbox clock that tests move forward, safe for the
// sandbox's concurrent handlers.
type shiftClock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *shiftClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *shiftClock) advance(d time.Duration) {
	c.mu.Lock()
	c.off += d
	c.mu.Unlock()
}

// closumV1Server serves a fresh Closum v1 fake; the base URL includes /api.
func closumV1Server(t *testing.T, opt sandbox.Options) (*closumv1sb.Fake, string) {
	t.Helper()
	fake := closumv1sb.New(opt)
	return fake, e2eServe(t, fake, fake.Close) + fake.BasePath()
}

func closumV1Target(url string) string {
	return fmt.Sprintf("  object: lead\n  base_url: %s\n  auth: { username: \"${V1_USER}\", password: \"${V1_PW}\" }\n", url)
}

func closumV1CLI(t *testing.T, pw string) *cli {
	c := newCLI(t)
	c.env["V1_USER"] = sandbox.DefaultUser
	c.env["V1_PW"] = pw
	return c
}

const closumV1Mapping = `mode: %s
match: [email]
region: US
mapping:
  - { field: name, from: Name, transform: [trim, title] }
  - { field: email, from: Email, transform: [trim, lower, email], required: true }
  - { field: phone, from: Phone, transform: [phone_e164] }
  - { field: custom.Company, from: Company }
`

func TestClosumV1CreateAndUpsert(t *testing.T) {
	t.Parallel()
	fake, url := closumV1Server(t, sandbox.Options{})
	dir := t.TempDir()
	c := closumV1CLI(t, sandbox.DefaultKey)
	src := writeCSV(t, dir, "people.csv", people(20, "x"))
	code, out, errOut := c.run("run", systemJob(t, dir, "closum-v1", src, closumV1Target(url), fmt.Sprintf(closumV1Mapping, "create")+fastRun))
	if code != exitOK {
		t.Fatalf("create: exit %d\n%s\n%s", code, out, errOut)
	}
	lines, sum := checkRun(t, dir, out, 20)
	if sum["created"] != 20 || len(fake.Leads()) != 20 {
		t.Fatalf("create: %v, sandbox has %d leads", sum, len(fake.Leads()))
	}
	id, _ := strconv.Atoi(lines[3].ID)
	l, ok := fake.Lead(id)
	if !ok || l.Name != "Person 3" || l.Email != "p3@example.com" || l.PhoneExtension != "001" ||
		l.PhoneNumber != "4155551003" || l.CustomData != `{"Company":"Acme 3"}` {
		t.Fatalf("row 3 (id %q) stored as %+v", lines[3].ID, l)
	}
	ids := map[int]string{}
	for row, l := range lines {
		ids[row] = l.ID
	}

	// Upsert 24 people twice: the 4 new ones are created, the rest found in
	// the key index and reported unchanged (v1 cannot update a lead).
	src = writeCSV(t, dir, "people.csv", people(24, "x"))
	for run, want := range []map[string]int{{"created": 4, "unchanged": 20}, {"created": 0, "unchanged": 24}} {
		code, out, errOut = c.run("run", systemJob(t, dir, "closum-v1", src, closumV1Target(url), fmt.Sprintf(closumV1Mapping, "upsert")+fastRun))
		if code != exitOK {
			t.Fatalf("upsert %d: exit %d\n%s\n%s", run+1, code, out, errOut)
		}
		lines, sum = checkRun(t, dir, out, 24)
		if sum["created"] != want["created"] || sum["unchanged"] != want["unchanged"] || len(fake.Leads()) != 24 {
			t.Fatalf("upsert %d: %v, want %v; sandbox has %d leads, want 24", run+1, sum, want, len(fake.Leads()))
		}
		for row, l := range lines {
			if ids[row] == "" {
				ids[row] = l.ID
			}
			if l.ID != ids[row] || (l.Status == connector.Unchanged && !strings.Contains(l.Error, "found by email")) {
				t.Fatalf("upsert %d: row %d is %+v, want lead %s", run+1, row, l, ids[row])
			}
		}
	}
	if n := fake.TokenIssues(); n != 3 {
		t.Errorf("%d tokens issued for 3 runs: want one login per run", n)
	}
}

func TestClosumV1BadRows(t *testing.T) {
	t.Parallel()
	fake, url := closumV1Server(t, sandbox.Options{})
	dir := t.TempDir()
	src := writeCSV(t, dir, "bad.csv", [][]string{{"Name", "Email", "Phone"},
		{"Good One", "good1@example.com", "+14155550101"},
		{"No Domain", "user@localhost", ""},
		{"Bad Phone", "phone@example.com", "12ab"},
		{"Nobody", "", ""},
		{"Good Two", "good2@example.com", ""},
	})
	body := `mode: create
mapping:
  - { field: name, from: Name }
  - { field: email, from: Email, transform: [trim, lower] }
  - { field: phone, from: Phone }
` + fastRun
	code, out, errOut := closumV1CLI(t, sandbox.DefaultKey).run("run", systemJob(t, dir, "closum-v1", src, closumV1Target(url), body))
	if code != exitFailed {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, out, errOut)
	}
	lines, sum := checkRun(t, dir, out, 5)
	if sum["created"] != 2 || sum["failed"] != 3 || len(fake.Leads()) != 2 {
		t.Fatalf("%v, sandbox has %d leads, want 2", sum, len(fake.Leads()))
	}
	for _, tc := range []struct {
		row  int
		want string
	}{
		{2, "must be a valid email address"},
		{3, "The number must hold 6 to 15 digits"},
		{4, "An email or a phone is required"},
	} {
		l := lines[tc.row]
		if l.Status != connector.Failed || l.HTTPStatus != http.StatusBadRequest || !strings.Contains(l.Error, tc.want) {
			t.Errorf("row %d: %s, HTTP %d, %q; want failed, HTTP 400, %q", tc.row, l.Status, l.HTTPStatus, l.Error, tc.want)
		}
	}
}

func TestClosumV1RejectedCredentialsExitFast(t *testing.T) {
	t.Parallel()
	fake, url := closumV1Server(t, sandbox.Options{})
	dir := t.TempDir()
	c := closumV1CLI(t, "v1-wrong-password-77d1")
	src := writeCSV(t, dir, "people.csv", people(40, "x"))
	start := time.Now()
	code, out, errOut := c.run("run", systemJob(t, dir, "closum-v1", src, closumV1Target(url), fmt.Sprintf(closumV1Mapping, "upsert")+fastRun))
	if code != exitAborted || time.Since(start) > 5*time.Second {
		t.Fatalf("exit %d after %v, want 3 at once\n%s", code, time.Since(start), errOut)
	}
	if !strings.Contains(errOut, "Invalid username or password") {
		t.Errorf("stderr %q: want Closum's reason", errOut)
	}
	assertNoSecret(t, "v1-wrong-password-77d1", dir, out, errOut)
	if req, _, _ := fake.Gate().Stats(); req > 2 || fake.TokenIssues() != 0 || len(fake.Leads()) != 0 {
		t.Errorf("%d requests, %d tokens, %d leads for rejected credentials", req, fake.TokenIssues(), len(fake.Leads()))
	}
}

// The token expires twice during a run (the sandbox's clock jumps past its
// lifetime): each expiry costs one new token, shared by every worker, and
// no row fails or needs a second attempt.
func TestClosumV1TokenExpiresMidRun(t *testing.T) {
	t.Parallel()
	clk := &shiftClock{}
	fake, url := closumV1Server(t, sandbox.Options{Now: clk.now})
	dir := t.TempDir()
	src := writeCSV(t, dir, "people.csv", people(40, "x"))
	done := make(chan struct{})
	defer close(done)
	go func() {
		for _, step := range []struct{ leads, tokens int }{{10, 1}, {25, 2}} {
			for len(fake.Leads()) < step.leads || fake.TokenIssues() < step.tokens {
				select {
				case <-done:
					return
				case <-time.After(time.Millisecond):
				}
			}
			clk.advance(closumv1sb.DefaultTokenTTL + time.Hour)
		}
	}()
	body := fmt.Sprintf(closumV1Mapping, "upsert") + "run: { workers: 4, rate: 100/s }\n"
	code, out, errOut := closumV1CLI(t, sandbox.DefaultKey).run("run", systemJob(t, dir, "closum-v1", src, closumV1Target(url), body))
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	lines, sum := checkRun(t, dir, out, 40)
	if sum["created"] != 40 || len(fake.Leads()) != 40 {
		t.Fatalf("%v, sandbox has %d leads", sum, len(fake.Leads()))
	}
	if n := fake.TokenIssues(); n != 3 {
		t.Fatalf("%d tokens issued: want 3 (the first, and one per expiry)", n)
	}
	for _, l := range lines {
		if l.Attempts != 1 {
			t.Fatalf("row %d took %d attempts: the token renewal must be invisible to rows", l.Row, l.Attempts)
		}
	}
}

// The v1 API cannot update a lead: mode update is an invalid job, said so
// before anything is sent.
func TestClosumV1UpdateModeIsInvalid(t *testing.T) {
	t.Parallel()
	fake, url := closumV1Server(t, sandbox.Options{})
	dir := t.TempDir()
	c := closumV1CLI(t, sandbox.DefaultKey)
	src := writeCSV(t, dir, "people.csv", people(3, "x"))
	job := systemJob(t, dir, "closum-v1", src, closumV1Target(url), fmt.Sprintf(closumV1Mapping, "update")+fastRun)
	for _, cmd := range []string{"validate", "run"} {
		code, _, errOut := c.run(cmd, job)
		if code != exitInvalid || !strings.Contains(errOut, "mode update") || !strings.Contains(errOut, "no lead update") {
			t.Errorf("%s: exit %d, %q; want 2 and the reason", cmd, code, errOut)
		}
	}
	if req, _, _ := fake.Gate().Stats(); req != 0 {
		t.Errorf("%d requests for an invalid job", req)
	}
}

// The sample job imports the sample data: only its bad rows fail; a second
// run finds every lead and creates none.
func TestClosumV1Sample(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	code, lines, sum := runSample(t, dir, "closum-v1-import.yaml")
	// Row 76 is row 12's email in other case: found, not created again.
	if code != exitFailed || sum["failed"] != 7 || sum["created"] != 292 || sum["unchanged"] != 1 {
		t.Fatalf("exit %d, %v; want the 7 bad rows failed, 292 created and row 76 found", code, sum)
	}
	checkSampleBadRows(t, lines)
	code, lines, sum = runSample(t, dir, "closum-v1-import.yaml")
	if code != exitFailed || sum["failed"] != 7 || sum["unchanged"] != 293 {
		t.Fatalf("second run: exit %d, %v; want every lead found unchanged", code, sum)
	}
	checkSampleBadRows(t, lines)
}
