package closem

import (
	"strings"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/sandbox"
)

// seed adds three contacts: ann (tag 42, list 18), bob (phone), cat (list 32).
func seed(t *testing.T, c *apiClient) (ann, bob, cat string) {
	t.Helper()
	ann = c.ok(vals("mode", "addcontact", "email", "ann@example.com", "tags", "42", "contactlists", "18")).ContactID
	bob = c.ok(vals("mode", "addcontact", "phone", "+15554443333")).ContactID
	cat = c.ok(vals("mode", "addcontact", "email", "cat@example.com", "contact_list", "32")).ContactID
	return ann, bob, cat
}

func TestRunSequence(t *testing.T) {
	f, c := start(t, sandbox.Options{})
	ann, bob, cat := seed(t, c)
	tests := []struct {
		name   string
		fields []string
		want   []string
	}{
		{"by email", []string{"contact_emails", "ANN@example.com"}, []string{ann}},
		{"by emails", []string{"contact_emails", "ann@example.com, cat@example.com"}, []string{ann, cat}},
		{"by phone, documented formats", []string{"contact_phones", "+1 (555) 444-3333,1-555-444-3333"}, []string{bob}},
		{"by phone, example format", []string{"contact_phones", "555-444-3333"}, []string{bob}},
		{"by list", []string{"contactlists", "18,32"}, []string{ann, cat}},
		{"by list alias", []string{"contact_list", "32"}, []string{cat}},
		{"by tag", []string{"tag", "42"}, []string{ann}},
		{"union", []string{"tags", "42", "contact_phones", "15554443333"}, []string{ann, bob}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(f.Sequences())
			r := c.ok(vals(append([]string{"mode", "runsequence", "sequence_id", "55"}, tt.fields...)...))
			if r.SequenceID != "55" || r.Contacts != len(tt.want) || strings.Join(r.ContactIDs, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("answer %s, want contacts %v", r.Raw, tt.want)
			}
			runs := f.Sequences()
			if len(runs) != before+1 {
				t.Fatalf("%d runs, want %d", len(runs), before+1)
			}
			last := runs[len(runs)-1]
			if last.SequenceID != "55" || last.Via != "runsequence" || strings.Join(last.ContactIDs, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("run %+v", last)
			}
		})
	}
}

func TestRunSequenceRefused(t *testing.T) {
	f, c := start(t, sandbox.Options{})
	seed(t, c)
	tests := []struct {
		name   string
		fields []string
		status int
		want   string
	}{
		{"no sequence", []string{"contact_emails", "ann@example.com"}, 400, "sequence_id is required"},
		{"bad sequence", []string{"sequence_id", "abc", "contact_emails", "ann@example.com"}, 400, "sequence_id:"},
		{"no target", []string{"sequence_id", "5"}, 400, "One of contact_emails"},
		{"email alias is not contact_emails", []string{"sequence_id", "5", "email", "ann@example.com"}, 400, "One of contact_emails"},
		{"bad email", []string{"sequence_id", "5", "contact_emails", "ann"}, 400, "invalid email"},
		{"non-US phone", []string{"sequence_id", "5", "contact_phones", "+44 20 7946 0958"}, 400, "accepted format"},
		{"nobody matches", []string{"sequence_id", "5", "contact_emails", "nobody@example.com"}, 404, "No matching contacts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.refused(vals(append([]string{"mode", "runsequence"}, tt.fields...)...), tt.status, tt.want)
		})
	}
	if n := len(f.Sequences()); n != 0 {
		t.Fatalf("%d runs recorded by refused calls", n)
	}
}

func TestScheduleAppointment(t *testing.T) {
	f, c := start(t, sandbox.Options{}) // the clock starts on 1 March 2025, 09:00 UTC
	ann, bob, _ := seed(t, c)
	future := time.Date(2025, 4, 1, 12, 30, 0, 0, time.UTC)
	tests := []struct {
		name  string
		stamp string
		at    time.Time
	}{
		{"long year PM", "04/01/2025 12:30 PM", future},
		{"short year AM", "04/01/25 09:05 AM", time.Date(2025, 4, 1, 9, 5, 0, 0, time.UTC)},
		{"lower-case pm", "04/01/2025 01:00 pm", time.Date(2025, 4, 1, 13, 0, 0, 0, time.UTC)},
		{"unix", "1743510600", future},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(f.Appointments())
			r := c.ok(vals("mode", "scheduleappointment", "appointment_note", "Virtual Training Seminar",
				"appointment_timestamp", tt.stamp, "contact_emails", "ann@example.com", "contact_phones", "+15554443333"))
			if r.AppointmentID == "" || r.Contacts != 2 || strings.Join(r.ContactIDs, ",") != ann+","+bob {
				t.Fatalf("answer %s", r.Raw)
			}
			as := f.Appointments()
			if len(as) != before+1 {
				t.Fatalf("%d appointments", len(as))
			}
			a := as[len(as)-1]
			if !a.At.Equal(tt.at) || a.Given != tt.stamp || a.Note != "Virtual Training Seminar" || a.ID != r.AppointmentID {
				t.Fatalf("appointment %+v, want at %v", a, tt.at)
			}
		})
	}
}

func TestScheduleAppointmentRefused(t *testing.T) {
	f, c := start(t, sandbox.Options{})
	seed(t, c)
	target := []string{"contact_emails", "ann@example.com"}
	tests := []struct {
		name   string
		fields []string
		status int
		want   string
	}{
		{"no note", []string{"appointment_timestamp", "04/01/2025 12:30 PM"}, 400, "appointment_note is required"},
		{"no timestamp", []string{"appointment_note", "x"}, 400, "appointment_timestamp is required"},
		{"past", []string{"appointment_note", "x", "appointment_timestamp", "04/01/2022 12:30 PM"}, 400, "future"},
		{"past unix", []string{"appointment_note", "x", "appointment_timestamp", "1648816200"}, 400, "future"},
		{"ISO format", []string{"appointment_note", "x", "appointment_timestamp", "2025-04-01T12:30:00Z"}, 400, "neither a UNIX timestamp"},
		{"24-hour clock", []string{"appointment_note", "x", "appointment_timestamp", "04/01/2025 13:30"}, 400, "neither a UNIX timestamp"},
		{"single-digit month", []string{"appointment_note", "x", "appointment_timestamp", "4/1/2025 12:30 PM"}, 400, "neither a UNIX timestamp"},
		{"hour 13 PM", []string{"appointment_note", "x", "appointment_timestamp", "04/01/2025 13:30 PM"}, 400, "neither a UNIX timestamp"},
		{"nobody matches", []string{"appointment_note", "x", "appointment_timestamp", "04/01/2025 12:30 PM", "tags", "999"}, 404, "No matching contacts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fields := append([]string{"mode", "scheduleappointment"}, tt.fields...)
			if tt.status != 404 {
				fields = append(fields, target...)
			}
			c.refused(vals(fields...), tt.status, tt.want)
		})
	}
	if n := len(f.Appointments()); n != 0 {
		t.Fatalf("%d appointments recorded by refused calls", n)
	}
}
