package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
)

// State files hold 100k records or more. encoding/json marshals a whole
// value into one buffer before writing it, and its Decoder reads a whole
// value before decoding it, so a state file would sit in memory whole,
// twice or three times over. The helpers here write and read the top-level
// object one field and one array element at a time instead; the files are
// the same JSON either way.

// JSONWriter is a snapshot that writes its JSON itself, piece by piece, so
// that a large state never sits in memory whole. SaveJSON uses it when the
// value it is given has it.
type JSONWriter interface {
	WriteJSON(w io.Writer) error
}

// EncodeStream writes v as JSON: a struct (or pointer to one) field by
// field, the elements of its slice fields one at a time; anything else, or
// a struct with embedded fields or its own MarshalJSON, in one piece. The
// result is what json.Marshal writes, up to white space: array elements
// are on lines of their own.
func EncodeStream(w io.Writer, v any) error {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer && !rv.IsNil() {
		rv = rv.Elem()
	}
	fields, ok := streamable(rv.Type())
	if !ok || rv.Kind() != reflect.Struct {
		return writeValue(w, v)
	}
	if _, err := io.WriteString(w, "{"); err != nil {
		return err
	}
	first := true
	for _, f := range fields {
		fv := rv.Field(f.index)
		if f.omitEmpty && isEmpty(fv) {
			continue
		}
		if !first {
			if _, err := io.WriteString(w, ","); err != nil {
				return err
			}
		}
		first = false
		name, _ := json.Marshal(f.name)
		if _, err := fmt.Fprintf(w, "%s:", name); err != nil {
			return err
		}
		var err error
		if fv.Kind() == reflect.Slice && !fv.IsNil() && fv.Type().Elem().Kind() != reflect.Uint8 {
			err = WriteArray(w, fv.Len(), func(i int) any { return fv.Index(i).Interface() })
		} else {
			err = writeValue(w, fv.Interface())
		}
		if err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, "}")
	return err
}

// isEmpty is encoding/json's test for omitempty.
func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

// WriteArray writes n elements as a JSON array, each encoded on its own
// line (an Encoder reuses its buffer, where Marshal would make garbage of
// every element).
func WriteArray(w io.Writer, n int, elem func(i int) any) error {
	if _, err := io.WriteString(w, "["); err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	for i := range n {
		if i > 0 {
			if _, err := io.WriteString(w, ","); err != nil {
				return err
			}
		}
		if err := enc.Encode(elem(i)); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, "]")
	return err
}

func writeValue(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// DecodeStream reads JSON from r into v, a pointer: into a struct field by
// field, the elements of its slice fields one at a time, as
// json.Unmarshal would (keys matched to json tags, exactly or else without
// regard to case; unknown keys skipped); into anything else in one piece.
// A null leaves v untouched. What follows the value is not read.
func DecodeStream(r io.Reader, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return errors.New("decode stream: want a non-nil pointer")
	}
	t := rv.Type().Elem()
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	fields, ok := streamable(t)
	if !ok || t.Kind() != reflect.Struct {
		return json.NewDecoder(r).Decode(v)
	}
	// The struct is reached (and allocated) only once the value is known
	// not to be null.
	target := func() reflect.Value {
		e := rv.Elem()
		for e.Kind() == reflect.Pointer {
			if e.IsNil() {
				e.Set(reflect.New(e.Type().Elem()))
			}
			e = e.Elem()
		}
		return e
	}
	var sv reflect.Value
	return ReadObject(r, func(name string, dec *json.Decoder) error {
		if !sv.IsValid() {
			sv = target()
		}
		return decodeField(dec, sv, fields, name)
	})
}

// DecodeField reads the value dec is at into the field of *v (a struct)
// that the key name fills, as DecodeStream does: a slice field one element
// at a time, an unknown key skipped. It lets a fake that reads some keys of
// its state file itself (see ReadObject) leave the others to it.
func DecodeField(dec *json.Decoder, v any, name string) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return errors.New("decode field: want a non-nil pointer to a struct")
	}
	fields, ok := streamable(rv.Elem().Type())
	if !ok {
		return fmt.Errorf("decode field: %s is not a plain struct", rv.Elem().Type())
	}
	return decodeField(dec, rv.Elem(), fields, name)
}

