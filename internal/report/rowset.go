package report

// RowSet is a set of row numbers, one bit each: a resumed run of a million
// rows keeps 125 KB, not a million report lines.
type RowSet struct {
	bits []uint64
	n    int
}

// Add puts row in the set.
func (s *RowSet) Add(row int) {
	if row < 0 {
		return
	}
	i := row / 64
	for len(s.bits) <= i {
		s.bits = append(s.bits, 0)
	}
	if s.bits[i]&(1<<(row%64)) == 0 {
		s.bits[i] |= 1 << (row % 64)
		s.n++
	}
}

// Has reports whether row is in the set; a nil set is empty.
func (s *RowSet) Has(row int) bool {
	if s == nil || row < 0 || row/64 >= len(s.bits) {
		return false
	}
	return s.bits[row/64]&(1<<(row%64)) != 0
}

// Len returns the number of rows in the set.
func (s *RowSet) Len() int {
	if s == nil {
		return 0
	}
	return s.n
}
