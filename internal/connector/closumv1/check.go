package closumv1

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/mapping"
)

// CheckWrite reports, without calling the API, every problem with writing
// fields to obj in mode with the match key: mode update (v1 has no lead
// update), unknown or read-only fields, and match keys other than email
// and phone or not mapped.
func (c *Client) CheckWrite(obj connector.Object, mode connector.Mode, match []string, fields []string) error {
	known := knownFields(obj)
	if known == nil {
		return fmt.Errorf("closum-v1: unknown object %q (want lead or contact)", obj)
	}
	var errs []error
	switch mode {
	case connector.Create, connector.Upsert:
	case connector.Update:
		errs = append(errs, fmt.Errorf("mode update: %s", reasonNoUpdate))
	default:
		errs = append(errs, fmt.Errorf("unknown mode %q (want create or upsert)", mode))
	}
	have := map[string]bool{}
	for _, f := range fields {
		have[f] = true
		if name, ok := strings.CutPrefix(f, mapping.CustomPrefix); ok {
			switch {
			case strings.TrimSpace(name) == "":
				errs = append(errs, fmt.Errorf("field %q: a custom field needs a name after %q", f, mapping.CustomPrefix))
			case obj != connector.Lead:
				errs = append(errs, fmt.Errorf("field %q: Closum v1 unqualified leads have no custom data (only leads take custom.<name>, in custom_data)", f))
			}
			continue
		}
		switch {
		case f == mapping.FieldID || f == mapping.FieldCreatedAt:
			errs = append(errs, fmt.Errorf("field %q: Closum sets it; it cannot be written", f))
		case !slices.Contains(known, f):
			errs = append(errs, fmt.Errorf("field %q: not a Closum v1 %s field (known: %s%s)",
				f, noun(obj), strings.Join(known, ", "), customHint(obj)))
		}
	}
	if have[mapping.FieldCity] && have[fieldCityID] {
		errs = append(errs, errors.New(`fields "city" and "city_id": both set the lead's city; map one`))
	}
	errs = append(errs, checkMatch(mode, match, have)...)
	return errors.Join(errs...)
}

func customHint(obj connector.Object) string {
	if obj == connector.Lead {
		return ", custom.<name>"
	}
	return ""
}

// checkMatch validates the match key: email and/or phone, each mapped;
// needed by upsert, optional for create (where it only verifies).
func checkMatch(mode connector.Mode, match []string, have map[string]bool) []error {
	var errs []error
	seen := map[string]bool{}
	for _, m := range match {
		switch {
		case m != mapping.FieldEmail && m != mapping.FieldPhone:
			errs = append(errs, fmt.Errorf("match key %q: Closum v1 records can be matched on email or phone only", m))
		case seen[m]:
			errs = append(errs, fmt.Errorf("match key %q is given twice", m))
		case !have[m]:
			errs = append(errs, fmt.Errorf("match key %q: no mapping gives this field", m))
		}
		seen[m] = true
	}
	if mode == connector.Upsert && len(match) == 0 {
		errs = append(errs, errors.New("mode upsert needs a match key (email, phone or both)"))
	}
	return errs
}
