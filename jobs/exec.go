package jobs

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/internal/filelock"
	"github.com/crmload/crmload/internal/report"
	"github.com/crmload/crmload/internal/tabular"
)

// AbortError stops a run before or during its rows: the credentials were
// rejected, the target cannot be reached, the source cannot be read. The
// CLI exits 3 for it.
type AbortError struct{ Err error }

func (e *AbortError) Error() string { return "aborted: " + e.Err.Error() }
func (e *AbortError) Unwrap() error { return e.Err }

// ExecOptions tune one execution of a job.
type ExecOptions struct {
	Resume     bool                     // continue the report of an interrupted run
	ReportPath string                   // overrides the job's report path (retry, tests)
	SandboxDir string                   // where embedded sandboxes keep their records; ".crmload/sandbox" when empty
	Progress   func(total int) Progress // builds the progress display; nil for none
	// CountRows reads a CSV source once more first, so the progress display
	// can show a total and an ETA (for a terminal: the pass is cheap, ~1s
	// per million rows, but pointless in a log).
	CountRows bool
	Now       time.Time // fills {{date}} and {{time}}; time.Now() when zero

	// Calls, if set, cuts calls in flight when cancelled (a second Ctrl-C).
	Calls context.Context
	// Source replaces the job's source file (retry reads a report).
	Source Rows
	// Verify looks every create up before sending it (retry, resume).
	Verify bool
	// DryRun maps every row and writes the report without any call.
	DryRun bool
	// Lock names files another run must not use meanwhile, besides the
	// job and the report (retry locks the report it reads).
	Lock []string

	backoff time.Duration // tests shorten retry waits
}

// Result is a finished execution.
type Result struct {
	Outcome
	ReportPath string
	// Prefetched is how many calls the key index cost, -1 when there was
	// none.
	Prefetched int64
}

