package closem

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/mapping"
)

const created = `{"success":true,"contact_id":"1001","action":"created"}`

// Records in canonical names or CLOSEM aliases are sent under CLOSEM's
// canonical names.
func TestContactForm(t *testing.T) {
	tests := []struct {
		name string
		rec  mapping.Record
		want map[string]string
	}{
		{"canonical names", mapping.Record{"name": "John Doe", "email": "j@example.com", "phone": "9999999998", "notes": "n",
			"address": "1 Main St", "city": "Austin", "state": "TX", "zip": "02134", "tags": "42, 57", "contactlists": "18,32", "sequence_id": "99"},
			map[string]string{"fullname": "John Doe", "email": "j@example.com", "phone": "9999999998", "notes": "n", "address": "1 Main St",
				"city": "Austin", "state": "TX", "zip": "02134", "tags": "42,57", "contactlists": "18,32", "sequence_id": "99"}},
		{"aliases", mapping.Record{"mail": "m@example.com", "phone_number": "555-444-3333", "first": "Ann", "last_name": "Lee",
			"note": "x", "street": "2 Elm", "zipcode": "99999", "tag": "7", "contact_list": "8"},
			map[string]string{"email": "m@example.com", "phone": "555-444-3333", "firstname": "Ann", "lastname": "Lee", "notes": "x",
				"address": "2 Elm", "zip": "99999", "tags": "7", "contactlists": "8"}},
		{"more aliases", mapping.Record{"emailaddress": "e@example.com", "number": "5554443333", "full_name": "Bo", "zip_code": "1", "contact_lists": "3", "contactlist": "3"},
			map[string]string{"email": "e@example.com", "phone": "5554443333", "fullname": "Bo", "zip": "1", "contactlists": "3"}},
		{"email_address and phonenumber", mapping.Record{"email_address": "f@example.com", "phonenumber": "5554443333", "firstname": "Cy", "lastname": "Po"},
			map[string]string{"email": "f@example.com", "phone": "5554443333", "firstname": "Cy", "lastname": "Po"}},
		{"full name drops first and last", mapping.Record{"email": "g@example.com", "name": "Di Ro", "first_name": "Di", "last_name": "Ro"},
			map[string]string{"email": "g@example.com", "fullname": "Di Ro"}},
		{"empty values are not sent", mapping.Record{"email": "h@example.com", "city": "", "phone": "  "},
			map[string]string{"email": "h@example.com"}},
		{"duplicate tag ids merged", mapping.Record{"phone": "5554443333", "tags": "1,01, 2,,1"},
			map[string]string{"phone": "5554443333", "tags": "1,2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, c := newFake(t, "", respond(200, created))
			if _, err := c.Write(context.Background(), connector.Contact, tt.rec, connector.WriteOptions{Mode: connector.Create}); err != nil {
				t.Fatal(err)
			}
			s := f.last(t)
			if got := formOf(s); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("sent %v, want %v", got, tt.want)
			}
			if s.Method != "POST" || s.Path != "/" || s.Query.Get("m") != "api" || s.Query.Get("auth") != testKey ||
				s.ContentType != "application/x-www-form-urlencoded" || s.Form.Get("mode") != "addcontact" {
				t.Fatalf("request %+v", s)
			}
		})
	}
}

func TestWriteModes(t *testing.T) {
	tests := []struct {
		name       string
		mode       connector.Mode
		verify     bool
		body       string
		wantUpsert bool
		status     connector.Status
		note       string
	}{
		{"create", connector.Create, false, created, false, connector.Created, ""},
		{"upsert created", connector.Upsert, false, created, true, connector.Created, ""},
		{"upsert updated", connector.Upsert, false, `{"success":true,"contact_id":"1001","action":"updated"}`, true, connector.Updated, ""},
		{"upsert silent", connector.Upsert, false, "OK", true, connector.Updated, "did not say"},
		{"create silent", connector.Create, false, "OK", false, connector.Created, ""},
		{"verified create sends upsert", connector.Create, true, created, true, connector.Created, ""},
		{"verified create finds the earlier one", connector.Create, true, `{"success":true,"contact_id":"1001","action":"updated"}`, true, connector.Created, "earlier attempt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, c := newFake(t, "", respond(200, tt.body))
			res, err := c.Write(context.Background(), connector.Lead, mapping.Record{"email": "a@example.com"},
				connector.WriteOptions{Mode: tt.mode, Match: []string{"email"}, Verify: tt.verify})
			if err != nil {
				t.Fatal(err)
			}
			if got := f.last(t).Form.Get("upsert"); (got == "true") != tt.wantUpsert || (got != "" && got != "true") {
				t.Fatalf("upsert=%q, want sent: %v", got, tt.wantUpsert)
			}
			if res.Status != tt.status || (tt.note == "") != (res.Note == "") || !strings.Contains(res.Note, tt.note) {
				t.Fatalf("result %+v, want %s with note %q", res, tt.status, tt.note)
			}
		})
	}
}

// Rows CLOSEM would refuse fail before any call, and are not retried.
func TestRowErrors(t *testing.T) {
	tests := []struct {
		name string
		mode connector.Mode
		rec  mapping.Record
		want string
	}{
		{"no phone or email", connector.Upsert, mapping.Record{"name": "No Contact", "city": "Austin"}, "neither"},
		{"blank phone and email", connector.Create, mapping.Record{"email": " ", "phone": ""}, "neither"},
		{"tag names", connector.Create, mapping.Record{"email": "a@example.com", "tags": "vip,42"}, "not names"},
		{"list zero", connector.Create, mapping.Record{"email": "a@example.com", "contact_list": "0"}, `contact_list "0"`},
		{"two sequences", connector.Create, mapping.Record{"email": "a@example.com", "sequence_id": "1,2"}, "one sequence id"},
		{"aliases disagree", connector.Create, mapping.Record{"email": "a@example.com", "mail": "b@example.com"}, "differ"},
		{"custom field", connector.Create, mapping.Record{"email": "a@example.com", "custom.Source": "x"}, "no custom fields"},
		{"update", connector.Update, mapping.Record{"email": "a@example.com"}, "use mode upsert"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, c := newFake(t, "", respond(200, created))
			_, err := c.Write(context.Background(), connector.Contact, tt.rec, connector.WriteOptions{Mode: tt.mode, Match: []string{"email"}})
			ce, ok := connector.AsError(err)
			if !ok || ce.Retryable || ce.Auth || ce.MaybeApplied || !strings.Contains(ce.Error(), tt.want) {
				t.Fatalf("error %v, want a final row error with %q", err, tt.want)
			}
			if n := len(f.requests()); n != 0 {
				t.Fatalf("%d calls made for a row CLOSEM would refuse", n)
			}
		})
	}
}

// Prepare makes no call: CLOSEM has no harmless request to check a key.
func TestPrepareMakesNoCall(t *testing.T) {
	f, c := newFake(t, "", respond(401, `{"success":false,"error":"Invalid API key"}`))
	if err := c.Prepare(context.Background(), connector.Contact, []string{"email"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Prepare(context.Background(), "deal", nil); err == nil {
		t.Fatal("Prepare accepted object deal")
	}
	if len(f.requests()) != 0 {
		t.Fatal("Prepare called the API")
	}
	var _ connector.Connector = c
	if _, ok := any(c).(connector.Lister); ok {
		t.Fatal("CLOSEM has no list endpoint; the connector must not be a Lister")
	}
}
