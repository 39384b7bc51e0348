package qlara

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Wire types of the Qlara Platform API, as documented in
// shared/seeds/qlara-platform-api.postman.json. A contact is kept as its raw
// JSON properties because the connector reads and writes its ~40 fields
// through one table (fields.go) rather than one accessor per field; a request
// body is a map so a PUT carries only the fields the row gives.

// contact is one contact as returned by GET /contacts, GET /contacts/{id}
// and inside the {"contacts": […]} envelope of POST and PUT /contacts.
type contact map[string]json.RawMessage

// contactBody is the body of POST /contacts and PUT /contacts/{id}: Qlara
// property name → string or []string.
type contactBody map[string]any

// id returns the contact's numeric id as text; "" when absent.
func (c contact) id() string { return rawID(c["id"]) }

// str returns a scalar property as text: strings unquoted, numbers and
// booleans as written, null and absent as "".
func (c contact) str(name string) string {
	raw := bytes.TrimSpace(c[name])
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// strs returns an array-of-strings property; a lone string counts as one item.
func (c contact) strs(name string) []string {
	raw := bytes.TrimSpace(c[name])
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return list
	}
	if s := c.str(name); s != "" {
		return []string{s}
	}
	return nil
}

// rawID renders a JSON id (documented as a number; a string is tolerated).
func rawID(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// decodeContacts reads a response that holds contacts in any of the shapes
// the collection shows: a bare array (GET /contacts), the {"contacts": […]}
// envelope (POST/PUT), or one bare contact (GET /contacts/{id}). A Spring-style
// {"content": […]} page is accepted too. An empty body is no contacts.
func decodeContacts(body []byte) ([]contact, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, nil
	}
	if body[0] == '[' {
		var list []contact
		if err := json.Unmarshal(body, &list); err != nil {
			return nil, fmt.Errorf("decode contacts: %w", err)
		}
		return list, nil
	}
	var obj contact
	if err := json.Unmarshal(body, &obj); err != nil {
		return nil, fmt.Errorf("decode contacts: %w", err)
	}
	for _, key := range []string{"contacts", "content"} {
		if raw, ok := obj[key]; ok {
			var list []contact
			if err := json.Unmarshal(raw, &list); err != nil {
				return nil, fmt.Errorf("decode contacts: %s: %w", key, err)
			}
			return list, nil
		}
	}
	if obj.id() != "" {
		return []contact{obj}, nil
	}
	return nil, nil
}

// totalPages returns the totalPages of a paged envelope ({"page", "limit",
// "totalCount", "totalPages"} as GET /exports shows), or -1 when the body
// is a bare array or carries no such field.
func totalPages(body []byte) int {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return -1
	}
	var env struct {
		TotalPages *int `json:"totalPages"`
	}
	if json.Unmarshal(body, &env) != nil || env.TotalPages == nil {
		return -1
	}
	return *env.TotalPages
}

// contactList is one contact list (GET /contacts/list, GET and POST
// /contacts/list/{id}).
type contactList struct {
	ID         json.RawMessage `json:"id"`
	Name       string          `json:"name"`
	NumContact int             `json:"numContact"`
	IsTest     bool            `json:"isTest"`
	IsDeleted  bool            `json:"isDeleted"`
}

// newList is the body of POST /contacts/list.
type newList struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// association is the body of POST /contacts/list/contacts. AllContacts is
// always sent false: true would add every contact of the account.
type association struct {
	ListIDs     []json.RawMessage `json:"listIds"`
	ContactIDs  []json.RawMessage `json:"contactIds"`
	AllContacts bool              `json:"allContacts"`
}

// wireID turns an id the API gave as text back into a JSON number, as the
// association body expects; a non-numeric id is sent as a string so the
// API's own validation names it.
func wireID(id string) json.RawMessage {
	if _, err := strconv.ParseInt(id, 10, 64); err == nil {
		return json.RawMessage(id)
	}
	return json.RawMessage(strconv.Quote(id))
}

// apiMessage extracts a human message from an error body. The collection
// documents no error shape (its examples are empty), so it reads the usual
// suspects — message, error, detail, title, errors — and falls back to
// the body's first line.
func apiMessage(body []byte) string {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return ""
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(body, &obj) == nil {
		// Spring's {"error": "Bad Request", "message": "…"} puts the words
		// that matter in message; error is only the status text there.
		var parts []string
		for _, key := range []string{"message", "detail", "error", "title"} {
			if s := contact(obj).str(key); s != "" {
				parts = append(parts, s)
				break
			}
		}
		for _, s := range errorList(obj["errors"]) {
			if !slices.Contains(parts, s) {
				parts = append(parts, s)
			}
		}
		if len(parts) > 0 {
			return clip(strings.Join(parts, "; "))
		}
	}
	var s string
	if json.Unmarshal(body, &s) == nil {
		return clip(s)
	}
	return clip(strings.Join(strings.Fields(string(body)), " "))
}

// errorList reads an "errors" array of strings or of {field, message} objects.
func errorList(raw json.RawMessage) []string {
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		return nil
	}
	var out []string
	for _, item := range items {
		var s string
		if json.Unmarshal(item, &s) == nil {
			out = append(out, s)
			continue
		}
		var fe struct {
			Field   string `json:"field"`
			Message string `json:"message"`
		}
		if json.Unmarshal(item, &fe) == nil && fe.Message != "" {
			if fe.Field != "" {
				out = append(out, fe.Field+": "+fe.Message)
			} else {
				out = append(out, fe.Message)
			}
		}
	}
	return out
}

// clip keeps a message short enough for a report cell.
func clip(s string) string {
	if r := []rune(s); len(r) > 300 {
		return string(r[:300]) + "…"
	}
	return s
}
