package closumv1

import (
	"context"
	"net/http"
	"testing"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/internal/sandbox"
)

// Count against the Closum v1 sandbox: the pagination count must equal
// what List yields, for empty lists and lists of several pages.
func TestSandboxCountMatchesList(t *testing.T) {
	clk := newClock()
	fake, c := startSandbox(t, clk, clk)
	ctx := context.Background()
	objs := []connector.Object{connector.Lead, connector.Contact}
	for _, seed := range []map[connector.Object]int{{}, {connector.Lead: 130, connector.Contact: 45}} {
		for _, obj := range objs {
			seedV1(t, c, clk, obj, seed[obj])
		}
		for _, obj := range objs {
			recs, err := listV1(c, obj, connector.Query{})
			if err != nil {
				t.Fatal(err)
			}
			n, err := c.Count(ctx, obj, connector.Query{})
			if err != nil || n != len(recs) {
				t.Errorf("%v seeded: Count(%s) = %d, %v; List yielded %d", seed, obj, n, err, len(recs))
			}
		}
	}

	// Since is filtered here, not by Closum: its count would be wrong.
	if n, err := c.Count(ctx, connector.Lead, connector.Query{Since: clk.Now()}); n != -1 || err != nil {
		t.Errorf("Count with Since = %d, %v; want -1, nil (unknown)", n, err)
	}
	if _, err := c.Count(ctx, "deal", connector.Query{}); err == nil {
		t.Error("an unknown object was counted")
	}
	fake.Gate().SetFaults(sandbox.Faults{Error5xx: 1})
	n, err := c.Count(ctx, connector.Lead, connector.Query{})
	if ce, ok := connector.AsError(err); !ok || ce.HTTPStatus != http.StatusServiceUnavailable || n != 0 {
		t.Errorf("Count on a failing API = %d, %v; want a 503 *Error", n, err)
	}
}

// An answer whose pagination has no count says nothing of the total:
// unknown, not 0.
func TestCountWithoutPaginationCount(t *testing.T) {
	tests := []struct{ name, body string }{
		{"no pagination", `{"success": true, "data": []}`},
		{"pagination without count", `{"success": true, "data": [], "pagination": {"page_count": 1, "current_page": 1, "has_next_page": false}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			c := f.client(t, nil)
			f.queue(canned{method: http.MethodGet, prefix: "/api/lead", status: http.StatusOK, body: tt.body})
			n, err := c.Count(context.Background(), connector.Lead, connector.Query{})
			if n != -1 || err != nil {
				t.Errorf("Count = %d, %v; want -1, nil", n, err)
			}
		})
	}
}
