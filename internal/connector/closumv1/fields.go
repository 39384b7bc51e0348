package closumv1

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/mapping"
)

// Native field names accepted in records besides the canonical ones.
const (
	fieldPhoneExt     = "phone_extension" // the phone object's extension ("001")
	fieldConsentEmail = "consent_email"   // opt-in flags: true/false/yes/no/1/0
	fieldConsentSMS   = "consent_sms"     //
	fieldCityID       = "city_id"         // lead only
	fieldCustomData   = "custom_data"     // lead only: JSON text
	fieldContactType  = "contact_type_id" // unqualified lead only
)

// knownFields lists the non-custom fields obj takes; nil for an unknown object.
func knownFields(obj connector.Object) []string {
	common := []string{mapping.FieldName, mapping.FieldFirstName, mapping.FieldLastName, mapping.FieldEmail,
		mapping.FieldPhone, fieldPhoneExt, fieldConsentEmail, fieldConsentSMS}
	switch obj {
	case connector.Lead:
		return append(common, mapping.FieldCity, fieldCityID, fieldCustomData)
	case connector.Contact:
		return append(common, fieldContactType)
	}
	return nil
}

// input is a record checked and converted to Closum's values.
type input struct {
	name, email     string
	phone, phoneExt string // as given
	consentEmail    *bool
	consentSMS      *bool
	cityID          int
	cityField       string // city or city_id: which one gave cityID
	contactType     int
	customData      string            // custom_data as given
	custom          map[string]string // custom.<name> → value
}

// parse checks rec field by field and converts it, returning every problem
// at once as a non-retryable row error. A city name is resolved through the
// city list (loaded once).
func (c *Client) parse(ctx context.Context, op string, obj connector.Object, rec mapping.Record) (input, error) {
	in := input{custom: map[string]string{}}
	var probs []string
	bad := func(format string, args ...any) { probs = append(probs, fmt.Sprintf(format, args...)) }
	known := knownFields(obj)
	cityName := ""
	for _, k := range rec.Keys() {
		v := strings.TrimSpace(rec[k])
		if v == "" {
			continue // not given: never sent
		}
		if name, ok := strings.CutPrefix(k, mapping.CustomPrefix); ok {
			if obj != connector.Lead {
				bad("%s: Closum v1 unqualified leads have no custom data", k)
			} else {
				in.custom[strings.TrimSpace(name)] = v
			}
			continue
		}
		if !slices.Contains(known, k) {
			bad("%s: not a Closum v1 %s field", k, noun(obj))
			continue
		}
		switch k {
		case mapping.FieldName:
			in.name = v
		case mapping.FieldEmail:
			in.email = v
		case mapping.FieldPhone:
			in.phone = v
		case fieldPhoneExt:
			in.phoneExt = v
		case fieldConsentEmail, fieldConsentSMS:
			b, err := parseBool(v)
			switch {
			case err != nil:
				bad("%s %q: %v", k, v, err)
			case k == fieldConsentEmail:
				in.consentEmail = &b
			default:
				in.consentSMS = &b
			}
		case fieldCityID, fieldContactType:
			n, err := strconv.Atoi(v)
			switch {
			case err != nil || n < 1:
				bad("%s %q: must be a positive whole number", k, v)
			case k == fieldCityID:
				in.cityID, in.cityField = n, k
			default:
				in.contactType = n
			}
		case mapping.FieldCity:
			cityName = v
		case fieldCustomData:
			if !json.Valid([]byte(v)) {
				bad("custom_data: not valid JSON")
			}
			in.customData = v
		}
	}
	if in.name == "" {
		in.name = strings.TrimSpace(strings.TrimSpace(rec[mapping.FieldFirstName]) + " " + strings.TrimSpace(rec[mapping.FieldLastName]))
	}
	if in.phoneExt != "" && in.phone == "" {
		bad("phone_extension %q: no phone to go with it", in.phoneExt)
	}
	if cityName != "" {
		if id, err := c.cityID(ctx, cityName); err != nil {
			var ce *connector.Error
			if errors.As(err, &ce) && (ce.Retryable || ce.Auth) || isContextErr(err) {
				return in, err // the city list could not be read: not the row's fault
			}
			bad("city %q: %v", cityName, err)
		} else if in.cityID != 0 && in.cityID != id {
			bad("city %q is city_id %d, but city_id %d is given", cityName, id, in.cityID)
		} else {
			in.cityID, in.cityField = id, mapping.FieldCity
		}
	}
	if _, err := in.customJSON(); err != nil {
		bad("%v", err)
	}
	if len(probs) > 0 {
		return in, rowError(op, "%s", strings.Join(probs, "; "))
	}
	return in, nil
}

