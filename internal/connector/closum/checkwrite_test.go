package closum

import (
	"strings"
	"testing"

	"github.com/crmload/crmload/internal/connector"
)

func TestCheckWrite(t *testing.T) {
	tests := []struct {
		name   string
		obj    connector.Object
		mode   connector.Mode
		match  []string
		fields []string
		want   []string // substrings, one per expected problem; nil for none
	}{
		{"lead upsert by email", connector.Lead, connector.Upsert, []string{"email"},
			[]string{"name", "first_name", "email", "phone", "tags", "birth_date", "lifecycle_stage", "consent_email", "consent_sms", "custom_data", "custom.Empresa"}, nil},
		{"lead update by phone", connector.Lead, connector.Update, []string{"phone"},
			[]string{"phone", "email", "sales_sequence_id", "user_id", "contact_lifecycle_stage_id"}, nil},
		{"lead update by id", connector.Lead, connector.Update, []string{"id"}, []string{"id", "name"}, nil},
		{"lead create without match", connector.Lead, connector.Create, nil, []string{"email"}, nil},
		{"contact upsert by phone", connector.Contact, connector.Upsert, []string{"mobile_number"}, []string{"mobile_number", "custom.X"}, nil},
		{"unknown fields", connector.Lead, connector.Create, nil, []string{"email", "company", "fax"},
			[]string{`field "company": not a Closum lead field`, `field "fax"`}},
		{"lead upsert by phone", connector.Lead, connector.Upsert, []string{"phone"}, []string{"phone", "email"},
			[]string{`match "phone": Closum cannot upsert a lead by it; use one of email`}},
		{"two match keys", connector.Contact, connector.Upsert, []string{"email", "phone"}, []string{"email", "phone"},
			[]string{"by one field"}},
		{"match not mapped", connector.Contact, connector.Update, []string{"email"}, []string{"name"}, []string{`match "email": the field is not mapped`}},
		{"update without match", connector.Contact, connector.Update, nil, []string{"email"}, []string{"needs a match key"}},
		{"upsert by id", connector.Contact, connector.Upsert, []string{"id"}, []string{"id", "email"},
			[]string{`match "id": Closum cannot upsert`}},
		{"id without id match", connector.Contact, connector.Create, nil, []string{"id", "email"}, []string{`field "id": Closum sets ids`}},
		{"lead update with custom fields", connector.Lead, connector.Update, []string{"email"}, []string{"email", "custom.Empresa", "custom_data"},
			[]string{`"custom.Empresa": Closum's lead edit takes no custom fields`, `"custom_data": Closum's lead edit does not take it`}},
		{"lead add with edit-only fields", connector.Lead, connector.Upsert, []string{"email"}, []string{"email", "user_id", "sales_sequence_id"},
			[]string{`"user_id": Closum's lead/add does not take it`, `"sales_sequence_id"`}},
		{"aliases together", connector.Lead, connector.Create, nil, []string{"phone", "mobile_number", "lifecycle_stage", "contact_lifecycle_stage_id"},
			[]string{`"phone" and "mobile_number"`, `"contact_lifecycle_stage_id" and "lifecycle_stage"`}},
		{"no email nor phone to add", connector.Contact, connector.Create, nil, []string{"name"}, []string{"needs an email or a phone"}},
		{"lead-only field on contact", connector.Contact, connector.Create, nil, []string{"email", "lifecycle_stage"}, []string{`"lifecycle_stage": not a Closum contact field`}},
		{"empty custom name", connector.Contact, connector.Create, nil, []string{"email", "custom. "}, []string{"custom field without a name"}},
		{"unknown object", "deal", connector.Create, nil, []string{"email"}, []string{`unknown object "deal"`}},
		{"unknown mode", connector.Lead, "merge", nil, []string{"email"}, []string{`unknown mode "merge"`}},
	}
	c := &Client{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.CheckWrite(tt.obj, tt.mode, tt.match, tt.fields)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("CheckWrite: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("CheckWrite passed, want %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %v\nwant it to contain %q", err, w)
				}
			}
			if got := len(strings.Split(err.Error(), "\n")); got != len(tt.want) {
				t.Errorf("%d problems reported, want %d:\n%v", got, len(tt.want), err)
			}
		})
	}
}
