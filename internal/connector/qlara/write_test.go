package qlara

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/mapping"
)

func bodyOf(t *testing.T, r request) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("%s %s body %q: %v", r.Method, r.Path, r.Body, err)
	}
	return m
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestAuthHeaderAndRejectedKey(t *testing.T) {
	f := newFake(t)
	ctx := context.Background()
	if err := f.connector(t, nil).Prepare(ctx, connector.Contact, nil); err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	got := f.calls("GET /contacts")
	if len(got) != 1 || got[0].Key != testKey || got[0].Query.Get("limit") != "1" {
		t.Fatalf("Prepare calls = %+v, want one GET /contacts?limit=1 with the key", got)
	}

	// The fake echoes the bad key in its 401 body: it must not reach the error.
	bad, err := newConnector(connector.Config{BaseURL: f.srv.URL + "/api/partner-gateway/v1", APIKey: "wrong-key-123456"})
	if err != nil {
		t.Fatal(err)
	}
	err = bad.Prepare(ctx, connector.Contact, nil)
	ce, ok := connector.AsError(err)
	if !ok || !ce.Auth || ce.HTTPStatus != http.StatusUnauthorized {
		t.Fatalf("Prepare with a bad key = %v, want an Auth *connector.Error", err)
	}
	if strings.Contains(err.Error(), "wrong-key-123456") {
		t.Fatalf("error leaks the key: %v", err)
	}
}

