package main

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/crmload/crmload/internal/progress"
	"github.com/crmload/crmload/jobs"
)

type exportOptions struct {
	output     string
	sandboxDir string
}

const exportExitHelp = `Exit status:
  0  the file is written with every record
  1  the file is written, but some records could not be mapped and are left
     out (they are listed)
  2  the job file is invalid (nothing was listed)
  3  the export failed or was interrupted: listing failed after retries,
     credentials rejected; no file was written at the target path`

func newExportCmd(env *Env) *cobra.Command {
	var opt exportOptions
	cmd := &cobra.Command{
		Use:   "export JOB",
		Short: "Export a CRM's leads or contacts to a CSV or XLSX file",
		Long: `Export runs a job whose source is a CRM (source.system) and whose target is a
file (target.file): it lists every record page by page, maps each one to the
file's columns and writes it as it arrives, so memory stays flat however many
records there are. "crmload run" on such a job does exactly the same.

The file is written under a temporary name beside the target and renamed into
place when complete: a failed or interrupted export never leaves half a file.
The target name may hold {{job}}, {{date}} and {{time}}, so a nightly run
keeps yesterday's file. A page that fails is retried (429 after the server's
wait; 5xx, timeouts and dropped connections up to run.retries times with
backoff).

With "since: last_run" only the records created or updated since the start of
the previous successful export are written (the first run writes all); that
start is kept in .crmload-state/<job>.json beside the output.

Cells that a spreadsheet would run as formulas (starting with = + - @, tab,
CR or LF) get a leading ' unless the job says "formulas: keep"; plain numbers
and phone numbers such as +14155550123 are left alone.

` + exportExitHelp,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			job, err := jobs.Load(args[0], env.Getenv)
			if err != nil {
				return err
			}
			return exportJob(cmd, env, job, opt)
		},
	}
	cmd.Flags().StringVarP(&opt.output, "output", "o", "", "file to write (overrides the job's target.file; {{date}} etc. allowed)")
	cmd.Flags().StringVar(&opt.sandboxDir, "sandbox-dir", jobs.DefaultSandboxDir, "where the embedded sandbox keeps its records")
	return cmd
}

// exportJob runs a loaded export job; run uses it too.
func exportJob(cmd *cobra.Command, env *Env, job *jobs.Job, opt exportOptions) error {
	soft, _, stop := signalContexts(cmd.Context(), env, env.Stderr)
	defer stop()
	var meter progress.Meter
	res, err := jobs.Export(soft, job, env.Systems, jobs.ExportOptions{
		SandboxDir: opt.sandboxDir,
		Output:     opt.output,
		Progress: func(total int) jobs.Progress {
			meter = progress.New(env.Stderr, total, job.Name, 5*time.Second)
			return meter
		},
	})
	if meter != nil {
		meter.Finish()
	}
	if res != nil {
		printExport(env.Stdout, job, res, err == nil)
	}
	if err != nil {
		return err
	}
	if res.Failed > 0 {
		return &exitError{code: exitFailed}
	}
	return nil
}

// printExport writes the end-of-export summary.
func printExport(w io.Writer, job *jobs.Job, res *jobs.ExportResult, ok bool) {
	if res.Note != "" {
		fmt.Fprintln(w, "note:", res.Note)
	} else if !res.Since.IsZero() {
		fmt.Fprintf(w, "since %s\n", res.Since.Format(time.RFC3339))
	}
	if ok {
		fmt.Fprintf(w, "exported %d %ss from %s to %s in %s\n", res.Records, job.Source.Object, job.Source.System,
			res.Path, res.Elapsed.Round(time.Millisecond))
	} else {
		fmt.Fprintf(w, "no file written (%d %ss were read before the export stopped)\n", res.Records+res.Failed, job.Source.Object)
	}
	if res.Failed > 0 {
		fmt.Fprintf(w, "%d records left out:\n", res.Failed)
		for _, e := range res.Errors {
			fmt.Fprintln(w, " ", e)
		}
		if res.Failed > len(res.Errors) {
			fmt.Fprintf(w, "  … and %d more\n", res.Failed-len(res.Errors))
		}
	}
}
