package closem

import (
	"errors"
	"mime"
	"net/http"
	"strings"
)

// maxBody bounds a request body; forms are small.
const maxBody = 1 << 20

// The documented modes.
const (
	modeAddContact  = "addcontact"
	modeRunSequence = "runsequence"
	modeSchedule    = "scheduleappointment"
)

// form is a request's body fields, as PHP's $_POST holds them.
type form map[string][]string

// get returns the first non-empty value among the names given, trimmed,
// in the order given: the documented aliases of one field.
func (fm form) get(names ...string) string {
	for _, n := range names {
		for _, v := range fm[n] {
			if v = strings.TrimSpace(v); v != "" {
				return v
			}
		}
	}
	return ""
}

// aliases returns the documented names of an addcontact field, canonical
// first; a field with no aliases is its own only name.
func aliases(field string) []string {
	switch field {
	case "phone":
		return []string{"phone", "phonenumber", "number", "phone_number"}
	case "email":
		return []string{"email", "mail", "emailaddress", "email_address"}
	case "fullname":
		return []string{"fullname", "name", "full_name"}
	case "firstname":
		return []string{"firstname", "first", "first_name"}
	case "lastname":
		return []string{"lastname", "last", "last_name"}
	case "notes":
		return []string{"notes", "note"}
	case "address":
		return []string{"address", "street"}
	case "zip":
		return []string{"zip", "zip_code", "zipcode"}
	case "tags":
		return []string{"tags", "tag"}
	case "contactlists":
		return []string{"contactlists", "contactlist", "contact_lists", "contact_list"}
	}
	return []string{field}
}

// field returns a field's value under any of its documented names.
func (fm form) field(name string) string { return fm.get(aliases(name)...) }

// serveAPI checks the route and the key, reads the form and runs the mode.
// The key is checked after the route (a wrong path is the web app, not the
// API) and before anything else, so an unauthenticated caller learns
// nothing about modes or fields.
func (f *Fake) serveAPI(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != basePath || r.URL.Query().Get("m") != "api" {
		f.fail(w, http.StatusNotFound, "Not found")
		return
	}
	if !f.authorized(r) {
		f.fail(w, http.StatusUnauthorized, "Invalid API key")
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		f.fail(w, http.StatusMethodNotAllowed, "Requests must be POST")
		return
	}
	fm, err := readForm(w, r)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			f.fail(w, http.StatusRequestEntityTooLarge, "Request body too large")
			return
		}
		f.fail(w, http.StatusBadRequest, "Malformed form body")
		return
	}
	switch mode := fm.get("mode"); mode {
	case "":
		f.fail(w, http.StatusBadRequest, "The mode parameter is required (addcontact, runsequence or scheduleappointment)")
	case modeAddContact:
		f.addContact(w, fm)
	case modeRunSequence:
		f.runSequence(w, fm)
	case modeSchedule:
		f.scheduleAppointment(w, fm)
	default:
		f.fail(w, http.StatusBadRequest, "Invalid mode: "+quoteShort(mode)+" (accepted: addcontact, runsequence, scheduleappointment)")
	}
}

// readForm returns the body fields of a url-encoded or multipart form; any
// other body has none, as in PHP. Query parameters are not fields.
func readForm(w http.ResponseWriter, r *http.Request) (form, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return form{}, nil
	}
	switch mt {
	case "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			return nil, err
		}
		return form(r.PostForm), nil
	case "multipart/form-data":
		if err := r.ParseMultipartForm(maxBody); err != nil {
			return nil, err
		}
		defer r.MultipartForm.RemoveAll()
		return form(r.MultipartForm.Value), nil
	}
	return form{}, nil
}

// quoteShort quotes a value for an error message, cut to a sane length.
func quoteShort(s string) string {
	if r := []rune(s); len(r) > 60 {
		s = string(r[:60]) + "…"
	}
	return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
}
