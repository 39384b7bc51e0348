package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/internal/sandbox"
	closemsb "github.com/crmload/crmload/internal/sandbox/closem"
	"github.com/crmload/crmload/internal/systems"
)

// End-to-end tests of CLOSEM (system closem) through the CLI: one form POST
// with the key in the URL.

// closemServer serves a fresh CLOSEM fake accepting key ("" for the
// default) with faults; the base URL is the company URL.
func closemServer(t *testing.T, key string, f sandbox.Faults) (*closemsb.Fake, string) {
	t.Helper()
	fake := closemsb.New(sandbox.Options{APIKey: key, Faults: f})
	return fake, e2eServe(t, fake, fake.Close) + fake.BasePath()
}

func closemTarget(url string) string {
	return fmt.Sprintf("  object: contact\n  base_url: %s\n  auth: { api_key: \"${CLOSEM_KEY}\" }\n", url)
}

func closemCLI(t *testing.T, key string) *cli {
	c := newCLI(t)
	c.env["CLOSEM_KEY"] = key
	return c
}

const closemMapping = `mode: %s
match: [email]
region: US
mapping:
  - { field: name, from: Name, transform: [trim, title] }
  - { field: email, from: Email, transform: [trim, lower, email], required: true }
  - { field: phone, from: Phone, transform: [phone_e164] }
  - { field: notes, from: Title }
  - { field: address, from: Company }
`

func TestClosemCreateAndUpsert(t *testing.T) {
	t.Parallel()
	fake, url := closemServer(t, "", sandbox.Faults{})
	dir := t.TempDir()
	c := closemCLI(t, sandbox.DefaultKey)
	src := writeCSV(t, dir, "people.csv", people(20, "Engineer"))
	code, out, errOut := c.run("run", systemJob(t, dir, "closem", src, closemTarget(url), fmt.Sprintf(closemMapping, "create")+fastRun))
	if code != exitOK {
		t.Fatalf("create: exit %d\n%s\n%s", code, out, errOut)
	}
	lines, sum := checkRun(t, dir, out, 20)
	if sum["created"] != 20 || len(fake.Contacts()) != 20 {
		t.Fatalf("create: %v, sandbox has %d contacts", sum, len(fake.Contacts()))
	}
	ids := map[int]string{}
	for row, l := range lines {
		ids[row] = l.ID
	}
	var p3 closemsb.Contact
	for _, ct := range fake.Contacts() {
		if ct.ID == lines[3].ID {
			p3 = ct
		}
	}
	if p3.FullName() != "Person 3" || p3.Email != "p3@example.com" || p3.Phone != "+14155551003" ||
		p3.Notes != "Engineer" || p3.Address != "Acme 3" {
		t.Fatalf("row 3 (id %q) stored as %+v", lines[3].ID, p3)
	}

	// Upsert 24 people twice (upsert=true: CLOSEM matches them itself): 4
	// new contacts the first time, none the second, the same ids both times.
	src = writeCSV(t, dir, "people.csv", people(24, "Manager"))
	for run, want := range []map[string]int{{"created": 4, "updated": 20}, {"created": 0, "updated": 24}} {
		code, out, errOut = c.run("run", systemJob(t, dir, "closem", src, closemTarget(url), fmt.Sprintf(closemMapping, "upsert")+fastRun))
		if code != exitOK {
			t.Fatalf("upsert %d: exit %d\n%s\n%s", run+1, code, out, errOut)
		}
		lines, sum = checkRun(t, dir, out, 24)
		if sum["created"] != want["created"] || sum["updated"] != want["updated"] || len(fake.Contacts()) != 24 {
			t.Fatalf("upsert %d: %v, want %v; sandbox has %d contacts, want 24", run+1, sum, want, len(fake.Contacts()))
		}
		for row, l := range lines {
			if ids[row] == "" {
				ids[row] = l.ID
			}
			if l.ID != ids[row] {
				t.Fatalf("upsert %d: row %d reported id %q, want %q", run+1, row, l.ID, ids[row])
			}
		}
	}
	if c := fake.Contacts()[2]; c.Notes != "Manager" {
		t.Errorf("upsert did not update contact 3: %+v", c)
	}
}

// A row with neither phone nor email fails before any call; a phone or an
// email CLOSEM refuses fails with its answer; the other rows go through.
func TestClosemBadRows(t *testing.T) {
	t.Parallel()
	fake, url := closemServer(t, "", sandbox.Faults{})
	dir := t.TempDir()
	src := writeCSV(t, dir, "bad.csv", [][]string{{"Name", "Email", "Phone"},
		{"Good One", "good1@example.com", "+14155550101"},
		{"Nobody", "", ""},
		{"Bad Phone", "phone@example.com", "12ab"},
		{"Phone Only", "", "(415) 555-0102"},
		{"Bad Email", "two@@example.com", ""},
	})
	body := `mode: upsert
match: [email]
mapping:
  - { field: name, from: Name }
  - { field: email, from: Email, transform: [trim, lower] }
  - { field: phone, from: Phone }
` + fastRun
	code, out, errOut := closemCLI(t, sandbox.DefaultKey).run("run", systemJob(t, dir, "closem", src, closemTarget(url), body))
	if code != exitFailed {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, out, errOut)
	}
	lines, sum := checkRun(t, dir, out, 5)
	if sum["created"] != 2 || sum["failed"] != 3 || len(fake.Contacts()) != 2 {
		t.Fatalf("%v, sandbox has %d contacts, want 2", sum, len(fake.Contacts()))
	}
	for _, tc := range []struct {
		row, status int
		want        string
	}{
		{2, 0, "neither"},
		{3, http.StatusBadRequest, "Invalid phone number"},
		{5, http.StatusBadRequest, "Invalid email address"},
	} {
		l := lines[tc.row]
		if l.Status != connector.Failed || l.HTTPStatus != tc.status || !strings.Contains(l.Error, tc.want) {
			t.Errorf("row %d: %s, HTTP %d, %q; want failed, HTTP %d, %q", tc.row, l.Status, l.HTTPStatus, l.Error, tc.status, tc.want)
		}
	}
	// One call per row that reached CLOSEM (1, 3, 4, 5): none for row 2.
	if req, _, _ := fake.Gate().Stats(); req != 4 {
		t.Errorf("%d requests, want 4: the row with neither phone nor email must make no call", req)
	}
}

