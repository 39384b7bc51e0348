package closum

import (
	"crypto/rand"
	"fmt"
	"slices"
	"strings"
	"time"
)

// data is everything the fake stores, with its indexes. Fake.mu guards it.
//
// Leads hang off contacts, as the collection shows (a lead's email, phone,
// consent, tags and custom fields are its contact's; Contact Delete removes
// "the Lead associated Data"): one contact per email, at most one lead per
// contact.
type data struct {
	contacts     map[string]*contactRec
	contactOrder []string          // contact ids, oldest first
	byEmail      map[string]string // lowercase email → contact id
	byMobile     mobileIndex
	leads        map[int]*leadRec
	leadOrder    []int          // lead ids, oldest first
	leadOf       map[string]int // contact id → lead id
	fields       []*fieldRec    // in creation order, as field/ lists them
	fieldByVar   map[string]*fieldRec
	fieldByID    map[string]*fieldRec
	tags         map[int]*tagRec
	tagOrder     []int
	tagByName    map[string]int // lowercase tag → id
	nextLead     int
	nextTag      int
	nextSeq      int
}

// seedFields are the custom fields a fresh sandbox has, so jobs mapping
// custom.<label> work out of the box. Fixed ids keep state files stable.
func seedFields(now time.Time) []*fieldRec {
	return []*fieldRec{
		{ID: "3f1c2a9e-6b1d-4c47-9a55-0d6e1f2a7b01", Label: "Lead Source", Var: "lead_source", Created: now},
		{ID: "3f1c2a9e-6b1d-4c47-9a55-0d6e1f2a7b02", Label: "Favourite Colour", Var: "favourite_colour", Created: now},
		{ID: "3f1c2a9e-6b1d-4c47-9a55-0d6e1f2a7b03", Label: "Company Name", Var: "company_name", Created: now},
	}
}

func newData(s state) *data {
	d := &data{
		contacts:   map[string]*contactRec{},
		byEmail:    map[string]string{},
		byMobile:   mobileIndex{one: map[string]*contactRec{}, many: map[string][]*contactRec{}},
		leads:      map[int]*leadRec{},
		leadOf:     map[string]int{},
		fieldByVar: map[string]*fieldRec{},
		fieldByID:  map[string]*fieldRec{},
		tags:       map[int]*tagRec{},
		tagByName:  map[string]int{},
		nextLead:   max(s.NextLead, 1),
		nextTag:    max(s.NextTag, 1),
		nextSeq:    max(s.NextSeq, 1),
	}
	for _, fr := range s.Fields {
		if fr != nil {
			d.addField(*fr)
		}
	}
	for _, t := range s.Tags {
		if t != nil {
			d.addTag(*t)
		}
	}
	cs := slices.DeleteFunc(slices.Clone(s.Contacts), func(c *contactRec) bool { return c == nil })
	slices.SortStableFunc(cs, func(a, b *contactRec) int { return a.Seq - b.Seq })
	for _, c := range cs {
		c.Tags = slices.DeleteFunc(c.Tags, func(id int) bool { return d.tags[id] == nil })
		d.addContact(c)
		d.nextSeq = max(d.nextSeq, c.Seq+1)
	}
	ls := slices.DeleteFunc(slices.Clone(s.Leads), func(l *leadRec) bool { return l == nil })
	slices.SortStableFunc(ls, func(a, b *leadRec) int { return a.ID - b.ID })
	for _, l := range ls {
		if _, ok := d.contacts[l.ContactID]; ok {
			d.addLead(l)
			d.nextLead = max(d.nextLead, l.ID+1)
		}
	}
	return d
}

func (d *data) state() state {
	s := state{NextLead: d.nextLead, NextTag: d.nextTag, NextSeq: d.nextSeq}
	s.Fields = d.fields
	for _, id := range d.tagOrder {
		s.Tags = append(s.Tags, d.tags[id])
	}
	for _, id := range d.contactOrder {
		s.Contacts = append(s.Contacts, d.contacts[id])
	}
	for _, id := range d.leadOrder {
		s.Leads = append(s.Leads, d.leads[id])
	}
	return s
}

func (d *data) addField(fr fieldRec) {
	if old, ok := d.fieldByVar[fr.Var]; ok {
		old.Label = fr.Label
		return
	}
	p := &fr
	d.fields = append(d.fields, p)
	d.fieldByVar[p.Var] = p
	d.fieldByID[p.ID] = p
}

func (d *data) addTag(t tagRec) {
	p := &t
	d.tags[p.ID] = p
	d.tagOrder = append(d.tagOrder, p.ID)
	d.tagByName[strings.ToLower(p.Tag)] = p.ID
	d.nextTag = max(d.nextTag, p.ID+1)
}

// ensureTag returns the id of the tag named name, creating it if needed.
func (d *data) ensureTag(name string, now time.Time) int {
	if id, ok := d.tagByName[strings.ToLower(name)]; ok {
		return id
	}
	id := d.nextTag
	d.addTag(tagRec{ID: id, Tag: name, Created: now})
	return id
}

