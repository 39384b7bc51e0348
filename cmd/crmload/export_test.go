package main

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/internal/sandbox"
	closesb "github.com/crmload/crmload/internal/sandbox/closecrm"
	qlarasb "github.com/crmload/crmload/internal/sandbox/qlara"
	"github.com/crmload/crmload/mapping"
)

// listed describes how each listable system is seeded and paged in tests.
type listed struct {
	system  string
	obj     connector.Object
	n       int    // records seeded: more than two pages
	options string // source options, e.g. a smaller page size
	record  func(i int) mapping.Record
}

func listedSystems() []listed {
	person := func(i int) mapping.Record {
		return mapping.Record{"name": fmt.Sprintf("Person %d", i), "email": fmt.Sprintf("p%d@example.com", i)}
	}
	return []listed{
		{"close", connector.Lead, 230, "", func(i int) mapping.Record {
			r := person(i)
			r["company"] = fmt.Sprintf("Acme %d", i)
			return r
		}},
		{"closum", connector.Lead, 65, "  options: { page_size: \"20\" }\n", person},
		{"closum-v1", connector.Lead, 65, "  options: { page_size: \"20\" }\n", person},
		{"qlara", connector.Contact, 2100, "", person}, // pages of 1000, the API's maximum
	}
}

// Every listable system, paged over several pages: every record exactly
// once, none lost or repeated.
func TestExportPaginatesEverySystem(t *testing.T) {
	for _, sys := range listedSystems() {
		t.Run(sys.system, func(t *testing.T) {
			s := serveFake(t, sys.system, sandbox.Options{})
			recs := make([]mapping.Record, sys.n)
			for i := range recs {
				recs[i] = sys.record(i + 1)
			}
			if q, ok := s.fake.(*qlarasb.Fake); ok { // 2,100 creates through HTTP would be slow
				for _, r := range recs {
					name, email := r["name"], r["email"]
					if _, err := q.SeedContact(qlarasb.ContactFields{FullName: &name, MainEmail: &email}); err != nil {
						t.Fatal(err)
					}
				}
			} else {
				s.seed(t, sys.system, sys.obj, recs)
			}
			before := s.gets.Load()
			dir := t.TempDir()
			out := filepath.Join(dir, "out.csv")
			job := exportJobFile(t, dir, sys.system, sys.obj, s.url, out, sys.options, "run: { rate: 1000/s }\n")
			code, stdout, stderr := exportCLI(t).run("export", job)
			if code != exitOK {
				t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
			}
			rows := readCSVRows(t, out)
			id, email := column(t, rows[0], "id"), column(t, rows[0], "email")
			seenID, seenEmail := map[string]bool{}, map[string]bool{}
			for _, r := range rows[1:] {
				if seenID[r[id]] || r[id] == "" {
					t.Fatalf("id %q twice or empty", r[id])
				}
				seenID[r[id]], seenEmail[r[email]] = true, true
			}
			for _, r := range recs {
				if !seenEmail[r["email"]] {
					t.Fatalf("%s missing from the export", r["email"])
				}
			}
			if len(rows)-1 != sys.n {
				t.Fatalf("%d rows exported, %d seeded", len(rows)-1, sys.n)
			}
			if pages := s.gets.Load() - before; pages < 3 {
				t.Fatalf("only %d GETs: the listing was not paged", pages)
			}
			if !strings.Contains(stdout, fmt.Sprintf("exported %d %ss from %s to %s", sys.n, sys.obj, sys.system, out)) {
				t.Errorf("summary: %s", stdout)
			}
		})
	}
}

