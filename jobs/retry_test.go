package jobs

import (
	"errors"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/internal/report"
)

func TestFilter(t *testing.T) {
	l := report.Line{Status: connector.Failed, HTTPStatus: 429, Error: "create lead: HTTP 429: Rate limited"}
	for _, tc := range []struct {
		terms []string
		want  bool
	}{
		{nil, true},
		{[]string{"http_status=429"}, true},
		{[]string{"http_status=500"}, false},
		{[]string{"status=failed", "error~rate LIMITED"}, true},
		{[]string{"status=skipped"}, false},
		{[]string{"error~timeout"}, false},
	} {
		f, err := ParseFilter(tc.terms)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.Match(l); got != tc.want {
			t.Errorf("%v.Match = %v", tc.terms, got)
		}
	}
	for _, bad := range []string{"code=4", "http_status", "error=x"} {
		if _, err := ParseFilter([]string{bad}); err == nil {
			t.Errorf("ParseFilter(%q) accepted", bad)
		}
	}
}

func TestRetryReportPath(t *testing.T) {
	now := time.Date(2026, 11, 23, 18, 15, 0, 0, time.UTC)
	for in, want := range map[string]string{
		"r/run.csv":                       "r/run.retry-20261123-181500.csv",
		"r/run.retry-20261120-101010.csv": "r/run.retry-20261123-181500.csv",
		"r/run.xlsx":                      "r/run.retry-20261123-181500.xlsx",
	} {
		if got := RetryReportPath(in, now); got != want {
			t.Errorf("RetryReportPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// OpenReport yields failed and cancelled rows with their original numbers
// and values, and nothing else.
func TestOpenReport(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.csv")
	w, err := report.Create(path, []string{"Email"})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []report.Line{
		{Row: 1, Status: connector.Created, Values: []string{"a@x.example"}},
		{Row: 2, Status: connector.Failed, HTTPStatus: 503, Error: "HTTP 503", Values: []string{"b@x.example"}},
		{Row: 3, Status: connector.Skipped, Error: "cancelled", Values: []string{"c@x.example"}},
		{Row: 4, Status: connector.Skipped, Error: "no lead matches", Values: []string{"d@x.example"}},
		{Row: 5, Status: connector.Failed, HTTPStatus: 400, Error: "bad", Values: []string{"e@x.example"}},
	} {
		w.Write(l)
	}
	w.Close(nil)
	for _, tc := range []struct {
		only []string
		want []int
	}{
		{nil, []int{2, 3, 5}},
		{[]string{"http_status=503"}, []int{2}},
	} {
		f, _ := ParseFilter(tc.only)
		src, err := OpenReport(path, f)
		if err != nil {
			t.Fatal(err)
		}
		if h := src.Header(); len(h) != 1 || h[0] != "Email" {
			t.Fatalf("header %v", h)
		}
		var got []int
		for {
			row, err := src.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, row.Num)
			if row.Values[0][0] != byte('a'+row.Num-1) {
				t.Errorf("row %d values %v", row.Num, row.Values)
			}
		}
		src.Close()
		if len(got) != len(tc.want) {
			t.Fatalf("only %v: rows %v, want %v", tc.only, got, tc.want)
		}
	}
}
