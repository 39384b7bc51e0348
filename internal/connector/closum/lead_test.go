package closum

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/mapping"
)

func prepared(t *testing.T, c *Client, obj connector.Object, fields ...string) {
	t.Helper()
	if err := c.Prepare(context.Background(), obj, fields); err != nil {
		t.Fatalf("Prepare: %v", err)
	}
}

func TestLeadCreateRequestShape(t *testing.T) {
	f, c := newFake(t)
	prepared(t, c, connector.Lead, "custom.empresa")
	rec := mapping.Record{
		"first_name": "Ana Maria", "last_name": "Silva", "email": "ana@example.com", "phone": "+351910000000",
		"birth_date": "1990-05-15", "tags": "vip, b2b", "lifecycle_stage": "3", "consent_sms": "yes",
		"custom.EMPRESA": "Closum", "custom_data": `{"src":"csv"}`,
	}
	res, err := c.Write(context.Background(), connector.Lead, rec, connector.WriteOptions{Mode: connector.Create, Match: []string{"email"}})
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	if res.Status != connector.Created || res.ID != "101" || res.HTTPStatus != 200 {
		t.Errorf("result = %+v, want created 101 HTTP 200", res)
	}
	reqs := f.requests()
	last := reqs[len(reqs)-1]
	if last.Method != "POST" || last.Path != "/v2/lead/add/" || last.ContentType != "application/json" {
		t.Errorf("request = %s %s (%s), want POST /v2/lead/add/ (application/json)", last.Method, last.Path, last.ContentType)
	}
	if got := last.Query.Get("api-key"); got != testKey {
		t.Errorf("api-key = %q, want the key", got)
	}
	want := map[string]any{
		"name": "Ana Maria Silva", "email": "ana@example.com", "mobile_number": "+351910000000",
		"birth_date": "1990-05-15", "tags": []any{"vip", "b2b"}, "contact_lifecycle_stage_id": float64(3),
		"consent_email": false, "consent_sms": true, "custom_fields": map[string]any{"empresa": "Closum"},
		"custom_data": `{"src":"csv"}`,
	}
	if !reflect.DeepEqual(last.Body, want) {
		t.Errorf("body =\n%v\nwant\n%v", last.Body, want)
	}
}

func TestLeadUpsertUsesUpdateEnabled(t *testing.T) {
	for _, hint := range []bool{false, true} {
		f, c := newFake(t)
		f.upsertHint = hint
		prepared(t, c, connector.Lead)
		opt := connector.WriteOptions{Mode: connector.Upsert, Match: []string{"email"}}
		first, err := c.Write(context.Background(), connector.Lead, mapping.Record{"name": "Pedro", "email": "pedro@closum.com"}, opt)
		if err != nil {
			t.Fatal(err)
		}
		before := len(f.requests())
		second, err := c.Write(context.Background(), connector.Lead, mapping.Record{"name": "Pedro C", "email": "pedro@closum.com"}, opt)
		if err != nil {
			t.Fatal(err)
		}
		reqs := f.requests()
		if len(reqs)-before != 1 {
			t.Errorf("hint %v: upsert made %d calls, want 1", hint, len(reqs)-before)
		}
		if got := reqs[len(reqs)-1].Body["update_enabled"]; got != true {
			t.Errorf("hint %v: update_enabled = %v, want true", hint, got)
		}
		if len(f.leads) != 1 || f.leads[0].Name != "Pedro C" {
			t.Errorf("hint %v: leads = %d (%+v), want one updated lead", hint, len(f.leads), f.leads)
		}
		if first.ID != second.ID || first.ID == "" {
			t.Errorf("hint %v: ids %q, %q, want the same id", hint, first.ID, second.ID)
		}
		switch {
		case hint && (first.Status != connector.Created || second.Status != connector.Updated || second.Note != ""):
			t.Errorf("with hint: statuses %s, %s (note %q), want created, updated", first.Status, second.Status, second.Note)
		case !hint && (second.Status != connector.Created || second.Note != noteUpsertUnknown):
			t.Errorf("without hint: second = %s %q, want created with the unknown note", second.Status, second.Note)
		}
	}
}

