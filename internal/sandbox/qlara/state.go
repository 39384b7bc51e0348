package qlara

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"

	"github.com/crmload/crmload/internal/sandbox"
)

// stateVersion is the format of the state file.
const stateVersion = 1

// stateFile is what Save writes: the records, not the indexes.
type stateFile struct {
	Version       int            `json:"version"`
	NextContactID int64          `json:"nextContactId"`
	NextListID    int64          `json:"nextListId"`
	NextAssocID   int64          `json:"nextAssociationId"`
	NextExportID  int64          `json:"nextExportId"`
	Contacts      []*Contact     `json:"contacts"`
	Lists         []*ContactList `json:"lists"`
	Associations  []Association  `json:"associations"`
	Exports       []*exportJob   `json:"exports"`
}

// savedState is the stateFile Save writes: the same JSON, but the
// contacts are the stored records, each expanded only as it is written.
type savedState struct {
	Version       int            `json:"version"`
	NextContactID int64          `json:"nextContactId"`
	NextListID    int64          `json:"nextListId"`
	NextAssocID   int64          `json:"nextAssociationId"`
	NextExportID  int64          `json:"nextExportId"`
	Contacts      []savedContact `json:"contacts"`
	Lists         []*ContactList `json:"lists"`
	Associations  []Association  `json:"associations"`
	Exports       []*exportJob   `json:"exports"`
}

// savedContact writes a record as the Contact it stands for.
type savedContact struct{ r *contactRec }

func (c savedContact) MarshalJSON() ([]byte, error) { return json.Marshal(c.r.contact()) }

// load reads the state file into a fresh store, a contact at a time. A
// file that cannot be read is renamed aside so the next Save does not
// destroy it.
func (f *Fake) load() error {
	var sf stateFile
	s := newStore(nil) // loading is not a change to save
	err := sandbox.LoadStream(f.path, func(r io.Reader) error {
		return sandbox.ReadObject(r, func(name string, dec *json.Decoder) error {
			if name != "contacts" {
				return sandbox.DecodeField(dec, &sf, name)
			}
			return sandbox.ReadArray(dec, func(dec *json.Decoder) error {
				var c *Contact
				if err := dec.Decode(&c); err != nil || c == nil {
					return err
				}
				c.ListIDs = nil
				s.index(c)
				s.nextContact = max(s.nextContact, c.ID+1)
				return nil
			})
		})
	})
	if err == nil && sf.Version != 0 && sf.Version != stateVersion {
		err = fmt.Errorf("unknown state version %d", sf.Version)
	}
	if err != nil {
		if rerr := os.Rename(f.path, f.path+".corrupt"); rerr != nil {
			return fmt.Errorf("load qlara sandbox %s: %w (and moving it aside: %v)", f.path, err, rerr)
		}
		return fmt.Errorf("load qlara sandbox (moved to %s.corrupt): %w", f.path, err)
	}
	s.nextContact = max(s.nextContact, sf.NextContactID)
	s.nextList = max(s.nextList, sf.NextListID)
	s.nextAssoc = max(s.nextAssoc, sf.NextAssocID)
	s.nextExport = max(s.nextExport, sf.NextExportID)
	for _, l := range sf.Lists {
		s.lists[l.ID] = l
		s.nextList = max(s.nextList, l.ID+1)
	}
	for _, a := range sf.Associations {
		if s.contacts[a.ContactID] != nil && s.lists[a.ListID] != nil {
			s.link(a)
		}
		s.nextAssoc = max(s.nextAssoc, a.ID+1)
	}
	for _, e := range sf.Exports {
		s.exports[e.ID] = e
		s.nextExport = max(s.nextExport, e.ID+1)
	}
	s.saver = f.saver
	f.mu.Lock()
	f.st = s
	f.mu.Unlock()
	return nil
}

// snapshot is what the saver writes: the records, gathered under the lock
// and written outside it (see records).
func (f *Fake) snapshot() any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.records()
}

