package qlara_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/internal/connector/qlara"
	"github.com/crmload/crmload/internal/sandbox"
	qsandbox "github.com/crmload/crmload/internal/sandbox/qlara"
	"github.com/crmload/crmload/mapping"
)

// startSandbox serves the official Qlara sandbox on 127.0.0.1.
func startSandbox(t *testing.T) (*qsandbox.Fake, string) {
	t.Helper()
	f := qsandbox.New(sandbox.Options{})
	srv, err := sandbox.Start(f, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Close()
		f.Close()
	})
	return f, srv.URL + f.BasePath()
}

// run is one import run: a fresh connector, Prepare, the rows written by
// 8 workers, Flush. It returns how many rows ended in each status.
func run(t *testing.T, base string, recs []mapping.Record) map[connector.Status]int {
	t.Helper()
	ctx := context.Background()
	conn, err := qlara.New(connector.Config{BaseURL: base, APIKey: sandbox.DefaultKey,
		Options: map[string]string{"list": "crmload import", "create_list": "true"}})
	if err != nil {
		t.Fatal(err)
	}
	fields := []string{"email", "name", "first_name", "phone", "tags", "customField1"}
	if err := conn.CheckWrite(connector.Contact, connector.Upsert, []string{"email"}, fields); err != nil {
		t.Fatal(err)
	}
	if err := conn.Prepare(ctx, connector.Contact, fields); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	counts := map[connector.Status]int{}
	rows := make(chan mapping.Record)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for rec := range rows {
				res, err := conn.Write(ctx, connector.Contact, rec, connector.WriteOptions{Mode: connector.Upsert, Match: []string{"email"}})
				if err != nil {
					t.Errorf("Write %s: %v", rec["email"], err)
					continue
				}
				mu.Lock()
				counts[res.Status]++
				mu.Unlock()
			}
		}()
	}
	for _, rec := range recs {
		rows <- rec
	}
	close(rows)
	wg.Wait()
	if err := conn.(qlara.Flusher).Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	return counts
}

func TestAgainstSandbox(t *testing.T) {
	f, base := startSandbox(t)
	const n = 150
	var recs []mapping.Record
	for i := range n {
		recs = append(recs, mapping.Record{
			"email": fmt.Sprintf("person%03d@example.com", i), "name": fmt.Sprintf("Person %d", i),
			"first_name": "Person", "phone": fmt.Sprintf("+39333100%04d", i), "tags": "import, 2026", "customField1": "batch-a",
		})
	}

	if got := run(t, base, recs); got[connector.Created] != n {
		t.Fatalf("first run: %v, want %d created", got, n)
	}
	lists := f.Lists()
	if len(lists) != 1 || lists[0].Name != "crmload import" {
		t.Fatalf("lists = %+v, want the one created", lists)
	}
	if got := len(f.ListMembers(lists[0].ID)); got != n {
		t.Fatalf("%d contacts in the list, want %d", got, n)
	}
	if got := f.ListAddCalls(); got != 2 {
		t.Fatalf("%d add-to-list calls, want 2 (100 + 50)", got)
	}

	// Upsert again: nothing changes, no duplicates, no second list.
	if got := run(t, base, recs); got[connector.Unchanged] != n {
		t.Fatalf("second run: %v, want %d unchanged", got, n)
	}
	if got := len(f.Contacts()); got != n {
		t.Fatalf("%d contacts after a second run, want %d", got, n)
	}
	if got := len(f.Lists()); got != 1 {
		t.Fatalf("%d lists after a second run, want 1", got)
	}

	// A partial change updates only those rows.
	for i := range 10 {
		recs[i]["first_name"] = "Changed"
	}
	if got := run(t, base, recs); got[connector.Updated] != 10 || got[connector.Unchanged] != n-10 {
		t.Fatalf("third run: %v, want 10 updated and %d unchanged", got, n-10)
	}
	c := f.Contacts()[0]
	if c.FirstName == nil || *c.FirstName != "Changed" || len(c.PhoneNumbers) != 1 || len(c.Tags) != 2 {
		t.Fatalf("updated contact = %+v, want first name changed and nothing duplicated", c.ContactFields)
	}

	// The export sees them all.
	conn, _ := qlara.New(connector.Config{BaseURL: base, APIKey: sandbox.DefaultKey})
	listed := 0
	for rec, err := range conn.(connector.Lister).List(context.Background(), connector.Contact, connector.Query{}) {
		if err != nil {
			t.Fatal(err)
		}
		if rec["email"] == "" || rec["phone"] == "" || rec["tags"] != "import, 2026" {
			t.Fatalf("listed %v", rec)
		}
		listed++
	}
	if listed != n {
		t.Fatalf("listed %d, want %d", listed, n)
	}
}

func TestSandboxRateLimitAndConflict(t *testing.T) {
	f, base := startSandbox(t)
	ctx := context.Background()
	conn, err := qlara.New(connector.Config{BaseURL: base, APIKey: sandbox.DefaultKey})
	if err != nil {
		t.Fatal(err)
	}
	// Phones are unique in a Qlara account: a second contact with the same
	// number is a 409, failed for this row only.
	opt := connector.WriteOptions{Mode: connector.Create}
	if _, err := conn.Write(ctx, connector.Contact, mapping.Record{"phone": "+393331234567"}, opt); err != nil {
		t.Fatal(err)
	}
	_, err = conn.Write(ctx, connector.Contact, mapping.Record{"phone": "+393331234567", "email": "b@example.com"}, opt)
	if ce, ok := connector.AsError(err); !ok || ce.HTTPStatus != 409 || ce.Retryable || ce.Message == "" {
		t.Fatalf("duplicate phone: %v, want a non-retryable 409 with the API's message", err)
	}

	// The sandbox answers 429 with X-Rate-Limit-Retry-After-Seconds, or
	// (one time in ten) bare: keep calling until a full one comes.
	f.Gate().SetFaults(sandbox.Faults{RatePerSecond: 0.5, Burst: 1})
	var limited *connector.Error
	for i := range 20 {
		_, err := conn.Write(ctx, connector.Contact, mapping.Record{"email": fmt.Sprintf("r%d@example.com", i)}, opt)
		ce, ok := connector.AsError(err)
		if !ok || ce.HTTPStatus != 429 {
			continue
		}
		if !ce.Retryable {
			t.Fatalf("429 not retryable: %v", ce)
		}
		if ce.RetryAfter > 0 {
			limited = ce
			break
		}
	}
	if limited == nil || limited.RetryAfter < time.Second {
		t.Fatalf("rate limited: %+v, want a retryable 429 with the sandbox's wait", limited)
	}
}
