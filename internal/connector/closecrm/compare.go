package closecrm

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"
)

// Comparisons between what a record gives and what Close holds. They decide
// whether a field is sent at all, so each one forgives the rewriting Close
// does on its side (phones to E.164, emails of any case, titles lowercased).

// sameText compares free text, ignoring runs of spaces at the edges or inside.
func sameText(a, b string) bool {
	return strings.Join(strings.Fields(a), " ") == strings.Join(strings.Fields(b), " ")
}

// sameFold is sameText ignoring case.
func sameFold(a, b string) bool {
	return strings.EqualFold(strings.Join(strings.Fields(a), " "), strings.Join(strings.Fields(b), " "))
}

// sameEmail compares addresses ignoring case.
func sameEmail(a, b string) bool {
	return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}

// sameURL ignores case and a trailing slash.
func sameURL(a, b string) bool {
	norm := func(s string) string { return strings.TrimRight(strings.ToLower(strings.TrimSpace(s)), "/") }
	return norm(a) == norm(b)
}

// phoneKey is the E.164 form of a phone number when it parses (numbers
// without a country code are read in region), else its digits.
func phoneKey(s, region string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if n, err := phonenumbers.Parse(s, region); err == nil {
		return phonenumbers.Format(n, phonenumbers.E164)
	}
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// samePhone compares two numbers by their E.164 form or, failing that, digits.
func samePhone(a, b, region string) bool {
	ka, kb := phoneKey(a, region), phoneKey(b, region)
	return ka != "" && ka == kb
}

// hasEmail reports whether a contact holds the address.
func hasEmail(list []emailEntry, e string) bool {
	return slices.ContainsFunc(list, func(x emailEntry) bool { return sameEmail(x.Email, e) })
}

// hasPhone reports whether a contact holds the number.
func hasPhone(list []phoneEntry, p, region string) bool {
	return slices.ContainsFunc(list, func(x phoneEntry) bool { return samePhone(x.Phone, p, region) })
}

// customJSON is the value sent for a custom field: a list for fields that
// accept several values, a number for number fields when the text is one,
// else the text.
func customJSON(f customField, v string) any {
	if f.AcceptsMultipleValues {
		var items []string
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				items = append(items, s)
			}
		}
		return items
	}
	v = strings.TrimSpace(v)
	if f.Type == "number" {
		if _, err := strconv.ParseFloat(v, 64); err == nil {
			return json.Number(v)
		}
	}
	return v
}

// sameCustom compares a record's text with the value Close holds for f.
func sameCustom(f customField, v string, held json.RawMessage) bool {
	cur := valueText(held)
	if f.AcceptsMultipleValues {
		want, _ := customJSON(f, v).([]string)
		var have []string
		for _, s := range strings.Split(cur, ",") {
			if s = strings.TrimSpace(s); s != "" {
				have = append(have, s)
			}
		}
		slices.Sort(want)
		slices.Sort(have)
		return slices.Equal(want, have)
	}
	v = strings.TrimSpace(v)
	switch f.Type {
	case "number":
		a, errA := strconv.ParseFloat(v, 64)
		b, errB := strconv.ParseFloat(cur, 64)
		if errA == nil && errB == nil {
			return a == b
		}
	case "datetime":
		a, okA := parseTime(v)
		b, okB := parseTime(cur)
		if okA && okB {
			return a.Equal(b)
		}
	}
	return sameText(v, cur)
}

// parseTime reads the timestamps Close writes: RFC 3339, with or without
// fractions, sometimes without an offset (then UTC).
func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
