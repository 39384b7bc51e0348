package qlara

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/sandbox"
)

// latestExport polls GET /exports once and returns the newest job.
func latestExport(c *client) Export {
	c.t.Helper()
	var page ExportPage
	c.call("GET", "/exports", nil, http.StatusOK, &page)
	if len(page.Items) == 0 {
		c.t.Fatal("GET /exports lists no job")
	}
	return page.Items[0]
}

// downloadCSV fetches an export URL (no API key) and parses it.
func downloadCSV(t *testing.T, u string) (int, [][]string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, nil
	}
	data, ok := bytes.CutPrefix(buf.Bytes(), []byte("\uFEFF"))
	if !ok {
		t.Error("export has no UTF-8 byte-order mark")
	}
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, rows
}

func TestExportFlow(t *testing.T) {
	clk := newClock()
	f, c := start(t, sandbox.Options{Now: clk.Now})
	ids := seedN(t, f, 12)
	var l ContactList
	c.call("POST", "/contacts/list", `{"name":"L"}`, http.StatusCreated, &l)
	c.call("POST", "/contacts/list/contacts", AssociationRequest{ListIDs: []int64{l.ID}, ContactIDs: ids[:5]}, http.StatusCreated, nil)

	status, _, body := c.do("POST", "/exports/contacts", ExportContactsRequest{ListIDs: []int64{l.ID},
		ContactIDs: ids[10:], ExcludeContactIDs: ids[:1], ExportFormat: "CSV"})
	if status != http.StatusAccepted || len(body) != 0 {
		t.Fatalf("queue export: %d %q, want 202 with no body", status, body)
	}
	// Contacts created after the request are not in the file.
	if _, err := f.SeedContact(ContactFields{EmailAddresses: []string{"late@example.com"}}); err != nil {
		t.Fatal(err)
	}

	first := latestExport(c)
	if first.IsAvailableForDownload || first.Status == statusCompleted {
		t.Fatalf("export ready at the first poll: %+v", first)
	}
	c.call("GET", fmt.Sprintf("/exports/%d", first.ID), nil, http.StatusBadRequest, nil)
	second := latestExport(c)
	if second.ID != first.ID || !second.IsAvailableForDownload || second.Status != statusCompleted {
		t.Fatalf("export not ready at the second poll: %+v", second)
	}
	var dl DownloadURL
	c.call("GET", fmt.Sprintf("/exports/%d", first.ID), nil, http.StatusOK, &dl)
	status, rows := downloadCSV(t, dl.URL)
	if status != http.StatusOK {
		t.Fatalf("download: %d", status)
	}
	header := rows[0]
	idCol, phoneCol := slices.Index(header, "id"), slices.Index(header, "phoneNumbers")
	if idCol != 0 || phoneCol < 0 || !slices.Contains(header, "customField3") || !slices.Contains(header, "listIds") {
		t.Fatalf("export header %v", header)
	}
	var got []string
	for _, r := range rows[1:] {
		got = append(got, r[idCol])
	}
	var want []string
	for _, id := range append(slices.Clone(ids[1:5]), ids[10:]...) {
		want = append(want, fmt.Sprint(id))
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("exported ids %v, want %v (list + contactIds − excluded)", got, want)
	}
	if rows[1][phoneCol] != "+393330000001" {
		t.Errorf("first exported phone %q", rows[1][phoneCol])
	}

	// A wrong token is refused; after the hour the export expires.
	forged, err := url.Parse(dl.URL)
	if err != nil {
		t.Fatal(err)
	}
	q := forged.Query()
	q.Set("token", q.Get("token")+"0")
	forged.RawQuery = q.Encode()
	if status, _ := downloadCSV(t, forged.String()); status != http.StatusForbidden {
		t.Errorf("download with a wrong token: %d, want 403", status)
	}
	c.call("POST", fmt.Sprintf("/exports/%d", first.ID), nil, http.StatusBadRequest, nil)
	clk.Advance(exportTTL + time.Second)
	if status, _ := downloadCSV(t, dl.URL); status != http.StatusForbidden {
		t.Errorf("download after expiry: %d, want 403", status)
	}
	c.call("GET", fmt.Sprintf("/exports/%d", first.ID), nil, http.StatusBadRequest, nil)
	if e := latestExport(c); e.IsAvailableForDownload || e.Status != statusExpired {
		t.Errorf("expired export listed as %+v", e)
	}
	c.call("POST", fmt.Sprintf("/exports/%d", first.ID), nil, http.StatusAccepted, nil)
	latestExport(c)
	if e := latestExport(c); !e.IsAvailableForDownload {
		t.Errorf("regenerated export not ready after two polls: %+v", e)
	}
	c.call("GET", fmt.Sprintf("/exports/%d", first.ID), nil, http.StatusOK, &dl)
	if status, rows := downloadCSV(t, dl.URL); status != http.StatusOK || len(rows) != len(want)+1 {
		t.Errorf("regenerated download: %d, %d rows", status, len(rows))
	}
}

func TestExportAllAndPaging(t *testing.T) {
	f, c := start(t, sandbox.Options{})
	seedN(t, f, 3)
	for range 3 {
		c.call("POST", "/exports/contacts", `{}`, http.StatusAccepted, nil)
	}
	var page ExportPage
	c.call("GET", "/exports?limit=2&page=1", nil, http.StatusOK, &page)
	if page.TotalCount != 3 || page.TotalPages != 2 || len(page.Items) != 1 || page.Items[0].ID != firstExportID {
		t.Errorf("second page of exports: %+v", page)
	}
	latestExport(c)
	var dl DownloadURL
	c.call("GET", fmt.Sprintf("/exports/%d", firstExportID), nil, http.StatusOK, &dl)
	if _, rows := downloadCSV(t, dl.URL); len(rows) != 4 {
		t.Errorf("export of everything has %d rows, want header + 3", len(rows))
	}
}

func TestExportRejects(t *testing.T) {
	f, c := start(t, sandbox.Options{})
	seedN(t, f, 1)
	tests := []struct {
		name, method, path, body string
		want                     int
	}{
		{"unknown list", "POST", "/exports/contacts", `{"listIds":[77]}`, 400},
		{"unknown contact", "POST", "/exports/contacts", `{"contactIds":[77]}`, 400},
		{"xlsx format", "POST", "/exports/contacts", `{"exportFormat":"XLSX"}`, 400},
		{"malformed ids", "POST", "/exports/contacts", `{"contactIds":["a"]}`, 400},
		{"unknown export", "GET", "/exports/999", ``, 404},
		{"regenerate unknown", "POST", "/exports/999", ``, 404},
		{"bad limit", "GET", "/exports?limit=5000", ``, 400},
	}
	for _, tt := range tests {
		if status, _, body := c.do(tt.method, tt.path, tt.body); status != tt.want {
			t.Errorf("%s: %d %s, want %d", tt.name, status, body, tt.want)
		}
	}
	if status, _ := downloadCSV(t, c.root+storagePath+"41.csv?token=x"); status != http.StatusNotFound {
		t.Errorf("download of no export: %d, want 404", status)
	}
}
