package closem

import (
	"context"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/mapping"
)

func TestRunSequence(t *testing.T) {
	tests := []struct {
		name string
		rec  mapping.Record
		want map[string]string
	}{
		{"by email", mapping.Record{"email": "a@example.com", "sequence_id": "55"},
			map[string]string{"contact_emails": "a@example.com", "sequence_id": "55"}},
		{"by phone, converted", mapping.Record{"phone": "(555) 444-3333", "sequence_id": "055"},
			map[string]string{"contact_phones": "+15554443333", "sequence_id": "55"}},
		{"by alias and native names", mapping.Record{"email_address": "b@example.com", "contact_phones": "1-555-444-3333, +15550001111", "sequence_id": "7"},
			map[string]string{"contact_emails": "b@example.com", "contact_phones": "+15554443333,+15550001111", "sequence_id": "7"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, c := newFake(t, actionRunSequence, respond(200, `{"success":true,"sequence_id":"55","contacts":1,"contact_ids":["1001"]}`))
			res, err := c.Write(context.Background(), connector.Contact, tt.rec, connector.WriteOptions{Mode: connector.Create})
			if err != nil {
				t.Fatal(err)
			}
			s := f.last(t)
			if s.Form.Get("mode") != "runsequence" || !reflect.DeepEqual(formOf(s), tt.want) {
				t.Fatalf("sent mode %q %v, want %v", s.Form.Get("mode"), formOf(s), tt.want)
			}
			if res.Status != connector.Created || res.ID != "1001" || res.Note != "" {
				t.Fatalf("result %+v", res)
			}
		})
	}
}

func TestScheduleAppointment(t *testing.T) {
	f, c := newFake(t, actionSchedule, respond(200, `{"success":true,"appointment_id":"12","contacts":2}`))
	res, err := c.Write(context.Background(), connector.Contact, mapping.Record{"phone": "5554443333",
		"appointment_note": "Virtual Training Seminar", "appointment_timestamp": "2025-04-01T12:30:00-07:00"}, connector.WriteOptions{Mode: connector.Create})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"contact_phones": "+15554443333", "appointment_note": "Virtual Training Seminar", "appointment_timestamp": "1743535800"}
	if s := f.last(t); s.Form.Get("mode") != "scheduleappointment" || !reflect.DeepEqual(formOf(s), want) {
		t.Fatalf("sent %v, want %v", formOf(s), want)
	}
	if res.Status != connector.Created || res.ID != "12" || !strings.Contains(res.Note, "2 contacts") {
		t.Fatalf("result %+v", res)
	}
}

