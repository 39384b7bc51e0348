package closum

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/crmload/crmload/internal/connector"
)

var _ connector.Counter = (*Client)(nil)

// Count returns how many records List yields for obj, from the paginator's
// count of one page of a single record (limit=1, page=1) of the list List
// pages through. With q.Since it returns -1, unknown: Closum has no date
// filter, List applies Since itself, so the API's count is not what List
// yields.
func (c *Client) Count(ctx context.Context, obj connector.Object, q connector.Query) (int, error) {
	var path string
	switch obj {
	case connector.Lead:
		path = "lead/"
	case connector.Contact:
		path = "contact/list"
	default:
		return 0, fmt.Errorf("closum: unknown object %q (want lead or contact)", obj)
	}
	if !q.Since.IsZero() {
		return -1, nil
	}
	op := "count " + string(obj) + "s"
	resp, env, err := c.call(ctx, http.MethodGet, path, url.Values{"limit": {"1"}, "page": {"1"}}, nil, op)
	if err != nil {
		return 0, err
	}
	var data struct {
		Paginator *struct {
			Count *flexInt `json:"count"`
		} `json:"paginator"`
	}
	if err := decodeData(env, &data); err != nil {
		return 0, &connector.Error{Op: op, HTTPStatus: resp.StatusCode, Message: c.red.String(err.Error())}
	}
	if data.Paginator == nil || data.Paginator.Count == nil || *data.Paginator.Count < 0 {
		return -1, nil // no paginator (an empty answer): unknown rather than zero
	}
	return int(*data.Paginator.Count), nil
}
