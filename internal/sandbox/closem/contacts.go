package closem

import (
	"fmt"
	"net/http"
	"net/mail"
	"strconv"
	"strings"
)

// contactInput is an addcontact form, checked.
type contactInput struct {
	email, phone                     string
	first, last                      string
	nameGiven                        bool // fullname sent: it sets both first and last
	notes, address, city, state, zip string
	tags, lists                      []int
	sequenceID                       int
	upsert                           bool
}

// parseContact reads an addcontact form and returns every problem found.
func parseContact(fm form) (contactInput, []string) {
	var in contactInput
	var probs []string
	in.email = fm.field("email")
	in.phone = fm.field("phone")
	if in.email == "" && in.phone == "" {
		probs = append(probs, "Phone and/or email is required")
	}
	if in.email != "" && !validEmail(in.email) {
		probs = append(probs, "Invalid email address: "+quoteShort(in.email))
	}
	if in.phone != "" && !validPhone(in.phone) {
		probs = append(probs, "Invalid phone number: "+quoteShort(in.phone))
	}
	if full := fm.field("fullname"); full != "" {
		// "First and last name must be separated by a space"; a lone first
		// name still works.
		first, last, _ := strings.Cut(full, " ")
		in.first, in.last, in.nameGiven = first, strings.TrimSpace(last), true
	} else {
		in.first, in.last = fm.field("firstname"), fm.field("lastname")
	}
	in.notes, in.address, in.city = fm.field("notes"), fm.field("address"), fm.field("city")
	in.state, in.zip = fm.field("state"), fm.field("zip")
	var err error
	if in.tags, err = parseIDs(fm.field("tags")); err != nil {
		probs = append(probs, "tags: "+err.Error())
	}
	if in.lists, err = parseIDs(fm.field("contactlists")); err != nil {
		probs = append(probs, "contactlists: "+err.Error())
	}
	if v := fm.field("sequence_id"); v != "" {
		if in.sequenceID, err = parseID(v); err != nil {
			probs = append(probs, "sequence_id: "+err.Error()+" (you can only send one sequence ID)")
		}
	}
	in.upsert = truthy(fm.get("upsert"))
	return in, probs
}

// addContact adds a contact, or with upsert updates the one matched by
// email or phone, and starts the sequence given, if any.
func (f *Fake) addContact(w http.ResponseWriter, fm form) {
	in, probs := parseContact(fm)
	if len(probs) > 0 {
		f.fail(w, http.StatusBadRequest, strings.Join(probs, "; "))
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	action := actionCreated
	var c *contactRec
	if in.upsert {
		c = f.d.find(in.email, in.phone)
	}
	if c != nil {
		action = actionUpdated
	} else {
		c = f.d.newContact(now)
	}
	f.d.unindex(c)
	apply(c, in)
	c.Updated = now
	f.d.index(c)
	if in.sequenceID > 0 {
		f.d.runs = append(f.d.runs, runRec{ID: f.d.nextRun, SequenceID: in.sequenceID, Via: modeAddContact,
			ContactIDs: []int{c.ID}, Created: now})
		f.d.nextRun++
	}
	f.saver.Changed()
	f.reply(w, http.StatusOK, contactAnswer{Success: true, ContactID: strconv.Itoa(c.ID), Action: action})
}

// apply sets the fields sent; what was not sent stays as it is, and tags
// and lists are added to those the contact has.
func apply(c *contactRec, in contactInput) {
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	if !strings.EqualFold(c.Email, in.email) { // the match key keeps its stored case
		set(&c.Email, in.email)
	}
	set(&c.Phone, in.phone)
	if in.nameGiven {
		c.FirstName, c.LastName = in.first, in.last
	} else {
		set(&c.FirstName, in.first)
		set(&c.LastName, in.last)
	}
	set(&c.Notes, in.notes)
	set(&c.Address, in.address)
	set(&c.City, in.city)
	set(&c.State, in.state)
	set(&c.Zip, in.zip)
	c.Tags = union(c.Tags, in.tags)
	c.Lists = union(c.Lists, in.lists)
}

// validEmail accepts a bare address, as net/mail reads it.
func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Name == "" && a.Address == s
}

// validPhone accepts 7–15 digits with the usual punctuation around them.
func validPhone(s string) bool {
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune(" +-().", r):
		default:
			return false
		}
	}
	return digits >= 7 && digits <= 15
}

// parseIDs reads a comma-separated list of ids; empty items are skipped.
func parseIDs(s string) ([]int, error) {
	var ids []int
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item == "" {
			continue
		}
		id, err := parseID(item)
		if err != nil {
			return nil, err
		}
		ids = union(ids, []int{id})
	}
	return ids, nil
}

// parseID reads one positive integer id.
func parseID(s string) (int, error) {
	id, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%s is not an id (ids are positive whole numbers)", quoteShort(s))
	}
	return id, nil
}

// truthy is how upsert is read: true, 1 or yes in any case.
func truthy(s string) bool {
	switch strings.ToLower(s) {
	case "true", "1", "yes":
		return true
	}
	return false
}
