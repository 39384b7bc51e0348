// Command crmbench measures crmload against its sandboxes with a rate
// limit and a latency like a real CRM's, next to a serial baseline run in
// the same process: requests per row for upsert, the share of the rate
// limit used at several worker counts, several API keys against per-key
// and per-organisation windows, and the local speed of a dry run.
//
// Every scenario prints one markdown table; bench/run.sh runs them all.
// It is a command, not a test: its runs last minutes and its figures are
// ratios within one run, not pass/fail thresholds.
package main

import (
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/internal/sandbox"
	"github.com/crmload/crmload/internal/systems"
	"github.com/crmload/crmload/jobs"
)

func main() {
	scenario := flag.String("scenario", "all", "upsert, rate, keys, systems, dryrun or all")
	duration := flag.Duration("duration", 60*time.Second, "length of each rate run")
	limit := flag.Int("limit", 40, "the sandbox's requests per one-second window (per key)")
	latency := flag.Duration("latency", 200*time.Millisecond, "the sandbox's latency per request")
	rows := flag.Int("rows", 2000, "rows of the upsert scenario")
	dryRows := flag.Int("dry-rows", 1_000_000, "rows of the dry-run scenario")
	workers := flag.String("workers", "1,4,8,16,32,64,0", "worker counts of the rate scenario (0: automatic)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.Parse()
	if *cpuprofile != "" {
		f := must(os.Create(*cpuprofile))
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "crmbench:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	b := &bench{dir: must(os.MkdirTemp("", "crmbench-")), sys: systems.New(), limit: *limit, latency: *latency}
	for _, w := range strings.Split(*workers, ",") {
		var n int
		if _, err := fmt.Sscan(w, &n); err != nil {
			fmt.Fprintf(os.Stderr, "crmbench: -workers %q: %v\n", *workers, err)
			os.Exit(2)
		}
		b.workers = append(b.workers, n)
	}
	defer os.RemoveAll(b.dir)
	run := func(name string, fn func() error) {
		if *scenario == "all" || *scenario == name {
			if err := fn(); err != nil {
				pprof.StopCPUProfile()
				fmt.Fprintf(os.Stderr, "crmbench %s: %v\n", name, err)
				os.Exit(1)
			}
		}
	}
	run("upsert", func() error { return b.upsert(*rows) })
	run("systems", b.systems)
	run("rate", func() error { return b.rate(*duration) })
	run("keys", func() error { return b.keys(*duration / 2) })
	run("dryrun", func() error { return b.dryRun(*dryRows) })
}

type bench struct {
	dir     string
	sys     *systems.Set
	limit   int
	latency time.Duration
	n       int   // files made so far, for unique names
	workers []int // worker counts of the rate scenario; 0 is automatic
}

// server starts a system's fake with faults and keys; stop it with the func.
func (b *bench) server(system string, f sandbox.Faults, keys ...string) (sandbox.Fake, string, func()) {
	opt := sandbox.Options{Faults: f}
	if len(keys) > 0 {
		opt.APIKey, opt.APIKeys = keys[0], keys[1:]
	}
	fake := must(b.sys.NewFake(system, opt))
	srv := must(sandbox.Start(fake, ""))
	return fake, srv.URL + fake.BasePath(), func() { srv.Close(); fake.Close() }
}

// closeLike is a Close-like API: fixed one-second windows of b.limit
// requests per key, 3× that per organisation, and b.latency per request.
func (b *bench) closeLike() sandbox.Faults {
	return sandbox.Faults{RatePerSecond: float64(b.limit), Burst: 1, Window: time.Second,
		OrgRatePerSecond: 3 * float64(b.limit), Latency: b.latency}
}

// people writes n rows of distinct people, from row first on.
func (b *bench) people(n, first int) string {
	b.n++
	path := filepath.Join(b.dir, fmt.Sprintf("people-%d.csv", b.n))
	f := must(os.Create(path))
	w := csv.NewWriter(f)
	w.Write([]string{"Company", "First Name", "Last Name", "Email", "Phone", "Title"})
	for i := first; i < first+n; i++ {
		w.Write([]string{fmt.Sprintf("Company %d", i%5000), "Ada", fmt.Sprintf("Person%d", i),
			fmt.Sprintf("p%d@example.com", i), fmt.Sprintf("+1 415 %03d %04d", 200+i/10000%800, i%10000), "Engineer"})
	}
	w.Flush()
	f.Close()
	return path
}

// mappings are each system's sample mapping, cut to what people() has.
var mappings = map[string]string{
	"close": `mapping:
  - { field: company, from: Company }
  - { field: name, from: [First Name, Last Name], transform: [trim, title] }
  - { field: email, from: Email, transform: [trim, lower, email] }
  - { field: phone, from: Phone, transform: [phone_e164] }
  - { field: title, from: Title }
`,
	"closum": `mapping:
  - { field: name, from: [First Name, Last Name], transform: [trim, title] }
  - { field: email, from: Email, transform: [trim, lower, email] }
  - { field: phone, from: Phone, transform: [phone_e164] }
  - { field: consent_email, value: "false" }
  - { field: consent_sms, value: "false" }
`,
	"closem": `mapping:
  - { field: [first_name, last_name], from: [First Name, Last Name], transform: [trim, title, split] }
  - { field: email, from: Email, transform: [trim, lower, email] }
  - { field: phone, from: Phone, transform: [phone_e164] }
`,
	"qlara": `mapping:
  - { field: first_name, from: First Name, transform: [trim, title] }
  - { field: last_name, from: Last Name, transform: [trim, title] }
  - { field: email, from: Email, transform: [trim, lower, email] }
  - { field: phone, from: Phone, transform: [phone_e164] }
  - { field: company, from: Company }
  - { field: title, from: Title }
`,
}

func mappingOf(system string) string {
	if system == "closum-v1" {
		return mappings["closum"]
	}
	return mappings[system]
}

// spec is what one run varies.
type spec struct {
	system, object, mode string
	workers              int // 0: automatic
	rate                 float64
	prefetch             string
	keys                 []string
}

func (b *bench) job(s spec, base, source string) (*jobs.Job, error) {
	b.n++
	var auth string
	switch {
	case s.system == "closum-v1":
		auth = `{ username: sandbox, password: sandbox-key }`
	case len(s.keys) > 1:
		auth = fmt.Sprintf(`{ api_key: %s, api_keys: [%s] }`, s.keys[0], strings.Join(s.keys[1:], ", "))
	default:
		auth = `{ api_key: sandbox-key }`
	}
	if len(s.keys) == 1 {
		auth = fmt.Sprintf(`{ api_key: %s }`, s.keys[0])
	}
	workers := ""
	if s.workers > 0 {
		workers = fmt.Sprintf("  workers: %d\n", s.workers)
	}
	match := "match: [email]\n"
	if s.mode == "create" {
		match = ""
	}
	text := fmt.Sprintf(`name: bench%d
source: { file: %s }
target: { system: %s, object: %s, base_url: %s, auth: %s }
mode: %s
%sregion: US
%srun:
%s  rate: %g/s
  prefetch: %s
  retries: 10
report: %s
`, b.n, source, s.system, s.object, base, auth, s.mode, match, mappingOf(s.system), workers, s.rate, s.prefetch,
		filepath.Join(b.dir, fmt.Sprintf("report-%d.csv", b.n)))
	return jobs.Parse(filepath.Join(b.dir, "job.yaml"), []byte(text), func(string) (string, bool) { return "", false })
}

func (b *bench) exec(j *jobs.Job, dry bool) (*jobs.Result, error) {
	res, err := jobs.Execute(context.Background(), j, b.sys, jobs.ExecOptions{DryRun: dry})
	if err != nil {
		return res, err
	}
	if c := res.Summary.Counts; c[connector.Failed]+c[connector.Skipped] > 0 && !dry {
		return res, fmt.Errorf("%d rows failed, %d skipped (first errors: %v)", c[connector.Failed], c[connector.Skipped], res.Summary.TopErrors(3))
	}
	return res, nil
}

func rowsPerSecond(res *jobs.Result) float64 {
	return float64(res.Summary.Total) / res.Elapsed.Seconds()
}

// upsert: a first import, then the same again, into a Close-like API, by a
// serial client (one worker, a search then a write per row) and by crmload
// as configured by default (automatic workers, prefetch: auto).
func (b *bench) upsert(rows int) error {
	fmt.Printf("\n### Upsert into an empty Close-like API (%d req/s per window, %v latency)\n\n", b.limit, b.latency)
	fmt.Println("| client | rows | run | rows/s | requests/row | 429s | % of limit |")
	fmt.Println("|---|---|---|---|---|---|---|")
	serialRows := max(20, rows/20)
	for _, c := range []struct {
		name string
		s    spec
		n    int
	}{
		{"serial baseline (1 worker, prefetch off)", spec{workers: 1, prefetch: "off"}, serialRows},
		{"8 workers, prefetch off", spec{workers: 8, prefetch: "off"}, rows},
		{"crmload default (auto workers, prefetch auto)", spec{prefetch: "auto"}, rows},
	} {
		_, base, stop := b.server("close", b.closeLike())
		src := b.people(c.n, 1)
		c.s.system, c.s.object, c.s.mode, c.s.rate = "close", "lead", "upsert", float64(b.limit)
		for _, run := range []string{"first", "again"} {
			j, err := b.job(c.s, base, src)
			if err != nil {
				stop()
				return err
			}
			res, err := b.exec(j, false)
			if err != nil {
				stop()
				return fmt.Errorf("%s, %s run: %w", c.name, run, err)
			}
			rps := float64(res.Requests) / res.Elapsed.Seconds()
			fmt.Printf("| %s | %d | %s | %.1f | %.2f | %d | %.0f%% |\n", c.name, c.n, run, rowsPerSecond(res),
				float64(res.Requests)/float64(res.Summary.Total), res.Limited, 100*rps/float64(b.limit))
		}
		stop()
	}
	return nil
}

// systems: requests per row of an upsert on every system, first import
// then again, with prefetch on and off.
func (b *bench) systems() error {
	fmt.Println("\n### Requests per upsert row, every system (500 rows, no latency)")
	fmt.Println()
	fmt.Println("| system | prefetch | first import | again (unchanged) |")
	fmt.Println("|---|---|---|---|")
	for _, sys := range []string{"close", "closum", "closum-v1", "closem", "qlara"} {
		for _, pf := range []string{"off", "on"} {
			_, base, stop := b.server(sys, sandbox.Faults{})
			src := b.people(500, 1)
			var cells []string
			for range 2 {
				obj := "lead"
				if sys == "qlara" {
					obj = "contact"
				}
				j, err := b.job(spec{system: sys, object: obj, mode: "upsert", workers: 8, rate: 5000, prefetch: pf}, base, src)
				if err != nil {
					stop()
					return err
				}
				res, err := b.exec(j, false)
				if err != nil {
					stop()
					return fmt.Errorf("%s prefetch %s: %w", sys, pf, err)
				}
				cells = append(cells, fmt.Sprintf("%.2f", float64(res.Requests)/float64(res.Summary.Total)))
			}
			stop()
			fmt.Printf("| %s | %s | %s | %s |\n", sys, pf, cells[0], cells[1])
		}
	}
	return nil
}

// rate: creates (one call a row) for d at several worker counts; the share
// of the limit used after the first second, and 429s.
func (b *bench) rate(d time.Duration) error {
	fmt.Printf("\n### Share of the rate limit used, creates for %v (%d req/s windows, %v latency)\n\n", d, b.limit, b.latency)
	fmt.Println("| workers | rows | rows/s (whole run) | requests/s after 1s | % of limit after 1s | bound by workers/latency | 429s after 1s | 429 % after 1s |")
	fmt.Println("|---|---|---|---|---|---|---|---|")
	for _, w := range b.workers {
		fake, base, stop := b.server("close", b.closeLike())
		// Enough rows to last d at the most the workers can carry.
		most := float64(b.limit)
		if w > 0 {
			most = min(most, float64(w)/b.latency.Seconds())
		}
		n := int(most * d.Seconds())
		src := b.people(n, 1)
		j, err := b.job(spec{system: "close", object: "lead", mode: "create", workers: w, rate: float64(b.limit), prefetch: "off"}, base, src)
		if err != nil {
			stop()
			return err
		}
		// The server's counts from one second in to the end: the
		// steady state the target is about, start-up left out.
		type done struct {
			res *jobs.Result
			err error
		}
		ch := make(chan done, 1)
		go func() { res, err := b.exec(j, false); ch <- done{res, err} }()
		time.Sleep(time.Second)
		reqs1, lim1, _ := fake.Gate().Stats()
		t1 := time.Now()
		out := <-ch
		reqs2, lim2, _ := fake.Gate().Stats()
		t2 := time.Now()
		stop()
		if out.err != nil {
			return fmt.Errorf("%d workers: %w", w, out.err)
		}
		name := fmt.Sprint(w)
		bound := float64(w) / b.latency.Seconds()
		if w == 0 {
			name, bound = fmt.Sprintf("auto (up to %d)", out.res.Workers), 1e9
		}
		ok := float64((reqs2 - lim2) - (reqs1 - lim1))
		steady := ok / t2.Sub(t1).Seconds()
		limited := lim2 - lim1
		fmt.Printf("| %s | %d | %.1f | %.1f | %.1f%% | %s | %d | %.2f%% |\n", name, n, rowsPerSecond(out.res), steady,
			100*steady/float64(b.limit), boundCell(bound, float64(b.limit)), limited, 100*float64(limited)/float64(reqs2-reqs1))
	}
	return nil
}

func boundCell(bound, limit float64) string {
	if bound >= limit {
		return "no"
	}
	return fmt.Sprintf("yes: %.0f/s at most", bound)
}

// keys: one key against three, each limited per key, the organisation to
// three keys' worth.
func (b *bench) keys(d time.Duration) error {
	fmt.Printf("\n### Several API keys (%d req/s per key, %d per organisation, %v latency, %v each)\n\n", b.limit, 3*b.limit, b.latency, d)
	fmt.Println("| keys | rows/s | × one key | 429s |")
	fmt.Println("|---|---|---|---|")
	var one float64
	for _, k := range []int{1, 3, 4} {
		var keys []string
		for i := range k {
			keys = append(keys, fmt.Sprintf("bench-key-%d", i))
		}
		_, base, stop := b.server("close", b.closeLike(), keys...)
		n := int(float64(k*b.limit) * d.Seconds())
		src := b.people(n, 1)
		j, err := b.job(spec{system: "close", object: "lead", mode: "create", rate: float64(b.limit), prefetch: "off", keys: keys}, base, src)
		if err != nil {
			stop()
			return err
		}
		res, err := b.exec(j, false)
		stop()
		if err != nil {
			return fmt.Errorf("%d keys: %w", k, err)
		}
		rps := rowsPerSecond(res)
		if k == 1 {
			one = rps
		}
		fmt.Printf("| %d | %.1f | %.2f | %d |\n", k, rps, rps/one, res.Limited)
	}
	return nil
}

// dryRun: the quickstart-like mapping over n CSV rows without calls.
func (b *bench) dryRun(n int) error {
	fmt.Printf("\n### Dry run: map %d CSV rows and write the report, no calls\n\n", n)
	src := b.people(n, 1)
	j, err := b.job(spec{system: "close", object: "lead", mode: "upsert", rate: 10, prefetch: "off"}, "sandbox", src)
	if err != nil {
		return err
	}
	res, err := b.exec(j, true)
	if err != nil {
		return err
	}
	fmt.Println("| rows | failed | elapsed | rows/s |")
	fmt.Println("|---|---|---|---|")
	fmt.Printf("| %d | %d | %v | %.0f |\n", res.Summary.Total, res.Summary.Counts[connector.Failed], res.Elapsed.Round(time.Millisecond), rowsPerSecond(res))
	return nil
}

func must[T any](v T, err error) T {
	if err != nil {
		fmt.Fprintln(os.Stderr, "crmbench:", err)
		os.Exit(1)
	}
	return v
}
