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

// store holds the records and their indexes; the Fake's mutex guards it.
type store struct {
	leads     []*leadRec // by slot; nil once deleted
	leadByID  map[string]slot
	leadOrder []slot // live leads in creation order; may hold deleted ones until compacted
	leadGone  int
	contacts  []*contactRec
	contByID  map[string]slot
	contOrder []slot // live contacts in their global order (loaded files keep theirs)
	contGone  int

	// Indexes for search: lower-case email, E.164 phone and lower-case
	// lead name → the leads holding it.
	byEmail, byPhone, byName index

	fields   map[string][]*CustomField // objLead / objContact → fields
	statuses []Status

	version uint64         // bumped on every change; keys the query cache
	saver   *sandbox.Saver // told of every change
}

func newStore(now time.Time) store {
	return store{
		leadByID: map[string]slot{},
		contByID: map[string]slot{},
		byEmail:  newIndex(),
		byPhone:  newIndex(),
		byName:   newIndex(),
		statuses: defaultStatuses(),
		fields:   defaultFields(now),
	}
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

// lead returns the live lead with id, or nil.
func (s *store) lead(id string) *leadRec {
	if i, ok := s.leadByID[id]; ok {
		return s.leads[i]
	}
	return nil
}

// contact returns the live contact with id, or nil.
func (s *store) contact(id string) *contactRec {
	if i, ok := s.contByID[id]; ok {
		return s.contacts[i]
	}
	return nil
}

func (s *store) indexContact(c *contactRec, d int32) {
	for _, e := range c.emails {
		s.byEmail.add(strings.ToLower(e.Email), c.lead, d)
	}
	for _, p := range c.phones {
		s.byPhone.add(p.Phone, c.lead, d)
	}
}

// render returns the lead as served: contacts filled in, derived fields
// set, values of deleted custom fields dropped.
func (s *store) render(r *leadRec) Lead {
	l := r.toLead()
	l.Contacts = make([]Contact, 0, len(r.contacts))
	for _, c := range r.contacts {
		l.Contacts = append(l.Contacts, s.renderContact(s.contacts[c]))
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
	c := s.toContact(r)
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

// liveLeads returns the lead slots in creation order, compacting deletions.
// The slice belongs to the store: use it under the lock only.
func (s *store) liveLeads() []slot {
	if s.leadGone > 0 {
		s.leadOrder = slices.DeleteFunc(s.leadOrder, func(i slot) bool { return s.leads[i] == nil })
		s.leadGone = 0
	}
	return s.leadOrder
}

// liveContacts is liveLeads for contacts.
func (s *store) liveContacts() []slot {
	if s.contGone > 0 {
		s.contOrder = slices.DeleteFunc(s.contOrder, func(i slot) bool { return s.contacts[i] == nil })
		s.contGone = 0
	}
	return s.contOrder
}

// insertLead stores a new lead with its new contacts.
func (s *store) insertLead(l Lead, contacts []Contact, now time.Time) *leadRec {
	l.ID = newID("lead_")
	l.DateCreated, l.DateUpdated = Time{now}, Time{now}
	r := s.putLead(l, nil)
	for _, c := range contacts {
		r = s.addContact(r, c, now)
	}
	s.changed()
	return r
}

// putLead stores a lead read from a state file or just made, in a new slot.
func (s *store) putLead(l Lead, contacts []slot) *leadRec {
	at := slot(len(s.leads))
	r := newLeadRec(l, at, contacts)
	s.leads = append(s.leads, r)
	s.leadByID[r.id] = at
	s.leadOrder = append(s.leadOrder, at)
	s.byName.add(strings.ToLower(r.name), at, 1)
	return r
}

// addContact stores a new contact under r and returns r's new record.
func (s *store) addContact(r *leadRec, c Contact, now time.Time) *leadRec {
	c.ID = newID("cont_")
	c.DateCreated, c.DateUpdated = Time{now}, Time{now}
	cr := s.putContact(c, r.slot)
	s.contOrder = append(s.contOrder, cr.slot)
	n := *r
	n.contacts = append(slices.Clip(r.contacts), cr.slot)
	s.leads[r.slot] = &n
	return &n
}

// putContact stores a contact in a new slot (not in the global order: the
// caller places it).
func (s *store) putContact(c Contact, lead slot) *contactRec {
	at := slot(len(s.contacts))
	cr := newContactRec(c, at, lead)
	s.contacts = append(s.contacts, cr)
	s.contByID[cr.id] = at
	s.indexContact(cr, 1)
	return cr
}

// replaceLead stores l as the new version of r's lead.
func (s *store) replaceLead(r *leadRec, l Lead, now time.Time) *leadRec {
	l.DateUpdated = Time{now}
	s.byName.add(strings.ToLower(r.name), r.slot, -1)
	s.byName.add(strings.ToLower(l.Name), r.slot, 1)
	n := newLeadRec(l, r.slot, r.contacts)
	s.leads[r.slot] = n
	s.changed()
	return n
}

// touchLead marks a lead updated because one of its contacts changed, and
// gives it contacts; the doc is silent, the sandbox does so that "updated >"
// searches see it.
func (s *store) touchLead(at slot, contacts []slot, now time.Time) {
	r := s.leads[at]
	if r == nil {
		return
	}
	n := *r
	n.contacts, n.updated = contacts, micros(Time{now})
	s.leads[at] = &n
}

// removeLead deletes a lead and its contacts.
func (s *store) removeLead(r *leadRec) {
	for _, c := range r.contacts {
		if cr := s.contacts[c]; cr != nil {
			s.indexContact(cr, -1)
			delete(s.contByID, cr.id)
			s.contacts[c] = nil
			s.contGone++
		}
	}
	s.byName.add(strings.ToLower(r.name), r.slot, -1)
	delete(s.leadByID, r.id)
	s.leads[r.slot] = nil
	s.leadGone++
	s.changed()
}

// insertContact adds a contact to an existing lead.
func (s *store) insertContact(c Contact, now time.Time) *contactRec {
	r := s.addContact(s.lead(c.LeadID), c, now)
	s.touchLead(r.slot, r.contacts, now)
	s.changed()
	return s.contacts[r.contacts[len(r.contacts)-1]]
}

// replaceContact stores c as the new version of cr's contact, moving it
// when its lead_id changed.
func (s *store) replaceContact(cr *contactRec, c Contact, now time.Time) *contactRec {
	c.DateUpdated = Time{now}
	to := s.leadByID[c.LeadID]
	s.indexContact(cr, -1)
	n := newContactRec(c, cr.slot, to)
	s.contacts[cr.slot] = n
	s.indexContact(n, 1)
	if from := cr.lead; from != to {
		if r := s.leads[from]; r != nil {
			s.touchLead(from, without(r.contacts, cr.slot), now)
		}
		s.touchLead(to, append(slices.Clip(s.leads[to].contacts), cr.slot), now)
	} else {
		s.touchLead(to, s.leads[to].contacts, now)
	}
	s.changed()
	return n
}

// removeContact deletes a contact.
func (s *store) removeContact(cr *contactRec, now time.Time) {
	s.indexContact(cr, -1)
	delete(s.contByID, cr.id)
	s.contacts[cr.slot] = nil
	s.contGone++
	if r := s.leads[cr.lead]; r != nil {
		s.touchLead(r.slot, without(r.contacts, cr.slot), now)
	}
	s.changed()
}

// without returns a copy of list without x.
func without(list []slot, x slot) []slot {
	return slices.DeleteFunc(slices.Clone(list), func(y slot) bool { return y == x })
}