func TestUpsertOutcome(t *testing.T) {
	tests := []struct {
		name, data, message string
		want                connector.Status
		known               bool
	}{
		{"undocumented answer", `[{"lead_id":1}]`, `["success"]`, connector.Created, false},
		{"updated flag", `[{"lead_id":1,"updated":true}]`, `[]`, connector.Updated, true},
		{"created flag", `{"lead_id":1,"created":true}`, `[]`, connector.Created, true},
		{"is_new false", `{"lead_id":1,"is_new":false}`, `[]`, connector.Updated, true},
		{"action", `[{"lead_id":1,"action":"update"}]`, `[]`, connector.Updated, true},
		{"message", `[]`, `["Lead updated successfully"]`, connector.Updated, true},
		{"message string", `[]`, `"Lead created"`, connector.Created, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, known := upsertOutcome(envelope{ResponseData: []byte(tt.data), Message: []byte(tt.message)})
			if got != tt.want || known != tt.known {
				t.Errorf("got %s %v, want %s %v", got, known, tt.want, tt.known)
			}
		})
	}
}

func TestLeadUpdate(t *testing.T) {
	tests := []struct {
		name     string
		match    string
		rec      mapping.Record
		wantPath string // "" means the row must fail without a PUT
		wantErr  string
		wantBody map[string]any
	}{
		{"by email", "email", mapping.Record{"email": "a@x.com", "name": "A New", "consent_email": "no"},
			"/v2/lead/edit-by-email", "", map[string]any{"email": "a@x.com", "name": "A New", "consent_email": false}},
		{"by phone", "phone", mapping.Record{"phone": "910000001", "email": "A@x.com", "contact_lifecycle_stage_id": "9", "user_id": "4"},
			"/v2/lead/edit/7", "", map[string]any{"mobile_number": "910000001", "contact_lifecycle_stage_id": float64(9), "user_id": float64(4)}},
		{"by id without email", "id", mapping.Record{"id": "7", "tags": "x"},
			"/v2/lead/edit/7", "", map[string]any{"tags": []any{"x"}}},
		{"by phone changing email", "phone", mapping.Record{"phone": "910000001", "email": "b@x.com"},
			"", `has email "a@x.com" and Closum does not allow changing`, nil},
		{"by id changing email", "id", mapping.Record{"id": "7", "email": "b@x.com"},
			"", "does not allow changing a lead's email", nil},
		{"by phone not found", "phone", mapping.Record{"phone": "999"}, "", `no Closum lead with phone "999"`, nil},
		{"by email not found", "email", mapping.Record{"email": "nobody@x.com"}, "", "Lead not found", nil},
		{"custom fields refused", "email", mapping.Record{"email": "a@x.com", "custom.Empresa": "X"}, "", "takes no custom fields", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, c := newFake(t)
			f.leads = []*fakeRec{{ID: "7", Name: "A", Email: "a@x.com", Mobile: "910000001"}}
			prepared(t, c, connector.Lead)
			res, err := c.Write(context.Background(), connector.Lead, tt.rec, connector.WriteOptions{Mode: connector.Update, Match: []string{tt.match}})
			var puts []seen
			for _, r := range f.requests() {
				if r.Method == "PUT" {
					puts = append(puts, r)
				}
			}
			if tt.wantPath == "" {
				ce, ok := connector.AsError(err)
				if !ok || !strings.Contains(err.Error(), tt.wantErr) || ce.Retryable || ce.Auth {
					t.Fatalf("err = %v, want a non-retryable row error containing %q", err, tt.wantErr)
				}
				if strings.Contains(tt.wantErr, "changing") && len(puts) != 0 {
					t.Errorf("an email change was sent: %+v", puts)
				}
				return
			}
			if err != nil {
				t.Fatalf("Write: %v", err)
			}
			if res.Status != connector.Updated || res.ID != "7" {
				t.Errorf("result = %+v, want updated 7", res)
			}
			if len(puts) != 1 || puts[0].Path != tt.wantPath || !reflect.DeepEqual(puts[0].Body, tt.wantBody) {
				t.Errorf("PUTs = %+v, want one to %s with %v", puts, tt.wantPath, tt.wantBody)
			}
		})
	}
}

