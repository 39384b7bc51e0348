package closum

import (
	"net/http"
	"strings"
)

// route is one imitated request: method, path segments under /v2 ("*" is a
// path parameter) and its handler, which gets the parameter.
type route struct {
	method string
	path   []string
	handle func(f *Fake, w http.ResponseWriter, r *http.Request, arg string)
}

// routes lists every imitated request of the collection.
func routes() []route {
	return []route{
		{http.MethodGet, []string{"lead"}, (*Fake).leadList},
		{http.MethodGet, []string{"lead", "view", "*"}, (*Fake).leadViewHandler},
		{http.MethodPost, []string{"lead", "add"}, (*Fake).leadAdd},
		{http.MethodPut, []string{"lead", "edit", "*"}, (*Fake).leadEdit},
		{http.MethodPut, []string{"lead", "edit-by-email"}, (*Fake).leadEditByEmail},
		{http.MethodDelete, []string{"lead", "delete", "*"}, (*Fake).leadDelete},

		{http.MethodGet, []string{"contact", "list"}, (*Fake).contactList},
		{http.MethodGet, []string{"contact", "view", "*"}, (*Fake).contactView},
		{http.MethodPost, []string{"contact", "add"}, (*Fake).contactAdd},
		{http.MethodPut, []string{"contact", "edit", "*"}, (*Fake).contactEdit},
		{http.MethodDelete, []string{"contact", "delete", "*"}, (*Fake).contactDelete},

		{http.MethodGet, []string{"field"}, (*Fake).fieldList},

		{http.MethodGet, []string{"tag"}, (*Fake).tagList},
		{http.MethodPost, []string{"tag", "add"}, (*Fake).tagAdd},
		{http.MethodDelete, []string{"tag", "delete", "*"}, (*Fake).tagDelete},

		{http.MethodGet, []string{"contact-tag"}, (*Fake).contactTagList},
		{http.MethodPost, []string{"contact-tag", "add-tag-by-email"}, (*Fake).contactTagAddByEmail},
		{http.MethodPost, []string{"contact-tag", "add-lead-tag", "*"}, (*Fake).contactTagAddToLead},
		{http.MethodDelete, []string{"contact-tag", "remove-tag-by-email"}, (*Fake).contactTagRemoveByEmail},
	}
}

// serveAPI authenticates, then routes. The key is checked before the path
// so an unauthenticated caller learns nothing about routes. A trailing slash
// is optional, as with CakePHP routes (the collection uses both forms).
func (f *Fake) serveAPI(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(r) {
		f.fail(w, http.StatusOK, "Invalid API Key")
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, basePath+"/")
	if !ok {
		f.fail(w, http.StatusNotFound, "Not Found")
		return
	}
	segs := strings.Split(strings.TrimRight(rest, "/"), "/")
	for _, rt := range f.api {
		arg, ok := match(rt.path, segs)
		if !ok {
			continue
		}
		// A known path with the wrong method is a missing route in CakePHP: 404.
		if r.Method != rt.method {
			continue
		}
		rt.handle(f, w, r, arg)
		return
	}
	f.fail(w, http.StatusNotFound, "Not Found")
}

func match(pattern, segs []string) (string, bool) {
	if len(pattern) != len(segs) {
		return "", false
	}
	arg := ""
	for i, p := range pattern {
		switch {
		case p == "*" && segs[i] != "":
			arg = segs[i]
		case p != segs[i]:
			return "", false
		}
	}
	return arg, true
}
