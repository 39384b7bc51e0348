package report

// RowSet is a set of row numbers, one bit each: a resumed run of a million
// rows keeps about 130 KB, not a million report lines. Bits are kept in
// pages of pageRows rows, allocated when a row in them is added, so that a
// stray huge row number (a corrupt report) costs a page and a pointer per
// page before it, not a bit per row.
type RowSet struct {
	pages []*[pageRows / 64]uint64
	n     int
}

// pageRows is the number of rows in a page: 64 words of 64 bits.
const pageRows = 64 * 64

// Add puts row in the set.
func (s *RowSet) Add(row int) {
	if row < 0 {
		return
	}
	p := row / pageRows
	if len(s.pages) <= p {
		s.pages = append(s.pages, make([]*[pageRows / 64]uint64, p+1-len(s.pages))...)
	}
	if s.pages[p] == nil {
		s.pages[p] = new([pageRows / 64]uint64)
	}
	word, bit := &s.pages[p][row%pageRows/64], uint64(1)<<(row%64)
	if *word&bit == 0 {
		*word |= bit
		s.n++
	}
}

// Has reports whether row is in the set; a nil set is empty.
func (s *RowSet) Has(row int) bool {
	if s == nil || row < 0 || row/pageRows >= len(s.pages) || s.pages[row/pageRows] == nil {
		return false
	}
	return s.pages[row/pageRows][row%pageRows/64]&(1<<(row%64)) != 0
}

// Len returns the number of rows in the set.
func (s *RowSet) Len() int {
	if s == nil {
		return 0
	}
	return s.n
}
