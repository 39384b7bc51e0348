package closum

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/mapping"
)

// Native field names accepted in records besides the canonical ones.
const (
	fieldMobile        = "mobile_number"              // Closum's name for phone
	fieldStage         = "contact_lifecycle_stage_id" // 1–9
	fieldStageAlias    = "lifecycle_stage"            // same, shorter
	fieldConsentEmail  = "consent_email"              // true/false/yes/no/1/0
	fieldConsentSMS    = "consent_sms"                // idem
	fieldCustomData    = "custom_data"                // JSON text; lead/add only
	fieldSalesSequence = "sales_sequence_id"          // lead edit only
	fieldUser          = "user_id"                    // lead edit only
)

// usage says which lead endpoints take a field.
type usage int

const (
	onAdd  usage = 1 << iota // lead/add (create, upsert)
	onEdit                   // lead/edit, lead/edit-by-email (update)
	both   = onAdd | onEdit
)

// fieldUsage says whether obj takes a (non-custom) field and on which
// endpoints, as the collection documents them; contacts use one body for
// add and edit.
func fieldUsage(obj connector.Object, name string) (usage, bool) {
	if obj != connector.Lead && obj != connector.Contact {
		return 0, false
	}
	switch name {
	case mapping.FieldName, mapping.FieldFirstName, mapping.FieldLastName, mapping.FieldEmail,
		mapping.FieldPhone, fieldMobile, mapping.FieldBirthDate, mapping.FieldTags,
		fieldConsentEmail, fieldConsentSMS, mapping.FieldID:
		return both, true
	}
	if obj != connector.Lead {
		return 0, false
	}
	switch name {
	case fieldStage, fieldStageAlias:
		return both, true
	case fieldCustomData:
		return onAdd, true
	case fieldSalesSequence, fieldUser:
		return onEdit, true
	}
	return 0, false
}

// fieldNames lists the fields obj takes, sorted, for messages.
func fieldNames(obj connector.Object) []string {
	var out []string
	for _, f := range []string{mapping.FieldName, mapping.FieldFirstName, mapping.FieldLastName,
		mapping.FieldEmail, mapping.FieldPhone, fieldMobile, mapping.FieldBirthDate, mapping.FieldTags,
		fieldConsentEmail, fieldConsentSMS, mapping.FieldID, fieldStage, fieldStageAlias,
		fieldCustomData, fieldSalesSequence, fieldUser} {
		if _, ok := fieldUsage(obj, f); ok {
			out = append(out, f)
		}
	}
	sort.Strings(out)
	return out
}

// matchKeys lists the match keys each object and mode support. Lead upsert
// is Closum's own (lead/add with update_enabled), keyed by email; lead
// updates go by email (lead/edit-by-email) or through a lookup by phone or
// id then lead/edit/{id}. Contacts are found by email or phone with the
// contact/view finders. Create uses the key only to verify an uncertain
// earlier attempt.
func matchKeys(obj connector.Object, mode connector.Mode) []string {
	switch {
	case obj == connector.Lead && mode == connector.Upsert:
		return []string{mapping.FieldEmail}
	case mode == connector.Update:
		return []string{mapping.FieldEmail, mapping.FieldPhone, mapping.FieldID}
	}
	return []string{mapping.FieldEmail, mapping.FieldPhone}
}

// CheckWrite reports every problem with writing fields to obj in mode with
// the match key, without calling the API.
func (c *Client) CheckWrite(obj connector.Object, mode connector.Mode, match []string, fields []string) error {
	if obj != connector.Lead && obj != connector.Contact {
		return fmt.Errorf("closum: unknown object %q (want lead or contact)", obj)
	}
	var errs []error
	switch mode {
	case connector.Create, connector.Update, connector.Upsert:
	default:
		return fmt.Errorf("closum: unknown mode %q (want create, update or upsert)", mode)
	}
	have := map[string]bool{}
	for _, f := range fields {
		have[f] = true
	}
	errs = append(errs, checkMatch(obj, mode, match, have)...)

	add := obj == connector.Contact || mode != connector.Update
	for _, f := range fields {
		if name, ok := strings.CutPrefix(f, mapping.CustomPrefix); ok {
			switch {
			case strings.TrimSpace(name) == "":
				errs = append(errs, fmt.Errorf("field %q: custom field without a name", f))
			case obj == connector.Lead && mode == connector.Update:
				errs = append(errs, fmt.Errorf("field %q: Closum's lead edit takes no custom fields; use mode upsert (lead/add with update_enabled)", f))
			}
			continue
		}
		u, ok := fieldUsage(obj, f)
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("field %q: not a Closum %s field (known: %s, custom.<name>)", f, obj, strings.Join(fieldNames(obj), ", ")))
		case f == mapping.FieldID && !contains(match, mapping.FieldID):
			errs = append(errs, fmt.Errorf("field %q: Closum sets ids; map it only to update with match [id]", f))
		case obj == connector.Lead && add && u&onAdd == 0:
			errs = append(errs, fmt.Errorf("field %q: Closum's lead/add does not take it (only lead edit, mode update)", f))
		case obj == connector.Lead && !add && u&onEdit == 0:
			errs = append(errs, fmt.Errorf("field %q: Closum's lead edit does not take it (only lead/add, modes create and upsert)", f))
		}
	}
	for _, pair := range [][2]string{{mapping.FieldPhone, fieldMobile}, {fieldStage, fieldStageAlias}} {
		if have[pair[0]] && have[pair[1]] {
			errs = append(errs, fmt.Errorf("fields %q and %q: both are Closum's %s; map one", pair[0], pair[1], pair[1]))
		}
	}
	if add && mode != connector.Update && !have[mapping.FieldEmail] && !have[mapping.FieldPhone] && !have[fieldMobile] {
		errs = append(errs, fmt.Errorf("fields: Closum needs an email or a phone to add a %s; map email or phone", obj))
	}
	return errors.Join(errs...)
}

