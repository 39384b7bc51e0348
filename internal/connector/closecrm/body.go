package closecrm

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/crmload/crmload/mapping"
)

// Request bodies. Bodies are maps so that a field the record leaves empty
// is absent from the JSON, never sent blank, and custom fields can be keyed
// "custom.<id>" as Close wants.

// val is a record's value for f; blank means "not given".
func val(rec mapping.Record, f string) string { return strings.TrimSpace(rec.Get(f)) }

// contactBody holds a new contact's fields, nested in a lead or posted alone.
func contactBody(rec mapping.Record) map[string]any {
	b := map[string]any{}
	if n := contactName(rec); n != "" {
		b["name"] = n
	}
	if v := val(rec, mapping.FieldTitle); v != "" {
		b["title"] = v
	}
	if v := val(rec, mapping.FieldEmail); v != "" {
		b["emails"] = []emailEntry{{Type: "office", Email: v}}
	}
	if v := val(rec, mapping.FieldPhone); v != "" {
		b["phones"] = []phoneEntry{{Type: "office", Phone: v}}
	}
	return b
}

// leadBody is a new lead with its contact nested (when the record gives
// any contact field) and its lead custom fields.
func leadBody(rec mapping.Record, cfs map[string]customField) (map[string]any, error) {
	b := map[string]any{}
	if v := val(rec, mapping.FieldCompany); v != "" {
		b["name"] = v
	}
	if v := val(rec, mapping.FieldURL); v != "" {
		b["url"] = v
	}
	if v := val(rec, mapping.FieldDescription); v != "" {
		b["description"] = v
	}
	if v := val(rec, mapping.FieldStatus); v != "" {
		b["status"] = v // a status label, which Close accepts in place of status_id
	}
	if a, ok := mergeAddress(address{Label: "business"}, rec); ok {
		b["addresses"] = []address{a}
	}
	if ct := contactBody(rec); len(ct) > 0 {
		b["contacts"] = []map[string]any{ct}
	}
	if err := addCustom(b, rec, cfs, nil); err != nil {
		return nil, err
	}
	return b, nil
}

// addCustom puts the record's custom fields into b as "custom.<id>": all of
// them when held is nil (a new record), else those that differ from held.
func addCustom(b map[string]any, rec mapping.Record, cfs map[string]customField, held map[string]json.RawMessage) error {
	var missing []string
	for name, v := range rec.Custom() {
		if strings.TrimSpace(v) == "" {
			continue
		}
		f, ok := cfs[customKey(name)]
		if !ok {
			missing = append(missing, fmt.Sprintf("%q", name))
			continue
		}
		if held != nil && sameCustom(f, v, heldCustom(held, f)) {
			continue
		}
		b["custom."+f.ID] = customJSON(f, v)
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return fmt.Errorf("custom field %s was not resolved by Prepare", strings.Join(missing, ", "))
	}
	return nil
}

// heldCustom finds the value Close holds for f: by id, or by name in the
// deprecated "custom" dict.
func heldCustom(held map[string]json.RawMessage, f customField) json.RawMessage {
	if v, ok := held[f.ID]; ok {
		return v
	}
	for k, v := range held {
		if customKey(k) == customKey(f.Name) {
			return v
		}
	}
	return nil
}

// mergeAddress lays the record's address fields over cur; ok is false when
// the record gives none.
func mergeAddress(cur address, rec mapping.Record) (address, bool) {
	given := false
	set := func(dst *string, f string) {
		if v := val(rec, f); v != "" {
			*dst, given = v, true
		}
	}
	set(&cur.Address1, mapping.FieldAddress)
	set(&cur.City, mapping.FieldCity)
	set(&cur.State, mapping.FieldState)
	set(&cur.Zipcode, mapping.FieldZip)
	set(&cur.Country, mapping.FieldCountry)
	return cur, given
}

// sameAddress compares the fields a record can set.
func sameAddress(a, b address) bool {
	return sameText(a.Address1, b.Address1) && sameText(a.City, b.City) && sameText(a.State, b.State) &&
		sameText(a.Zipcode, b.Zipcode) && sameFold(a.Country, b.Country)
}

// leadPatch is the PUT body for the lead's own fields that the record
// changes; empty when nothing differs.
func leadPatch(cur leadData, rec mapping.Record, cfs map[string]customField) (map[string]any, error) {
	b := map[string]any{}
	if v := val(rec, mapping.FieldCompany); v != "" && !sameText(v, cur.Name) {
		b["name"] = v
	}
	if v := val(rec, mapping.FieldURL); v != "" && !sameURL(v, cur.URL) {
		b["url"] = v
	}
	if v := val(rec, mapping.FieldDescription); v != "" && !sameText(v, cur.Description) {
		b["description"] = v
	}
	if v := val(rec, mapping.FieldStatus); v != "" && !sameFold(v, cur.StatusLabel) {
		b["status"] = v
	}
	first := address{Label: "business"}
	if len(cur.Addresses) > 0 {
		first = cur.Addresses[0]
	}
	if merged, ok := mergeAddress(first, rec); ok && (len(cur.Addresses) == 0 || !sameAddress(merged, first)) {
		// Close replaces the whole list: send the others back unchanged.
		addrs := append([]address{merged}, tail(cur.Addresses)...)
		b["addresses"] = addrs
	}
	if err := addCustom(b, rec, cfs, orEmpty(cur.Custom)); err != nil {
		return nil, err
	}
	return b, nil
}

// contactPatch is the PUT body for a contact's fields that the record
// changes; empty when nothing differs. cfs is nil for a lead write (its
// custom fields are the lead's).
func contactPatch(cur contactData, rec mapping.Record, cfs map[string]customField, region string) (map[string]any, error) {
	b := map[string]any{}
	if n := contactName(rec); n != "" && !sameText(n, cur.Name) {
		b["name"] = n
	}
	if v := val(rec, mapping.FieldTitle); v != "" && !sameFold(v, cur.Title) {
		b["title"] = v
	}
	if v := val(rec, mapping.FieldEmail); v != "" && !hasEmail(cur.Emails, v) {
		// The new address goes first (the primary); the others are kept.
		b["emails"] = append([]emailEntry{{Type: "office", Email: v}}, cur.Emails...)
	}
	if v := val(rec, mapping.FieldPhone); v != "" && !hasPhone(cur.Phones, v, region) {
		b["phones"] = append([]phoneEntry{{Type: "office", Phone: v}}, cur.Phones...)
	}
	if cfs != nil {
		if err := addCustom(b, rec, cfs, orEmpty(cur.Custom)); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func tail[T any](s []T) []T {
	if len(s) < 2 {
		return nil
	}
	return s[1:]
}

// orEmpty turns nil into an empty map, so addCustom compares instead of
// sending everything.
func orEmpty(m map[string]json.RawMessage) map[string]json.RawMessage {
	if m == nil {
		return map[string]json.RawMessage{}
	}
	return m
}
