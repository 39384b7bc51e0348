package closecrm

import (
	"slices"
	"strings"
	"time"
)

// slot numbers a record in the store's table of leads or of contacts, in
// creation order. Indexes and the links between leads and contacts hold
// slots: four bytes, where an id is a 48-byte string, and unchanged when a
// record is replaced.
type slot = int32

// leadRec is a stored lead: what the API shows less what is the same for
// every lead (organization, creator) or derived when it is served (display
// name, status label, URL, contacts). Records are never changed in place: an
// update stores a new record in the same slot, so a snapshot of pointers
// can be read without the lock.
type leadRec struct {
	id       string
	name     string
	statusID string
	more     *leadMore // nil when none of it is set
	contacts []slot    // its contacts, in the order they were added
	created  int64     // unix microseconds, the precision Close shows
	updated  int64
	slot     slot
}

// leadMore is what many leads leave empty.
type leadMore struct {
	description, url string
	addresses        []Address
	custom           customVals
}

// contactRec is a stored contact (immutable, like leadRec).
type contactRec struct {
	id      string
	name    string
	title   string
	emails  []Email
	phones  []Phone
	more    *contactMore // nil when none of it is set
	created int64
	updated int64
	lead    slot
	slot    slot
}

// contactMore is what many contacts leave empty.
type contactMore struct {
	urls   []URL
	custom customVals
}

// customVals are a record's custom field values sorted by field id: a few
// values in a slice take a tenth of the memory of a map.
type customVals []customVal

type customVal struct {
	id string
	v  any
}

func packCustom(m map[string]any) customVals {
	if len(m) == 0 {
		return nil
	}
	out := make(customVals, 0, len(m))
	for id, v := range m {
		out = append(out, customVal{id, v})
	}
	slices.SortFunc(out, func(a, b customVal) int { return strings.Compare(a.id, b.id) })
	return out
}

// unpack returns the values as a new map, nil when there are none.
func (c customVals) unpack() map[string]any {
	if len(c) == 0 {
		return nil
	}
	m := make(map[string]any, len(c))
	for _, x := range c {
		m[x.id] = x.v
	}
	return m
}

// micros is t as stored; fromMicros turns it back into a Time in UTC.
func micros(t Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) Time { return Time{time.UnixMicro(us).UTC()} }

// toLead returns the stored lead as a Lead, without contacts or derived
// fields.
func (r *leadRec) toLead() Lead {
	l := Lead{
		ID: r.id, OrganizationID: orgID, Name: r.name, StatusID: r.statusID,
		CreatedBy: userID, UpdatedBy: userID, DateCreated: fromMicros(r.created), DateUpdated: fromMicros(r.updated),
	}
	if m := r.more; m != nil {
		l.Description, l.URL, l.Addresses, l.Custom = m.description, m.url, m.addresses, m.custom.unpack()
	}
	return l
}

// newLeadRec stores l's own fields (not its contacts or derived ones).
func newLeadRec(l Lead, at slot, contacts []slot) *leadRec {
	r := &leadRec{
		id: l.ID, name: l.Name, statusID: l.StatusID, contacts: contacts,
		created: micros(l.DateCreated), updated: micros(l.DateUpdated), slot: at,
	}
	// A nil list and an empty one stay apart, as a PUT compares them.
	if l.Description != "" || l.URL != "" || l.Addresses != nil || len(l.Custom) > 0 {
		r.more = &leadMore{description: l.Description, url: l.URL, addresses: l.Addresses, custom: packCustom(l.Custom)}
	}
	return r
}

// toContact returns the stored contact as a Contact of the lead leadID.
func (r *contactRec) toContact(leadID string) Contact {
	c := Contact{
		ID: r.id, LeadID: leadID, OrganizationID: orgID, Name: r.name, Title: r.title,
		Emails: r.emails, Phones: r.phones,
		CreatedBy: userID, UpdatedBy: userID, DateCreated: fromMicros(r.created), DateUpdated: fromMicros(r.updated),
	}
	if m := r.more; m != nil {
		c.URLs, c.Custom = m.urls, m.custom.unpack()
	}
	return c
}

// toContact returns the stored contact as a Contact.
func (s *store) toContact(r *contactRec) Contact { return r.toContact(s.leads[r.lead].id) }

// newContactRec stores c under the lead in slot lead.
func newContactRec(c Contact, at, lead slot) *contactRec {
	r := &contactRec{
		id: c.ID, name: c.Name, title: c.Title, emails: c.Emails, phones: c.Phones,
		created: micros(c.DateCreated), updated: micros(c.DateUpdated), lead: lead, slot: at,
	}
	if c.URLs != nil || len(c.Custom) > 0 {
		r.more = &contactMore{urls: c.URLs, custom: packCustom(c.Custom)}
	}
	return r
}
