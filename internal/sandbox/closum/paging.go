package closum

import (
	"net/http"
	"net/url"
	"strings"
)

// Paging follows CakePHP 3's Paginator, which the paginator block of the
// examples comes from (finder, current, perPage, sortDefault, scope …):
//   - limit absent: 20 (the Email Template docs: "By default, each page
//     returns 20 results"), and the paginator's "limit" is null;
//   - limit is cast to int, so "limit=" (as in the collection's URLs) or
//     "limit=abc" means 1, which is what both list examples show (perPage 1);
//   - limit above 100 is cut to 100 (CakePHP's default maxLimit);
//   - page is cast to int and at least 1; a page past the last one is an
//     error (CakePHP's NotFoundException): HTTP 404 with the error envelope.
const (
	defaultLimit = 20
	maxLimit     = 100
)

// window is the slice of a sorted list that one page shows.
type window struct {
	lo, hi int
	p      paginator
}

// pageOf reads limit and page from q for a list of total items sorted by
// creation_date DESC. ok is false when the page is out of range.
func pageOf(q url.Values, total int) (window, bool) {
	limit := defaultLimit
	if vs, has := q["limit"]; has {
		limit = min(max(phpInt(vs[0]), 1), maxLimit)
	}
	page := 1
	if vs, has := q["page"]; has {
		page = max(phpInt(vs[0]), 1)
	}
	pageCount := max((total+limit-1)/limit, 1)
	if page > pageCount {
		return window{}, false
	}
	lo := (page - 1) * limit
	hi := min(lo+limit, total)
	p := paginator{
		Finder: "all", Page: page, Current: hi - lo, Count: total, PerPage: limit,
		PrevPage: page > 1, NextPage: total > page*limit, PageCount: pageCount,
		Sort: "creation_date", Direction: "DESC",
		SortDefault: "creation_date", DirectionDefault: "DESC",
	}
	if limit != defaultLimit {
		p.Limit = &limit
	}
	return window{lo: lo, hi: hi, p: p}, true
}

// phpInt is PHP's (int) cast of a string: an optional sign and leading
// digits ("12abc" → 12); anything else is 0.
func phpInt(s string) int {
	s = strings.TrimLeft(s, " \t\n\r")
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' || n > 1e9 {
			break
		}
		n = n*10 + int(r-'0')
	}
	if neg {
		return -n
	}
	return n
}

func (f *Fake) outOfRange(w http.ResponseWriter) {
	f.fail(w, http.StatusNotFound, "Out of range page requested")
}
