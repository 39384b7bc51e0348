package closecrm

import (
	"encoding/json"
	"fmt"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"
)

// validation collects the errors of one request body, in Close's shape:
// general messages plus per-field ones, list items nested by index.
type validation struct {
	general []string
	fields  map[string]any
}

func (v *validation) Error() string {
	return fmt.Sprintf("validation: %v %v", v.general, v.fields)
}

func (v *validation) add(field string, msg string) {
	if v.fields == nil {
		v.fields = map[string]any{}
	}
	v.fields[field] = msg
}

func (v *validation) addGeneral(msg string) { v.general = append(v.general, msg) }

// addItem records the errors of item i of a list field.
func (v *validation) addItem(field string, i int, item *validation) {
	if item.empty() {
		return
	}
	if v.fields == nil {
		v.fields = map[string]any{}
	}
	entry, _ := v.fields[field].(map[string]any)
	if entry == nil {
		entry = map[string]any{"errors": map[string]any{}}
		v.fields[field] = entry
	}
	entry["errors"].(map[string]any)[strconv.Itoa(i)] = item.body()
}

func (v *validation) empty() bool { return len(v.general) == 0 && len(v.fields) == 0 }

func (v *validation) body() ValidationBody {
	b := ValidationBody{Errors: v.general, FieldErrors: v.fields}
	if b.Errors == nil {
		b.Errors = []string{}
	}
	if b.FieldErrors == nil {
		b.FieldErrors = map[string]any{}
	}
	return b
}

// err returns v as an error, or nil when nothing was wrong.
func (v *validation) err() error {
	if v.empty() {
		return nil
	}
	return v
}

// str decodes a JSON string or null ("").
func str(raw json.RawMessage) (string, bool) {
	var s *string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	if s == nil {
		return "", true
	}
	return *s, true
}

// objects decodes a JSON array of objects (null is an empty list).
func objects(raw json.RawMessage) ([]map[string]json.RawMessage, bool) {
	var out []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, false
	}
	for _, o := range out {
		if o == nil {
			return nil, false
		}
	}
	return out, true
}

// phone normalises a number as Close does (region US for national numbers)
// into E.164 and the international display form. Numbers libphonenumber
// does not consider valid are refused.
func phone(s string) (Phone, bool) {
	n, err := phonenumbers.Parse(s, "US")
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return Phone{}, false
	}
	return Phone{
		Phone:          phonenumbers.Format(n, phonenumbers.E164),
		PhoneFormatted: phonenumbers.Format(n, phonenumbers.INTERNATIONAL),
		Country:        phonenumbers.GetRegionCodeForNumber(n),
	}, true
}

// searchPhone is phone for search terms: anything parseable is looked up.
func searchPhone(s string) string {
	n, err := phonenumbers.Parse(s, "US")
	if err != nil {
		return ""
	}
	return phonenumbers.Format(n, phonenumbers.E164)
}

// validEmail accepts a bare address that net/mail parses back unchanged.
func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && a.Name == ""
}

// validURL accepts absolute http(s) URLs only; the doc is silent, this is
// the strict reading.
func validURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// isCountryCode accepts an ISO 3166-1 alpha-2 code, as in the doc's "US".
func isCountryCode(s string) bool {
	return len(s) == 2 && 'A' <= s[0] && s[0] <= 'Z' && 'A' <= s[1] && s[1] <= 'Z'
}

// addresses decodes a lead's addresses.
func addresses(raw json.RawMessage, v *validation) []Address {
	items, ok := objects(raw)
	if !ok {
		v.add("addresses", "Expected a list of address objects.")
		return nil
	}
	out := make([]Address, 0, len(items))
	for i, it := range items {
		var a Address
		iv := &validation{}
		for k, val := range it {
			dst := map[string]*string{
				"label": &a.Label, "address_1": &a.Address1, "address_2": &a.Address2,
				"city": &a.City, "state": &a.State, "zipcode": &a.Zipcode, "country": &a.Country,
			}[k]
			if dst == nil {
				iv.add(k, "Unknown field.")
				continue
			}
			s, ok := str(val)
			if !ok {
				iv.add(k, "Not a valid string.")
				continue
			}
			*dst = s
		}
		if a.Country != "" && !isCountryCode(a.Country) {
			iv.add("country", "Not a valid country code.")
		}
		v.addItem("addresses", i, iv)
		out = append(out, a)
	}
	return out
}

// contactInput applies a contact body to c. top is true for /contact/
// (where lead_id is a field), false for contacts nested in a lead.
func (s *store) contactInput(c *Contact, in map[string]json.RawMessage, update, top bool, v *validation) {
	for k, raw := range in {
		switch {
		case k == "name" || k == "title":
			t, ok := str(raw)
			if !ok {
				v.add(k, "Not a valid string.")
			} else if k == "name" {
				c.Name = t
			} else {
				c.Title = t
			}
		case k == "lead_id" && top:
			t, ok := str(raw)
			if !ok || t == "" {
				v.add(k, "This field is required.")
			} else if s.lead(t) == nil {
				v.add(k, "Lead does not exist.")
			} else {
				c.LeadID = t
			}
		case k == "emails":
			c.Emails = listItems(raw, k, v, func(it map[string]json.RawMessage, iv *validation) Email {
				e := Email{Type: "office"}
				e.Email = itemFields(it, iv, "email", map[string]*string{"email": &e.Email, "type": &e.Type})
				if e.Email != "" && !validEmail(e.Email) {
					iv.add("email", "Invalid email address.")
				}
				return e
			})
		case k == "phones":
			c.Phones = listItems(raw, k, v, func(it map[string]json.RawMessage, iv *validation) Phone {
				var given string
				typ := "office"
				itemFields(it, iv, "phone", map[string]*string{"phone": &given, "type": &typ})
				p, ok := phone(given)
				if given != "" && !ok {
					iv.add("phone", "Invalid phone number.")
				}
				p.Type = typ
				return p
			})
		case k == "urls":
			c.URLs = listItems(raw, k, v, func(it map[string]json.RawMessage, iv *validation) URL {
				u := URL{Type: "url"}
				itemFields(it, iv, "url", map[string]*string{"url": &u.URL, "type": &u.Type})
				if u.URL != "" && !validURL(u.URL) {
					iv.add("url", "Enter a valid URL.")
				}
				return u
			})
		case strings.HasPrefix(k, "custom."):
			if c.Custom == nil {
				c.Custom = map[string]any{}
			}
			s.customInput(objContact, c.Custom, k, raw, update, v)
		default:
			v.add(k, "Unknown field.")
		}
	}
}

