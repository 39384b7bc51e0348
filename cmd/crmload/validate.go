package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/crmload/crmload/jobs"
)

func newValidateCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "validate JOB",
		Short: "Check a job file without sending anything",
		Long: `Validate checks the job file strictly (unknown keys, missing environment
variables), opens the source and checks the mapping against its header, and asks
the target's connector whether it can write the object, mode, match key and
fields. It reports every problem it finds, then exits 2, or 0 when there is none.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			job, err := jobs.Load(args[0], env.Getenv)
			if err != nil {
				return err
			}
			if err := jobs.Check(job, env.Systems); err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "%s: ok (%s)\n", args[0], job.Describe())
			return nil
		},
	}
}
