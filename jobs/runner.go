package jobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/internal/report"
	"github.com/crmload/crmload/internal/tabular"
	"github.com/crmload/crmload/mapping"
)

// Rows yields the rows of a run; a tabular.Reader satisfies it.
type Rows interface {
	Header() []string
	Next() (tabular.Row, error)
	Close() error
}

// Progress is told about every finished row; nil for none.
type Progress interface {
	Add(n int)
}

// rateLimitAttempts bounds the attempts of one row that keeps getting 429s.
// They do not spend run.retries (a 429 is the server pacing us, not a
// failure), but a row must end some day.
const rateLimitAttempts = 60

// Runner runs one job. Fill the fields, then call Run once.
type Runner struct {
	Job      *Job
	Conn     connector.Connector
	Mapper   *mapping.Mapper
	Source   Rows
	Report   *report.Writer
	Progress Progress

	// Done holds rows an earlier run already finished (resume): they are
	// read but neither sent nor written again.
	Done *report.RowSet
	// Verify makes every create look its record up first: set for resume
	// and retry, whose rows may have reached the server before.
	Verify bool
	// DryRun maps every row but sends none: each mapped row is reported
	// skipped ("dry run"), each unmappable one failed.
	DryRun bool
	// Aborted, when set before Run, reports every row skipped with it as
	// the reason: the run could not start (credentials rejected, target
	// unreachable) but the report must still account for every row.
	Aborted error

	// Calls is the context of calls in flight: cancelling the ctx given to
	// Run stops taking rows but lets calls finish; cancelling Calls cuts
	// them short. Nil means calls are never cut.
	Calls context.Context

	backoff time.Duration // first retry's mean wait; 250ms when zero
	slots   []*keySlot    // one pacer per API key; one slot when built by tests
	stats   *callStats
	keys    connector.KeyLocks
	match   []string // the job's match key, or the create mode's implicit one
}

// Outcome is what a run did.
type Outcome struct {
	Summary report.Summary
	Elapsed time.Duration
	// Aborted is why the run stopped early (auth rejected, target
	// unreachable, source unreadable, report unwritable); nil when it ran
	// to the end or was cancelled.
	Aborted error
	// Cancelled is set when the run was interrupted (Ctrl-C).
	Cancelled bool
	// Requests counts the HTTP requests the run made, 429s counts the
	// answers that were rate-limit refusals among them.
	Requests, Limited int64
	// Workers is the most workers that were busy at once.
	Workers int
	// Latency is the recent mean time of one call.
	Latency time.Duration
}

// RequestsPerRow is the run's requests divided by the rows it sent or
// found unchanged (what cost or could have cost a call).
func (o Outcome) RequestsPerRow() float64 {
	c := o.Summary.Counts
	n := c[connector.Created] + c[connector.Updated] + c[connector.Unchanged] + c[connector.Failed]
	if n == 0 {
		return 0
	}
	return float64(o.Requests) / float64(n)
}

type task struct {
	row tabular.Row
}

// errReportWrite marks the abort of a run whose report cannot be written:
// sending more rows would only lose more outcomes.
type errReportWrite struct{ err error }

func (e errReportWrite) Error() string { return "cannot write the report: " + e.err.Error() }
func (e errReportWrite) Unwrap() error { return e.err }

