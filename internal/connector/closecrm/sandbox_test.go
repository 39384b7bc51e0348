package closecrm

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/internal/sandbox"
	sbclose "github.com/crmload/crmload/internal/sandbox/closecrm"
	"github.com/crmload/crmload/mapping"
)

// Integration tests: the connector against the official Close sandbox,
// which is built from the docs independently of this package.

func startSandbox(t *testing.T) (*sbclose.Fake, connector.Connector) {
	t.Helper()
	fake := sbclose.New(sandbox.Options{})
	t.Cleanup(func() { _ = fake.Close() })
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	c, err := New(connector.Config{BaseURL: srv.URL + fake.BasePath(), APIKey: sandbox.DefaultKey, HTTP: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	return fake, c
}

func TestSandboxLeadLifecycle(t *testing.T) {
	fake, c := startSandbox(t)
	ctx := context.Background()
	rec := mapping.Record{
		"company": "Bluth Company", "first_name": "Gob", "last_name": "Bluth", "email": "Gob@Example.com",
		"phone": "(800) 444-5555", "title": "Sr. Vice President", "url": "http://bluth.example/",
		"status": "Potential", "address": "747 Howard St", "city": "San Francisco", "zip": "94103", "country": "US",
		"custom.lead source": "Website", "custom.Industry": "IT, Cars", "description": "",
	}
	if err := c.Prepare(ctx, connector.Lead, rec.Keys()); err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	opt := connector.WriteOptions{Mode: connector.Upsert, Match: []string{"email"}}
	first, err := c.Write(ctx, connector.Lead, rec, opt)
	if err != nil || first.Status != connector.Created {
		t.Fatalf("first upsert = %+v, %v", first, err)
	}
	second, err := c.Write(ctx, connector.Lead, rec, opt)
	if err != nil || second.Status != connector.Unchanged || second.ID != first.ID {
		t.Fatalf("second upsert = %+v, %v; want unchanged %s", second, err, first.ID)
	}

	lead, ok := fake.Lead(first.ID)
	if !ok {
		t.Fatalf("lead %s not in the sandbox", first.ID)
	}
	srcID, _ := fake.CustomFieldID("lead", "Lead Source")
	if lead.Name != "Bluth Company" || lead.Custom[srcID] != "Website" || len(lead.Contacts) != 1 ||
		lead.Contacts[0].Phones[0].Phone != "+18004445555" {
		t.Errorf("stored lead = %+v", lead)
	}

	// Update by phone: only the title and the custom field change.
	upd := mapping.Record{"phone": "+1 800 444 5555", "title": "Magician", "custom.Lead Source": "Referral"}
	if err := c.Prepare(ctx, connector.Lead, upd.Keys()); err != nil {
		t.Fatal(err)
	}
	res, err := c.Write(ctx, connector.Lead, upd, connector.WriteOptions{Mode: connector.Update, Match: []string{"phone"}})
	if err != nil || res.Status != connector.Updated || res.ID != first.ID {
		t.Fatalf("update = %+v, %v", res, err)
	}
	lead, _ = fake.Lead(first.ID)
	if lead.Contacts[0].Title != "Magician" || lead.Custom[srcID] != "Referral" || lead.Name != "Bluth Company" ||
		len(lead.Addresses) != 1 || lead.Addresses[0].City != "San Francisco" {
		t.Errorf("after update = %+v", lead)
	}

	// The export sees it with custom fields by their human names.
	var got []mapping.Record
	for r, err := range c.(connector.Lister).List(ctx, connector.Lead, connector.Query{}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	if len(got) != 1 || got[0]["custom.Lead Source"] != "Referral" || got[0]["custom.Industry"] != "IT, Cars" ||
		got[0]["email"] != "Gob@Example.com" || got[0]["id"] != first.ID {
		t.Errorf("listed = %v", got)
	}
}

func TestSandboxContactUpsert(t *testing.T) {
	fake, c := startSandbox(t)
	ctx := context.Background()
	ann := mapping.Record{"company": "Acme", "name": "Ann Lee", "email": "ann@acme.test", "custom.Role": "CEO"}
	bob := mapping.Record{"company": "acme", "name": "Bob Ray", "email": "bob@acme.test", "custom.Role": "Sales Rep"}
	if err := c.Prepare(ctx, connector.Contact, ann.Keys()); err != nil {
		t.Fatal(err)
	}
	opt := connector.WriteOptions{Mode: connector.Upsert, Match: []string{"email"}}
	for i, want := range []connector.Status{connector.Created, connector.Unchanged} {
		for _, rec := range []mapping.Record{ann, bob} {
			res, err := c.Write(ctx, connector.Contact, rec, opt)
			if err != nil || res.Status != want {
				t.Fatalf("run %d, %s: %+v, %v; want %s", i+1, rec["email"], res, err, want)
			}
		}
	}
	leads := fake.Leads()
	if len(leads) != 1 || len(leads[0].Contacts) != 2 || leads[0].Name != "Acme" {
		t.Fatalf("leads = %+v, want one lead Acme with both contacts", leads)
	}
	roleID, _ := fake.CustomFieldID("contact", "Role")
	if leads[0].Contacts[1].Custom[roleID] != "Sales Rep" {
		t.Errorf("Bob's role = %v", leads[0].Contacts[1].Custom)
	}

	var got []string
	for r, err := range c.(connector.Lister).List(ctx, connector.Contact, connector.Query{}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, r["company"]+"/"+r["name"]+"/"+r["custom.Role"]+"/"+r["lead_id"])
	}
	want := "Acme/Ann Lee/CEO/" + leads[0].ID + " Acme/Bob Ray/Sales Rep/" + leads[0].ID
	if strings.Join(got, " ") != want {
		t.Errorf("listed contacts = %q, want %q", got, want)
	}
}

func TestSandboxPrepareErrors(t *testing.T) {
	_, c := startSandbox(t)
	err := c.Prepare(context.Background(), connector.Lead, []string{"custom.Budget", "custom.industry"})
	if err == nil || !strings.Contains(err.Error(), `"Budget"`) || !strings.Contains(err.Error(), `"Industry", "Lead Source"`) {
		t.Errorf("err = %v, want Budget named and the available fields listed", err)
	}
	bad, _ := New(connector.Config{BaseURL: c.(*Client).base, APIKey: "wrong-5ecr3t"})
	err = bad.Prepare(context.Background(), connector.Lead, nil)
	ce, ok := connector.AsError(err)
	if !ok || !ce.Auth || strings.Contains(err.Error(), "wrong-5ecr3t") {
		t.Errorf("err = %v, want an Auth error without the key", err)
	}
}

func TestSandboxRateLimited(t *testing.T) {
	fake, c := startSandbox(t)
	fake.SetFaults(sandbox.Faults{Error429: 1, Seed: 7})
	withWait := 0
	for range 20 {
		_, err := c.Write(context.Background(), connector.Lead, mapping.Record{"company": "Acme"},
			connector.WriteOptions{Mode: connector.Create})
		ce, ok := connector.AsError(err)
		if !ok || ce.HTTPStatus != 429 || !ce.Retryable {
			t.Fatalf("err = %v, want a retryable 429", err)
		}
		if ce.RetryAfter > 0 {
			withWait++
		}
	}
	// Most 429s carry rate_reset and headers; bare ones (no body, no headers) carry nothing.
	if withWait == 0 {
		t.Errorf("no 429 gave a wait")
	}
	if n := len(fake.Leads()); n != 0 {
		t.Errorf("%d leads created through 429s", n)
	}
}
