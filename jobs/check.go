package jobs

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/crmload/crmload/internal/connector"
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

// OpenSource opens the job's source file.
func (j *Job) OpenSource() (Rows, error) {
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
// the target: the source must open, the mapping must fit its header, the
// match key must be mapped, and the connector must accept the object, mode,
// match and fields. It returns nil or an *InvalidError listing them all.
func Check(j *Job, sys Systems) error {
	var problems []error
	src, err := j.OpenSource()
	var m *mapping.Mapper
	if err != nil {
		problems = append(problems, err)
	} else {
		m, err = j.Compile(src.Header())
		src.Close()
		if err != nil {
			problems = append(problems, fmt.Errorf("mapping: %w", err))
		}
	}
	// The fields the rules name, even when the mapping does not compile, so
	// that the connector's objections come in the same list.
	var fields []string
	for _, r := range j.Mapping {
		fields = append(fields, r.Field...)
	}
	if m != nil {
		fields = m.Fields()
		for _, k := range j.Match {
			if !contains(fields, k) {
				problems = append(problems, fmt.Errorf("match: %q is not a mapped field (mapped: %s)", k, strings.Join(fields, ", ")))
			}
		}
	}
	// Placeholder credentials: CheckWrite makes no call, and New may insist on some.
	conn, err := sys.Connector(j.Target.System, connector.Config{BaseURL: "http://check.invalid", APIKey: "check", Username: "check", Password: "check", Options: j.Target.Options})
	if err != nil {
		problems = append(problems, fmt.Errorf("target: %w", err))
	} else {
		if err := conn.CheckWrite(j.Target.Object, j.Mode, j.Match, fields); err != nil {
			problems = append(problems, fmt.Errorf("target %s: %w", j.Target.System, err))
		}
	}
	if !j.Target.Sandbox() && j.Target.Auth == (Auth{}) {
		problems = append(problems, errors.New(`target.auth: missing; give api_key: "${YOUR_ENV_VAR}"`))
	}
	if len(problems) > 0 {
		return &InvalidError{Path: j.Path, Problems: problems}
	}
	return nil
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