// Run sends every row and writes every outcome to the report. Cancelling ctx
// stops taking rows at once: calls in flight finish, and the rows not yet
// read are reported as one range (skipped). An abort (credentials
// rejected, too many failures) reports every remaining row skipped with
// the reason. It returns an error only when the report cannot be written.
func (r *Runner) Run(ctx context.Context) (Outcome, error) {
	start := time.Now()
	if r.backoff == 0 {
		r.backoff = 250 * time.Millisecond
	}
	if r.Calls == nil {
		r.Calls = context.WithoutCancel(ctx)
	}
	if r.stats == nil {
		r.stats = &callStats{}
	}
	if len(r.slots) == 0 {
		r.slots = []*keySlot{{pacer: newPacer(r.Job.Run.Rate.PerSecond, r.Job.Run.Burst)}}
	}
	r.match = r.Job.Match
	if len(r.match) == 0 {
		// create mode: verifying an uncertain create needs some key.
		for _, f := range []string{mapping.FieldEmail, mapping.FieldPhone} {
			if contains(r.Mapper.Fields(), f) {
				r.match = []string{f}
				break
			}
		}
	}

	stopCtx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	if r.Aborted != nil {
		stop(r.Aborted)
	}

	lines := make(chan report.Line, 256)
	tasks := make(chan task, 64) // a little read-ahead: workers never wait on the reader
	pool := r.newPool()
	var wg sync.WaitGroup
	fails := &failCounter{max: r.Job.Run.MaxFails}
	for range pool.size {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range tasks {
				pool.acquire()
				l := r.process(stopCtx, stop, fails, t)
				pool.release()
				lines <- l
			}
		}()
	}
	var readErr error
	go func() {
		readErr = r.produce(stopCtx, ctx, tasks, lines)
		close(tasks)
		wg.Wait()
		close(lines)
	}()

	werr := r.collect(lines, stop)
	out := Outcome{Summary: r.Report.Summary(), Elapsed: time.Since(start),
		Requests: r.stats.requests.Load(), Limited: r.stats.limited.Load(), Workers: pool.peak}
	if cause := context.Cause(stopCtx); cause != nil && !errors.Is(cause, context.Canceled) {
		out.Aborted = cause
	} else if ctx.Err() != nil {
		out.Cancelled = true
	}
	if readErr != nil && out.Aborted == nil {
		out.Aborted = readErr
	}
	if out.Aborted != nil {
		out.Aborted = redactedError{msg: r.redact(out.Aborted.Error()), err: out.Aborted}
	}
	return out, werr
}

// collect writes lines as they come, flushing whenever it has caught up, so
// finished rows reach the disk while the run goes on. The first write error
// stops the run: no more rows are taken.
func (r *Runner) collect(lines <-chan report.Line, stop context.CancelCauseFunc) error {
	var werr error
	for l := range lines {
		l.Error = r.redact(l.Error)
		if werr == nil {
			werr = r.Report.Write(l)
		}
		if r.Progress != nil && !l.Rest {
			r.Progress.Add(1)
		}
		if len(lines) == 0 && werr == nil {
			werr = r.Report.Flush()
		}
		if werr != nil {
			stop(errReportWrite{werr})
		}
	}
	return werr
}

// produce reads the source and hands rows to the workers; rows read when
// the run is stopping go straight to the report. user is the run's own
// context: when the user cancelled it, the rest of the source is not read
// but reported as one range.
func (r *Runner) produce(ctx, user context.Context, tasks chan<- task, lines chan<- report.Line) (err error) {
	next := 1 // the number of the next row the source should yield
	defer func() {
		// A reader or mapping bug must not take the report down with it:
		// every row read so far is reported, the rest as one range, and the
		// run stops (exit 3).
		if p := recover(); p != nil {
			err = fmt.Errorf("internal error reading the source (please report): %v", p)
			lines <- restLine(next, "not read: "+err.Error())
		}
	}()
	for {
		if ctx.Err() != nil && stopAtOnce(ctx, user) {
			lines <- restLine(next, stoppedWhy(ctx))
			return nil
		}
		row, err := r.Source.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			err = fmt.Errorf("read source after row %d: %w", next-1, err)
			lines <- restLine(next, "not read: "+oneLine(err))
			return err
		}
		next = row.Num + 1
		if r.Done.Has(row.Num) {
			continue
		}
		line := report.Line{Row: row.Num, Values: row.Values}
		if ctx.Err() != nil {
			lines <- skipped(line, ctx)
			continue
		}
		if row.Err != nil {
			line.Status, line.Error = connector.Failed, row.Err.Error()
			lines <- line
			continue
		}
		select {
		case tasks <- task{row: row}:
		case <-ctx.Done():
			lines <- skipped(line, ctx)
		}
	}
}

