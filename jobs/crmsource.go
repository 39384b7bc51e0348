package jobs

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"sort"
	"strings"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/mapping"
)

// crmSource is a CRM's list endpoint opened for one run: its connector
// (on the embedded sandbox when base_url says so, its HTTP calls retried
// by retryTransport), its columns and its records, pulled one at a time.
type crmSource struct {
	job     *Job
	state   string // the RunState file of since: last_run
	columns []string
	query   connector.Query
	note    string            // why since: last_run reads everything, if it does
	started time.Time         // before the first call: the next last_run
	read    int               // records pulled so far
	counter connector.Counter // the connector, when it can count a listing; nil otherwise
	done    bool              // the listing reached its end without an error

	pull   func() (mapping.Record, error, bool)
	stop   func()
	peeked *mapping.Record
	values []string // reused by valuesOf
	close  func() error
}

// openCRMSource starts the source's sandbox if any, builds its connector
// and learns its columns; output is the run's output path, beside which
// since: last_run keeps its state ("" for the job's own). Errors are
// *InvalidError (the job cannot list) or *AbortError (the CRM cannot be
// reached or refused the credentials).
func openCRMSource(ctx context.Context, j *Job, sys Systems, sandboxDir, output string, backoff time.Duration) (_ *crmSource, err error) {
	s := &crmSource{job: j, state: StatePath(j, output), close: func() error { return nil }}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	since, note, err := resolveSince(j, s.state)
	if err != nil {
		return nil, &InvalidError{Path: j.Path, Problems: []error{err}}
	}
	s.query, s.note = connector.Query{Since: since, Async: j.Source.Async}, note
	cfg := connector.Config{
		BaseURL:  j.Source.BaseURL,
		APIKey:   j.Source.Auth.APIKey,
		Username: j.Source.Auth.Username,
		Password: j.Source.Auth.Password,
		Options:  j.Source.Options,
		HTTP:     newListClient(j, newPacer(j.Run.Rate.PerSecond, j.Run.Burst), backoff),
	}
	if j.Source.Sandbox() {
		if sandboxDir == "" {
			sandboxDir = DefaultSandboxDir
		}
		sb, err := sys.Sandbox(j.Source.System, sandboxDir)
		if err != nil {
			return nil, &AbortError{fmt.Errorf("start the %s sandbox: %w", j.Source.System, err)}
		}
		s.close = sb.Stop
		cfg.BaseURL = sb.BaseURL
		if j.Source.Auth.IsZero() {
			cfg.APIKey, cfg.Username, cfg.Password = sb.Auth.APIKey, sb.Auth.Username, sb.Auth.Password
		}
	}
	conn, err := sys.Connector(j.Source.System, cfg)
	if err != nil {
		return nil, &InvalidError{Path: j.Path, Problems: []error{fmt.Errorf("source: %w", err)}}
	}
	lister, ok := conn.(connector.Lister)
	if !ok {
		return nil, &InvalidError{Path: j.Path, Problems: []error{fmt.Errorf("source.system: %s's API has no list endpoint", strings.ToUpper(j.Source.System))}}
	}
	s.counter, _ = conn.(connector.Counter)
	s.started = time.Now()
	if s.columns, err = lister.Columns(ctx, j.Source.Object); err != nil {
		return nil, s.failure(ctx, err)
	}
	s.pull, s.stop = iter.Pull2(lister.List(ctx, j.Source.Object, s.query))
	if len(s.columns) == 0 { // a connector that cannot tell: the first record's keys
		rec, err, ok := s.pull()
		if err != nil {
			return nil, s.failure(ctx, err)
		}
		if ok {
			s.peeked = &rec
		}
		s.columns = fallbackColumns(rec)
	}
	s.values = make([]string, len(s.columns))
	return s, nil
}

// next returns the next record; ok is false after the last one. An error
// ends the listing.
func (s *crmSource) next(ctx context.Context) (rec mapping.Record, ok bool, err error) {
	if s.peeked != nil {
		rec, s.peeked = *s.peeked, nil
		s.read++
		return rec, true, nil
	}
	rec, err, ok = s.pull()
	if err != nil {
		return nil, false, s.failure(ctx, err)
	}
	if !ok {
		if ctx.Err() != nil {
			return nil, false, s.failure(ctx, ctx.Err())
		}
		s.done = true
		return nil, false, nil
	}
	s.read++
	return rec, true, nil
}

// total is how many records the listing will yield, for a progress
// display: the connector's Count for the listing's query, or -1 when the
// connector cannot count, does not know, or the call fails. It never fails
// the run (the listing reports any real problem) and gives the count no
// more than two call timeouts, retries included.
func (s *crmSource) total(ctx context.Context) int {
	if s.counter == nil {
		return -1
	}
	if d := s.job.Run.Timeout.Duration; d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 2*d)
		defer cancel()
	}
	n, err := s.counter.Count(ctx, s.job.Source.Object, s.query)
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// valuesOf returns rec's values in column order, in a slice reused by the
// next call; fields the columns do not name are left out.
func (s *crmSource) valuesOf(rec mapping.Record) []string {
	for i, c := range s.columns {
		s.values[i] = rec[c]
	}
	return s.values
}

// failure classifies an error of the source as an *AbortError.
func (s *crmSource) failure(ctx context.Context, err error) error {
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, ctx.Err())) {
		return &AbortError{fmt.Errorf("interrupted while listing %s %ss", s.job.Source.System, s.job.Source.Object)}
	}
	if ce, ok := connector.AsError(err); ok && ce.Auth {
		return &AbortError{fmt.Errorf("credentials rejected by %s (source): %w", s.job.Source.System, err)}
	}
	return &AbortError{fmt.Errorf("list %s %ss: %w", s.job.Source.System, s.job.Source.Object, err)}
}

// saveState records the run for since: last_run, once it succeeded.
func (s *crmSource) saveState() error { return saveState(s.job, s.state, s.started, s.read) }

// Close ends the listing and stops the sandbox, if one was started.
func (s *crmSource) Close() error {
	if s.stop != nil {
		s.stop()
		s.stop = nil
	}
	err := s.close()
	s.close = func() error { return nil }
	return err
}

// fallbackColumns derives columns from one record for a connector whose
// Columns gives none: id, then the other fields sorted, custom fields last.
func fallbackColumns(rec mapping.Record) []string {
	var plain, custom []string
	for k := range rec {
		switch {
		case k == mapping.FieldID:
		case strings.HasPrefix(k, mapping.CustomPrefix):
			custom = append(custom, k)
		default:
			plain = append(plain, k)
		}
	}
	sort.Strings(plain)
	sort.Strings(custom)
	return append(append([]string{mapping.FieldID}, plain...), custom...)
}
