package closum

import (
	"bytes"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
)

// envelope is the frame of every Closum v2 answer. Its parts vary by
// endpoint: responseData is an object or an array, message an array, a
// string or an object, and errors an array (or, for validation, possibly an
// object of field → messages). A failure may come as HTTP 200 with status
// false, so the HTTP status alone never proves success.
type envelope struct {
	Status       *bool           `json:"status"`
	Code         flexInt         `json:"code"`
	ResponseData json.RawMessage `json:"responseData"`
	Message      json.RawMessage `json:"message"`
	Errors       json.RawMessage `json:"errors"`
	Timestamp    string          `json:"timestamp"`
}

// problems returns the API's own words about a failure: every error, then
// every message that is not the routine "success".
func (e envelope) problems() []string {
	out := texts(e.Errors)
	for _, m := range texts(e.Message) {
		if !strings.EqualFold(m, "success") {
			out = append(out, m)
		}
	}
	return out
}

// texts flattens any JSON value into its strings: arrays and objects are
// walked, object keys prefix their values ("email: is invalid").
func texts(raw json.RawMessage) []string {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return []string{string(raw)}
	}
	var out []string
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch t := v.(type) {
		case nil:
		case string:
			if t = strings.TrimSpace(t); t != "" {
				out = append(out, prefix+t)
			}
		case []any:
			for _, x := range t {
				walk(prefix, x)
			}
		case map[string]any:
			keys := make([]string, 0, len(t))
			for k := range t {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				walk(prefix+k+": ", t[k])
			}
		default:
			b, _ := json.Marshal(t)
			out = append(out, prefix+string(b))
		}
	}
	walk("", v)
	return out
}

// flexInt decodes a number sent as a JSON number or a string; anything else is 0.
type flexInt int

func (n *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if i, err := strconv.Atoi(s); err == nil {
		*n = flexInt(i)
	}
	return nil
}

// flexString decodes an id or text sent as a string or a number (lead ids are
// numbers, contact ids UUID strings); null is "".
type flexString string

func (s *flexString) UnmarshalJSON(b []byte) error {
	var str string
	if json.Unmarshal(b, &str) == nil {
		*s = flexString(str)
		return nil
	}
	var num json.Number
	if json.Unmarshal(b, &num) == nil {
		*s = flexString(num.String())
		return nil
	}
	var yes bool
	if json.Unmarshal(b, &yes) == nil {
		*s = flexString(strconv.FormatBool(yes))
	}
	return nil
}

// wrapped decodes a value Closum sometimes sends bare and sometimes wrapped
// in an object: a lead's phone is {"number": "…"} and its email
// {"email": "…"}, a contact's are plain strings.
type wrapped string

func (w *wrapped) UnmarshalJSON(b []byte) error {
	var s flexString
	if b = bytes.TrimSpace(b); len(b) > 0 && b[0] != '{' {
		_ = s.UnmarshalJSON(b)
		*w = wrapped(s)
		return nil
	}
	var obj map[string]flexString
	if json.Unmarshal(b, &obj) != nil {
		return nil
	}
	for _, k := range []string{"email", "number", "mobile_number", "phone", "value"} {
		if v := obj[k]; v != "" {
			*w = wrapped(v)
			return nil
		}
	}
	return nil
}

// paginator is CakePHP's paging block in list answers. Current is the
// number of rows on this page (CakePHP 3), not a page number.
type paginator struct {
	Page      flexInt `json:"page"`
	Current   flexInt `json:"current"`
	Count     flexInt `json:"count"`
	PerPage   flexInt `json:"perPage"`
	NextPage  bool    `json:"nextPage"`
	PageCount flexInt `json:"pageCount"`
	Limit     flexInt `json:"limit"`
}

// field is one custom contact field from GET field/.
type field struct {
	ID    flexString `json:"id"`
	Label string     `json:"label"`
	Var   string     `json:"var"`
}

// fieldsData is the responseData of GET field/.
type fieldsData struct {
	Fields []field `json:"fields"`
}

// contactTag is one tag link in a lead's or contact's contact_tag list.
type contactTag struct {
	Tag struct {
		ID  flexString `json:"id"`
		Tag string     `json:"tag"`
	} `json:"tag"`
}

