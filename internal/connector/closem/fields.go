package closem

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/mapping"
)

// The CLOSEM names fields are sent under: the first name the help page
// lists for each.
const (
	wirePhone     = "phone"
	wireEmail     = "email"
	wireFullName  = "fullname"
	wireFirstName = "firstname"
	wireLastName  = "lastname"
	wireNotes     = "notes"
	wireAddress   = "address"
	wireCity      = "city"
	wireState     = "state"
	wireZip       = "zip"
	wireTags      = "tags"
	wireLists     = "contactlists"
	wireSequence  = "sequence_id"

	wireEmails = "contact_emails" // runsequence, scheduleappointment
	wirePhones = "contact_phones"
	wireNote   = "appointment_note" // scheduleappointment
	wireWhen   = "appointment_timestamp"
)

// contactWire returns the addcontact name a record field is sent under: the
// canonical record names and every alias the help page lists.
func contactWire(field string) (string, bool) {
	switch field {
	case mapping.FieldPhone, "phonenumber", "number", "phone_number":
		return wirePhone, true
	case mapping.FieldEmail, "mail", "emailaddress", "email_address":
		return wireEmail, true
	case mapping.FieldName, "fullname", "full_name":
		return wireFullName, true
	case mapping.FieldFirstName, "firstname", "first":
		return wireFirstName, true
	case mapping.FieldLastName, "lastname", "last":
		return wireLastName, true
	case mapping.FieldNotes, "note":
		return wireNotes, true
	case mapping.FieldAddress, "street":
		return wireAddress, true
	case mapping.FieldCity:
		return wireCity, true
	case mapping.FieldState:
		return wireState, true
	case mapping.FieldZip, "zip_code", "zipcode":
		return wireZip, true
	case mapping.FieldTags, "tag":
		return wireTags, true
	case "contactlists", "contactlist", "contact_lists", "contact_list":
		return wireLists, true
	case wireSequence:
		return wireSequence, true
	}
	return "", false
}

// actionWire returns the name a record field is sent under for
// runsequence or scheduleappointment: a row names its contact by email or
// phone (any of their aliases) and carries the action's own fields.
func actionWire(action, field string) (string, bool) {
	switch w, _ := contactWire(field); {
	case w == wireEmail || field == wireEmails:
		return wireEmails, true
	case w == wirePhone || field == wirePhones:
		return wirePhones, true
	case action == actionRunSequence && field == wireSequence:
		return wireSequence, true
	case action == actionSchedule && (field == wireNote || field == wireWhen):
		return field, true
	}
	return "", false
}

// wire returns the name field is sent under for the client's action.
func (c *Client) wire(field string) (string, bool) {
	if c.action == actionAddContact {
		return contactWire(field)
	}
	return actionWire(c.action, field)
}

// known lists the record fields the action takes, for messages.
func (c *Client) known() string {
	switch c.action {
	case actionRunSequence:
		return "email, phone, sequence_id"
	case actionSchedule:
		return "email, phone, appointment_note, appointment_timestamp"
	}
	return "name, first_name, last_name, email, phone, notes, address, city, state, zip, tags, contactlists, sequence_id, and CLOSEM's aliases of them"
}

