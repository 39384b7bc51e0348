package jobs

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/internal/report"
	"github.com/crmload/crmload/internal/tabular"
	"github.com/crmload/crmload/mapping"
)

// Systems gives the runner its connectors and embedded sandboxes; the CLI
// passes the full set, tests may pass fewer.
type Systems interface {
	// Connector builds the named system's connector.
	Connector(system string, cfg connector.Config) (connector.Connector, error)
	// Sandbox starts the named system's embedded fake, keeping its records
	// in dir, and returns its base URL and the credentials it accepts.
	Sandbox(system, dir string) (Sandbox, error)
}

// Sandbox is a running embedded fake.
type Sandbox struct {
	BaseURL string
	Auth    Auth
	Stop    func() error
}

// SourceOptions returns the tabular options of the job's source.
func (j *Job) SourceOptions() (tabular.Options, error) {
	opt := tabular.Options{Sheet: j.Source.Sheet, Encoding: j.Source.Encoding}
	switch d := j.Source.Delimiter; {
	case d == "":
	case strings.EqualFold(d, "tab") || d == `\t`:
		opt.Delimiter = '\t'
	case utf8.RuneCountInString(d) == 1:
		opt.Delimiter, _ = utf8.DecodeRuneInString(d)
	default:
		return opt, fmt.Errorf("source.delimiter: %q is not one character (or \"tab\")", d)
	}
	return opt, nil
}

// OpenSource opens the job's source file. A CRM source is opened by
// Execute and Export, which can make calls.
func (j *Job) OpenSource() (Rows, error) {
	if j.Source.IsCRM() {
		return nil, fmt.Errorf("source: this job lists %s %ss through the API; only a file source can be read without calls (use run or export)", j.Source.System, j.Source.Object)
	}
	opt, err := j.SourceOptions()
	if err != nil {
		return nil, err
	}
	r, err := tabular.Open(j.Source.File, opt)
	if err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	return r, nil
}

// Compile builds the job's mapper for a source header.
func (j *Job) Compile(header []string) (*mapping.Mapper, error) {
	return mapping.Compile(j.Mapping, header, mapping.Options{Region: j.Region})
}

// Check finds every problem that would stop the job, without any call to
// the target or the source: a file source must open and the mapping must
// fit its header; a CRM source must be able to list (its columns are known
// only at run time, so its mapping is checked for everything but the
// names of the fields it reads); a CRM target must accept the object,
// mode, match and fields. It returns nil or an *InvalidError listing them
// all.
func Check(j *Job, sys Systems) error {
	var problems []error
	var m *mapping.Mapper
	width := -1 // the source's columns, when known before any call
	switch {
	case j.Source.IsCRM():
		problems = append(problems, checkLister(j, sys)...)
		if len(j.Mapping) > 0 || !j.Target.IsFile() {
			var err error
			if m, err = j.Compile(ruleColumns(j.Mapping)); err != nil {
				problems = append(problems, fmt.Errorf("mapping: %w", err))
			}
		}
	default:
		src, err := j.OpenSource()
		if err != nil {
			problems = append(problems, err)
		} else {
			width = len(src.Header())
			m, err = j.Compile(src.Header())
			src.Close()
			if err != nil {
				problems = append(problems, fmt.Errorf("mapping: %w", err))
			}
		}
	}
	if !j.Target.IsFile() {
		problems = append(problems, checkTarget(j, sys, m)...)
		problems = append(problems, j.checkReport(width)...)
	}
	problems = append(problems, checkOptions(sys, j)...)
	problems = append(problems, checkTransport(j)...)
	if len(problems) > 0 {
		return &InvalidError{Path: j.Path, Problems: problems}
	}
	return nil
}

