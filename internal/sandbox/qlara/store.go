package qlara

import (
	"fmt"
	"net/http"
	"net/mail"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"

	"github.com/crmload/crmload/internal/sandbox"
)

// companyID is the account every key of the fake belongs to (fkIdCompany).
const companyID = 1

// First IDs of each kind, far apart so a client that mixes up a contact ID
// and a list ID gets a 404/400 instead of touching the wrong record.
const (
	firstContactID = 100001
	firstListID    = 501
	firstAssocID   = 900001
	firstExportID  = 41
)

// apiError is an answer other than success, with its HTTP status.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func badRequest(format string, a ...any) error {
	return &apiError{http.StatusBadRequest, fmt.Sprintf(format, a...)}
}

func notFound(format string, a ...any) error {
	return &apiError{http.StatusNotFound, fmt.Sprintf(format, a...)}
}

// store holds the records and their indexes. Its methods assume the Fake's
// mutex is held. Stored *contactRec and *ContactList values are never
// modified in place (a write stores a new value), so a reader may encode a
// value it copied out under the lock after releasing it.
type store struct {
	nextContact, nextList, nextAssoc, nextExport int64

	contacts map[int64]*contactRec
	days     map[string]string // the dates records share (see newRec)
	lists    map[int64]*ContactList
	assocs   map[int64]Association
	members  map[int64]map[int64]int64 // list ID → contact ID → association ID
	memberOf map[int64]map[int64]int64 // contact ID → list ID → association ID
	byPhone  map[string]int64          // phone numbers are unique (409)
	byEmail  emailIndex
	exports  map[int64]*exportJob

	sortCache map[string][]int64 // contact IDs in a listing order; dropped on any change
	saver     *sandbox.Saver     // told of every change; nil while loading
}

func newStore(saver *sandbox.Saver) *store {
	return &store{saver: saver,
		nextContact: firstContactID, nextList: firstListID,
		nextAssoc: firstAssocID, nextExport: firstExportID,
		contacts: map[int64]*contactRec{}, days: map[string]string{}, lists: map[int64]*ContactList{},
		assocs: map[int64]Association{}, members: map[int64]map[int64]int64{},
		memberOf: map[int64]map[int64]int64{}, byPhone: map[string]int64{},
		byEmail: emailIndex{one: map[string]int64{}, many: map[string][]int64{}}, exports: map[int64]*exportJob{},
	}
}

// touch records a change to contacts or memberships, which may reorder listings.
func (s *store) touch() {
	s.changed()
	s.sortCache = nil
}

// changed records a change to save that leaves contact listings as they are.
func (s *store) changed() {
	if s.saver != nil {
		s.saver.Changed()
	}
}

func day(t time.Time) string { return t.UTC().Format(time.DateOnly) }

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// merge copies every given (non-nil) field of src into dst.
func (dst *ContactFields) merge(src ContactFields) {
	d, s := reflect.ValueOf(dst).Elem(), reflect.ValueOf(src)
	for i := range s.NumField() {
		if f := s.Field(i); !f.IsNil() {
			d.Field(i).Set(f)
		}
	}
}

// cloneFields copies every pointer and slice of f so the copy shares no
// memory with the store.
func cloneFields(f ContactFields) ContactFields {
	v := reflect.ValueOf(&f).Elem()
	for i := range v.NumField() {
		fv := v.Field(i)
		if fv.IsNil() {
			continue
		}
		switch fv.Kind() {
		case reflect.Pointer:
			p := reflect.New(fv.Type().Elem())
			p.Elem().Set(fv.Elem())
			fv.Set(p)
		case reflect.Slice:
			fv.Set(reflect.AppendSlice(reflect.MakeSlice(fv.Type(), 0, fv.Len()), fv))
		}
	}
	return f
}

