package jobs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/crmload/crmload/internal/sink"
	"github.com/crmload/crmload/mapping"
)

// maxExportErrors bounds the record errors an ExportResult keeps.
const maxExportErrors = 20

// ExportOptions tune one export.
type ExportOptions struct {
	SandboxDir string    // where embedded sandboxes keep their records; DefaultSandboxDir when empty
	Output     string    // replaces the job's target file (placeholders are filled in)
	Now        time.Time // fills {{date}} and {{time}}; time.Now() when zero

	// Progress builds the progress display; nil for none. Its total is the
	// source's count of the listing when the connector is a
	// connector.Counter and knows it, else -1; the display is told of every
	// record listed, written or left out.
	Progress func(total int) Progress

	backoff time.Duration // tests shorten retry waits
}

// ExportResult is what an export did.
type ExportResult struct {
	Path    string        // the file written; "" when the export failed
	Records int           // rows written
	Failed  int           // records that could not be mapped or written, left out of the file
	Errors  []string      // the first of those failures, "record <id>: <why>"
	Since   time.Time     // the listing's since; zero for every record
	Note    string        // e.g. why since: last_run read every record
	Elapsed time.Duration //
}

// Export runs a job whose target is a file: it lists the source CRM's
// records page by page and writes each one, mapped, as it arrives; nothing
// holds more than a page. The file is written beside the target under a
// temporary name and renamed into place when complete, so a failed or
// interrupted export leaves no partial file at the target path. With
// since: last_run, a successful export records its start for the next.
//
// Errors: *InvalidError (nothing was listed), *AbortError (listing failed
// after retries, credentials rejected, interrupted: no file written).
// Records that fail the mapping are left out and counted in the result.
func Export(ctx context.Context, j *Job, sys Systems, opt ExportOptions) (*ExportResult, error) {
	start := time.Now()
	if !j.Target.IsFile() {
		return nil, &InvalidError{Path: j.Path, Problems: []error{fmt.Errorf("target: %s is a CRM, so this job is not an export (use crmload run)", j.Target.System)}}
	}
	if err := Check(j, sys); err != nil {
		return nil, err
	}
	if j.Path != "" {
		// Two exports of one job at once would race on its since state.
		l, err := lockRun(j.Path, j.Name)
		if err != nil {
			return nil, &AbortError{err}
		}
		defer l.Unlock()
	}
	now := opt.Now
	if now.IsZero() {
		now = start
	}
	src, err := openCRMSource(ctx, j, sys, opt.SandboxDir, opt.Output, opt.backoff)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	res := &ExportResult{Since: src.query.Since, Note: src.note}

	w, err := newExportWriter(j, src.columns)
	if err != nil {
		return nil, err
	}
	path := opt.Output
	if path == "" {
		path = j.TargetPath(now)
	} else {
		path = j.fillName(path, now)
	}
	f, err := sink.Create(path, w.header, sink.Options{
		Sheet:        exportSheet(j),
		DateColumns:  w.dateColumns(),
		KeepFormulas: j.Target.Formulas == FormulasKeep,
	})
	if err != nil {
		return nil, &AbortError{err}
	}
	defer f.Abort() // does nothing after Commit
	fail := func(err error) (*ExportResult, error) {
		res.Records = f.Rows()
		return finish(res, start), err
	}
	var progress Progress
	if opt.Progress != nil {
		progress = opt.Progress(src.total(ctx))
	}

	for {
		rec, ok, err := src.next(ctx)
		if err != nil {
			return fail(err)
		}
		if !ok {
			break
		}
		row, err := w.row(src.valuesOf(rec))
		if err == nil {
			err = f.Write(row)
			if err != nil && !errors.Is(err, sink.ErrCellTooLong) {
				return fail(&AbortError{err})
			}
		}
		if err != nil {
			res.Failed++
			if len(res.Errors) < maxExportErrors {
				res.Errors = append(res.Errors, fmt.Sprintf("record %s: %s", rec[mapping.FieldID], oneLine(err)))
			}
		}
		// Every record listed counts, left out or not, so that a bar with
		// the listing's total ends full.
		if progress != nil {
			progress.Add(1)
		}
	}
	if err := f.Commit(); err != nil {
		return fail(&AbortError{err})
	}
	res.Path, res.Records = path, f.Rows()
	if err := src.saveState(); err != nil {
		return finish(res, start), &AbortError{fmt.Errorf("%s is complete, but %w", path, err)}
	}
	return finish(res, start), nil
}

func finish(res *ExportResult, start time.Time) *ExportResult {
	res.Elapsed = time.Since(start)
	return res
}

// exportSheet is the XLSX sheet: the job's, or the object's name ("Leads").
func exportSheet(j *Job) string {
	if j.Target.Sheet != "" {
		return j.Target.Sheet
	}
	name := string(j.Source.Object) + "s"
	return strings.ToUpper(name[:1]) + name[1:]
}

// exportWriter turns a source row into a file row: through the mapping
// when the job has one (a rule's field is a column, its from a record
// field), else every column as it is.
type exportWriter struct {
	header []string
	mapper *mapping.Mapper
	rules  []mapping.Rule
	out    []string // reused by row
}

func newExportWriter(j *Job, columns []string) (*exportWriter, error) {
	w := &exportWriter{header: columns, rules: j.Mapping}
	if len(j.Mapping) == 0 {
		return w, nil
	}
	m, err := j.Compile(columns)
	if err != nil {
		return nil, &InvalidError{Path: j.Path, Problems: []error{fmt.Errorf("mapping (%s %s fields: %s): %w",
			j.Source.System, j.Source.Object, strings.Join(columns, ", "), err)}}
	}
	w.mapper, w.header = m, m.Fields()
	w.out = make([]string, len(w.header))
	return w, nil
}

// row maps one record's values; the result is reused by the next call.
func (w *exportWriter) row(values []string) ([]string, error) {
	if w.mapper == nil {
		return values, nil
	}
	rec, err := w.mapper.Map(values)
	if err != nil {
		return nil, err
	}
	for i, f := range w.header {
		w.out[i] = rec[f]
	}
	return w.out, nil
}

// dateColumns lists the columns written as date cells in XLSX: those whose
// name says date, and those a rule fills from a field whose name does (the
// connectors' date_created, date_updated, birth_date).
func (w *exportWriter) dateColumns() []int {
	fromDate := map[string]bool{}
	for _, r := range w.rules {
		if len(r.From) == 1 && sink.IsDateColumn(r.From[0]) {
			for _, f := range r.Field {
				fromDate[f] = true
			}
		}
	}
	var cols []int
	for i, h := range w.header {
		if sink.IsDateColumn(h) || fromDate[h] {
			cols = append(cols, i)
		}
	}
	return cols
}
