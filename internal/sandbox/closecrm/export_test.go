package closecrm

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/sandbox"
)

// fetchExport downloads an export file without the transport's transparent
// gunzip, so the test sees what the server sends.
func fetchExport(t *testing.T, link string) (int, http.Header, []byte) {
	t.Helper()
	cl := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableCompression: true}}
	res, err := cl.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, res.Header, b
}

// exportDocs gunzips and decodes an export file.
func exportDocs(t *testing.T, gz []byte) []map[string]any {
	t.Helper()
	zr, err := gzip.NewReader(strings.NewReader(string(gz)))
	if err != nil {
		t.Fatalf("export file is not gzip: %v", err)
	}
	var docs []map[string]any
	if err := json.NewDecoder(zr).Decode(&docs); err != nil {
		t.Fatalf("export file is not a JSON array: %v", err)
	}
	return docs
}

// pollExport reads the export until it is done and returns its last state
// and the statuses seen.
func (e *env) pollExport(id string) (map[string]any, []string) {
	e.t.Helper()
	var seen []string
	for range 10 {
		b := e.do("GET", "/export/"+id+"/", nil).must(e.t, http.StatusOK)
		seen = append(seen, b["status"].(string))
		if b["status"] == "done" {
			return b, seen
		}
	}
	e.t.Fatalf("export %s never done: %v", id, seen)
	return nil, nil
}

func TestExportLifecycle(t *testing.T) {
	e := start(t, sandbox.Options{})
	var want []string
	for i := range 3 {
		want = append(want, e.createLead(map[string]any{"name": fmt.Sprint("Acme ", i),
			"contacts": []any{map[string]any{"name": fmt.Sprint("P", i)}}}))
	}
	job := e.do("POST", "/export/lead/", map[string]any{"format": "json", "type": "leads", "send_done_email": false}).
		must(t, http.StatusOK)
	id, _ := job["id"].(string)
	if !strings.HasPrefix(id, "expo_") || job["status"] != "created" || job["download_url"] != nil ||
		job["query"] != "*" || job["n_docs"] != nil {
		t.Fatalf("new export = %v", job)
	}
	e.createLead(map[string]any{"name": "Too late"}) // after the export was queued

	// Not done yet: the file is refused.
	done, seen := e.pollExport(id)
	if strings.Join(seen, " ") != "started in_progress done" {
		t.Errorf("statuses = %v, want started in_progress done", seen)
	}
	if done["n_docs"] != 3.0 || done["n_docs_processed"] != 3.0 {
		t.Errorf("done export = %v", done)
	}
	link, _ := done["download_url"].(string)
	status, h, body := fetchExport(t, link)
	if status != http.StatusOK || h.Get("Content-Encoding") != "gzip" || h.Get("Content-Type") != "application/json" {
		t.Fatalf("download: %d %v", status, h)
	}
	docs := exportDocs(t, body)
	var got []string
	for _, d := range docs {
		got = append(got, d["id"].(string))
		if d["created_by_name"] != userName || d["contacts"] == nil {
			t.Errorf("lead document = %v", d)
		}
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("exported %v, want %v (queued data only)", got, want)
	}
	if s, _, _ := fetchExport(t, strings.Replace(link, "token=", "token=x", 1)); s != http.StatusForbidden {
		t.Errorf("wrong token: %d, want 403", s)
	}
	list := e.do("GET", "/export/", nil).must(t, http.StatusOK)
	if ids(data(t, list))[0] != id {
		t.Errorf("export list = %v", list)
	}
}

func TestExportTypesAndFields(t *testing.T) {
	e := start(t, sandbox.Options{})
	e.createLead(map[string]any{"name": "Acme", "contacts": []any{
		map[string]any{"name": "Ann"}, map[string]any{"name": "Bob"}}})
	e.createLead(map[string]any{"name": "Other", "contacts": []any{map[string]any{"name": "Cy"}}})
	tests := []struct {
		name string
		body map[string]any
		want string // name of each document
		keys int    // keys per document
	}{
		{"contacts", map[string]any{"format": "json", "type": "contacts"}, "Ann Bob Cy", 10},
		{"query and fields", map[string]any{"format": "json", "type": "leads", "query": `name:"acme"`, "fields": []string{"id", "name"}}, "Acme", 2},
		{"opportunities", map[string]any{"format": "json", "type": "lead_opps"}, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := e.do("POST", "/export/lead/", tt.body).must(t, http.StatusOK)["id"].(string)
			done, _ := e.pollExport(id)
			_, _, body := fetchExport(t, done["download_url"].(string))
			var names []string
			for _, d := range exportDocs(t, body) {
				names = append(names, d["name"].(string))
				if len(d) != tt.keys {
					t.Errorf("document has %d keys, want %d: %v", len(d), tt.keys, d)
				}
			}
			if strings.Join(names, " ") != tt.want {
				t.Errorf("exported %v, want %s", names, tt.want)
			}
		})
	}
}

