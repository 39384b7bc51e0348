package qlara

import (
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/crmload/crmload/internal/sandbox"
)

// The field indexes the packing reads directly match the struct, and the
// cursor knows every list field.
func TestFieldIndexes(t *testing.T) {
	typ := reflect.TypeFor[ContactFields]()
	for name, want := range map[string]int{
		"FullName": fieldFullName, "FirstName": fieldFirstName, "LastName": fieldLastName,
		"PhoneNumbers": fieldPhoneNumbers, "EmailAddresses": fieldEmailAddresses, "MainEmail": fieldMainEmail,
		"Country": fieldCountry, "City": fieldCity, "Addresses": fieldAddresses, "Tags": fieldTags,
	} {
		if f, ok := typ.FieldByName(name); !ok || f.Index[0] != want {
			t.Errorf("field %s is at %v, the constant says %d", name, f.Index, want)
		}
	}
	if typ.NumField() > 255 {
		t.Fatal("field indexes no longer fit a byte")
	}
	for i := range typ.NumField() {
		c := cursor{field: i}
		if list := typ.Field(i).Type.Kind() == reflect.Slice; c.isList() != list {
			t.Errorf("field %s: isList %v", typ.Field(i).Name, !list)
		}
	}
}

// Packed and unpacked, fields come back the same, nil and empty lists apart.
func TestPackFieldsRoundTrip(t *testing.T) {
	s := func(v string) *string { return &v }
	long := string(make([]byte, 300)) // a length over one varint byte
	tests := []struct {
		name string
		in   ContactFields
	}{
		{"nothing", ContactFields{}},
		{"typical", ContactFields{FirstName: s("Ann"), LastName: s("Lee"), FullName: s("Ann Lee"),
			PhoneNumbers: []string{"+393331234567"}, EmailAddresses: []string{"ann@x.example", "a@y.example"},
			City: s("Milano"), Tags: []string{"vip"}}},
		{"empty values and lists", ContactFields{Notes: s(""), Tags: []string{}, Addresses: []string{""}}},
		{"long and unicode", ContactFields{Notes: s(long), CustomField3: s("Zoë ✓"), Addresses: []string{long, "b"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := packFields(tt.in)
			if got := p.unpack(); !reflect.DeepEqual(got, tt.in) {
				t.Errorf("unpack = %+v, want %+v", got, tt.in)
			}
			if got, want := p.text(fieldFullName), str(tt.in.FullName); got != want {
				t.Errorf("text(fullName) = %q, want %q", got, want)
			}
			if got := p.list(fieldTags); !reflect.DeepEqual(got, tt.in.Tags) {
				t.Errorf("list(tags) = %#v, want %#v", got, tt.in.Tags)
			}
		})
	}
}

// The fake accepts every key of Options.Keys, and no other.
func TestSeveralAPIKeys(t *testing.T) {
	f := New(sandbox.Options{APIKey: "key-a", APIKeys: []string{"key-b"}})
	defer f.Close()
	for key, want := range map[string]int{"key-a": 200, "key-b": 200, sandbox.DefaultKey: 401} {
		req := httptest.NewRequest("GET", basePath+"/contacts", nil)
		req.Header.Set("X-API-Key", key)
		w := httptest.NewRecorder()
		f.ServeHTTP(w, req)
		if w.Code != want {
			t.Errorf("key %q: %d, want %d", key, w.Code, want)
		}
	}
}
