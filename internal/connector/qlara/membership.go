package qlara

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/crmload/crmload/internal/connector"
)

// Flusher is the optional ability of a connector that buffers work across
// Writes and must send the rest when the run ends. The runner finds it by
// type assertion and calls Flush once, after the last Write has returned
// (also when the run stopped early, with a context that is still live).
// Flush is safe to call more than once; a later call sends nothing new.
//
// For Qlara the buffered work is contact-list membership: Write queues the
// id of every contact it wrote (created, updated or unchanged; each id once
// per run), and the Write whose id fills a batch sends it with POST
// /contacts/list/contacts before returning. Flush sends what is still queued.
//
// Which row gets a batch's failure: none of them. The row that happened to
// fill the batch is no more at fault than the other rows of it, and its
// contact was written: failing it would misreport it (the runner drops the
// Result of a failed Write, id included) and a retry of it in create mode
// would duplicate the contact. So a batch failure leaves every row with its
// write's outcome and is reported by Flush, as one *ListError naming every
// contact id left out of the list; a re-run in upsert mode adds them (the
// rows come back unchanged and are queued again). Two exceptions:
//
//   - a rejected key (Auth) is returned by the Write that sent the batch,
//     so the run stops at once;
//   - a retryable failure (429, 5xx, timeout) keeps its ids for Flush, which
//     sends them once more, and a 429's wait is passed to the runner in
//     that Write's Result.Wait. Adding to a list is idempotent, so a repeat
//     is harmless.
type Flusher interface {
	Flush(ctx context.Context) error
}

// ListError is the failure to add written contacts to the job's list.
type ListError struct {
	ListID     string
	ListName   string
	ContactIDs []string // every contact left out of the list
	Err        error    // the last call's error (a *connector.Error)
}

func (e *ListError) Error() string {
	ids := e.ContactIDs
	more := ""
	if len(ids) > 20 {
		more = fmt.Sprintf(" and %d more", len(ids)-20)
		ids = ids[:20]
	}
	return fmt.Sprintf("%d contacts were written but not added to list %q (id %s): %v; not in the list: ids %s%s",
		len(e.ContactIDs), e.ListName, e.ListID, e.Err, strings.Join(ids, ", "), more)
}

func (e *ListError) Unwrap() error { return e.Err }

// membership buffers the contact ids to add to the job's list.
type membership struct {
	listID, listName string
	size             int

	mu      sync.Mutex
	pending []string        // queued, not sent yet
	retry   []string        // sent, failed retryably: Flush sends them again
	failed  []string        // failed for good
	lastErr error           // why the last failed batch failed
	queued  map[string]bool // every id ever queued: a contact written twice is sent once
}

func newMembership(id, name string, size int) *membership {
	return &membership{listID: id, listName: name, size: size, queued: map[string]bool{}}
}

// add queues id and returns a full batch to send, if it filled one.
func (m *membership) add(id string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.queued[id] {
		return nil
	}
	m.queued[id] = true
	m.pending = append(m.pending, id)
	if len(m.pending) < m.size {
		return nil
	}
	batch := slices.Clone(m.pending[:m.size])
	m.pending = slices.Clone(m.pending[m.size:])
	return batch
}

// later keeps ids whose batch failed retryably (or was cancelled) for Flush.
func (m *membership) later(ids []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.retry = append(m.retry, ids...)
}

// fail records ids that will not be in the list.
func (m *membership) fail(ids []string, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failed = append(m.failed, ids...)
	m.lastErr = err
}

// take empties the queues: the ids to send and the failures so far.
func (m *membership) take() (send, failed []string, lastErr error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	send = append(m.retry, m.pending...)
	failed, lastErr = m.failed, m.lastErr
	m.retry, m.pending, m.failed, m.lastErr = nil, nil, nil, nil
	return send, failed, lastErr
}

// enlist queues the written contact for the list and sends a batch when it
// fills one. res comes back with the wait a 429 asked for; the error is
// only ever an Auth failure (see Flusher).
func (c *Connector) enlist(ctx context.Context, res connector.Result) (connector.Result, error) {
	m := c.members
	if m == nil || res.ID == "" {
		return res, nil
	}
	batch := m.add(res.ID)
	if batch == nil {
		return res, nil
	}
	err := c.sendBatch(ctx, batch)
	if err == nil {
		return res, nil
	}
	ce, ok := connector.AsError(err)
	switch {
	case ctx.Err() != nil || ok && ce.Retryable:
		m.later(batch)
		if ok {
			res.Wait = max(res.Wait, ce.RetryAfter)
		}
		return res, nil
	case ok && ce.Auth:
		m.fail(batch, err)
		return res, c.listError(batch, err)
	default:
		m.fail(batch, err)
		return res, nil
	}
}

// maxFlushWait caps the pause Flush takes when the server asks for one.
const maxFlushWait = 30 * time.Second

// Flush sends the contact ids still queued, in batches. A batch that fails
// retryably is sent once more, after the wait the server asked for (capped
// at 30s). It returns one *ListError naming every contact left out of the
// list during the whole run, or nil.
func (c *Connector) Flush(ctx context.Context) error {
	m := c.members
	if m == nil {
		return nil
	}
	ids, failed, lastErr := m.take()
	for len(ids) > 0 {
		n := min(m.size, len(ids))
		batch := ids[:n]
		err := c.sendBatch(ctx, batch)
		if ce, ok := connector.AsError(err); ok && ce.Retryable && ctx.Err() == nil {
			if wait := min(ce.RetryAfter, maxFlushWait); wait > 0 {
				t := time.NewTimer(wait)
				select {
				case <-ctx.Done():
				case <-t.C:
				}
				t.Stop()
			}
			err = c.sendBatch(ctx, batch)
		}
		if ctx.Err() != nil {
			m.later(ids)
			m.fail(failed, lastErr)
			return fmt.Errorf("qlara: add contacts to list %s: %w", m.listID, ctx.Err())
		}
		if err != nil {
			failed, lastErr = append(failed, batch...), err
		}
		ids = ids[n:]
	}
	if len(failed) == 0 {
		return nil
	}
	return c.listError(failed, lastErr)
}

func (c *Connector) listError(ids []string, err error) *ListError {
	return &ListError{ListID: c.members.listID, ListName: c.members.listName, ContactIDs: slices.Clone(ids), Err: err}
}

// sendBatch adds ids to the list in one POST /contacts/list/contacts.
func (c *Connector) sendBatch(ctx context.Context, ids []string) error {
	m := c.members
	body := association{ListIDs: []json.RawMessage{wireID(m.listID)}}
	for _, id := range ids {
		body.ContactIDs = append(body.ContactIDs, wireID(id))
	}
	op := fmt.Sprintf("add %d contacts to list %s", len(ids), m.listID)
	_, _, err := c.do(ctx, http.MethodPost, "/contacts/list/contacts", nil, body, op)
	return err
}
