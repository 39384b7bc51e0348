package jobs

import (
	"context"
	"errors"
	"io"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/internal/tabular"
)

// ListRows is a CRM source seen as Rows, so that a CRM → CRM job runs
// through Execute like an import: the same mapping, pool, pacer and
// report. Its header is the source connector's columns; row n (from 1) is
// the n-th record in list order, its values the record's fields in column
// order. The report therefore keeps each source record's id and values,
// and a failed row can be retried from it.
//
// Rows are numbered as listed, so resuming a CRM → CRM run by row number
// is right only if the source did not change in between.
type ListRows struct {
	ctx context.Context
	src *crmSource
	n   int
}

// OpenList opens the job's CRM source (starting its embedded sandbox when
// base_url says so) and learns its columns. Close stops it. Cancelling ctx
// ends the listing.
func OpenList(ctx context.Context, j *Job, sys Systems, opt ExecOptions) (*ListRows, error) {
	src, err := openCRMSource(ctx, j, sys, opt.SandboxDir, opt.ReportPath, opt.backoff)
	if err != nil {
		return nil, err
	}
	return &ListRows{ctx: ctx, src: src}, nil
}

// Header returns the source's columns.
func (r *ListRows) Header() []string { return r.src.columns }

// Next returns the next record as a row, io.EOF after the last one (or
// once ctx is cancelled), or the error that ended the listing (after the
// retries of retryTransport).
func (r *ListRows) Next() (tabular.Row, error) {
	rec, ok, err := r.src.next(r.ctx)
	if err != nil && r.ctx.Err() != nil {
		// Interrupted: the rows read so far are the run (reported
		// cancelled, not aborted); the listing is not complete, so
		// since: last_run keeps its state.
		return tabular.Row{}, io.EOF
	}
	if err != nil {
		var ab *AbortError
		if errors.As(err, &ab) {
			err = ab.Err // the runner reports it as an abort already
		}
		return tabular.Row{}, err
	}
	if !ok {
		return tabular.Row{}, io.EOF
	}
	r.n++
	values := append([]string(nil), r.src.valuesOf(rec)...)
	return tabular.Row{Num: r.n, Values: values}, nil
}

// Close ends the listing and stops the source's sandbox.
func (r *ListRows) Close() error { return r.src.Close() }

// finishListRun records a CRM → CRM run for since: last_run, when it read
// the whole listing and every row succeeded: a run with failed rows leaves
// the state as it was, so the next run lists those records again.
func finishListRun(j *Job, src Rows, res *Result) error {
	lr, ok := src.(*ListRows)
	if !ok || !lr.src.done || res.Cancelled || res.Aborted != nil || res.Summary.Counts[connector.Failed] > 0 {
		return nil
	}
	return lr.src.saveState()
}
