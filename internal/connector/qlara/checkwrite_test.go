package qlara

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
		want   []string // substrings of the error; none for success
	}{
		{name: "upsert by email", obj: connector.Contact, mode: connector.Upsert, match: []string{"email"},
			fields: []string{"email", "name", "phone", "tags", "customField1", "custom.customField2", "fiscalCode", "status"}},
		{name: "lead is a contact", obj: connector.Lead, mode: connector.Create, fields: []string{"phone", "first_name"}},
		{name: "update by id", obj: connector.Contact, mode: connector.Update, match: []string{"id"}, fields: []string{"id", "city"}},
		{name: "unknown object", obj: "deal", mode: connector.Create, fields: []string{"email"}, want: []string{`object "deal"`}},
		{name: "unknown mode", obj: connector.Contact, mode: "merge", fields: []string{"email"}, want: []string{`mode "merge"`}},
		{name: "every problem reported", obj: connector.Contact, mode: connector.Upsert, match: []string{"name"},
			fields: []string{"name", "zip", "custom.Lead Source", "date_created"},
			want:   []string{`field "zip"`, `field "custom.Lead Source"`, "customField1", `field "date_created": set by Qlara`, `match "name"`}},
		{name: "match not mapped", obj: connector.Contact, mode: connector.Update, match: []string{"phone"},
			fields: []string{"email"}, want: []string{`match "phone": the mapping does not produce`}},
		{name: "no match key", obj: connector.Contact, mode: connector.Upsert, fields: []string{"email"}, want: []string{"a match key is required"}},
		{name: "create without email or phone", obj: connector.Contact, mode: connector.Create, fields: []string{"name"},
			want: []string{"needs an email or a phone"}},
		{name: "two keys for one property", obj: connector.Contact, mode: connector.Create, fields: []string{"email", "company", "organization"},
			want: []string{`fields "company" and "organization" both set Qlara's organization`}},
	}
	c, err := newConnector(connector.Config{BaseURL: "https://qlara.invalid/api/partner-gateway/v1", APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.CheckWrite(tt.obj, tt.mode, tt.match, tt.fields)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("CheckWrite: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("CheckWrite = nil, want errors %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("CheckWrite error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  connector.Config
		want string
	}{
		{"relative URL", connector.Config{BaseURL: "qlara/api", APIKey: "k"}, "not an absolute URL"},
		{"no key", connector.Config{BaseURL: "https://x.invalid/v1"}, "API key is required"},
		{"bad create_list", connector.Config{BaseURL: "https://x.invalid/v1", APIKey: "k", Options: map[string]string{"create_list": "yes please"}}, "create_list"},
		{"bad batch size", connector.Config{BaseURL: "https://x.invalid/v1", APIKey: "k", Options: map[string]string{"list_batch_size": "5000"}}, "list_batch_size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New error = %v, want %q", err, tt.want)
			}
		})
	}
}
