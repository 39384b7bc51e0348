package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/internal/progress"
	"github.com/crmload/crmload/jobs"
)

type runOptions struct {
	dryRun     bool
	resume     bool
	force      bool
	reportPath string
	sandboxDir string
}

func newRunCmd(env *Env) *cobra.Command {
	var opt runOptions
	cmd := &cobra.Command{
		Use:   "run JOB",
		Short: "Run a job: send every row and write the report",
		Long: `Run reads the job's source row by row, maps each row, sends it to the target
through a bounded pool of workers paced by a token bucket, and writes one report
line per input row as rows finish.

Ctrl-C stops taking rows, lets the calls in flight finish and reports the rest
as skipped (cancelled); the report is complete. --resume continues an
interrupted run from its report.

A job whose source is a CRM (source.system) reads that CRM's records as its
rows (CRM to CRM). A job whose target is a file (target.file) is an export:
run does exactly what "crmload export" does (see its help).

` + exitCodesHelp,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runJob(cmd, env, args[0], opt)
		},
	}
	cmd.Flags().BoolVar(&opt.dryRun, "dry-run", false, "map every row and write the report, without any call to the target")
	cmd.Flags().BoolVar(&opt.resume, "resume", false, "continue an interrupted run: skip the rows its report already has")
	cmd.Flags().BoolVar(&opt.force, "force", false, "resume even if the job changed since the report was made")
	cmd.Flags().StringVar(&opt.reportPath, "report", "", "report path (overrides the job's report:; with --resume, the report to continue)")
	cmd.Flags().StringVar(&opt.sandboxDir, "sandbox-dir", jobs.DefaultSandboxDir, "where the embedded sandbox keeps its records")
	return cmd
}

func runJob(cmd *cobra.Command, env *Env, path string, opt runOptions) error {
	job, err := jobs.Load(path, env.Getenv)
	if err != nil {
		return err
	}
	if job.Target.IsFile() { // an export: run does what export does
		return exportJob(cmd, env, job, exportOptions{sandboxDir: opt.sandboxDir})
	}
	if opt.resume {
		if opt.reportPath == "" {
			if opt.reportPath, err = jobs.FindResumable(job); err != nil {
				return &exitError{code: exitInvalid, err: err}
			}
		}
		meta, err := jobs.ReadMeta(opt.reportPath)
		if err != nil {
			return &exitError{code: exitInvalid, err: err}
		}
		if meta.Fingerprint != job.Fingerprint() && !opt.force {
			return &exitError{code: exitInvalid, err: fmt.Errorf("the job changed since %s was started (mapping, mode, match or target); check it, then resume with --force", opt.reportPath)}
		}
		if err := jobs.SourceChanged(job, meta); err != nil && !opt.force {
			return &exitError{code: exitInvalid, err: err}
		}
		fmt.Fprintf(env.Stderr, "resuming %s\n", opt.reportPath)
	}
	soft, hard, stop := signalContexts(cmd.Context(), env, env.Stderr)
	defer stop()
	var meter progress.Meter
	res, err := jobs.Execute(soft, job, env.Systems, jobs.ExecOptions{
		Resume:     opt.resume,
		DryRun:     opt.dryRun,
		ReportPath: opt.reportPath,
		SandboxDir: opt.sandboxDir,
		Calls:      hard,
		CountRows:  progress.IsTerminal(env.Stderr),
		Progress: func(total int) jobs.Progress {
			meter = progress.New(env.Stderr, total, job.Name, 5*time.Second)
			return meter
		},
	})
	if meter != nil {
		meter.Finish()
	}
	if res != nil {
		printSummary(env.Stdout, job, res)
	}
	return finish(res, err)
}

// finish turns a run's result into the exit status.
func finish(res *jobs.Result, err error) error {
	if err != nil {
		return err
	}
	if res.Cancelled {
		return &exitError{code: exitAborted, err: fmt.Errorf("interrupted; report %s is complete (run again with --resume to finish)", res.ReportPath)}
	}
	if res.Summary.Counts[connector.Failed] > 0 {
		return &exitError{code: exitFailed}
	}
	return nil
}

// printSummary writes the end-of-run summary: counts per status, pace, the
// most frequent errors.
func printSummary(w io.Writer, job *jobs.Job, res *jobs.Result) {
	s := res.Summary
	var parts []string
	for _, st := range connector.Statuses {
		parts = append(parts, fmt.Sprintf("%s %d", st, s.Counts[st]))
	}
	secs := res.Elapsed.Seconds()
	fmt.Fprintf(w, "rows %d: %s\n", s.Total, strings.Join(parts, ", "))
	if s.UnreadFrom > 0 {
		fmt.Fprintf(w, "rows from %d on: not read (skipped); run --resume sends them\n", s.UnreadFrom)
	}
	fmt.Fprintf(w, "elapsed %s, %.1f rows/s\n", res.Elapsed.Round(time.Millisecond), float64(s.Total)/max(secs, 1e-9))
	if res.Requests > 0 {
		line := fmt.Sprintf("requests %d (%.2f per row sent)", res.Requests, res.RequestsPerRow())
		if res.Prefetched >= 0 {
			line += fmt.Sprintf(", %d of them to read the key index", res.Prefetched)
		}
		if res.Limited > 0 {
			line += fmt.Sprintf(", %d answered 429", res.Limited)
		}
		fmt.Fprintln(w, line+fmt.Sprintf(", up to %d workers", res.Workers))
	}
	if most := res.WorkerBound(job); most > 0 {
		fmt.Fprintf(w, "note: %d workers at %v a call carry at most %.0f calls/s, under the %g/s rate: raise run.workers, or leave it unset to size it from the latency\n",
			job.Run.Workers, res.Latency.Round(time.Millisecond), most, job.Run.Rate.PerSecond)
	}
	if top := s.TopErrors(5); len(top) > 0 {
		fmt.Fprintln(w, "most frequent errors:")
		for _, e := range top {
			fmt.Fprintf(w, "  %5d  %s\n", e.Rows, e.Message)
		}
	}
	fmt.Fprintf(w, "report: %s\n", res.ReportPath)
}
