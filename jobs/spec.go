// Package jobs loads and validates job files and runs them: rows from a
// source, through the mapping, to a connector via a bounded worker pool
// paced by one token bucket per target, into the report.
package jobs

import (
	"fmt"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/mapping"
)

// Job is a parsed job file. Paths in it are resolved against the job file's
// directory by Load.
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

// Source says where rows come from.
type Source struct {
	File      string `yaml:"file"`      // .csv .tsv .txt .xlsx
	Sheet     string `yaml:"sheet"`     // xlsx sheet; the first when empty
	Delimiter string `yaml:"delimiter"` // one character, or "tab"; detected when empty
	Encoding  string `yaml:"encoding"`  // utf-8 (default), windows-1252, latin1
}

// Target says where records go.
type Target struct {
	System  string            `yaml:"system"`   // close | closum | closum-v1 | closem | qlara
	Object  connector.Object  `yaml:"object"`   // lead | contact
	BaseURL string            `yaml:"base_url"` // API root, or "sandbox" for the embedded fake
	Auth    Auth              `yaml:"auth"`
	Options map[string]string `yaml:"options"` // system-specific settings
}

// Auth holds credentials, normally "${ENV_VAR}" references expanded by Load.
type Auth struct {
	APIKey   string `yaml:"api_key"`
	Username string `yaml:"username"`
	Password string `yaml:"password"`
}

// String hides the secrets, so a job printed by mistake leaks nothing.
func (a Auth) String() string { return "{credentials hidden}" }

// GoString hides the secrets from %#v too.
func (a Auth) GoString() string { return a.String() }

// RunOptions tune the pool and the pacing.
type RunOptions struct {
	Workers  int      `yaml:"workers"`                  // concurrent calls; default 4
	Rate     Rate     `yaml:"rate"`                     // e.g. "20/s", "600/m"; default 10/s
	Burst    int      `yaml:"burst"`                    // default: workers
	Retries  *int     `yaml:"retries"`                  // extra attempts for 5xx/timeouts; default 5
	Timeout  Duration `yaml:"timeout"`                  // per call; default 30s
	MaxFails int      `yaml:"max_consecutive_failures"` // abort after this many transport failures in a row; default 50, 0 = default
}

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