// Execute checks the job, connects to its target and runs it. It returns an
// *InvalidError for a job that cannot run and an *AbortError when the run
// stopped early. Once the source is open, an abort still leaves a complete
// report: rows that were not sent are reported skipped with the reason.
func Execute(ctx context.Context, j *Job, sys Systems, opt ExecOptions) (*Result, error) {
	if j.Target.IsFile() {
		return nil, &InvalidError{Path: j.Path, Problems: []error{errors.New("target: a file: this job is an export (crmload export)")}}
	}
	if err := Check(j, sys); err != nil {
		return nil, err
	}
	now := opt.Now
	if now.IsZero() {
		now = time.Now()
	}
	path := opt.ReportPath
	if path == "" {
		path = j.ReportPath(now)
	}
	if err := j.checkReportPath(path); err != nil {
		return nil, &InvalidError{Path: j.Path, Problems: []error{err}}
	}
	for _, in := range opt.Lock {
		if samePath(in, path) {
			return nil, &InvalidError{Path: j.Path, Problems: []error{fmt.Errorf("report: %s is the report being retried; writing there would destroy it", path)}}
		}
	}
	var locks []*filelock.Lock
	defer func() {
		for _, l := range locks {
			l.Unlock()
		}
	}()
	for _, f := range append([]string{j.Path}, opt.Lock...) {
		if f == "" {
			continue
		}
		l, err := lockRun(f, j.Name)
		if err != nil {
			return nil, &AbortError{err}
		}
		locks = append(locks, l)
	}

	stats := &callStats{}
	keys := j.Target.Auth.Keys()
	cfg := connector.Config{
		BaseURL:  j.Target.BaseURL,
		Username: j.Target.Auth.Username,
		Password: j.Target.Auth.Password,
		Options:  j.Target.Options,
	}
	if j.Target.Sandbox() && opt.DryRun {
		cfg.BaseURL = "http://sandbox.invalid" // never called
	}
	if j.Target.Sandbox() && !opt.DryRun {
		dir := opt.SandboxDir
		if dir == "" {
			dir = DefaultSandboxDir
		}
		sb, err := sys.Sandbox(j.Target.System, dir)
		if err != nil {
			return nil, &AbortError{fmt.Errorf("start the %s sandbox: %w", j.Target.System, err)}
		}
		defer sb.Stop()
		cfg.BaseURL = sb.BaseURL
		if j.Target.Auth.IsZero() {
			keys = []string{sb.Auth.APIKey}
			cfg.Username, cfg.Password = sb.Auth.Username, sb.Auth.Password
		}
	}
	var slots []*keySlot
	for _, k := range keys {
		slots = append(slots, &keySlot{key: k, pacer: newPacer(j.Run.Rate.PerSecond, j.Run.Burst)})
	}
	if len(slots) == 0 { // user and password only
		slots = []*keySlot{{pacer: newPacer(j.Run.Rate.PerSecond, j.Run.Burst)}}
	} else {
		cfg.APIKey = keys[0]
	}
	cfg.HTTP = newHTTPClient(j.Run.Timeout.Duration, &pacedTransport{slots: slots, primary: cfg.APIKey, next: http.DefaultTransport, stats: stats})
	conn, err := sys.Connector(j.Target.System, cfg)
	if err != nil {
		return nil, &InvalidError{Path: j.Path, Problems: []error{err}}
	}

	src := opt.Source
	if src == nil && j.Source.IsCRM() {
		if src, err = OpenList(ctx, j, sys, opt); err != nil {
			return nil, err
		}
	}
	if src == nil {
		if src, err = j.OpenSource(); err != nil {
			return nil, &InvalidError{Path: j.Path, Problems: []error{err}}
		}
	}
	defer src.Close()
	mapper, err := j.Compile(src.Header())
	if err != nil {
		return nil, &InvalidError{Path: j.Path, Problems: []error{fmt.Errorf("mapping: %w", err)}}
	}

	// A transient failure while starting (a 429, a 5xx, a timeout) is
	// retried like any call; one that persists, or rejected credentials,
	// aborts the run, but only after every row is reported.
	var startErr error
	if !opt.DryRun {
		err = startupRetry(ctx, j, opt.backoff, func(ctx context.Context) error {
			return conn.Prepare(ctx, j.Target.Object, mapper.Fields())
		})
		if err != nil {
			if _, ok := connector.AsError(err); !ok && ctx.Err() == nil {
				return nil, &InvalidError{Path: j.Path, Problems: []error{fmt.Errorf("target %s: %w", j.Target.System, err)}}
			}
			startErr = fmt.Errorf("connect to %s: %w", j.Target.System, err)
		}
	}

	var rep *report.Writer
	var done *report.RowSet
	if opt.Resume {
		// Rows a Ctrl-C skipped were never sent: they leave the report
		// and go again.
		l, err := lockRun(report.JournalPath(path), j.Name)
		if err != nil {
			return nil, &AbortError{err}
		}
		locks = append(locks, l)
		keep := func(l report.Line) bool { return !Cancelled(l) }
		if rep, done, err = report.Resume(path, src.Header(), keep); err != nil {
			return nil, &InvalidError{Path: j.Path, Problems: []error{err}}
		}
	} else {
		if rep, err = report.Create(path, src.Header()); err != nil {
			return nil, &AbortError{err}
		}
		path = rep.Path() // a name already taken got a -2 suffix
		l, err := lockRun(report.JournalPath(path), j.Name)
		if err != nil {
			rep.Close(convertReport)
			return nil, &AbortError{err}
		}
		locks = append(locks, l)
	}

	meta := newMeta(j, now)
	if opt.Resume {
		if old, err := ReadMeta(path); err == nil {
			meta.Started = old.Started
		}
	}
	if err := writeMeta(path, meta); err != nil {
		rep.Close(convertReport)
		return nil, &AbortError{err}
	}

	prefetched := int64(-1)
	if startErr == nil && !opt.DryRun {
		before := stats.requests.Load()
		var used bool
		used, startErr = prefetch(ctx, j, conn, opt, src)
		if used {
			prefetched = stats.requests.Load() - before
		}
	}

	r := &Runner{Job: j, Conn: conn, Mapper: mapper, Source: src, Report: rep, Done: done,
		Verify: opt.Verify || opt.Resume, DryRun: opt.DryRun, Aborted: startErr, Calls: opt.Calls,
		backoff: opt.backoff, slots: slots, stats: stats}
	if opt.Progress != nil {
		total := -1
		if lr, ok := src.(*ListRows); ok {
			total = lr.src.total(ctx) // CRM → CRM: the API's count, if it has one
		} else if opt.CountRows && opt.Source == nil {
			total = j.countRows(done)
		}
		r.Progress = opt.Progress(total)
	}
	out, err := r.Run(ctx)
	if f, ok := conn.(Flusher); ok && startErr == nil && !opt.DryRun {
		if ferr := f.Flush(context.WithoutCancel(ctx)); ferr != nil && out.Aborted == nil {
			out.Aborted = fmt.Errorf("finish the run on %s: %w", j.Target.System, ferr)
		}
	}
	out.Requests, out.Limited, out.Latency = stats.requests.Load(), stats.limited.Load(), stats.Latency()
	cerr := rep.Close(convertReport)
	res := &Result{Outcome: out, ReportPath: path, Prefetched: prefetched}
	res.Summary = rep.Summary()
	meta.Finished, meta.Counts, meta.Requests = time.Now(), res.Summary.Counts, out.Requests
	meta.Interrupted = out.Cancelled || out.Aborted != nil || res.Summary.UnreadFrom > 0
	cerr = errors.Join(cerr, writeMeta(path, meta))
	if err = errors.Join(err, cerr); err != nil {
		return res, &AbortError{fmt.Errorf("write report %s: %w", path, err)}
	}
	if out.Aborted != nil {
		return res, &AbortError{out.Aborted}
	}
	if err := finishListRun(j, src, res); err != nil {
		return res, &AbortError{err}
	}
	return res, nil
}

