package closumv1

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/internal/sandbox"
	v1sb "github.com/crmload/crmload/internal/sandbox/closumv1"
	"github.com/crmload/crmload/mapping"
)

// startSandbox serves the official Closum v1 fake (internal/sandbox/closumv1,
// written from the docs separately) on the clock given, and returns a
// connector for it on its own clock.
func startSandbox(t *testing.T, serverClock, clientClock *clock) (*v1sb.Fake, *Client) {
	t.Helper()
	fake := v1sb.New(sandbox.Options{Username: testUser, Password: testPW, Now: serverClock.Now})
	srv, err := sandbox.Start(fake, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close(); _ = fake.Close() })
	conn, err := New(connector.Config{BaseURL: srv.URL + fake.BasePath(), Username: testUser, Password: testPW,
		Options: map[string]string{"contact_type_id": "1"}, HTTP: &http.Client{Timeout: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	c := conn.(*Client)
	c.now = clientClock.Now
	return fake, c
}

func TestAgainstSandbox(t *testing.T) {
	clk := newClock()
	fake, c := startSandbox(t, clk, clk)
	ctx := context.Background()
	fields := []string{"first_name", "last_name", "email", "phone", "consent_email", "city", "custom.Source"}
	if err := c.CheckWrite(connector.Lead, connector.Upsert, []string{"email"}, fields); err != nil {
		t.Fatalf("CheckWrite: %v", err)
	}
	if err := c.Prepare(ctx, connector.Lead, fields); err != nil {
		t.Fatalf("Prepare: %v", err)
	}

	t.Run("create", func(t *testing.T) {
		rec := mapping.Record{"first_name": "Sylvia", "last_name": "Hook", "email": "sylvia@closum.com",
			"phone": "+1 517-388-1452", "consent_email": "yes", "city": "evora", "custom.Source": "Fair"}
		res, err := c.Write(ctx, connector.Lead, rec, connector.WriteOptions{Mode: connector.Create})
		if err != nil || res.Status != connector.Created {
			t.Fatalf("Write = %+v, %v", res, err)
		}
		id, _ := strconv.Atoi(res.ID)
		l, ok := fake.Lead(id)
		if !ok || l.Name != "Sylvia Hook" || l.Email != "sylvia@closum.com" || l.PhoneExtension != "001" ||
			l.PhoneNumber != "5173881452" || l.CityID != 8 || l.CustomData != `{"Source":"Fair"}` ||
			l.OptIn == nil || !l.OptIn.Email || l.OptIn.SMS {
			t.Errorf("stored lead = %+v (opt-in %+v)", l, l.OptIn)
		}
	})

	t.Run("upsert twice", func(t *testing.T) {
		before := len(fake.Leads())
		rec := mapping.Record{"first_name": "Rui", "email": "rui@example.com", "phone": "+351 916 912 468"}
		first, err := c.Write(ctx, connector.Lead, rec, upsertBy("email"))
		if err != nil || first.Status != connector.Created {
			t.Fatalf("first = %+v, %v", first, err)
		}
		second, err := c.Write(ctx, connector.Lead, rec, upsertBy("email"))
		if err != nil || second.Status != connector.Unchanged || second.ID != first.ID {
			t.Fatalf("second = %+v, %v; want unchanged %s", second, err, first.ID)
		}
		if n := len(fake.Leads()); n != before+1 {
			t.Errorf("leads %d → %d: duplicated", before, n)
		}
		// Only the phone differs: changed through PUT /api/phone.
		rec["phone"] = "+351 912 345 678"
		third, err := c.Write(ctx, connector.Lead, rec, upsertBy("email"))
		if err != nil || third.Status != connector.Updated {
			t.Fatalf("third = %+v, %v", third, err)
		}
		id, _ := strconv.Atoi(first.ID)
		if l, _ := fake.Lead(id); l.PhoneExtension != "351" || l.PhoneNumber != "912345678" {
			t.Errorf("phone = %s %s", l.PhoneExtension, l.PhoneNumber)
		}
	})

	t.Run("contacts", func(t *testing.T) {
		rec := mapping.Record{"name": "Ana", "email": "ana@example.com", "phone": "+351 916 000 111", "consent_sms": "1"}
		for i, want := range []connector.Status{connector.Created, connector.Unchanged} {
			res, err := c.Write(ctx, connector.Contact, rec, upsertBy("phone"))
			if err != nil || res.Status != want {
				t.Fatalf("upsert %d = %+v, %v; want %s", i+1, res, err, want)
			}
		}
		if n := len(fake.UnqualifiedLeads()); n != 1 {
			t.Errorf("contacts = %d, want 1", n)
		}
	})

	t.Run("list", func(t *testing.T) {
		var n int
		for rec, err := range c.List(ctx, connector.Lead, connector.Query{}) {
			if err != nil {
				t.Fatal(err)
			}
			if rec["email"] == "sylvia@closum.com" && (rec["city"] != "Évora" || rec["phone"] != "+15173881452") {
				t.Errorf("listed = %v", rec)
			}
			n++
		}
		if n != len(fake.Leads()) {
			t.Errorf("listed %d of %d", n, len(fake.Leads()))
		}
	})
}

// A token that expires mid-run is renewed once for all workers, and no row
// fails: whether the client's clock says so (renewal ahead of time) or
// only the server's (a 401, then renewal).
func TestSandboxTokenExpiryMidRun(t *testing.T) {
	for _, tc := range []struct {
		name   string
		shared bool // client and server share the clock
	}{
		{"client sees it coming", true},
		{"server clock ahead", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			serverClock, clientClock := newClock(), newClock()
			if tc.shared {
				clientClock = serverClock
			}
			fake, c := startSandbox(t, serverClock, clientClock)
			fake.SetTokenTTL(time.Hour)
			ctx := context.Background()
			if err := c.Prepare(ctx, connector.Lead, nil); err != nil {
				t.Fatal(err)
			}
			write := func(i int) error {
				rec := mapping.Record{"name": "W", "email": fmt.Sprintf("w%d@example.com", i)}
				res, err := c.Write(ctx, connector.Lead, rec, upsertBy("email"))
				if err == nil && res.Status != connector.Created {
					err = fmt.Errorf("row %d: %s", i, res.Status)
				}
				return err
			}
			for i := range 5 {
				if err := write(i); err != nil {
					t.Fatal(err)
				}
			}
			serverClock.Add(61 * time.Minute) // the token is past its end
			var wg sync.WaitGroup
			errs := make(chan error, 20)
			for i := 5; i < 25; i++ {
				wg.Go(func() { errs <- write(i) })
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Errorf("failed row: %v", err)
				}
			}
			if n := fake.TokenIssues(); n != 2 {
				t.Errorf("tokens issued = %d, want 2 (one renewal)", n)
			}
			if n := len(fake.Leads()); n != 25 {
				t.Errorf("leads = %d, want 25", n)
			}
		})
	}
}