func TestCreate(t *testing.T) {
	f := newFake(t)
	c := f.connector(t, nil)
	rec := mapping.Record{
		"name": "Mario Rossi", "first_name": "Mario", "last_name": "Rossi",
		"email": "mario@example.com", "phone": "+393331234567", "tags": "vip, q4-promo,vip",
		"customField1": "one", "custom.customField2": "two", "title": "CTO", "address": "Via Roma 1, 20121 Milano",
		"gender": "M", "birth_date": "1990-05-15",
	}
	res, err := c.Write(context.Background(), connector.Contact, rec, connector.WriteOptions{Mode: connector.Create})
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	if res.Status != connector.Created || res.HTTPStatus != http.StatusCreated || res.ID == "" || f.contact(res.ID) == nil {
		t.Fatalf("Write = %+v, want created with the id the API gave", res)
	}
	posts := f.calls("POST /contacts")
	if len(posts) != 1 {
		t.Fatalf("%d POSTs, want 1", len(posts))
	}
	b := bodyOf(t, posts[0])
	want := map[string]any{
		"fullName": "Mario Rossi", "firstName": "Mario", "lastName": "Rossi",
		"mainEmail": "mario@example.com", "emailAddresses": []any{"mario@example.com"},
		"phoneNumbers": []any{"+393331234567"}, "tags": []any{"vip", "q4-promo"},
		"customField1": "one", "customField2": "two", "jobTitle": "CTO",
		"addresses": []any{"Via Roma 1, 20121 Milano"}, "gender": "M", "birthday": "1990-05-15",
	}
	for k, v := range want {
		if got, _ := json.Marshal(b[k]); string(got) != mustJSON(v) {
			t.Errorf("body[%s] = %s, want %s", k, got, mustJSON(v))
		}
	}
	if len(b) != len(want) {
		t.Errorf("body keys = %v, want exactly %v", keys(b), keys(want))
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestUpdateSendsOnlyGivenFields(t *testing.T) {
	f := newFake(t)
	id := f.seed(map[string]any{"fullName": "Anna Bianchi", "firstName": "Anna", "city": "Roma",
		"mainEmail": "anna@example.com", "emailAddresses": []any{"anna@example.com", "anna@work.com"},
		"phoneNumbers": []any{"+390612345678"}, "tags": []any{"old"}})
	c := f.connector(t, nil)
	rec := mapping.Record{"email": "anna@example.com", "first_name": "Annalisa", "phone": "+393400000001", "tags": "new"}
	res, err := c.Write(context.Background(), connector.Contact, rec, connector.WriteOptions{Mode: connector.Update, Match: []string{"email"}})
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	if res.Status != connector.Updated || res.ID != id {
		t.Fatalf("Write = %+v, want updated %s", res, id)
	}
	finds := f.calls("GET /contacts")
	if len(finds) != 1 || finds[0].Query.Get("email") != "anna@example.com" {
		t.Fatalf("lookups = %+v, want one by email", finds)
	}
	puts := f.calls("PUT /contacts/" + id)
	if len(puts) != 1 {
		t.Fatalf("%d PUTs, want 1", len(puts))
	}
	b := bodyOf(t, puts[0])
	if got := keys(b); !slices.Equal(got, []string{"emailAddresses", "firstName", "mainEmail", "phoneNumbers", "tags"}) {
		t.Fatalf("PUT keys = %v, want only the given fields", got)
	}
	// Arrays are replaced whole by the API: existing items must be kept.
	if got := mustJSON(b["emailAddresses"]); got != `["anna@example.com","anna@work.com"]` {
		t.Errorf("emailAddresses = %s", got)
	}
	if got := mustJSON(b["phoneNumbers"]); got != `["+393400000001","+390612345678"]` {
		t.Errorf("phoneNumbers = %s, want the new one first", got)
	}
	if got := mustJSON(b["tags"]); got != `["old","new"]` {
		t.Errorf("tags = %s", got)
	}
	if city := f.contact(id)["city"]; city != "Roma" {
		t.Errorf("city = %v, an absent field was touched", city)
	}
}

func TestUpsertAndUpdateOutcomes(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name      string
		seed      []map[string]any
		mode      connector.Mode
		match     []string
		rec       mapping.Record
		want      connector.Status
		wantErr   string
		wantCalls []string // "METHOD path" in order, ids as {id}
	}{
		{
			name: "upsert not found creates", mode: connector.Upsert, match: []string{"email"},
			rec: mapping.Record{"email": "new@example.com", "name": "New"}, want: connector.Created,
			wantCalls: []string{"GET /contacts", "POST /contacts"},
		},
		{
			name: "upsert found updates", mode: connector.Upsert, match: []string{"phone"},
			seed: []map[string]any{{"fullName": "Old", "phoneNumbers": []any{"+393331234567"}}},
			rec:  mapping.Record{"phone": "+393331234567", "name": "New"}, want: connector.Updated,
			wantCalls: []string{"GET /contacts", "PUT /contacts/{id}"},
		},
		{
			name: "unchanged when every value is there", mode: connector.Upsert, match: []string{"email"},
			seed: []map[string]any{{"fullName": "Ann", "mainEmail": "Ann@Example.com", "emailAddresses": []any{"ann@example.com"},
				"phoneNumbers": []any{"+39 333 123 4567"}, "tags": []any{"VIP", "b"}}},
			rec:  mapping.Record{"email": "ann@example.com", "name": "Ann", "phone": "+393331234567", "tags": "vip"},
			want: connector.Unchanged, wantCalls: []string{"GET /contacts"},
		},
		{
			name: "update with no match is skipped", mode: connector.Update, match: []string{"email"},
			rec: mapping.Record{"email": "nobody@example.com", "name": "X"}, want: connector.Skipped,
			wantCalls: []string{"GET /contacts"},
		},
		{
			name: "ambiguous", mode: connector.Upsert, match: []string{"email"},
			seed: []map[string]any{{"mainEmail": "dup@example.com"}, {"emailAddresses": []any{"dup@example.com"}}},
			rec:  mapping.Record{"email": "dup@example.com", "name": "X"}, wantErr: "ambiguous: 2 contacts match email=dup@example.com",
			wantCalls: []string{"GET /contacts"},
		},
		{
			name: "update by id", mode: connector.Update, match: []string{"id"},
			seed: []map[string]any{{"fullName": "A", "mainEmail": "a@example.com"}},
			rec:  mapping.Record{"id": "{id}", "city": "Torino"}, want: connector.Updated,
			wantCalls: []string{"GET /contacts/{id}", "PUT /contacts/{id}"},
		},
		{
			name: "empty match value fails the row", mode: connector.Upsert, match: []string{"email"},
			rec: mapping.Record{"name": "No Email", "phone": "+393331234567"}, wantErr: `match field "email" is empty`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			id := ""
			for _, s := range tt.seed {
				id = f.seed(s)
			}
			rec := mapping.Record{}
			for k, v := range tt.rec {
				rec[k] = strings.ReplaceAll(v, "{id}", id)
			}
			placeholder := func(p string) string {
				if id == "" {
					return p
				}
				return strings.ReplaceAll(p, id, "{id}")
			}
			res, err := f.connector(t, nil).Write(ctx, connector.Contact, rec, connector.WriteOptions{Mode: tt.mode, Match: tt.match})
			if tt.wantErr != "" {
				ce, ok := connector.AsError(err)
				if !ok || ce.Retryable || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Write error = %v, want non-retryable %q", err, tt.wantErr)
				}
			} else if err != nil || res.Status != tt.want {
				t.Fatalf("Write = %+v, %v; want %s", res, err, tt.want)
			}
			var got []string
			for _, r := range f.calls("") {
				got = append(got, r.Method+" "+placeholder(r.Path))
			}
			if !slices.Equal(got, tt.wantCalls) {
				t.Fatalf("calls = %v, want %v", got, tt.wantCalls)
			}
		})
	}
}

func TestUpsertTwiceIsUnchanged(t *testing.T) {
	f := newFake(t)
	c := f.connector(t, nil)
	rec := mapping.Record{"email": "twice@example.com", "name": "Twice", "phone": "+14155550123", "tags": "a,b", "customField3": "x"}
	opt := connector.WriteOptions{Mode: connector.Upsert, Match: []string{"email"}}
	var statuses []connector.Status
	for range 2 {
		res, err := c.Write(context.Background(), connector.Lead, rec, opt)
		if err != nil {
			t.Fatal(err)
		}
		statuses = append(statuses, res.Status)
	}
	if !slices.Equal(statuses, []connector.Status{connector.Created, connector.Unchanged}) {
		t.Fatalf("statuses = %v, want created then unchanged", statuses)
	}
	if n := len(f.calls("PUT /contacts/1001")); n != 0 {
		t.Fatalf("%d PUTs for an unchanged row", n)
	}
}

