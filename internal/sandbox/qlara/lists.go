package qlara

import (
	"cmp"
	"net/http"
	"slices"
	"strings"
)

// Limits of POST/DELETE /contacts/list/contacts. The collection gives none;
// the contact batch matches the largest page size.
const (
	maxBatchContacts = 1000
	maxBatchLists    = 100
)

func (s *store) link(a Association) {
	s.assocs[a.ID] = a
	if s.members[a.ListID] == nil {
		s.members[a.ListID] = map[int64]int64{}
	}
	if s.memberOf[a.ContactID] == nil {
		s.memberOf[a.ContactID] = map[int64]int64{}
	}
	s.members[a.ListID][a.ContactID] = a.ID
	s.memberOf[a.ContactID][a.ListID] = a.ID
	s.touch()
}

func (s *store) unlink(a Association) {
	delete(s.assocs, a.ID)
	delete(s.members[a.ListID], a.ContactID)
	delete(s.memberOf[a.ContactID], a.ListID)
	s.touch()
}

// liveList returns list id unless it is absent or deleted.
func (s *store) liveList(id int64) (*ContactList, bool) {
	l, ok := s.lists[id]
	return l, ok && !l.IsDeleted
}

// targets resolves the lists and contacts an association request names,
// checking the documented rules and the fake's batch limits.
func (s *store) targets(req AssociationRequest) (lists, contacts []int64, err error) {
	if len(req.ListIDs) == 0 {
		return nil, nil, badRequest("listIds must not be empty")
	}
	if len(req.ListIDs) > maxBatchLists {
		return nil, nil, badRequest("at most %d listIds per call, got %d", maxBatchLists, len(req.ListIDs))
	}
	for _, id := range req.ListIDs {
		if _, ok := s.liveList(id); !ok {
			return nil, nil, badRequest("contact list %d does not exist", id)
		}
	}
	if req.AllContacts {
		for id := range s.contacts {
			if !slices.Contains(req.ExcludeIDsAllContacts, id) {
				contacts = append(contacts, id)
			}
		}
		slices.Sort(contacts)
		return req.ListIDs, contacts, nil
	}
	if len(req.ContactIDs) == 0 {
		return nil, nil, badRequest("contactIds is required when allContacts is false")
	}
	if len(req.ContactIDs) > maxBatchContacts {
		return nil, nil, badRequest("at most %d contactIds per call, got %d", maxBatchContacts, len(req.ContactIDs))
	}
	for _, id := range req.ContactIDs {
		if _, ok := s.contacts[id]; !ok {
			return nil, nil, badRequest("contact %d does not exist", id)
		}
	}
	return req.ListIDs, req.ContactIDs, nil
}

// listQuery is the parsed query of GET /contacts/list.
type listQuery struct {
	page, limit         int
	ids, contactIDs     []int64
	isTest, withDeleted *bool
	search              string
	key                 func(ContactList) string
	desc                bool
}

func parseListQuery(r *http.Request) (q listQuery, err error) {
	if q.page, q.limit, err = paging(r); err != nil {
		return q, err
	}
	if q.ids, err = idsParam(r, "id"); err != nil {
		return q, err
	}
	if q.contactIDs, err = idsParam(r, "contactIds"); err != nil {
		return q, err
	}
	if q.isTest, err = boolParam(r, "isTest"); err != nil {
		return q, err
	}
	if q.withDeleted, err = boolParam(r, "includeDeleted"); err != nil {
		return q, err
	}
	if q.desc, err = sortOrder(r); err != nil {
		return q, err
	}
	q.key, err = listSortKey(r.URL.Query().Get("sortBy"))
	q.search = strings.ToLower(r.URL.Query().Get("search"))
	return q, err
}

// keep reports whether list l passes the filters of q.
func (q listQuery) keep(s *store, l *ContactList) bool {
	switch {
	case l.IsDeleted && (q.withDeleted == nil || !*q.withDeleted),
		len(q.ids) > 0 && !slices.Contains(q.ids, l.ID),
		q.isTest != nil && l.IsTest != *q.isTest,
		q.search != "" && !strings.Contains(strings.ToLower(l.Name), q.search):
		return false
	}
	if len(q.contactIDs) == 0 {
		return true
	}
	return slices.ContainsFunc(q.contactIDs, func(c int64) bool {
		_, in := s.members[l.ID][c]
		return in
	})
}