// lockRun takes the lock of a job or report file for this run.
func lockRun(path, job string) (*filelock.Lock, error) {
	l, err := filelock.TryLock(path)
	if errors.Is(err, filelock.ErrLocked) {
		return nil, fmt.Errorf("another crmload run is using %s (job %q): wait for it to finish or stop it; two runs at once would interleave the report and send rows twice", path, job)
	}
	return l, err
}

// startupRetry calls fn until it succeeds, retrying what a row would retry
// (429s, 5xx, timeouts, connection failures) within the run's retry budget.
func startupRetry(ctx context.Context, j *Job, backoff time.Duration, fn func(context.Context) error) error {
	if backoff == 0 {
		backoff = 250 * time.Millisecond
	}
	failures, limited := 0, 0
	for {
		cctx, cancel := context.WithTimeout(ctx, 2*j.Run.Timeout.Duration)
		err := fn(cctx)
		cancel()
		ce, ok := connector.AsError(err)
		if err == nil || !ok || !ce.Retryable || ce.Auth || ctx.Err() != nil {
			return err
		}
		var wait time.Duration
		if ce.HTTPStatus == http.StatusTooManyRequests {
			if limited++; limited >= rateLimitAttempts {
				return err
			}
			wait = max(ce.RetryAfter, min(backoff<<min(limited-1, 6), 10*time.Second))
		} else {
			if failures++; failures > *j.Run.Retries {
				return err
			}
			wait = max(ce.RetryAfter, time.Duration(rand.Int64N(int64(min(backoff<<min(failures-1, 10), 20*time.Second))+1)))
		}
		if err := sleepCtx(ctx, wait); err != nil {
			return ce
		}
	}
}

// prefetch builds the target's key index when the connector can and the
// job asks for it (run.prefetch); used reports whether it did.
func prefetch(ctx context.Context, j *Job, conn connector.Connector, opt ExecOptions, src Rows) (used bool, err error) {
	ix, ok := conn.(connector.Indexer)
	if !ok || j.Run.Prefetch == PrefetchOff || j.Mode == connector.Create {
		return false, nil
	}
	if j.Run.Prefetch == PrefetchAuto {
		rows := -1
		if opt.Source == nil && !j.Source.IsCRM() {
			rows = j.countRows(nil)
		}
		var cost int
		err := startupRetry(ctx, j, opt.backoff, func(ctx context.Context) (err error) {
			cost, err = ix.IndexCost(ctx, j.Target.Object)
			return err
		})
		if err != nil {
			return false, fmt.Errorf("count the %ss of %s: %w", j.Target.Object, j.Target.System, err)
		}
		if !prefetchPays(cost, rows) {
			return false, nil
		}
	}
	err = startupRetry(ctx, j, opt.backoff, func(ctx context.Context) error {
		return ix.Index(ctx, j.Target.Object, j.Match, mapperFields(j, src))
	})
	if err != nil {
		return true, fmt.Errorf("read the %ss of %s into a key index: %w", j.Target.Object, j.Target.System, err)
	}
	return true, nil
}

