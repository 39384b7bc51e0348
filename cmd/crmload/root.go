package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/crmload/crmload/internal/systems"
	"github.com/crmload/crmload/jobs"
)

// Exit codes, one place (see the package comment and README).
const (
	exitOK      = 0
	exitFailed  = 1 // some rows failed
	exitInvalid = 2 // the job is invalid
	exitAborted = 3 // aborted: credentials, target, interrupt
)

const exitCodesHelp = `Exit status:
  0  every row succeeded (created, updated, unchanged or skipped on purpose)
  1  some rows failed; the report has one line per row saying why
  2  the job file is invalid (nothing was sent)
  3  the run was aborted: credentials rejected, target unreachable,
     too many failures in a row, or interrupted (the report is complete)`

// Env is what the commands may touch of the outside world, injected so that
// tests run the CLI in-process.
type Env struct {
	Stdout, Stderr io.Writer
	Getenv         func(string) (string, bool)
	// Systems defaults to every system crmload knows.
	Systems jobs.Systems
	// Signals, when set, replaces SIGINT/SIGTERM (tests).
	Signals <-chan os.Signal
}

// exitError carries an exit code through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

// Main runs the CLI and returns its exit status.
func Main(args []string, env Env) int {
	if env.Systems == nil {
		env.Systems = systems.New()
	}
	root := newRoot(&env)
	root.SetArgs(args)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(env.Stderr, "crmload:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(env.Stderr, "crmload:", err)
	return codeFor(err)
}

// codeFor maps an error to its exit status.
func codeFor(err error) int {
	var inv *jobs.InvalidError
	var ab *jobs.AbortError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &inv):
		return exitInvalid
	case errors.As(err, &ab):
		return exitAborted
	}
	return exitInvalid // usage errors and the like
}

func newRoot(env *Env) *cobra.Command {
	root := &cobra.Command{
		Use:   "crmload",
		Short: "Move contacts and leads between spreadsheets and CRMs, accounting for every row",
		Long: `crmload runs jobs: a YAML file naming a source (CSV, XLSX), a target CRM,
a mapping from columns to fields, a mode (create, update, upsert) and a match key.
Every input row ends up exactly once in a report with its result or its error.

` + exitCodesHelp,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newRunCmd(env), newValidateCmd(env), newPreviewCmd(env), newRetryCmd(env), newSandboxCmd(env), newExportCmd(env), newInitCmd(env))
	return root
}

// signalContexts returns two contexts: the first ends at the first
// SIGINT/SIGTERM (stop taking rows), the second at the second one (cut the
// calls in flight).
func signalContexts(parent context.Context, env *Env, stderr io.Writer) (soft, hard context.Context, stop func()) {
	soft, cancelSoft := context.WithCancel(parent)
	hard, cancelHard := context.WithCancel(context.WithoutCancel(parent))
	sigs := env.Signals
	var ch chan os.Signal
	if sigs == nil {
		ch = make(chan os.Signal, 2)
		signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
		sigs = ch
	}
	done := make(chan struct{})
	go func() {
		select {
		case <-sigs:
			fmt.Fprintln(stderr, "\ncrmload: interrupted: finishing the calls in flight, the rest will be reported skipped (press Ctrl-C again to stop at once)")
			cancelSoft()
		case <-done:
			return
		}
		select {
		case <-sigs:
			fmt.Fprintln(stderr, "crmload: stopping the calls in flight")
			cancelHard()
		case <-done:
		}
	}()
	return soft, hard, func() {
		close(done)
		if ch != nil {
			signal.Stop(ch)
		}
		cancelSoft()
		cancelHard()
	}
}