func (f *Fake) findLists(w http.ResponseWriter, r *http.Request) {
	q, err := parseListQuery(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	var out []ContactList
	f.mu.Lock()
	for _, l := range f.st.lists {
		if q.keep(f.st, l) {
			out = append(out, f.st.listView(l))
		}
	}
	f.mu.Unlock()
	slices.SortFunc(out, func(a, b ContactList) int {
		c := cmp.Or(cmp.Compare(q.key(a), q.key(b)), cmp.Compare(a.ID, b.ID))
		if q.desc {
			return -c
		}
		return c
	})
	writeJSON(w, http.StatusOK, pageOf(out, q.page, q.limit))
}

// listSortKey returns the sort key for sortBy (default name).
func listSortKey(sortBy string) (func(ContactList) string, error) {
	switch sortBy {
	case "", "name":
		return func(l ContactList) string { return strings.ToLower(l.Name) }, nil
	case "id":
		return func(ContactList) string { return "" }, nil // ties fall back to the ID
	case "createdAt":
		return func(l ContactList) string { return l.CreatedAt }, nil
	case "updatedAt":
		return func(l ContactList) string { return l.UpdatedAt }, nil
	}
	return nil, badRequest("sortBy: %q is not a sortable contact list field", sortBy)
}

// pageOf returns page number page of limit items, never nil (so it encodes as []).
func pageOf[T any](all []T, page, limit int) []T {
	start := min(len(all), page*limit)
	return append([]T{}, all[start:min(len(all), start+limit)]...)
}

func (f *Fake) createList(w http.ResponseWriter, r *http.Request) {
	var in ContactListInput
	if err := decodeBody(r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	if strings.TrimSpace(str(in.Name)) == "" {
		writeError(w, r, badRequest("name is required"))
		return
	}
	f.mu.Lock()
	now := day(f.now())
	l := &ContactList{ID: f.st.nextList, Name: *in.Name, Description: in.Description,
		Filters: in.Filters, FkIDCompany: companyID, CreatedAt: now, UpdatedAt: now}
	if in.IsTest != nil {
		l.IsTest = *in.IsTest
	}
	f.st.nextList++
	f.st.lists[l.ID] = l
	f.st.changed()
	v := f.st.listView(l)
	f.mu.Unlock()
	writeJSON(w, http.StatusCreated, v)
}

func (f *Fake) getList(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	f.mu.Lock()
	l, ok := f.st.lists[id]
	var v ContactList
	if ok {
		v = f.st.listView(l)
	}
	f.mu.Unlock()
	if !ok {
		writeError(w, r, notFound("contact list %d not found", id))
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (f *Fake) updateList(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	var in ContactListInput
	if err := decodeBody(r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	if in.Name != nil && strings.TrimSpace(*in.Name) == "" {
		writeError(w, r, badRequest("name must not be blank"))
		return
	}
	f.mu.Lock()
	old, ok := f.st.liveList(id)
	if !ok {
		f.mu.Unlock()
		writeError(w, r, notFound("contact list %d not found", id))
		return
	}
	l := *old
	if in.Name != nil {
		l.Name = *in.Name
	}
	if in.Description != nil {
		l.Description = in.Description
	}
	if in.Filters != nil {
		l.Filters = in.Filters
	}
	if in.IsTest != nil {
		l.IsTest = *in.IsTest
	}
	l.UpdatedAt = day(f.now())
	f.st.lists[id] = &l
	f.st.changed()
	v := f.st.listView(&l)
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, v)
}

// deleteLists soft-deletes lists (they stay visible with includeDeleted)
// and drops their associations. Unknown IDs are ignored.
func (f *Fake) deleteLists(w http.ResponseWriter, r *http.Request) {
	ids, err := idsParam(r, "ids")
	if err == nil && len(ids) == 0 {
		err = badRequest("ids is required")
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	f.mu.Lock()
	for _, id := range ids {
		old, ok := f.st.liveList(id)
		if !ok {
			continue
		}
		for c, a := range f.st.members[id] {
			f.st.unlink(Association{ID: a, ListID: id, ContactID: c})
		}
		l := *old
		l.IsDeleted = true
		l.UpdatedAt = day(f.now())
		f.st.lists[id] = &l
		f.st.changed()
	}
	f.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// addToLists answers 201 with the IDs of the associations it created;
// existing memberships are kept and not listed. The call is all or nothing.
func (f *Fake) addToLists(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.listAddCalls++
	f.mu.Unlock()
	var req AssociationRequest
	if err := decodeBody(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	f.mu.Lock()
	lists, contacts, err := f.st.targets(req)
	created := []int64{}
	if err == nil {
		for _, l := range lists {
			for _, c := range contacts {
				if _, in := f.st.members[l][c]; in {
					continue
				}
				a := Association{ID: f.st.nextAssoc, ListID: l, ContactID: c}
				f.st.nextAssoc++
				f.st.link(a)
				created = append(created, a.ID)
			}
		}
	}
	f.mu.Unlock()
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, created)
}

func (f *Fake) removeFromLists(w http.ResponseWriter, r *http.Request) {
	var req AssociationRequest
	if err := decodeBody(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	f.mu.Lock()
	lists, contacts, err := f.st.targets(req)
	if err == nil {
		for _, l := range lists {
			for _, c := range contacts {
				if a, in := f.st.members[l][c]; in {
					f.st.unlink(Association{ID: a, ListID: l, ContactID: c})
				}
			}
		}
	}
	f.mu.Unlock()
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (f *Fake) deleteAssociation(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	f.mu.Lock()
	a, ok := f.st.assocs[id]
	if ok {
		f.st.unlink(a)
	}
	f.mu.Unlock()
	if !ok {
		writeError(w, r, notFound("association %d not found", id))
		return
	}
	w.WriteHeader(http.StatusOK)
}

// findListContacts is GET /contacts with listIds set to the path's list.
func (f *Fake) findListContacts(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	f.mu.Lock()
	_, ok := f.st.liveList(id)
	f.mu.Unlock()
	if !ok {
		writeError(w, r, notFound("contact list %d not found", id))
		return
	}
	q, err := parseContactQuery(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	q.listIDs = []int64{id}
	f.answerContacts(w, q)
}
