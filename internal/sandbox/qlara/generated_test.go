package qlara

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"

	"github.com/crmload/crmload/internal/sandbox"
)

func TestGeneratedContacts(t *testing.T) {
	f, c := start(t, sandbox.Options{})
	seedN(t, f, 3) // hidden while generating
	f.SetGenerated(2500)
	tests := []struct {
		query  string
		first  int64 // ID of the first contact of the page
		n      int
		status int
	}{
		{"page=0&limit=1000&sortBy=id", firstContactID, 1000, http.StatusOK},
		{"page=2&limit=1000&sortBy=id", firstContactID + 2000, 500, http.StatusOK},
		{"page=3&limit=1000&sortBy=id", 0, 0, http.StatusOK},
		{"page=1&limit=10", firstContactID + 10, 10, http.StatusOK}, // default sort fullName
		{"page=0&limit=5&sortBy=id&sortOrder=desc", firstContactID + 2499, 5, http.StatusOK},
		{"page=0&limit=5&sortBy=city", 0, 0, http.StatusBadRequest},
		{"page=0&limit=5&email=x@y.z", 0, 0, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			var page []Contact
			if tt.status != http.StatusOK {
				c.call("GET", "/contacts?"+tt.query, nil, tt.status, nil)
				return
			}
			c.call("GET", "/contacts?"+tt.query, nil, http.StatusOK, &page)
			if len(page) != tt.n || (tt.n > 0 && page[0].ID != tt.first) {
				t.Fatalf("%d contacts, want %d from %d", len(page), tt.n, tt.first)
			}
			for _, ct := range page {
				i := ct.ID - firstContactID
				if *ct.FullName != fmt.Sprintf("Contact %07d", i) || ct.PhoneNumbers[0] != fmt.Sprintf("+39333%07d", i) {
					t.Fatalf("contact %d = %+v", ct.ID, ct.ContactFields)
				}
			}
		})
	}

	c.call("POST", "/exports/contacts", ExportContactsRequest{ExportFormat: "CSV"}, http.StatusAccepted, nil)
	latestExport(c)
	job := latestExport(c)
	var dl DownloadURL
	c.call("GET", fmt.Sprintf("/exports/%d", job.ID), nil, http.StatusOK, &dl)
	status, rows := downloadCSV(t, dl.URL)
	if status != http.StatusOK || len(rows) != 2501 || rows[1][0] != strconv.Itoa(firstContactID) ||
		rows[2500][0] != strconv.Itoa(firstContactID+2499) {
		t.Fatalf("export: %d, %d rows", status, len(rows))
	}
	c.call("POST", "/exports/contacts", ExportContactsRequest{ContactIDs: []int64{firstContactID}}, http.StatusBadRequest, nil)

	f.SetGenerated(0)
	var page []Contact
	c.call("GET", "/contacts?limit=100", nil, http.StatusOK, &page)
	if len(page) != 3 {
		t.Errorf("%d contacts after SetGenerated(0), want the 3 stored", len(page))
	}
}
