package closem

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"
)

// answer is what a CLOSEM response body says. The help page shows no
// response at all, so readAnswer understands the shapes a PHP API plausibly
// sends: a JSON object with a success flag and an error text, a JSON array
// of such objects, plain text ("OK", "error: …") or nothing.
type answer struct {
	ok      bool
	message string // the API's words: an error, or a text answer
	html    bool   // a web page, not an API answer
	login   bool   // … that asks to log in

	action     string // "created" or "updated" when the answer says
	id         string // contact_id, appointment_id or id
	count      int    // contacts acted on, when hasCount
	hasCount   bool
	contactIDs []string // the contacts acted on, when listed
	code       int      // a numeric status or code in the body, 0 if none
}

// readAnswer interprets a body.
func readAnswer(body []byte) answer {
	trimmed := bytes.TrimSpace(body)
	var v any
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.UseNumber()
	if len(trimmed) > 0 && dec.Decode(&v) == nil && !dec.More() {
		return fromJSON(v)
	}
	return fromText(string(trimmed))
}

// fromJSON interprets a decoded JSON body.
func fromJSON(v any) answer {
	switch t := v.(type) {
	case map[string]any:
		return fromObject(t)
	case []any:
		if len(t) > 0 {
			if obj, ok := t[0].(map[string]any); ok {
				return fromObject(obj)
			}
		}
		return answer{ok: true}
	case string:
		return fromText(t)
	case bool:
		return answer{ok: t}
	}
	return answer{ok: true} // a bare number or null: nothing says it failed
}

// fromObject reads flags, texts, ids and counts from a JSON object. An
// explicit flag (success, ok, status, result) decides; without one an
// error text means failure.
func fromObject(obj map[string]any) answer {
	a := answer{ok: true}
	flagged := false
	for _, k := range []string{"success", "ok", "status", "result"} {
		if ok, known := flag(obj[k]); known {
			a.ok, flagged = ok, true
			break
		}
	}
	for _, k := range []string{"code", "status", "status_code"} {
		if n, ok := obj[k].(json.Number); ok {
			if i, err := n.Int64(); err == nil && i >= 100 {
				a.code = int(i)
				break
			}
		}
	}
	errText := ""
	for _, k := range []string{"error", "errors", "error_message", "message", "msg", "detail", "reason"} {
		if s := text(obj[k]); s != "" {
			if k == "message" || k == "msg" || k == "detail" || k == "reason" {
				a.message = s
				continue
			}
			errText = s
			break
		}
	}
	if !flagged && errText != "" {
		a.ok = false
	}
	if errText != "" && !a.ok {
		a.message = errText
	}
	if !a.ok && a.message == "" {
		a.message = "CLOSEM refused the request without saying why"
	}
	a.action = actionOf(obj)
	a.id = idOf(obj)
	for _, k := range []string{"contacts", "count", "matched", "contacts_count"} {
		if n, ok := obj[k].(json.Number); ok {
			if i, err := n.Int64(); err == nil {
				a.count, a.hasCount = int(i), true
				break
			}
		}
	}
	if ids, ok := obj["contact_ids"].([]any); ok {
		for _, id := range ids {
			switch t := id.(type) {
			case string:
				a.contactIDs = append(a.contactIDs, t)
			case json.Number:
				a.contactIDs = append(a.contactIDs, t.String())
			}
		}
		if !a.hasCount {
			a.count, a.hasCount = len(ids), true
		}
	}
	return a
}

// flag reads a success flag: a boolean, 1/0, "success"/"error" and the
// like, or an HTTP-like status number. known is false when v says nothing.
func flag(v any) (ok, known bool) {
	switch t := v.(type) {
	case bool:
		return t, true
	case json.Number:
		i, err := t.Int64()
		switch {
		case err != nil:
			return false, false
		case i == 1 || (i >= 200 && i < 300):
			return true, true
		case i == 0 || i >= 400:
			return false, true
		}
	case string:
		switch strings.ToLower(strings.TrimSpace(t)) {
		case "success", "successful", "ok", "true", "1", "done", "created", "updated":
			return true, true
		case "error", "fail", "failed", "failure", "false", "0", "invalid":
			return false, true
		}
	}
	return false, false
}