// stopAtOnce reports whether a stopping run should leave the rest of the
// source unread: after a Ctrl-C (reading a huge file to the end would keep
// the user waiting) or when the report cannot be written. After other
// aborts every row is still read and reported skipped with the reason.
func stopAtOnce(ctx, user context.Context) bool {
	var we errReportWrite
	return user.Err() != nil || errors.As(context.Cause(ctx), &we)
}

// stoppedWhy is the error of the range line of rows a stop left unread.
func stoppedWhy(ctx context.Context) string {
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return "cancelled: not read: run aborted: " + oneLine(cause)
	}
	return "cancelled: not read (interrupted)"
}

// restLine accounts for the rows from row n to the end of the source,
// which the run did not read.
func restLine(n int, why string) report.Line {
	return report.Line{Row: n, Rest: true, Status: connector.Skipped, Error: why}
}

// skipped marks a row that the run stopped before it could finish; the
// error of its last attempt, if any, is kept.
func skipped(l report.Line, ctx context.Context) report.Line {
	last := l.Error
	l.Status = connector.Skipped
	l.Error = "cancelled"
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		l.Error = "cancelled: run aborted: " + oneLine(cause)
	}
	if last != "" {
		l.Error += "; last attempt: " + last
	}
	return l
}

// process maps one row, sends it with retries and returns its report line.
// A panic in the mapping or a connector fails that row instead of losing it.
func (r *Runner) process(ctx context.Context, abort context.CancelCauseFunc, fails *failCounter, t task) (line report.Line) {
	line = report.Line{Row: t.row.Num, Values: t.row.Values}
	ci := &callInfo{}
	defer func() {
		if p := recover(); p != nil {
			line.Status = connector.Failed
			line.Error = fmt.Sprintf("internal error (please report): %v", p)
		}
	}()
	if ctx.Err() != nil {
		return skipped(line, ctx)
	}
	rec, err := r.Mapper.Map(t.row.Values)
	if err != nil {
		line.Status, line.Error = connector.Failed, oneLine(err)
		return line
	}
	if r.DryRun {
		line.Status, line.Error = connector.Skipped, "dry run: mapped, not sent"
		return line
	}
	defer r.keys.Lock(matchKey(rec, r.match))()
	opt := connector.WriteOptions{Mode: r.Job.Mode, Match: r.match, Verify: r.Verify && r.Job.Mode == connector.Create}
	calls := withCallInfo(r.Calls, ci)
	retries, limited := 0, 0
	for {
		// Each HTTP call waits for its token in the transport; here a row
		// only waits out a pause, so that Ctrl-C can still skip it.
		if err := r.waitPause(ctx); err != nil {
			return skipped(line, ctx)
		}
		line.Attempts++
		res, err := r.Conn.Write(calls, r.Job.Target.Object, rec, opt)
		slot := r.slots[min(int(ci.slot.Load()), len(r.slots)-1)]
		if err == nil {
			fails.ok()
			slot.pacer.Success()
			// res.Wait (a window with nothing left) was seen by the
			// transport, which holds that key until the exact reset.
			line.Status, line.ID, line.HTTPStatus, line.Error = res.Status, res.ID, res.HTTPStatus, res.Note
			return line
		}
		ce, ok := connector.AsError(err)
		if !ok { // cancelled call, or a bug: not retried
			line.Status, line.Error = connector.Failed, oneLine(err)
			if r.Calls.Err() != nil {
				line.Status, line.Error = connector.Skipped, "cancelled during the call; outcome unknown: "+oneLine(err)
			}
			return line
		}
		line.HTTPStatus, line.Error = ce.HTTPStatus, oneLine(ce)
		if ce.Auth {
			line.Status = connector.Failed
			abort(fmt.Errorf("credentials rejected by %s: %s", r.Job.Target.System, oneLine(ce)))
			return line
		}
		if ce.MaybeApplied && r.Job.Mode == connector.Create {
			opt.Verify = true // look before creating again: no duplicates
		}
		if !ce.Retryable {
			line.Status = connector.Failed
			return line
		}
		wait := r.jitter(retries)
		if ce.HTTPStatus == 429 {
			limited++
			wait = r.jitter(0)
			if ce.RetryAfter == 0 {
				// A bare 429 (Close's ingress sends them) says nothing of
				// when to come back: pause that key, longer each time.
				ce.RetryAfter = min(r.backoff<<min(limited-1, 6), 10*time.Second)
			}
			slot.pacer.Backoff(ce.RetryAfter)
		} else {
			retries++
			wait = max(wait, ce.RetryAfter)
		}
		if retries > *r.Job.Run.Retries || limited >= rateLimitAttempts {
			line.Status = connector.Failed
			if n := fails.fail(); n >= fails.max {
				abort(fmt.Errorf("%d rows in a row failed after retries; last: %s", n, line.Error))
			}
			return line
		}
		if err := sleepCtx(ctx, wait); err != nil {
			return skipped(line, ctx)
		}
	}
}

