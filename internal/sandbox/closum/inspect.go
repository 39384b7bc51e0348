package closum

import (
	"time"
)

// Lead is a stored lead joined with its contact, for tests to inspect.
type Lead struct {
	ID              int
	ContactID       string
	Name            string
	Email           string
	Mobile          string
	BirthDate       string // Y-m-d, or ""
	ConsentEmail    bool
	ConsentSMS      bool
	Stage           int // contact_lifecycle_stage_id
	UserID          int
	SalesSequenceID int
	CustomData      string            // JSON text
	Tags            []string          // names, in the order they were added
	CustomFields    map[string]string // field var → value
	Created         time.Time
}

// Contact is a stored contact, for tests to inspect.
type Contact struct {
	ID           string
	Name         string
	Email        string
	Mobile       string
	BirthDate    string
	ConsentEmail bool
	ConsentSMS   bool
	Tags         []string
	CustomFields map[string]string // field var → value
	Created      time.Time
}

// Field is a custom field as field/ lists it.
type Field struct {
	ID    string
	Label string
	Var   string
}

func (d *data) lead(l *leadRec) Lead {
	c := d.contacts[l.ContactID]
	return Lead{
		ID: l.ID, ContactID: c.ID, Name: c.Name, Email: c.Email, Mobile: c.Mobile, BirthDate: c.BirthDate,
		ConsentEmail: c.ConsentEmail, ConsentSMS: c.ConsentSMS, Stage: l.Stage, UserID: l.UserID,
		SalesSequenceID: l.SalesSequenceID, CustomData: l.CustomData, Tags: d.tagNames(c),
		CustomFields: d.customByVar(c), Created: l.Created,
	}
}

// Leads returns every lead, oldest first.
func (f *Fake) Leads() []Lead {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Lead, 0, len(f.d.leadOrder))
	for _, id := range f.d.leadOrder {
		out = append(out, f.d.lead(f.d.leads[id]))
	}
	return out
}

// Lead returns the lead with id, if there is one.
func (f *Fake) Lead(id int) (Lead, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l, ok := f.d.leads[id]
	if !ok {
		return Lead{}, false
	}
	return f.d.lead(l), true
}

// LeadByEmail returns the lead whose contact has email (any case), if any.
func (f *Fake) LeadByEmail(email string) (Lead, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l := f.d.leadOfContact(f.d.contactByEmail(email))
	if l == nil {
		return Lead{}, false
	}
	return f.d.lead(l), true
}

// Contacts returns every contact, oldest first, leads' contacts included.
func (f *Fake) Contacts() []Contact {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Contact, 0, len(f.d.contactOrder))
	for _, id := range f.d.contactOrder {
		c := f.d.contacts[id]
		out = append(out, Contact{
			ID: c.ID, Name: c.Name, Email: c.Email, Mobile: c.Mobile, BirthDate: c.BirthDate,
			ConsentEmail: c.ConsentEmail, ConsentSMS: c.ConsentSMS, Tags: f.d.tagNames(c),
			CustomFields: f.d.customByVar(c), Created: c.Created,
		})
	}
	return out
}

// Fields returns the custom fields in creation order.
func (f *Fake) Fields() []Field {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Field, 0, len(f.d.fields))
	for _, fr := range f.d.fields {
		out = append(out, Field{ID: fr.ID, Label: fr.Label, Var: fr.Var})
	}
	return out
}

// AddField creates the custom field label with the given var (the key
// requests use in custom_fields) and returns its id. An existing var keeps
// its id and takes the new label.
func (f *Fake) AddField(label, varName string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.d.addField(fieldRec{ID: newUUID(), Label: label, Var: varName, Created: f.now()})
	f.saver.Changed()
	return f.d.fieldByVar[varName].ID
}

// Reset forgets every lead, contact and tag and restores the seeded custom
// fields. It also lets Save overwrite a state file that failed to load.
func (f *Fake) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.d = newData(state{Fields: seedFields(f.now())})
	f.saver.Reset()
}
