package closecrm

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/crmload/crmload/internal/sandbox"
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

// saveLead is r as the state file holds it, contacts (taken from the
// contacts table by slot) nested.
func saveLead(r *leadRec, contacts []*contactRec) savedLead {
	l := r.toLead()
	out := savedLead{
		ID: l.ID, Name: l.Name, Description: l.Description, URL: l.URL, StatusID: l.StatusID,
		Addresses: l.Addresses, Custom: l.Custom, DateCreated: l.DateCreated.Time, DateUpdated: l.DateUpdated.Time,
	}
	for _, at := range r.contacts {
		if cr := contacts[at]; cr != nil {
			c := cr.toContact(l.ID)
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
		ID: sl.ID, Name: sl.Name, Description: sl.Description, URL: sl.URL,
		StatusID: sl.StatusID, Addresses: sl.Addresses, Custom: sl.Custom,
		DateCreated: Time{sl.DateCreated}, DateUpdated: Time{sl.DateUpdated},
	}
}

func (sc savedContact) contact() Contact {
	return Contact{
		ID: sc.ID, Name: sc.Name, Title: sc.Title,
		Emails: sc.Emails, Phones: sc.Phones, URLs: sc.URLs, Custom: sc.Custom,
		DateCreated: Time{sc.DateCreated}, DateUpdated: Time{sc.DateUpdated},
	}
}

// load reads the state file into the empty store, a lead at a time. A file
// that will not load leaves the store empty; the saver then never
// overwrites it.
func (f *Fake) load() {
	s := newStore(f.clock())
	var order []string
	var fieldsGiven bool
	var leadFields, contactFields []CustomField
	err := f.saver.LoadStream(func(r io.Reader) error {
		return sandbox.ReadObject(r, func(name string, dec *json.Decoder) error {
			switch name {
			case "leads":
				return sandbox.ReadArray(dec, func(dec *json.Decoder) error {
					var sl savedLead
					if err := dec.Decode(&sl); err != nil {
						return err
					}
					s.loadLead(sl)
					return nil
				})
			case "contact_order":
				return sandbox.ReadArray(dec, func(dec *json.Decoder) error {
					var id string
					err := dec.Decode(&id)
					order = append(order, id)
					return err
				})
			case "lead_custom_fields", "contact_custom_fields":
				dst := &leadFields
				if name == "contact_custom_fields" {
					dst = &contactFields
				}
				if err := dec.Decode(dst); err != nil {
					return err
				}
				fieldsGiven = fieldsGiven || *dst != nil
				return nil
			}
			var skip json.RawMessage
			return dec.Decode(&skip)
		})
	})
	if err != nil || len(s.leads) == 0 && !fieldsGiven {
		return
	}
	if fieldsGiven {
		s.fields = map[string][]*CustomField{}
		for _, cf := range leadFields {
			s.fields[objLead] = append(s.fields[objLead], &cf)
		}
		for _, cf := range contactFields {
			s.fields[objContact] = append(s.fields[objContact], &cf)
		}
	}
	// Contacts keep their saved global order; any the order misses go
	// last, in the order they were read.
	placed := make([]bool, len(s.contacts))
	for _, id := range order {
		if i, ok := s.contByID[id]; ok && !placed[i] {
			placed[i] = true
			s.contOrder = append(s.contOrder, i)
		}
	}
	for i := range s.contacts {
		if !placed[i] {
			s.contOrder = append(s.contOrder, slot(i))
		}
	}
	s.version++
	f.mu.Lock()
	defer f.mu.Unlock()
	s.saver = f.saver
	f.data = s
}

// loadLead stores a lead read from the state file with its contacts.
func (s *store) loadLead(sl savedLead) {
	r := s.putLead(sl.lead(), nil)
	for _, sc := range sl.Contacts {
		r.contacts = append(r.contacts, s.putContact(sc.contact(), r.slot).slot)
	}
}

// Save writes the records to Options.StatePath now (no-op without one).
func (f *Fake) Save() error { return f.saver.Save() }

// snapshot is what the saver writes. Records are immutable once stored, so
// pointers to them are gathered under the lock, and written outside it a
// lead at a time.
func (f *Fake) snapshot() any {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := &f.data
	live := s.liveLeads()
	sn := stateSnapshot{leads: make([]*leadRec, len(live)), contacts: slices.Clone(s.contacts)}
	for i, at := range live {
		sn.leads[i] = s.leads[at]
	}
	for _, at := range s.liveContacts() {
		sn.order = append(sn.order, s.contacts[at].id)
	}
	for _, cf := range s.fields[objLead] {
		sn.leadFields = append(sn.leadFields, *cf)
	}
	for _, cf := range s.fields[objContact] {
		sn.contactFields = append(sn.contactFields, *cf)
	}
	return sn
}

// stateSnapshot writes a stateFile, a lead at a time, so that a large state
// never sits in memory whole.
type stateSnapshot struct {
	leads                     []*leadRec
	contacts                  []*contactRec // by slot
	order                     []string
	leadFields, contactFields []CustomField
}

func (sn stateSnapshot) WriteJSON(w io.Writer) error {
	parts := []struct {
		name  string
		write func() error
	}{
		{"leads", func() error {
			return sandbox.WriteArray(w, len(sn.leads), func(i int) any { return saveLead(sn.leads[i], sn.contacts) })
		}},
		{"contact_order", func() error {
			return sandbox.WriteArray(w, len(sn.order), func(i int) any { return sn.order[i] })
		}},
		{"lead_custom_fields", func() error { return json.NewEncoder(w).Encode(sn.leadFields) }},
		{"contact_custom_fields", func() error { return json.NewEncoder(w).Encode(sn.contactFields) }},
	}
	for i, p := range parts {
		sep := ","
		if i == 0 {
			sep = "{"
		}
		if _, err := fmt.Fprintf(w, "%s%q:", sep, p.name); err != nil {
			return err
		}
		if err := p.write(); err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
	}
	_, err := io.WriteString(w, "}")
	return err
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
	live := f.data.liveLeads()
	out := make([]Lead, len(live))
	for i, at := range live {
		out[i] = f.data.render(f.data.leads[at])
	}
	return out
}

// Lead returns one lead as served.
func (f *Fake) Lead(id string) (Lead, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.data.lead(id)
	if r == nil {
		return Lead{}, false
	}
	return f.data.render(r), true
}

// Contacts returns every contact in creation order.
func (f *Fake) Contacts() []Contact {
	f.mu.Lock()
	defer f.mu.Unlock()
	live := f.data.liveContacts()
	out := make([]Contact, len(live))
	for i, at := range live {
		out[i] = f.data.renderContact(f.data.contacts[at])
	}
	return out
}

// Contact returns one contact.
func (f *Fake) Contact(id string) (Contact, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.data.contact(id)
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
