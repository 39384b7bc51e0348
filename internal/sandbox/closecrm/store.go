package closecrm

import (
	"crypto/rand"
	"crypto/sha256"
	"slices"
	"strings"
	"time"

	"github.com/crmload/crmload/internal/sandbox"
)

// Identities of the one organization and user behind every key, taken from
// the doc's examples.
const (
	orgID    = "orga_bwwWG475zqWiQGur0thQshwVXo8rIYecQHDWFanqhen"
	userID   = "user_MvDoAZA889UMrgsZbnXmHkJSomSi7qk2Iwc4JnGHTbo"
	userName = "Anthony Nemitz"
	orgName  = "Sample Data"
)

// Objects that have custom fields.
const (
	objLead    = "lead"
	objContact = "contact"
)

// leadRec is a stored lead. Records are never changed in place: an update
// stores a new record, so a snapshot of pointers can be read without the lock.
type leadRec struct {
	lead     Lead     // Contacts and derived fields empty
	contacts []string // contact ids, in creation order
	seq      uint64   // creation order, the order of plain lists
}

// contactRec is a stored contact (immutable, like leadRec).
type contactRec struct {
	c   Contact
	seq uint64
}

// store holds the records and their indexes; the Fake's mutex guards it.
type store struct {
	leads     map[string]*leadRec
	leadOrder []string // creation order; may hold deleted ids until compacted
	leadGone  int
	contacts  map[string]*contactRec
	contOrder []string
	contGone  int
	seq       uint64

	// Indexes for search: lower-case email, E.164 phone and lower-case
	// lead name → lead id → how many entries point there.
	byEmail, byPhone, byName map[string]map[string]int

	fields   map[string][]*CustomField // objLead / objContact → fields
	statuses []Status

	version uint64         // bumped on every change; keys the query cache
	saver   *sandbox.Saver // told of every change
}

func newStore(now time.Time) store {
	s := store{
		leads:    map[string]*leadRec{},
		contacts: map[string]*contactRec{},
		byEmail:  map[string]map[string]int{},
		byPhone:  map[string]map[string]int{},
		byName:   map[string]map[string]int{},
		statuses: defaultStatuses(),
	}
	s.fields = defaultFields(now)
	return s
}

// defaultStatuses are the doc's example lead statuses; the first is the
// default for new leads.
func defaultStatuses() []Status {
	var out []Status
	for _, x := range [][2]string{
		{"stat_1ZdiZqcSIkoGVnNOyxiEY58eTGQmFNG3LPlEVQ4V7Nk", "Potential"},
		{"stat_2ZdiZqcSIkoGVnNOyxiEY58eTGQmFNG3LPlEVQ4V7Nk", "Bad Fit"},
		{"stat_3ZdiZqcSIkoGVnNOyxiEY58eTGQmFNG3LPlEVQ4V7Nk", "Qualified"},
		{"stat_8ZdiZqcSIkoGVnNOyxiEY58eTGQmFNG3LPlEVQ4V7Nk", "Not Serious"},
	} {
		out = append(out, Status{ID: x[0], Label: x[1], OrganizationID: orgID})
	}
	return out
}

// defaultFields seeds two custom fields per object. Their ids derive from
// their names so they stay the same across resets.
func defaultFields(now time.Time) map[string][]*CustomField {
	mk := func(obj, name, typ string, multi bool, choices ...string) *CustomField {
		cf := newField(obj, name, typ, now)
		sum := sha256.Sum256([]byte(obj + ":" + name))
		cf.ID = fieldPrefix(obj) + base62(sum[:], 43)
		cf.AcceptsMultipleValues = multi
		cf.Choices = choices
		return cf
	}
	return map[string][]*CustomField{
		objLead: {
			mk(objLead, "Lead Source", "text", false),
			mk(objLead, "Industry", "choices", true, "Apparel", "Cars", "Cosmetics", "IT"),
		},
		objContact: {
			mk(objContact, "Birthday", "date", false),
			mk(objContact, "Role", "choices", false, "Account Executive", "CEO", "Sales Rep"),
		},
	}
}

func newField(obj, name, typ string, now time.Time) *CustomField {
	return &CustomField{
		ID: newID(fieldPrefix(obj)), Name: name, Type: typ,
		EditableWithRoles: []string{}, OrganizationID: orgID,
		CreatedBy: userID, UpdatedBy: userID,
		DateCreated: Time{now}, DateUpdated: Time{now},
	}
}

