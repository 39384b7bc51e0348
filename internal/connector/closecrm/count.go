package closecrm

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/crmload/crmload/internal/connector"
)

var _ connector.Counter = (*Client)(nil)

// Count returns how many records List yields for obj and q, from one call.
//
// Leads: the total_results of the lead search List pages through (the same
// query, with _limit=1 and _fields=id so the answer stays small). List's
// own check of Since drops nothing the search kept (both compare to the
// same second), and the asynchronous export (q.Async) takes the same
// query, so the total holds for both. Contacts: -1, unknown: they are
// listed through their leads and the doc gives no contact total.
func (c *Client) Count(ctx context.Context, obj connector.Object, q connector.Query) (int, error) {
	switch obj {
	case connector.Lead:
	case connector.Contact:
		return -1, nil
	default:
		return 0, fmt.Errorf("close: unknown object %q (use lead or contact)", obj)
	}
	var since time.Time
	if !q.Since.IsZero() {
		since = q.Since.UTC().Truncate(time.Second) // as List asks
	}
	params := url.Values{"_fields": {"id"}, "_limit": {"1"}, "query": {leadSearch(obj, since)}}
	var p struct {
		TotalResults *int `json:"total_results"`
	}
	if err := c.call(ctx, nil, "count leads", http.MethodGet, "/lead/", params, nil, &p); err != nil {
		return 0, err
	}
	if p.TotalResults == nil || *p.TotalResults < 0 {
		return -1, nil // not in the answer: unknown rather than zero
	}
	return *p.TotalResults, nil
}

// leadSearch is the lead-search query of a listing of obj: in creation
// order, and for leads updated at or after since (already truncated to
// the second) when it is set. Contacts get no date clause, since a
// contact's change need not touch its lead.
func leadSearch(obj connector.Object, since time.Time) string {
	if since.IsZero() || obj != connector.Lead {
		return "sort:created"
	}
	return "updated >= " + quote(since.Format(time.DateTime)) + " sort:created"
}
