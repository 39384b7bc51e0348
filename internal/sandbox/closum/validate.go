package closum

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

const maxBody = 1 << 20

// readBody decodes a request body the way the PHP framework behind Closum
// would: JSON when the Content-Type says application/json, form fields for
// url-encoded and multipart bodies (with tags[1]=… and custom_fields[var]=…
// keys, which the docs mention), and nothing otherwise, so that the fields of
// an unlabelled body count as missing. It fails only on malformed JSON.
func readBody(w http.ResponseWriter, r *http.Request) (map[string]any, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/json":
		dec := json.NewDecoder(r.Body)
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); errors.Is(err, io.EOF) {
			return map[string]any{}, nil
		} else if err != nil {
			return nil, fmt.Errorf("decode body: %w", err)
		}
		if err := dec.Decode(new(any)); !errors.Is(err, io.EOF) {
			return nil, errors.New("decode body: data after the JSON value")
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, errors.New("decode body: not a JSON object")
		}
		return m, nil
	case "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			return nil, fmt.Errorf("parse form: %w", err)
		}
		return formMap(r.PostForm), nil
	case "multipart/form-data":
		if err := r.ParseMultipartForm(maxBody); err != nil {
			return nil, fmt.Errorf("parse form: %w", err)
		}
		return formMap(r.MultipartForm.Value), nil
	}
	return map[string]any{}, nil
}

// formMap turns form keys like tags[1] or custom_fields[var] into nested
// maps, as PHP does; tags[] appends.
func formMap(vals url.Values) map[string]any {
	m := map[string]any{}
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, val := range vals[k] {
			i := strings.IndexByte(k, '[')
			if i <= 0 || !strings.HasSuffix(k, "]") {
				m[k] = val
				continue
			}
			base, sub := k[:i], k[i+1:len(k)-1]
			inner, _ := m[base].(map[string]any)
			if inner == nil {
				inner = map[string]any{}
				m[base] = inner
			}
			if sub == "" {
				sub = strconv.Itoa(len(inner))
			}
			inner[sub] = val
		}
	}
	return m
}

// validator reads typed fields from a decoded body and collects every
// problem, so one answer lists them all.
type validator struct {
	body map[string]any
	errs []string
}

func (v *validator) failf(format string, a ...any) {
	v.errs = append(v.errs, fmt.Sprintf(format, a...))
}

// value returns a field; JSON null counts as absent.
func (v *validator) value(key string) (any, bool) {
	x, ok := v.body[key]
	return x, ok && x != nil
}

func scalar(x any) (string, bool) {
	switch t := x.(type) {
	case string:
		return t, true
	case json.Number:
		return t.String(), true
	}
	return "", false
}

// text reads a string field, trimmed; nil when absent.
func (v *validator) text(key string) *string {
	x, ok := v.value(key)
	if !ok {
		return nil
	}
	s, ok := x.(string)
	if !ok {
		v.failf("%s must be a string", key)
		return nil
	}
	s = strings.TrimSpace(s)
	return &s
}

// boolean accepts what CakePHP's boolean rule accepts: true, false, 0, 1,
// "0", "1". Nothing else ("true", "yes", "") is a boolean.
func (v *validator) boolean(key string, required bool) *bool {
	x, ok := v.value(key)
	if !ok {
		if required {
			v.failf("%s is required", key)
		}
		return nil
	}
	var b bool
	if t, isBool := x.(bool); isBool {
		b = t
	} else {
		switch s, _ := scalar(x); s {
		case "1":
			b = true
		case "0":
			b = false
		default:
			v.failf("%s must be a boolean", key)
			return nil
		}
	}
	return &b
}

// integer reads a whole number in [lo, hi], given as a JSON number or a
// string of digits; msg is the error.
func (v *validator) integer(key string, lo, hi int, msg string) *int {
	x, ok := v.value(key)
	if !ok {
		return nil
	}
	s, ok := scalar(x)
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if !ok || err != nil || n < lo || n > hi {
		v.failf("%s", msg)
		return nil
	}
	return &n
}

// email reads an address; "" counts as absent (PHP's empty()).
func (v *validator) email(key string) *string {
	s := v.text(key)
	if s == nil || *s == "" {
		return nil
	}
	if a, err := mail.ParseAddress(*s); err != nil || a.Address != *s || !strings.Contains(a.Address, "@") {
		v.failf("%s must be a valid email address", key)
		return nil
	}
	return s
}

