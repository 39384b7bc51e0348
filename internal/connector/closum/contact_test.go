package closum

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/mapping"
)

func TestContactUpsert(t *testing.T) {
	for _, notFound := range []string{"404", "status-false", "empty"} {
		t.Run(notFound, func(t *testing.T) {
			f, c := newFake(t)
			f.notFound = notFound
			prepared(t, c, connector.Contact)
			opt := connector.WriteOptions{Mode: connector.Upsert, Match: []string{"email"}}

			first, err := c.Write(context.Background(), connector.Contact, mapping.Record{"name": "John Doe", "email": "john@x.com", "tags": "a"}, opt)
			if err != nil {
				t.Fatal(err)
			}
			second, err := c.Write(context.Background(), connector.Contact, mapping.Record{"email": "john@x.com", "phone": "351910000000"}, opt)
			if err != nil {
				t.Fatal(err)
			}
			if first.Status != connector.Created || second.Status != connector.Updated || first.ID == "" || first.ID != second.ID {
				t.Errorf("results %+v, %+v; want created then updated, same id", first, second)
			}
			if len(f.contacts) != 1 || f.contacts[0].Name != "John Doe" || f.contacts[0].Mobile != "351910000000" {
				t.Errorf("contacts = %+v, want one with name kept and phone added", f.contacts)
			}
			var calls []string
			for _, r := range f.requests()[1:] { // after field/
				calls = append(calls, r.Method+" "+r.Path)
			}
			want := []string{
				"GET /v2/contact/view/john@x.com", "POST /v2/contact/add",
				"GET /v2/contact/view/john@x.com", "PUT /v2/contact/edit/" + first.ID,
			}
			if !reflect.DeepEqual(calls, want) {
				t.Errorf("calls = %v, want %v", calls, want)
			}
			reqs := f.requests()
			add, edit := reqs[2].Body, reqs[4].Body
			if add["consent_email"] != false || add["consent_sms"] != false {
				t.Errorf("add body = %v, want consent false by default", add)
			}
			if _, ok := edit["consent_email"]; ok {
				t.Errorf("edit body = %v, want consent left alone", edit)
			}
		})
	}
}

func TestContactUpdate(t *testing.T) {
	tests := []struct {
		name    string
		match   string
		rec     mapping.Record
		path    string
		finder  string
		wantErr string
	}{
		{"by id, no lookup", "id", mapping.Record{"id": "c-1", "email": "new@x.com"}, "/v2/contact/edit/c-1", "", ""},
		{"by phone", "phone", mapping.Record{"phone": "910", "name": "N"}, "/v2/contact/edit/c-1", "mobile", ""},
		{"by email not found", "email", mapping.Record{"email": "nobody@x.com"}, "", "email", `no Closum contact with email "nobody@x.com"`},
		{"empty key", "phone", mapping.Record{"email": "a@x.com"}, "", "", "phone is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, c := newFake(t)
			f.contacts = []*fakeRec{{ID: "c-1", Email: "a@x.com", Mobile: "910"}}
			prepared(t, c, connector.Contact)
			res, err := c.Write(context.Background(), connector.Contact, tt.rec, connector.WriteOptions{Mode: connector.Update, Match: []string{tt.match}})
			reqs := f.requests()[1:]
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				for _, r := range reqs {
					if r.Method != "GET" {
						t.Errorf("sent %s %s for a failed row", r.Method, r.Path)
					}
				}
				return
			}
			if err != nil || res.Status != connector.Updated || res.ID != "c-1" {
				t.Fatalf("Write = %+v, %v; want updated c-1", res, err)
			}
			last := reqs[len(reqs)-1]
			if last.Method != "PUT" || last.Path != tt.path {
				t.Errorf("last call %s %s, want PUT %s", last.Method, last.Path, tt.path)
			}
			if tt.finder != "" && reqs[0].Query.Get("finder") != tt.finder {
				t.Errorf("finder = %q, want %q", reqs[0].Query.Get("finder"), tt.finder)
			}
			if tt.finder == "" && len(reqs) != 1 {
				t.Errorf("calls = %d, want the edit only", len(reqs))
			}
		})
	}
}

func TestContactCreateVerify(t *testing.T) {
	f, c := newFake(t)
	f.contacts = []*fakeRec{{ID: "c-9", Email: "a@x.com"}}
	prepared(t, c, connector.Contact)
	res, err := c.Write(context.Background(), connector.Contact, mapping.Record{"email": "a@x.com"},
		connector.WriteOptions{Mode: connector.Create, Match: []string{"email"}, Verify: true})
	if err != nil || res.Status != connector.Created || res.ID != "c-9" {
		t.Fatalf("Write = %+v, %v; want the existing contact reported created", res, err)
	}
	if len(f.contacts) != 1 {
		t.Errorf("contacts = %d, want no duplicate", len(f.contacts))
	}
}
