package closem

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/mapping"
)

// Every body shape an undocumented API may send, through a real upsert
// against an httptest server: success with what it says, or the error
// classified for the runner.
func TestAnswerShapes(t *testing.T) {
	type want struct {
		status    connector.Status // for a success
		id        string
		note      string // a part of the note; "" for none
		fail      bool
		auth      bool
		retryable bool
		maybe     bool
		after     time.Duration
		msg       string // a part of the error text
	}
	tests := []struct {
		name    string
		code    int
		body    string
		headers []string
		want    want
	}{
		{"JSON created", 200, `{"success":true,"contact_id":"1001","action":"created"}`, nil, want{status: connector.Created, id: "1001"}},
		{"JSON updated", 200, `{"success":true,"contact_id":1002,"action":"updated"}`, nil, want{status: connector.Updated, id: "1002"}},
		{"JSON created flag", 200, `{"ok":1,"created":true,"data":{"id":7}}`, nil, want{status: connector.Created, id: "7"}},
		{"JSON status string", 200, `{"status":"success","result":"updated","contact":{"id":"c-9"}}`, nil, want{status: connector.Updated, id: "c-9"}},
		{"JSON silent on action", 200, `{"success":true,"message":"Contact saved"}`, nil, want{status: connector.Updated, note: "did not say"}},
		{"JSON array", 200, `[{"contact_id":5,"action":"added"}]`, nil, want{status: connector.Created, id: "5"}},
		{"JSON true", 200, `true`, nil, want{status: connector.Updated, note: "did not say"}},
		{"JSON string OK", 200, `"OK"`, nil, want{status: connector.Updated, note: "did not say"}},
		{"text OK", 200, "OK\n", nil, want{status: connector.Updated, note: "did not say"}},
		{"text success with errors word", 200, "Success (no errors)", nil, want{status: connector.Updated, note: "did not say"}},
		{"empty 200", 200, "", nil, want{status: connector.Updated, note: "did not say"}},
		{"empty 204", 204, "", nil, want{status: connector.Updated, note: "did not say"}},

		{"200 success false", 200, `{"success":false,"error":"Invalid email address"}`, nil, want{fail: true, msg: "Invalid email address"}},
		{"200 status error", 200, `{"status":"error","message":"Phone and/or email is required"}`, nil, want{fail: true, msg: "Phone and/or email is required"}},
		{"200 errors object", 200, `{"errors":{"email":["is invalid"],"phone":"too short"}}`, nil, want{fail: true, msg: "email: is invalid; phone: too short"}},
		{"200 error without flag", 200, `{"error":"Unknown mode"}`, nil, want{fail: true, msg: "Unknown mode"}},
		{"200 success false silent", 200, `{"success":false}`, nil, want{fail: true, msg: "without saying why"}},
		{"200 bad key", 200, `{"success":false,"error":"Invalid API key"}`, nil, want{fail: true, auth: true, msg: "Invalid API key"}},
		{"200 code 401", 200, `{"success":false,"code":401,"error":"Denied"}`, nil, want{fail: true, auth: true}},
		{"200 rate limited", 200, `{"success":false,"error":"Too many requests"}`, []string{"Retry-After", "3"}, want{fail: true, retryable: true, after: 3 * time.Second}},
		{"200 code 500", 200, `{"success":false,"code":500,"error":"Database gone"}`, nil, want{fail: true, retryable: true, maybe: true}},
		{"200 text error", 200, "error: phone or email required", nil, want{fail: true, msg: "error: phone or email required"}},
		{"200 text bad key", 200, "Error: invalid auth key", nil, want{fail: true, auth: true}},
		{"200 login page", 200, "<!DOCTYPE html><html><body><form>Log in to CLOSEM<input name=password></form></body></html>", nil, want{fail: true, auth: true, msg: "web page"}},
		{"200 other page", 200, "<html><body>Welcome</body></html>", nil, want{fail: true, msg: "check base_url"}},

		{"401 JSON", 401, `{"success":false,"error":"Invalid API key"}`, nil, want{fail: true, auth: true, msg: "Invalid API key"}},
		{"401 text", 401, "Unauthorized", nil, want{fail: true, auth: true}},
		{"403 empty", 403, "", nil, want{fail: true, auth: true}},
		{"400 JSON", 400, `{"success":false,"error":"Invalid phone number: \"x\""}`, nil, want{fail: true, msg: `Invalid phone number: "x"`}},
		{"400 text bad key", 400, "Invalid API key", nil, want{fail: true, auth: true}},
		{"422 text rate", 422, "rate limit exceeded", nil, want{fail: true, retryable: true}},
		{"404 text", 404, "Not Found", nil, want{fail: true, msg: "Not Found"}},
		{"429 JSON", 429, `{"success":false,"error":"Too many requests"}`, []string{"Retry-After", "2"}, want{fail: true, retryable: true, after: 2 * time.Second}},
		{"429 bare", 429, "", nil, want{fail: true, retryable: true}},
		{"503", 503, "Service Unavailable", nil, want{fail: true, retryable: true, maybe: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, c := newFake(t, "", respond(tt.code, tt.body, tt.headers...))
			res, err := c.Write(context.Background(), connector.Contact, mapping.Record{"email": "a@example.com"},
				connector.WriteOptions{Mode: connector.Upsert, Match: []string{"email"}})
			w := tt.want
			if !w.fail {
				if err != nil {
					t.Fatalf("error %v, want %s", err, w.status)
				}
				if res.Status != w.status || res.ID != w.id || res.HTTPStatus != tt.code {
					t.Fatalf("result %+v, want %s id %q HTTP %d", res, w.status, w.id, tt.code)
				}
				if (w.note == "" && res.Note != "") || !strings.Contains(res.Note, w.note) {
					t.Fatalf("note %q, want %q", res.Note, w.note)
				}
				return
			}
			ce, ok := connector.AsError(err)
			if !ok {
				t.Fatalf("result %+v, error %v; want a *connector.Error", res, err)
			}
			if ce.Auth != w.auth || ce.Retryable != w.retryable || ce.MaybeApplied != w.maybe || ce.RetryAfter != w.after {
				t.Fatalf("error %v: auth %v retryable %v maybe %v after %v; want %v %v %v %v",
					ce, ce.Auth, ce.Retryable, ce.MaybeApplied, ce.RetryAfter, w.auth, w.retryable, w.maybe, w.after)
			}
			if ce.HTTPStatus != tt.code || !strings.Contains(ce.Error(), w.msg) {
				t.Fatalf("error %q (HTTP %d), want HTTP %d and %q", ce.Error(), ce.HTTPStatus, tt.code, w.msg)
			}
		})
	}
}

