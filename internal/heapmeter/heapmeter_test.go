package heapmeter

import "testing"

func TestFlat(t *testing.T) {
	const mib = 1 << 20
	for _, tc := range []struct {
		name         string
		small, large Stats
		want         bool
	}{
		{"same", Stats{10 * mib, 3 * mib}, Stats{11 * mib, 3 * mib}, true},
		{"noise: double but small", Stats{9 * mib, 3 * mib}, Stats{22 * mib, 7 * mib}, true},
		{"leak", Stats{10 * mib, 3 * mib}, Stats{40 * mib, 30 * mib}, false},
		{"peak too high", Stats{10 * mib, 3 * mib}, Stats{80 * mib, 3 * mib}, false},
	} {
		if ok, _ := Flat(tc.small, tc.large); ok != tc.want {
			t.Errorf("%s: Flat = %v", tc.name, ok)
		}
	}
}

// Measure sees memory a loop keeps.
func TestMeasureSeesRetained(t *testing.T) {
	var keep [][]byte
	st := Measure(100, func(each func(int)) {
		for i := 1; i <= 100; i++ {
			keep = append(keep, make([]byte, 64<<10))
			each(i)
		}
	})
	if st.Retained < 5<<20 || len(keep) != 100 {
		t.Fatalf("retained %d bytes, want at least the 6.4 MB kept", st.Retained)
	}
}
