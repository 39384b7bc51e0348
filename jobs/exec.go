package jobs

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/crmload/crmload/internal/connector"
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

	backoff time.Duration // tests shorten retry waits
}

// Result is a finished execution.
type Result struct {
	Outcome
	ReportPath string
}

// Execute checks the job, connects to its target and runs it. It returns an
// *InvalidError for a job that cannot run and an *AbortError when the run
// stopped early; in both cases nothing or a complete report was written.
func Execute(ctx context.Context, j *Job, sys Systems, opt ExecOptions) (*Result, error) {
	if j.Target.IsFile() {
		return nil, &InvalidError{Path: j.Path, Problems: []error{errors.New("target: a file: this job is an export (crmload export)")}}
	}
	if err := Check(j, sys); err != nil {
		return nil, err
	}
	cfg := connector.Config{
		BaseURL:  j.Target.BaseURL,
		APIKey:   j.Target.Auth.APIKey,
		Username: j.Target.Auth.Username,
		Password: j.Target.Auth.Password,
		Options:  j.Target.Options,
	}
	pace := newPacer(j.Run.Rate.PerSecond, j.Run.Burst)
	cfg.HTTP = &http.Client{Timeout: j.Run.Timeout.Duration, Transport: pacedTransport{p: pace, next: http.DefaultTransport}}
	if j.Target.Sandbox() {
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
		if j.Target.Auth == (Auth{}) {
			cfg.APIKey, cfg.Username, cfg.Password = sb.Auth.APIKey, sb.Auth.Username, sb.Auth.Password
		}
	}
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

	pctx, cancel := context.WithTimeout(ctx, 2*j.Run.Timeout.Duration)
	err = conn.Prepare(pctx, j.Target.Object, mapper.Fields())
	cancel()
	if err != nil {
		if _, ok := connector.AsError(err); ok || ctx.Err() != nil {
			return nil, &AbortError{fmt.Errorf("connect to %s: %w", j.Target.System, err)}
		}
		return nil, &InvalidError{Path: j.Path, Problems: []error{fmt.Errorf("target %s: %w", j.Target.System, err)}}
	}

	now := opt.Now
	if now.IsZero() {
		now = time.Now()
	}
	path := opt.ReportPath
	if path == "" {
		path = j.ReportPath(now)
	}
	var rep *report.Writer
	var done *report.RowSet
	if opt.Resume {
		// Rows a Ctrl-C skipped were never sent: they leave the report
		// and go again.
		keep := func(l report.Line) bool { return !Cancelled(l) }
		if rep, done, err = report.Resume(path, src.Header(), keep); err != nil {
			return nil, &InvalidError{Path: j.Path, Problems: []error{err}}
		}
	} else if rep, err = report.Create(path, src.Header()); err != nil {
		return nil, &AbortError{err}
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

	r := &Runner{Job: j, Conn: conn, Mapper: mapper, Source: src, Report: rep, Done: done,
		Verify: opt.Verify || opt.Resume, Calls: opt.Calls, backoff: opt.backoff, pacer: pace}
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
	if f, ok := conn.(Flusher); ok {
		if ferr := f.Flush(context.WithoutCancel(ctx)); ferr != nil && out.Aborted == nil {
			out.Aborted = fmt.Errorf("finish the run on %s: %w", j.Target.System, ferr)
		}
	}
	cerr := rep.Close(convertReport)
	res := &Result{Outcome: out, ReportPath: path}
	res.Summary = rep.Summary()
	meta.Finished, meta.Counts = time.Now(), res.Summary.Counts
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
