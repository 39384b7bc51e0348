package sink

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

func TestNeutralise(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"plain text", "Acme Inc", "Acme Inc"},
		{"formula", "=1+1", "'=1+1"},
		{"hyperlink", `=HYPERLINK("http://evil.example","click")`, `'=HYPERLINK("http://evil.example","click")`},
		{"DDE via minus", "-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"},
		{"DDE via plus", "+cmd|' /C notepad'!A0", "'+cmd|' /C notepad'!A0"},
		{"at sign", "@SUM(A1:A2)", "'@SUM(A1:A2)"},
		{"handle", "@jane", "'@jane"},
		{"leading tab", "\t=1", "'\t=1"},
		{"leading CR", "\r=1", "'\r=1"},
		{"leading LF", "\nx", "'\nx"},
		{"equals inside", "a=b", "a=b"},
		{"E.164 phone", "+14155550123", "+14155550123"},
		{"formatted phone", "+1 (415) 555-0123", "+1 (415) 555-0123"},
		{"UK phone", "+44 20 7946 0958", "+44 20 7946 0958"},
		{"phone with letters", "+1 555 CALL-NOW", "'+1 555 CALL-NOW"},
		{"too few digits", "+1 2", "'+1 2"},
		{"plus and space", "+ 14155550123", "'+ 14155550123"},
		{"negative number", "-12.5", "-12.5"},
		{"positive number", "+3", "+3"},
		{"exponent", "-1e6", "-1e6"},
		{"huge number", "-1e999", "-1e999"},
		{"minus alone", "-", "'-"},
		{"dash bullet", "- item", "'- item"},
		{"arithmetic", "-1-1", "'-1-1"},
		{"hex float", "-0x1p3", "'-0x1p3"},
		{"infinity", "-Inf", "'-Inf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Neutralise(tt.in); got != tt.want {
				t.Errorf("Neutralise(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestDateCell(t *testing.T) {
	tests := []struct{ in, want string }{
		{"2024-03-15T10:30:00Z", "2024-03-15 10:30:00"},
		{"2024-03-15T10:30:00.123456Z", "2024-03-15 10:30:00"},
		{"2024-03-15T12:30:00+02:00", "2024-03-15 10:30:00"},
		{"2024-03-15", "2024-03-15"},
		{"2024-03-15T10:30:00", "2024-03-15T10:30:00"},
		{"15/03/2024", "15/03/2024"},
		{"soon", "soon"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := DateCell(tt.in); got != tt.want {
			t.Errorf("DateCell(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestIsDateColumn(t *testing.T) {
	for name, want := range map[string]bool{
		"date_created": true, "Close Date": true, "custom.Birthday": true, "updated_at": true,
		"createdAt": true, "email": false, "Status": false, "format": false,
	} {
		if got := IsDateColumn(name); got != want {
			t.Errorf("IsDateColumn(%q) = %v, want %v", name, got, want)
		}
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// entries lists the names in dir, to catch leftovers.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range des {
		out = append(out, d.Name())
	}
	return out
}

func TestCommitAppearsOnlyWhenComplete(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out", "leads.csv")
	f, err := Create(path, []string{"id", "name"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Write([]string{"1", "=cmd"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("target exists before Commit: %v", err)
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, path)
	if len(rows) != 2 || rows[1][1] != "'=cmd" {
		t.Fatalf("rows %q", rows)
	}
	if got := entries(t, filepath.Dir(path)); len(got) != 1 {
		t.Fatalf("leftovers beside the export: %v", got)
	}
}

func TestAbortLeavesPreviousFile(t *testing.T) {
	for _, ext := range []string{".csv", ".xlsx"} {
		t.Run(ext, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "leads"+ext)
			if err := os.WriteFile(path, []byte("yesterday"), 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := Create(path, []string{"id"}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 300; i++ {
				if err := f.Write([]string{"x"}); err != nil {
					t.Fatal(err)
				}
			}
			if err := f.Abort(); err != nil {
				t.Fatal(err)
			}
			if b, _ := os.ReadFile(path); string(b) != "yesterday" {
				t.Fatalf("target changed by an aborted export: %q", b)
			}
			if got := entries(t, dir); len(got) != 1 {
				t.Fatalf("partial file left: %v", got)
			}
			if err := f.Write([]string{"x"}); err == nil {
				t.Fatal("write after abort accepted")
			}
		})
	}
}

func TestKeepFormulas(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.csv")
	f, err := Create(path, []string{"=h"}, Options{KeepFormulas: true})
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]string{"=1+1"})
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	if rows := readCSV(t, path); rows[0][0] != "=h" || rows[1][0] != "=1+1" {
		t.Fatalf("rows %q", rows)
	}
}

// In an XLSX export, date columns hold real date cells (zoned times in
// UTC); other columns and unreadable dates stay text.
func TestXLSXDates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "leads.xlsx")
	f, err := Create(path, []string{"id", "date_created", "note"}, Options{Sheet: "Leads", DateColumns: []int{1}})
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]string{"1", "2024-03-15T12:30:00+02:00", "2024-03-15"})
	f.Write([]string{"2", "not a date", "-x"})
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if sheets := x.GetSheetList(); len(sheets) != 1 || sheets[0] != "Leads" {
		t.Fatalf("sheets %v", sheets)
	}
	// 2024-03-15 10:30 UTC is Excel serial 45366.4375 (days since 1899-12-30).
	typ, _ := x.GetCellType("Leads", "B2")
	raw, _ := x.GetCellValue("Leads", "B2", excelize.Options{RawCellValue: true})
	if typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString || !strings.HasPrefix(raw, "45366.4375") {
		t.Fatalf("B2 type %v raw %q: want the date cell 2024-03-15 10:30 UTC", typ, raw)
	}
	for cell, want := range map[string]string{"C2": "2024-03-15", "B3": "not a date", "C3": "'-x"} {
		if v, _ := x.GetCellValue("Leads", cell); v != want {
			t.Errorf("%s = %q, want text %q", cell, v, want)
		}
	}
}
