package closem

import (
	"strings"
	"testing"

	"github.com/crmload/crmload/internal/sandbox"
)

// Every documented field name lands in its field.
func TestAddContactAliases(t *testing.T) {
	tests := []struct {
		name  string
		value string
		get   func(Contact) string
	}{
		{"phone", "5550001111", func(c Contact) string { return c.Phone }},
		{"phonenumber", "5550001112", func(c Contact) string { return c.Phone }},
		{"number", "5550001113", func(c Contact) string { return c.Phone }},
		{"phone_number", "(555) 000-1114", func(c Contact) string { return c.Phone }},
		{"email", "a1@example.com", func(c Contact) string { return c.Email }},
		{"mail", "a2@example.com", func(c Contact) string { return c.Email }},
		{"emailaddress", "a3@example.com", func(c Contact) string { return c.Email }},
		{"email_address", "a4@example.com", func(c Contact) string { return c.Email }},
		{"fullname", "John Doe", Contact.FullName},
		{"name", "Jane Roe", Contact.FullName},
		{"full_name", "Ann Lee", Contact.FullName},
		{"firstname", "Amy", func(c Contact) string { return c.FirstName }},
		{"first", "Bea", func(c Contact) string { return c.FirstName }},
		{"first_name", "Cid", func(c Contact) string { return c.FirstName }},
		{"lastname", "Diaz", func(c Contact) string { return c.LastName }},
		{"last", "Eno", func(c Contact) string { return c.LastName }},
		{"last_name", "Fox", func(c Contact) string { return c.LastName }},
		{"notes", "Met at the fair", func(c Contact) string { return c.Notes }},
		{"note", "Call back", func(c Contact) string { return c.Notes }},
		{"address", "123 Testing Street", func(c Contact) string { return c.Address }},
		{"street", "9 Elm Road", func(c Contact) string { return c.Address }},
		{"city", "Fresno", func(c Contact) string { return c.City }},
		{"state", "CA", func(c Contact) string { return c.State }},
		{"zip", "99999", func(c Contact) string { return c.Zip }},
		{"zip_code", "02134", func(c Contact) string { return c.Zip }},
		{"zipcode", "10001", func(c Contact) string { return c.Zip }},
		{"tags", "42,57", func(c Contact) string { return strings.Join(c.Tags, ",") }},
		{"tag", "7", func(c Contact) string { return strings.Join(c.Tags, ",") }},
		{"contactlists", "18,32", func(c Contact) string { return strings.Join(c.ContactLists, ",") }},
		{"contactlist", "18", func(c Contact) string { return strings.Join(c.ContactLists, ",") }},
		{"contact_lists", "5, 6", func(c Contact) string { return strings.Join(c.ContactLists, ",") }},
		{"contact_list", "8", func(c Contact) string { return strings.Join(c.ContactLists, ",") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, c := start(t, sandbox.Options{})
			fields := vals("mode", "addcontact", tt.name, tt.value)
			if fields.Get("email")+fields.Get("mail")+fields.Get("emailaddress")+fields.Get("email_address") == "" &&
				fields.Get("phone")+fields.Get("phonenumber")+fields.Get("number")+fields.Get("phone_number") == "" {
				fields.Set("email", "base@example.com")
			}
			c.ok(fields)
			got := f.Contacts()
			want := strings.ReplaceAll(tt.value, " ", "")
			if len(got) != 1 || strings.ReplaceAll(tt.get(got[0]), " ", "") != want {
				t.Fatalf("%s=%q stored as %+v", tt.name, tt.value, got)
			}
		})
	}
}

func TestAddContactNames(t *testing.T) {
	tests := []struct {
		name        string
		fields      []string
		first, last string
	}{
		{"full name split at the first space", []string{"fullname", "Mary Ann Smith"}, "Mary", "Ann Smith"},
		{"first name only", []string{"fullname", "John"}, "John", ""},
		{"full name wins over first and last", []string{"fullname", "John Doe", "firstname", "X", "lastname", "Y"}, "John", "Doe"},
		{"first and last", []string{"firstname", "Ada", "last_name", "Byron"}, "Ada", "Byron"},
		{"first alias order", []string{"first", "B", "firstname", "A"}, "A", ""},
		{"empty canonical falls to alias", []string{"firstname", " ", "first", "C"}, "C", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, c := start(t, sandbox.Options{})
			c.ok(vals(append([]string{"mode", "addcontact", "email", "n@example.com"}, tt.fields...)...))
			got := f.Contacts()[0]
			if got.FirstName != tt.first || got.LastName != tt.last {
				t.Fatalf("first %q last %q, want %q %q", got.FirstName, got.LastName, tt.first, tt.last)
			}
		})
	}
}