// checkMatch validates the match key for obj and mode.
func checkMatch(obj connector.Object, mode connector.Mode, match []string, have map[string]bool) []error {
	keys := matchKeys(obj, mode)
	switch {
	case len(match) == 0 && mode == connector.Create:
		return nil
	case len(match) == 0:
		return []error{fmt.Errorf("match: %s %s needs a match key (one of %s)", mode, obj, strings.Join(keys, ", "))}
	case len(match) > 1:
		return []error{fmt.Errorf("match %v: Closum finds a %s by one field; use one of %s", match, obj, strings.Join(keys, ", "))}
	}
	m := match[0]
	if m == fieldMobile {
		m = mapping.FieldPhone
	}
	if !contains(keys, m) {
		return []error{fmt.Errorf("match %q: Closum cannot %s a %s by it; use one of %s", match[0], mode, obj, strings.Join(keys, ", "))}
	}
	if !have[match[0]] && !(m == mapping.FieldPhone && (have[mapping.FieldPhone] || have[fieldMobile])) {
		return []error{fmt.Errorf("match %q: the field is not mapped", match[0])}
	}
	return nil
}

// input is a record checked and converted to Closum's values.
type input struct {
	id, name, email, phone, birthDate, customData string
	consentEmail, consentSMS                      *bool
	stage, salesSequenceID, userID                int
	tags                                          []string
	custom                                        map[string]string // var → value
}

// parse checks rec field by field and converts it, returning every problem
// at once as a non-retryable row error.
func (c *Client) parse(op string, obj connector.Object, rec mapping.Record) (input, error) {
	in := input{custom: map[string]string{}}
	var probs []string
	bad := func(format string, args ...any) { probs = append(probs, fmt.Sprintf(format, args...)) }
	fs, loaded := c.customFields()
	for _, k := range rec.Keys() {
		v := strings.TrimSpace(rec[k])
		if v == "" {
			continue // not given: never sent, so nothing is blanked
		}
		if name, ok := strings.CutPrefix(k, mapping.CustomPrefix); ok {
			switch vr, ok := resolve(fs, name); {
			case !loaded:
				bad("%s: custom fields are unknown until Prepare has run", k)
			case !ok:
				bad("%s: no such Closum custom field", k)
			default:
				in.custom[vr] = v
			}
			continue
		}
		if _, ok := fieldUsage(obj, k); !ok {
			bad("%s: not a Closum %s field", k, obj)
			continue
		}
		switch k {
		case mapping.FieldID:
			in.id = v
		case mapping.FieldName:
			in.name = v
		case mapping.FieldEmail:
			in.email = v
		case mapping.FieldPhone, fieldMobile:
			if in.phone != "" && in.phone != v {
				bad("phone %q and mobile_number %q differ", in.phone, v)
			}
			in.phone = v
		case mapping.FieldBirthDate:
			d, err := ymd(v)
			if err != nil {
				bad("birth_date %q: %v", v, err)
			}
			in.birthDate = d
		case mapping.FieldTags:
			in.tags = rec.List(k)
		case fieldConsentEmail, fieldConsentSMS:
			b, err := parseBool(v)
			if err != nil {
				bad("%s %q: %v", k, v, err)
			} else if k == fieldConsentEmail {
				in.consentEmail = &b
			} else {
				in.consentSMS = &b
			}
		case fieldStage, fieldStageAlias:
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 9 {
				bad("%s %q: must be a number from 1 to 9", k, v)
			} else if in.stage != 0 && in.stage != n {
				bad("contact_lifecycle_stage_id %d and lifecycle_stage %d differ", in.stage, n)
			}
			in.stage = n
		case fieldCustomData:
			if !json.Valid([]byte(v)) {
				bad("custom_data: not valid JSON")
			}
			in.customData = v
		case fieldSalesSequence, fieldUser:
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				bad("%s %q: must be a positive number", k, v)
			} else if k == fieldUser {
				in.userID = n
			} else {
				in.salesSequenceID = n
			}
		}
	}
	if in.name == "" {
		in.name = strings.TrimSpace(strings.TrimSpace(rec[mapping.FieldFirstName]) + " " + strings.TrimSpace(rec[mapping.FieldLastName]))
	}
	if len(probs) > 0 {
		return in, rowError(op, "%s", strings.Join(probs, "; "))
	}
	return in, nil
}

// parseBool reads a consent flag.
func parseBool(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "yes", "1":
		return true, nil
	case "false", "no", "0":
		return false, nil
	}
	return false, errors.New("want true, false, yes, no, 1 or 0")
}

// ymd returns a date as Y-m-d, the only format Closum accepts; a full
// RFC 3339 timestamp is cut to its date.
func ymd(v string) (string, error) {
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t.Format(time.DateOnly), nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.Format(time.DateOnly), nil
	}
	return "", errors.New("want a date as YYYY-MM-DD")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
