package qlara

import (
	"cmp"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

func (f *Fake) createContact(w http.ResponseWriter, r *http.Request) {
	var in ContactFields
	if err := decodeBody(r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	f.mu.Lock()
	c, err := f.st.createContact(in, f.now())
	var v Contact
	if err == nil {
		v = f.st.view(c)
	}
	f.mu.Unlock()
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, ContactWriteResponse{Contacts: []Contact{v}, Errors: []string{}})
}

func (f *Fake) updateContact(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	var in ContactFields
	if err := decodeBody(r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	f.mu.Lock()
	c, err := f.st.updateContact(id, in, f.now())
	var v Contact
	if err == nil {
		v = f.st.view(c)
	}
	f.mu.Unlock()
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ContactWriteResponse{Contacts: []Contact{v}, Errors: []string{}})
}

func (f *Fake) getContact(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	f.mu.Lock()
	c, ok := f.st.contacts[id]
	var v Contact
	if ok {
		v = f.st.view(c)
	}
	f.mu.Unlock()
	if !ok {
		writeError(w, r, notFound("contact %d not found", id))
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// deleteContacts deletes the contacts in ids, or every contact not in
// notIds. One of the two is required: the fake refuses a bare DELETE rather
// than emptying the account.
func (f *Fake) deleteContacts(w http.ResponseWriter, r *http.Request) {
	ids, err := idsParam(r, "ids")
	if err != nil {
		writeError(w, r, err)
		return
	}
	notIDs, err := idsParam(r, "notIds")
	if err != nil {
		writeError(w, r, err)
		return
	}
	if len(ids) == 0 && len(notIDs) == 0 {
		writeError(w, r, badRequest("ids or notIds is required"))
		return
	}
	f.mu.Lock()
	if len(ids) == 0 {
		for id := range f.st.contacts {
			if !slices.Contains(notIDs, id) {
				ids = append(ids, id)
			}
		}
	}
	for _, id := range ids {
		f.st.deleteContact(id)
	}
	f.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// contactQuery is the parsed query of GET /contacts.
type contactQuery struct {
	page, limit                             int
	id                                      int64
	email, phone                            string // exact, case-sensitive
	listIDs, notListIDs                     []int64
	search                                  string // lower case
	gender, comm, lastContact, lastCampaign string
	isValid, isTest                         *bool
	sortBy                                  string
	desc                                    bool
	priority                                int64
}

// contactSortKey returns the sort key for an accepted sortBy value.
func contactSortKey(sortBy string) (func(*contactRec) string, bool) {
	lower := func(field int) func(*contactRec) string {
		return func(r *contactRec) string { return strings.ToLower(r.fields.text(field)) }
	}
	switch sortBy {
	case "id":
		return func(*contactRec) string { return "" }, true // ties fall back to the ID
	case "fullName":
		return lower(fieldFullName), true
	case "firstName":
		return lower(fieldFirstName), true
	case "lastName":
		return lower(fieldLastName), true
	case "mainEmail":
		return lower(fieldMainEmail), true
	case "city":
		return lower(fieldCity), true
	case "country":
		return lower(fieldCountry), true
	case "createdAt":
		return func(r *contactRec) string { return r.created }, true
	case "updatedAt":
		return func(r *contactRec) string { return r.updated }, true
	}
	return nil, false
}

func parseContactQuery(r *http.Request) (q contactQuery, err error) {
	v := r.URL.Query()
	if q.page, q.limit, err = paging(r); err != nil {
		return q, err
	}
	if s := v.Get("id"); s != "" {
		if q.id, err = strconv.ParseInt(s, 10, 64); err != nil {
			return q, badRequest("id: %q is not a numeric ID", s)
		}
	}
	if s := v.Get("sortPriorityListId"); s != "" {
		if q.priority, err = strconv.ParseInt(s, 10, 64); err != nil {
			return q, badRequest("sortPriorityListId: %q is not a numeric ID", s)
		}
	}
	if q.listIDs, err = idsParam(r, "listIds"); err != nil {
		return q, err
	}
	if q.notListIDs, err = idsParam(r, "notListIds"); err != nil {
		return q, err
	}
	if q.isValid, err = boolParam(r, "isValid"); err != nil {
		return q, err
	}
	if q.isTest, err = boolParam(r, "isTest"); err != nil {
		return q, err
	}
	if q.desc, err = sortOrder(r); err != nil {
		return q, err
	}
	q.sortBy = cmp.Or(v.Get("sortBy"), "fullName")
	if _, ok := contactSortKey(q.sortBy); !ok {
		return q, badRequest("sortBy: %q is not a sortable contact field", q.sortBy)
	}
	q.email, q.phone = v.Get("email"), v.Get("phoneNumber")
	q.search = strings.ToLower(v.Get("search"))
	q.gender, q.comm = v.Get("gender"), v.Get("communicationSupported")
	q.lastContact, q.lastCampaign = v.Get("lastContactType"), v.Get("lastCampaignType")
	return q, nil
}

func (f *Fake) findContacts(w http.ResponseWriter, r *http.Request) {
	q, err := parseContactQuery(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	f.mu.Lock()
	n := f.generated
	f.mu.Unlock()
	if n > 0 {
		f.genPage(w, r, q, n)
		return
	}
	f.answerContacts(w, q)
}

// answerContacts writes one page of the contacts matching q. The email and
// phone filters go through the indexes; other listings walk a cached order.
func (f *Fake) answerContacts(w http.ResponseWriter, q contactQuery) {
	f.mu.Lock()
	s := f.st
	var order []int64
	switch {
	case q.id != 0:
		order = []int64{q.id}
	case q.phone != "":
		if id, ok := s.byPhone[q.phone]; ok {
			order = []int64{id}
		}
	case q.email != "":
		order = s.sorted(s.byEmail.ids(q.email), q)
	case len(q.listIDs) > 0:
		seen := map[int64]bool{}
		for _, l := range q.listIDs {
			for c := range s.members[l] {
				if !seen[c] {
					seen[c] = true
					order = append(order, c)
				}
			}
		}
		order = s.sorted(order, q)
	default:
		order = s.sortedAll(q)
	}
	out := []Contact{}
	skip := q.page * q.limit
	for _, id := range order {
		c, ok := s.contacts[id]
		if !ok || !q.keep(s, c) {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		out = append(out, s.view(c))
		if len(out) == q.limit {
			break
		}
	}
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

// keep reports whether r passes the filters of q.
func (q contactQuery) keep(s *store, r *contactRec) bool {
	in := func(l int64) bool { _, ok := s.members[l][r.id]; return ok }
	if len(q.listIDs) > 0 && !slices.ContainsFunc(q.listIDs, in) || slices.ContainsFunc(q.notListIDs, in) {
		return false
	}
	if q.id == 0 && q.phone == "" && q.email == "" && q.gender == "" && q.lastContact == "" &&
		q.lastCampaign == "" && q.isValid == nil && q.isTest == nil && q.comm == "" && q.search == "" {
		return true // no need to unpack the record
	}
	c := r.contact()
	switch {
	case q.id != 0 && c.ID != q.id,
		q.phone != "" && !slices.Contains(c.PhoneNumbers, q.phone),
		q.email != "" && !slices.Contains(c.EmailAddresses, q.email),
		q.gender != "" && str(c.Gender) != q.gender,
		q.lastContact != "" && str(c.LastContactType) != q.lastContact,
		q.lastCampaign != "" && str(c.LastCampaignType) != q.lastCampaign,
		q.isValid != nil && c.IsValid != *q.isValid,
		q.isTest != nil && c.IsTest != *q.isTest,
		q.comm != "" && !slices.ContainsFunc(c.CommunicationSupported, func(x string) bool { return strings.EqualFold(x, q.comm) }),
		q.search != "" && !matches(c, q.search):
		return false
	}
	return true
}

// matches is the search filter: a case-insensitive substring of the names,
// email addresses, phone numbers, organisation or city.
func matches(c *Contact, lower string) bool {
	fields := []string{str(c.FullName), str(c.FirstName), str(c.LastName), str(c.Nickname),
		str(c.Organization), str(c.CompanyName), str(c.City)}
	fields = append(append(fields, c.EmailAddresses...), c.PhoneNumbers...)
	return slices.ContainsFunc(fields, func(s string) bool { return strings.Contains(strings.ToLower(s), lower) })
}

// sorted orders ids as q asks: contacts of the priority list first, then by
// the sort key, ties by ID (so paging is stable), all reversed for desc
// except the priority.
func (s *store) sorted(ids []int64, q contactQuery) []int64 {
	key, _ := contactSortKey(q.sortBy)
	type entry struct {
		prio bool
		key  string
		id   int64
	}
	es := make([]entry, 0, len(ids))
	for _, id := range ids {
		c, ok := s.contacts[id]
		if !ok {
			continue
		}
		_, prio := s.members[q.priority][id]
		es = append(es, entry{prio && q.priority != 0, key(c), id})
	}
	slices.SortFunc(es, func(a, b entry) int {
		if a.prio != b.prio {
			if a.prio {
				return -1
			}
			return 1
		}
		c := cmp.Or(cmp.Compare(a.key, b.key), cmp.Compare(a.id, b.id))
		if q.desc {
			return -c
		}
		return c
	})
	out := make([]int64, len(es))
	for i, e := range es {
		out[i] = e.id
	}
	return out
}

// sortedAll returns every contact ID in q's order, cached until the next
// change so walking a large account page by page stays cheap.
func (s *store) sortedAll(q contactQuery) []int64 {
	k := q.sortBy + "|" + strconv.FormatBool(q.desc) + "|" + strconv.FormatInt(q.priority, 10)
	if o, ok := s.sortCache[k]; ok {
		return o
	}
	o := s.sorted(slices.Collect(maps.Keys(s.contacts)), q)
	if s.sortCache == nil {
		s.sortCache = map[string][]int64{}
	}
	s.sortCache[k] = o
	return o
}