// normalize validates f as a whole contact and returns it with duplicate
// phones and emails dropped and mainEmail listed among the email addresses.
func normalize(f ContactFields) (ContactFields, error) {
	var phones []string
	for i, p := range f.PhoneNumbers {
		if !validPhone(p) {
			return f, badRequest("phoneNumbers[%d]: %q is not a phone number in E.164 format (e.g. +393331234567)", i, p)
		}
		if !slices.Contains(phones, p) {
			phones = append(phones, p)
		}
	}
	if f.PhoneNumbers != nil {
		f.PhoneNumbers = append([]string{}, phones...)
	}
	var emails []string
	for i, e := range f.EmailAddresses {
		if !validEmail(e) {
			return f, badRequest("emailAddresses[%d]: %q is not a valid email address", i, e)
		}
		if !slices.Contains(emails, e) {
			emails = append(emails, e)
		}
	}
	if m := str(f.MainEmail); m != "" {
		if !validEmail(m) {
			return f, badRequest("mainEmail: %q is not a valid email address", m)
		}
		if !slices.Contains(emails, m) {
			emails = append(emails, m)
		}
	}
	if f.EmailAddresses != nil || len(emails) > 0 {
		f.EmailAddresses = append([]string{}, emails...)
	}
	if f.Birthday != nil {
		if _, err := time.Parse(time.DateOnly, *f.Birthday); err != nil {
			return f, badRequest("birthday: %q is not a date (yyyy-MM-dd)", *f.Birthday)
		}
	}
	if len(phones) == 0 && len(emails) == 0 {
		return f, badRequest("a contact needs at least a phone number or an email address")
	}
	return f, nil
}

// validPhone accepts the shape the collection asks for ("+393331234567"): a
// plus, a non-zero first digit, 7 to 15 digits in all, nothing else, with a
// country code libphonenumber knows.
func validPhone(p string) bool {
	digits, ok := strings.CutPrefix(p, "+")
	if !ok || len(digits) < 7 || len(digits) > 15 || digits[0] == '0' {
		return false
	}
	for _, r := range digits {
		if r < '0' || r > '9' {
			return false
		}
	}
	_, err := phonenumbers.Parse(p, "")
	return err == nil
}

func validEmail(e string) bool {
	a, err := mail.ParseAddress(e)
	return err == nil && a.Address == e
}

// derive sets the fields the server computes from the phone numbers.
func derive(c *Contact) {
	c.IsValid = false
	c.MobilePhoneNumber = nil
	c.CommunicationSupported = []string{}
	for i, p := range c.PhoneNumbers {
		n, err := phonenumbers.Parse(p, "")
		if err != nil {
			continue
		}
		if i == 0 {
			c.IsValid = phonenumbers.IsValidNumber(n)
		}
		if t := phonenumbers.GetNumberType(n); c.MobilePhoneNumber == nil && (t == phonenumbers.MOBILE || t == phonenumbers.FIXED_LINE_OR_MOBILE) {
			c.MobilePhoneNumber = &p
			c.CommunicationSupported = []string{"SMS"}
		}
	}
}

// phoneConflict reports a phone of phones that already belongs to a contact
// other than self.
func (s *store) phoneConflict(phones []string, self int64) error {
	for _, p := range phones {
		if owner, ok := s.byPhone[p]; ok && owner != self {
			return &apiError{http.StatusConflict, fmt.Sprintf("phone number %s already belongs to contact %d", p, owner)}
		}
	}
	return nil
}

// emailIndex maps an email address to the contacts holding it (addresses
// need not be unique). Almost every address belongs to one contact, which
// takes one map entry and no allocation of its own.
type emailIndex struct {
	one  map[string]int64
	many map[string][]int64
}

func (x emailIndex) add(email string, id int64) {
	if first, ok := x.one[email]; ok {
		if first != id {
			delete(x.one, email)
			x.many[email] = []int64{first, id}
		}
		return
	}
	if ids, ok := x.many[email]; ok {
		if !slices.Contains(ids, id) {
			x.many[email] = append(ids, id)
		}
		return
	}
	x.one[email] = id
}

