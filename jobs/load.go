package jobs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/crmload/crmload/internal/connector"
)

// Defaults for the run block.
const (
	DefaultWorkers  = 4
	DefaultRate     = 10.0 // requests per second
	DefaultRetries  = 5
	DefaultTimeout  = 30 * time.Second
	DefaultMaxFails = 50
)

// InvalidError is a job file that cannot run; the CLI exits 2 for it.
type InvalidError struct {
	Path     string
	Problems []error
}

func (e *InvalidError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "job %s is invalid:", e.Path)
	for _, p := range e.Problems {
		b.WriteString("\n  - ")
		b.WriteString(strings.ReplaceAll(p.Error(), "\n", "\n    "))
	}
	return b.String()
}

// Load reads a job file strictly: an unknown or misspelt key is an error
// naming its line; ${VAR} references are expanded from getenv (a missing
// variable is an error naming it); relative paths are made relative to the
// job file's directory; defaults are filled in. It checks the file's own
// consistency only; Check adds what needs the source and the connector.
func Load(path string, getenv func(string) (string, bool)) (*Job, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read job: %w", err)
	}
	return Parse(path, data, getenv)
}

// Parse is Load for a job already in memory; path is used for messages and
// relative paths.
func Parse(path string, data []byte, getenv func(string) (string, bool)) (*Job, error) {
	var job Job
	if err := checkExpansion(data); err != nil {
		return nil, &InvalidError{Path: path, Problems: []error{err}}
	}
	if err := yaml.UnmarshalWithOptions(data, &job, yaml.Strict()); err != nil {
		return nil, &InvalidError{Path: path, Problems: []error{errors.New(yaml.FormatError(err, false, true))}}
	}
	job.Path = path
	var problems []error
	exp := func(field string, s *string) {
		v, err := expand(*s, getenv)
		if err != nil {
			problems = append(problems, fmt.Errorf("%s: %w", field, err))
		}
		*s = v
	}
	exp("source.file", &job.Source.File)
	expandEndpoint("source", &job.Source.BaseURL, &job.Source.Auth, job.Source.Options, exp)
	expandEndpoint("target", &job.Target.BaseURL, &job.Target.Auth, job.Target.Options, exp)
	exp("target.file", &job.Target.File)
	exp("report", &job.Report)

	dir := filepath.Dir(path)
	for _, p := range []*string{&job.Source.File, &job.Target.File, &job.Report} {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
	if job.Name == "" {
		job.Name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	problems = append(problems, job.defaults()...)
	if len(problems) > 0 {
		return nil, &InvalidError{Path: path, Problems: problems}
	}
	return &job, nil
}

// defaults fills the run block and checks the file's own consistency.
func (j *Job) defaults() []error {
	var problems []error
	bad := func(format string, args ...any) { problems = append(problems, fmt.Errorf(format, args...)) }
	r := &j.Run
	if r.Workers < 0 || r.Workers > 256 {
		bad("run.workers: %d is not between 1 and 256", r.Workers)
	}
	switch r.Prefetch {
	case "":
		r.Prefetch = PrefetchAuto
	case PrefetchAuto, PrefetchOn, PrefetchOff:
	default:
		bad("run.prefetch: %q is not auto, on or off", r.Prefetch)
	}
	if r.Rate.PerSecond == 0 {
		r.Rate.PerSecond = DefaultRate
	}
	if r.Burst == 0 {
		// Smooth: servers count requests in windows, and a burst sent at a
		// window's start is what spills into the one before it.
		r.Burst = 1
	}
	if r.Burst < 0 {
		bad("run.burst: %d is negative", r.Burst)
	}
	if r.Retries == nil {
		n := DefaultRetries
		r.Retries = &n
	}
	if *r.Retries < 0 || *r.Retries > 100 {
		bad("run.retries: %d is not between 0 and 100", *r.Retries)
	}
	if r.Timeout.Duration == 0 {
		r.Timeout.Duration = DefaultTimeout
	}
	if r.MaxFails <= 0 {
		r.MaxFails = DefaultMaxFails
	}

	problems = append(problems, j.checkShape()...)
	if j.Target.IsFile() {
		// An export has no mode, match or report: checkShape says so if
		// they were given.
		return problems
	}
	switch j.Mode {
	case connector.Create, connector.Update, connector.Upsert:
	case "":
		bad("mode: missing (create, update or upsert)")
	default:
		bad("mode: %q is not create, update or upsert", j.Mode)
	}
	if (j.Mode == connector.Update || j.Mode == connector.Upsert) && len(j.Match) == 0 {
		bad("match: %s needs a match key, e.g. match: [email]", j.Mode)
	}
	if len(j.Mapping) == 0 {
		bad("mapping: empty; map at least one source column to a field")
	}
	if j.Report == "" {
		j.Report = filepath.Join(filepath.Dir(j.Path), "reports", "{{job}}-{{date}}-{{time}}.csv")
	}
	return problems
}

// expand replaces ${NAME} with getenv(NAME); only that form is expanded, so
// a literal "$" in a password needs no escaping. "$${" writes "${".
func expand(s string, getenv func(string) (string, bool)) (string, error) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	var b strings.Builder
	var missing []string
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			break
		}
		if i > 0 && s[i-1] == '$' {
			b.WriteString(s[:i-1] + "${")
			s = s[i+2:]
			continue
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return "", fmt.Errorf("unclosed ${ in %q", s)
		}
		name := s[i+2 : i+end]
		v, ok := getenv(name)
		if !ok || v == "" {
			missing = append(missing, name)
		}
		b.WriteString(s[:i] + v)
		s = s[i+end+1:]
	}
	b.WriteString(s)
	if len(missing) > 0 {
		return "", fmt.Errorf("environment variable %s is not set", strings.Join(missing, ", "))
	}
	return b.String(), nil
}

// ReportPath returns the job's report path with {{job}}, {{date}} and
// {{time}} filled in for the moment t.
func (j *Job) ReportPath(t time.Time) string { return j.fillName(j.Report, t) }

// TargetPath returns the export's file path with {{job}}, {{date}} and
// {{time}} filled in for the moment t (local time), so a nightly run never
// overwrites yesterday's file.
func (j *Job) TargetPath(t time.Time) string { return j.fillName(j.Target.File, t) }

func (j *Job) fillName(s string, t time.Time) string {
	return strings.NewReplacer("{{job}}", j.Name, "{{date}}", t.Format("2006-01-02"), "{{time}}", t.Format("150405")).Replace(s)
}

// expandEndpoint expands the ${VAR}s of a CRM block (source or target).
func expandEndpoint(block string, baseURL *string, auth *Auth, options map[string]string, exp func(string, *string)) {
	exp(block+".base_url", baseURL)
	exp(block+".auth.api_key", &auth.APIKey)
	exp(block+".auth.username", &auth.Username)
	exp(block+".auth.password", &auth.Password)
	for i := range auth.APIKeys {
		exp(fmt.Sprintf("%s.auth.api_keys[%d]", block, i), &auth.APIKeys[i])
	}
	for k, v := range options {
		exp(block+".options."+k, &v)
		options[k] = v
	}
}