func decodeField(dec *json.Decoder, sv reflect.Value, fields []streamField, name string) error {
	f, found := fieldByName(fields, name)
	if !found {
		var skip json.RawMessage
		return dec.Decode(&skip)
	}
	fv := sv.Field(f.index)
	if fv.Kind() != reflect.Slice || fv.Type().Elem().Kind() == reflect.Uint8 {
		return dec.Decode(fv.Addr().Interface())
	}
	// As json.Unmarshal: the slice is replaced, [] is empty, null nil.
	fv.Set(reflect.MakeSlice(fv.Type(), 0, 0))
	null, err := readArray(dec, func(dec *json.Decoder) error {
		e := reflect.New(fv.Type().Elem())
		if err := dec.Decode(e.Interface()); err != nil {
			return err
		}
		fv.Set(reflect.Append(fv, e.Elem()))
		return nil
	})
	if null {
		fv.Set(reflect.Zero(fv.Type()))
	}
	return err
}

// ReadObject reads the JSON object at the start of r, calling field with
// each key and the decoder positioned at its value, which field must read
// (dec.Decode, or ReadArray). A null is read as no fields.
func ReadObject(r io.Reader, field func(name string, dec *json.Decoder) error) error {
	dec := json.NewDecoder(r)
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok == nil {
		return nil
	}
	if tok != json.Delim('{') {
		return fmt.Errorf("want a JSON object, got %v", tok)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		name, _ := tok.(string)
		if err := field(name, dec); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	_, err = dec.Token() // the closing brace
	return err
}

// ReadArray reads the JSON array dec is at, calling elem with the decoder
// positioned at each element, which elem must read. A null is an empty array.
func ReadArray(dec *json.Decoder, elem func(dec *json.Decoder) error) error {
	_, err := readArray(dec, elem)
	return err
}

// readArray is ReadArray, telling whether the array was null.
func readArray(dec *json.Decoder, elem func(dec *json.Decoder) error) (null bool, err error) {
	tok, err := dec.Token()
	if err != nil {
		return false, err
	}
	if tok == nil {
		return true, nil
	}
	if tok != json.Delim('[') {
		return false, fmt.Errorf("want a JSON array, got %v", tok)
	}
	for i := 0; dec.More(); i++ {
		if err := elem(dec); err != nil {
			return false, fmt.Errorf("item %d: %w", i, err)
		}
	}
	_, err = dec.Token() // the closing bracket
	return false, err
}

// streamField is one JSON field of a struct EncodeStream and DecodeStream
// handle piece by piece.
type streamField struct {
	index     int
	name      string
	omitEmpty bool
}

// streamable lists t's JSON fields when t is a struct the stream helpers
// can handle field by field: no embedded fields, no custom (un)marshalling.
func streamable(t reflect.Type) ([]streamField, bool) {
	if t.Kind() != reflect.Struct {
		return nil, false
	}
	marshaler := reflect.TypeFor[json.Marshaler]()
	unmarshaler := reflect.TypeFor[json.Unmarshaler]()
	if t.Implements(marshaler) || reflect.PointerTo(t).Implements(marshaler) ||
		reflect.PointerTo(t).Implements(unmarshaler) {
		return nil, false
	}
	var out []streamField
	for i := range t.NumField() {
		sf := t.Field(i)
		if sf.Anonymous {
			return nil, false
		}
		if !sf.IsExported() {
			continue
		}
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = sf.Name
		}
		if strings.Contains(","+opts+",", ",string,") {
			return nil, false
		}
		out = append(out, streamField{index: i, name: name, omitEmpty: strings.Contains(","+opts+",", ",omitempty,")})
	}
	return out, true
}

// fieldByName finds the field a JSON key fills: the exact name, or else one
// equal to it without regard to case, as encoding/json does.
func fieldByName(fields []streamField, name string) (streamField, bool) {
	for _, f := range fields {
		if f.name == name {
			return f, true
		}
	}
	for _, f := range fields {
		if strings.EqualFold(f.name, name) {
			return f, true
		}
	}
	return streamField{}, false
}