// autoPrefetchRows is the input size from which prefetch: auto lists a
// target that does not say how many records it holds; autoPrefetchCalls is
// the most calls it spends listing when the input's size is unknown.
const (
	autoPrefetchRows  = 1000
	autoPrefetchCalls = 10
)

// prefetchPays decides prefetch: auto from the listing's cost in calls and
// the input's rows (-1 when unknown). Listing pays when it costs fewer
// calls than the searches it saves. Without a count of the records, only
// for a big input; without a count of the rows (a retry, a CRM source),
// only when the listing is a few calls: a retry of five rows must not list
// a million records.
func prefetchPays(cost, rows int) bool {
	switch {
	case cost >= 0 && rows >= 0:
		return cost < rows
	case cost >= 0:
		return cost <= autoPrefetchCalls
	default:
		return rows >= autoPrefetchRows
	}
}

func mapperFields(j *Job, src Rows) []string {
	m, err := j.Compile(src.Header())
	if err != nil {
		return nil
	}
	return m.Fields()
}

// checkReportPath refuses a report that would overwrite the run's own
// input, and one whose directory cannot be written.
func (j *Job) checkReportPath(path string) error {
	if err := checkReportExt(path); err != nil {
		return err
	}
	for _, in := range []string{j.Source.File, j.Path} {
		if in != "" && samePath(in, path) || in != "" && samePath(in, report.JournalPath(path)) {
			return fmt.Errorf("report: %s is the job's own input (%s); writing the report there would destroy it", path, in)
		}
	}
	return nil
}

func checkReportExt(path string) error {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv", ".xlsx":
		return nil
	}
	return fmt.Errorf("report: %q is not a .csv or .xlsx file", filepath.Base(path))
}

// samePath reports whether a and b name the same file, existing or not.
func samePath(a, b string) bool {
	if fa, err := os.Stat(a); err == nil {
		if fb, err := os.Stat(b); err == nil {
			return os.SameFile(fa, fb)
		}
	}
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == bb
}

// DefaultSandboxDir is where embedded sandboxes keep their records, under
// the working directory, so a newcomer's tour behaves like a real CRM
// across commands.
const DefaultSandboxDir = ".crmload/sandbox"

// Flusher is the optional ability of a connector to finish batched work at
// the end of a run (e.g. adding the contacts to a list in batches).
type Flusher interface {
	Flush(ctx context.Context) error
}

// convertReport turns an .xlsx report's CSV journal into the workbook,
// streaming: the journal is read a line at a time.
func convertReport(journal, path string) error {
	f, err := os.Open(journal)
	if err != nil {
		return err
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReader(f))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return fmt.Errorf("read journal: %w", err)
	}
	// The journal's source cells are neutralised against formulas; XLSX
	// text cells are safe as they are, so the workbook gets the originals.
	restore := func(rec []string) {
		for i := len(report.Fixed); i < len(rec); i++ {
			rec[i] = report.Restore(rec[i])
		}
	}
	restore(header)
	tmp := path + ".tmp.xlsx"
	w, err := tabular.Create(tmp, header, tabular.WriteOptions{Sheet: "Report"})
	if err != nil {
		return err
	}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err == nil {
			restore(rec)
			err = w.Write(rec)
		}
		if err != nil {
			w.Close()
			os.Remove(tmp)
			return fmt.Errorf("convert journal: %w", err)
		}
	}
	if err := w.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}

// countRows counts the rows a run of j will send (less those done), or -1
// when that is not cheap: only CSV-like sources are counted.
func (j *Job) countRows(done *report.RowSet) int {
	switch strings.ToLower(filepath.Ext(j.Source.File)) {
	case ".csv", ".tsv", ".txt":
	default:
		return -1
	}
	src, err := j.OpenSource()
	if err != nil {
		return -1
	}
	defer src.Close()
	n := 0
	for {
		_, err := src.Next()
		if errors.Is(err, io.EOF) {
			return n - done.Len()
		}
		if err != nil {
			return -1
		}
		n++
	}
}
