package closumv1

import (
	"net/http"
	"strings"
	"testing"

	"github.com/crmload/crmload/internal/sandbox"
)

// errAt walks the nested errors along path and returns the rules there.
func errAt(errs map[string]any, path string) map[string]any {
	m := errs
	for _, p := range strings.Split(path, ".") {
		next, ok := m[p].(map[string]any)
		if !ok {
			return nil
		}
		m = next
	}
	return m
}

func TestValidation(t *testing.T) {
	email := map[string]any{"email": "ok@example.com"}
	tests := []struct {
		name string
		path string
		body any
		want map[string]string // error path → rule
	}{
		{"no email nor phone", "/lead", map[string]any{"name": "Ana"}, map[string]string{"email": "_required"}},
		{"empty body", "/lead", map[string]any{}, map[string]string{"email": "_required"}},
		{"email as a string", "/lead", map[string]any{"email": "ana@example.com"}, map[string]string{"email": "object"}},
		{"email object without address", "/lead", map[string]any{"email": map[string]any{}}, map[string]string{"email.email": "_required"}},
		{"invalid address", "/lead", map[string]any{"email": map[string]any{"email": "ana@"}}, map[string]string{"email.email": "email"}},
		{"address without a dot", "/lead", map[string]any{"email": map[string]any{"email": "ana@localhost"}}, map[string]string{"email.email": "email"}},
		{"address with a display name", "/lead", map[string]any{"email": map[string]any{"email": "Ana <ana@example.com>"}}, map[string]string{"email.email": "email"}},
		{"address with spaces", "/lead", map[string]any{"email": map[string]any{"email": " ana@example.com"}}, map[string]string{"email.email": "email"}},
		{"email object with an id", "/lead", map[string]any{"email": map[string]any{"id": 1, "email": "a@example.com"}}, map[string]string{"email.id": "_unknown"}},
		{"number with +", "/lead", map[string]any{"phone": map[string]any{"number": "+15173881452"}}, map[string]string{"phone.number": "phoneNumber"}},
		{"number too short", "/lead", map[string]any{"phone": map[string]any{"number": "12-34"}}, map[string]string{"phone.number": "phoneNumber"}},
		{"number as a JSON number", "/lead", map[string]any{"phone": map[string]any{"number": 916912468}}, map[string]string{"phone.number": "string"}},
		{"phone without number", "/lead", map[string]any{"phone": map[string]any{"extension": "351"}}, map[string]string{"phone.number": "_required"}},
		{"extension with +", "/lead", map[string]any{"phone": map[string]any{"extension": "+351", "number": "916912468"}}, map[string]string{"phone.extension": "extension"}},
		{"empty extension", "/lead", map[string]any{"phone": map[string]any{"extension": "", "number": "916912468"}}, map[string]string{"phone.extension": "_empty"}},
		{"empty name", "/lead", map[string]any{"name": "", "email": email}, map[string]string{"name": "_empty"}},
		{"long name", "/lead", map[string]any{"name": strings.Repeat("a", 256), "email": email}, map[string]string{"name": "maxLength"}},
		{"unknown field", "/lead", map[string]any{"email": email, "company": "Acme"}, map[string]string{"company": "_unknown"}},
		{"read-only id", "/lead", map[string]any{"email": email, "id": 7}, map[string]string{"id": "_unknown"}},
		{"contact_type_id on a lead", "/lead", map[string]any{"email": email, "contact_type_id": 1}, map[string]string{"contact_type_id": "_unknown"}},
		{"custom_data as an object", "/lead", map[string]any{"email": email, "custom_data": map[string]any{"a": 1}}, map[string]string{"custom_data": "string"}},
		{"custom_data not JSON", "/lead", map[string]any{"email": email, "custom_data": "size=42"}, map[string]string{"custom_data": "json"}},
		{"custom_data a JSON array", "/lead", map[string]any{"email": email, "custom_data": "[1]"}, map[string]string{"custom_data": "json"}},
		{"unknown city", "/lead", map[string]any{"email": email, "city_id": 999}, map[string]string{"city_id": "existsIn"}},
		{"city_id not a number", "/lead", map[string]any{"email": email, "city_id": "Lisboa"}, map[string]string{"city_id": "integer"}},
		{"opt-in without sms", "/lead", map[string]any{"email": email, "lead_opt_in": map[string]any{"email": true}}, map[string]string{"lead_opt_in.sms": "_required"}},
		{"opt-in with a word", "/lead", map[string]any{"email": email, "lead_opt_in": map[string]any{"sms": "yes", "email": true}}, map[string]string{"lead_opt_in.sms": "boolean"}},
		{"unknown enviroment key", "/lead", map[string]any{"email": email, "lead_opt_in": map[string]any{"sms": true, "email": true, "enviroment": map[string]any{"FOO": "x"}}}, map[string]string{"lead_opt_in.enviroment.FOO": "_unknown"}},
		{"enviroment value a number", "/lead", map[string]any{"email": email, "lead_opt_in": map[string]any{"sms": true, "email": true, "enviroment": map[string]any{"REMOTE_PORT": 1364}}}, map[string]string{"lead_opt_in.enviroment.REMOTE_PORT": "string"}},
		{"unqualified opt-in key on a lead", "/lead", map[string]any{"email": email, "unqualified_lead_opt_in": map[string]any{"sms": true, "email": true}}, map[string]string{"unqualified_lead_opt_in": "_unknown"}},
		{"several at once", "/lead", map[string]any{"email": map[string]any{"email": "x"}, "phone": map[string]any{"number": "x"}, "city_id": 0}, map[string]string{"email.email": "email", "phone.number": "phoneNumber", "city_id": "integer"}},
		{"unqualified without contact type", "/unqualified-lead", map[string]any{"email": email}, map[string]string{"contact_type_id": "_required"}},
		{"unqualified with unknown contact type", "/unqualified-lead", map[string]any{"email": email, "contact_type_id": "9"}, map[string]string{"contact_type_id": "existsIn"}},
		{"custom_data on an unqualified lead", "/unqualified-lead", map[string]any{"email": email, "contact_type_id": 1, "custom_data": "{}"}, map[string]string{"custom_data": "_unknown"}},
		{"lead opt-in key on an unqualified lead", "/unqualified-lead", map[string]any{"email": email, "contact_type_id": 1, "lead_opt_in": map[string]any{}}, map[string]string{"lead_opt_in": "_unknown"}},
		{"standalone email invalid", "/email", map[string]any{"email": "nope"}, map[string]string{"email": "email"}},
		{"standalone phone without number", "/phone", map[string]any{"extension": "001"}, map[string]string{"number": "_required"}},
		{"contact type without label", "/contact-type", map[string]any{}, map[string]string{"label": "_required"}},
	}
	f, c := start(t, sandbox.Options{})
	c.login()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := c.failed(http.StatusBadRequest, http.MethodPost, tt.path, tt.body)
			if d.ErrorCount != len(tt.want) {
				t.Errorf("errorCount %d, want %d: %v", d.ErrorCount, len(tt.want), d.Errors)
			}
			wantMsg := "A validation error occurred"
			if len(tt.want) > 1 {
				wantMsg = "3 validation errors occurred"
			}
			if d.Message != wantMsg {
				t.Errorf("message %q, want %q", d.Message, wantMsg)
			}
			for path, rule := range tt.want {
				rules := errAt(d.Errors, path)
				if msg, ok := rules[rule].(string); !ok || msg == "" {
					t.Errorf("no %s error at %s: %v", rule, path, d.Errors)
				}
			}
		})
	}
	if len(f.Leads()) != 0 || len(f.UnqualifiedLeads()) != 0 || len(f.Emails()) != 0 || len(f.Phones()) != 0 || len(f.ContactTypes()) != 1 {
		t.Fatal("an invalid request stored something")
	}
}