// CLOSEM's Prepare makes no call: a wrong key shows as a 401 on the first
// rows, which stops the run at once with a complete report.
func TestClosemRejectedKeyExitsFast(t *testing.T) {
	t.Parallel()
	fake, url := closemServer(t, "", sandbox.Faults{})
	dir := t.TempDir()
	src := writeCSV(t, dir, "people.csv", people(40, "x"))
	start := time.Now()
	code, out, errOut := closemCLI(t, "closem-wrong-key-31b9").run("run", systemJob(t, dir, "closem", src, closemTarget(url), fmt.Sprintf(closemMapping, "upsert")+fastRun))
	if code != exitAborted || time.Since(start) > 5*time.Second {
		t.Fatalf("exit %d after %v, want 3 at once\n%s", code, time.Since(start), errOut)
	}
	if !strings.Contains(errOut, "401") {
		t.Errorf("stderr %q: want the 401", errOut)
	}
	lines, sum := checkRun(t, dir, out, 40)
	if sum["created"]+sum["updated"] != 0 || len(fake.Contacts()) != 0 || sum["skipped"] == 0 {
		t.Fatalf("%v, %d contacts: want nothing written and the rest skipped", sum, len(fake.Contacts()))
	}
	for _, l := range lines {
		if l.Status == connector.Failed && l.HTTPStatus != http.StatusUnauthorized {
			t.Errorf("row %d failed with %d %q, want 401", l.Row, l.HTTPStatus, l.Error)
		}
	}
	if req, _, _ := fake.Gate().Stats(); req > 8 {
		t.Errorf("%d requests for a rejected key: the run must stop at the first 401s", req)
	}
	assertNoSecret(t, "closem-wrong-key-31b9", dir, out, errOut)
}

// The key is in the URL of every call: rows failing on 5xx beyond retries
// and on timeouts, and a wrong key, never show a key anywhere.
func TestClosemKeyNeverShown(t *testing.T) {
	t.Parallel()
	const key = "closem-secret-d41c08"
	fake, url := closemServer(t, key, sandbox.Faults{Error5xx: 0.4, Timeout: 0.3, Hang: 2 * time.Second, Seed: 5})
	dir := t.TempDir()
	c := closemCLI(t, key)
	src := writeCSV(t, dir, "people.csv", people(12, "x"))
	body := fmt.Sprintf(closemMapping, "upsert") +
		"run: { workers: 4, rate: 500/s, retries: 1, timeout: 300ms, max_consecutive_failures: 1000 }\n"
	code, out, errOut := c.run("run", systemJob(t, dir, "closem", src, closemTarget(url), body))
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
		case strings.Contains(l.Error, "?m=api&auth="):
			timedOut++ // the transport's error, quoting the URL
		}
	}
	if fived == 0 || timedOut == 0 {
		t.Fatalf("the faults never failed a row as meant: %d by 503, %d by timeout", fived, timedOut)
	}
	// A wrong key, first with every call timing out (no 401 ever comes, and
	// the transport's errors quote the URL), then refused.
	texts := []string{out, errOut}
	c.env["CLOSEM_KEY"] = "closem-wrong-0e77"
	src = writeCSV(t, dir, "people.csv", people(4, "x"))
	for _, f := range []sandbox.Faults{{Timeout: 1, Hang: 2 * time.Second}, {}} {
		fake.Gate().SetFaults(f)
		code, out, errOut := c.run("run", systemJob(t, dir, "closem", src, closemTarget(url), body))
		if code == exitOK {
			t.Fatalf("wrong key, faults %+v: exit 0\n%s\n%s", f, out, errOut)
		}
		checkRun(t, dir, out, 4)
		texts = append(texts, out, errOut)
	}
	assertNoSecret(t, key, dir, texts...)
	assertNoSecret(t, "closem-wrong-0e77", dir, texts...)
}

// The sample job imports the sample data: only its bad rows fail; a second
// run updates the same contacts and creates none.
func TestClosemSample(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	code, lines, sum := runSample(t, dir, "closem-import.yaml")
	if code != exitFailed || sum["failed"] != 7 || sum["created"] < 280 || sum["created"]+sum["updated"] != 293 {
		t.Fatalf("exit %d, %v; want the 7 bad rows failed and the rest written", code, sum)
	}
	checkSampleBadRows(t, lines)
	created := sum["created"]
	code, lines, sum = runSample(t, dir, "closem-import.yaml")
	if code != exitFailed || sum["failed"] != 7 || sum["created"] != 0 || sum["updated"] != 293 {
		t.Fatalf("second run: exit %d, %v; want every contact updated, none created", code, sum)
	}
	checkSampleBadRows(t, lines)
	fake := closemsb.New(sandbox.Options{StatePath: systems.StatePath(dir, "closem")})
	defer fake.Close()
	if n := len(fake.Contacts()); n != created {
		t.Fatalf("the sandbox holds %d contacts, want the %d the first run created", n, created)
	}
}
