package qlara

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/crmload/crmload/mapping"
)

// kind says how a record value maps onto Qlara properties.
type kind int

const (
	kindText    kind = iota // one string property, set as given
	kindEmail               // mainEmail, and added to emailAddresses
	kindPhone               // added to phoneNumbers; must be E.164
	kindTags                // tags: comma-separated items added to the array
	kindAddress             // one address added to addresses (commas are part of it)
)

// field is one writable contact property and the record keys that feed it.
type field struct {
	key     string   // preferred record key: the canonical name where one exists
	aliases []string // other accepted keys: Qlara's own name, custom.<name>
	wire    string   // Qlara property
	kind    kind
}

// fieldTable lists every writable contact property of POST /contacts. It is
// built per connector, not held in a package variable.
func fieldTable() []field {
	t := []field{
		{key: mapping.FieldName, aliases: []string{"fullName"}, wire: "fullName"},
		{key: mapping.FieldFirstName, aliases: []string{"firstName"}, wire: "firstName"},
		{key: mapping.FieldLastName, aliases: []string{"lastName"}, wire: "lastName"},
		{key: mapping.FieldEmail, aliases: []string{"mainEmail"}, wire: "mainEmail", kind: kindEmail},
		{key: mapping.FieldPhone, wire: "phoneNumbers", kind: kindPhone},
		{key: mapping.FieldTags, wire: "tags", kind: kindTags},
		{key: mapping.FieldTitle, aliases: []string{"jobTitle"}, wire: "jobTitle"},
		{key: mapping.FieldCompany, aliases: []string{"organization"}, wire: "organization"},
		{key: mapping.FieldURL, aliases: []string{"website"}, wire: "website"},
		{key: mapping.FieldNotes, wire: "notes"},
		{key: mapping.FieldStatus, aliases: []string{"stage"}, wire: "stage"},
		{key: mapping.FieldAddress, aliases: []string{"addresses"}, wire: "addresses", kind: kindAddress},
		{key: mapping.FieldCity, wire: "city"},
		{key: mapping.FieldCountry, wire: "country"},
		{key: mapping.FieldBirthDate, aliases: []string{"birthday"}, wire: "birthday"},
	}
	for _, native := range []string{
		"middleName", "prefix", "suffix", "gender", "nickname",
		"companyName", "companyMail", "companyPhone", "companyFax", "completeCompanyAddress",
		"fiscalCode", "sector", "referenceContact", "source", "leadType", "channel", "owner",
		"customField1", "customField2", "customField3",
	} {
		f := field{key: native, wire: native}
		if strings.HasPrefix(native, "customField") {
			f.aliases = []string{mapping.CustomPrefix + native}
		}
		t = append(t, f)
	}
	return t
}

// fieldIndex finds a field by any of its record keys.
type fieldIndex map[string]*field

func newFieldIndex() fieldIndex {
	idx := fieldIndex{}
	for _, f := range fieldTable() {
		f := f
		idx[f.key] = &f
		for _, a := range f.aliases {
			idx[a] = &f
		}
	}
	return idx
}

