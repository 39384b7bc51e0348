package closecrm

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// timeLayout is how Close writes timestamps: microseconds and an explicit
// +00:00 offset, e.g. "2013-02-20T05:30:24.854000+00:00".
const timeLayout = "2006-01-02T15:04:05.000000+00:00"

// Time is a timestamp written the way Close writes it.
type Time struct{ time.Time }

// MarshalJSON writes t in UTC with microseconds, or null when zero.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(t.UTC().Format(timeLayout))
}

// UnmarshalJSON reads an RFC 3339 timestamp (the layout Close writes is one).
func (t *Time) UnmarshalJSON(b []byte) error {
	var s *string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("close time: %w", err)
	}
	if s == nil || *s == "" {
		t.Time = time.Time{}
		return nil
	}
	v, err := time.Parse(time.RFC3339Nano, *s)
	if err != nil {
		return fmt.Errorf("close time: %w", err)
	}
	t.Time = v.UTC()
	return nil
}

// Email is one address of a contact.
type Email struct {
	Email string `json:"email"`
	Type  string `json:"type"`
}

// Phone is one phone number of a contact, stored in E.164.
type Phone struct {
	Phone          string `json:"phone"`           // E.164, e.g. +16503334444
	PhoneFormatted string `json:"phone_formatted"` // e.g. +1 650-333-4444
	Country        string `json:"country,omitempty"`
	Type           string `json:"type"`
}

// URL is one web address of a contact.
type URL struct {
	URL  string `json:"url"`
	Type string `json:"type"`
}

// Address is one postal address of a lead.
type Address struct {
	Label    string `json:"label,omitempty"`
	Address1 string `json:"address_1,omitempty"`
	Address2 string `json:"address_2,omitempty"`
	City     string `json:"city,omitempty"`
	State    string `json:"state,omitempty"`
	Zipcode  string `json:"zipcode,omitempty"`
	Country  string `json:"country,omitempty"`
}

// Contact is a person belonging to exactly one lead. On the wire its custom
// field values are flat keys "custom.ccf_…".
type Contact struct {
	ID             string         `json:"id"`
	LeadID         string         `json:"lead_id,omitempty"`
	OrganizationID string         `json:"organization_id"`
	Name           string         `json:"name"`
	Title          string         `json:"title"`
	Emails         []Email        `json:"emails"`
	Phones         []Phone        `json:"phones"`
	URLs           []URL          `json:"urls"`
	Custom         map[string]any `json:"-"` // field id (ccf_…) → value
	CreatedBy      string         `json:"created_by"`
	UpdatedBy      string         `json:"updated_by"`
	DateCreated    Time           `json:"date_created"`
	DateUpdated    Time           `json:"date_updated"`
}

// Lead is a company with its contacts. On the wire its custom field values
// are flat keys "custom.lcf_…"; DisplayName, StatusLabel and HTMLURL are
// derived when it is served.
type Lead struct {
	ID             string         `json:"id"`
	OrganizationID string         `json:"organization_id"`
	Name           string         `json:"name"`
	DisplayName    string         `json:"display_name"`
	Description    string         `json:"description"`
	URL            string         `json:"url"` // null on the wire when empty
	StatusID       string         `json:"status_id"`
	StatusLabel    string         `json:"status_label"`
	HTMLURL        string         `json:"html_url"`
	Contacts       []Contact      `json:"contacts"`
	Addresses      []Address      `json:"addresses"`
	Custom         map[string]any `json:"-"` // field id (lcf_…) → value
	CreatedBy      string         `json:"created_by"`
	UpdatedBy      string         `json:"updated_by"`
	DateCreated    Time           `json:"date_created"`
	DateUpdated    Time           `json:"date_updated"`
}

// CustomField describes one lead or contact custom field.
type CustomField struct {
	ID                    string   `json:"id"`
	Name                  string   `json:"name"`
	Description           *string  `json:"description"`
	Type                  string   `json:"type"`
	AcceptsMultipleValues bool     `json:"accepts_multiple_values"`
	Choices               []string `json:"choices,omitempty"`
	EditableWithRoles     []string `json:"editable_with_roles"`
	OrganizationID        string   `json:"organization_id"`
	CreatedBy             string   `json:"created_by"`
	UpdatedBy             string   `json:"updated_by"`
	DateCreated           Time     `json:"date_created"`
	DateUpdated           Time     `json:"date_updated"`
}

// Status is a lead status.
type Status struct {
	ID             string `json:"id"`
	Label          string `json:"label"`
	OrganizationID string `json:"organization_id"`
}

// ErrorBody is the body of a request-level error (bad parameter, unknown
// URL, auth): {"error": "…"}.
type ErrorBody struct {
	Error string `json:"error"`
}

// ValidationBody is the body of a 400 for invalid data: general messages in
// errors, per-field messages in field-errors. A list field's entry is
// {"errors": {"<index>": ValidationBody}} (the nested shape the changelog shows).
type ValidationBody struct {
	Errors      []string       `json:"errors"`
	FieldErrors map[string]any `json:"field-errors"`
}

