package closumv1

import (
	"maps"
	"time"
)

// Lead is a stored lead joined with its email, phone and opt-in, for tests
// to inspect. Empty strings and zero ids stand for null.
type Lead struct {
	ID             int
	Name           string
	CityID         int
	CustomData     string // JSON text
	EmailID        int
	Email          string
	PhoneID        int
	PhoneExtension string
	PhoneNumber    string
	OptIn          *OptIn
	Created        time.Time
}

// UnqualifiedLead is a stored unqualified lead (a contact), for tests.
type UnqualifiedLead struct {
	ID             int
	Name           string
	ContactTypeID  int
	CityID         int
	EmailID        int
	Email          string
	PhoneID        int
	PhoneExtension string
	PhoneNumber    string
	OptIn          *OptIn
	Created        time.Time
}

// OptIn is a lead's or unqualified lead's consent record.
type OptIn struct {
	ID          int
	SMS         bool
	Email       bool
	Environment map[string]string // the enviroment object, nil when not sent
}

// Email is an email record (GET /api/email).
type Email struct {
	ID         int
	Email      string
	Status     int
	Registered time.Time
}

// Phone is a phone record (GET /api/phone).
type Phone struct {
	ID        int
	Extension string
	Number    string
	Added     time.Time
}

// ContactType is a contact type record (GET /api/contact-type).
type ContactType struct {
	ID      int
	Label   string
	Created time.Time
}

// City is one of the read-only cities (GET /api/city).
type City struct {
	ID   int
	Name string
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// person gathers what lead and unqualified lead share; callers hold f.mu.
func (d *data) person(l *leadRec) (email Email, phone Phone, opt *OptIn) {
	if e := d.emailOf(l); e != nil {
		email = Email{ID: e.ID, Email: e.Email, Status: e.Status, Registered: e.Registered}
	}
	if p := d.phoneOf(l); p != nil {
		phone = Phone{ID: p.ID, Extension: deref(p.Extension), Number: p.Number, Added: p.Added}
	}
	if o := l.OptIn; o != nil {
		opt = &OptIn{ID: o.ID, SMS: o.SMS, Email: o.Email, Environment: maps.Clone(o.Environment)}
	}
	return email, phone, opt
}

func (d *data) lead(l *leadRec) Lead {
	e, p, o := d.person(l)
	return Lead{ID: l.ID, Name: deref(l.Name), CityID: deref(l.CityID), CustomData: deref(l.CustomData),
		EmailID: e.ID, Email: e.Email, PhoneID: p.ID, PhoneExtension: p.Extension, PhoneNumber: p.Number,
		OptIn: o, Created: l.Created}
}

func (d *data) unqualifiedLead(l *leadRec) UnqualifiedLead {
	e, p, o := d.person(l)
	return UnqualifiedLead{ID: l.ID, Name: deref(l.Name), ContactTypeID: l.ContactTypeID, CityID: deref(l.CityID),
		EmailID: e.ID, Email: e.Email, PhoneID: p.ID, PhoneExtension: p.Extension, PhoneNumber: p.Number,
		OptIn: o, Created: l.Created}
}

// Leads returns every lead, by ascending id.
func (f *Fake) Leads() []Lead {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Lead, 0, len(f.d.leads.order))
	for _, l := range f.d.leads.list() {
		out = append(out, f.d.lead(l))
	}
	return out
}

// Lead returns the lead with id, if there is one.
func (f *Fake) Lead(id int) (Lead, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l, ok := f.d.leads.recs[id]
	if !ok {
		return Lead{}, false
	}
	return f.d.lead(l), true
}

// UnqualifiedLeads returns every unqualified lead, by ascending id.
func (f *Fake) UnqualifiedLeads() []UnqualifiedLead {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]UnqualifiedLead, 0, len(f.d.unqualified.order))
	for _, l := range f.d.unqualified.list() {
		out = append(out, f.d.unqualifiedLead(l))
	}
	return out
}

// UnqualifiedLead returns the unqualified lead with id, if there is one.
func (f *Fake) UnqualifiedLead(id int) (UnqualifiedLead, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l, ok := f.d.unqualified.recs[id]
	if !ok {
		return UnqualifiedLead{}, false
	}
	return f.d.unqualifiedLead(l), true
}

// Emails returns every email record (leads' included), by ascending id.
func (f *Fake) Emails() []Email {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Email, 0, len(f.d.emailOrder))
	for _, id := range f.d.emailOrder {
		e := f.d.emails[id]
		out = append(out, Email{ID: e.ID, Email: e.Email, Status: e.Status, Registered: e.Registered})
	}
	return out
}

// Phones returns every phone record (leads' included), by ascending id.
func (f *Fake) Phones() []Phone {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Phone, 0, len(f.d.phoneOrder))
	for _, id := range f.d.phoneOrder {
		p := f.d.phones[id]
		out = append(out, Phone{ID: p.ID, Extension: deref(p.Extension), Number: p.Number, Added: p.Added})
	}
	return out
}

// ContactTypes returns every contact type, by ascending id.
func (f *Fake) ContactTypes() []ContactType {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]ContactType, 0, len(f.d.typeOrder))
	for _, id := range f.d.typeOrder {
		t := f.d.contactTypes[id]
		out = append(out, ContactType{ID: t.ID, Label: t.Label, Created: t.Created})
	}
	return out
}

// AddContactType creates a contact type and returns its id.
func (f *Fake) AddContactType(label string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.d.newContactType(label, f.now())
	f.saver.Changed()
	return t.ID
}

// Cities returns the read-only city table.
func (f *Fake) Cities() []City {
	var out []City
	for _, c := range seedCities() {
		out = append(out, City{ID: c.ID, Name: c.CityName})
	}
	return out
}

// Reset forgets every record and restores the seeded contact type. It
// also lets Save overwrite a state file that failed to load. Tokens stay
// valid.
func (f *Fake) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.d = newData(state{ContactTypes: seedContactTypes(f.now())})
	f.saver.Reset()
}
