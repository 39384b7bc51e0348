package qlara

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"testing"

	"github.com/crmload/crmload/internal/sandbox"
	"github.com/xuri/excelize/v2"
)

// upload posts data as multipart/form-data: the 'file' part, then the form
// fields (fileName among them unless left out).
func (c *client) upload(query string, data []byte, fields map[string]string) (int, []byte) {
	c.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	part, err := mw.CreateFormFile("file", "upload.bin")
	if err != nil {
		c.t.Fatal(err)
	}
	if _, err := part.Write(data); err != nil {
		c.t.Fatal(err)
	}
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			c.t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		c.t.Fatal(err)
	}
	req, err := http.NewRequest("POST", c.base+"/contacts/upload?"+query, &buf)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("X-API-Key", c.key)
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, body
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestUploadCSV(t *testing.T) {
	f, c := start(t, sandbox.Options{})
	giulia, err := f.SeedContact(ContactFields{FirstName: ptr("G"), PhoneNumbers: []string{"+393331234568"},
		EmailAddresses: []string{"giulia@old.example.com"}, CustomField2: ptr("keep")})
	if err != nil {
		t.Fatal(err)
	}
	var l ContactList
	c.call("POST", "/contacts/list", `{"name":"Imported"}`, http.StatusCreated, &l)

	status, body := c.upload("removeHead=true&limit=2", readTestdata(t, "upload.csv"),
		map[string]string{"fileName": "leads.csv", "listId": fmt.Sprint(l.ID)})
	if status != http.StatusOK {
		t.Fatalf("upload: %d %s", status, body)
	}
	var preview []Contact
	if err := json.Unmarshal(body, &preview); err != nil || len(preview) != 2 {
		t.Fatalf("preview %s (%v), want 2 contacts", body, err)
	}

	byPhone := map[string]Contact{}
	var emailOnly []Contact
	for _, ct := range f.Contacts() {
		if len(ct.PhoneNumbers) == 0 {
			emailOnly = append(emailOnly, ct)
			continue
		}
		byPhone[ct.PhoneNumbers[0]] = ct
	}
	if len(byPhone)+len(emailOnly) != 3 {
		t.Fatalf("%d contacts after upload, want 3 (seeded, Mario, email-only)", len(byPhone)+len(emailOnly))
	}
	mario := byPhone["+393331234567"]
	if str(mario.FirstName) != "Mario" || str(mario.LastName) != "Updated" || str(mario.MainEmail) != "mario@example.com" ||
		fmt.Sprint(mario.Tags) != "[vip q4]" || str(mario.CustomField1) != "blue" || str(mario.FullName) != "Mario Rossi" {
		t.Errorf("Mario (created, then updated by a later row): %s", mustJSON(t, mario))
	}
	g := byPhone["+393331234568"]
	if g.ID != giulia.ID || str(g.FirstName) != "Giulia" || str(g.LastName) != "Verdi" ||
		str(g.CustomField2) != "keep" || fmt.Sprint(g.EmailAddresses) != "[giulia@old.example.com]" {
		t.Errorf("Giulia (matched by phone, empty cells kept): %s", mustJSON(t, g))
	}
	if len(emailOnly) != 1 || str(emailOnly[0].MainEmail) != "only@example.com" {
		t.Errorf("email-only rows: %s", mustJSON(t, emailOnly))
	}
	if m := f.ListMembers(l.ID); len(m) != 3 {
		t.Errorf("list has %d members, want 3", len(m))
	}

	// Uploading again creates nothing new for the phone rows (CREATE_UPDATE),
	// but the email-only row has no phone to match and is created again.
	if status, body := c.upload("removeHead=true", readTestdata(t, "upload.csv"), map[string]string{"fileName": "leads.csv"}); status != http.StatusOK {
		t.Fatalf("second upload: %d %s", status, body)
	}
	if n := len(f.Contacts()); n != 4 {
		t.Errorf("%d contacts after the second upload, want 4", n)
	}
	if n := f.UploadCalls(); n != 2 {
		t.Errorf("UploadCalls() = %d, want 2", n)
	}
}

func TestUploadFormats(t *testing.T) {
	x := excelize.NewFile()
	for i, row := range [][]any{{"firstName", "phoneNumber", "email"}, {"Xavier", "+447911123456", "x@example.com"}} {
		if err := x.SetSheetRow("Sheet1", fmt.Sprintf("A%d", i+1), &row); err != nil {
			t.Fatal(err)
		}
	}
	xlsx, err := x.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, fileName string
		data           []byte
		wantFirst      string
	}{
		{"semicolon csv", "export.CSV", readTestdata(t, "upload-semicolon.csv"), "Anna"},
		{"xlsx", "book.xlsx", xlsx.Bytes(), "Xavier"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, c := start(t, sandbox.Options{})
			status, body := c.upload("", tt.data, map[string]string{"fileName": tt.fileName})
			if status != http.StatusOK {
				t.Fatalf("upload: %d %s", status, body)
			}
			all := f.Contacts()
			if len(all) != 1 || str(all[0].FirstName) != tt.wantFirst || len(all[0].PhoneNumbers) != 1 || len(all[0].EmailAddresses) != 1 {
				t.Errorf("contacts %s, want one %s with a phone and an email", mustJSON(t, all), tt.wantFirst)
			}
		})
	}
}

func TestUploadRejects(t *testing.T) {
	csv := readTestdata(t, "upload.csv")
	tests := []struct {
		name   string
		query  string
		data   []byte
		fields map[string]string
	}{
		{"no fileName", "", csv, nil},
		{"xls", "", csv, map[string]string{"fileName": "old.xls"}},
		{"vcf", "", csv, map[string]string{"fileName": "a.vcf"}},
		{"not utf-8", "", []byte("phone,name\n+393331234567,Jos\xe9\n"), map[string]string{"fileName": "a.csv"}},
		{"no key column", "", []byte("name,city\nA,B\n"), map[string]string{"fileName": "a.csv"}},
		{"empty", "", nil, map[string]string{"fileName": "a.csv"}},
		{"broken quotes", "", []byte("phone,name\n\"+393331234567,A\n"), map[string]string{"fileName": "a.csv"}},
		{"corrupt xlsx", "", csv, map[string]string{"fileName": "a.xlsx"}},
		{"unknown list", "", csv, map[string]string{"fileName": "a.csv", "listId": "12345"}},
		{"bad limit", "limit=-1", csv, map[string]string{"fileName": "a.csv"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, c := start(t, sandbox.Options{})
			if status, body := c.upload(tt.query, tt.data, tt.fields); status != http.StatusBadRequest {
				t.Fatalf("status %d %s, want 400", status, body)
			}
			if n := len(f.Contacts()); n != 0 {
				t.Errorf("%d contacts imported by a refused upload", n)
			}
		})
	}
	t.Run("not multipart", func(t *testing.T) {
		_, c := start(t, sandbox.Options{})
		if status, _, body := c.do("POST", "/contacts/upload", `{"file":"x"}`); status != http.StatusBadRequest {
			t.Fatalf("status %d %s, want 400", status, body)
		}
	})
}