// checkTarget asks the target's connector whether it can write what the
// mapping gives.
func checkTarget(j *Job, sys Systems, m *mapping.Mapper) []error {
	var problems []error
	var fields []string
	if m != nil {
		fields = m.Fields()
	} else {
		// The mapping did not compile: check the fields its rules name
		// anyway, so that validate reports every problem at once.
		for _, r := range j.Mapping {
			for _, f := range r.Field {
				if strings.TrimSpace(f) != "" && !contains(fields, f) {
					fields = append(fields, f)
				}
			}
		}
	}
	for _, k := range j.Match {
		if len(fields) > 0 && !contains(fields, k) {
			problems = append(problems, fmt.Errorf("match: %q is not a mapped field (mapped: %s)", k, strings.Join(fields, ", ")))
		}
	}
	// Placeholder credentials: CheckWrite makes no call, and New may insist on some.
	conn, err := sys.Connector(j.Target.System, placeholderConfig(j.Target.Options))
	if err != nil {
		problems = append(problems, fmt.Errorf("target: %w", err))
	} else if len(fields) > 0 {
		if err := conn.CheckWrite(j.Target.Object, j.Mode, j.Match, fields); err != nil {
			problems = append(problems, fmt.Errorf("target %s: %w", j.Target.System, err))
		}
	}
	if !j.Target.Sandbox() && j.Target.Auth.IsZero() {
		problems = append(problems, errors.New(`target.auth: missing; give api_key: "${YOUR_ENV_VAR}"`))
	}
	return problems
}

// checkLister checks that the source system exists and can list.
func checkLister(j *Job, sys Systems) []error {
	var problems []error
	conn, err := sys.Connector(j.Source.System, placeholderConfig(j.Source.Options))
	if err != nil {
		problems = append(problems, fmt.Errorf("source: %w", err))
	} else if _, ok := conn.(connector.Lister); !ok {
		problems = append(problems, fmt.Errorf("source.system: %s's API has no list endpoint, so it can be a target but not a source", strings.ToUpper(j.Source.System)))
	}
	if !j.Source.Sandbox() && j.Source.Auth.IsZero() {
		problems = append(problems, errors.New(`source.auth: missing; give api_key: "${YOUR_ENV_VAR}"`))
	}
	return problems
}

// placeholderConfig lets a connector be built without a call: New may
// insist on credentials, and checks need none.
func placeholderConfig(options map[string]string) connector.Config {
	return connector.Config{BaseURL: "http://check.invalid", APIKey: "check", Username: "check", Password: "check", Options: options}
}

// ruleColumns is a stand-in header for a CRM source, whose real columns
// come from the connector at run time: every field the rules read.
func ruleColumns(rules []mapping.Rule) []string {
	var cols []string
	for _, r := range rules {
		for _, c := range r.From {
			if !slices.ContainsFunc(cols, func(s string) bool { return strings.EqualFold(s, c) }) {
				cols = append(cols, c)
			}
		}
	}
	return cols
}

