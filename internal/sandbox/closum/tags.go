package closum

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// fieldList: GET field/, every custom field in creation order, unpaged
// (the example has no paginator).
func (f *Fake) fieldList(w http.ResponseWriter, _ *http.Request, _ string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := fieldList{Fields: make([]fieldItem, 0, len(f.d.fields))}
	for _, fr := range f.d.fields {
		out.Fields = append(out.Fields, fieldItem{ID: fr.ID, Label: fr.Label, Var: fr.Var,
			Attributes: fr.Attributes, CreationDate: f.stamp(fr.Created)})
	}
	f.ok(w, out)
}

// tagList: GET tag/, newest first, paged. The collection saves no example;
// the items take the {id, tag} shape of contact_tag[].tag.
func (f *Fake) tagList(w http.ResponseWriter, r *http.Request, _ string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	order := f.d.tagOrder
	win, ok := pageOf(r.URL.Query(), len(order))
	if !ok {
		f.outOfRange(w)
		return
	}
	out := tagList{Tags: make([]tagRef, 0, win.hi-win.lo), Paginator: win.p}
	for i := win.lo; i < win.hi; i++ {
		t := f.d.tags[order[len(order)-1-i]]
		out.Tags = append(out.Tags, tagRef{ID: t.ID, Tag: t.Tag})
	}
	f.ok(w, out)
}

// tagAdd: POST tag/add {"tag": name}; a name already used (any case) is
// refused.
func (f *Fake) tagAdd(w http.ResponseWriter, r *http.Request, _ string) {
	body, err := readBody(w, r)
	if err != nil {
		f.fail(w, http.StatusBadRequest, "Invalid request body")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	v := &validator{body: body}
	name := v.text("tag")
	if len(v.errs) == 0 && (name == nil || *name == "") {
		v.failf("tag is required")
	}
	if len(v.errs) > 0 {
		f.fail(w, http.StatusOK, v.errs...)
		return
	}
	if _, dup := f.d.tagByName[strings.ToLower(*name)]; dup {
		f.fail(w, http.StatusOK, "Tag already exists")
		return
	}
	id := f.d.ensureTag(*name, f.now())
	f.saver.Changed()
	f.ok(w, []tagIDRef{{TagID: id}})
}

// tagDelete: DELETE tag/delete/{id or name}, with its links to contacts.
func (f *Fake) tagDelete(w http.ResponseWriter, _ *http.Request, key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id, ok := f.d.tagByName[strings.ToLower(key)]
	if n, err := strconv.Atoi(key); err == nil && f.d.tags[n] != nil {
		id, ok = n, true
	}
	if !ok {
		f.fail(w, http.StatusOK, "Tag not found")
		return
	}
	f.d.removeTag(id)
	f.saver.Changed()
	f.ok(w, []any{})
}

// contactTagList: GET contact-tag, one item per (contact, tag) link,
// newest contact first, paged; tag= filters by tag name.
func (f *Fake) contactTagList(w http.ResponseWriter, r *http.Request, _ string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	q := r.URL.Query()
	only := -1
	if name := q.Get("tag"); name != "" {
		only = 0 // matches nothing unless the tag exists
		if id, ok := f.d.tagByName[strings.ToLower(name)]; ok {
			only = id
		}
	}
	var links []contactTag
	for i := len(f.d.contactOrder) - 1; i >= 0; i-- {
		for _, ct := range f.d.contactTags(f.d.contacts[f.d.contactOrder[i]]) {
			if only < 0 || ct.Tag.ID == only {
				links = append(links, ct)
			}
		}
	}
	win, ok := pageOf(q, len(links))
	if !ok {
		f.outOfRange(w)
		return
	}
	f.ok(w, contactTagList{ContactTags: append([]contactTag{}, links[win.lo:win.hi]...), Paginator: win.p})
}

// tagRequest reads the body of the contact-tag writes: "tag" is a required
// array of names; withEmail also requires "email" naming a contact.
func (f *Fake) tagRequest(w http.ResponseWriter, r *http.Request, withEmail bool) (email string, tags []string, ok bool) {
	body, err := readBody(w, r)
	if err != nil {
		f.fail(w, http.StatusBadRequest, "Invalid request body")
		return "", nil, false
	}
	v := &validator{body: body}
	if withEmail {
		if e := v.email("email"); e != nil {
			email = *e
		} else if len(v.errs) == 0 {
			v.failf("email is required")
		}
	}
	tags = v.tags("tag")
	if len(tags) == 0 && !slices.ContainsFunc(v.errs, func(s string) bool { return strings.HasPrefix(s, "tag ") }) {
		v.failf("tag is required")
	}
	if len(v.errs) > 0 {
		f.fail(w, http.StatusOK, v.errs...)
		return "", nil, false
	}
	return email, tags, true
}

// contactTagAddByEmail: POST contact-tag/add-tag-by-email {email, tag: [...]}.
func (f *Fake) contactTagAddByEmail(w http.ResponseWriter, r *http.Request, _ string) {
	email, tags, ok := f.tagRequest(w, r, true)
	if !ok {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.d.contactByEmail(email)
	if c == nil {
		f.fail(w, http.StatusOK, "Contact not found")
		return
	}
	f.d.addTags(c, tags, f.now())
	f.saver.Changed()
	f.ok(w, []any{})
}

// contactTagAddToLead: POST contact-tag/add-lead-tag/{lead_id} {tag: [...]}.
func (f *Fake) contactTagAddToLead(w http.ResponseWriter, r *http.Request, id string) {
	_, tags, ok := f.tagRequest(w, r, false)
	if !ok {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	n, err := strconv.Atoi(id)
	l, found := f.d.leads[n]
	if err != nil || !found {
		f.fail(w, http.StatusOK, "Lead not found")
		return
	}
	f.d.addTags(f.d.contacts[l.ContactID], tags, f.now())
	f.saver.Changed()
	f.ok(w, []any{})
}

// contactTagRemoveByEmail: DELETE contact-tag/remove-tag-by-email {email,
// tag: [...]}. A tag that does not exist is an error; one the contact
// lacks is not.
func (f *Fake) contactTagRemoveByEmail(w http.ResponseWriter, r *http.Request, _ string) {
	email, tags, ok := f.tagRequest(w, r, true)
	if !ok {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.d.contactByEmail(email)
	if c == nil {
		f.fail(w, http.StatusOK, "Contact not found")
		return
	}
	var drop []int
	for _, t := range tags {
		id, exists := f.d.tagByName[strings.ToLower(t)]
		if !exists {
			f.fail(w, http.StatusOK, "Tag not found")
			return
		}
		drop = append(drop, id)
	}
	c.Tags = slices.DeleteFunc(c.Tags, func(id int) bool { return slices.Contains(drop, id) })
	f.saver.Changed()
	f.ok(w, []any{})
}
