package closem

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/internal/sandbox"
	closemsb "github.com/crmload/crmload/internal/sandbox/closem"
	"github.com/crmload/crmload/mapping"
)

// startSandbox serves the CLOSEM fake (internal/sandbox/closem, written
// from the help page before this connector) and returns its base URL.
func startSandbox(t *testing.T, faults sandbox.Faults) (*closemsb.Fake, string) {
	t.Helper()
	fake := closemsb.New(sandbox.Options{APIKey: testKey, Faults: faults})
	srv, err := sandbox.Start(fake, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close(); _ = fake.Close() })
	return fake, srv.URL + fake.BasePath()
}

func TestAgainstSandbox(t *testing.T) {
	fake, base := startSandbox(t, sandbox.Faults{})
	ctx := context.Background()
	c := newClient(t, base, "")
	c.now = time.Now // the sandbox judges appointment times by the real clock
	fields := []string{"first_name", "last_name", "email", "phone_number", "city", "tags", "contact_list"}
	for _, mode := range []connector.Mode{connector.Create, connector.Upsert} {
		if err := c.CheckWrite(connector.Contact, mode, []string{"email"}, fields); err != nil {
			t.Fatalf("CheckWrite %s: %v", mode, err)
		}
	}
	if err := c.Prepare(ctx, connector.Contact, fields); err != nil {
		t.Fatal(err)
	}

	t.Run("create", func(t *testing.T) {
		rec := mapping.Record{"first_name": "Ana", "last_name": "Silva", "email": "ana@example.com", "phone_number": "555-444-3333",
			"city": "Austin", "tags": "42, 57", "contact_list": "18"}
		res, err := c.Write(ctx, connector.Contact, rec, connector.WriteOptions{Mode: connector.Create})
		if err != nil || res.Status != connector.Created || res.ID == "" || res.HTTPStatus != 200 {
			t.Fatalf("Write = %+v, %v", res, err)
		}
		got := fake.Contacts()
		if len(got) != 1 || got[0].ID != res.ID || got[0].FullName() != "Ana Silva" || got[0].Phone != "555-444-3333" ||
			got[0].City != "Austin" || len(got[0].Tags) != 2 || len(got[0].ContactLists) != 1 {
			t.Fatalf("stored %+v", got)
		}
		// Create means add: CLOSEM keeps a second contact with the same email.
		if _, err := c.Write(ctx, connector.Contact, rec, connector.WriteOptions{Mode: connector.Create}); err != nil {
			t.Fatal(err)
		}
		if n := len(fake.Contacts()); n != 2 {
			t.Fatalf("%d contacts after two creates, want 2", n)
		}
	})

	t.Run("upsert twice", func(t *testing.T) {
		opt := connector.WriteOptions{Mode: connector.Upsert, Match: []string{"email"}}
		before := len(fake.Contacts())
		first, err := c.Write(ctx, connector.Contact, mapping.Record{"first_name": "Rui", "email": "rui@example.com"}, opt)
		if err != nil || first.Status != connector.Created {
			t.Fatalf("first upsert = %+v, %v", first, err)
		}
		second, err := c.Write(ctx, connector.Contact, mapping.Record{"first_name": "Rui", "last_name": "Costa", "email": "RUI@example.com"}, opt)
		if err != nil || second.Status != connector.Updated || second.ID != first.ID {
			t.Fatalf("second upsert = %+v, %v; want updated %s", second, err, first.ID)
		}
		if n := len(fake.Contacts()); n != before+1 {
			t.Fatalf("contacts %d → %d: the second upsert duplicated", before, n)
		}
	})

	t.Run("verified create does not duplicate", func(t *testing.T) {
		before := len(fake.Contacts())
		res, err := c.Write(ctx, connector.Contact, mapping.Record{"email": "rui@example.com", "city": "Porto"},
			connector.WriteOptions{Mode: connector.Create, Verify: true})
		if err != nil || res.Status != connector.Created || res.Note == "" {
			t.Fatalf("verified create = %+v, %v", res, err)
		}
		if n := len(fake.Contacts()); n != before {
			t.Fatalf("contacts %d → %d", before, n)
		}
	})

	t.Run("missing phone and email", func(t *testing.T) {
		before, _, _ := fake.Gate().Stats()
		_, err := c.Write(ctx, connector.Contact, mapping.Record{"first_name": "Nobody"}, connector.WriteOptions{Mode: connector.Upsert, Match: []string{"email"}})
		if ce, ok := connector.AsError(err); !ok || ce.Retryable {
			t.Fatalf("error %v, want a final row error", err)
		}
		if after, _, _ := fake.Gate().Stats(); after != before {
			t.Fatal("the row reached the sandbox")
		}
	})

	t.Run("run sequence", func(t *testing.T) {
		seq := newClient(t, base, actionRunSequence)
		res, err := seq.Write(ctx, connector.Contact, mapping.Record{"phone": "+1 (555) 444-3333", "sequence_id": "55"}, connector.WriteOptions{Mode: connector.Create})
		if err != nil || res.Status != connector.Created {
			t.Fatalf("Write = %+v, %v", res, err)
		}
		runs := fake.Sequences()
		if len(runs) != 1 || runs[0].SequenceID != "55" || len(runs[0].ContactIDs) != 2 {
			t.Fatalf("runs %+v, want sequence 55 on both contacts with that phone", runs)
		}
		_, err = seq.Write(ctx, connector.Contact, mapping.Record{"email": "nobody@example.com", "sequence_id": "55"}, connector.WriteOptions{Mode: connector.Create})
		if ce, ok := connector.AsError(err); !ok || ce.Retryable || ce.HTTPStatus != http.StatusNotFound {
			t.Fatalf("unknown contact: %v, want a final 404", err)
		}
	})

	t.Run("schedule appointment", func(t *testing.T) {
		appt := newClient(t, base, actionSchedule)
		appt.now = time.Now
		at := time.Now().Add(48 * time.Hour).Truncate(time.Second)
		res, err := appt.Write(ctx, connector.Contact, mapping.Record{"email": "rui@example.com", "appointment_note": "Demo",
			"appointment_timestamp": at.Format(time.RFC3339)}, connector.WriteOptions{Mode: connector.Create})
		if err != nil || res.Status != connector.Created || res.ID == "" {
			t.Fatalf("Write = %+v, %v", res, err)
		}
		as := fake.Appointments()
		if len(as) != 1 || !as[0].At.Equal(at) || as[0].Note != "Demo" || len(as[0].ContactIDs) != 1 {
			t.Fatalf("appointments %+v, want one at %v", as, at)
		}
		// A wall-clock time goes in CLOSEM's own layout, read in the company timezone (UTC in the sandbox).
		wall := time.Now().UTC().Add(72 * time.Hour).Truncate(time.Minute)
		if _, err := appt.Write(ctx, connector.Contact, mapping.Record{"email": "rui@example.com", "appointment_note": "Call",
			"appointment_timestamp": wall.Format("2006-01-02 15:04")}, connector.WriteOptions{Mode: connector.Create}); err != nil {
			t.Fatal(err)
		}
		if as := fake.Appointments(); len(as) != 2 || !as[1].At.Equal(wall) || as[1].Given != wall.Format("01/02/2006 03:04 PM") {
			t.Fatalf("appointments %+v, want the second at %v", as, wall)
		}
	})

	t.Run("bad key is auth", func(t *testing.T) {
		bad, err := New(connector.Config{BaseURL: base, APIKey: "wrong-key"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = bad.Write(ctx, connector.Contact, mapping.Record{"email": "x@example.com"}, connector.WriteOptions{Mode: connector.Upsert, Match: []string{"email"}})
		if ce, ok := connector.AsError(err); !ok || !ce.Auth || ce.HTTPStatus != http.StatusUnauthorized {
			t.Fatalf("Write = %v, want an Auth error", err)
		}
	})
}

// A create that times out after CLOSEM stored it is sent again with
// Verify, as the runner does, and must not leave a duplicate.
func TestSandboxTimeoutThenVerify(t *testing.T) {
	fake, base := startSandbox(t, sandbox.Faults{Timeout: 1, Hang: 5 * time.Second})
	c := newClient(t, base, "")
	c.http.Timeout = 300 * time.Millisecond
	ctx := context.Background()
	rec := mapping.Record{"email": "late@example.com", "name": "Lee Late"}
	_, err := c.Write(ctx, connector.Contact, rec, connector.WriteOptions{Mode: connector.Create})
	ce, ok := connector.AsError(err)
	if !ok || !ce.Retryable || !ce.MaybeApplied {
		t.Fatalf("error %v, want retryable and maybe applied", err)
	}
	fake.Gate().SetFaults(sandbox.Faults{})
	res, err := c.Write(ctx, connector.Contact, rec, connector.WriteOptions{Mode: connector.Create, Verify: true})
	if err != nil || res.Status != connector.Created {
		t.Fatalf("verified retry = %+v, %v", res, err)
	}
	if got := fake.Contacts(); len(got) != 1 || got[0].ID != res.ID {
		t.Fatalf("contacts %+v, want the one contact %s", got, res.ID)
	}
}

// The sandbox's 429 is retryable with its Retry-After (or bare).
func TestSandboxRateLimit(t *testing.T) {
	_, base := startSandbox(t, sandbox.Faults{RatePerSecond: 0.5, Burst: 1})
	c := newClient(t, base, "")
	ctx := context.Background()
	opt := connector.WriteOptions{Mode: connector.Upsert, Match: []string{"email"}}
	if _, err := c.Write(ctx, connector.Contact, mapping.Record{"email": "a@example.com"}, opt); err != nil {
		t.Fatal(err)
	}
	_, err := c.Write(ctx, connector.Contact, mapping.Record{"email": "b@example.com"}, opt)
	ce, ok := connector.AsError(err)
	if !ok || !ce.Retryable || ce.HTTPStatus != http.StatusTooManyRequests || ce.Auth {
		t.Fatalf("error %v, want a retryable 429", err)
	}
}