func (x emailIndex) remove(email string, id int64) {
	if first, ok := x.one[email]; ok {
		if first == id {
			delete(x.one, email)
		}
		return
	}
	ids := slices.DeleteFunc(x.many[email], func(y int64) bool { return y == id })
	switch len(ids) {
	case 0:
		delete(x.many, email)
	case 1:
		delete(x.many, email)
		x.one[email] = ids[0]
	default:
		x.many[email] = ids
	}
}

// ids returns the contacts holding email, in no particular order.
func (x emailIndex) ids(email string) []int64 {
	if id, ok := x.one[email]; ok {
		return []int64{id}
	}
	return slices.Clone(x.many[email])
}

// index stores c and indexes it by the numbers and addresses its record
// holds, so the keys share the record's memory.
func (s *store) index(c *Contact) *contactRec {
	r := newRec(c, s.days)
	s.contacts[r.id] = r
	for _, p := range r.fields.list(fieldPhoneNumbers) {
		s.byPhone[p] = r.id
	}
	for _, e := range r.fields.list(fieldEmailAddresses) {
		s.byEmail.add(e, r.id)
	}
	s.touch()
	return r
}

func (s *store) unindex(r *contactRec) {
	delete(s.contacts, r.id)
	for _, p := range r.fields.list(fieldPhoneNumbers) {
		if s.byPhone[p] == r.id {
			delete(s.byPhone, p)
		}
	}
	for _, e := range r.fields.list(fieldEmailAddresses) {
		s.byEmail.remove(e, r.id)
	}
	s.touch()
}

// createContact validates in and stores it as a new contact.
func (s *store) createContact(in ContactFields, now time.Time) (*contactRec, error) {
	f, err := normalize(in)
	if err != nil {
		return nil, err
	}
	if f.FullName == nil {
		// The display name is derived when not given, as the UI and the
		// default sort (fullName) need one.
		if n := strings.TrimSpace(str(f.FirstName) + " " + str(f.LastName)); n != "" {
			f.FullName = &n
		}
	}
	if err := s.phoneConflict(f.PhoneNumbers, 0); err != nil {
		return nil, err
	}
	c := &Contact{ID: s.nextContact, ContactFields: f, FkIDCompany: companyID,
		CreatedAt: day(now), UpdatedAt: day(now)}
	s.nextContact++
	derive(c)
	return s.index(c), nil
}

// updateContact applies the given fields of in to contact id.
func (s *store) updateContact(id int64, in ContactFields, now time.Time) (*contactRec, error) {
	old, ok := s.contacts[id]
	if !ok {
		return nil, notFound("contact %d not found", id)
	}
	c := *old.contact()
	c.ContactFields.merge(in)
	f, err := normalize(c.ContactFields)
	if err != nil {
		return nil, err
	}
	if err := s.phoneConflict(f.PhoneNumbers, id); err != nil {
		return nil, err
	}
	c.ContactFields = f
	c.UpdatedAt = day(now)
	derive(&c)
	s.unindex(old)
	return s.index(&c), nil
}

func (s *store) deleteContact(id int64) {
	c, ok := s.contacts[id]
	if !ok {
		return
	}
	for list, assoc := range s.memberOf[id] {
		delete(s.members[list], id)
		delete(s.assocs, assoc)
	}
	delete(s.memberOf, id)
	s.unindex(c)
}

// view returns the contact with its list IDs, for output.
func (s *store) view(r *contactRec) Contact {
	v := *r.contact()
	v.ListIDs = make([]int64, 0, len(s.memberOf[r.id]))
	for l := range s.memberOf[r.id] {
		v.ListIDs = append(v.ListIDs, l)
	}
	slices.Sort(v.ListIDs)
	return v
}

// listView returns a copy of l with its member count.
func (s *store) listView(l *ContactList) ContactList {
	v := *l
	v.NumContact = len(s.members[l.ID])
	return v
}