// customJSON returns the custom_data to send: custom_data as given, with
// the custom.<name> fields merged into it as a JSON object; "" for none.
func (in input) customJSON() (string, error) {
	if len(in.custom) == 0 {
		return in.customData, nil
	}
	obj := map[string]any{}
	if in.customData != "" {
		if err := json.Unmarshal([]byte(in.customData), &obj); err != nil || obj == nil {
			return "", errors.New("custom_data must be a JSON object to take custom.<name> fields")
		}
	}
	for k, v := range in.custom {
		obj[k] = v
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(obj); err != nil {
		return "", fmt.Errorf("custom_data: %w", err)
	}
	return strings.TrimSpace(b.String()), nil
}

// body builds the POST body of a lead or unqualified lead.
func (c *Client) body(obj connector.Object, in input) createBody {
	b := createBody{Name: in.name}
	if in.email != "" {
		b.Email = &emailBody{Email: in.email}
	}
	if in.phone != "" {
		p := c.phoneParts(in.phone, in.phoneExt)
		b.Phone = &p
	}
	if in.consentEmail != nil || in.consentSMS != nil {
		// The example sends both flags: one not given is no consent.
		o := &optInBody{Email: orFalse(in.consentEmail), SMS: orFalse(in.consentSMS)}
		if obj == connector.Contact {
			b.UnqualOptIn = o
		} else {
			b.LeadOptIn = o
		}
	}
	if obj == connector.Lead {
		b.CityID = in.cityID
		b.CustomData, _ = in.customJSON() // checked by parse
	} else {
		b.ContactTypeID = in.contactType
		if b.ContactTypeID == 0 {
			b.ContactTypeID = c.contactType
		}
	}
	return b
}

// orFalse returns b, or a false flag when b is nil.
func orFalse(b *bool) *bool {
	if b == nil {
		return new(bool)
	}
	return b
}

// phoneParts splits a phone into Closum's extension and number: an
// international number becomes its country code, zero-padded to three
// digits ("001" for +1, as in the documentation's example; "351" for
// Portugal), and its national number; an extension given is kept
// with the number as given; anything else is sent as given.
func (c *Client) phoneParts(number, ext string) phoneBody {
	number = strings.TrimSpace(number)
	if ext = strings.TrimSpace(ext); ext != "" {
		return phoneBody{Extension: ext, Number: number}
	}
	if n, ok := c.parsePhone(number); ok {
		return phoneBody{Extension: fmt.Sprintf("%03d", n.GetCountryCode()), Number: phonenumbers.GetNationalSignificantNumber(n)}
	}
	return phoneBody{Number: number}
}

// parsePhone parses an international number (+…, or 00…), or a national
// one when a region is set.
func (c *Client) parsePhone(s string) (*phonenumbers.PhoneNumber, bool) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "00") {
		s = "+" + s[2:]
	}
	if !strings.HasPrefix(s, "+") && c.region == "" {
		return nil, false
	}
	n, err := phonenumbers.Parse(s, c.region)
	if err != nil || n.GetCountryCode() == 0 || phonenumbers.GetNationalSignificantNumber(n) == "" {
		return nil, false
	}
	return n, true
}

// phoneKey is how phones are compared: the E.164 form when the country can
// be told (from the extension, a leading + or 00, or Options["region"]),
// else "#" and the digits.
func (c *Client) phoneKey(number, ext string) string {
	d := digits(number)
	if d == "" {
		return ""
	}
	if cc := strings.TrimLeft(digits(ext), "0"); cc != "" {
		if n, err := phonenumbers.Parse("+"+cc+d, ""); err == nil {
			return phonenumbers.Format(n, phonenumbers.E164)
		}
		return "+" + cc + d
	}
	if n, ok := c.parsePhone(number); ok {
		return phonenumbers.Format(n, phonenumbers.E164)
	}
	return "#" + d
}

// phoneAltKey is the key of a stored phone without a country that an
// international number may still be: "#" and its national digits.
func (c *Client) phoneAltKey(number, ext string) string {
	if strings.TrimSpace(ext) != "" {
		return ""
	}
	if n, ok := c.parsePhone(number); ok {
		return "#" + phonenumbers.GetNationalSignificantNumber(n)
	}
	return ""
}

// digits keeps the digits of s.
func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// emailKey is how emails are compared: trimmed, ignoring case.
func emailKey(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// sameText compares names ignoring case and runs of spaces.
func sameText(a, b string) bool {
	return strings.EqualFold(strings.Join(strings.Fields(a), " "), strings.Join(strings.Fields(b), " "))
}

// parseBool reads a consent flag.
func parseBool(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "yes", "y", "1":
		return true, nil
	case "false", "no", "n", "0":
		return false, nil
	}
	return false, errors.New("want true, false, yes, no, 1 or 0")
}
