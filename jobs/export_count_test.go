package jobs

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/crmload/crmload/internal/connector"
)

// countingCRM is a fakeCRM that can count its listing: count answers
// Count, given the records List would yield.
type countingCRM struct {
	*fakeCRM
	count func(ctx context.Context, listed int) (int, error)

	qmu     sync.Mutex        // guards queries (fakeCRM.mu guards the rest)
	queries []connector.Query // every Count's query
}

func (c *countingCRM) Count(ctx context.Context, _ connector.Object, q connector.Query) (int, error) {
	c.qmu.Lock()
	c.queries = append(c.queries, q)
	c.qmu.Unlock()
	return c.count(ctx, len(c.records))
}

// progressLog records what an export tells its progress display.
type progressLog struct {
	mu     sync.Mutex
	totals []int // one per display built
	added  int
}

func (p *progressLog) build(total int) Progress {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.totals = append(p.totals, total)
	return p
}

func (p *progressLog) Add(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.added += n
}

func TestExportProgressTotal(t *testing.T) {
	knows := func(_ context.Context, listed int) (int, error) { return listed, nil }
	tests := []struct {
		name      string
		count     func(ctx context.Context, listed int) (int, error) // nil: not a Counter
		run       string                                             // the job's run block
		wantTotal bool                                               // the total is the listing's size, else -1
	}{
		{"not a counter", nil, "", false},
		{"counts", knows, "", true},
		{"unknown", func(context.Context, int) (int, error) { return -1, nil }, "", false},
		{"count fails", func(context.Context, int) (int, error) {
			return 0, &connector.Error{Op: "count leads", HTTPStatus: 503, Retryable: true}
		}, "", false},
		{"count hangs past two call timeouts", func(ctx context.Context, _ int) (int, error) {
			<-ctx.Done()
			return 0, ctx.Err()
		}, "run: { timeout: 50ms }\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			recs := people(40)
			recs[7]["email"] = "" // left out by the mapping, yet counted as listed
			base := &fakeCRM{columns: peopleColumns, records: recs}
			var conn connector.Connector = base
			var counter *countingCRM
			if tt.count != nil {
				counter = &countingCRM{fakeCRM: base, count: tt.count}
				conn = counter
			}
			j := loadJob(t, dir, exportJobText("2024-01-01", tt.run+`mapping:
  - { field: id, from: id }
  - { field: email, from: email, required: true }
`))
			var p progressLog
			res, err := Export(context.Background(), j, fakeSystems{"fake": conn}, ExportOptions{Now: day, Progress: p.build})
			if err != nil {
				t.Fatalf("export failed: %v", err)
			}
			if res.Records != len(recs)-1 || res.Failed != 1 {
				t.Fatalf("result %+v", res)
			}
			want := -1
			if tt.wantTotal {
				want = len(recs)
			}
			if len(p.totals) != 1 || p.totals[0] != want {
				t.Errorf("progress totals %v, want [%d]", p.totals, want)
			}
			if p.added != len(recs) {
				t.Errorf("progress told of %d records, %d were listed", p.added, len(recs))
			}
			if counter != nil {
				if len(counter.queries) != 1 || len(base.since) != 1 || counter.queries[0] != base.since[0] {
					t.Errorf("Count queries %v, List queries %v: want one Count with List's query", counter.queries, base.since)
				}
			}
		})
	}
}

// Without a progress display the count is not asked for.
func TestExportCountsOnlyForProgress(t *testing.T) {
	crm := &countingCRM{fakeCRM: &fakeCRM{columns: peopleColumns, records: people(3)},
		count: func(context.Context, int) (int, error) { return 0, errors.New("must not be called") }}
	j := loadJob(t, t.TempDir(), exportJobText("2024-01-01", ""))
	if _, err := Export(context.Background(), j, fakeSystems{"fake": crm}, ExportOptions{Now: day}); err != nil {
		t.Fatal(err)
	}
	if len(crm.queries) != 0 {
		t.Errorf("Count called %d times with no progress display", len(crm.queries))
	}
}