// CheckWrite reports every problem with writing fields in mode with the
// match key, without calling the API.
func (c *Client) CheckWrite(obj connector.Object, mode connector.Mode, match []string, fields []string) error {
	if err := checkObject(obj); err != nil {
		return err
	}
	var errs []error
	switch {
	case mode != connector.Create && mode != connector.Update && mode != connector.Upsert:
		return fmt.Errorf("closem: unknown mode %q (want create or upsert)", mode)
	case c.action != actionAddContact && mode != connector.Create:
		errs = append(errs, fmt.Errorf("mode %s: action %s is a one-off command, not a record to match; use mode create", mode, c.action))
	case mode == connector.Update:
		errs = append(errs, errors.New("mode update: CLOSEM cannot update without creating (addcontact with upsert=true adds a contact it does not find); use mode upsert"))
	}

	byWire := map[string][]string{}
	for _, f := range fields {
		if strings.HasPrefix(f, mapping.CustomPrefix) {
			errs = append(errs, fmt.Errorf("field %q: CLOSEM's API has no custom fields", f))
			continue
		}
		w, ok := c.wire(f)
		if !ok {
			errs = append(errs, fmt.Errorf("field %q: not a CLOSEM field for %s (known: %s)", f, c.action, c.known()))
			continue
		}
		byWire[w] = append(byWire[w], f)
	}
	wires := make([]string, 0, len(byWire))
	for w := range byWire {
		wires = append(wires, w)
	}
	sort.Strings(wires)
	for _, w := range wires {
		if fs := byWire[w]; len(fs) > 1 {
			errs = append(errs, fmt.Errorf("fields %s: all are CLOSEM's %s; map one", strings.Join(quoteAll(fs), ", "), w))
		}
	}

	email, phone := wireEmail, wirePhone
	if c.action != actionAddContact {
		email, phone = wireEmails, wirePhones
	}
	if byWire[email] == nil && byWire[phone] == nil {
		errs = append(errs, fmt.Errorf("fields: CLOSEM's %s needs an email or a phone; map email or phone", c.action))
	}
	var required []string
	switch c.action {
	case actionRunSequence:
		required = []string{wireSequence}
	case actionSchedule:
		required = []string{wireNote, wireWhen}
	}
	for _, r := range required {
		if byWire[r] == nil {
			errs = append(errs, fmt.Errorf("fields: %s needs %s; map it", c.action, r))
		}
	}

	// CLOSEM matches by email, then phone, whatever the job says; the match
	// key must be one of them so the runner serialises rows on it.
	if len(match) == 0 && c.action == actionAddContact && mode == connector.Upsert {
		errs = append(errs, errors.New("match: upsert needs a match key; CLOSEM matches by email or phone"))
	}
	for _, m := range match {
		if w, _ := c.wire(m); w != email && w != phone {
			errs = append(errs, fmt.Errorf("match %q: CLOSEM matches contacts only by email or phone", m))
		}
	}
	return errors.Join(errs...)
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strconv.Quote(s)
	}
	return out
}

// contactForm turns a record into an addcontact form (without mode and
// upsert), returning every problem at once as a non-retryable row error.
func (c *Client) contactForm(op string, rec mapping.Record) (url.Values, error) {
	form := url.Values{}
	from := map[string]string{} // wire name → the record field that gave it
	var probs []string
	for _, k := range rec.Keys() {
		v := strings.TrimSpace(rec[k])
		if v == "" {
			continue // not given: never sent, so nothing is blanked
		}
		if strings.HasPrefix(k, mapping.CustomPrefix) {
			probs = append(probs, k+": CLOSEM's API has no custom fields")
			continue
		}
		w, ok := contactWire(k)
		if !ok {
			probs = append(probs, k+": not a CLOSEM contact field")
			continue
		}
		if old, dup := from[w]; dup && form.Get(w) != v {
			probs = append(probs, fmt.Sprintf("%s and %s differ, and both are CLOSEM's %s", old, k, w))
			continue
		}
		from[w] = k
		form.Set(w, v)
	}
	if form.Get(wireEmail) == "" && form.Get(wirePhone) == "" {
		probs = append(probs, "CLOSEM needs a phone or an email to add a contact; this row has neither")
	}
	for _, w := range []string{wireTags, wireLists} {
		if v := form.Get(w); v != "" {
			ids, err := idList(v)
			if err != nil {
				probs = append(probs, fmt.Sprintf("%s %q: %v", from[w], v, err))
			}
			form.Set(w, ids)
		}
	}
	if v := form.Get(wireSequence); v != "" {
		if _, err := oneID(v); err != nil {
			probs = append(probs, fmt.Sprintf("%s %q: %v (CLOSEM takes one sequence id)", from[wireSequence], v, err))
		}
	}
	if form.Get(wireFullName) != "" {
		// CLOSEM ignores first and last name when a full name is passed.
		form.Del(wireFirstName)
		form.Del(wireLastName)
	}
	if len(probs) > 0 {
		return nil, c.rowError(op, "%s", strings.Join(probs, "; "))
	}
	return form, nil
}

// idList normalises a comma-separated list of CLOSEM ids ("42, 57" →
// "42,57"). Tags and lists are ids on CLOSEM's API page, not names.
func idList(v string) (string, error) {
	var ids []string
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item == "" {
			continue
		}
		id, err := oneID(item)
		if err != nil {
			return "", fmt.Errorf("%w; CLOSEM takes ids (numbers shown on its API page), not names", err)
		}
		if s := strconv.Itoa(id); !slices.Contains(ids, s) {
			ids = append(ids, s)
		}
	}
	return strings.Join(ids, ","), nil
}

// oneID reads one positive whole-number id.
func oneID(v string) (int, error) {
	id, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%q is not an id", v)
	}
	return id, nil
}