// RateLimitError is the "error" object of a 429 body.
type RateLimitError struct {
	Message           string  `json:"message"`
	RateReset         float64 `json:"rate_reset"`
	RateLimit         int     `json:"rate_limit,omitempty"`
	RateWindow        int     `json:"rate_window,omitempty"`
	RateLimitType     string  `json:"rate_limit_type,omitempty"`
	RateEndpointGroup string  `json:"rate_endpoint_group,omitempty"`
}

// RateLimitBody is the body of a 429: {"error": {...}}.
type RateLimitBody struct {
	Error RateLimitError `json:"error"`
}

// ListBody is the envelope of every list answer.
type ListBody[T any] struct {
	HasMore      bool `json:"has_more"`
	TotalResults *int `json:"total_results,omitempty"`
	Data         []T  `json:"data"`
}

// wire renders c as the JSON object Close sends; nested contacts inside a
// lead carry no lead_id, as in the doc's examples.
func (c Contact) wire(nested bool) map[string]any {
	m := map[string]any{
		"id":              c.ID,
		"organization_id": c.OrganizationID,
		"name":            c.Name,
		"title":           c.Title,
		"emails":          nonNil(c.Emails),
		"phones":          nonNil(c.Phones),
		"urls":            nonNil(c.URLs),
		"created_by":      c.CreatedBy,
		"updated_by":      c.UpdatedBy,
		"date_created":    c.DateCreated,
		"date_updated":    c.DateUpdated,
	}
	if !nested {
		m["lead_id"] = c.LeadID
	}
	for k, v := range c.Custom {
		m["custom."+k] = v
	}
	return m
}

// wire renders l as the JSON object Close sends.
func (l Lead) wire() map[string]any {
	contacts := make([]map[string]any, len(l.Contacts))
	for i, c := range l.Contacts {
		contacts[i] = c.wire(true)
	}
	m := map[string]any{
		"id":              l.ID,
		"organization_id": l.OrganizationID,
		"name":            l.Name,
		"display_name":    l.DisplayName,
		"description":     l.Description,
		"url":             nullable(l.URL),
		"status_id":       l.StatusID,
		"status_label":    l.StatusLabel,
		"html_url":        l.HTMLURL,
		"contacts":        contacts,
		"addresses":       nonNil(l.Addresses),
		"tasks":           []any{},
		"opportunities":   []any{},
		"created_by":      l.CreatedBy,
		"updated_by":      l.UpdatedBy,
		"date_created":    l.DateCreated,
		"date_updated":    l.DateUpdated,
	}
	for k, v := range l.Custom {
		m["custom."+k] = v
	}
	return m
}

// MarshalJSON writes the contact as Close does, custom fields flattened.
func (c Contact) MarshalJSON() ([]byte, error) { return json.Marshal(c.wire(false)) }

// MarshalJSON writes the lead as Close does, custom fields flattened.
func (l Lead) MarshalJSON() ([]byte, error) { return json.Marshal(l.wire()) }

// UnmarshalJSON reads a contact written by MarshalJSON.
func (c *Contact) UnmarshalJSON(b []byte) error {
	type plain Contact
	var p plain
	custom, err := splitCustom(b, &p)
	if err != nil {
		return fmt.Errorf("decode contact: %w", err)
	}
	*c = Contact(p)
	c.Custom = custom
	return nil
}

// UnmarshalJSON reads a lead written by MarshalJSON (url null → "").
func (l *Lead) UnmarshalJSON(b []byte) error {
	var p struct {
		plainLead
		URL *string `json:"url"`
	}
	custom, err := splitCustom(b, &p)
	if err != nil {
		return fmt.Errorf("decode lead: %w", err)
	}
	*l = Lead(p.plainLead)
	if p.URL != nil {
		l.URL = *p.URL
	}
	l.Custom = custom
	return nil
}

// plainLead is Lead without its JSON methods, for decoding.
type plainLead Lead

// splitCustom decodes b into v and returns its "custom.<id>" keys.
func splitCustom(b []byte, v any) (map[string]any, error) {
	if err := json.Unmarshal(b, v); err != nil {
		return nil, err
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, err
	}
	custom := map[string]any{}
	for k, val := range raw {
		if id, ok := strings.CutPrefix(k, "custom."); ok {
			custom[id] = val
		}
	}
	if len(custom) == 0 {
		return nil, nil
	}
	return custom, nil
}

// clone returns a deep enough copy of l that the copy can be changed
// without touching l (records are shared between readers).
func (l Lead) clone() Lead {
	l.Contacts = slices.Clone(l.Contacts)
	l.Addresses = slices.Clone(l.Addresses)
	l.Custom = maps.Clone(l.Custom)
	return l
}

// clone returns a copy of c whose slices and map are its own.
func (c Contact) clone() Contact {
	c.Emails = slices.Clone(c.Emails)
	c.Phones = slices.Clone(c.Phones)
	c.URLs = slices.Clone(c.URLs)
	c.Custom = maps.Clone(c.Custom)
	return c
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
