package closem

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The datetime layouts appointment_timestamp accepts besides a UNIX
// timestamp ("MM/DD/YY HH:MM AM", "MM/DD/YYYY HH:MM PM").
const (
	layoutShortYear = "01/02/06 03:04 PM"
	layoutLongYear  = "01/02/2006 03:04 PM"
)

// parseSelector reads who a runsequence or scheduleappointment acts on.
func parseSelector(fm form) (selector, []string) {
	var sel selector
	var probs []string
	for _, e := range splitList(fm.get("contact_emails")) {
		if !validEmail(e) {
			probs = append(probs, "contact_emails: invalid email address "+quoteShort(e))
			continue
		}
		sel.emails = append(sel.emails, e)
	}
	for _, p := range splitList(fm.get("contact_phones")) {
		if !validUSPhone(p) {
			probs = append(probs, "contact_phones: "+quoteShort(p)+" is not in an accepted format (+1 (###) ###-####, +1##########, 1##########, 1-###-###-####)")
			continue
		}
		sel.phones = append(sel.phones, p)
	}
	var err error
	if sel.lists, err = parseIDs(fm.field("contactlists")); err != nil {
		probs = append(probs, "contactlists: "+err.Error())
	}
	if sel.tags, err = parseIDs(fm.field("tags")); err != nil {
		probs = append(probs, "tags: "+err.Error())
	}
	if len(probs) == 0 && len(sel.emails)+len(sel.phones)+len(sel.lists)+len(sel.tags) == 0 {
		probs = append(probs, "One of contact_emails, contact_phones, contact_lists or tags is required")
	}
	return sel, probs
}

// runSequence starts a sequence on every contact the selector matches.
func (f *Fake) runSequence(w http.ResponseWriter, fm form) {
	var probs []string
	seq := 0
	if v := fm.get("sequence_id"); v == "" {
		probs = append(probs, "sequence_id is required")
	} else if id, err := parseID(v); err != nil {
		probs = append(probs, "sequence_id: "+err.Error())
	} else {
		seq = id
	}
	sel, more := parseSelector(fm)
	if probs = append(probs, more...); len(probs) > 0 {
		f.fail(w, http.StatusBadRequest, strings.Join(probs, "; "))
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	ids := f.d.match(sel)
	if len(ids) == 0 {
		f.fail(w, http.StatusNotFound, "No matching contacts found")
		return
	}
	f.d.runs = append(f.d.runs, runRec{ID: f.d.nextRun, SequenceID: seq, Via: modeRunSequence, ContactIDs: ids, Created: f.now()})
	f.d.nextRun++
	f.saver.Changed()
	f.reply(w, http.StatusOK, sequenceAnswer{Success: true, SequenceID: strconv.Itoa(seq), Contacts: len(ids), ContactIDs: idStrings(ids)})
}

// scheduleAppointment books one appointment for every contact the
// selector matches.
func (f *Fake) scheduleAppointment(w http.ResponseWriter, fm form) {
	var probs []string
	note := fm.get("appointment_note")
	if note == "" {
		probs = append(probs, "appointment_note is required")
	}
	given := fm.get("appointment_timestamp")
	var at time.Time
	if given == "" {
		probs = append(probs, "appointment_timestamp is required")
	} else if t, err := parseWhen(given, f.now()); err != nil {
		probs = append(probs, "appointment_timestamp: "+err.Error())
	} else {
		at = t
	}
	sel, more := parseSelector(fm)
	if probs = append(probs, more...); len(probs) > 0 {
		f.fail(w, http.StatusBadRequest, strings.Join(probs, "; "))
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	ids := f.d.match(sel)
	if len(ids) == 0 {
		f.fail(w, http.StatusNotFound, "No matching contacts found")
		return
	}
	a := appointmentRec{ID: f.d.nextAppt, Note: note, At: at, Given: given, ContactIDs: ids, Created: f.now()}
	f.d.appointments = append(f.d.appointments, a)
	f.d.nextAppt++
	f.saver.Changed()
	f.reply(w, http.StatusOK, appointmentAnswer{Success: true, AppointmentID: strconv.Itoa(a.ID), Contacts: len(ids), ContactIDs: idStrings(ids)})
}

// parseWhen reads an appointment_timestamp: UNIX seconds, or a datetime in
// one of the two documented layouts in the company timezone (UTC here). It
// must be in the future.
func parseWhen(s string, now time.Time) (time.Time, error) {
	var t time.Time
	if isDigits(s) {
		secs, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return t, errors.New("UNIX timestamp out of range")
		}
		t = time.Unix(secs, 0).UTC()
	} else {
		// AM/PM are interchangeable and may come in lower case.
		up := strings.ToUpper(s)
		var err error
		if t, err = time.Parse(layoutLongYear, up); err != nil {
			if t, err = time.Parse(layoutShortYear, up); err != nil {
				return t, errors.New(quoteShort(s) + " is neither a UNIX timestamp nor MM/DD/YY HH:MM AM or MM/DD/YYYY HH:MM PM")
			}
		}
	}
	if !t.After(now) {
		return t, errors.New("must be a time in the future (not the past!)")
	}
	return t, nil
}

// validUSPhone accepts the listed formats and the page's own examples
// (777-888-9999): a US number of 10 digits, or 11 starting with 1.
func validUSPhone(s string) bool {
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune(" +-()", r):
		default:
			return false
		}
	}
	k := phoneKey(s)
	return (digits == 10 || digits == 11) && len(k) == 10
}

// splitList splits a comma-separated value into trimmed, non-empty items.
func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

func idStrings(ids []int) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = strconv.Itoa(id)
	}
	return out
}