func TestVerifyFindsEarlierCreate(t *testing.T) {
	f := newFake(t)
	id := f.seed(map[string]any{"mainEmail": "v@example.com", "emailAddresses": []any{"v@example.com"}})
	res, err := f.connector(t, nil).Write(context.Background(), connector.Contact,
		mapping.Record{"email": "v@example.com"}, connector.WriteOptions{Mode: connector.Create, Match: []string{"email"}, Verify: true})
	if err != nil || res.Status != connector.Created || res.ID != id {
		t.Fatalf("Write = %+v, %v; want created with existing id %s", res, err, id)
	}
	if n := len(f.calls("POST /contacts")); n != 0 {
		t.Fatalf("%d POSTs after verify found the contact", n)
	}
}

func TestRowChecksBeforeAnyCall(t *testing.T) {
	tests := []struct {
		name string
		rec  mapping.Record
		mode connector.Mode
		want string
	}{
		{"national format", mapping.Record{"email": "a@b.co", "phone": "3331234567"}, connector.Create, "not in E.164"},
		{"spaces", mapping.Record{"email": "a@b.co", "phone": "+39 333 1234567"}, connector.Upsert, "not in E.164"},
		{"too short", mapping.Record{"phone": "+3912345"}, connector.Create, "not in E.164"},
		{"too long", mapping.Record{"phone": "+1234567890123456"}, connector.Create, "not in E.164"},
		{"leading zero", mapping.Record{"phone": "+0391234567"}, connector.Create, "not in E.164"},
		{"no email or phone", mapping.Record{"name": "Nobody"}, connector.Create, "needs an email or a phone"},
		{"unknown field", mapping.Record{"email": "a@b.co", "zip": "20121"}, connector.Create, `field "zip"`},
		{"named custom field", mapping.Record{"email": "a@b.co", "custom.Lead Source": "web"}, connector.Create, "customField1"},
		{"two keys one property", mapping.Record{"email": "a@b.co", "title": "CTO", "jobTitle": "CEO"}, connector.Create, "both set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			_, err := f.connector(t, nil).Write(context.Background(), connector.Contact, tt.rec,
				connector.WriteOptions{Mode: tt.mode, Match: []string{"email"}})
			ce, ok := connector.AsError(err)
			if !ok || ce.Retryable || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Write error = %v, want non-retryable containing %q", err, tt.want)
			}
			if n := len(f.calls("")); n != 0 {
				t.Fatalf("%d calls made for a row that fails its checks", n)
			}
		})
	}
	if !isE164("+393331234567") || !isE164("+14155550123") {
		t.Fatal("valid E.164 numbers rejected")
	}
}

func TestErrorStatusesMapped(t *testing.T) {
	tests := []struct {
		name       string
		mode       connector.Mode
		status     int
		body       string
		header     map[string]string
		want       string
		retryable  bool
		retryAfter time.Duration
	}{
		{name: "400 with message", mode: connector.Create, status: 400, body: `{"message":"Invalid phone number format"}`, want: "HTTP 400: Invalid phone number format"},
		{name: "400 bare", mode: connector.Create, status: 400, want: "HTTP 400: invalid request"},
		{name: "409 conflict", mode: connector.Create, status: 409, body: `{"error":"Contact already exists","errors":[{"field":"phoneNumbers","message":"duplicate"}]}`,
			want: "Contact already exists; phoneNumbers: duplicate"},
		{name: "404 on update", mode: connector.Upsert, status: 404, want: "no longer exists"},
		{name: "429 retry after", mode: connector.Create, status: 429, header: map[string]string{"Retry-After": "7"}, want: "HTTP 429", retryable: true, retryAfter: 7 * time.Second},
		{name: "500", mode: connector.Create, status: 500, body: `""`, want: "HTTP 500", retryable: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.seed(map[string]any{"mainEmail": "e@example.com", "emailAddresses": []any{"e@example.com"}})
			f.setIntercept(func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
				if r.Method == http.MethodGet {
					return false
				}
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
				return true
			})
			_, err := f.connector(t, nil).Write(context.Background(), connector.Contact,
				mapping.Record{"email": "e@example.com", "name": "E"}, connector.WriteOptions{Mode: tt.mode, Match: []string{"email"}})
			ce, ok := connector.AsError(err)
			if !ok || ce.HTTPStatus != tt.status || ce.Retryable != tt.retryable || ce.RetryAfter != tt.retryAfter || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v (%+v), want HTTP %d retryable=%v after=%v containing %q", err, ce, tt.status, tt.retryable, tt.retryAfter, tt.want)
			}
		})
	}
}
