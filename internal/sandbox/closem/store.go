package closem

import (
	"slices"
	"strings"
	"time"
)

// firstContactID is where contact ids start, so they never look like
// small tag or list ids.
const firstContactID = 1001

// data is everything the fake stores, with its indexes. Fake.mu guards it.
//
// Contacts may share an email or a phone (addcontact without upsert always
// adds), so the indexes map to every holder, oldest first.
type data struct {
	contacts     map[int]*contactRec
	order        []int   // contact ids, oldest first
	byEmail      idIndex // lowercase email → contact ids
	byPhone      idIndex // phoneKey → contact ids
	runs         []runRec
	appointments []appointmentRec
	nextContact  int
	nextRun      int
	nextAppt     int
}

func newData(s state) *data {
	d := &data{
		contacts:    map[int]*contactRec{},
		byEmail:     newIDIndex(),
		byPhone:     newIDIndex(),
		runs:        slices.Clone(s.Runs),
		nextContact: max(s.NextContact, firstContactID),
		nextRun:     max(s.NextRun, 1),
		nextAppt:    max(s.NextAppointment, 1),
	}
	cs := slices.DeleteFunc(slices.Clone(s.Contacts), func(c *contactRec) bool { return c == nil })
	slices.SortStableFunc(cs, func(a, b *contactRec) int { return a.ID - b.ID })
	for _, c := range cs {
		if _, dup := d.contacts[c.ID]; dup || c.ID <= 0 {
			continue
		}
		d.addContact(c)
		d.nextContact = max(d.nextContact, c.ID+1)
	}
	for _, r := range d.runs {
		d.nextRun = max(d.nextRun, r.ID+1)
	}
	d.appointments = slices.Clone(s.Appointments)
	for _, a := range d.appointments {
		d.nextAppt = max(d.nextAppt, a.ID+1)
	}
	return d
}

func (d *data) state() state {
	s := state{NextContact: d.nextContact, NextRun: d.nextRun, NextAppointment: d.nextAppt,
		Contacts: make([]*contactRec, 0, len(d.order)), Runs: d.runs, Appointments: d.appointments}
	for _, id := range d.order {
		s.Contacts = append(s.Contacts, d.contacts[id])
	}
	return s
}

func (d *data) addContact(c *contactRec) {
	d.contacts[c.ID] = c
	d.order = append(d.order, c.ID)
	d.index(c)
}

func (d *data) newContact(now time.Time) *contactRec {
	c := &contactRec{ID: d.nextContact, Created: now, Updated: now}
	d.nextContact++
	d.addContact(c)
	return c
}

// index adds c under its email and phone; unindex removes it. A contact's
// email or phone changes only between the two.
func (d *data) index(c *contactRec) {
	if c.Email != "" {
		d.byEmail.add(strings.ToLower(c.Email), c.ID)
	}
	if k := phoneKey(c.Phone); k != "" {
		d.byPhone.add(k, c.ID)
	}
}

func (d *data) unindex(c *contactRec) {
	if c.Email != "" {
		d.byEmail.remove(strings.ToLower(c.Email), c.ID)
	}
	if k := phoneKey(c.Phone); k != "" {
		d.byPhone.remove(k, c.ID)
	}
}

// find returns the oldest contact with email (any case), else the oldest
// with phone; nil when neither matches.
func (d *data) find(email, phone string) *contactRec {
	if email != "" {
		if id, ok := d.byEmail.first(strings.ToLower(email)); ok {
			return d.contacts[id]
		}
	}
	if k := phoneKey(phone); k != "" {
		if id, ok := d.byPhone.first(k); ok {
			return d.contacts[id]
		}
	}
	return nil
}

// selector is who a runsequence or scheduleappointment acts on.
type selector struct {
	emails, phones []string
	lists, tags    []int
}

// match returns the ids of every contact any part of sel names, oldest first.
func (d *data) match(sel selector) []int {
	hit := map[int]bool{}
	for _, e := range sel.emails {
		for _, id := range d.byEmail.ids(strings.ToLower(e)) {
			hit[id] = true
		}
	}
	for _, p := range sel.phones {
		for _, id := range d.byPhone.ids(phoneKey(p)) {
			hit[id] = true
		}
	}
	if len(sel.lists) > 0 || len(sel.tags) > 0 {
		for _, id := range d.order {
			c := d.contacts[id]
			if overlaps(c.Lists, sel.lists) || overlaps(c.Tags, sel.tags) {
				hit[id] = true
			}
		}
	}
	ids := make([]int, 0, len(hit))
	for id := range hit {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// phoneKey is what phones are matched on: their digits, without the US
// country code of an 11-digit number.
func phoneKey(p string) string {
	var b strings.Builder
	for _, r := range p {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	k := b.String()
	if len(k) == 11 && k[0] == '1' {
		k = k[1:]
	}
	return k
}

// idIndex maps a key to the contacts holding it, in ascending id (oldest
// first). Most keys have one holder, which takes one map entry and no
// allocation of its own.
type idIndex struct {
	one  map[string]int
	many map[string][]int
}

func newIDIndex() idIndex { return idIndex{one: map[string]int{}, many: map[string][]int{}} }

func (x idIndex) add(k string, id int) {
	ids := x.many[k]
	if first, ok := x.one[k]; ok {
		if first == id {
			return
		}
		delete(x.one, k)
		ids = []int{first}
	}
	if len(ids) == 0 {
		x.one[k] = id
		return
	}
	if i, found := slices.BinarySearch(ids, id); !found {
		x.many[k] = slices.Insert(ids, i, id)
	}
}

func (x idIndex) remove(k string, id int) {
	if first, ok := x.one[k]; ok {
		if first == id {
			delete(x.one, k)
		}
		return
	}
	ids := slices.DeleteFunc(x.many[k], func(y int) bool { return y == id })
	switch len(ids) {
	case 0:
		delete(x.many, k)
	case 1:
		delete(x.many, k)
		x.one[k] = ids[0]
	default:
		x.many[k] = ids
	}
}

// first returns the oldest holder of k.
func (x idIndex) first(k string) (int, bool) {
	if id, ok := x.one[k]; ok {
		return id, true
	}
	if ids := x.many[k]; len(ids) > 0 {
		return ids[0], true
	}
	return 0, false
}

// ids returns the holders of k, oldest first; the slice is the index's.
func (x idIndex) ids(k string) []int {
	if id, ok := x.one[k]; ok {
		return []int{id}
	}
	return x.many[k]
}

func overlaps(have, want []int) bool {
	for _, w := range want {
		if slices.Contains(have, w) {
			return true
		}
	}
	return false
}

// union adds the ids of more missing from have, keeping have's order.
func union(have, more []int) []int {
	for _, id := range more {
		if !slices.Contains(have, id) {
			have = append(have, id)
		}
	}
	return have
}
