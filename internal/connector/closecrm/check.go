package closecrm

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/mapping"
)

// fieldLeadID places a new contact under an existing lead.
const fieldLeadID = "lead_id"

// knownFields lists the canonical fields obj accepts (custom.<name> aside);
// nil for an unknown object.
func knownFields(obj connector.Object) []string {
	switch obj {
	case connector.Lead:
		return []string{
			mapping.FieldID, mapping.FieldCompany, mapping.FieldName, mapping.FieldFirstName, mapping.FieldLastName,
			mapping.FieldEmail, mapping.FieldPhone, mapping.FieldTitle, mapping.FieldURL, mapping.FieldDescription,
			mapping.FieldStatus, mapping.FieldAddress, mapping.FieldCity, mapping.FieldState, mapping.FieldZip,
			mapping.FieldCountry,
		}
	case connector.Contact:
		return []string{
			mapping.FieldID, fieldLeadID, mapping.FieldCompany, mapping.FieldName, mapping.FieldFirstName,
			mapping.FieldLastName, mapping.FieldEmail, mapping.FieldPhone, mapping.FieldTitle,
		}
	}
	return nil
}

// matchable reports whether a match key may name f (id only alone).
func matchable(f string) bool {
	return f == mapping.FieldEmail || f == mapping.FieldPhone || f == mapping.FieldID
}

// CheckWrite reports every problem with writing obj in mode, matched on
// match, from fields: unknown fields, unsupported match keys, and mode and
// match combinations that cannot work.
func (c *Client) CheckWrite(obj connector.Object, mode connector.Mode, match []string, fields []string) error {
	known := knownFields(obj)
	if known == nil {
		return fmt.Errorf("close: unknown object %q (use lead or contact)", obj)
	}
	var errs []error
	switch mode {
	case connector.Create, connector.Update, connector.Upsert:
	default:
		errs = append(errs, fmt.Errorf("unknown mode %q (use create, update or upsert)", mode))
	}
	for _, f := range fields {
		if name, ok := strings.CutPrefix(f, mapping.CustomPrefix); ok {
			if strings.TrimSpace(name) == "" {
				errs = append(errs, fmt.Errorf("field %q: a custom field needs a name after %q", f, mapping.CustomPrefix))
			}
			continue
		}
		if !slices.Contains(known, f) {
			errs = append(errs, fmt.Errorf("field %q: Close %ss have no such field (known: %s, custom.<name>)",
				f, obj, strings.Join(known, ", ")))
		}
	}
	errs = append(errs, checkMatch(obj, mode, match, fields)...)
	return errors.Join(errs...)
}

func checkMatch(obj connector.Object, mode connector.Mode, match, fields []string) []error {
	var errs []error
	seen := map[string]bool{}
	for _, m := range match {
		switch {
		case !matchable(m):
			errs = append(errs, fmt.Errorf("match key %q: Close %ss can be matched on email, phone or id only", m, obj))
		case seen[m]:
			errs = append(errs, fmt.Errorf("match key %q is given twice", m))
		case !slices.Contains(fields, m):
			errs = append(errs, fmt.Errorf("match key %q: no mapping gives this field", m))
		}
		seen[m] = true
	}
	if seen[mapping.FieldID] {
		switch {
		case len(match) > 1:
			errs = append(errs, errors.New("match key id must stand alone"))
		case mode == connector.Upsert:
			errs = append(errs, errors.New("mode upsert cannot match on id: Close picks the id of a new record; use mode update"))
		case mode == connector.Create:
			errs = append(errs, errors.New("mode create cannot match on id: Close picks the id of a new record"))
		}
	} else if slices.Contains(fields, mapping.FieldID) {
		errs = append(errs, errors.New(`field "id": Close sets record ids; it can only be used as the match key of mode update`))
	}
	if (mode == connector.Update || mode == connector.Upsert) && len(match) == 0 {
		errs = append(errs, fmt.Errorf("mode %s needs a match key (email, phone or id)", mode))
	}
	return errs
}

// matchKeys returns the keys used to find rec: the job's match key, or for
// a create being verified without one, the email or else the phone it has.
func matchKeys(rec mapping.Record, opt connector.WriteOptions) []string {
	if len(opt.Match) > 0 {
		return opt.Match
	}
	for _, f := range []string{mapping.FieldEmail, mapping.FieldPhone} {
		if rec.Get(f) != "" {
			return []string{f}
		}
	}
	return nil
}

// contactName is the person's name a record gives: name, or first and last
// name joined.
func contactName(rec mapping.Record) string {
	if n := strings.TrimSpace(rec.Get(mapping.FieldName)); n != "" {
		return n
	}
	return strings.TrimSpace(strings.TrimSpace(rec.Get(mapping.FieldFirstName)) + " " +
		strings.TrimSpace(rec.Get(mapping.FieldLastName)))
}
