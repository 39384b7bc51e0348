package closem

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/mapping"
)

// The datetime layout CLOSEM documents for appointment_timestamp
// ("MM/DD/YYYY HH:MM PM", in the company timezone).
const closemLayout = "01/02/2006 03:04 PM"

// maxZoneBehind is the most negative UTC offset in use (UTC-12): a
// wall-clock time read as UTC that is this much earlier than now is past in
// every timezone.
const maxZoneBehind = 12 * time.Hour

// writeAction sends one runsequence or scheduleappointment call for the
// contact the row names by email or phone.
func (c *Client) writeAction(ctx context.Context, rec mapping.Record, opt connector.WriteOptions) (connector.Result, error) {
	op := "run sequence"
	if c.action == actionSchedule {
		op = "schedule appointment"
	}
	if opt.Mode != connector.Create {
		return connector.Result{}, c.rowError(op, "mode %s: %s takes mode create only", opt.Mode, c.action)
	}
	form, err := c.actionForm(op, rec)
	if err != nil {
		return connector.Result{}, err
	}
	form.Set("mode", c.action)
	resp, a, err := c.post(ctx, form, op)
	if err != nil {
		return connector.Result{}, notTwice(err)
	}
	if a.hasCount && a.count == 0 {
		return c.done(resp, connector.Skipped, "", "no CLOSEM contact has this email or phone"), nil
	}
	id := a.id
	if id == "" && len(a.contactIDs) == 1 {
		id = a.contactIDs[0]
	}
	note := ""
	if a.count > 1 {
		note = fmt.Sprintf("CLOSEM matched %d contacts", a.count)
	}
	return c.done(resp, connector.Created, id, note), nil
}

// notTwice makes a failure that may have been applied final: CLOSEM cannot
// be asked whether the sequence started or the appointment exists, and
// sending it again could do it twice. The row fails saying so.
func notTwice(err error) error {
	ce, ok := connector.AsError(err)
	if !ok || !ce.MaybeApplied || !ce.Retryable {
		return err
	}
	what := ce.Message
	if what == "" && ce.Err != nil {
		what = ce.Err.Error()
	}
	if what != "" {
		what += "; "
	}
	ce.Message = what + "outcome unknown, not sent again (it could run twice): check in CLOSEM, then retry the row if it was not done"
	ce.Retryable = false
	return ce
}

// actionForm turns a record into a runsequence or scheduleappointment form
// (without mode), returning every problem at once as a row error.
func (c *Client) actionForm(op string, rec mapping.Record) (url.Values, error) {
	form := url.Values{}
	from := map[string]string{}
	var probs []string
	for _, k := range rec.Keys() {
		v := strings.TrimSpace(rec[k])
		if v == "" {
			continue
		}
		w, ok := actionWire(c.action, k)
		if !ok {
			probs = append(probs, fmt.Sprintf("%s: not a field of CLOSEM's %s", k, c.action))
			continue
		}
		if old, dup := from[w]; dup && form.Get(w) != v {
			probs = append(probs, fmt.Sprintf("%s and %s differ, and both give CLOSEM's %s", old, k, w))
			continue
		}
		from[w] = k
		form.Set(w, v)
	}
	if v := form.Get(wireEmails); v != "" {
		form.Set(wireEmails, strings.Join(mapping.Record{"v": v}.List("v"), ","))
	}
	if v := form.Get(wirePhones); v != "" {
		var phones []string
		for _, p := range (mapping.Record{"v": v}).List("v") {
			us, err := usPhone(p)
			if err != nil {
				probs = append(probs, fmt.Sprintf("%s %q: %v", from[wirePhones], p, err))
			}
			phones = append(phones, us)
		}
		form.Set(wirePhones, strings.Join(phones, ","))
	}
	if form.Get(wireEmails) == "" && form.Get(wirePhones) == "" {
		probs = append(probs, "CLOSEM needs the contact's email or phone; this row has neither")
	}
	switch c.action {
	case actionRunSequence:
		if v := form.Get(wireSequence); v == "" {
			probs = append(probs, "sequence_id is missing")
		} else if id, err := oneID(v); err != nil {
			probs = append(probs, fmt.Sprintf("sequence_id: %v (CLOSEM takes one sequence id)", err))
		} else {
			form.Set(wireSequence, strconv.Itoa(id))
		}
	case actionSchedule:
		if form.Get(wireNote) == "" {
			probs = append(probs, "appointment_note is missing")
		}
		if v := form.Get(wireWhen); v == "" {
			probs = append(probs, "appointment_timestamp is missing")
		} else if when, err := appointmentTime(v, c.now()); err != nil {
			probs = append(probs, fmt.Sprintf("appointment_timestamp %q: %v", v, err))
		} else {
			form.Set(wireWhen, when)
		}
	}
	if len(probs) > 0 {
		return nil, c.rowError(op, "%s", strings.Join(probs, "; "))
	}
	return form, nil
}

// usPhone writes a phone in the +1########## form runsequence and
// scheduleappointment accept; CLOSEM lists only US formats there.
func usPhone(p string) (string, error) {
	var digits strings.Builder
	for _, r := range p {
		switch {
		case r >= '0' && r <= '9':
			digits.WriteRune(r)
		case strings.ContainsRune(" +-().", r):
		default:
			return "", errors.New("not a phone number")
		}
	}
	d := digits.String()
	switch {
	case len(d) == 10:
		return "+1" + d, nil
	case len(d) == 11 && d[0] == '1':
		return "+" + d, nil
	}
	return "", errors.New("CLOSEM finds contacts only by US phone numbers here (+1 (###) ###-####, +1##########, …)")
}

// appointmentTime converts a record's appointment time to what CLOSEM
// accepts, checking that it is in the future:
//
//   - with a zone (a UNIX timestamp in seconds, or RFC 3339): a UNIX
//     timestamp, which needs no timezone;
//   - without one (MM/DD/YY[YY] HH:MM AM|PM, YYYY-MM-DD HH:MM[:SS]): the
//     documented MM/DD/YYYY HH:MM PM, which CLOSEM reads in the company
//     timezone. Such a time is refused only when it is past in every
//     timezone, since the company's is not known here.
func appointmentTime(v string, now time.Time) (string, error) {
	if isDigits(v) {
		secs, err := strconv.ParseInt(v, 10, 64)
		if err != nil || len(v) > 10 {
			return "", errors.New("a UNIX timestamp must be in seconds")
		}
		if !time.Unix(secs, 0).After(now) {
			return "", errors.New("must be in the future")
		}
		return v, nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04Z07:00"} {
		if t, err := time.Parse(layout, v); err == nil {
			if !t.After(now) {
				return "", errors.New("must be in the future")
			}
			return strconv.FormatInt(t.Unix(), 10), nil
		}
	}
	up := strings.ToUpper(v)
	for _, layout := range []string{"1/2/2006 3:04 PM", "1/2/06 3:04 PM", "2006-01-02 15:04", "2006-01-02 15:04:05",
		"2006-01-02T15:04", "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, up); err == nil {
			if !t.Add(maxZoneBehind).After(now) {
				return "", errors.New("must be in the future")
			}
			return t.Format(closemLayout), nil
		}
	}
	return "", errors.New("want a UNIX timestamp, an RFC 3339 time (2025-04-01T12:30:00-07:00), MM/DD/YYYY HH:MM AM or YYYY-MM-DD HH:MM")
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