func TestAddContactRefused(t *testing.T) {
	tests := []struct {
		name   string
		fields []string
		want   string
	}{
		{"no phone or email", []string{"fullname", "John Doe", "city", "Austin"}, "Phone and/or email is required"},
		{"blank phone and email", []string{"phone", " ", "email", ""}, "Phone and/or email is required"},
		{"bad email", []string{"email", "not-an-email"}, "Invalid email address"},
		{"email with display name", []string{"email", "Jo <jo@example.com>"}, "Invalid email address"},
		{"bad phone", []string{"phone", "call me"}, "Invalid phone number"},
		{"short phone", []string{"phone", "12345"}, "Invalid phone number"},
		{"tag name instead of id", []string{"email", "t@example.com", "tags", "vip"}, "tags:"},
		{"list id zero", []string{"email", "t@example.com", "contact_list", "0"}, "contactlists:"},
		{"two sequence ids", []string{"email", "t@example.com", "sequence_id", "1,2"}, "only send one sequence ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, c := start(t, sandbox.Options{})
			c.refused(vals(append([]string{"mode", "addcontact"}, tt.fields...)...), 400, tt.want)
			if len(f.Contacts()) != 0 {
				t.Fatal("a refused add stored a contact")
			}
		})
	}
}

// Without upsert addcontact always adds; with it, the contact matched by
// email (any case) or phone is updated.
func TestUpsertVersusDuplicate(t *testing.T) {
	f, c := start(t, sandbox.Options{})
	first := c.ok(vals("mode", "addcontact", "email", "dup@example.com", "fullname", "Dee Up", "tags", "1"))
	second := c.ok(vals("mode", "addcontact", "email", "dup@example.com", "fullname", "Dee Up"))
	if first.Action != "created" || second.Action != "created" || first.ContactID == second.ContactID || len(f.Contacts()) != 2 {
		t.Fatalf("add twice: %s / %s, %d contacts; want two created", first.Raw, second.Raw, len(f.Contacts()))
	}

	up := c.ok(vals("mode", "addcontact", "upsert", "true", "email", "DUP@example.com", "city", "Reno", "tags", "2,1"))
	if up.Action != "updated" || up.ContactID != first.ContactID || len(f.Contacts()) != 2 {
		t.Fatalf("upsert: %s, want the oldest (%s) updated", up.Raw, first.ContactID)
	}
	got := f.Contacts()[0]
	if got.City != "Reno" || got.FullName() != "Dee Up" || got.Email != "dup@example.com" || strings.Join(got.Tags, ",") != "1,2" {
		t.Fatalf("upserted contact %+v: want city set, name and email kept, tags added", got)
	}

	// Matched by phone, in another format; the email is then added.
	c.ok(vals("mode", "addcontact", "phone", "+1 (555) 444-3333", "firstname", "Pho"))
	byPhone := c.ok(vals("mode", "addcontact", "upsert", "1", "phone_number", "555-444-3333", "email", "pho@example.com"))
	if byPhone.Action != "updated" || len(f.Contacts()) != 3 || f.Contacts()[2].Email != "pho@example.com" {
		t.Fatalf("upsert by phone: %s, contacts %+v", byPhone.Raw, f.Contacts())
	}

	// Nothing matches: upsert creates.
	fresh := c.ok(vals("mode", "addcontact", "upsert", "TRUE", "email", "new@example.com"))
	if fresh.Action != "created" || len(f.Contacts()) != 4 {
		t.Fatalf("upsert of a new contact: %s", fresh.Raw)
	}
	// upsert=false is no upsert.
	if r := c.ok(vals("mode", "addcontact", "upsert", "false", "email", "new@example.com")); r.Action != "created" || len(f.Contacts()) != 5 {
		t.Fatalf("upsert=false: %s", r.Raw)
	}
}

func TestAddContactStartsSequence(t *testing.T) {
	f, c := start(t, sandbox.Options{})
	r := c.ok(vals("mode", "addcontact", "email", "s@example.com", "sequence_id", "99"))
	runs := f.Sequences()
	if len(runs) != 1 || runs[0].SequenceID != "99" || runs[0].Via != "addcontact" || strings.Join(runs[0].ContactIDs, ",") != r.ContactID {
		t.Fatalf("runs %+v", runs)
	}
}