// customValue is one custom field value in a lead or contact view.
type customValue struct {
	FieldID flexString `json:"field_id"`
	Var     string     `json:"var"`
	Value   flexString `json:"value"`
}

// optIn is a lead's consent block (lead_opt_in).
type optIn struct {
	SMS   *bool `json:"sms"`
	Email *bool `json:"email"`
}

// person is a lead or contact as list and view answers show it. Leads wrap
// email and phone in objects and carry a lifecycle stage; contacts have
// plain strings and consent flags; both may have tags and custom fields.
type person struct {
	ID           flexString      `json:"id"`
	Name         string          `json:"name"`
	Email        wrapped         `json:"email"`
	Phone        wrapped         `json:"phone"`
	MobileNumber wrapped         `json:"mobile_number"`
	BirthDate    flexString      `json:"birth_date"`
	StageID      flexString      `json:"contact_lifecycle_stage_id"`
	SourceID     flexString      `json:"source_id"`
	UserID       flexString      `json:"user_id"`
	CustomData   json.RawMessage `json:"custom_data"`
	ConsentEmail *bool           `json:"consent_email"`
	ConsentSMS   *bool           `json:"consent_sms"`
	LeadOptIn    *optIn          `json:"lead_opt_in"`
	ContactTag   []contactTag    `json:"contact_tag"`
	CustomFields []customValue   `json:"custom_fields"`
	CreationDate string          `json:"creation_date"`

	// Not in the documented examples; read when present.
	Modified         string `json:"modified"`
	ModificationDate string `json:"modification_date"`
	DateUpdated      string `json:"date_updated"`
}

// leadView is the responseData of GET lead/view/{id}.
type leadView struct {
	Lead *person `json:"lead_data"`
}

// contactView is the responseData of GET contact/view/{id}.
type contactView struct {
	Contact *person `json:"contact_data"`
}

// leadAddBody is the JSON body of POST lead/add/. consent_email and
// consent_sms are required by the API, so they are always sent.
type leadAddBody struct {
	Name          string            `json:"name,omitempty"`
	Email         string            `json:"email,omitempty"`
	MobileNumber  string            `json:"mobile_number,omitempty"`
	ConsentEmail  bool              `json:"consent_email"`
	ConsentSMS    bool              `json:"consent_sms"`
	StageID       int               `json:"contact_lifecycle_stage_id,omitempty"`
	CustomData    string            `json:"custom_data,omitempty"`
	Tags          []string          `json:"tags,omitempty"`
	BirthDate     string            `json:"birth_date,omitempty"`
	CustomFields  map[string]string `json:"custom_fields,omitempty"`
	UpdateEnabled bool              `json:"update_enabled,omitempty"`
}

// leadEditBody is the JSON body of PUT lead/edit/{id} and lead/edit-by-email
// (where email is the key and required; it can never be changed).
type leadEditBody struct {
	Email           string   `json:"email,omitempty"`
	Name            string   `json:"name,omitempty"`
	MobileNumber    string   `json:"mobile_number,omitempty"`
	ConsentEmail    *bool    `json:"consent_email,omitempty"`
	ConsentSMS      *bool    `json:"consent_sms,omitempty"`
	Tags            []string `json:"tags,omitempty"`
	BirthDate       string   `json:"birth_date,omitempty"`
	StageID         int      `json:"contact_lifecycle_stage_id,omitempty"`
	SalesSequenceID int      `json:"sales_sequence_id,omitempty"`
	UserID          int      `json:"user_id,omitempty"`
}

// contactBody is the JSON body of POST contact/add and PUT contact/edit/{id}.
// Consent is a pointer so an edit leaves it alone when not given.
type contactBody struct {
	Name         string            `json:"name,omitempty"`
	Email        string            `json:"email,omitempty"`
	MobileNumber string            `json:"mobile_number,omitempty"`
	ConsentEmail *bool             `json:"consent_email,omitempty"`
	ConsentSMS   *bool             `json:"consent_sms,omitempty"`
	Tags         []string          `json:"tags,omitempty"`
	BirthDate    string            `json:"birth_date,omitempty"`
	CustomFields map[string]string `json:"custom_fields,omitempty"`
}
