package closumv1

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/mail"
	"slices"
	"strconv"
	"strings"
)

const (
	maxBody       = 1 << 20
	maxText       = 255   // name, email, label: a VARCHAR(255)
	maxCustomData = 65535 // custom_data: a TEXT column
)

// badBody is the one complaint about a body that is not one JSON object.
const badBody = "request body must be one JSON object (Content-Type: application/json)"

// readJSON decodes a request body that must be "formated in (absolutely)
// correct JSON format": Content-Type application/json and exactly one JSON
// object. Anything else, an empty body included, is refused.
func readJSON(w http.ResponseWriter, r *http.Request) (map[string]any, error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/json" {
		return nil, errors.New(badBody)
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("decode body: %w", err)
	}
	if err := dec.Decode(new(any)); !errors.Is(err, io.EOF) {
		return nil, errors.New(badBody)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New(badBody)
	}
	return m, nil
}

// checker reads typed fields from a decoded body and collects every problem
// the way CakePHP reports entity errors: nested by field path, then keyed by
// rule name, e.g. {"email": {"email": {"_required": "This field is required"}}}.
type checker struct {
	errs map[string]any
	n    int
}

func (c *checker) add(path []string, rule, msg string) {
	if c.errs == nil {
		c.errs = map[string]any{}
	}
	m := c.errs
	for _, p := range path {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	if _, dup := m[rule]; !dup {
		c.n++
	}
	m[rule] = msg
}

func at(path []string, key string) []string { return append(slices.Clip(path), key) }

// value returns a field; JSON null counts as not sent, as CakePHP's
// marshaller treats it.
func value(obj map[string]any, key string) (any, bool) {
	x, ok := obj[key]
	return x, ok && x != nil
}

// only refuses keys outside allowed: the doc lists every accepted field,
// and a silently dropped field is a bug a client should hear about.
func (c *checker) only(obj map[string]any, path []string, allowed ...string) {
	for k := range obj {
		if !slices.Contains(allowed, k) {
			c.add(at(path, k), "_unknown", "This field is not accepted")
		}
	}
}

// text reads a non-empty string of at most maxLen characters.
func (c *checker) text(obj map[string]any, path []string, key string, maxLen int, required bool) *string {
	x, ok := value(obj, key)
	if !ok {
		if required {
			c.add(at(path, key), "_required", "This field is required")
		}
		return nil
	}
	s, isStr := x.(string)
	switch {
	case !isStr:
		c.add(at(path, key), "string", "The provided value must be a string")
	case s == "":
		c.add(at(path, key), "_empty", "This field cannot be left empty")
	case len([]rune(s)) > maxLen:
		c.add(at(path, key), "maxLength", fmt.Sprintf("The provided value must be at most %d characters long", maxLen))
	default:
		return &s
	}
	return nil
}

// positiveInt reads an integer id given as a JSON number or a string of
// digits (the doc's own example sends "contact_type_id": "1").
func (c *checker) positiveInt(obj map[string]any, path []string, key string, required bool) *int {
	x, ok := value(obj, key)
	if !ok {
		if required {
			c.add(at(path, key), "_required", "This field is required")
		}
		return nil
	}
	var s string
	switch t := x.(type) {
	case json.Number:
		s = t.String()
	case string:
		s = t
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 || strings.HasPrefix(s, "+") {
		c.add(at(path, key), "integer", "The provided value must be a positive integer")
		return nil
	}
	return &n
}

// boolean accepts JSON true and false, and 0/1 as number or string, as
// CakePHP's boolean rule does; "true", "yes" or "" are refused.
func (c *checker) boolean(obj map[string]any, path []string, key string) *bool {
	x, ok := value(obj, key)
	if !ok {
		c.add(at(path, key), "_required", "This field is required")
		return nil
	}
	var b bool
	switch t := x.(type) {
	case bool:
		b = t
	case json.Number, string:
		switch fmt.Sprint(t) {
		case "1":
			b = true
		case "0":
			b = false
		default:
			c.add(at(path, key), "boolean", "The provided value must be a boolean")
			return nil
		}
	default:
		c.add(at(path, key), "boolean", "The provided value must be a boolean")
		return nil
	}
	return &b
}

// object reads a nested JSON object; nil when not sent.
func (c *checker) object(obj map[string]any, path []string, key string) map[string]any {
	x, ok := value(obj, key)
	if !ok {
		return nil
	}
	m, isObj := x.(map[string]any)
	if !isObj {
		c.add(at(path, key), "object", "The provided value must be a JSON object")
		return nil
	}
	return m
}

// validEmail: a bare address (no display name, no surrounding spaces)
// whose domain has a dot and a top-level label of two letters or more,
// as CakePHP's email rule demands.
func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s {
		return false
	}
	_, domain, ok := strings.Cut(s, "@")
	i := strings.LastIndexByte(domain, '.')
	if !ok || i <= 0 || len(domain)-i-1 < 2 {
		return false
	}
	for _, r := range domain[i+1:] {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// emailAddr reads an address field.
func (c *checker) emailAddr(obj map[string]any, path []string, key string) *string {
	s := c.text(obj, path, key, maxText, true)
	if s != nil && !validEmail(*s) {
		c.add(at(path, key), "email", "The provided value must be a valid email address")
		return nil
	}
	return s
}

// phoneInput is a phone object as sent.
type phoneInput struct {
	extension *string
	number    string
}

// validNumber: 6 to 15 digits, separated at most by spaces, dashes, dots
// or parentheses ("517-388-1452", "916912468"). A "+" is refused: the
// country code goes in extension.
func validNumber(s string) bool {
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune(" -.()", r):
		default:
			return false
		}
	}
	return digits >= 6 && digits <= 15 && s[0] != ' ' && s[len(s)-1] != ' '
}

// validExtension: the country calling code, 1 to 4 digits ("001", "351").
func validExtension(s string) bool {
	if len(s) < 1 || len(s) > 4 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// phone reads a phone object's fields: number required, extension optional.
func (c *checker) phone(obj map[string]any, path []string) *phoneInput {
	c.only(obj, path, "extension", "number")
	var in phoneInput
	ok := true
	if ext := c.text(obj, path, "extension", 4, false); ext != nil {
		if !validExtension(*ext) {
			c.add(at(path, "extension"), "extension", "The extension must be a country calling code of 1 to 4 digits, such as 001 or 351")
			ok = false
		}
		in.extension = ext
	} else if _, sent := value(obj, "extension"); sent {
		ok = false
	}
	num := c.text(obj, path, "number", 32, true)
	if num != nil && !validNumber(*num) {
		c.add(at(path, "number"), "phoneNumber", "The number must hold 6 to 15 digits, optionally separated by spaces, dashes, dots or parentheses, without the country code")
		num = nil
	}
	if num == nil || !ok {
		return nil
	}
	in.number = *num
	return &in
}

// enviromentKeys are the Enviroment Properties the doc lists.
func enviromentKeys() []string {
	return []string{"CONTENT_LENGTH", "HTTP_USER_AGENT", "HTTP_REFERER", "HTTP_ACCEPT_LANGUAGE",
		"REMOTE_ADDR", "REMOTE_PORT", "REQUEST_URI", "REQUEST_TIME_FLOAT"}
}

// optIn reads a lead_opt_in or unqualified_lead_opt_in object: sms and
// email required booleans; enviroment optional, as an object (the
// example) or a string holding one (the property table), of documented
// keys with string values.
func (c *checker) optIn(obj map[string]any, path []string) *optInRec {
	c.only(obj, path, "sms", "email", "enviroment")
	sms, email := c.boolean(obj, path, "sms"), c.boolean(obj, path, "email")
	env, envOK := c.enviroment(obj, path)
	if sms == nil || email == nil || !envOK {
		return nil
	}
	return &optInRec{SMS: *sms, Email: *email, Environment: env}
}

func (c *checker) enviroment(obj map[string]any, path []string) (map[string]string, bool) {
	x, ok := value(obj, "enviroment")
	if !ok {
		return nil, true
	}
	p := at(path, "enviroment")
	if s, isStr := x.(string); isStr {
		dec := json.NewDecoder(strings.NewReader(s))
		dec.UseNumber()
		if err := dec.Decode(&x); err != nil {
			c.add(p, "json", "The provided value must be a JSON object")
			return nil, false
		}
	}
	m, isObj := x.(map[string]any)
	if !isObj {
		c.add(p, "object", "The provided value must be a JSON object")
		return nil, false
	}
	before := c.n
	keys := enviromentKeys()
	c.only(m, p, keys...)
	env := map[string]string{}
	for _, k := range keys {
		if s := c.text(m, p, k, 2048, false); s != nil {
			env[k] = *s
		}
	}
	return env, c.n == before
}

// customData reads "a JSON formated string containing extra fields": a
// string whose content is a JSON object.
func (c *checker) customData(obj map[string]any) *string {
	s := c.text(obj, nil, "custom_data", maxCustomData, false)
	if s == nil {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(*s), &m); err != nil || m == nil {
		c.add([]string{"custom_data"}, "json", "The provided value must be a string holding a JSON object")
		return nil
	}
	return s
}
