package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/internal/progress"
	"github.com/crmload/crmload/jobs"
)

type retryOptions struct {
	job        string
	force      bool
	only       []string
	reportPath string
	sandboxDir string
}

func newRetryCmd(env *Env) *cobra.Command {
	var opt retryOptions
	cmd := &cobra.Command{
		Use:   "retry REPORT",
		Short: "Send a report's failed rows again",
		Long: `Retry re-sends the rows of REPORT that failed, and those a Ctrl-C or an abort
left unsent (skipped, "cancelled"), with the job that produced the report (named in
REPORT.meta.json; --job overrides). If the job's mapping, mode, match or target
changed since, retry says so and goes on only with --force.

It writes a new report beside the old one for the rows it re-sent (keeping their
row numbers) and prints how many now succeed; retry that report in turn until
nothing fails. A create whose earlier outcome is unknown is looked up by its
match key first, so retrying never duplicates a record.

--only narrows the rows: http_status=429, status=failed, error~timeout (repeatable;
a row must match every one).

` + exitCodesHelp,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return retryRun(cmd, env, args[0], opt)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opt.job, "job", "", "the job file to use (default: the one that made the report)")
	f.BoolVar(&opt.force, "force", false, "retry even if the job changed since the report was made")
	f.StringArrayVar(&opt.only, "only", nil, "re-send only rows matching http_status=N, status=NAME or error~TEXT")
	f.StringVar(&opt.reportPath, "report", "", "the new report (default: REPORT.retry-<time>.csv beside it)")
	f.StringVar(&opt.sandboxDir, "sandbox-dir", jobs.DefaultSandboxDir, "where the embedded sandbox keeps its records")
	return cmd
}

func retryRun(cmd *cobra.Command, env *Env, path string, opt retryOptions) error {
	filter, err := jobs.ParseFilter(opt.only)
	if err != nil {
		return &exitError{code: exitInvalid, err: err}
	}
	jobPath := opt.job
	var meta jobs.Meta
	if jobPath == "" {
		if meta, err = jobs.ReadMeta(path); err != nil {
			return &exitError{code: exitInvalid, err: err}
		}
		jobPath = meta.Job
	}
	job, err := jobs.Load(jobPath, env.Getenv)
	if err != nil {
		return err
	}
	if meta.Fingerprint != "" && meta.Fingerprint != job.Fingerprint() && !opt.force {
		return &exitError{code: exitInvalid, err: fmt.Errorf("the job %s changed since %s was made (mapping, mode, match or target); check it, then retry with --force", jobPath, path)}
	}
	src, err := jobs.OpenReport(path, filter)
	if err != nil {
		return &exitError{code: exitInvalid, err: err}
	}
	newPath := opt.reportPath
	if newPath == "" {
		newPath = jobs.RetryReportPath(path, time.Now())
	}
	soft, hard, stop := signalContexts(cmd.Context(), env, env.Stderr)
	defer stop()
	var meter progress.Meter
	res, err := jobs.Execute(soft, job, env.Systems, jobs.ExecOptions{
		Source:     src,
		ReportPath: newPath,
		SandboxDir: opt.sandboxDir,
		Calls:      hard,
		Verify:     true,
		Lock:       []string{path},
		Progress: func(total int) jobs.Progress {
			meter = progress.New(env.Stderr, total, job.Name+" retry", 5*time.Second)
			return meter
		},
	})
	if meter != nil {
		meter.Finish()
	}
	if res != nil {
		printSummary(env.Stdout, job, res)
		s := res.Summary
		ok := s.Total - s.Counts[connector.Failed] - s.Counts[connector.Skipped]
		fmt.Fprintf(env.Stdout, "re-sent %d rows of %s: %d now succeed, %d still fail\n", s.Total, path, ok, s.Total-ok)
		if from := src.(interface{ RestFrom() int }).RestFrom(); from > 0 {
			fmt.Fprintf(env.Stdout, "rows from %d on were never read by the run of %s; retry cannot send them: crmload run --resume %s\n", from, path, jobPath)
		}
	}
	return finish(res, err)
}