// A failure in the middle of an export, beyond the retries, leaves no file
// at the target path and no partial one beside it, and exits 3.
func TestExportFailureMidway(t *testing.T) {
	tests := []struct {
		name string
		fail func(n int, w http.ResponseWriter, r *http.Request) bool
		want string
	}{
		{"5xx beyond retries", func(n int, w http.ResponseWriter, r *http.Request) bool {
			if r.URL.Query().Get("_skip") == "" || r.URL.Query().Get("_skip") == "0" {
				return false
			}
			http.Error(w, `{"error":"Service Unavailable"}`, http.StatusServiceUnavailable)
			return true
		}, "HTTP 503"},
		{"connection dropped", func(n int, w http.ResponseWriter, r *http.Request) bool {
			if r.URL.Query().Get("_skip") == "" || r.URL.Query().Get("_skip") == "0" {
				return false
			}
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return true
		}, "list close leads"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := serveFake(t, "close", sandbox.Options{})
			fake := s.fake.(*closesb.Fake)
			for i := 1; i <= 250; i++ {
				fake.AddLead(map[string]any{"name": fmt.Sprintf("Acme %d", i)})
			}
			var failed atomic.Int32
			f := func(n int, w http.ResponseWriter, r *http.Request) bool {
				if tt.fail(n, w, r) {
					failed.Add(1)
					return true
				}
				return false
			}
			s.fail.Store(&f)
			dir := t.TempDir()
			target := filepath.Join(dir, "exports", "leads.xlsx")
			job := exportJobFile(t, dir, "close", connector.Lead, s.url, target, "  since: last_run\n",
				"run: { rate: 1000/s, retries: 2 }\n")
			code, stdout, stderr := exportCLI(t).run("export", job)
			if code != exitAborted || !strings.Contains(stderr, tt.want) {
				t.Fatalf("exit %d, want 3 saying %q\n%s\n%s", code, tt.want, stdout, stderr)
			}
			// 1 + 2 retries; net/http itself may resend a GET once on a
			// reused connection that was dropped.
			if n := failed.Load(); n < 3 || n > 4 {
				t.Errorf("the failing page was tried %d times, want 1 + 2 retries", n)
			}
			if names := dirNames(t, filepath.Dir(target)); len(names) != 0 {
				t.Fatalf("left in the target's directory: %v", names)
			}
			if strings.Contains(stderr, sandbox.DefaultKey) {
				t.Fatalf("the API key leaked: %s", stderr)
			}
		})
	}
}