// Preview maps the first n rows of the source, without any call, and
// passes each to fn with its mapping error, if any.
func Preview(j *Job, n int, fn func(row tabular.Row, rec mapping.Record, err error) error) error {
	src, err := j.OpenSource()
	if err != nil {
		return err
	}
	defer src.Close()
	m, err := j.Compile(src.Header())
	if err != nil {
		return &InvalidError{Path: j.Path, Problems: []error{fmt.Errorf("mapping: %w", err)}}
	}
	for i := 0; i < n; i++ {
		row, err := src.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read source: %w", err)
		}
		if row.Err != nil {
			if err := fn(row, nil, row.Err); err != nil {
				return err
			}
			continue
		}
		rec, err := m.Map(row.Values)
		if err := fn(row, rec, err); err != nil {
			return err
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// maxXLSXColumns is the widest sheet Excel opens.
const maxXLSXColumns = 16384

// checkReport checks the report path as run would name it now: its
// extension, that it is not the job's input, that its directory can be
// made and written, and that an .xlsx report fits Excel's width.
func (j *Job) checkReport(width int) []error {
	path := j.ReportPath(time.Now())
	if err := j.checkReportPath(path); err != nil {
		return []error{err}
	}
	var problems []error
	if err := checkWritableDir(filepath.Dir(path)); err != nil {
		problems = append(problems, fmt.Errorf("report: %w", err))
	}
	if width >= 0 && strings.EqualFold(filepath.Ext(path), ".xlsx") && width+len(report.Fixed) > maxXLSXColumns {
		problems = append(problems, fmt.Errorf("report: the source has %d columns; with the report's own %d, an .xlsx report would pass Excel's %d: use a .csv report", width, len(report.Fixed), maxXLSXColumns))
	}
	return problems
}

// checkWritableDir reports whether files can be created in dir, or in the
// nearest existing parent when dir does not exist yet (run makes it).
func checkWritableDir(dir string) error {
	d := dir
	for {
		fi, err := os.Stat(d)
		if err == nil {
			if !fi.IsDir() {
				return fmt.Errorf("%s is not a directory", d)
			}
			break
		}
		parent := filepath.Dir(d)
		if parent == d {
			return fmt.Errorf("no existing parent of %s", dir)
		}
		d = parent
	}
	f, err := os.CreateTemp(d, ".crmload-check-*")
	if err != nil {
		return fmt.Errorf("cannot write in %s: %w", d, err)
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

// OptionKeys is the optional ability of a Systems to say which options
// each system's connector reads, so that a misspelt key is an error rather
// than silently ignored.
type OptionKeys interface {
	OptionKeys(system string) []string
}

// checkOptions refuses source and target options the system does not read.
func checkOptions(sys Systems, j *Job) []error {
	ok, can := sys.(OptionKeys)
	if !can {
		return nil
	}
	var problems []error
	check := func(block, system string, opts map[string]string) {
		if system == "" {
			return
		}
		known := ok.OptionKeys(system)
		names := make([]string, 0, len(opts))
		for k := range opts {
			names = append(names, k)
		}
		slices.Sort(names)
		for _, k := range names {
			if slices.Contains(known, k) {
				continue
			}
			msg := fmt.Sprintf("%s.options.%s: %s takes no such option", block, k, system)
			if s := closest(k, known); s != "" {
				msg += fmt.Sprintf("; did you mean %s?", s)
			}
			if len(known) == 0 {
				msg += " (it takes none)"
			} else {
				msg += " (known: " + strings.Join(known, ", ") + ")"
			}
			problems = append(problems, errors.New(msg))
		}
	}
	check("source", j.Source.System, j.Source.Options)
	check("target", j.Target.System, j.Target.Options)
	return problems
}

// closest returns the known name within two edits of s, if any.
func closest(s string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := editDistance(strings.ToLower(s), k); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance (with adjacent swaps, so "lsit"
// is one edit from "list").
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// checkTransport refuses to send credentials in clear text over a network:
// a plain http:// base URL is only for this machine unless the block says
// insecure_http: true.
func checkTransport(j *Job) []error {
	var problems []error
	check := func(block, base string, insecure bool) {
		if base == "" || base == "sandbox" {
			return
		}
		u, err := url.Parse(base)
		if err != nil {
			problems = append(problems, fmt.Errorf("%s.base_url: %w", block, err))
			return
		}
		switch u.Scheme {
		case "https":
		case "http":
			if !insecure && !isLoopback(u.Hostname()) {
				problems = append(problems, fmt.Errorf("%s.base_url: %s is plain http to another machine: the API key would cross the network in clear; use https, or set %s.insecure_http: true if you must", block, u.Redacted(), block))
			}
		default:
			problems = append(problems, fmt.Errorf("%s.base_url: %q is not an http(s) URL", block, u.Redacted()))
		}
	}
	if j.Source.IsCRM() {
		check("source", j.Source.BaseURL, j.Source.InsecureHTTP)
	}
	if !j.Target.IsFile() {
		check("target", j.Target.BaseURL, j.Target.InsecureHTTP)
	}
	return problems
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
