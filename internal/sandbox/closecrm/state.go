package closecrm

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// stateFile is what Save writes: leads with their contacts nested, the
// global order of contacts, and the custom field definitions. It uses plain
// structs (not the wire form) because encoding 100k leads through maps is
// several times slower.
type stateFile struct {
	Leads         []savedLead   `json:"leads"`
	ContactOrder  []string      `json:"contact_order"`
	LeadFields    []CustomField `json:"lead_custom_fields"`
	ContactFields []CustomField `json:"contact_custom_fields"`
}

type savedLead struct {
	ID          string         `json:"id"`
	Name        string         `json:"name,omitempty"`
	Description string         `json:"description,omitempty"`
	URL         string         `json:"url,omitempty"`
	StatusID    string         `json:"status_id"`
	Addresses   []Address      `json:"addresses,omitempty"`
	Custom      map[string]any `json:"custom,omitempty"`
	Contacts    []savedContact `json:"contacts,omitempty"`
	DateCreated time.Time      `json:"date_created"`
	DateUpdated time.Time      `json:"date_updated"`
}

type savedContact struct {
	ID          string         `json:"id"`
	Name        string         `json:"name,omitempty"`
	Title       string         `json:"title,omitempty"`
	Emails      []Email        `json:"emails,omitempty"`
	Phones      []Phone        `json:"phones,omitempty"`
	URLs        []URL          `json:"urls,omitempty"`
	Custom      map[string]any `json:"custom,omitempty"`
	DateCreated time.Time      `json:"date_created"`
	DateUpdated time.Time      `json:"date_updated"`
}

func saveLead(r *leadRec, contacts map[string]*contactRec) savedLead {
	l := r.lead
	out := savedLead{
		ID: l.ID, Name: l.Name, Description: l.Description, URL: l.URL, StatusID: l.StatusID,
		Addresses: l.Addresses, Custom: l.Custom, DateCreated: l.DateCreated.Time, DateUpdated: l.DateUpdated.Time,
	}
	for _, cid := range r.contacts {
		if cr := contacts[cid]; cr != nil {
			c := cr.c
			out.Contacts = append(out.Contacts, savedContact{
				ID: c.ID, Name: c.Name, Title: c.Title, Emails: c.Emails, Phones: c.Phones, URLs: c.URLs,
				Custom: c.Custom, DateCreated: c.DateCreated.Time, DateUpdated: c.DateUpdated.Time,
			})
		}
	}
	return out
}

func (sl savedLead) lead() Lead {
	return Lead{
		ID: sl.ID, OrganizationID: orgID, Name: sl.Name, Description: sl.Description, URL: sl.URL,
		StatusID: sl.StatusID, Addresses: sl.Addresses, Custom: sl.Custom,
		CreatedBy: userID, UpdatedBy: userID, DateCreated: Time{sl.DateCreated}, DateUpdated: Time{sl.DateUpdated},
	}
}

func (sc savedContact) contact(leadID string) Contact {
	return Contact{
		ID: sc.ID, LeadID: leadID, OrganizationID: orgID, Name: sc.Name, Title: sc.Title,
		Emails: sc.Emails, Phones: sc.Phones, URLs: sc.URLs, Custom: sc.Custom,
		CreatedBy: userID, UpdatedBy: userID, DateCreated: Time{sc.DateCreated}, DateUpdated: Time{sc.DateUpdated},
	}
}

// load reads the state file into an empty store. A file that will not load
// leaves the store empty; the saver then never overwrites it.
func (f *Fake) load() {
	var st *stateFile
	if f.saver.Load(&st) != nil || st == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	s := &f.data
	if st.LeadFields != nil || st.ContactFields != nil {
		s.fields = map[string][]*CustomField{}
		for _, cf := range st.LeadFields {
			s.fields[objLead] = append(s.fields[objLead], &cf)
		}
		for _, cf := range st.ContactFields {
			s.fields[objContact] = append(s.fields[objContact], &cf)
		}
	}
	contactSeq := map[string]int{}
	for i, id := range st.ContactOrder {
		contactSeq[id] = i
	}
	var loaded []*contactRec
	for _, sl := range st.Leads {
		l := sl.lead()
		s.seq++
		r := &leadRec{lead: l, seq: s.seq}
		for _, sc := range sl.Contacts {
			s.seq++
			cr := &contactRec{c: sc.contact(l.ID), seq: s.seq}
			s.contacts[sc.ID] = cr
			s.indexContact(&cr.c, 1)
			r.contacts = append(r.contacts, sc.ID)
			loaded = append(loaded, cr)
		}
		s.leads[l.ID] = r
		s.leadOrder = append(s.leadOrder, l.ID)
		bump(s.byName, strings.ToLower(l.Name), l.ID, 1)
	}
	// Contacts keep their saved global order; any the order misses go last.
	slices.SortStableFunc(loaded, func(a, b *contactRec) int {
		ia, oka := contactSeq[a.c.ID]
		ib, okb := contactSeq[b.c.ID]
		switch {
		case oka && okb:
			return ia - ib
		case oka:
			return -1
		case okb:
			return 1
		}
		return 0
	})
	for _, cr := range loaded {
		s.contOrder = append(s.contOrder, cr.c.ID)
	}
	s.version++
}