// Formula-like cells are neutralised unless the job keeps formulas; phone
// numbers and plain numbers are left alone.
func TestExportNeutralisesFormulas(t *testing.T) {
	s := serveFake(t, "close", sandbox.Options{})
	fake := s.fake.(*closesb.Fake)
	_, err := fake.AddLead(map[string]any{
		"name":        `=HYPERLINK("http://evil.example","x")`,
		"description": "-2+3+cmd|' /C calc'!A0",
		"contacts": []map[string]any{{"name": "@SUM(1+1)", "title": "+1 (415) 555-0123",
			"phones": []map[string]any{{"phone": "+14155550123"}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		formulas string
		want     map[string]string
	}{
		{"", map[string]string{"company": `'=HYPERLINK("http://evil.example","x")`, "description": "'-2+3+cmd|' /C calc'!A0",
			"name": "'@SUM(1+1)", "phone": "+14155550123", "title": "+1 (415) 555-0123"}},
		{"keep", map[string]string{"company": `=HYPERLINK("http://evil.example","x")`, "description": "-2+3+cmd|' /C calc'!A0",
			"name": "@SUM(1+1)", "phone": "+14155550123"}},
	}
	for _, tt := range tests {
		t.Run("formulas="+tt.formulas, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "x.csv")
			target := out
			if tt.formulas != "" {
				target += "\n  formulas: " + tt.formulas
			}
			job := exportJobFile(t, dir, "close", connector.Lead, s.url, target, "", "")
			if code, stdout, stderr := exportCLI(t).run("export", job); code != exitOK {
				t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
			}
			rows := readCSVRows(t, out)
			for col, want := range tt.want {
				if got := rows[1][column(t, rows[0], col)]; got != want {
					t.Errorf("%s = %q, want %q", col, got, want)
				}
			}
		})
	}
}

// {{job}}, {{date}} and {{time}} name the file; the XLSX has one sheet
// named after the object, with date cells; run does what export does.
func TestExportDatedFileName(t *testing.T) {
	s := serveFake(t, "close", sandbox.Options{})
	fake := s.fake.(*closesb.Fake)
	for i := 1; i <= 3; i++ {
		fake.AddLead(map[string]any{"name": fmt.Sprintf("Acme %d", i)})
	}
	dir := t.TempDir()
	job := exportJobFile(t, dir, "close", connector.Lead, s.url, "exports/{{job}}-{{date}}-{{time}}.xlsx", "", "")
	before := time.Now().Truncate(time.Second)
	code, stdout, stderr := exportCLI(t).run("run", job)
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	after := time.Now()
	names := dirNames(t, filepath.Join(dir, "exports"))
	if len(names) != 1 {
		t.Fatalf("exports: %v", names)
	}
	stamp, ok := strings.CutPrefix(strings.TrimSuffix(names[0], ".xlsx"), "exp-")
	at, err := time.ParseInLocation("2006-01-02-150405", stamp, time.Local)
	if !ok || err != nil || at.Before(before) || at.After(after) {
		t.Fatalf("file %q: want exp-<date>-<time>.xlsx of this run (%v)", names[0], err)
	}
	x, err := excelize.OpenFile(filepath.Join(dir, "exports", names[0]))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, err := x.GetRows("Leads")
	if err != nil || len(rows) != 4 {
		t.Fatalf("sheet Leads: %d rows, %v (sheets %v)", len(rows), err, x.GetSheetList())
	}
	col := column(t, rows[0], "date_created")
	cell, _ := excelize.CoordinatesToCellName(col+1, 2)
	if typ, _ := x.GetCellType("Leads", cell); typ == excelize.CellTypeInlineString || typ == excelize.CellTypeSharedString {
		t.Fatalf("date_created is text (%q), want a date cell", rows[1][col])
	}
}

// since: last_run on Close: the second export holds only the leads created
// or updated after the first one started.
func TestExportSinceLastRun(t *testing.T) {
	var clock atomic.Int64
	clock.Store(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	s := serveFake(t, "close", sandbox.Options{Now: func() time.Time { return time.Unix(0, clock.Load()) }})
	fake := s.fake.(*closesb.Fake)
	for i := 1; i <= 120; i++ {
		_, err := fake.AddLead(map[string]any{"name": fmt.Sprintf("Acme %d", i),
			"contacts": []map[string]any{{"name": fmt.Sprintf("P %d", i), "emails": []map[string]any{{"email": fmt.Sprintf("p%d@example.com", i)}}}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	job := exportJobFile(t, dir, "close", connector.Lead, s.url, "exports/{{job}}-{{time}}.csv", "  since: last_run\n",
		"mapping:\n  - { field: Company, from: company }\n  - { field: Title, from: title }\n")
	c := exportCLI(t)
	code, stdout, stderr := c.run("export", job, "-o", filepath.Join(dir, "exports", "first.csv"))
	if code != exitOK || !strings.Contains(stdout, "no successful run recorded") {
		t.Fatalf("first: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if rows := readCSVRows(t, filepath.Join(dir, "exports", "first.csv")); len(rows) != 121 {
		t.Fatalf("first export: %d rows", len(rows)-1)
	}

	// An hour later on the CRM's clock: two leads change, one is new.
	clock.Store(time.Now().Add(time.Hour).UnixNano())
	conn := s.conn(t, "close")
	for _, e := range []string{"p7@example.com", "p101@example.com"} {
		if _, err := conn.Write(t.Context(), connector.Lead, mapping.Record{"email": e, "title": "CTO"},
			connector.WriteOptions{Mode: connector.Update, Match: []string{"email"}}); err != nil {
			t.Fatal(err)
		}
	}
	fake.AddLead(map[string]any{"name": "Newco"})

	code, stdout, stderr = c.run("export", job, "-o", filepath.Join(dir, "exports", "second.csv"))
	if code != exitOK || !strings.Contains(stdout, "since ") {
		t.Fatalf("second: exit %d\n%s\n%s", code, stdout, stderr)
	}
	rows := readCSVRows(t, filepath.Join(dir, "exports", "second.csv"))
	got := map[string]string{}
	for _, r := range rows[1:] {
		got[r[0]] = r[1]
	}
	want := map[string]string{"Acme 7": "CTO", "Acme 101": "CTO", "Newco": ""}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("second export %v, want only the changed leads %v", got, want)
	}
}
