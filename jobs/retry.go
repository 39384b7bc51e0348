package jobs

import (
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/internal/report"
	"github.com/crmload/crmload/internal/tabular"
)

// Retryable reports whether a report line is one retry re-sends: a failed
// row, or one a Ctrl-C or an abort skipped. Rows skipped on purpose (an
// update with no match) are not.
func Retryable(l report.Line) bool {
	return !l.Rest && (l.Status == connector.Failed || Cancelled(l))
}

// Cancelled reports whether a line is a row that a Ctrl-C or an abort kept
// from being sent (or from finishing).
func Cancelled(l report.Line) bool {
	return l.Status == connector.Skipped && strings.HasPrefix(l.Error, "cancelled")
}

// Filter narrows the lines retry re-sends: each term is "http_status=429",
// "status=failed" or "error~text" (the error contains text, any case); a
// line must match every term.
type Filter []string

// ParseFilter checks the terms of a filter.
func ParseFilter(terms []string) (Filter, error) {
	for _, t := range terms {
		if _, _, ok := splitTerm(t); !ok {
			return nil, fmt.Errorf("--only %q: want http_status=N, status=NAME or error~TEXT", t)
		}
	}
	return Filter(terms), nil
}

func splitTerm(t string) (key, val string, ok bool) {
	if k, v, found := strings.Cut(t, "~"); found && k == "error" {
		return "error~", v, true
	}
	k, v, found := strings.Cut(t, "=")
	switch k {
	case "http_status", "status":
		return k, v, found
	}
	return "", "", false
}

// Match reports whether l passes the filter.
func (f Filter) Match(l report.Line) bool {
	for _, t := range f {
		k, v, _ := splitTerm(t)
		switch k {
		case "http_status":
			if strconv.Itoa(l.HTTPStatus) != v {
				return false
			}
		case "status":
			if string(l.Status) != v {
				return false
			}
		case "error~":
			if !strings.Contains(strings.ToLower(l.Error), strings.ToLower(v)) {
				return false
			}
		}
	}
	return true
}

// reportRows streams the lines of a report that retry re-sends, as rows
// keeping their original row numbers and values.
type reportRows struct {
	r        *report.Reader
	match    func(report.Line) bool
	Count    int // rows yielded so far
	restFrom int // the first row of a range the run never read; 0 if none
}

// RestFrom returns the first row of the source that the report's run
// never read (a Ctrl-C on a big file), 0 if it read them all. Retry has
// only the report's rows: those must be sent by run --resume.
func (s *reportRows) RestFrom() int { return s.restFrom }

// OpenReport opens a report as the source of a retry: its Retryable lines
// that match f.
func OpenReport(path string, f Filter) (Rows, error) {
	r, err := report.Open(path)
	if err != nil {
		return nil, err
	}
	return &reportRows{r: r, match: func(l report.Line) bool { return Retryable(l) && f.Match(l) }}, nil
}

func (s *reportRows) Header() []string { return s.r.Header() }
func (s *reportRows) Close() error     { return s.r.Close() }

func (s *reportRows) Next() (tabular.Row, error) {
	for {
		l, err := s.r.Next()
		if err != nil {
			return tabular.Row{}, err
		}
		if l.Rest {
			s.restFrom = l.Row
			continue
		}
		if s.match(l) {
			s.Count++
			return tabular.Row{Num: l.Row, Values: l.Values}, nil
		}
	}
}

// RetryReportPath names the report of a retry of path, beside it:
// "run.csv" → "run.retry-20261123-181500.csv".
func RetryReportPath(path string, now time.Time) string {
	ext := filepath.Ext(path)
	base := strings.TrimSuffix(path, ext)
	if i := strings.LastIndex(base, ".retry-"); i >= 0 {
		base = base[:i]
	}
	return base + ".retry-" + now.Format("20060102-150405") + ext
}

// FindResumable returns the newest report of j whose run did not finish
// (a crash) or stopped early (Ctrl-C, an abort), among the files its report
// pattern can name.
func FindResumable(j *Job) (string, error) {
	pattern := strings.NewReplacer("{{job}}", j.Name, "{{date}}", "*", "{{time}}", "*").Replace(j.Report)
	matches, err := filepath.Glob(pattern)
	if err != nil {
		return "", fmt.Errorf("find the report to resume: %w", err)
	}
	type cand struct {
		path    string
		started time.Time
	}
	var open []cand
	for _, m := range matches {
		if strings.HasSuffix(m, ".meta.json") || strings.HasSuffix(m, ".journal.csv") {
			continue
		}
		meta, err := ReadMeta(m)
		if err != nil || !meta.resumable() || meta.Name != j.Name {
			continue
		}
		open = append(open, cand{m, meta.Started})
	}
	// An .xlsx report of an unfinished run exists only as its journal.
	if strings.EqualFold(filepath.Ext(pattern), ".xlsx") {
		js, _ := filepath.Glob(report.JournalPath(pattern))
		for _, jp := range js {
			m := strings.TrimSuffix(jp, ".journal.csv")
			if meta, err := ReadMeta(m); err == nil && meta.resumable() && meta.Name == j.Name {
				open = append(open, cand{m, meta.Started})
			}
		}
	}
	if len(open) == 0 {
		return "", fmt.Errorf("no interrupted or unfinished report of job %q matches %s; name it with --report", j.Name, pattern)
	}
	sort.Slice(open, func(a, b int) bool { return open[a].started.After(open[b].started) })
	return open[0].path, nil
}

// resumable reports whether the run of m has rows left to send.
func (m Meta) resumable() bool { return m.Finished.IsZero() || m.Interrupted }
