package closumv1

import (
	"bytes"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
)

// envelope is the frame of every Closum v1 answer: {"success": …, "data": …}
// and, on lists, "pagination". Failures are not documented beyond their
// HTTP codes; message, error, errors and code are read when present (the
// shapes CakePHP APIs use), and data may carry them too.
type envelope struct {
	Success    *bool           `json:"success"`
	Data       json.RawMessage `json:"data"`
	Pagination *pagination     `json:"pagination"`
	Message    json.RawMessage `json:"message"`
	Error      json.RawMessage `json:"error"`
	Errors     json.RawMessage `json:"errors"`
	Code       flexInt         `json:"code"`
}

// problems returns the API's own words about a failure, from the envelope
// and from a data object holding message/error/errors.
func (e envelope) problems() []string {
	var out []string
	for _, raw := range []json.RawMessage{e.Message, e.Error, e.Errors} {
		out = append(out, texts(raw)...)
	}
	var inner struct {
		Message json.RawMessage `json:"message"`
		Error   json.RawMessage `json:"error"`
		Errors  json.RawMessage `json:"errors"`
		Code    flexInt         `json:"code"`
	}
	if json.Unmarshal(e.Data, &inner) == nil {
		for _, raw := range []json.RawMessage{inner.Message, inner.Error, inner.Errors} {
			out = append(out, texts(raw)...)
		}
	}
	return out
}

// code returns the status code an envelope states for itself, in the body
// or in its data; 0 when none.
func (e envelope) code() int {
	if e.Code != 0 {
		return int(e.Code)
	}
	var inner struct {
		Code flexInt `json:"code"`
	}
	_ = json.Unmarshal(e.Data, &inner)
	return int(inner.Code)
}

// texts flattens any JSON value into its strings: arrays and objects are
// walked and object keys prefix their values ("email.email: is invalid").
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
			if strings.TrimSpace(t) != "" {
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
				p := k + ": "
				if strings.HasSuffix(prefix, ": ") {
					p = strings.TrimSuffix(prefix, ": ") + "." + p
				} else if prefix != "" {
					p = prefix + p
				}
				walk(p, t[k])
			}
		default:
			b, _ := json.Marshal(t)
			out = append(out, prefix+string(b))
		}
	}
	walk("", v)
	return out
}

// pagination is the paging block of list answers (CakePHP's paging params).
type pagination struct {
	PageCount   flexInt  `json:"page_count"`
	CurrentPage flexInt  `json:"current_page"`
	HasNextPage bool     `json:"has_next_page"`
	HasPrevPage bool     `json:"has_prev_page"`
	Count       *flexInt `json:"count"` // nil when absent: unknown, not zero
	Limit       flexInt  `json:"limit"` // null in the documented examples
}

// tokenData is the data of POST /token.
type tokenData struct {
	Token          string  `json:"token"`
	ExpiresIn      flexInt `json:"expires_in"` // seconds
	ExpirationDate string  `json:"expiration_date"`
}

// tokenBody is the body of POST /token.
type tokenBody struct {
	Username string `json:"api_username"`
	Password string `json:"api_pw"`
}

// createdData is the data of a successful POST: {"id": 1}.
type createdData struct {
	ID flexString `json:"id"`
}

// emailObj is a lead's email object as answers show it; the id is given by
// the retrieve endpoint (not in list examples).
type emailObj struct {
	ID    flexString `json:"id"`
	Email flexString `json:"email"`
}

// phoneObj is a lead's phone object. extension is the country's dialling
// prefix ("001" for +1) and number the rest, as in the documented example.
type phoneObj struct {
	ID        flexString `json:"id"`
	Extension flexString `json:"extension"`
	Number    flexString `json:"number"`
}

// optInRead is a (unqualified_)lead_opt_in block as answers may show it.
type optInRead struct {
	SMS   flexBool `json:"sms"`
	Email flexBool `json:"email"`
}

// person is a lead or an unqualified lead as list and retrieve answers show it.
type person struct {
	ID            flexString      `json:"id"`
	Name          string          `json:"name"`
	CityID        flexString      `json:"city_id"`
	ContactTypeID flexString      `json:"contact_type_id"`
	CustomData    json.RawMessage `json:"custom_data"`
	CreationDate  string          `json:"creation_date"`
	Email         *emailObj       `json:"email"`
	Phone         *phoneObj       `json:"phone"`
	LeadOptIn     *optInRead      `json:"lead_opt_in"`
	UnqualOptIn   *optInRead      `json:"unqualified_lead_opt_in"`
}

// optIn returns the consent block of either kind, nil when absent.
func (p person) optIn() *optInRead {
	if p.LeadOptIn != nil {
		return p.LeadOptIn
	}
	return p.UnqualOptIn
}

// city is one row of GET /city.
type city struct {
	ID   flexString `json:"id"`
	Name string     `json:"city_name"`
}

// emailBody is the email object of a create, and the body of PUT /email/{id}
// (with its id, as documented).
type emailBody struct {
	ID    int    `json:"id,omitempty"`
	Email string `json:"email"`
}

// phoneBody is the phone object of a create, and the body of PUT /phone/{id}.
type phoneBody struct {
	ID        int    `json:"id,omitempty"`
	Extension string `json:"extension,omitempty"`
	Number    string `json:"number"`
}

// optInBody is the lead_opt_in / unqualified_lead_opt_in object of a create.
type optInBody struct {
	SMS   *bool `json:"sms"`
	Email *bool `json:"email"`
}

// createBody is the body of POST /lead and POST /unqualified-lead. city_id
// and custom_data are lead fields, contact_type_id an unqualified-lead one.
type createBody struct {
	Name          string     `json:"name,omitempty"`
	Email         *emailBody `json:"email,omitempty"`
	Phone         *phoneBody `json:"phone,omitempty"`
	LeadOptIn     *optInBody `json:"lead_opt_in,omitempty"`
	UnqualOptIn   *optInBody `json:"unqualified_lead_opt_in,omitempty"`
	CityID        int        `json:"city_id,omitempty"`
	CustomData    string     `json:"custom_data,omitempty"`
	ContactTypeID int        `json:"contact_type_id,omitempty"`
}

// flexInt decodes a number sent as a JSON number or a string; anything else
// (null included) is 0.
type flexInt int

func (n *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if i, err := strconv.Atoi(s); err == nil {
		*n = flexInt(i)
	} else if f, err := strconv.ParseFloat(s, 64); err == nil {
		*n = flexInt(f)
	}
	return nil
}

// flexString decodes a value sent as a string, a number or a boolean; null is "".
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

// flexBool decodes a flag sent as true/false, 1/0 or their strings; it
// remembers whether a value was there at all.
type flexBool struct {
	Set, Value bool
}

func (f *flexBool) UnmarshalJSON(b []byte) error {
	switch strings.ToLower(strings.Trim(string(b), `"`)) {
	case "true", "1":
		*f = flexBool{Set: true, Value: true}
	case "false", "0":
		*f = flexBool{Set: true}
	}
	return nil
}