// waitPause blocks while every key is paused by a 429.
func (r *Runner) waitPause(ctx context.Context) error {
	for {
		d := time.Duration(1 << 62)
		for _, s := range r.slots {
			s.pacer.mu.Lock()
			d = min(d, s.pacer.until.Sub(s.pacer.now()))
			s.pacer.mu.Unlock()
		}
		if d <= 0 {
			return ctx.Err()
		}
		if err := sleepCtx(ctx, d); err != nil {
			return err
		}
	}
}

// jitter is exponential backoff with full jitter: uniform in [0, base·2^n],
// capped at 20s.
func (r *Runner) jitter(n int) time.Duration {
	ceil := min(r.backoff<<min(n, 10), 20*time.Second)
	return time.Duration(rand.Int64N(int64(ceil) + 1))
}

// failCounter counts consecutive rows that failed after every retry, so a
// dead target stops the run instead of failing a million rows one by one.
type failCounter struct {
	mu  sync.Mutex
	n   int
	max int
}

func (f *failCounter) ok() {
	f.mu.Lock()
	f.n = 0
	f.mu.Unlock()
}

func (f *failCounter) fail() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	return f.n
}

// oneLine flattens a (possibly joined) error for a report cell.
func oneLine(err error) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", "; ")), " ")
}

// redact hides every API key of the run in s. Each connector redacts its
// own key; with several keys the transport sends the others, which an API
// may echo in an error body.
func (r *Runner) redact(s string) string {
	if s == "" {
		return s
	}
	for _, k := range r.slots {
		if k.key != "" {
			s = strings.ReplaceAll(s, k.key, "[redacted]")
			s = strings.ReplaceAll(s, url.QueryEscape(k.key), "[redacted]")
		}
	}
	return s
}

// redactedError keeps an error's chain (errors.As still finds the
// *connector.Error) while its message has no key in it.
type redactedError struct {
	msg string
	err error
}

func (e redactedError) Error() string { return e.msg }
func (e redactedError) Unwrap() error { return e.err }

// WorkerBound says, when run.workers was set too low for the rate, the
// most calls per second those workers could carry at the observed latency
// (Little's law), so the user can raise it or leave it unset; 0 otherwise.
func (o Outcome) WorkerBound(j *Job) float64 {
	w := j.Run.Workers
	if w <= 0 || o.Latency <= 0 || o.Requests < int64(4*w) {
		return 0
	}
	most := float64(w) / o.Latency.Seconds()
	if most >= 0.9*j.Run.Rate.PerSecond*float64(max(1, len(j.Target.Auth.Keys()))) {
		return 0
	}
	return most
}
