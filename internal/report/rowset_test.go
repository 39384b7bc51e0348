package report

import (
	"runtime"
	"testing"
)

func TestRowSet(t *testing.T) {
	var s RowSet
	for _, r := range []int{1, 2, 63, 64, 4095, 4096, 10_000, 10_000, maxRow, -1} {
		s.Add(r)
	}
	if s.Len() != 8 {
		t.Errorf("Len = %d, want 8", s.Len())
	}
	for r, want := range map[int]bool{1: true, 3: false, 64: true, 4096: true, 4097: false, 10_000: true,
		maxRow: true, maxRow - 1: false, maxRow + 1: false, -1: false, 0: false} {
		if s.Has(r) != want {
			t.Errorf("Has(%d) = %v", r, !want)
		}
	}
	var nilSet *RowSet
	if nilSet.Has(1) || nilSet.Len() != 0 {
		t.Error("a nil set is not empty")
	}
}

// A corrupt report's huge row number must not cost a bit per row before it.
func TestRowSetHugeRowIsCheap(t *testing.T) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s := &RowSet{}
	s.Add(maxRow)
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > 4<<20 {
		t.Errorf("row %d took %d bytes", maxRow, grown)
	}
	runtime.KeepAlive(s)
}
