package connector

// RecentIDs remembers the record ids of the last two pages of a listing, so
// that a record repeated across a page boundary (offset paging over data
// that changed between two requests) is yielded once. With the stable order
// every List keeps, a repeat can only come from the page before, and two
// pages cost far less than a set of every id (~110 MB for a million).
type RecentIDs struct{ prev, cur map[string]struct{} }

// Has reports whether id was seen on this page or the one before.
func (r *RecentIDs) Has(id string) bool {
	_, a := r.prev[id]
	_, b := r.cur[id]
	return a || b
}

// Add records id as seen on this page.
func (r *RecentIDs) Add(id string) {
	if r.cur == nil {
		r.cur = map[string]struct{}{}
	}
	r.cur[id] = struct{}{}
}

// Turn starts a new page: the oldest page is forgotten.
func (r *RecentIDs) Turn() {
	r.prev, r.cur = r.cur, r.prev
	clear(r.cur)
}
