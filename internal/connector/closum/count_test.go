package closum

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/internal/sandbox"
)

// Count against the Closum v2 sandbox: the paginator's count must equal
// what List yields, for an empty account and one of several pages.
func TestSandboxCountMatchesList(t *testing.T) {
	s := startListSandbox(t)
	ctx := context.Background()
	for _, seed := range []int{0, 130} {
		s.seed(t, seed)
		for _, obj := range []connector.Object{connector.Lead, connector.Contact} {
			recs, err := listAll(s.c, obj, connector.Query{})
			if err != nil {
				t.Fatal(err)
			}
			n, err := s.c.Count(ctx, obj, connector.Query{})
			if err != nil || n != len(recs) {
				t.Errorf("%d seeded: Count(%s) = %d, %v; List yielded %d", seed, obj, n, err, len(recs))
			}
		}
	}
}

func TestSandboxCountUnknownOrFailed(t *testing.T) {
	s := startListSandbox(t)
	s.seed(t, 3)
	ctx := context.Background()
	// Since is filtered here, not by Closum: its count would be wrong.
	if n, err := s.c.Count(ctx, connector.Lead, connector.Query{Since: s.now()}); n != -1 || err != nil {
		t.Errorf("Count with Since = %d, %v; want -1, nil (unknown)", n, err)
	}
	if _, err := s.c.Count(ctx, "deal", connector.Query{}); err == nil {
		t.Error("an unknown object was counted")
	}
	s.fake.Gate().SetFaults(sandbox.Faults{Error5xx: 1})
	n, err := s.c.Count(ctx, connector.Lead, connector.Query{})
	if ce, ok := connector.AsError(err); !ok || ce.HTTPStatus != http.StatusServiceUnavailable || n != 0 {
		t.Errorf("Count on a failing API = %d, %v; want a 503 *Error", n, err)
	}
}

// An answer without a paginator says nothing of the total: unknown, not 0.
func TestCountWithoutPaginator(t *testing.T) {
	tests := []struct{ name, body string }{
		{"empty responseData", `{"status": true, "code": 200, "responseData": []}`},
		{"no paginator", `{"status": true, "code": 200, "responseData": {"leads": []}}`},
		{"paginator without count", `{"status": true, "code": 200, "responseData": {"leads": [], "paginator": {"page": 1}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(tt.body))
			}))
			t.Cleanup(srv.Close)
			n, err := newClient(t, srv.URL, nil).Count(context.Background(), connector.Lead, connector.Query{})
			if n != -1 || err != nil {
				t.Errorf("Count = %d, %v; want -1, nil", n, err)
			}
		})
	}
}
