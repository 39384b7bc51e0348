// Package jobs loads and validates job files and runs them: rows from a
// source, through the mapping, to a connector via a bounded worker pool
// paced by one token bucket per target, into the report.
package jobs

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/mapping"
)

// Job is a parsed job file. Paths in it are resolved against the job file's
// directory by Load.
//
// A job has a source and a target; each is either a file or a CRM, which
// gives three shapes (a file to a file is not a job: copy the file):
//
//	import      source: {file: people.csv}
//	            target: {system: close, object: lead, base_url: …, auth: …}
//	            mode, match and mapping required; report optional
//
//	export      source: {system: close, object: lead, base_url: …, auth: …,
//	                     since: last_run | 2024-01-01T00:00:00Z, async: true}
//	            target: {file: exports/{{job}}-{{date}}.xlsx, sheet: Leads,
//	                     formulas: keep}
//	            mapping optional (field: the column, from: the record field);
//	            no mode, match or report
//
//	CRM → CRM   source: {system: closum, object: lead, …}
//	            target: {system: close, object: lead, …}
//	            as an import, the source's records being the rows
//
// samples/jobs holds one of each.
type Job struct {
	Name    string             `yaml:"name"`
	Source  Source             `yaml:"source"`
	Target  Target             `yaml:"target"`
	Mode    connector.Mode     `yaml:"mode"`
	Match   mapping.StringList `yaml:"match"`
	Region  string             `yaml:"region"` // default phone region for phone_e164
	Mapping []mapping.Rule     `yaml:"mapping"`
	Run     RunOptions         `yaml:"run"`
	Report  string             `yaml:"report"`

	// Path is the job file the job was loaded from ("" when built in code).
	Path string `yaml:"-"`
}

// Source says where rows come from: a file (File set) or a CRM's list
// endpoint (System set), never both.
type Source struct {
	File      string `yaml:"file"`      // .csv .tsv .txt .xlsx
	Sheet     string `yaml:"sheet"`     // xlsx sheet; the first when empty
	Delimiter string `yaml:"delimiter"` // one character, or "tab"; detected when empty
	Encoding  string `yaml:"encoding"`  // utf-8 (default), windows-1252, latin1

	System  string            `yaml:"system"`   // close | closum | closum-v1 | qlara (CLOSEM cannot list)
	Object  connector.Object  `yaml:"object"`   // lead | contact
	BaseURL string            `yaml:"base_url"` // API root, or "sandbox" for the embedded fake
	Auth    Auth              `yaml:"auth"`
	Options map[string]string `yaml:"options"` // system-specific settings
	Since   Since             `yaml:"since"`   // only records changed since then
	Async   bool              `yaml:"async"`   // use the API's bulk export where it has one

	// InsecureHTTP allows a plain http:// base_url to a host other than
	// this machine; without it, credentials only travel over https.
	InsecureHTTP bool `yaml:"insecure_http"`
}

// Target says where records go: a CRM (System set) or a file (File set),
// never both.
type Target struct {
	System  string            `yaml:"system"`   // close | closum | closum-v1 | closem | qlara
	Object  connector.Object  `yaml:"object"`   // lead | contact
	BaseURL string            `yaml:"base_url"` // API root, or "sandbox" for the embedded fake
	Auth    Auth              `yaml:"auth"`
	Options map[string]string `yaml:"options"` // system-specific settings

	// InsecureHTTP allows a plain http:// base_url to a host other than
	// this machine (see Source.InsecureHTTP).
	InsecureHTTP bool `yaml:"insecure_http"`

	File     string `yaml:"file"`     // .csv .tsv .xlsx; may hold {{job}}, {{date}}, {{time}}
	Sheet    string `yaml:"sheet"`    // xlsx sheet; "Leads" or "Contacts" when empty
	Formulas string `yaml:"formulas"` // "keep" writes cells as they are; else formula-like cells are neutralised
}

// FormulasKeep is the Target.Formulas value that turns off the
// neutralisation of formula-like cells.
const FormulasKeep = "keep"

// IsCRM reports whether the source is a CRM's list endpoint.
func (s Source) IsCRM() bool { return s.System != "" }