// A successful answer's rate-limit headers become a pause for the runner.
func TestSuccessWait(t *testing.T) {
	_, c := newFake(t, "", respond(200, `{"success":true,"action":"created"}`, "RateLimit", "limit=10, remaining=0, reset=4"))
	res, err := c.Write(context.Background(), connector.Contact, mapping.Record{"phone": "5554443333"}, connector.WriteOptions{Mode: connector.Create})
	if err != nil || res.Wait != 4*time.Second {
		t.Fatalf("result %+v, %v; want a 4s wait", res, err)
	}
}

func TestReadAnswerCounts(t *testing.T) {
	tests := []struct {
		body  string
		count int
		has   bool
		ids   string
	}{
		{`{"success":true,"contacts":2,"contact_ids":["1","2"]}`, 2, true, "1,2"},
		{`{"success":true,"contact_ids":[3]}`, 1, true, "3"},
		{`{"success":true,"count":0}`, 0, true, ""},
		{`{"success":true}`, 0, false, ""},
	}
	for _, tt := range tests {
		a := readAnswer([]byte(tt.body))
		if a.count != tt.count || a.hasCount != tt.has || strings.Join(a.contactIDs, ",") != tt.ids {
			t.Errorf("%s: count %d (%v) ids %v", tt.body, a.count, a.hasCount, a.contactIDs)
		}
	}
}
