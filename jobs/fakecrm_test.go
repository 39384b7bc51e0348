package jobs

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/mapping"
)

// fakeCRM is a connector that lists scripted records and stores what is
// written to it, keyed by email.
type fakeCRM struct {
	columns []string
	records []mapping.Record
	failAt  int               // List yields an error instead of record failAt (1-based); 0 never
	onList  func(i int)       // called before each record is yielded, if set
	since   []connector.Query // every List's query
	mu      sync.Mutex        //
	stored  map[string]mapping.Record
}

func (f *fakeCRM) CheckWrite(connector.Object, connector.Mode, []string, []string) error { return nil }
func (f *fakeCRM) Prepare(context.Context, connector.Object, []string) error             { return nil }

func (f *fakeCRM) Write(_ context.Context, _ connector.Object, rec mapping.Record, _ connector.WriteOptions) (connector.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stored == nil {
		f.stored = map[string]mapping.Record{}
	}
	key := rec[mapping.FieldEmail]
	if key == "bounce@example.com" {
		return connector.Result{}, &connector.Error{Op: "create lead", HTTPStatus: 400, Message: "refused"}
	}
	old, found := f.stored[key]
	f.stored[key] = rec
	switch {
	case !found:
		return connector.Result{Status: connector.Created, ID: "t-" + key}, nil
	case fmt.Sprint(old) == fmt.Sprint(rec):
		return connector.Result{Status: connector.Unchanged, ID: "t-" + key}, nil
	}
	return connector.Result{Status: connector.Updated, ID: "t-" + key}, nil
}

func (f *fakeCRM) Columns(context.Context, connector.Object) ([]string, error) {
	return f.columns, nil
}

func (f *fakeCRM) List(ctx context.Context, _ connector.Object, q connector.Query) iter.Seq2[mapping.Record, error] {
	f.mu.Lock()
	f.since = append(f.since, q)
	f.mu.Unlock()
	return func(yield func(mapping.Record, error) bool) {
		for i, r := range f.records {
			if f.onList != nil {
				f.onList(i + 1)
			}
			if err := ctx.Err(); err != nil {
				yield(nil, err)
				return
			}
			if f.failAt == i+1 {
				yield(nil, &connector.Error{Op: fmt.Sprintf("list leads page %d", i/100+1), HTTPStatus: 503, Retryable: true})
				return
			}
			if !yield(r, nil) {
				return
			}
		}
	}
}

// writeOnly is a connector that cannot list (like CLOSEM).
type writeOnly struct{}

func (writeOnly) CheckWrite(connector.Object, connector.Mode, []string, []string) error { return nil }
func (writeOnly) Prepare(context.Context, connector.Object, []string) error             { return nil }
func (writeOnly) Write(context.Context, connector.Object, mapping.Record, connector.WriteOptions) (connector.Result, error) {
	return connector.Result{}, errors.New("not used")
}

// fakeSystems serves connectors by name; it has no sandboxes.
type fakeSystems map[string]connector.Connector

func (s fakeSystems) Connector(system string, _ connector.Config) (connector.Connector, error) {
	c, ok := s[system]
	if !ok {
		return nil, fmt.Errorf("unknown system %q", system)
	}
	return c, nil
}

func (s fakeSystems) Sandbox(system, _ string) (Sandbox, error) {
	return Sandbox{}, fmt.Errorf("no sandbox for %s in tests", system)
}

// people returns n lead records as a listing connector yields them.
func people(n int) []mapping.Record {
	out := make([]mapping.Record, n)
	for i := range out {
		out[i] = mapping.Record{
			"id":                 fmt.Sprintf("lead_%03d", i+1),
			"name":               fmt.Sprintf("Person %d", i+1),
			"email":              fmt.Sprintf("p%d@example.com", i+1),
			"custom.Lead Source": "web",
			"date_created":       "2024-03-15T10:30:00Z",
		}
	}
	return out
}

var peopleColumns = []string{"id", "name", "email", "custom.Lead Source", "date_created"}

// loadJob writes text as a job file in dir and loads it.
func loadJob(t *testing.T, dir, text string) *Job {
	t.Helper()
	path := filepath.Join(dir, "job.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	j, err := Load(path, func(string) (string, bool) { return "k", true })
	if err != nil {
		t.Fatal(err)
	}
	return j
}
