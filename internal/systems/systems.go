// Package systems lists every CRM crmload speaks, with its connector and
// its sandbox, in one visible place (no init side effects).
package systems

import (
	"fmt"
	"path/filepath"
	"sort"

	"github.com/crmload/crmload/internal/connector"
	closeconn "github.com/crmload/crmload/internal/connector/closecrm"
	closemconn "github.com/crmload/crmload/internal/connector/closem"
	closumconn "github.com/crmload/crmload/internal/connector/closum"
	closumv1conn "github.com/crmload/crmload/internal/connector/closumv1"
	qlaraconn "github.com/crmload/crmload/internal/connector/qlara"
	"github.com/crmload/crmload/internal/sandbox"
	closesb "github.com/crmload/crmload/internal/sandbox/closecrm"
	closemsb "github.com/crmload/crmload/internal/sandbox/closem"
	closumsb "github.com/crmload/crmload/internal/sandbox/closum"
	closumv1sb "github.com/crmload/crmload/internal/sandbox/closumv1"
	qlarasb "github.com/crmload/crmload/internal/sandbox/qlara"
	"github.com/crmload/crmload/jobs"
)

// Set is the systems crmload knows.
type Set struct {
	conns   connector.Registry
	fakes   map[string]func(sandbox.Options) sandbox.Fake
	options map[string][]string
}

// New returns every system.
func New() *Set {
	s := &Set{fakes: map[string]func(sandbox.Options) sandbox.Fake{}, options: map[string][]string{}}
	// The options each connector's New reads (see their package comments).
	s.add("close", closeconn.New, func(o sandbox.Options) sandbox.Fake { return closesb.New(o) }, "max_skip", "region")
	s.add("closum", closumconn.New, func(o sandbox.Options) sandbox.Fake { return closumsb.New(o) }, "page_size")
	s.add("closum-v1", closumv1conn.New, func(o sandbox.Options) sandbox.Fake { return closumv1sb.New(o) }, "contact_type_id", "page_size", "region")
	s.add("closem", closemconn.New, func(o sandbox.Options) sandbox.Fake { return closemsb.New(o) }, "action")
	s.add("qlara", qlaraconn.New, func(o sandbox.Options) sandbox.Fake { return qlarasb.New(o) }, "create_list", "list", "list_batch_size")
	return s
}

func (s *Set) add(name string, f connector.Factory, fake func(sandbox.Options) sandbox.Fake, options ...string) {
	s.conns.Register(name, f)
	s.fakes[name] = fake
	s.options[name] = options
}

// OptionKeys lists the options a system's connector reads.
func (s *Set) OptionKeys(system string) []string { return s.options[system] }

// Connector builds a system's connector.
func (s *Set) Connector(system string, cfg connector.Config) (connector.Connector, error) {
	return s.conns.New(system, cfg)
}

// Names lists the systems, sorted.
func (s *Set) Names() []string { return s.conns.Names() }

// NewFake builds a system's fake server (not yet listening).
func (s *Set) NewFake(system string, opt sandbox.Options) (sandbox.Fake, error) {
	f, ok := s.fakes[system]
	if !ok {
		names := make([]string, 0, len(s.fakes))
		for n := range s.fakes {
			names = append(names, n)
		}
		sort.Strings(names)
		return nil, fmt.Errorf("no sandbox for system %q (have: %v)", system, names)
	}
	return f(opt), nil
}

// StatePath is where a system's embedded sandbox keeps its records in dir.
func StatePath(dir, system string) string { return filepath.Join(dir, system+".json") }

// Sandbox starts a system's embedded fake on 127.0.0.1 with its records
// kept in dir, accepting the default credentials.
func (s *Set) Sandbox(system, dir string) (jobs.Sandbox, error) {
	fake, err := s.NewFake(system, sandbox.Options{StatePath: StatePath(dir, system)})
	if err != nil {
		return jobs.Sandbox{}, err
	}
	srv, err := sandbox.Start(fake, "")
	if err != nil {
		fake.Close()
		return jobs.Sandbox{}, err
	}
	return jobs.Sandbox{
		BaseURL: srv.URL + fake.BasePath(),
		Auth:    jobs.Auth{APIKey: sandbox.DefaultKey, Username: sandbox.DefaultUser, Password: sandbox.DefaultKey},
		Stop: func() error {
			srv.Close()
			return fake.Close()
		},
	}, nil
}