// knownKeys lists the preferred record keys, for error messages.
func (idx fieldIndex) knownKeys() []string {
	var keys []string
	for k, f := range idx {
		if k == f.key {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// given is one value a row gives for a field.
type given struct {
	f   *field
	key string // the record key it came from
	v   string
}

// values returns the non-empty values of rec in a stable order, checked:
// an unknown key, two keys for one property, or a phone that is not E.164
// is an error, found before any call is made.
func (idx fieldIndex) values(rec mapping.Record) ([]given, error) {
	var out []given
	byWire := map[string]string{}
	for _, k := range rec.Keys() {
		v := strings.TrimSpace(rec[k])
		if v == "" || k == mapping.FieldID {
			continue
		}
		if k == mapping.FieldTags && len(tagList(v)) == 0 {
			continue // only commas: nothing given
		}
		f, ok := idx[k]
		if !ok {
			return nil, fmt.Errorf("field %q: %s", k, unknownFieldReason(k))
		}
		if prev, dup := byWire[f.wire]; dup {
			return nil, fmt.Errorf("fields %q and %q both set Qlara's %s", prev, k, f.wire)
		}
		byWire[f.wire] = k
		if f.kind == kindPhone && !isE164(v) {
			return nil, fmt.Errorf("phone %q is not in E.164 format (a + and 8 to 15 digits, e.g. +393331234567); use the phone_e164 transform with a region", v)
		}
		out = append(out, given{f: f, key: k, v: v})
	}
	return out, nil
}

// unknownFieldReason explains why a record key cannot be written.
func unknownFieldReason(k string) string {
	switch {
	case k == mapping.FieldCreatedAt || k == mapping.FieldUpdatedAt:
		return "set by Qlara, read-only"
	case strings.HasPrefix(k, mapping.CustomPrefix):
		return "Qlara has no named custom fields; use customField1, customField2 or customField3"
	default:
		return "Qlara contacts have no such field"
	}
}

// isE164 reports whether s is "+" followed by 8 to 15 digits, the first not 0.
func isE164(s string) bool {
	digits, ok := strings.CutPrefix(s, "+")
	if !ok || len(digits) < 8 || len(digits) > 15 || digits[0] == '0' {
		return false
	}
	for _, r := range digits {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// normPhone brings a stored phone to E.164 shape for comparison: Qlara may
// hold numbers typed with spaces, dashes or a 00 prefix.
func normPhone(s string) string {
	var b strings.Builder
	for i, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		}
	}
	out := b.String()
	if rest, ok := strings.CutPrefix(out, "00"); ok {
		out = "+" + rest
	}
	return out
}

// createBody builds the POST /contacts body from a row's values.
func createBody(vals []given) contactBody {
	body := contactBody{}
	for _, g := range vals {
		switch g.f.kind {
		case kindText:
			body[g.f.wire] = g.v
		case kindEmail:
			body["mainEmail"] = g.v
			body["emailAddresses"] = []string{g.v}
		case kindPhone:
			body["phoneNumbers"] = []string{g.v}
		case kindTags:
			body["tags"] = tagList(g.v)
		case kindAddress:
			body["addresses"] = []string{g.v}
		}
	}
	return body
}

// updateBody builds the PUT /contacts/{id} body: only the properties the row
// gives. Qlara replaces an array as a whole, so array values are merged into
// what the contact holds (a migration adds an email, phone, tag or address;
// it never drops one) — the new phone goes first, as the primary one.
func updateBody(vals []given, cur contact) contactBody {
	body := contactBody{}
	for _, g := range vals {
		switch g.f.kind {
		case kindText:
			body[g.f.wire] = g.v
		case kindEmail:
			body["mainEmail"] = g.v
			body["emailAddresses"] = addMissing(cur.strs("emailAddresses"), []string{g.v}, strings.EqualFold, false)
		case kindPhone:
			body["phoneNumbers"] = addMissing(cur.strs("phoneNumbers"), []string{g.v}, samePhone, true)
		case kindTags:
			body["tags"] = addMissing(cur.strs("tags"), tagList(g.v), strings.EqualFold, false)
		case kindAddress:
			body["addresses"] = addMissing(cur.strs("addresses"), []string{g.v}, sameText, false)
		}
	}
	return body
}

// missing lists the values of vals that cur does not already hold; empty
// means the row would change nothing. Emails and tags compare without case,
// phones in E.164 shape, everything else exactly (after trimming).
func missing(vals []given, cur contact) []string {
	var out []string
	for _, g := range vals {
		var ok bool
		switch g.f.kind {
		case kindText:
			ok = sameText(cur.str(g.f.wire), g.v)
		case kindEmail:
			ok = strings.EqualFold(strings.TrimSpace(cur.str("mainEmail")), g.v) &&
				containsFunc(cur.strs("emailAddresses"), g.v, strings.EqualFold)
		case kindPhone:
			ok = containsFunc(cur.strs("phoneNumbers"), g.v, samePhone)
		case kindTags:
			ok = true
			for _, t := range tagList(g.v) {
				ok = ok && containsFunc(cur.strs("tags"), t, strings.EqualFold)
			}
		case kindAddress:
			ok = containsFunc(cur.strs("addresses"), g.v, sameText)
		}
		if !ok {
			out = append(out, g.key)
		}
	}
	return out
}

// tagList splits a comma-separated tags value, dropping repeats.
func tagList(v string) []string {
	var out []string
	for _, t := range (mapping.Record{"t": v}).List("t") {
		if !containsFunc(out, t, strings.EqualFold) {
			out = append(out, t)
		}
	}
	return out
}

// addMissing returns cur with the items of add it lacks, appended (or put
// first when front is set).
func addMissing(cur, add []string, eq func(a, b string) bool, front bool) []string {
	var extra []string
	for _, a := range add {
		if !containsFunc(cur, a, eq) && !containsFunc(extra, a, eq) {
			extra = append(extra, a)
		}
	}
	if front {
		return append(extra, cur...)
	}
	return append(slices.Clone(cur), extra...)
}

func containsFunc(list []string, v string, eq func(a, b string) bool) bool {
	return slices.ContainsFunc(list, func(s string) bool { return eq(s, v) })
}

func sameText(a, b string) bool  { return strings.TrimSpace(a) == strings.TrimSpace(b) }
func samePhone(a, b string) bool { return normPhone(a) == normPhone(b) }
