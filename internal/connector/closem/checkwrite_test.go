package closem

import (
	"strings"
	"testing"

	"github.com/crmload/crmload/internal/connector"
)

func TestCheckWrite(t *testing.T) {
	tests := []struct {
		name   string
		action string
		obj    connector.Object
		mode   connector.Mode
		match  []string
		fields []string
		want   []string // parts of the error; none for success
	}{
		{"canonical fields", "", connector.Contact, connector.Upsert, []string{"email"},
			[]string{"name", "first_name", "last_name", "email", "phone", "notes", "address", "city", "state", "zip", "tags", "contactlists", "sequence_id"}, nil},
		{"every phone alias", "", connector.Lead, connector.Create, nil, []string{"phonenumber"}, nil},
		{"number alias", "", connector.Contact, connector.Create, nil, []string{"number"}, nil},
		{"phone_number alias", "", connector.Contact, connector.Create, nil, []string{"phone_number"}, nil},
		{"email aliases", "", connector.Contact, connector.Upsert, []string{"mail"}, []string{"mail", "fullname", "firstname", "lastname"}, nil},
		{"emailaddress alias", "", connector.Contact, connector.Create, nil, []string{"emailaddress", "full_name", "first", "last"}, nil},
		{"email_address alias", "", connector.Contact, connector.Create, nil, []string{"email_address", "note", "street", "zip_code", "tag", "contact_list"}, nil},
		{"more aliases", "", connector.Contact, connector.Create, nil, []string{"email", "zipcode", "contactlist"}, nil},
		{"contact_lists alias", "", connector.Contact, connector.Create, nil, []string{"email", "contact_lists"}, nil},
		{"match by phone alias", "", connector.Contact, connector.Upsert, []string{"phone_number"}, []string{"phone_number"}, nil},

		{"update refused", "", connector.Contact, connector.Update, []string{"email"}, []string{"email"}, []string{"mode update", "use mode upsert"}},
		{"unknown mode", "", connector.Contact, "merge", nil, []string{"email"}, []string{`unknown mode "merge"`}},
		{"unknown object", "", "deal", connector.Create, nil, []string{"email"}, []string{`unknown object "deal"`}},
		{"no phone or email", "", connector.Contact, connector.Create, nil, []string{"name", "city"}, []string{"needs an email or a phone"}},
		{"alias twice", "", connector.Contact, connector.Create, nil, []string{"email", "phone", "phone_number"}, []string{`"phone", "phone_number": all are CLOSEM's phone`}},
		{"name twice", "", connector.Contact, connector.Create, nil, []string{"email", "name", "fullname"}, []string{"CLOSEM's fullname"}},
		{"custom field", "", connector.Contact, connector.Create, nil, []string{"email", "custom.Source"}, []string{"no custom fields"}},
		{"unknown field", "", connector.Contact, connector.Create, nil, []string{"email", "company"}, []string{`field "company": not a CLOSEM field`}},
		{"id field", "", connector.Contact, connector.Create, nil, []string{"email", "id"}, []string{`field "id"`}},
		{"upsert without match", "", connector.Contact, connector.Upsert, nil, []string{"email"}, []string{"upsert needs a match key"}},
		{"match by name", "", connector.Contact, connector.Upsert, []string{"name"}, []string{"email", "name"}, []string{`match "name"`}},
		{"appointment field on addcontact", "", connector.Contact, connector.Create, nil, []string{"email", "appointment_note"}, []string{`field "appointment_note"`}},

		{"runsequence", actionRunSequence, connector.Contact, connector.Create, []string{"email"}, []string{"email_address", "sequence_id"}, nil},
		{"runsequence by contact_phones", actionRunSequence, connector.Contact, connector.Create, nil, []string{"contact_phones", "sequence_id"}, nil},
		{"runsequence upsert", actionRunSequence, connector.Contact, connector.Upsert, []string{"email"}, []string{"email", "sequence_id"}, []string{"one-off command", "use mode create"}},
		{"runsequence update", actionRunSequence, connector.Contact, connector.Update, []string{"email"}, []string{"email", "sequence_id"}, []string{"use mode create"}},
		{"runsequence without sequence", actionRunSequence, connector.Contact, connector.Create, nil, []string{"email"}, []string{"runsequence needs sequence_id"}},
		{"runsequence without contact", actionRunSequence, connector.Contact, connector.Create, nil, []string{"sequence_id"}, []string{"needs an email or a phone"}},
		{"runsequence with a name", actionRunSequence, connector.Contact, connector.Create, nil, []string{"email", "sequence_id", "name"}, []string{`field "name"`}},
		{"email and contact_emails", actionRunSequence, connector.Contact, connector.Create, nil, []string{"email", "contact_emails", "sequence_id"}, []string{"CLOSEM's contact_emails"}},
		{"appointment", actionSchedule, connector.Contact, connector.Create, nil, []string{"phone", "appointment_note", "appointment_timestamp"}, nil},
		{"appointment without time", actionSchedule, connector.Contact, connector.Create, nil, []string{"phone", "appointment_note"}, []string{"needs appointment_timestamp"}},
		{"appointment with sequence", actionSchedule, connector.Contact, connector.Create, nil, []string{"phone", "appointment_note", "appointment_timestamp", "sequence_id"}, []string{`field "sequence_id"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, "https://app.closem.ai/", tt.action)
			err := c.CheckWrite(tt.obj, tt.mode, tt.match, tt.fields)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("CheckWrite: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("CheckWrite accepted it; want %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestNewOptions(t *testing.T) {
	tests := []struct {
		name string
		cfg  connector.Config
		want string // a part of the error; "" for success
	}{
		{"default action", connector.Config{BaseURL: "https://app.closem.ai/", APIKey: "k"}, ""},
		{"action in any case", connector.Config{BaseURL: "https://app.closem.ai", APIKey: "k", Options: map[string]string{"action": " RunSequence "}}, ""},
		{"unknown action", connector.Config{BaseURL: "https://app.closem.ai/", APIKey: "k", Options: map[string]string{"action": "deletecontact"}}, `action "deletecontact"`},
		{"no key", connector.Config{BaseURL: "https://app.closem.ai/"}, "API key is required"},
		{"key from the copied URL", connector.Config{BaseURL: "https://app.closem.ai/?m=api&auth=abc"}, ""},
		{"not http", connector.Config{BaseURL: "app.closem.ai", APIKey: "k"}, "must be an http(s) URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if (err == nil) != (tt.want == "") || err != nil && !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New: %v, want %q", err, tt.want)
			}
		})
	}
}

func TestAPIURL(t *testing.T) {
	tests := []struct {
		base, key, want string
	}{
		{"https://app.closem.ai/", "abc", "https://app.closem.ai/?m=api&auth=abc"},
		{"https://app.closem.ai", "abc", "https://app.closem.ai/?m=api&auth=abc"},
		{"https://app.closem.ai/?m=api&auth=old", "a+b", "https://app.closem.ai/?m=api&auth=a%2Bb"},
		{"https://acme.closem.ai/x/?utm=1#frag", "abc", "https://acme.closem.ai/x/?m=api&auth=abc&utm=1"},
	}
	for _, tt := range tests {
		conn, err := New(connector.Config{BaseURL: tt.base, APIKey: tt.key})
		if err != nil {
			t.Fatal(err)
		}
		if got := conn.(*Client).url; got != tt.want {
			t.Errorf("%s: URL %q, want %q", tt.base, got, tt.want)
		}
	}
}
