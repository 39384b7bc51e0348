package closum

import (
	"context"
	"strconv"
	"testing"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/internal/sandbox"
	closumsb "github.com/crmload/crmload/internal/sandbox/closum"
	"github.com/crmload/crmload/mapping"
)

// TestAgainstSandbox runs the connector against the official Closum fake
// (internal/sandbox/closum), which was written from the docs separately.
func TestAgainstSandbox(t *testing.T) {
	fake := closumsb.New(sandbox.Options{APIKey: testKey})
	srv, err := sandbox.Start(fake, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close(); _ = fake.Close() })
	base := srv.URL + fake.BasePath()
	c := newClient(t, base, nil)
	ctx := context.Background()

	fields := []string{"first_name", "last_name", "email", "phone", "consent_email", "tags", "lifecycle_stage", "custom.lead source"}
	for _, mode := range []connector.Mode{connector.Create, connector.Upsert} {
		if err := c.CheckWrite(connector.Lead, mode, []string{"email"}, fields); err != nil {
			t.Fatalf("CheckWrite %s: %v", mode, err)
		}
	}
	if err := c.Prepare(ctx, connector.Lead, fields); err != nil {
		t.Fatalf("Prepare: %v", err)
	}

	t.Run("create with custom field", func(t *testing.T) {
		rec := mapping.Record{"first_name": "Ana", "last_name": "Silva", "email": "ana@example.com", "phone": "+351910000001",
			"consent_email": "yes", "tags": "vip", "lifecycle_stage": "2", "custom.lead source": "Fair"}
		res, err := c.Write(ctx, connector.Lead, rec, connector.WriteOptions{Mode: connector.Create, Match: []string{"email"}})
		if err != nil || res.Status != connector.Created {
			t.Fatalf("Write = %+v, %v", res, err)
		}
		id, _ := strconv.Atoi(res.ID)
		l, ok := fake.Lead(id)
		if !ok || l.Name != "Ana Silva" || !l.ConsentEmail || l.ConsentSMS || l.Stage != 2 || l.CustomFields["lead_source"] != "Fair" {
			t.Errorf("stored lead = %+v, %v", l, ok)
		}
		_, err = c.Write(ctx, connector.Lead, rec, connector.WriteOptions{Mode: connector.Create})
		if ce, ok := connector.AsError(err); !ok || ce.Retryable || ce.Auth {
			t.Errorf("second create = %v, want a non-retryable duplicate error", err)
		}
	})

	t.Run("upsert twice", func(t *testing.T) {
		opt := connector.WriteOptions{Mode: connector.Upsert, Match: []string{"email"}}
		before := len(fake.Leads())
		first, err := c.Write(ctx, connector.Lead, mapping.Record{"first_name": "Rui", "email": "rui@example.com"}, opt)
		if err != nil {
			t.Fatal(err)
		}
		second, err := c.Write(ctx, connector.Lead, mapping.Record{"first_name": "Rui", "last_name": "Costa", "email": "rui@example.com"}, opt)
		if err != nil {
			t.Fatal(err)
		}
		if len(fake.Leads()) != before+1 || first.ID != second.ID {
			t.Errorf("leads %d → %d, ids %s/%s: the second upsert duplicated", before, len(fake.Leads()), first.ID, second.ID)
		}
		if l, _ := fake.LeadByEmail("rui@example.com"); l.Name != "Rui Costa" {
			t.Errorf("name = %q, want the upsert applied", l.Name)
		}
	})

	t.Run("update by email", func(t *testing.T) {
		res, err := c.Write(ctx, connector.Lead, mapping.Record{"email": "ANA@example.com", "first_name": "Ana", "last_name": "Sousa", "lifecycle_stage": "5"},
			connector.WriteOptions{Mode: connector.Update, Match: []string{"email"}})
		if err != nil || res.Status != connector.Updated {
			t.Fatalf("Write = %+v, %v", res, err)
		}
		if l, _ := fake.LeadByEmail("ana@example.com"); l.Name != "Ana Sousa" || l.Stage != 5 {
			t.Errorf("stored lead = %+v", l)
		}
	})

	t.Run("email change refused", func(t *testing.T) {
		_, err := c.Write(ctx, connector.Lead, mapping.Record{"phone": "+351910000001", "email": "other@example.com"},
			connector.WriteOptions{Mode: connector.Update, Match: []string{"phone"}})
		if err == nil {
			t.Fatal("an email change was accepted")
		}
		if _, ok := fake.LeadByEmail("ana@example.com"); !ok {
			t.Error("the lead lost its email")
		}
	})

	// Contact upsert looks contacts up with contact/view/{email}?finder=email
	// (the collection's Contact View lists the finder parameter); the
	// sandbox resolves ids only, so only create and update by id run here.
	t.Run("contact create then update by id", func(t *testing.T) {
		a, err := c.Write(ctx, connector.Contact, mapping.Record{"name": "Zé", "email": "ze@example.com", "consent_sms": "1"},
			connector.WriteOptions{Mode: connector.Create})
		if err != nil || a.Status != connector.Created || a.ID == "" {
			t.Fatalf("create = %+v, %v", a, err)
		}
		b, err := c.Write(ctx, connector.Contact, mapping.Record{"id": a.ID, "name": "Zé Maria"},
			connector.WriteOptions{Mode: connector.Update, Match: []string{"id"}})
		if err != nil || b.Status != connector.Updated || b.ID != a.ID {
			t.Fatalf("update = %+v, %v; want updated %s", b, err, a.ID)
		}
		for _, ct := range fake.Contacts() {
			if ct.ID == a.ID && (ct.Name != "Zé Maria" || !ct.ConsentSMS || ct.ConsentEmail) {
				t.Errorf("stored contact = %+v", ct)
			}
		}
	})

	t.Run("list", func(t *testing.T) {
		small := newClient(t, base, map[string]string{"page_size": "1"})
		var emails []string
		for rec, err := range small.List(ctx, connector.Lead, connector.Query{}) {
			if err != nil {
				t.Fatal(err)
			}
			emails = append(emails, rec["email"])
		}
		if len(emails) != len(fake.Leads()) || len(emails) < 2 {
			t.Errorf("listed %v, want all %d leads", emails, len(fake.Leads()))
		}
	})

	t.Run("invalid key is auth", func(t *testing.T) {
		bad, err := New(connector.Config{BaseURL: base, APIKey: "wrong-key"})
		if err != nil {
			t.Fatal(err)
		}
		err = bad.Prepare(ctx, connector.Lead, fields)
		if ce, ok := connector.AsError(err); !ok || !ce.Auth || ce.HTTPStatus != 200 {
			t.Errorf("Prepare = %v, want an Auth error from HTTP 200 status false", err)
		}
	})
}