// text renders an error or message value: a string, a list of strings or
// an object of field errors; true means "there was an error".
func text(v any) string {
	switch t := v.(type) {
	case string:
		return strings.TrimSpace(t)
	case bool:
		if t {
			return "error"
		}
	case []any:
		var parts []string
		for _, x := range t {
			if s := text(x); s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, "; ")
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			if s := text(t[k]); s != "" {
				parts = append(parts, k+": "+s)
			}
		}
		return strings.Join(parts, "; ")
	case json.Number:
		return "" // a numeric error code is not a message
	}
	return ""
}

// actionOf says whether the answer reports a created or an updated contact.
func actionOf(obj map[string]any) string {
	for _, k := range []string{"action", "result", "operation", "status"} {
		if s, ok := obj[k].(string); ok {
			switch strings.ToLower(strings.TrimSpace(s)) {
			case "created", "create", "added", "add", "inserted", "new":
				return "created"
			case "updated", "update", "modified", "upserted", "existing":
				return "updated"
			}
		}
	}
	for _, k := range []string{"created", "is_new", "new", "updated"} {
		if b, ok := obj[k].(bool); ok && b {
			if k == "updated" {
				return "updated"
			}
			return "created"
		}
	}
	return ""
}

// idOf finds the id the answer gives, also inside a "contact" or "data"
// object.
func idOf(obj map[string]any) string {
	for _, k := range []string{"contact_id", "contactid", "contactId", "appointment_id", "id", "user_id", "userid"} {
		switch t := obj[k].(type) {
		case string:
			if t = strings.TrimSpace(t); t != "" {
				return t
			}
		case json.Number:
			return t.String()
		}
	}
	for _, k := range []string{"contact", "data", "user", "result"} {
		if inner, ok := obj[k].(map[string]any); ok {
			if id := idOf(inner); id != "" {
				return id
			}
		}
	}
	return ""
}

// fromText interprets a body that is not JSON.
func fromText(s string) answer {
	l := strings.ToLower(s)
	switch {
	case s == "":
		return answer{ok: true}
	case strings.HasPrefix(l, "<!doctype") || strings.HasPrefix(l, "<html") || strings.Contains(l, "<body"):
		login := strings.Contains(l, "login") || strings.Contains(l, "log in") || strings.Contains(l, "sign in") ||
			strings.Contains(l, "password")
		return answer{html: true, login: login,
			message: "CLOSEM answered with a web page, not an API answer: check base_url (the company base URL, e.g. https://app.closem.ai/) and the API key"}
	case successText(l):
		return answer{ok: true, message: s}
	case failureText(l):
		return answer{message: s}
	}
	return answer{ok: true, message: s}
}

// successText reports whether a text answer (lower case) starts by saying
// it worked, so "OK (no errors)" is not taken for a failure.
func successText(l string) bool {
	for _, p := range []string{"ok", "success", "true", "done", "1"} {
		if l == p || strings.HasPrefix(l, p+" ") || strings.HasPrefix(l, p+":") || strings.HasPrefix(l, p+",") ||
			strings.HasPrefix(l, p+".") || strings.HasPrefix(l, p+"!") || strings.HasPrefix(l, p+"(") {
			return true
		}
	}
	return strings.HasPrefix(l, "successfully ")
}

// failureText reports whether a text answer (lower case) is an error.
func failureText(l string) bool {
	for _, p := range []string{"error", "fail", "invalid", "denied", "unauthori", "forbidden", "not allowed",
		"required", "missing", "too many", "rate limit", "not found", "exception"} {
		if strings.Contains(l, p) {
			return true
		}
	}
	return l == "false" || l == "0" || l == "no"
}

// authProblem reports whether the API's words reject the key.
func authProblem(msg string) bool {
	l := strings.ToLower(msg)
	for _, p := range []string{"api key", "api_key", "apikey", "auth", "unauthori", "forbidden", "access denied", "permission denied"} {
		if strings.Contains(l, p) {
			return true
		}
	}
	return false
}

// rateProblem reports whether the API's words say it is throttling.
func rateProblem(msg string) bool {
	l := strings.ToLower(msg)
	return strings.Contains(l, "too many") || strings.Contains(l, "rate limit") || strings.Contains(l, "throttl")
}

// snippet returns the start of a text on one line, for a message.
func snippet(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 300 {
		s = string(r[:300]) + "…"
	}
	return s
}