// listItems decodes a list field item by item, nesting item errors.
func listItems[T any](raw json.RawMessage, field string, v *validation, one func(map[string]json.RawMessage, *validation) T) []T {
	items, ok := objects(raw)
	if !ok {
		v.add(field, "Expected a list of objects.")
		return nil
	}
	out := make([]T, 0, len(items))
	for i, it := range items {
		iv := &validation{}
		out = append(out, one(it, iv))
		v.addItem(field, i, iv)
	}
	return out
}

// itemFields copies the string fields of one list item, flags unknown keys
// and a missing required one, and returns the required value.
func itemFields(it map[string]json.RawMessage, iv *validation, required string, dst map[string]*string) string {
	for k, raw := range it {
		p := dst[k]
		if p == nil {
			iv.add(k, "Unknown field.")
			continue
		}
		s, ok := str(raw)
		if !ok {
			iv.add(k, "Not a valid string.")
			continue
		}
		if s != "" || k != "type" {
			*p = s
		}
	}
	if *dst[required] == "" {
		iv.add(required, "This field is required.")
	}
	return *dst[required]
}

// customInput applies one "custom.<id>[.add|.remove]" key to values.
func (s *store) customInput(obj string, values map[string]any, key string, raw json.RawMessage, update bool, v *validation) {
	id := strings.TrimPrefix(key, "custom.")
	op := ""
	if update {
		if base, ok := strings.CutSuffix(id, ".add"); ok {
			id, op = base, "add"
		} else if base, ok := strings.CutSuffix(id, ".remove"); ok {
			id, op = base, "remove"
		}
	}
	def := s.field(obj, id)
	if def == nil {
		// Only field ids are accepted: the doc calls custom.FIELD_NAME
		// deprecated, the sandbox treats it as unknown.
		v.add(key, "Unknown custom field.")
		return
	}
	if op != "" {
		if !def.AcceptsMultipleValues {
			v.add(key, "This custom field does not accept multiple values.")
			return
		}
		one, msg := customValue(s, def, raw, true)
		if msg != "" {
			v.add(key, msg)
			return
		}
		cur := toStrings(values[id])
		if op == "add" && !slices.Contains(cur, one.(string)) {
			cur = append(cur, one.(string))
		} else if op == "remove" {
			cur = slices.DeleteFunc(cur, func(x string) bool { return x == one.(string) })
		}
		if len(cur) == 0 {
			delete(values, id)
		} else {
			values[id] = cur
		}
		return
	}
	val, msg := customValue(s, def, raw, false)
	switch {
	case msg != "":
		v.add(key, msg)
	case val == nil:
		delete(values, id)
	default:
		values[id] = val
	}
}

// customValue checks a value against a field's type. It returns nil for
// null or "" (unset: the doc is silent on "", the sandbox treats it as
// null) and a message when the value is not acceptable. single asks for one
// element of a multi-valued field.
func customValue(s *store, def *CustomField, raw json.RawMessage, single bool) (any, string) {
	if string(raw) == "null" {
		return nil, ""
	}
	if def.AcceptsMultipleValues && !single {
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, "Expected a list of values."
		}
		out := make([]string, 0, len(list))
		for _, e := range list {
			one, msg := customValue(s, def, e, true)
			if msg != "" {
				return nil, msg
			}
			if one != nil && !slices.Contains(out, one.(string)) {
				out = append(out, one.(string))
			}
		}
		if len(out) == 0 {
			return nil, ""
		}
		return out, ""
	}
	if def.Type == "hidden" {
		var x any
		_ = json.Unmarshal(raw, &x)
		return x, ""
	}
	if def.Type == "number" {
		var n float64
		if err := json.Unmarshal(raw, &n); err == nil {
			return n, ""
		}
	}
	t, ok := str(raw)
	if !ok {
		return nil, "Not a valid " + def.Type + " value."
	}
	if t == "" {
		return nil, ""
	}
	switch def.Type {
	case "number":
		n, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
		if err != nil {
			return nil, "Not a valid number."
		}
		return n, ""
	case "date":
		if _, err := time.Parse(time.DateOnly, t); err != nil {
			return nil, "Not a valid date (YYYY-MM-DD)."
		}
	case "datetime":
		if _, err := time.Parse(time.RFC3339Nano, t); err != nil {
			return nil, "Not a valid datetime (ISO 8601 with a UTC offset)."
		}
	case "choices":
		if !slices.Contains(def.Choices, t) {
			return nil, fmt.Sprintf("%q is not a valid choice.", t)
		}
	case "user":
		if t != userID && t != userName {
			return nil, "User does not exist."
		}
		t = userID
	}
	return t, ""
}

// toStrings reads a stored multi-value (a []string, or []any after a load).
func toStrings(v any) []string {
	switch x := v.(type) {
	case []string:
		return slices.Clone(x)
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	case string:
		return []string{x}
	}
	return nil
}
