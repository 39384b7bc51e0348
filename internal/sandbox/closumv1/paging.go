package closumv1

import (
	"cmp"
	"net/url"
	"slices"
	"strings"
)

// Lists take the documented querystring parameters limit (default 25),
// page (default 1), sort (default id) and direction (default asc). The doc
// says nothing of bad values; the pagination block is CakePHP 3's (through
// the Crud plugin's API listener), so its Paginator's rules apply:
//   - limit and page are cast to int: "", "abc" or 0 mean 1; limit is cut
//     to 100 (CakePHP's maxLimit) and the block then says "limit": 100;
//   - "limit" in the block is null unless the limit used differs from the
//     default (so limit=25 also shows null);
//   - a page past the last one is a 404 (NotFoundException);
//   - sort naming no column of the resource falls back to id; any direction
//     other than desc (any case) is asc.
//
// The database would leave rows with equal sort values in no set order;
// here they keep ascending id, so paging a sorted list is stable.
const (
	defaultLimit = 25
	maxLimit     = 100
)

// sortVal is one row's value in a sort column. Nulls sort first ascending
// and last descending, as in MySQL; text compares without case, as its
// default collation does.
type sortVal struct {
	null bool
	num  int64
	str  string
}

func intVal(n int) sortVal { return sortVal{num: int64(n)} }

func ptrIntVal(p *int) sortVal {
	if p == nil {
		return sortVal{null: true}
	}
	return intVal(*p)
}

func strVal(s string) sortVal { return sortVal{str: strings.ToLower(s)} }

func ptrStrVal(p *string) sortVal {
	if p == nil {
		return sortVal{null: true}
	}
	return strVal(*p)
}

func compareVals(a, b sortVal) int {
	switch {
	case a.null && b.null:
		return 0
	case a.null:
		return -1
	case b.null:
		return 1
	}
	if c := cmp.Compare(a.num, b.num); c != 0 {
		return c
	}
	return strings.Compare(a.str, b.str)
}

// pageOf returns one page of items, which come in ascending id order.
// cols are the sortable columns; ok is false when the page is past the
// last one.
func pageOf[T any](q url.Values, items []T, cols map[string]func(T) sortVal) (out []T, p pagination, ok bool) {
	limit := defaultLimit
	if vs, has := q["limit"]; has {
		limit = min(max(phpInt(vs[0]), 1), maxLimit)
	}
	page := 1
	if vs, has := q["page"]; has {
		page = max(phpInt(vs[0]), 1)
	}
	total := len(items)
	pageCount := max((total+limit-1)/limit, 1)
	if page > pageCount {
		return nil, pagination{}, false
	}
	desc := strings.EqualFold(q.Get("direction"), "desc")
	col, sorted := cols[q.Get("sort")]
	if q.Get("sort") == "id" || !sorted {
		if desc {
			items = slices.Clone(items)
			slices.Reverse(items)
		}
	} else {
		items = slices.Clone(items)
		slices.SortStableFunc(items, func(a, b T) int {
			c := compareVals(col(a), col(b))
			if desc {
				return -c
			}
			return c
		})
	}
	lo := (page - 1) * limit
	hi := min(lo+limit, total)
	p = pagination{PageCount: pageCount, CurrentPage: page, HasNextPage: hi < total, HasPrevPage: page > 1, Count: total}
	if limit != defaultLimit {
		p.Limit = &limit
	}
	return items[lo:hi], p, true
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