// The clock of newClient reads 1 March 2025, 09:00 UTC.
func TestAppointmentTime(t *testing.T) {
	now := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		in, want, err string
	}{
		{in: "1743510600", want: "1743510600"},
		{in: "2025-04-01T12:30:00Z", want: "1743510600"},
		{in: "2025-04-01T05:30:00-07:00", want: "1743510600"},
		{in: "2025-04-01T12:30Z", want: "1743510600"},
		{in: "04/01/2025 12:30 PM", want: "04/01/2025 12:30 PM"},
		{in: "04/01/25 09:05 am", want: "04/01/2025 09:05 AM"},
		{in: "4/1/2025 3:00 pm", want: "04/01/2025 03:00 PM"},
		{in: "2025-04-01 15:04", want: "04/01/2025 03:04 PM"},
		{in: "2025-04-01T00:30:59", want: "04/01/2025 12:30 AM"},
		{in: "2025-03-01 08:00", want: "03/01/2025 08:00 AM"}, // past in UTC, future in company timezones west of it
		{in: "2025-02-28 20:00", err: "future"},               // past everywhere
		{in: "1648816200", err: "future"},
		{in: "2022-04-01T12:30:00Z", err: "future"},
		{in: "1743510600000", err: "seconds"},
		{in: "13/04/2025 12:30 PM", err: "want a UNIX timestamp"},
		{in: "next tuesday", err: "want a UNIX timestamp"},
	}
	for _, tt := range tests {
		got, err := appointmentTime(tt.in, now)
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("%q: %q, %v; want error %q", tt.in, got, err, tt.err)
		case tt.err == "" && (err != nil || got != tt.want):
			t.Errorf("%q: %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestActionRowErrors(t *testing.T) {
	tests := []struct {
		name   string
		action string
		rec    mapping.Record
		want   string
	}{
		{"no contact", actionRunSequence, mapping.Record{"sequence_id": "5"}, "has neither"},
		{"no sequence", actionRunSequence, mapping.Record{"email": "a@example.com"}, "sequence_id is missing"},
		{"bad sequence", actionRunSequence, mapping.Record{"email": "a@example.com", "sequence_id": "five"}, "not an id"},
		{"non-US phone", actionRunSequence, mapping.Record{"phone": "+44 20 7946 0958", "sequence_id": "5"}, "US phone"},
		{"a name is not a target", actionRunSequence, mapping.Record{"email": "a@example.com", "sequence_id": "5", "name": "Al"}, `name: not a field`},
		{"no note", actionSchedule, mapping.Record{"email": "a@example.com", "appointment_timestamp": "1743510600"}, "appointment_note is missing"},
		{"no time", actionSchedule, mapping.Record{"email": "a@example.com", "appointment_note": "x"}, "appointment_timestamp is missing"},
		{"past time", actionSchedule, mapping.Record{"email": "a@example.com", "appointment_note": "x", "appointment_timestamp": "04/01/2022 12:30 PM"}, "future"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, c := newFake(t, tt.action, respond(200, `{"success":true}`))
			_, err := c.Write(context.Background(), connector.Contact, tt.rec, connector.WriteOptions{Mode: connector.Create})
			ce, ok := connector.AsError(err)
			if !ok || ce.Retryable || !strings.Contains(ce.Error(), tt.want) {
				t.Fatalf("error %v, want a final row error with %q", err, tt.want)
			}
			if len(f.requests()) != 0 {
				t.Fatal("a call was made for a row CLOSEM would refuse")
			}
		})
	}
	_, c := newFake(t, actionRunSequence, respond(200, `{"success":true}`))
	if _, err := c.Write(context.Background(), connector.Contact, mapping.Record{"email": "a@example.com", "sequence_id": "5"},
		connector.WriteOptions{Mode: connector.Upsert}); err == nil {
		t.Fatal("an action accepted mode upsert")
	}
}

// An action that may have been done is not retried: it could run twice.
// One that surely was not (a 429, a refused connection) still is.
func TestActionNotTwice(t *testing.T) {
	tests := []struct {
		name      string
		reply     func(http.ResponseWriter, *http.Request, url.Values)
		retryable bool
	}{
		{"timeout", func(w http.ResponseWriter, r *http.Request, _ url.Values) {
			select {
			case <-time.After(2 * time.Second):
			case <-r.Context().Done():
			}
		}, false},
		{"503", respond(503, "Service Unavailable"), false},
		{"429", respond(429, `{"success":false,"error":"Too many requests"}`), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, c := newFake(t, actionSchedule, tt.reply)
			c.http.Timeout = 200 * time.Millisecond
			rec := mapping.Record{"email": "a@example.com", "appointment_note": "x", "appointment_timestamp": "1743510600"}
			_, err := c.Write(context.Background(), connector.Contact, rec, connector.WriteOptions{Mode: connector.Create})
			ce, ok := connector.AsError(err)
			if !ok || ce.Retryable != tt.retryable {
				t.Fatalf("error %v, want retryable %v", err, tt.retryable)
			}
			if !tt.retryable && !strings.Contains(ce.Error(), "not sent again") {
				t.Fatalf("error %q does not say why it is not retried", ce.Error())
			}
		})
	}
}

// An answer saying no contact matched skips the row.
func TestActionNoMatch(t *testing.T) {
	_, c := newFake(t, actionRunSequence, respond(200, `{"success":true,"contacts":0,"contact_ids":[]}`))
	res, err := c.Write(context.Background(), connector.Contact, mapping.Record{"email": "a@example.com", "sequence_id": "5"},
		connector.WriteOptions{Mode: connector.Create})
	if err != nil || res.Status != connector.Skipped || !strings.Contains(res.Note, "no CLOSEM contact") {
		t.Fatalf("result %+v, %v; want skipped", res, err)
	}
}