// records is the state to save; the caller holds f.mu. Contacts and lists
// are never changed in place, so pointers to them are enough; export jobs
// change as they are polled, so they are copied.
func (f *Fake) records() savedState {
	s := f.st
	sf := savedState{Version: stateVersion, NextContactID: s.nextContact, NextListID: s.nextList,
		NextAssocID: s.nextAssoc, NextExportID: s.nextExport,
		Contacts: make([]savedContact, 0, len(s.contacts)), Lists: make([]*ContactList, 0, len(s.lists)),
		Associations: make([]Association, 0, len(s.assocs)), Exports: make([]*exportJob, 0, len(s.exports))}
	for _, id := range slices.Sorted(maps.Keys(s.contacts)) {
		sf.Contacts = append(sf.Contacts, savedContact{s.contacts[id]})
	}
	for _, id := range slices.Sorted(maps.Keys(s.lists)) {
		sf.Lists = append(sf.Lists, s.lists[id])
	}
	for _, id := range slices.Sorted(maps.Keys(s.assocs)) {
		sf.Associations = append(sf.Associations, s.assocs[id])
	}
	for _, id := range slices.Sorted(maps.Keys(s.exports)) {
		j := *s.exports[id]
		sf.Exports = append(sf.Exports, &j)
	}
	return sf
}

// Save writes the records to the state file now (no-op without one).
func (f *Fake) Save() error { return f.saver.Save() }

// Close stops the background save and saves the records.
func (f *Fake) Close() error {
	var err error
	f.closeOnce.Do(func() { err = f.saver.Close() })
	return err
}

// Contacts returns every contact, by ID, as GET /contacts/{id} would show it.
func (f *Fake) Contacts() []Contact {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Contact, 0, len(f.st.contacts))
	for _, id := range slices.Sorted(maps.Keys(f.st.contacts)) {
		out = append(out, cloneContact(f.st.view(f.st.contacts[id])))
	}
	return out
}

// Contact returns one contact, or false when there is none with that ID.
func (f *Fake) Contact(id int64) (Contact, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.st.contacts[id]
	if !ok {
		return Contact{}, false
	}
	return cloneContact(f.st.view(c)), true
}

// SeedContact stores a contact as POST /contacts would (same validation and
// uniqueness rules), without an HTTP call and without counting toward any
// rate limit.
func (f *Fake) SeedContact(in ContactFields) (Contact, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, err := f.st.createContact(cloneFields(in), f.now())
	if err != nil {
		return Contact{}, fmt.Errorf("seed qlara contact: %w", err)
	}
	return cloneContact(f.st.view(r)), nil
}

// Lists returns every contact list (deleted ones included), by ID.
func (f *Fake) Lists() []ContactList {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]ContactList, 0, len(f.st.lists))
	for _, id := range slices.Sorted(maps.Keys(f.st.lists)) {
		l := f.st.listView(f.st.lists[id])
		l.Filters = slices.Clone(l.Filters)
		out = append(out, l)
	}
	return out
}

// ListMembers returns the IDs of the contacts in a list, in ascending order.
func (f *Fake) ListMembers(listID int64) []int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Sorted(maps.Keys(f.st.members[listID]))
}

// ListAddCalls counts the calls to POST /contacts/list/contacts that passed
// authentication, whatever their outcome.
func (f *Fake) ListAddCalls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.listAddCalls
}

// UploadCalls counts the calls to POST /contacts/upload that passed
// authentication, whatever their outcome.
func (f *Fake) UploadCalls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.uploadCalls
}

// Reset forgets every record and counter; IDs start again from the beginning.
func (f *Fake) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.st = newStore(f.saver)
	f.saver.Changed()
	f.listAddCalls, f.uploadCalls = 0, 0
}

func cloneContact(c Contact) Contact {
	c.ContactFields = cloneFields(c.ContactFields)
	c.CommunicationSupported = slices.Clone(c.CommunicationSupported)
	c.ListIDs = slices.Clone(c.ListIDs)
	if c.MobilePhoneNumber != nil {
		m := *c.MobilePhoneNumber
		c.MobilePhoneNumber = &m
	}
	return c
}