func (d *data) removeTag(id int) {
	t := d.tags[id]
	delete(d.tags, id)
	delete(d.tagByName, strings.ToLower(t.Tag))
	d.tagOrder = slices.DeleteFunc(d.tagOrder, func(x int) bool { return x == id })
	for _, c := range d.contacts {
		c.Tags = slices.DeleteFunc(c.Tags, func(x int) bool { return x == id })
	}
}

func (d *data) addContact(c *contactRec) {
	d.contacts[c.ID] = c
	d.contactOrder = append(d.contactOrder, c.ID)
	if c.Email != "" {
		d.byEmail[strings.ToLower(c.Email)] = c.ID
	}
	d.byMobile.add(c)
}

func (d *data) newContact(now time.Time) *contactRec {
	c := &contactRec{ID: newUUID(), Seq: d.nextSeq, Created: now}
	d.nextSeq++
	d.addContact(c)
	return c
}

// setEmail changes a contact's email and its index entry; the caller has
// checked that no other contact holds it.
func (d *data) setEmail(c *contactRec, email string) {
	if c.Email != "" {
		delete(d.byEmail, strings.ToLower(c.Email))
	}
	c.Email = email
	if email != "" {
		d.byEmail[strings.ToLower(email)] = c.ID
	}
}

func (d *data) removeContact(id string) {
	c, ok := d.contacts[id]
	if !ok {
		return
	}
	if lid, ok := d.leadOf[id]; ok {
		d.removeLead(lid)
	}
	d.setEmail(c, "")
	d.byMobile.remove(c)
	delete(d.contacts, id)
	d.contactOrder = slices.DeleteFunc(d.contactOrder, func(x string) bool { return x == id })
}

func (d *data) contactByEmail(email string) *contactRec {
	return d.contacts[d.byEmail[strings.ToLower(email)]]
}

// contactByMobile returns the oldest contact with mobile: mobile numbers
// are not unique across contacts with different emails.
func (d *data) contactByMobile(mobile string) *contactRec {
	if c, ok := d.byMobile.one[mobile]; ok {
		return c
	}
	if cs := d.byMobile.many[mobile]; len(cs) > 0 {
		return cs[0]
	}
	return nil
}

// setMobile changes a contact's mobile and its index entry.
func (d *data) setMobile(c *contactRec, mobile string) {
	d.byMobile.remove(c)
	c.Mobile = mobile
	d.byMobile.add(c)
}

// mobileIndex maps a mobile number to the contacts holding it, oldest
// (lowest Seq) first. Most numbers have one holder, which takes one map
// entry and no allocation of its own.
type mobileIndex struct {
	one  map[string]*contactRec
	many map[string][]*contactRec
}

func (x mobileIndex) add(c *contactRec) {
	if c.Mobile == "" {
		return
	}
	cs := x.many[c.Mobile]
	if first, ok := x.one[c.Mobile]; ok {
		delete(x.one, c.Mobile)
		cs = []*contactRec{first}
	}
	if len(cs) == 0 {
		x.one[c.Mobile] = c
		return
	}
	i, _ := slices.BinarySearchFunc(cs, c, func(a, b *contactRec) int { return a.Seq - b.Seq })
	x.many[c.Mobile] = slices.Insert(cs, i, c)
}

func (x mobileIndex) remove(c *contactRec) {
	if c.Mobile == "" {
		return
	}
	if x.one[c.Mobile] == c {
		delete(x.one, c.Mobile)
		return
	}
	cs := slices.DeleteFunc(x.many[c.Mobile], func(y *contactRec) bool { return y == c })
	switch len(cs) {
	case 0:
		delete(x.many, c.Mobile)
	case 1:
		delete(x.many, c.Mobile)
		x.one[c.Mobile] = cs[0]
	default:
		x.many[c.Mobile] = cs
	}
}

func (d *data) addLead(l *leadRec) {
	d.leads[l.ID] = l
	d.leadOrder = append(d.leadOrder, l.ID)
	d.leadOf[l.ContactID] = l.ID
}

func (d *data) newLead(contactID string, now time.Time) *leadRec {
	l := &leadRec{ID: d.nextLead, ContactID: contactID, Stage: defaultStage, SourceID: apiSourceID,
		UserID: defaultUserID, CustomData: "[]", Created: now}
	d.nextLead++
	d.addLead(l)
	return l
}

func (d *data) removeLead(id int) {
	l, ok := d.leads[id]
	if !ok {
		return
	}
	delete(d.leads, id)
	delete(d.leadOf, l.ContactID)
	d.leadOrder = slices.DeleteFunc(d.leadOrder, func(x int) bool { return x == id })
}

func (d *data) leadOfContact(c *contactRec) *leadRec {
	if c == nil {
		return nil
	}
	id, ok := d.leadOf[c.ID]
	if !ok {
		return nil
	}
	return d.leads[id]
}

func (d *data) tagNames(c *contactRec) []string {
	names := make([]string, 0, len(c.Tags))
	for _, id := range c.Tags {
		names = append(names, d.tags[id].Tag)
	}
	return names
}

// customByVar returns a contact's custom values keyed by field var.
func (d *data) customByVar(c *contactRec) map[string]string {
	m := make(map[string]string, len(c.Custom))
	for _, x := range c.Custom {
		if fr, ok := d.fieldByID[x.id]; ok {
			m[fr.Var] = x.value
		}
	}
	return m
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
