package main

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/internal/sandbox"
	qlarasb "github.com/crmload/crmload/internal/sandbox/qlara"
	"github.com/crmload/crmload/internal/systems"
)

// End-to-end tests of the Qlara Platform API (system qlara) through the
// CLI: contacts found by email, then updated or created, and added to a
// contact list in batches.

// qlaraServer serves a fresh Qlara fake; the base URL includes the API path.
func qlaraServer(t *testing.T) (*qlarasb.Fake, string) {
	t.Helper()
	fake := qlarasb.New(sandbox.Options{})
	return fake, e2eServe(t, fake, fake.Close) + fake.BasePath()
}

// qlaraTarget is the target block; options are extra "key: value" lines.
func qlaraTarget(url string, options ...string) string {
	s := fmt.Sprintf("  object: contact\n  base_url: %s\n  auth: { api_key: \"${QLARA_KEY}\" }\n", url)
	if len(options) > 0 {
		s += "  options:\n"
		for _, o := range options {
			s += "    " + o + "\n"
		}
	}
	return s
}

func qlaraCLI(t *testing.T, key string) *cli {
	c := newCLI(t)
	c.env["QLARA_KEY"] = key
	return c
}

const qlaraMapping = `mode: %s
match: [email]
region: US
mapping:
  - { field: name, from: Name, transform: [trim, title] }
  - { field: email, from: Email, transform: [trim, lower, email], required: true }
  - { field: phone, from: Phone, transform: [phone_e164] }
  - { field: company, from: Company }
  - { field: title, from: Title }
` + fastRun