// Save writes the records to Options.StatePath now (no-op without one).
func (f *Fake) Save() error { return f.saver.Save() }

// snapshot is what the saver writes. Records are immutable once stored, so
// they are gathered under the lock and converted outside it.
func (f *Fake) snapshot() any {
	f.mu.Lock()
	s := &f.data
	leads := make([]*leadRec, 0, len(s.leads))
	for _, id := range s.liveLeads() {
		leads = append(leads, s.leads[id])
	}
	contacts := make(map[string]*contactRec, len(s.contacts))
	for id, c := range s.contacts {
		contacts[id] = c
	}
	order := slices.Clone(s.liveContacts())
	st := stateFile{ContactOrder: order}
	for _, cf := range s.fields[objLead] {
		st.LeadFields = append(st.LeadFields, *cf)
	}
	for _, cf := range s.fields[objContact] {
		st.ContactFields = append(st.ContactFields, *cf)
	}
	f.mu.Unlock()

	st.Leads = make([]savedLead, len(leads))
	for i, r := range leads {
		st.Leads[i] = saveLead(r, contacts)
	}
	return st
}

// Close stops the background saver and saves. Unlike the other fakes, every
// call saves: a Close after Reset writes the file the first one refused to.
func (f *Fake) Close() error {
	if f.closed.Swap(true) {
		return f.Save()
	}
	return f.saver.Close()
}

// Reset forgets every lead, contact and export and restores the default
// custom fields; it also clears a failed load, so the next Save overwrites the file.
func (f *Fake) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.data = newStore(f.clock())
	f.data.saver = f.saver
	f.data.changed()
	f.queryHit = queryCache{}
	f.exports = map[string]*exportJob{}
	f.saver.Reset()
}

// Leads returns every lead, as served (contacts nested), in creation order.
func (f *Fake) Leads() []Lead {
	f.mu.Lock()
	defer f.mu.Unlock()
	ids := f.data.liveLeads()
	out := make([]Lead, len(ids))
	for i, id := range ids {
		out[i] = f.data.render(f.data.leads[id])
	}
	return out
}

// Lead returns one lead as served.
func (f *Fake) Lead(id string) (Lead, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.data.leads[id]
	if r == nil {
		return Lead{}, false
	}
	return f.data.render(r), true
}

// Contacts returns every contact in creation order.
func (f *Fake) Contacts() []Contact {
	f.mu.Lock()
	defer f.mu.Unlock()
	ids := f.data.liveContacts()
	out := make([]Contact, len(ids))
	for i, id := range ids {
		out[i] = f.data.renderContact(f.data.contacts[id])
	}
	return out
}

// Contact returns one contact.
func (f *Fake) Contact(id string) (Contact, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.data.contacts[id]
	if r == nil {
		return Contact{}, false
	}
	return f.data.renderContact(r), true
}

// CustomFields returns the custom fields of object ("lead" or "contact").
func (f *Fake) CustomFields(object string) []CustomField {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []CustomField
	for _, cf := range f.data.fields[object] {
		out = append(out, *cf)
	}
	return out
}

// CustomFieldID returns the id of object's custom field called name.
func (f *Fake) CustomFieldID(object, name string) (string, bool) {
	for _, cf := range f.CustomFields(object) {
		if cf.Name == name {
			return cf.ID, true
		}
	}
	return "", false
}

// AddCustomField creates a custom field on object ("lead" or "contact") of
// type typ (text, number, date, datetime, choices, user, hidden) and returns
// its id; choices are required for a choices field. It is a seeding helper
// for tests and panics on a definition the API would refuse.
func (f *Fake) AddCustomField(object, name, typ string, choices ...string) string {
	if object != objLead && object != objContact {
		panic(fmt.Sprintf("closecrm: AddCustomField: unknown object %q", object))
	}
	body := map[string]json.RawMessage{"name": mustJSON(name), "type": mustJSON(typ)}
	if len(choices) > 0 {
		body["choices"] = mustJSON(choices)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	cf := newField(object, "", "", f.clock())
	if err := f.data.fieldInput(object, cf, body, false); err != nil {
		panic(fmt.Sprintf("closecrm: AddCustomField %q: %v", name, err))
	}
	f.data.fields[object] = append(slices.Clone(f.data.fields[object]), cf)
	f.data.changed()
	return cf.ID
}

// AddLead stores a lead given as the JSON body of POST /lead/ would give it,
// with the same validation, and returns it as served. It seeds data without
// going through HTTP.
func (f *Fake) AddLead(body map[string]any) (Lead, error) {
	in := make(map[string]json.RawMessage, len(body))
	for k, v := range body {
		b, err := json.Marshal(v)
		if err != nil {
			return Lead{}, fmt.Errorf("add lead: %w", err)
		}
		in[k] = b
	}
	l, err := f.addLead(in)
	if err != nil {
		return Lead{}, fmt.Errorf("add lead: %w", err)
	}
	return l, nil
}

func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}
