package tabular

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/heapmeter"
)

// measureWriteXLSX writes n contacts-like rows, Close included, and returns
// what that did to the heap.
func measureWriteXLSX(t *testing.T, n int) heapmeter.Stats {
	t.Helper()
	path := filepath.Join(t.TempDir(), "mem.xlsx")
	header := []string{"Record ID", "First Name", "Last Name", "Email", "Phone Number", "Postal Code", "Create Date", "Notes"}
	values := make([]string, len(header))
	return heapmeter.Measure(n, func(each func(int)) {
		w, err := Create(path, header, WriteOptions{DateColumns: []int{6}})
		must(t, err)
		for i := range n {
			id := strconv.Itoa(51234560000 + i)
			values[0], values[1], values[2], values[3] = id, "Zoë", "O'Neil-"+id, "user"+id+"@example.com"
			values[4], values[5], values[6], values[7] = "+1 (617) 555-0142", "02134", "2023-03-15T10:30:00", "Met at SaaStr, follow up "+id
			must(t, w.Write(values))
			if i+1 < n {
				each(i + 1)
			}
		}
		must(t, w.Close()) // inside the measure: excelize built the whole archive in memory here
		each(n)
	})
}

// The heap while writing a workbook must not grow with its rows. Short,
// always on; TestXLSXWriterMemoryMillion is the full-size check.
func TestXLSXWriterMemoryFlat(t *testing.T) {
	small, large := measureWriteXLSX(t, 5_000), measureWriteXLSX(t, 50_000)
	t.Logf("5k rows: %v; 50k rows: %v", small, large)
	ok, ratios := heapmeter.Flat(small, large)
	// Stricter than Flat's 64 MiB bound, which 50k rows would not reach
	// even growing: a tenfold run may not add 8 MiB to the peak.
	if !ok || large.PeakInuse > small.PeakInuse+8<<20 {
		t.Errorf("heap grows with the rows written: %s", ratios)
	}
}

// TestXLSXWriterMemoryMillion compares writing 100k and 1M rows (about
// 10 s); set CRMLOAD_MEMTEST=1 to run it.
func TestXLSXWriterMemoryMillion(t *testing.T) {
	if os.Getenv("CRMLOAD_MEMTEST") != "1" {
		t.Skip("set CRMLOAD_MEMTEST=1 to write a million rows")
	}
	start := time.Now()
	small := measureWriteXLSX(t, 100_000)
	mid := time.Now()
	large := measureWriteXLSX(t, 1_000_000)
	t.Logf("100k rows: %v (%v); 1M rows: %v (%v)", small, mid.Sub(start).Round(time.Millisecond), large, time.Since(mid).Round(time.Millisecond))
	if ok, ratios := heapmeter.Flat(small, large); !ok {
		t.Errorf("heap grows with the rows written: %s", ratios)
	}
}
