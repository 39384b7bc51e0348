package closumv1

import (
	"strings"
	"testing"

	"github.com/crmload/crmload/internal/connector"
)

func TestCheckWrite(t *testing.T) {
	conn, err := New(connector.Config{BaseURL: "https://api.closum.com/api", Username: "u", Password: "p"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		obj    connector.Object
		mode   connector.Mode
		match  []string
		fields []string
		want   []string // every fragment must appear; none means no error
	}{
		{"lead upsert by email", connector.Lead, connector.Upsert, []string{"email"},
			[]string{"first_name", "last_name", "email", "phone", "consent_email", "consent_sms", "city", "custom_data", "custom.Source"}, nil},
		{"contact upsert by both keys", connector.Contact, connector.Upsert, []string{"email", "phone"},
			[]string{"name", "email", "phone", "phone_extension", "contact_type_id"}, nil},
		{"create without match", connector.Lead, connector.Create, nil, []string{"email"}, nil},
		{"update refused", connector.Lead, connector.Update, []string{"email"}, []string{"email"},
			[]string{"the Closum v1 API has no lead update; use upsert, or the v2 system closum"}},
		{"all problems joined", connector.Contact, connector.Update, []string{"id", "email"},
			[]string{"id", "title", "custom.X", "city_id"},
			[]string{"no lead update", `field "id"`, `field "title"`, `field "custom.X"`, `field "city_id"`,
				`match key "id"`, `match key "email": no mapping`}},
		{"upsert needs a key", connector.Lead, connector.Upsert, nil, []string{"email"}, []string{"needs a match key"}},
		{"duplicate key", connector.Lead, connector.Upsert, []string{"email", "email"}, []string{"email"}, []string{"twice"}},
		{"city twice", connector.Lead, connector.Create, nil, []string{"city", "city_id"}, []string{`"city" and "city_id"`}},
		{"lead has no contact type", connector.Lead, connector.Create, nil, []string{"contact_type_id"}, []string{`field "contact_type_id"`}},
		{"unknown mode", connector.Lead, "merge", nil, []string{"email"}, []string{`unknown mode "merge"`}},
		{"unknown object", "deal", connector.Create, nil, nil, []string{`unknown object "deal"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := conn.CheckWrite(tc.obj, tc.mode, tc.match, tc.fields)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("CheckWrite = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("CheckWrite = nil, want %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}