// What the doc's own examples send, and close variants, is accepted.
func TestValidationAccepts(t *testing.T) {
	tests := []struct {
		name string
		path string
		body any
	}{
		{"doc lead example", "/lead", []byte(docLeadBody)},
		{"doc unqualified example", "/unqualified-lead", []byte(docUnqualifiedBody)},
		{"nulls are not sent", "/lead", map[string]any{"email": map[string]any{"email": "n@example.com"}, "name": nil, "phone": nil, "custom_data": nil}},
		{"phone only, no extension", "/lead", map[string]any{"phone": map[string]any{"number": "916 912 468"}}},
		{"number with parentheses", "/lead", map[string]any{"phone": map[string]any{"extension": "1", "number": "(517) 388.1452"}}},
		{"booleans as 0 and 1", "/lead", map[string]any{"email": map[string]any{"email": "b@example.com"}, "lead_opt_in": map[string]any{"sms": 0, "email": "1"}}},
		{"enviroment as JSON text", "/lead", map[string]any{"email": map[string]any{"email": "e@example.com"}, "lead_opt_in": map[string]any{"sms": true, "email": false, "enviroment": `{"REMOTE_ADDR":"10.0.0.1"}`}}},
		{"unqualified with city", "/unqualified-lead", map[string]any{"email": map[string]any{"email": "c@example.com"}, "contact_type_id": 1, "city_id": "40"}},
		{"subdomain and plus address", "/email", map[string]any{"email": "ana+crm@mail.example.co.uk"}},
		{"standalone phone", "/phone", map[string]any{"extension": "351", "number": "916912468"}},
	}
	_, c := start(t, sandbox.Options{})
	c.login()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.create(tt.path, tt.body)
		})
	}
}

func TestMalformedBodies(t *testing.T) {
	f, c := start(t, sandbox.Options{})
	c.login()
	for _, body := range []string{``, `{"name": `, `[1,2]`, `"x"`, `{"email":{"email":"a@example.com"}} {}`} {
		d := c.failed(http.StatusBadRequest, http.MethodPost, "/lead", []byte(body))
		if d.Message != badBody {
			t.Errorf("%q: message %q", body, d.Message)
		}
	}
	// A valid JSON body with another Content-Type is refused too.
	req := c.request(http.MethodPost, "/lead", leadBody("A", "a@example.com", nil))
	req.Header.Set("Content-Type", "text/plain")
	if r := c.do(req); r.HTTP != http.StatusBadRequest {
		t.Errorf("text/plain: HTTP %d", r.HTTP)
	}
	if len(f.Leads()) != 0 {
		t.Fatal("a malformed body stored a lead")
	}
}