func fieldPrefix(obj string) string {
	if obj == objLead {
		return "lcf_"
	}
	return "ccf_"
}

// newID returns prefix + 43 random base62 characters, the shape of the
// doc's ids (lead_…, cont_…, lcf_…).
func newID(prefix string) string {
	b := make([]byte, 43)
	_, _ = rand.Read(b)
	return prefix + base62(b, 43)
}

func base62(b []byte, n int) string {
	const digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	var sb strings.Builder
	for i := range n {
		sb.WriteByte(digits[int(b[i%len(b)]+byte(i/len(b)))%len(digits)])
	}
	return sb.String()
}

func (s *store) field(obj, id string) *CustomField {
	for _, f := range s.fields[obj] {
		if f.ID == id {
			return f
		}
	}
	return nil
}

func (s *store) statusByID(id string) (Status, bool) {
	for _, st := range s.statuses {
		if st.ID == id {
			return st, true
		}
	}
	return Status{}, false
}

// statusByLabel matches a label case-insensitively; search terms also
// accept "_" for a space, as in the doc's "status:bad_fit".
func (s *store) statusByLabel(label string) (Status, bool) {
	norm := func(x string) string { return strings.ReplaceAll(strings.ToLower(x), "_", " ") }
	for _, st := range s.statuses {
		if norm(st.Label) == norm(label) {
			return st, true
		}
	}
	return Status{}, false
}

func (s *store) changed() {
	s.version++
	s.saver.Changed()
}

// bump adds d to the index entry key → lead.
func bump(idx map[string]map[string]int, key, lead string, d int) {
	if key == "" {
		return
	}
	m := idx[key]
	if m == nil {
		m = map[string]int{}
		idx[key] = m
	}
	m[lead] += d
	if m[lead] <= 0 {
		delete(m, lead)
		if len(m) == 0 {
			delete(idx, key)
		}
	}
}

func (s *store) indexContact(c *Contact, d int) {
	for _, e := range c.Emails {
		bump(s.byEmail, strings.ToLower(e.Email), c.LeadID, d)
	}
	for _, p := range c.Phones {
		bump(s.byPhone, p.Phone, c.LeadID, d)
	}
}

// render returns the lead as served: contacts filled in, derived fields
// set, values of deleted custom fields dropped.
func (s *store) render(r *leadRec) Lead {
	l := r.lead
	l.Contacts = make([]Contact, 0, len(r.contacts))
	for _, id := range r.contacts {
		if c, ok := s.contacts[id]; ok {
			l.Contacts = append(l.Contacts, s.renderContact(c))
		}
	}
	if st, ok := s.statusByID(l.StatusID); ok {
		l.StatusLabel = st.Label
	}
	l.DisplayName = l.Name
	if l.DisplayName == "" && len(l.Contacts) > 0 {
		l.DisplayName = l.Contacts[0].Name
	}
	l.HTMLURL = "https://app.close.com/lead/" + l.ID + "/"
	l.Custom = s.liveCustom(objLead, l.Custom)
	return l
}

func (s *store) renderContact(r *contactRec) Contact {
	c := r.c
	c.Custom = s.liveCustom(objContact, c.Custom)
	return c
}

// liveCustom drops values whose field no longer exists.
func (s *store) liveCustom(obj string, values map[string]any) map[string]any {
	var out map[string]any
	for id, v := range values {
		if s.field(obj, id) != nil {
			if out == nil {
				out = make(map[string]any, len(values))
			}
			out[id] = v
		}
	}
	return out
}

// liveLeads returns the lead ids in creation order, compacting deletions.
// The slice belongs to the store: use it under the lock only.
func (s *store) liveLeads() []string {
	if s.leadGone > 0 {
		s.leadOrder = slices.DeleteFunc(s.leadOrder, func(id string) bool { return s.leads[id] == nil })
		s.leadGone = 0
	}
	return s.leadOrder
}

// liveContacts is liveLeads for contacts.
func (s *store) liveContacts() []string {
	if s.contGone > 0 {
		s.contOrder = slices.DeleteFunc(s.contOrder, func(id string) bool { return s.contacts[id] == nil })
		s.contGone = 0
	}
	return s.contOrder
}

