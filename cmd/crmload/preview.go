package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/crmload/crmload/internal/tabular"
	"github.com/crmload/crmload/jobs"
	"github.com/crmload/crmload/mapping"
)

func newPreviewCmd(env *Env) *cobra.Command {
	var n int
	cmd := &cobra.Command{
		Use:   "preview JOB",
		Short: "Print the first mapped records, without any API call",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			job, err := jobs.Load(args[0], env.Getenv)
			if err != nil {
				return err
			}
			return jobs.Preview(job, n, func(row tabular.Row, rec mapping.Record, err error) error {
				if err != nil {
					fmt.Fprintf(env.Stdout, "row %d: error: %s\n", row.Num, strings.ReplaceAll(err.Error(), "\n", "; "))
					return nil
				}
				fmt.Fprintf(env.Stdout, "row %d:\n", row.Num)
				for _, k := range rec.Keys() {
					if rec[k] != "" {
						fmt.Fprintf(env.Stdout, "  %-16s %s\n", k, rec[k])
					}
				}
				return nil
			})
		},
	}
	cmd.Flags().IntVarP(&n, "rows", "n", 5, "how many rows to show")
	return cmd
}