func TestExportRefusals(t *testing.T) {
	e := start(t, sandbox.Options{})
	tests := []struct {
		name  string
		body  map[string]any
		field string // a field error expected, or "" for a request-level 400
	}{
		{"no format", map[string]any{"type": "leads"}, "format"},
		{"no type", map[string]any{"format": "json"}, "type"},
		{"bad type", map[string]any{"format": "json", "type": "deals"}, "type"},
		{"unknown key", map[string]any{"format": "json", "type": "leads", "sort": "name"}, "sort"},
		{"activities on contacts", map[string]any{"format": "json", "type": "contacts", "include_activities": true}, "include_activities"},
		{"csv", map[string]any{"format": "csv", "type": "leads"}, ""},
		{"bad query", map[string]any{"format": "json", "type": "leads", "query": "bogus:1"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do("POST", "/export/lead/", tt.body)
			if tt.field == "" {
				if msg, _ := r.must(t, http.StatusBadRequest)["error"].(string); msg == "" {
					t.Errorf("400 without a message: %s", r.raw)
				}
				return
			}
			if _, ok := r.fieldErrors(t)[tt.field]; !ok {
				t.Errorf("no field error on %s: %s", tt.field, r.raw)
			}
		})
	}
	if r := e.do("GET", "/export/expo_missing/", nil); r.status != http.StatusNotFound {
		t.Errorf("unknown export: %d", r.status)
	}
	if r := e.do("GET", "/export/lead/", nil); r.status != http.StatusMethodNotAllowed {
		t.Errorf("GET /export/lead/: %d, want 405", r.status)
	}
}

func TestGeneratedLeads(t *testing.T) {
	e := start(t, sandbox.Options{})
	e.createLead(map[string]any{"name": "Stored"}) // hidden while generating
	e.fake.SetGenerated(35)
	tests := []struct {
		query      string
		skip       int
		first      string // name of the first lead of the page
		n, total   int
		badRequest bool
	}{
		{"", 0, "Generated Lead 0000000", 10, 35, false},
		{"sort:created", 30, "Generated Lead 0000030", 5, 35, false},
		{`created >= "2024-01-01 00:00:01" sort:created`, 0, "Generated Lead 0000010", 10, 25, false},
		{`created > "2024-01-01 00:00:01" and updated < "2024-01-01 00:00:02"`, 0, "Generated Lead 0000011", 9, 9, false},
		{"created > 2024-01-01", 0, "", 0, 0, false},
		{`name:"Generated Lead 0000001"`, 0, "", 0, 0, true},
		{"sort:-created", 0, "", 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			r := e.do("GET", fmt.Sprintf("/lead/?_limit=10&_skip=%d&query=%s", tt.skip, url.QueryEscape(tt.query)), nil)
			if tt.badRequest {
				r.must(t, http.StatusBadRequest)
				return
			}
			b := r.must(t, http.StatusOK)
			leads := data(t, b)
			if len(leads) != tt.n || b["total_results"] != float64(tt.total) {
				t.Fatalf("%d leads of %v, want %d of %d", len(leads), b["total_results"], tt.n, tt.total)
			}
			if tt.n > 0 && leads[0]["name"] != tt.first {
				t.Errorf("first lead = %v, want %s", leads[0]["name"], tt.first)
			}
		})
	}
	e.fake.SetGenerated(0)
	if b := e.do("GET", "/lead/", nil).must(t, http.StatusOK); len(data(t, b)) != 1 {
		t.Errorf("stored leads not back after SetGenerated(0): %v", b)
	}
}

// TestGeneratedRange checks the bisection against a scan of every
// generated lead with the ordinary search.
func TestGeneratedRange(t *testing.T) {
	const n = 60
	s := newStore(time.Now())
	for _, raw := range []string{
		"", "created > 2024-01-01", `created >= "2024-01-01 00:00:02"`, `created > "2024-01-01 00:00:02"`,
		`updated < "2024-01-01 00:00:03.5"`, `created <= "2024-01-01 00:00:03.5"`,
		`created = "2024-01-01 00:00:04.3"`, "created:2024-01-01", "created < 2024-01-01",
		`created >= "2024-01-01 00:00:01" updated <= "2024-01-01 00:00:04" sort:created`,
	} {
		q, err := parseQuery(raw, time.Now(), time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		lo, hi, err := genRange(q, n)
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		var want []int
		for i := range n {
			l := s.genLead(i)
			if q.root.match(&s, newLeadRec(l, 0, nil)) {
				want = append(want, i)
			}
		}
		got := []int{}
		for i := lo; i < hi; i++ {
			got = append(got, i)
		}
		if fmt.Sprint(got) != fmt.Sprint(append([]int{}, want...)) {
			t.Errorf("%s: range %d..%d, scan %v", raw, lo, hi, want)
		}
	}
}

func TestGeneratedExportStreams(t *testing.T) {
	e := start(t, sandbox.Options{})
	e.fake.SetGenerated(2500)
	id := e.do("POST", "/export/lead/", map[string]any{"format": "json", "type": "leads",
		"query": `created >= "2024-01-01 00:01:00"`}).must(t, http.StatusOK)["id"].(string)
	done, _ := e.pollExport(id)
	if done["n_docs"] != 1900.0 {
		t.Errorf("n_docs = %v, want 1900", done["n_docs"])
	}
	_, _, body := fetchExport(t, done["download_url"].(string))
	docs := exportDocs(t, body)
	if len(docs) != 1900 || docs[0]["name"] != "Generated Lead 0000600" || docs[1899]["name"] != "Generated Lead 0002499" {
		t.Errorf("%d documents, first %v", len(docs), docs[0]["name"])
	}
}
