package closumv1

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// route is one imitated request: method, path segments under /api ("*" is
// a record id) and its handler, which gets the id (0 when none). public
// routes need no token.
type route struct {
	method string
	path   []string
	public bool
	handle func(f *Fake, w http.ResponseWriter, r *http.Request, id int)
}

// routes lists every request the doc documents. There is no lead update
// or delete: PUT or DELETE on a lead is a 405, like any documented path
// with an undocumented method.
func routes() []route {
	return []route{
		{http.MethodPost, []string{"token"}, true, (*Fake).issueToken},

		{http.MethodGet, []string{"lead"}, false, (*Fake).leadList},
		{http.MethodPost, []string{"lead"}, false, (*Fake).leadCreate},
		{http.MethodGet, []string{"lead", "*"}, false, (*Fake).leadGet},

		{http.MethodGet, []string{"unqualified-lead"}, false, (*Fake).unqualifiedList},
		{http.MethodPost, []string{"unqualified-lead"}, false, (*Fake).unqualifiedCreate},
		{http.MethodGet, []string{"unqualified-lead", "*"}, false, (*Fake).unqualifiedGet},

		{http.MethodGet, []string{"city"}, false, (*Fake).cityList},

		{http.MethodGet, []string{"email"}, false, (*Fake).emailList},
		{http.MethodPost, []string{"email"}, false, (*Fake).emailCreate},
		{http.MethodGet, []string{"email", "*"}, false, (*Fake).emailGet},
		{http.MethodPut, []string{"email", "*"}, false, (*Fake).emailUpdate},

		{http.MethodGet, []string{"phone"}, false, (*Fake).phoneList},
		{http.MethodPost, []string{"phone"}, false, (*Fake).phoneCreate},
		{http.MethodGet, []string{"phone", "*"}, false, (*Fake).phoneGet},
		{http.MethodPut, []string{"phone", "*"}, false, (*Fake).phoneUpdate},

		{http.MethodGet, []string{"contact-type"}, false, (*Fake).contactTypeList},
		{http.MethodPost, []string{"contact-type"}, false, (*Fake).contactTypeCreate},
		{http.MethodGet, []string{"contact-type", "*"}, false, (*Fake).contactTypeGet},
		{http.MethodPut, []string{"contact-type", "*"}, false, (*Fake).contactTypeUpdate},
	}
}

// serveAPI routes, then authenticates. Routing comes first, as in the
// CakePHP app the doc describes: an unknown path is 404 and a known path
// with another method 405 (with Allow), token or not. A trailing slash is
// optional.
func (f *Fake) serveAPI(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, basePath+"/")
	if !ok {
		f.fail(w, r, http.StatusNotFound, "Not Found")
		return
	}
	segs := strings.Split(strings.TrimSuffix(rest, "/"), "/")
	var allow []string
	for _, rt := range f.api {
		id, ok := match(rt.path, segs)
		if !ok {
			continue
		}
		if r.Method != rt.method {
			allow = append(allow, rt.method)
			continue
		}
		if !rt.public && !f.authenticated(r) {
			f.fail(w, r, http.StatusUnauthorized, notAuthorized)
			return
		}
		rt.handle(f, w, r, id)
		return
	}
	if len(allow) > 0 {
		slices.Sort(allow)
		w.Header().Set("Allow", strings.Join(allow, ", "))
		f.fail(w, r, http.StatusMethodNotAllowed, "Method Not Allowed")
		return
	}
	f.fail(w, r, http.StatusNotFound, "Not Found")
}

// match reports whether segs fit pattern; a "*" segment must be a positive
// decimal id, which is returned.
func match(pattern, segs []string) (int, bool) {
	if len(pattern) != len(segs) {
		return 0, false
	}
	id := 0
	for i, p := range pattern {
		if p != "*" {
			if p != segs[i] {
				return 0, false
			}
			continue
		}
		n, err := strconv.Atoi(segs[i])
		if err != nil || n <= 0 || segs[i][0] < '0' || segs[i][0] > '9' {
			return 0, false
		}
		id = n
	}
	return id, true
}
