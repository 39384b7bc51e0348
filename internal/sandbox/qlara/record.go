package qlara

import (
	"encoding/binary"
	"reflect"
	"slices"
)

// contactRec is a stored contact, compact: a Contact is 36 pointers and
// slices, most of them nil, each set one its own allocation, where here
// every value sits in one string. Records are never changed in place (a
// write stores a new one), so a reader may use one after the lock is
// released.
type contactRec struct {
	id      int64
	fields  packedFields
	created string // yyyy-MM-dd, shared by every record of the same day
	updated string
	valid   bool // derived from the phone numbers (see derive)
	mobile  int8 // index of the mobile number among them, -1 for none
	rare    *rareFields
}

// rareFields are the server's fields the fake never sets, kept when a
// state file gives them values.
type rareFields struct {
	Mccmnc           *int
	NumCampaignSent  int
	LastContactDate  *string
	LastContactType  *string
	LastCampaignDate *string
	LastCampaignType *string
	IsTest           bool
	Comm             []string // CommunicationSupported, when it is not what derive gives
}

// newRec stores c (its ListIDs aside: they come from the associations).
// Dates are interned through days.
func newRec(c *Contact, days map[string]string) *contactRec {
	intern := func(d string) string {
		if x, ok := days[d]; ok {
			return x
		}
		days[d] = d
		return d
	}
	r := &contactRec{id: c.ID, fields: packFields(c.ContactFields), created: intern(c.CreatedAt),
		updated: intern(c.UpdatedAt), valid: c.IsValid, mobile: -1}
	if c.MobilePhoneNumber != nil {
		r.mobile = int8(slices.Index(c.PhoneNumbers, *c.MobilePhoneNumber))
	}
	wantComm := []string{}
	if r.mobile >= 0 {
		wantComm = []string{"SMS"}
	}
	rare := rareFields{Mccmnc: c.MobilePhoneNumberMccmnc, NumCampaignSent: c.NumCampaignSent,
		LastContactDate: c.LastContactDate, LastContactType: c.LastContactType,
		LastCampaignDate: c.LastCampaignDate, LastCampaignType: c.LastCampaignType, IsTest: c.IsTest}
	if !slices.Equal(c.CommunicationSupported, wantComm) {
		rare.Comm = slices.Clone(c.CommunicationSupported)
	}
	if !reflect.ValueOf(rare).IsZero() {
		r.rare = &rare
	}
	return r
}

// contact returns the stored contact in full, without its list IDs.
func (r *contactRec) contact() *Contact {
	c := &Contact{ID: r.id, ContactFields: r.fields.unpack(), FkIDCompany: companyID, IsValid: r.valid,
		CommunicationSupported: []string{}, CreatedAt: r.created, UpdatedAt: r.updated}
	if r.mobile >= 0 && int(r.mobile) < len(c.PhoneNumbers) {
		c.MobilePhoneNumber = &c.PhoneNumbers[r.mobile]
		c.CommunicationSupported = []string{"SMS"}
	}
	if x := r.rare; x != nil {
		c.MobilePhoneNumberMccmnc, c.NumCampaignSent = x.Mccmnc, x.NumCampaignSent
		c.LastContactDate, c.LastContactType = x.LastContactDate, x.LastContactType
		c.LastCampaignDate, c.LastCampaignType, c.IsTest = x.LastCampaignDate, x.LastCampaignType, x.IsTest
		if x.Comm != nil {
			c.CommunicationSupported = slices.Clone(x.Comm)
		}
	}
	return c
}

// packedFields is a contact's ContactFields in one string: for each field
// that is set, its index, then a *string's length and bytes, or a
// []string's count and each item's length and bytes. Read back, the
// strings are slices of it, not copies.
type packedFields string

// Indexes of the ContactFields read without unpacking the rest
// (TestFieldIndexes checks them against the struct).
const (
	fieldFullName       = 0
	fieldFirstName      = 1
	fieldLastName       = 2
	fieldPhoneNumbers   = 8
	fieldEmailAddresses = 9
	fieldMainEmail      = 10
	fieldCountry        = 12
	fieldCity           = 22
	fieldAddresses      = 11
	fieldTags           = 32
)

func packFields(f ContactFields) packedFields {
	var b []byte
	v := reflect.ValueOf(f)
	for i := range v.NumField() {
		fv := v.Field(i)
		if fv.IsNil() {
			continue
		}
		b = append(b, byte(i))
		if fv.Kind() == reflect.Pointer {
			b = appendString(b, fv.Elem().String())
			continue
		}
		// A list: cursor.isList must know its index.
		b = binary.AppendUvarint(b, uint64(fv.Len()))
		for j := range fv.Len() {
			b = appendString(b, fv.Index(j).String())
		}
	}
	return packedFields(b)
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// unpack returns the fields; their strings share p's memory.
func (p packedFields) unpack() ContactFields {
	var f ContactFields
	v := reflect.ValueOf(&f).Elem()
	for c := (cursor{s: string(p)}); c.next(); {
		if c.isList() {
			v.Field(c.field).Set(reflect.ValueOf(c.list()))
		} else {
			one := c.text()
			v.Field(c.field).Set(reflect.ValueOf(&one))
		}
	}
	return f
}

// text returns the *string field i, "" when it is not set.
func (p packedFields) text(i int) string {
	for c := (cursor{s: string(p)}); c.next(); {
		if c.field == i {
			return c.text()
		}
	}
	return ""
}

// list returns the []string field i, nil when it is not set.
func (p packedFields) list(i int) []string {
	for c := (cursor{s: string(p)}); c.next(); {
		if c.field == i {
			return c.list()
		}
	}
	return nil
}

// cursor walks the fields of a packedFields.
type cursor struct {
	s     string // what is left after the current field
	field int    // the current field's index
	value string // its encoded value
}

// next moves to the next field that is set; false at the end.
func (c *cursor) next() bool {
	if c.s == "" {
		return false
	}
	c.field, c.s = int(c.s[0]), c.s[1:]
	start := c.s
	if c.isList() {
		n := c.uvarint()
		for range n {
			c.skip()
		}
	} else {
		c.skip()
	}
	c.value = start[:len(start)-len(c.s)]
	return true
}

func (c *cursor) isList() bool {
	return c.field == fieldPhoneNumbers || c.field == fieldEmailAddresses || c.field == fieldAddresses || c.field == fieldTags
}

// text decodes the current *string field.
func (c *cursor) text() string {
	r := cursor{s: c.value}
	return r.str()
}

// list decodes the current []string field (never nil).
func (c *cursor) list() []string {
	r := cursor{s: c.value}
	out := make([]string, r.uvarint())
	for i := range out {
		out[i] = r.str()
	}
	return out
}

func (c *cursor) str() string {
	n := c.uvarint()
	out := c.s[:n]
	c.s = c.s[n:]
	return out
}

func (c *cursor) skip() { c.s = c.s[c.uvarint():] }

// uvarint reads an unsigned varint.
func (c *cursor) uvarint() int {
	var x uint64
	var shift uint
	for i := 0; i < len(c.s); i++ {
		b := c.s[i]
		x |= uint64(b&0x7f) << shift
		if b < 0x80 {
			c.s = c.s[i+1:]
			return int(x)
		}
		shift += 7
	}
	c.s = ""
	return 0
}