// Sandbox reports whether the source is the embedded fake server.
func (s Source) Sandbox() bool { return s.BaseURL == "sandbox" }

// IsFile reports whether the target is a file (the job is an export).
func (t Target) IsFile() bool { return t.File != "" }

// Since is a source's "since:": the keyword last_run (the start of the
// previous successful run, kept in a state file beside the output) or a
// date ("2024-01-31") or time (RFC 3339). The zero value means every record.
type Since struct {
	LastRun bool
	At      time.Time
}

// IsZero reports whether no since was given.
func (s Since) IsZero() bool { return !s.LastRun && s.At.IsZero() }

// String returns the since as written.
func (s Since) String() string {
	switch {
	case s.LastRun:
		return "last_run"
	case s.At.IsZero():
		return ""
	}
	return s.At.Format(time.RFC3339)
}

// UnmarshalYAML reads last_run, a date or an RFC 3339 time.
func (s *Since) UnmarshalYAML(unmarshal func(any) error) error {
	var v string
	if err := unmarshal(&v); err != nil {
		return err
	}
	v = strings.TrimSpace(v)
	if v == "last_run" {
		*s = Since{LastRun: true}
		return nil
	}
	for _, layout := range []string{time.RFC3339Nano, time.DateOnly} {
		if t, err := time.Parse(layout, v); err == nil {
			*s = Since{At: t}
			return nil
		}
	}
	return fmt.Errorf("source.since: %q is not last_run, a date (2024-01-31) or an RFC 3339 time (2024-01-31T22:00:00Z)", v)
}

// Auth holds credentials, normally "${ENV_VAR}" references expanded by Load.
type Auth struct {
	APIKey   string `yaml:"api_key"`
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// APIKeys are more keys of the same account (Close lets an
	// organisation use 3× one key's rate): each key gets its own bucket
	// and calls go to whichever key can send soonest.
	APIKeys []string `yaml:"api_keys"`
}

// IsZero reports whether no credential is given.
func (a Auth) IsZero() bool {
	return a.APIKey == "" && a.Username == "" && a.Password == "" && len(a.APIKeys) == 0
}

// Keys returns every API key given, api_key first, without repeats.
func (a Auth) Keys() []string {
	var keys []string
	for _, k := range append([]string{a.APIKey}, a.APIKeys...) {
		if k != "" && !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	return keys
}

// String hides the secrets, so a job printed by mistake leaks nothing.
func (a Auth) String() string { return "{credentials hidden}" }

// GoString hides the secrets from %#v too.
func (a Auth) GoString() string { return a.String() }

// RunOptions tune the pool and the pacing.
type RunOptions struct {
	Workers  int      `yaml:"workers"`                  // concurrent calls; default: rate × observed latency (4 to 64)
	Rate     Rate     `yaml:"rate"`                     // e.g. "20/s", "600/m"; default 10/s
	Burst    int      `yaml:"burst"`                    // tokens that may be spent at once; default 1 (smooth)
	Retries  *int     `yaml:"retries"`                  // extra attempts for 5xx/timeouts; default 5
	Timeout  Duration `yaml:"timeout"`                  // per call; default 30s
	MaxFails int      `yaml:"max_consecutive_failures"` // abort after this many transport failures in a row; default 50, 0 = default
	// Prefetch reads the target's records once into a key index before an
	// update or upsert, where the API has no native upsert, so each row
	// costs one call: auto (the default: when the listing costs fewer
	// calls than the rows), on or off.
	Prefetch string `yaml:"prefetch"`
}

// The run.prefetch values.
const (
	PrefetchAuto = "auto"
	PrefetchOn   = "on"
	PrefetchOff  = "off"
)

// Sandbox reports whether the target is the embedded fake server.
func (t Target) Sandbox() bool { return t.BaseURL == "sandbox" }

// Duration is a time.Duration written as "30s" in YAML.
type Duration struct{ time.Duration }

// UnmarshalYAML parses a Go duration string.
func (d *Duration) UnmarshalYAML(unmarshal func(any) error) error {
	var s string
	if err := unmarshal(&s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil || v <= 0 {
		return fmt.Errorf("%q is not a positive duration such as 30s", s)
	}
	d.Duration = v
	return nil
}
