package closumv1

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/internal/sandbox"
	"github.com/crmload/crmload/mapping"
)

// Listing against the Closum v1 sandbox: pages in id order, failures,
// Columns, Since.

// seedV1 creates n records of obj through the API, the clock moving a
// second after each, and returns their ids in creation order.
func seedV1(t *testing.T, c *Client, clk *clock, obj connector.Object, n int) []string {
	t.Helper()
	var ids []string
	for i := range n {
		res, err := c.Write(context.Background(), obj, mapping.Record{
			"name": fmt.Sprintf("Person %d", i), "email": fmt.Sprintf("p%d-%s@closum.com", i, obj),
		}, connector.WriteOptions{Mode: connector.Create})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.ID)
		clk.Add(time.Second)
	}
	return ids
}

func listV1(c *Client, obj connector.Object, q connector.Query) ([]mapping.Record, error) {
	var out []mapping.Record
	for rec, err := range c.List(context.Background(), obj, q) {
		if err != nil {
			return out, err
		}
		out = append(out, rec)
	}
	return out, nil
}

func recIDs(recs []mapping.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r[mapping.FieldID]
	}
	return out
}

func TestSandboxListInIDOrder(t *testing.T) {
	clk := newClock()
	fake, c := startSandbox(t, clk, clk)
	for _, tt := range []struct {
		obj connector.Object
		n   int
	}{{connector.Lead, 230}, {connector.Contact, 120}} {
		want := seedV1(t, c, clk, tt.obj, tt.n)
		recs, err := listV1(c, tt.obj, connector.Query{})
		if err != nil || !slices.Equal(recIDs(recs), want) {
			t.Fatalf("%s: listed %d (%v), want %d in id order, none lost or repeated", tt.obj, len(recs), err, tt.n)
		}
		cols, err := c.Columns(context.Background(), tt.obj)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if !slices.Equal(r.Keys(), slices.Sorted(slices.Values(cols))) {
				t.Fatalf("%s: record keys %v, columns %v", tt.obj, r.Keys(), cols)
			}
		}
		if cols[0] != "id" || cols[len(cols)-1] != "date_created" {
			t.Errorf("%s columns = %v", tt.obj, cols)
		}
	}

	// Since: the records created after it.
	since := clk.Now()
	seedV1(t, c, clk, connector.Lead, 4)
	recs, err := listV1(c, connector.Lead, connector.Query{Since: since})
	if err != nil || len(recs) != 4 {
		t.Errorf("since %v: %d leads, %v; want 4", since, len(recs), err)
	}

	// A page that fails, and a 429 with its wait.
	var n int
	var failed error
	for _, err := range c.List(context.Background(), connector.Lead, connector.Query{}) {
		if err != nil {
			failed = err
			continue
		}
		if n++; n == 100 {
			fake.Gate().SetFaults(sandbox.Faults{Error5xx: 1})
		}
	}
	if ce, ok := connector.AsError(failed); !ok || !ce.Retryable || ce.HTTPStatus != http.StatusServiceUnavailable || n != 100 {
		t.Fatalf("after %d leads: %v, want a retryable 503 after the first page", n, failed)
	}
	fake.Gate().SetFaults(sandbox.Faults{Error429: 1, Seed: 4})
	waits := 0
	for range 10 {
		_, err := listV1(c, connector.Contact, connector.Query{})
		ce, ok := connector.AsError(err)
		if !ok || ce.HTTPStatus != http.StatusTooManyRequests || !ce.Retryable {
			t.Fatalf("err = %v, want a retryable 429", err)
		}
		if ce.RetryAfter > 0 {
			waits++
		}
	}
	if waits == 0 {
		t.Error("no 429 during List carried a RetryAfter")
	}
}

// Columns and List work on a fresh connector, without Prepare.
func TestSandboxListWithoutPrepare(t *testing.T) {
	clk := newClock()
	_, c := startSandbox(t, clk, clk)
	seedV1(t, c, clk, connector.Lead, 3)
	fresh, err := New(connector.Config{BaseURL: c.base, Username: testUser, Password: testPW})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := listV1(fresh.(*Client), connector.Lead, connector.Query{})
	if err != nil || len(recs) != 3 || recs[0]["city"] != "" {
		t.Errorf("fresh List: %v, %v", recs, err)
	}
}
