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
	order        []int            // contact ids, oldest first
	byEmail      map[string][]int // lowercase email → contact ids
	byPhone      map[string][]int // phoneKey → contact ids
	runs         []runRec
	appointments []appointmentRec
	nextContact  int
	nextRun      int
	nextAppt     int
}

func newData(s state) *data {
	d := &data{
		contacts:    map[int]*contactRec{},
		byEmail:     map[string][]int{},
		byPhone:     map[string][]int{},
		runs:        slices.Clone(s.Runs),
		nextContact: max(s.NextContact, firstContactID),
		nextRun:     max(s.NextRun, 1),
		nextAppt:    max(s.NextAppointment, 1),
	}
	cs := slices.Clone(s.Contacts)
	slices.SortFunc(cs, func(a, b contactRec) int { return a.ID - b.ID })
	for _, c := range cs {
		if _, dup := d.contacts[c.ID]; dup || c.ID <= 0 {
			continue
		}
		d.addContact(&c)
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
		Contacts: []contactRec{}, Runs: slices.Clone(d.runs), Appointments: slices.Clone(d.appointments)}
	for _, id := range d.order {
		s.Contacts = append(s.Contacts, *d.contacts[id])
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
		k := strings.ToLower(c.Email)
		d.byEmail[k] = insertSorted(d.byEmail[k], c.ID)
	}
	if k := phoneKey(c.Phone); k != "" {
		d.byPhone[k] = insertSorted(d.byPhone[k], c.ID)
	}
}

func (d *data) unindex(c *contactRec) {
	if c.Email != "" {
		k := strings.ToLower(c.Email)
		d.byEmail[k] = remove(d.byEmail[k], c.ID)
	}
	if k := phoneKey(c.Phone); k != "" {
		d.byPhone[k] = remove(d.byPhone[k], c.ID)
	}
}

// find returns the oldest contact with email (any case), else the oldest
// with phone; nil when neither matches.
func (d *data) find(email, phone string) *contactRec {
	if email != "" {
		if ids := d.byEmail[strings.ToLower(email)]; len(ids) > 0 {
			return d.contacts[ids[0]]
		}
	}
	if k := phoneKey(phone); k != "" {
		if ids := d.byPhone[k]; len(ids) > 0 {
			return d.contacts[ids[0]]
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
		for _, id := range d.byEmail[strings.ToLower(e)] {
			hit[id] = true
		}
	}
	for _, p := range sel.phones {
		for _, id := range d.byPhone[phoneKey(p)] {
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

func insertSorted(ids []int, id int) []int {
	i, found := slices.BinarySearch(ids, id)
	if found {
		return ids
	}
	return slices.Insert(ids, i, id)
}

func remove(ids []int, id int) []int {
	return slices.DeleteFunc(ids, func(x int) bool { return x == id })
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
