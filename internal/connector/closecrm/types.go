package closecrm

import (
	"encoding/json"
	"strings"
)

// Wire types of the Close REST API v1, as documented in
// shared/seeds/close-rest-api-v1.txt. Requests are built as maps (see
// body.go) because custom fields are keys named after their ids and a PUT
// must carry only the fields that change; responses decode into these.

// page is one page of a list endpoint: {"has_more": …, "data": […]}.
type page[T any] struct {
	HasMore      bool `json:"has_more"`
	TotalResults int  `json:"total_results"`
	Data         []T  `json:"data"`
}

// me is the part of GET /me/ the connector reads.
type me struct {
	ID    string `json:"id"`
	Email string `json:"email"`
}

// customField is one entry of /custom_field/lead/ or /custom_field/contact/.
type customField struct {
	ID                    string   `json:"id"`
	Name                  string   `json:"name"`
	Type                  string   `json:"type"` // text, number, date, datetime, choices, user, hidden
	AcceptsMultipleValues bool     `json:"accepts_multiple_values"`
	Choices               []string `json:"choices"`
}

// emailEntry is one item of a contact's "emails".
type emailEntry struct {
	Type  string `json:"type,omitempty"`
	Email string `json:"email"`
}

// phoneEntry is one item of a contact's "phones".
type phoneEntry struct {
	Type  string `json:"type,omitempty"`
	Phone string `json:"phone"`
}

// address is one item of a lead's "addresses".
type address struct {
	Label    string `json:"label,omitempty"`
	Address1 string `json:"address_1,omitempty"`
	Address2 string `json:"address_2,omitempty"`
	City     string `json:"city,omitempty"`
	State    string `json:"state,omitempty"`
	Zipcode  string `json:"zipcode,omitempty"`
	Country  string `json:"country,omitempty"`
}

// contactData is a contact as returned by /contact/ or nested in a lead.
type contactData struct {
	ID          string       `json:"id"`
	LeadID      string       `json:"lead_id"`
	Name        string       `json:"name"`
	Title       string       `json:"title"`
	Emails      []emailEntry `json:"emails"`
	Phones      []phoneEntry `json:"phones"`
	DateCreated string       `json:"date_created"`
	DateUpdated string       `json:"date_updated"`

	// Custom holds the custom field values: "custom.ccf_…" keys by id, and
	// the entries of the deprecated "custom" dict by whatever key it uses.
	Custom map[string]json.RawMessage `json:"-"`
}

// leadData is a lead as returned by /lead/, with its contacts nested.
type leadData struct {
	ID          string        `json:"id"`
	Name        string        `json:"name"`
	DisplayName string        `json:"display_name"`
	URL         string        `json:"url"`
	Description string        `json:"description"`
	StatusID    string        `json:"status_id"`
	StatusLabel string        `json:"status_label"`
	Addresses   []address     `json:"addresses"`
	Contacts    []contactData `json:"contacts"`
	DateCreated string        `json:"date_created"`
	DateUpdated string        `json:"date_updated"`

	Custom map[string]json.RawMessage `json:"-"` // as in contactData
}

// UnmarshalJSON decodes a contact and collects its custom fields.
func (c *contactData) UnmarshalJSON(b []byte) error {
	type plain contactData
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	custom, err := customValues(b)
	if err != nil {
		return err
	}
	p.Custom = custom
	*c = contactData(p)
	return nil
}

// UnmarshalJSON decodes a lead and collects its custom fields.
func (l *leadData) UnmarshalJSON(b []byte) error {
	type plain leadData
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	custom, err := customValues(b)
	if err != nil {
		return err
	}
	p.Custom = custom
	*l = leadData(p)
	return nil
}

// customValues gathers the "custom.<id>" keys of an object, and the entries
// of the deprecated "custom" dict in case a server still sends only that.
func customValues(b []byte) (map[string]json.RawMessage, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, err
	}
	out := map[string]json.RawMessage{}
	if dict, ok := raw["custom"]; ok {
		var m map[string]json.RawMessage
		if json.Unmarshal(dict, &m) == nil {
			for k, v := range m {
				out[k] = v
			}
		}
	}
	for k, v := range raw {
		if id, ok := strings.CutPrefix(k, "custom."); ok && id != "" {
			out[id] = v
		}
	}
	return out, nil
}

// apiError is Close's error body. "error" is a string for most errors and
// an object (rateLimit) on a 429; validation errors use "errors" and
// "field-errors", the latter possibly nested for lists and sub-objects.
type apiError struct {
	Error       json.RawMessage            `json:"error"`
	Errors      []json.RawMessage          `json:"errors"`
	FieldErrors map[string]json.RawMessage `json:"field-errors"`
}

// rateLimit is the "error" object of a 429 body.
type rateLimit struct {
	Message       string  `json:"message"`
	RateReset     float64 `json:"rate_reset"` // seconds until the next window
	RateLimit     float64 `json:"rate_limit"`
	RateWindow    float64 `json:"rate_window"`
	RateLimitType string  `json:"rate_limit_type"` // "key" or "org"
}

// exportJob is an export as POST /export/lead/ and GET /export/{id}/
// answer it; status is created, started, in_progress, done or error.
type exportJob struct {
	ID          string  `json:"id"`
	Status      string  `json:"status"`
	DownloadURL *string `json:"download_url"`
	NDocs       *int    `json:"n_docs"`
}