func TestQlaraCreateAndUpsert(t *testing.T) {
	t.Parallel()
	fake, url := qlaraServer(t)
	dir := t.TempDir()
	c := qlaraCLI(t, sandbox.DefaultKey)
	src := writeCSV(t, dir, "people.csv", people(20, "Engineer"))
	code, out, errOut := c.run("run", systemJob(t, dir, "qlara", src, qlaraTarget(url), fmt.Sprintf(qlaraMapping, "create")))
	if code != exitOK {
		t.Fatalf("create: exit %d\n%s\n%s", code, out, errOut)
	}
	lines, sum := checkRun(t, dir, out, 20)
	if sum["created"] != 20 || len(fake.Contacts()) != 20 {
		t.Fatalf("create: %v, sandbox has %d contacts", sum, len(fake.Contacts()))
	}
	id, _ := strconv.ParseInt(lines[3].ID, 10, 64)
	ct, ok := fake.Contact(id)
	if !ok || qlaraText(ct.FullName) != "Person 3" || qlaraText(ct.MainEmail) != "p3@example.com" ||
		!slices.Equal(ct.PhoneNumbers, []string{"+14155551003"}) || qlaraText(ct.Organization) != "Acme 3" || qlaraText(ct.JobTitle) != "Engineer" {
		t.Fatalf("row 3 (id %q) stored as %+v", lines[3].ID, ct)
	}
	ids := map[int]string{}
	for row, l := range lines {
		ids[row] = l.ID
	}

	// Upsert 24 people with a new title twice: 4 created and 20 updated,
	// then nothing left to change.
	src = writeCSV(t, dir, "people.csv", people(24, "Manager"))
	for run, want := range []map[string]int{{"created": 4, "updated": 20}, {"unchanged": 24}} {
		code, out, errOut = c.run("run", systemJob(t, dir, "qlara", src, qlaraTarget(url), fmt.Sprintf(qlaraMapping, "upsert")))
		if code != exitOK {
			t.Fatalf("upsert %d: exit %d\n%s\n%s", run+1, code, out, errOut)
		}
		lines, sum = checkRun(t, dir, out, 24)
		if sum["created"] != want["created"] || sum["updated"] != want["updated"] || sum["unchanged"] != want["unchanged"] || len(fake.Contacts()) != 24 {
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
	if ct, _ = fake.Contact(id); qlaraText(ct.JobTitle) != "Manager" {
		t.Errorf("upsert did not update contact 3: %+v", ct)
	}
}

// Phones must be E.164: a number in another form fails before any call, a
// number Qlara refuses (unknown country code, taken by another contact)
// fails with its answer; the run goes on.
func TestQlaraBadRows(t *testing.T) {
	t.Parallel()
	fake, url := qlaraServer(t)
	taken := "+14155550199"
	if _, err := fake.SeedContact(qlarasb.ContactFields{PhoneNumbers: []string{taken}}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	src := writeCSV(t, dir, "bad.csv", [][]string{{"Name", "Email", "Phone"},
		{"Good One", "good1@example.com", "+14155550101"},
		{"National", "national@example.com", "(415) 555-0102"},
		{"Spaced", "spaced@example.com", "+39 333 1234567"},
		{"No Country", "nocountry@example.com", "+99912345678"},
		{"Good Two", "good2@example.com", ""},
		{"Taken", "taken@example.com", taken},
	})
	body := `mode: create
mapping:
  - { field: name, from: Name }
  - { field: email, from: Email, transform: [trim, lower, email] }
  - { field: phone, from: Phone }
` + fastRun
	code, out, errOut := qlaraCLI(t, sandbox.DefaultKey).run("run", systemJob(t, dir, "qlara", src, qlaraTarget(url), body))
	if code != exitFailed {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, out, errOut)
	}
	lines, sum := checkRun(t, dir, out, 6)
	if sum["created"] != 2 || sum["failed"] != 4 || len(fake.Contacts()) != 3 {
		t.Fatalf("%v, sandbox has %d contacts, want 3", sum, len(fake.Contacts()))
	}
	for _, tc := range []struct {
		row, status int
		want        string
	}{
		{2, 0, "not in E.164 format"},
		{3, 0, "not in E.164 format"},
		{4, http.StatusBadRequest, "+99912345678"},
		{6, http.StatusConflict, "already belongs to contact"},
	} {
		l := lines[tc.row]
		if l.Status != connector.Failed || l.HTTPStatus != tc.status || !strings.Contains(l.Error, tc.want) {
			t.Errorf("row %d: %s, HTTP %d, %q; want failed, HTTP %d, %q", tc.row, l.Status, l.HTTPStatus, l.Error, tc.status, tc.want)
		}
	}
	// Prepare's key check and one POST per row that reached Qlara (1, 4, 5, 6).
	if req, _, _ := fake.Gate().Stats(); req != 5 {
		t.Errorf("%d requests, want 5: rows refused locally must make no call", req)
	}
}

func TestQlaraRejectedKeyExitsFast(t *testing.T) {
	t.Parallel()
	fake, url := qlaraServer(t)
	dir := t.TempDir()
	src := writeCSV(t, dir, "people.csv", people(40, "x"))
	start := time.Now()
	code, out, errOut := qlaraCLI(t, "qlara-wrong-key-6a0f").run("run", systemJob(t, dir, "qlara", src, qlaraTarget(url), fmt.Sprintf(qlaraMapping, "upsert")))
	if code != exitAborted || time.Since(start) > 5*time.Second {
		t.Fatalf("exit %d after %v, want 3 at once\n%s", code, time.Since(start), errOut)
	}
	if !strings.Contains(errOut, "401") {
		t.Errorf("stderr %q: want the 401", errOut)
	}
	assertNoSecret(t, "qlara-wrong-key-6a0f", dir, out, errOut)
	if req, _, _ := fake.Gate().Stats(); req > 2 || len(fake.Contacts()) != 0 {
		t.Errorf("%d requests, %d contacts for a rejected key", req, len(fake.Contacts()))
	}
}

// Every contact of the run joins the job's list, 10 per call: ceil(45/10)
// calls, not 45. A second run finds the list by name and adds nothing new.
func TestQlaraListMembershipInBatches(t *testing.T) {
	t.Parallel()
	fake, url := qlaraServer(t)
	dir := t.TempDir()
	c := qlaraCLI(t, sandbox.DefaultKey)
	src := writeCSV(t, dir, "people.csv", people(45, "x"))
	target := qlaraTarget(url, `list: "Spring fair"`, `create_list: "true"`, `list_batch_size: "10"`)
	code, out, errOut := c.run("run", systemJob(t, dir, "qlara", src, target, fmt.Sprintf(qlaraMapping, "upsert")))
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	lines, sum := checkRun(t, dir, out, 45)
	lists := fake.Lists()
	if sum["created"] != 45 || len(lists) != 1 || lists[0].Name != "Spring fair" {
		t.Fatalf("%v; lists %+v", sum, lists)
	}
	if n := fake.ListAddCalls(); n != 5 {
		t.Fatalf("%d add-to-list calls for 45 contacts in batches of 10, want 5", n)
	}
	var want []int64
	for _, l := range lines {
		id, _ := strconv.ParseInt(l.ID, 10, 64)
		want = append(want, id)
	}
	slices.Sort(want)
	if got := fake.ListMembers(lists[0].ID); !slices.Equal(got, want) {
		t.Fatalf("list holds %v, want every contact of the run %v", got, want)
	}

	target = qlaraTarget(url, `list: "Spring fair"`, `list_batch_size: "10"`)
	code, out, errOut = c.run("run", systemJob(t, dir, "qlara", src, target, fmt.Sprintf(qlaraMapping, "upsert")))
	if code != exitOK {
		t.Fatalf("second run: exit %d\n%s\n%s", code, out, errOut)
	}
	if _, sum = checkRun(t, dir, out, 45); sum["unchanged"] != 45 || len(fake.Lists()) != 1 || len(fake.ListMembers(lists[0].ID)) != 45 {
		t.Fatalf("second run: %v, %d lists, %d members", sum, len(fake.Lists()), len(fake.ListMembers(lists[0].ID)))
	}
}

func qlaraText(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// The sample job imports the sample data into a list: only its bad rows
// fail. A second run creates nothing and every contact is in the list.
func TestQlaraSample(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	code, lines, sum := runSample(t, dir, "qlara-import.yaml")
	if code != exitFailed || sum["failed"] != 7 || sum["created"] < 280 {
		t.Fatalf("exit %d, %v; want the 7 bad rows failed, the rest written", code, sum)
	}
	checkSampleBadRows(t, lines)
	for _, l := range lines {
		if l.Status == connector.Failed && l.HTTPStatus == http.StatusConflict {
			t.Errorf("row %d: 409 %s (the sample gives every person a phone of their own)", l.Row, l.Error)
		}
	}
	code, lines, sum = runSample(t, dir, "qlara-import.yaml")
	if code != exitFailed || sum["failed"] != 7 || sum["created"] != 0 {
		t.Fatalf("second run: exit %d, %v; want nothing created", code, sum)
	}
	checkSampleBadRows(t, lines)
	fake := qlarasb.New(sandbox.Options{StatePath: systems.StatePath(dir, "qlara")})
	defer fake.Close()
	lists := fake.Lists()
	if len(lists) != 1 || lists[0].Name != "HubSpot import" || len(fake.ListMembers(lists[0].ID)) != len(fake.Contacts()) {
		t.Fatalf("lists %+v; %d contacts", lists, len(fake.Contacts()))
	}
}
