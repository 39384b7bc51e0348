package jobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
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

	// Calls is the context of calls in flight: cancelling the ctx given to
	// Run stops taking rows but lets calls finish; cancelling Calls cuts
	// them short. Nil means calls are never cut.
	Calls context.Context

	backoff time.Duration // first retry's mean wait; 250ms when zero
	pacer   *pacer
	keys    connector.KeyLocks
	match   []string // the job's match key, or the create mode's implicit one
}

// Outcome is what a run did.
type Outcome struct {
	Summary report.Summary
	Elapsed time.Duration
	// Aborted is why the run stopped early (auth rejected, target
	// unreachable, source unreadable); nil when it ran to the end or was
	// cancelled.
	Aborted error
	// Cancelled is set when the run was interrupted (Ctrl-C).
	Cancelled bool
}

type task struct {
	row tabular.Row
	rec mapping.Record
}

// Run sends every row and writes every outcome to the report. Cancelling ctx
// stops taking rows: calls in flight finish, the rest are reported skipped
// (cancelled). It returns an error only when the report cannot be written.
func (r *Runner) Run(ctx context.Context) (Outcome, error) {
	start := time.Now()
	if r.backoff == 0 {
		r.backoff = 250 * time.Millisecond
	}
	if r.Calls == nil {
		r.Calls = context.WithoutCancel(ctx)
	}
	if r.pacer == nil {
		r.pacer = newPacer(r.Job.Run.Rate.PerSecond, r.Job.Run.Burst)
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

	lines := make(chan report.Line, 256)
	tasks := make(chan task)
	var wg sync.WaitGroup
	fails := &failCounter{max: r.Job.Run.MaxFails}
	for range r.Job.Run.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range tasks {
				lines <- r.process(stopCtx, stop, fails, t)
			}
		}()
	}
	var readErr error
	go func() {
		readErr = r.produce(stopCtx, tasks, lines)
		close(tasks)
		wg.Wait()
		close(lines)
	}()

	werr := r.collect(lines)
	out := Outcome{Summary: r.Report.Summary(), Elapsed: time.Since(start)}
	if cause := context.Cause(stopCtx); cause != nil && !errors.Is(cause, context.Canceled) {
		out.Aborted = cause
	} else if ctx.Err() != nil {
		out.Cancelled = true
	}
	if readErr != nil && out.Aborted == nil {
		out.Aborted = readErr
	}
	return out, werr
}

// collect writes lines as they come, flushing whenever it has caught up, so
// finished rows reach the disk while the run goes on.
func (r *Runner) collect(lines <-chan report.Line) error {
	var werr error
	for l := range lines {
		if werr == nil {
			werr = r.Report.Write(l)
		}
		if r.Progress != nil {
			r.Progress.Add(1)
		}
		if len(lines) == 0 && werr == nil {
			werr = r.Report.Flush()
		}
	}
	return werr
}

// produce reads the source and hands rows to the workers; rows that fail
// before any call (unreadable, unmappable) and rows left when the run stops
// go straight to the report.
func (r *Runner) produce(ctx context.Context, tasks chan<- task, lines chan<- report.Line) (err error) {
	defer func() {
		// A reader or mapping bug must not take the report down with it:
		// every row read so far is reported, and the run stops (exit 3).
		if p := recover(); p != nil {
			err = fmt.Errorf("internal error reading the source (please report): %v", p)
		}
	}()
	for {
		row, err := r.Source.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read source: %w", err)
		}
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
		rec, err := r.Mapper.Map(row.Values)
		if err != nil {
			line.Status, line.Error = connector.Failed, oneLine(err)
			lines <- line
			continue
		}
		select {
		case tasks <- task{row: row, rec: rec}:
		case <-ctx.Done():
			lines <- skipped(line, ctx)
		}
	}
}

// skipped marks a row that the run stopped before it could finish; the
// error of its last attempt, if any, is kept.
func skipped(l report.Line, ctx context.Context) report.Line {
	last := l.Error
	l.Status = connector.Skipped
	l.Error = "cancelled"
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		l.Error = "cancelled: run aborted: " + cause.Error()
	}
	if last != "" {
		l.Error += "; last attempt: " + last
	}
	return l
}

// process sends one row with retries and returns its report line. A panic
// in a connector fails that row instead of losing it.
func (r *Runner) process(ctx context.Context, abort context.CancelCauseFunc, fails *failCounter, t task) (line report.Line) {
	line = report.Line{Row: t.row.Num, Values: t.row.Values}
	defer func() {
		if p := recover(); p != nil {
			line.Status = connector.Failed
			line.Error = fmt.Sprintf("internal error (please report): %v", p)
		}
	}()
	if ctx.Err() != nil {
		return skipped(line, ctx)
	}
	defer r.keys.Lock(matchKey(t.rec, r.match))()
	opt := connector.WriteOptions{Mode: r.Job.Mode, Match: r.match, Verify: r.Verify && r.Job.Mode == connector.Create}
	retries, limited := 0, 0
	for {
		// Each HTTP call waits for its token in the transport (Pace); here
		// a row only waits out a pause, so that Ctrl-C can still skip it.
		if err := r.pacer.WaitPause(ctx); err != nil {
			return skipped(line, ctx)
		}
		line.Attempts++
		res, err := r.Conn.Write(r.Calls, r.Job.Target.Object, t.rec, opt)
		if err == nil {
			fails.ok()
			r.pacer.Success()
			if res.Wait > 0 {
				r.pacer.Pause(res.Wait)
			}
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
				// when to come back: pause everyone, longer each time.
				ce.RetryAfter = min(r.backoff<<min(limited-1, 6), 10*time.Second)
			}
		} else {
			retries++
		}
		if ce.RetryAfter > 0 {
			r.pacer.Pause(ce.RetryAfter)
		}
		if retries > *r.Job.Run.Retries || limited >= rateLimitAttempts {
			line.Status = connector.Failed
			if n := fails.fail(); n >= fails.max {
				abort(fmt.Errorf("%d rows in a row failed after retries; last: %s", n, line.Error))
			}
			return line
		}
		if err := r.pacer.sleep(ctx, wait); err != nil {
			return skipped(line, ctx)
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