// validMobile: digits with an optional leading +, 6 to 15 of them (E.164's
// longest). The collection gives no format; spaces and dashes are refused.
func validMobile(s string) bool {
	digits := strings.TrimPrefix(s, "+")
	if len(digits) < 6 || len(digits) > 15 {
		return false
	}
	for _, r := range digits {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// mobile reads a number, as a string or a JSON number; "" is returned as
// is (absent on add, cleared on edit).
func (v *validator) mobile(key string) *string {
	x, ok := v.value(key)
	if !ok {
		return nil
	}
	s, ok := scalar(x)
	s = strings.TrimSpace(s)
	if !ok || (s != "" && !validMobile(s)) {
		v.failf("%s must be a valid mobile number", key)
		return nil
	}
	return &s
}

// date reads a Y-m-d date that exists (no 1990-02-30, no 1990-5-1).
func (v *validator) date(key string) *string {
	x, ok := v.value(key)
	if !ok {
		return nil
	}
	s, _ := x.(string)
	if t, err := time.Parse(time.DateOnly, s); err != nil || t.Format(time.DateOnly) != s {
		v.failf("%s must be a valid date in the format Y-m-d", key)
		return nil
	}
	return &s
}

// tags reads an array of tag names, or the object PHP makes of tags[N]
// keys, in key order; duplicates (any case) are dropped.
func (v *validator) tags(key string) []string {
	x, ok := v.value(key)
	if !ok {
		return nil
	}
	var raw []any
	switch t := x.(type) {
	case []any:
		raw = t
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b string) int {
			na, ea := strconv.Atoi(a)
			nb, eb := strconv.Atoi(b)
			if ea == nil && eb == nil {
				return na - nb
			}
			return strings.Compare(a, b)
		})
		for _, k := range keys {
			raw = append(raw, t[k])
		}
	default:
		v.failf("%s must be an array of tag names", key)
		return nil
	}
	var out []string
	for _, e := range raw {
		s, ok := scalar(e)
		s = strings.TrimSpace(s)
		if !ok || s == "" {
			v.failf("%s must be an array of tag names", key)
			return nil
		}
		if !slices.ContainsFunc(out, func(o string) bool { return strings.EqualFold(o, s) }) {
			out = append(out, s)
		}
	}
	return out
}

// customFields reads {var: value}; every var must name an existing field.
// A null value clears the field. The result is keyed by field id.
func (v *validator) customFields(key string, d *data) map[string]*string {
	x, ok := v.value(key)
	if !ok {
		return nil
	}
	m, isMap := x.(map[string]any)
	if arr, isArr := x.([]any); isArr && len(arr) == 0 {
		m, isMap = map[string]any{}, true // PHP encodes an empty object as []
	}
	if !isMap {
		v.failf("%s must be an object of field var to value", key)
		return nil
	}
	out := map[string]*string{}
	vars := make([]string, 0, len(m))
	for k := range m {
		vars = append(vars, k)
	}
	slices.Sort(vars)
	for _, name := range vars {
		fr, known := d.fieldByVar[name]
		if !known {
			v.failf("%s: unknown field var %q", key, name)
			continue
		}
		val := m[name]
		if val == nil {
			out[fr.ID] = nil
			continue
		}
		s, ok := scalar(val)
		if b, isBool := val.(bool); isBool {
			s, ok = map[bool]string{true: "1", false: "0"}[b], true
		}
		if !ok {
			v.failf("%s: value of %q must be a string or a number", key, name)
			continue
		}
		out[fr.ID] = &s
	}
	return out
}

// jsonText reads custom_data ("Json" in the docs): a string holding JSON,
// or a JSON object or array, stored as its text.
func (v *validator) jsonText(key string) *string {
	x, ok := v.value(key)
	if !ok {
		return nil
	}
	switch t := x.(type) {
	case string:
		if !json.Valid([]byte(t)) {
			v.failf("%s must be valid JSON", key)
			return nil
		}
		return &t
	case map[string]any, []any:
		b, err := json.Marshal(t)
		if err != nil {
			v.failf("%s must be valid JSON", key)
			return nil
		}
		s := string(b)
		return &s
	}
	v.failf("%s must be valid JSON", key)
	return nil
}
