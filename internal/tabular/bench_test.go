package tabular

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"testing"
)

// benchRows is the size of the generated files the read benchmarks use.
const benchRows = 100_000

// benchFile writes a contacts-like file of benchRows rows with this
// package's writer and returns its path.
func benchFile(b *testing.B, name string) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), name)
	header := []string{"Record ID", "First Name", "Last Name", "Email", "Phone Number", "Postal Code", "Create Date", "Notes"}
	w, err := Create(path, header, WriteOptions{DateColumns: []int{6}})
	if err != nil {
		b.Fatal(err)
	}
	for i := range benchRows {
		err := w.Write([]string{
			fmt.Sprint(51234560000 + i), "Zoë", fmt.Sprintf("O'Neil-%d", i), fmt.Sprintf("user%d@example.com", i),
			"+1 (617) 555-0142", "02134", fmt.Sprintf("2023-%02d-%02dT10:30:00", 1+i%12, 1+i%28), "Met at SaaStr, follow up",
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	return path
}

// benchRead reads the file at path; rows/s is the figure to compare with
// the target of 50,000 rows/s for XLSX.
func benchRead(b *testing.B, path string) {
	b.ReportAllocs()
	read := 0
	for b.Loop() {
		r, err := Open(path, Options{})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			row, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil || row.Err != nil {
				b.Fatal(err, row.Err)
			}
			n++
		}
		if n != benchRows {
			b.Fatalf("read %d rows, want %d", n, benchRows)
		}
		if err := r.Close(); err != nil {
			b.Fatal(err)
		}
		read += n
	}
	b.ReportMetric(float64(read)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkReadCSV(b *testing.B)  { benchRead(b, benchFile(b, "bench.csv")) }
func BenchmarkReadXLSX(b *testing.B) { benchRead(b, benchFile(b, "bench.xlsx")) }

func BenchmarkWriteXLSX(b *testing.B) {
	b.ReportAllocs()
	written := 0
	for b.Loop() {
		benchFile(b, "bench.xlsx")
		written += benchRows
	}
	b.ReportMetric(float64(written)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkWriteXLSXWide writes Excel's widest sheet: 16,384 columns.
func BenchmarkWriteXLSXWide(b *testing.B) {
	header := make([]string, maxColumns)
	row := make([]string, maxColumns)
	for i := range header {
		header[i] = fmt.Sprintf("c%d", i+1)
		row[i] = "x"
	}
	path := filepath.Join(b.TempDir(), "wide.xlsx")
	b.ReportAllocs()
	for b.Loop() {
		w, err := Create(path, header, WriteOptions{})
		if err != nil {
			b.Fatal(err)
		}
		for range 10 {
			if err := w.Write(row); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