// insertLead stores a new lead with its new contacts.
func (s *store) insertLead(l Lead, contacts []Contact, now time.Time) *leadRec {
	l.ID = newID("lead_")
	l.OrganizationID, l.CreatedBy, l.UpdatedBy = orgID, userID, userID
	l.DateCreated, l.DateUpdated = Time{now}, Time{now}
	l.Contacts = nil
	s.seq++
	r := &leadRec{lead: l, seq: s.seq}
	s.leads[l.ID] = r
	s.leadOrder = append(s.leadOrder, l.ID)
	bump(s.byName, strings.ToLower(l.Name), l.ID, 1)
	for _, c := range contacts {
		c.LeadID = l.ID
		s.addContact(r, c, now)
	}
	s.changed()
	return r
}

// addContact stores a new contact under r (changed in place: r is new or
// about to be replaced by the caller).
func (s *store) addContact(r *leadRec, c Contact, now time.Time) *contactRec {
	c.ID = newID("cont_")
	c.OrganizationID, c.CreatedBy, c.UpdatedBy = orgID, userID, userID
	c.DateCreated, c.DateUpdated = Time{now}, Time{now}
	s.seq++
	cr := &contactRec{c: c, seq: s.seq}
	s.contacts[c.ID] = cr
	s.contOrder = append(s.contOrder, c.ID)
	r.contacts = append(r.contacts, c.ID)
	s.indexContact(&cr.c, 1)
	return cr
}

// replaceLead stores l as the new version of r's lead.
func (s *store) replaceLead(r *leadRec, l Lead, now time.Time) *leadRec {
	l.DateUpdated, l.UpdatedBy = Time{now}, userID
	bump(s.byName, strings.ToLower(r.lead.Name), l.ID, -1)
	bump(s.byName, strings.ToLower(l.Name), l.ID, 1)
	n := &leadRec{lead: l, contacts: r.contacts, seq: r.seq}
	s.leads[l.ID] = n
	s.changed()
	return n
}

// touchLead marks a lead updated because one of its contacts changed; the
// doc is silent, the sandbox does so that "updated >" searches see it.
func (s *store) touchLead(id string, contacts []string, now time.Time) {
	r := s.leads[id]
	if r == nil {
		return
	}
	l := r.lead
	l.DateUpdated, l.UpdatedBy = Time{now}, userID
	s.leads[id] = &leadRec{lead: l, contacts: contacts, seq: r.seq}
}

// removeLead deletes a lead and its contacts.
func (s *store) removeLead(r *leadRec) {
	for _, cid := range r.contacts {
		if cr := s.contacts[cid]; cr != nil {
			s.indexContact(&cr.c, -1)
			delete(s.contacts, cid)
			s.contGone++
		}
	}
	bump(s.byName, strings.ToLower(r.lead.Name), r.lead.ID, -1)
	delete(s.leads, r.lead.ID)
	s.leadGone++
	s.changed()
}

// insertContact adds a contact to an existing lead.
func (s *store) insertContact(c Contact, now time.Time) *contactRec {
	old := s.leads[c.LeadID]
	r := &leadRec{lead: old.lead, contacts: slices.Clone(old.contacts), seq: old.seq}
	cr := s.addContact(r, c, now)
	s.touchLead(c.LeadID, r.contacts, now)
	s.changed()
	return cr
}

// replaceContact stores c as the new version of cr's contact, moving it
// when its lead_id changed.
func (s *store) replaceContact(cr *contactRec, c Contact, now time.Time) *contactRec {
	c.DateUpdated, c.UpdatedBy = Time{now}, userID
	s.indexContact(&cr.c, -1)
	n := &contactRec{c: c, seq: cr.seq}
	s.contacts[c.ID] = n
	s.indexContact(&n.c, 1)
	if from := cr.c.LeadID; from != c.LeadID {
		if r := s.leads[from]; r != nil {
			s.touchLead(from, slices.DeleteFunc(slices.Clone(r.contacts), func(x string) bool { return x == c.ID }), now)
		}
		r := s.leads[c.LeadID]
		s.touchLead(c.LeadID, append(slices.Clone(r.contacts), c.ID), now)
	} else {
		s.touchLead(c.LeadID, s.leads[c.LeadID].contacts, now)
	}
	s.changed()
	return n
}

// removeContact deletes a contact.
func (s *store) removeContact(cr *contactRec, now time.Time) {
	s.indexContact(&cr.c, -1)
	delete(s.contacts, cr.c.ID)
	s.contGone++
	if r := s.leads[cr.c.LeadID]; r != nil {
		s.touchLead(r.lead.ID, slices.DeleteFunc(slices.Clone(r.contacts), func(x string) bool { return x == cr.c.ID }), now)
	}
	s.changed()
}
