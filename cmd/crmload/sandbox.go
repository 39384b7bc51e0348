package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/crmload/crmload/internal/sandbox"
	"github.com/crmload/crmload/internal/systems"
	"github.com/crmload/crmload/jobs"
)

type sandboxOptions struct {
	systems  []string
	addr     string
	dir      string
	reset    bool
	key      string
	moreKeys []string
	faults   sandbox.Faults
	// windowSet and orgRateSet say the flags were given: Close then keeps
	// them instead of its documented defaults.
	windowSet, orgRateSet bool
	memory                bool
}

func newSandboxCmd(env *Env) *cobra.Command {
	var opt sandboxOptions
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Serve the fake CRM APIs on 127.0.0.1 until interrupted",
		Long: `Sandbox serves the fake of each system (close, closum, closum-v1, closem,
qlara) on its own port of 127.0.0.1 and prints one line per system:

  <system> <base URL> key=<api key>

The fakes keep their records in --dir, the same place jobs with
"base_url: sandbox" use, so what one command imports the next one sees.
--reset clears those records and exits.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opt.windowSet, opt.orgRateSet = cmd.Flags().Changed("window"), cmd.Flags().Changed("org-rate")
			return serveSandboxes(cmd.Context(), env, opt)
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&opt.systems, "system", nil, "systems to serve (default: all)")
	f.StringVar(&opt.addr, "addr", "127.0.0.1:0", "listen address for the first system (others take the next free ports); port 0 = OS picks")
	f.StringVar(&opt.dir, "dir", jobs.DefaultSandboxDir, "where the fakes keep their records")
	f.BoolVar(&opt.memory, "memory", false, "keep records in memory only")
	f.BoolVar(&opt.reset, "reset", false, "clear the fakes' records and exit")
	f.StringVar(&opt.key, "key", sandbox.DefaultKey, "API key (and Closum v1 password) the fakes accept")
	f.Float64Var(&opt.faults.RatePerSecond, "rate", 0, "requests per second allowed per key (0 = unlimited)")
	f.IntVar(&opt.faults.Burst, "burst", 5, "requests allowed at once per key (token buckets; no effect with --window)")
	f.DurationVar(&opt.faults.Window, "window", 0, "count requests in fixed windows of this length, as Close does (e.g. 1s), instead of token buckets")
	f.Float64Var(&opt.faults.OrgRatePerSecond, "org-rate", 0, "requests per second allowed for all keys together (Close: 3× --rate; 0 = no limit)")
	f.StringSliceVar(&opt.moreKeys, "more-keys", nil, "more API keys of the same organisation the fakes accept")
	f.DurationVar(&opt.faults.Latency, "latency", 0, "added to every request")
	f.Float64Var(&opt.faults.Error429, "fail-429", 0, "fraction of requests answered 429")
	f.Float64Var(&opt.faults.Error5xx, "fail-5xx", 0, "fraction of requests answered 503")
	f.Float64Var(&opt.faults.Timeout, "fail-timeout", 0, "fraction of requests done but never answered")
	f.DurationVar(&opt.faults.Hang, "hang", 30*time.Second, "how long a never-answered request hangs")
	return cmd
}

func serveSandboxes(ctx context.Context, env *Env, opt sandboxOptions) error {
	set, ok := env.Systems.(*systems.Set)
	if !ok {
		return fmt.Errorf("sandbox: no fakes available")
	}
	names := opt.systems
	if len(names) == 0 {
		names = set.Names()
	}
	if opt.reset {
		for _, n := range names {
			if err := os.Remove(systems.StatePath(opt.dir, n)); err != nil && !os.IsNotExist(err) {
				return fmt.Errorf("reset %s sandbox: %w", n, err)
			}
		}
		fmt.Fprintf(env.Stdout, "sandbox records cleared in %s (%s)\n", opt.dir, strings.Join(names, ", "))
		return nil
	}
	var stops []func()
	defer func() {
		for _, s := range stops {
			s()
		}
	}()
	for i, n := range names {
		so := sandbox.Options{APIKey: opt.key, APIKeys: opt.moreKeys, Password: opt.key, Faults: opt.faults}
		if n == "close" && so.Faults.RatePerSecond > 0 {
			// Close counts in one-second windows, per key and 3× per
			// organisation (its rate-limit doc), unless told otherwise.
			if !opt.windowSet {
				so.Faults.Window = time.Second
			}
			if !opt.orgRateSet {
				so.Faults.OrgRatePerSecond = 3 * so.Faults.RatePerSecond
			}
		}
		if !opt.memory {
			so.StatePath = systems.StatePath(opt.dir, n)
		}
		fake, err := set.NewFake(n, so)
		if err != nil {
			return err
		}
		addr := "127.0.0.1:0"
		if i == 0 {
			addr = opt.addr
		}
		srv, err := sandbox.Start(fake, addr)
		if err != nil {
			fake.Close()
			return err
		}
		stops = append(stops, func() { srv.Close(); fake.Close() })
		fmt.Fprintf(env.Stdout, "%s %s%s key=%s\n", n, srv.URL, fake.BasePath(), opt.key)
	}
	if f, ok := env.Stdout.(*os.File); ok {
		f.Sync()
	}
	if env.Signals != nil {
		select {
		case <-env.Signals:
		case <-ctx.Done():
		}
		return nil
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	return nil
}
