package closecrm

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/internal/sandbox"
	sbclose "github.com/crmload/crmload/internal/sandbox/closecrm"
	"github.com/crmload/crmload/mapping"
)

// Count against the Close sandbox: it must equal what List yields for the
// same query, whether List pages (past the _skip cap too) or exports.
func TestCountMatchesList(t *testing.T) {
	e := startListing(t, nil)
	e.seed(t, 130, time.Second)
	mid := e.now().Add(-60*time.Second + 300*time.Millisecond) // inside a second: List truncates
	e.tick(time.Minute)
	// An old lead changed after mid: Since counts it by its update date.
	ctx := context.Background()
	if err := e.c.Prepare(ctx, connector.Lead, []string{mapping.FieldEmail, mapping.FieldDescription}); err != nil {
		t.Fatal(err)
	}
	upd := mapping.Record{mapping.FieldEmail: "p0003@example.com", mapping.FieldDescription: "changed"}
	if res, err := e.c.Write(ctx, connector.Lead, upd, connector.WriteOptions{Mode: connector.Update, Match: []string{mapping.FieldEmail}}); err != nil || res.Status != connector.Updated {
		t.Fatalf("update: %+v, %v", res, err)
	}

	tests := []struct {
		name    string
		q       connector.Query
		maxSkip int
	}{
		{"every lead", connector.Query{}, 0},
		{"every lead, past the skip cap", connector.Query{}, 50},
		{"since, paged", connector.Query{Since: mid}, 0},
		{"since, past the skip cap", connector.Query{Since: mid}, 20},
		{"since, exported", connector.Query{Since: mid, Async: true}, 0},
		{"every lead, exported", connector.Query{Async: true}, 0},
		{"since after everything", connector.Query{Since: e.now().Add(time.Hour)}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			limit := sbclose.DefaultMaxSkip
			if tt.maxSkip > 0 {
				limit = tt.maxSkip
			}
			e.fake.SetMaxSkip(limit)
			recs, err := list(e.c, connector.Lead, tt.q)
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			n, err := e.c.Count(ctx, connector.Lead, tt.q)
			if err != nil || n != len(recs) {
				t.Fatalf("Count = %d, %v; List yielded %d", n, err, len(recs))
			}
		})
	}
	qs := e.queries()
	last := qs[len(qs)-1]
	if last.Get("_limit") != "1" || last.Get("_fields") != "id" {
		t.Errorf("count query %v: want _limit=1 and _fields=id", last)
	}
}

func TestCountUnknownOrFailed(t *testing.T) {
	e := startListing(t, nil)
	e.seed(t, 5, time.Second)
	ctx := context.Background()

	// Contacts have no documented total: unknown, and no call is made.
	before := len(e.queries())
	if n, err := e.c.Count(ctx, connector.Contact, connector.Query{}); n != -1 || err != nil {
		t.Errorf("contacts: Count = %d, %v; want -1, nil", n, err)
	}
	if len(e.queries()) != before {
		t.Error("counting contacts called the lead list")
	}
	if _, err := e.c.Count(ctx, "deal", connector.Query{}); err == nil {
		t.Error("an unknown object was counted")
	}

	// A failed call is an error, told apart from unknown.
	e.fake.SetFaults(sandbox.Faults{Error5xx: 1})
	n, err := e.c.Count(ctx, connector.Lead, connector.Query{})
	ce, ok := connector.AsError(err)
	if !ok || ce.HTTPStatus != http.StatusServiceUnavailable || n != 0 {
		t.Errorf("Count on a failing API = %d, %v; want a 503 *Error", n, err)
	}
}
