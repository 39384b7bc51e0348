package mapping

import (
	"sort"
	"strings"
)

// CustomPrefix marks a custom field in a Record key: "custom.Lead Source".
const CustomPrefix = "custom."

// Record is one mapped row: canonical field names to text values.
//
// Standard fields use the canonical names of FieldNames (name, email, phone, …);
// custom fields are keyed "custom.<human name>" and each connector resolves the
// human name to its own id. Multi-valued fields (tags, lists) hold a
// comma-separated list. An empty value means "not given": connectors do not
// send it, so an update never blanks a field by accident.
type Record map[string]string

// Get returns the value of a field, "" when absent.
func (r Record) Get(field string) string { return r[field] }

// Custom returns the custom fields of r, keyed by their human name (without
// the "custom." prefix).
func (r Record) Custom() map[string]string {
	out := map[string]string{}
	for k, v := range r {
		if name, ok := strings.CutPrefix(k, CustomPrefix); ok {
			out[name] = v
		}
	}
	return out
}

// Keys returns the field names of r in sorted order, for stable output.
func (r Record) Keys() []string {
	keys := make([]string, 0, len(r))
	for k := range r {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// List splits a multi-valued field ("a, b,c") into its trimmed, non-empty items.
func (r Record) List(field string) []string {
	var out []string
	for _, s := range strings.Split(r[field], ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Canonical field names shared by every connector. A connector may accept
// more (its own native names); these are the ones jobs should prefer so a
// mapping moves between systems unchanged.
const (
	FieldName        = "name"         // a person's full name
	FieldFirstName   = "first_name"   //
	FieldLastName    = "last_name"    //
	FieldEmail       = "email"        // primary email address
	FieldPhone       = "phone"        // primary phone, ideally E.164
	FieldTitle       = "title"        // job title
	FieldCompany     = "company"      // organisation; Close's lead name
	FieldURL         = "url"          // website
	FieldDescription = "description"  // free text about the lead
	FieldNotes       = "notes"        // free-text notes
	FieldStatus      = "status"       // lead status label
	FieldAddress     = "address"      // street address
	FieldCity        = "city"         //
	FieldState       = "state"        //
	FieldZip         = "zip"          // postal code, kept as text
	FieldCountry     = "country"      // ISO 3166-1 alpha-2 where known
	FieldBirthDate   = "birth_date"   // ISO 8601 date
	FieldTags        = "tags"         // comma-separated
	FieldID          = "id"           // the target system's record id
	FieldCreatedAt   = "date_created" // RFC 3339, set by the system (export)
	FieldUpdatedAt   = "date_updated" // RFC 3339, set by the system (export)
)
