package closumv1

import (
	"slices"
	"time"
)

// people is one table of leads or unqualified leads. Records are never
// deleted (the doc has no delete), so order is simply ascending id.
type people struct {
	recs      map[int]*leadRec
	order     []int
	next      int
	nextOptIn int
}

func newPeople(recs []*leadRec, next, nextOptIn int) *people {
	p := &people{recs: map[int]*leadRec{}, next: max(next, 1), nextOptIn: max(nextOptIn, 1)}
	rs := slices.DeleteFunc(slices.Clone(recs), func(r *leadRec) bool { return r == nil })
	slices.SortStableFunc(rs, func(a, b *leadRec) int { return a.ID - b.ID })
	for _, r := range rs {
		if _, dup := p.recs[r.ID]; dup || r.ID <= 0 {
			continue
		}
		p.add(r)
		if r.OptIn != nil {
			p.nextOptIn = max(p.nextOptIn, r.OptIn.ID+1)
		}
	}
	return p
}

func (p *people) add(r *leadRec) {
	p.recs[r.ID] = r
	p.order = append(p.order, r.ID)
	p.next = max(p.next, r.ID+1)
}

func (p *people) list() []*leadRec {
	out := make([]*leadRec, len(p.order))
	for i, id := range p.order {
		out[i] = p.recs[id]
	}
	return out
}

func (p *people) state() []*leadRec {
	out := make([]*leadRec, 0, len(p.order))
	for _, id := range p.order {
		out = append(out, p.recs[id])
	}
	return out
}

// data is everything the fake stores. Fake.mu guards it.
//
// Emails and phones are records of their own (the doc gives them their own
// endpoints, and a lead view shows their ids): creating a lead creates its
// email and phone records, and PUT /email/{id} or /phone/{id} changes what
// the lead shows. Nothing is unique: the doc never says an address must be.
type data struct {
	leads        *people
	unqualified  *people
	emails       map[int]*emailRec
	emailOrder   []int
	nextEmail    int
	phones       map[int]*phoneRec
	phoneOrder   []int
	nextPhone    int
	contactTypes map[int]*contactTypeRec
	typeOrder    []int
	nextType     int
}

// seedContactTypes is what a fresh sandbox has, so the doc's example
// ("contact_type_id": "1") works out of the box.
func seedContactTypes(now time.Time) []*contactTypeRec {
	return []*contactTypeRec{{ID: 1, Label: "My Sample Contact Type", Created: now}}
}

func newData(s state) *data {
	d := &data{
		leads:        newPeople(s.Leads, s.NextLead, s.NextLeadOptIn),
		unqualified:  newPeople(s.Unqualified, s.NextUnqualified, s.NextUnqOptIn),
		emails:       map[int]*emailRec{},
		nextEmail:    max(s.NextEmail, 1),
		phones:       map[int]*phoneRec{},
		nextPhone:    max(s.NextPhone, 1),
		contactTypes: map[int]*contactTypeRec{},
		nextType:     max(s.NextContactType, 1),
	}
	for _, e := range byID(s.Emails, func(e *emailRec) int { return e.ID }) {
		if _, dup := d.emails[e.ID]; !dup && e.ID > 0 {
			d.addEmail(e)
		}
	}
	for _, p := range byID(s.Phones, func(p *phoneRec) int { return p.ID }) {
		if _, dup := d.phones[p.ID]; !dup && p.ID > 0 {
			d.addPhone(p)
		}
	}
	for _, t := range byID(s.ContactTypes, func(t *contactTypeRec) int { return t.ID }) {
		if _, dup := d.contactTypes[t.ID]; !dup && t.ID > 0 {
			d.addContactType(t)
		}
	}
	return d
}

func (d *data) state() state {
	s := state{
		NextLead: d.leads.next, NextUnqualified: d.unqualified.next,
		NextLeadOptIn: d.leads.nextOptIn, NextUnqOptIn: d.unqualified.nextOptIn,
		NextEmail: d.nextEmail, NextPhone: d.nextPhone, NextContactType: d.nextType,
		Leads: d.leads.state(), Unqualified: d.unqualified.state(),
	}
	for _, id := range d.emailOrder {
		s.Emails = append(s.Emails, d.emails[id])
	}
	for _, id := range d.phoneOrder {
		s.Phones = append(s.Phones, d.phones[id])
	}
	for _, id := range d.typeOrder {
		s.ContactTypes = append(s.ContactTypes, d.contactTypes[id])
	}
	return s
}

// byID returns the records of a state file without nils, sorted by id.
func byID[T any](recs []*T, id func(*T) int) []*T {
	out := slices.DeleteFunc(slices.Clone(recs), func(r *T) bool { return r == nil })
	slices.SortStableFunc(out, func(a, b *T) int { return id(a) - id(b) })
	return out
}

func (d *data) addEmail(e *emailRec) {
	d.emails[e.ID] = e
	d.emailOrder = append(d.emailOrder, e.ID)
	d.nextEmail = max(d.nextEmail, e.ID+1)
}

// newEmail stores an address; status 1 is what every example shows.
func (d *data) newEmail(addr string, now time.Time) *emailRec {
	e := &emailRec{ID: d.nextEmail, Email: addr, Status: 1, Registered: now}
	d.addEmail(e)
	return e
}

func (d *data) addPhone(p *phoneRec) {
	d.phones[p.ID] = p
	d.phoneOrder = append(d.phoneOrder, p.ID)
	d.nextPhone = max(d.nextPhone, p.ID+1)
}

// newPhone stores a number. Numbers are checked on the way in, so every
// stored one is_valid 1, as the examples show.
func (d *data) newPhone(in phoneInput, now time.Time) *phoneRec {
	p := &phoneRec{ID: d.nextPhone, Extension: in.extension, Number: in.number, IsValid: 1, Added: now}
	d.addPhone(p)
	return p
}

func (d *data) addContactType(t *contactTypeRec) {
	d.contactTypes[t.ID] = t
	d.typeOrder = append(d.typeOrder, t.ID)
	d.nextType = max(d.nextType, t.ID+1)
}

func (d *data) newContactType(label string, now time.Time) *contactTypeRec {
	t := &contactTypeRec{ID: d.nextType, Label: label, Created: now}
	d.addContactType(t)
	return t
}

// newPerson stores a lead or unqualified lead with its email, phone and
// opt-in, all at once.
func (d *data) newPerson(p *people, in personInput, now time.Time) *leadRec {
	r := &leadRec{ID: p.next, Name: in.name, CityID: in.cityID, CustomData: in.customData,
		ContactTypeID: in.contactTypeID, Created: now}
	if in.email != nil {
		r.EmailID = d.newEmail(*in.email, now).ID
	}
	if in.phone != nil {
		r.PhoneID = d.newPhone(*in.phone, now).ID
	}
	if in.optIn != nil {
		o := *in.optIn
		o.ID, o.Created = p.nextOptIn, now
		p.nextOptIn++
		r.OptIn = &o
	}
	p.add(r)
	return r
}

func (d *data) emailOf(r *leadRec) *emailRec { return d.emails[r.EmailID] }

func (d *data) phoneOf(r *leadRec) *phoneRec { return d.phones[r.PhoneID] }
