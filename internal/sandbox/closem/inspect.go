package closem

import (
	"strconv"
	"time"
)

// Contact is a stored contact ("Users" on the help page), for tests to
// inspect.
type Contact struct {
	ID           string
	FirstName    string
	LastName     string
	Email        string
	Phone        string // as sent
	Notes        string
	Address      string
	City         string
	State        string
	Zip          string
	Tags         []string // tag ids, in the order they were added
	ContactLists []string // contact list ids, idem
	Created      time.Time
	Updated      time.Time
}

// FullName is the first and last name joined by a space.
func (c Contact) FullName() string {
	switch {
	case c.LastName == "":
		return c.FirstName
	case c.FirstName == "":
		return c.LastName
	}
	return c.FirstName + " " + c.LastName
}

// SequenceRun is a sequence started on contacts, by runsequence or by
// addcontact's sequence_id.
type SequenceRun struct {
	ID         string
	SequenceID string
	Via        string   // "runsequence" or "addcontact"
	ContactIDs []string // oldest first
	Created    time.Time
}

// Appointment is one scheduleappointment call's appointment.
type Appointment struct {
	ID         string
	Note       string
	At         time.Time // when it is scheduled, UTC
	Given      string    // appointment_timestamp as sent
	ContactIDs []string
	Created    time.Time
}

// Contacts returns every contact, oldest first.
func (f *Fake) Contacts() []Contact {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Contact, 0, len(f.d.order))
	for _, id := range f.d.order {
		c := f.d.contacts[id]
		out = append(out, Contact{
			ID: strconv.Itoa(c.ID), FirstName: c.FirstName, LastName: c.LastName, Email: c.Email, Phone: c.Phone,
			Notes: c.Notes, Address: c.Address, City: c.City, State: c.State, Zip: c.Zip,
			Tags: idStrings(c.Tags), ContactLists: idStrings(c.Lists), Created: c.Created, Updated: c.Updated,
		})
	}
	return out
}

// Sequences returns every sequence started, oldest first.
func (f *Fake) Sequences() []SequenceRun {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]SequenceRun, 0, len(f.d.runs))
	for _, r := range f.d.runs {
		out = append(out, SequenceRun{ID: strconv.Itoa(r.ID), SequenceID: strconv.Itoa(r.SequenceID), Via: r.Via,
			ContactIDs: idStrings(r.ContactIDs), Created: r.Created})
	}
	return out
}

// Appointments returns every appointment scheduled, oldest first.
func (f *Fake) Appointments() []Appointment {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Appointment, 0, len(f.d.appointments))
	for _, a := range f.d.appointments {
		out = append(out, Appointment{ID: strconv.Itoa(a.ID), Note: a.Note, At: a.At, Given: a.Given,
			ContactIDs: idStrings(a.ContactIDs), Created: a.Created})
	}
	return out
}

// Reset forgets every contact, sequence run and appointment. It also lets
// Save overwrite a state file that failed to load.
func (f *Fake) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.d = newData(state{})
	f.saver.Reset()
}