func TestRowValidation(t *testing.T) {
	tests := []struct {
		name string
		obj  connector.Object
		mode connector.Mode
		rec  mapping.Record
		want []string
	}{
		{"consent text", connector.Lead, connector.Create, mapping.Record{"email": "a@x.com", "consent_email": "maybe"}, []string{`consent_email "maybe"`}},
		{"stage zero", connector.Lead, connector.Upsert, mapping.Record{"email": "a@x.com", "lifecycle_stage": "0"}, []string{"from 1 to 9"}},
		{"stage ten", connector.Lead, connector.Create, mapping.Record{"email": "a@x.com", "contact_lifecycle_stage_id": "10"}, []string{"from 1 to 9"}},
		{"stage text", connector.Lead, connector.Create, mapping.Record{"email": "a@x.com", "contact_lifecycle_stage_id": "lead"}, []string{"from 1 to 9"}},
		{"date format", connector.Lead, connector.Create, mapping.Record{"email": "a@x.com", "birth_date": "15/05/1990"}, []string{"YYYY-MM-DD"}},
		{"impossible date", connector.Contact, connector.Create, mapping.Record{"email": "a@x.com", "birth_date": "1990-02-30"}, []string{"YYYY-MM-DD"}},
		{"every problem at once", connector.Lead, connector.Create,
			mapping.Record{"email": "a@x.com", "consent_sms": "si", "birth_date": "x", "custom_data": "{", "custom.Nope": "1"},
			[]string{"consent_sms", "birth_date", "custom_data", "custom.Nope"}},
		{"no email nor phone", connector.Lead, connector.Create, mapping.Record{"name": "X"}, []string{"email and phone are both empty"}},
		{"upsert without email", connector.Lead, connector.Upsert, mapping.Record{"phone": "1"}, []string{"email is empty"}},
		{"unknown field", connector.Contact, connector.Create, mapping.Record{"email": "a@x.com", "lifecycle_stage": "2"}, []string{"lifecycle_stage: not a Closum contact field"}},
		{"edit-only field on add", connector.Lead, connector.Create, mapping.Record{"email": "a@x.com", "user_id": "3"}, []string{"only be set by a lead update"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, c := newFake(t)
			prepared(t, c, tt.obj)
			before := len(f.requests())
			_, err := c.Write(context.Background(), tt.obj, tt.rec, connector.WriteOptions{Mode: tt.mode, Match: []string{"email"}})
			ce, ok := connector.AsError(err)
			if !ok || ce.Retryable || ce.Auth {
				t.Fatalf("err = %#v, want a non-retryable *connector.Error", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %v, want it to mention %q", err, w)
				}
			}
			if n := len(f.requests()) - before; n != 0 {
				t.Errorf("%d calls made for an invalid row", n)
			}
		})
	}
}

func TestConsentValues(t *testing.T) {
	for in, want := range map[string]bool{"true": true, "Yes": true, "1": true, " TRUE ": true, "false": false, "NO": false, "0": false} {
		f, c := newFake(t)
		prepared(t, c, connector.Lead)
		rec := mapping.Record{"email": "a@x.com", "consent_email": in, "consent_sms": in}
		if _, err := c.Write(context.Background(), connector.Lead, rec, connector.WriteOptions{Mode: connector.Create}); err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		reqs := f.requests()
		body := reqs[len(reqs)-1].Body
		if body["consent_email"] != want || body["consent_sms"] != want {
			t.Errorf("%q: consent sent %v/%v, want %v", in, body["consent_email"], body["consent_sms"], want)
		}
	}
}

func TestLeadCreateVerify(t *testing.T) {
	for _, notFound := range []string{"404", "status-false", "empty"} {
		t.Run(notFound, func(t *testing.T) {
			f, c := newFake(t)
			f.notFound = notFound
			f.leads = []*fakeRec{{ID: "7", Email: "old@x.com"}}
			prepared(t, c, connector.Lead)
			opt := connector.WriteOptions{Mode: connector.Create, Match: []string{"email"}, Verify: true}

			res, err := c.Write(context.Background(), connector.Lead, mapping.Record{"email": "old@x.com"}, opt)
			if err != nil || res.Status != connector.Created || res.ID != "7" || res.Note == "" {
				t.Fatalf("existing lead: %+v, %v; want created 7 with a note", res, err)
			}
			res, err = c.Write(context.Background(), connector.Lead, mapping.Record{"email": "new@x.com"}, opt)
			if err != nil || res.Status != connector.Created || res.ID == "7" || res.ID == "" {
				t.Fatalf("new lead: %+v, %v; want created with a new id", res, err)
			}
			var adds, views int
			for _, r := range f.requests() {
				switch {
				case r.Path == "/v2/lead/add/":
					adds++
				case strings.HasPrefix(r.Path, "/v2/lead/view/"):
					views++
					if r.Query.Get("finder") != "email" {
						t.Errorf("view finder = %q, want email", r.Query.Get("finder"))
					}
				}
			}
			if adds != 1 || views != 2 || len(f.leads) != 2 {
				t.Errorf("adds %d views %d leads %d, want 1, 2, 2", adds, views, len(f.leads))
			}
		})
	}
}
