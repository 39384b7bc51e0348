package closumv1

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/crmload/crmload/internal/connector"
)

var _ connector.Counter = (*Client)(nil)

// Count returns how many records List yields for obj, from the pagination
// block's count (documented on both lists) of one page of a single record
// of the list List pages through. With q.Since it returns -1, unknown:
// Closum v1 has no date filter, List applies Since itself, so the API's
// count is not what List yields. Like List, it gets a token when it has
// none.
func (c *Client) Count(ctx context.Context, obj connector.Object, q connector.Query) (int, error) {
	path, ok := resource(obj)
	if !ok {
		return 0, fmt.Errorf("closum-v1: unknown object %q (want lead or contact)", obj)
	}
	if !q.Since.IsZero() {
		return -1, nil
	}
	params := url.Values{"limit": {"1"}, "page": {"1"}}
	env, err := c.call(ctx, nil, "count "+noun(obj)+"s", http.MethodGet, path, params, nil)
	if err != nil {
		return 0, err
	}
	if env.Pagination == nil || env.Pagination.Count == nil || *env.Pagination.Count < 0 {
		return -1, nil // no count in the answer: unknown rather than zero
	}
	return int(*env.Pagination.Count), nil
}
