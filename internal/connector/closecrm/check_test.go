package closecrm

import (
	"encoding/json"
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
		errs   []string // each must appear; none means no error
	}{
		{name: "lead upsert by email", obj: connector.Lead, mode: connector.Upsert, match: []string{"email"},
			fields: []string{"company", "name", "email", "phone", "status", "zip", "custom.Lead Source"}},
		{name: "contact create", obj: connector.Contact, mode: connector.Create,
			fields: []string{"lead_id", "company", "first_name", "last_name", "title"}},
		{name: "update by id", obj: connector.Contact, mode: connector.Update, match: []string{"id"}, fields: []string{"id", "title"}},
		{name: "email and phone", obj: connector.Lead, mode: connector.Update, match: []string{"email", "phone"}, fields: []string{"email", "phone"}},
		{name: "unknown fields named", obj: connector.Lead, mode: connector.Create,
			fields: []string{"company", "fax", "lead_id", "custom."},
			errs:   []string{`field "fax"`, `field "lead_id"`, `field "custom."`}},
		{name: "contact has no lead fields", obj: connector.Contact, mode: connector.Create, fields: []string{"url", "status"},
			errs: []string{`field "url"`, `field "status"`}},
		{name: "bad match keys", obj: connector.Lead, mode: connector.Upsert, match: []string{"company", "phone"},
			fields: []string{"company", "email"},
			errs:   []string{`match key "company"`, `match key "phone": no mapping gives this field`}},
		{name: "update without match", obj: connector.Lead, mode: connector.Update, fields: []string{"email"},
			errs: []string{"mode update needs a match key"}},
		{name: "upsert on id", obj: connector.Lead, mode: connector.Upsert, match: []string{"id"}, fields: []string{"id"},
			errs: []string{"mode upsert cannot match on id"}},
		{name: "create on id", obj: connector.Lead, mode: connector.Create, match: []string{"id"}, fields: []string{"id"},
			errs: []string{"mode create cannot match on id"}},
		{name: "id not alone", obj: connector.Lead, mode: connector.Update, match: []string{"id", "email"}, fields: []string{"id", "email"},
			errs: []string{"must stand alone"}},
		{name: "id as a plain field", obj: connector.Lead, mode: connector.Upsert, match: []string{"email"}, fields: []string{"id", "email"},
			errs: []string{`field "id"`}},
		{name: "bad mode", obj: connector.Lead, mode: "merge", fields: []string{"email"}, errs: []string{`unknown mode "merge"`}},
		{name: "bad object", obj: "deal", mode: connector.Create, errs: []string{`unknown object "deal"`}},
	}
	c := &Client{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.CheckWrite(tt.obj, tt.mode, tt.match, tt.fields)
			if len(tt.errs) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tt.errs)
			}
			for _, want := range tt.errs {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
}

func TestErrorText(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"error string", `{"error": "Lead not found"}`, "Lead not found"},
		{"errors list", `{"errors": ["Too many contacts", "Plan limit reached"]}`, "Too many contacts; Plan limit reached"},
		{"field list", `{"field-errors": {"url": ["Enter a valid URL."]}}`, "url: Enter a valid URL."},
		{"nested", `{"field-errors": {"addresses": {"errors": {"1": {"field-errors": {"country": "Invalid country"}}}}}}`,
			"addresses.1.country: Invalid country"},
		{"rate object", `{"error": {"message": "API call count exceeded for this period", "rate_reset": 1}}`,
			"API call count exceeded for this period"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ae apiError
			if err := json.Unmarshal([]byte(tt.body), &ae); err != nil {
				t.Fatal(err)
			}
			if got := errorText(ae); got != tt.want {
				t.Errorf("errorText = %q, want %q", got, tt.want)
			}
		})
	}
}
