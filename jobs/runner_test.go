package jobs

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/internal/report"
	"github.com/crmload/crmload/internal/tabular"
	"github.com/crmload/crmload/mapping"
)

// sliceRows is an in-memory source.
type sliceRows struct {
	header []string
	rows   []tabular.Row
	i      int
}

func (s *sliceRows) Header() []string { return s.header }
func (s *sliceRows) Close() error     { return nil }
func (s *sliceRows) Next() (tabular.Row, error) {
	if s.i >= len(s.rows) {
		return tabular.Row{}, io.EOF
	}
	s.i++
	return s.rows[s.i-1], nil
}

func emails(n int) *sliceRows {
	s := &sliceRows{header: []string{"Email"}}
	for i := 1; i <= n; i++ {
		s.rows = append(s.rows, tabular.Row{Num: i, Values: []string{fmt.Sprintf("p%d@example.com", i)}})
	}
	return s
}

// fakeConn answers from a script: fn decides each call.
type fakeConn struct {
	mu    sync.Mutex
	calls map[string]int
	fn    func(email string, call int, opt connector.WriteOptions) (connector.Result, error)
}

func (f *fakeConn) CheckWrite(connector.Object, connector.Mode, []string, []string) error { return nil }
func (f *fakeConn) Prepare(context.Context, connector.Object, []string) error             { return nil }
func (f *fakeConn) Write(ctx context.Context, _ connector.Object, rec mapping.Record, opt connector.WriteOptions) (connector.Result, error) {
	f.mu.Lock()
	if f.calls == nil {
		f.calls = map[string]int{}
	}
	f.calls[rec["email"]]++
	n := f.calls[rec["email"]]
	f.mu.Unlock()
	return f.fn(rec["email"], n, opt)
}

func testJob(t *testing.T, mode connector.Mode) *Job {
	retries := 2
	j := &Job{
		Name:    "t",
		Mode:    mode,
		Match:   mapping.StringList{"email"},
		Mapping: []mapping.Rule{{Field: mapping.StringList{"email"}, From: mapping.StringList{"Email"}, Transform: mapping.StringList{"email"}, Required: true}},
		Run:     RunOptions{Workers: 4, Rate: Rate{PerSecond: 10000}, Burst: 100, Retries: &retries, MaxFails: 1000},
	}
	return j
}

func runWith(t *testing.T, j *Job, src *sliceRows, conn connector.Connector, ctx context.Context) (Outcome, map[int]report.Line) {
	t.Helper()
	m, err := j.Compile(src.Header())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "r.csv")
	rep, err := report.Create(path, src.Header())
	if err != nil {
		t.Fatal(err)
	}
	r := &Runner{Job: j, Conn: conn, Mapper: m, Source: src, Report: rep, backoff: time.Millisecond}
	out, err := r.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.Close(nil); err != nil {
		t.Fatal(err)
	}
	lines := map[int]report.Line{}
	n := 0
	if err := report.Read(path, func(_ []string, l report.Line) error {
		if l.Rest { // rows from l.Row on were not read: count them
			if l.Row != out.Summary.UnreadFrom {
				t.Errorf("range line from row %d, summary says %d", l.Row, out.Summary.UnreadFrom)
			}
			n += len(src.rows) - l.Row + 1
			return nil
		}
		n++
		if _, dup := lines[l.Row]; dup {
			t.Errorf("row %d reported twice", l.Row)
		}
		lines[l.Row] = l
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	unread := 0
	if out.Summary.UnreadFrom > 0 {
		unread = len(src.rows) - out.Summary.UnreadFrom + 1
	}
	if n != len(src.rows) || !out.Summary.Balanced() || out.Summary.Total+unread != len(src.rows) {
		t.Fatalf("report has %d lines for %d rows; summary %+v", n, len(src.rows), out.Summary)
	}
	return out, lines
}

func TestRunnerOutcomes(t *testing.T) {
	ok := func(string, int, connector.WriteOptions) (connector.Result, error) {
		return connector.Result{Status: connector.Created, ID: "x", HTTPStatus: 200}, nil
	}
	for _, tc := range []struct {
		name    string
		fn      func(email string, call int, opt connector.WriteOptions) (connector.Result, error)
		want    map[connector.Status]int
		aborted bool
	}{
		{"all created", ok, map[connector.Status]int{connector.Created: 50}, false},
		{"transient 503 then success", func(e string, call int, o connector.WriteOptions) (connector.Result, error) {
			if call == 1 {
				return connector.Result{}, &connector.Error{Op: "w", HTTPStatus: 503, Retryable: true}
			}
			return ok(e, call, o)
		}, map[connector.Status]int{connector.Created: 50}, false},
		{"429 storm", func(e string, call int, o connector.WriteOptions) (connector.Result, error) {
			if call <= 5 { // more than run.retries: 429s do not spend them
				return connector.Result{}, &connector.Error{Op: "w", HTTPStatus: 429, Retryable: true, RetryAfter: time.Millisecond}
			}
			return ok(e, call, o)
		}, map[connector.Status]int{connector.Created: 50}, false},
		{"5xx beyond retries", func(string, int, connector.WriteOptions) (connector.Result, error) {
			return connector.Result{}, &connector.Error{Op: "w", HTTPStatus: 500, Retryable: true}
		}, map[connector.Status]int{connector.Failed: 50}, false},
		{"validation error not retried", func(e string, call int, o connector.WriteOptions) (connector.Result, error) {
			if call > 1 {
				panic("retried a 400")
			}
			return connector.Result{}, &connector.Error{Op: "w", HTTPStatus: 400, Message: "bad"}
		}, map[connector.Status]int{connector.Failed: 50}, false},
		{"panic fails the row only", func(e string, call int, o connector.WriteOptions) (connector.Result, error) {
			if strings.HasPrefix(e, "p1") {
				panic("boom")
			}
			return ok(e, call, o)
		}, map[connector.Status]int{connector.Failed: 11, connector.Created: 39}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, _ := runWith(t, testJob(t, connector.Upsert), emails(50), &fakeConn{fn: tc.fn}, context.Background())
			for st, n := range tc.want {
				if out.Summary.Counts[st] != n {
					t.Errorf("%s = %d, want %d (all: %v)", st, out.Summary.Counts[st], n, out.Summary.Counts)
				}
			}
			if (out.Aborted != nil) != tc.aborted {
				t.Errorf("aborted = %v", out.Aborted)
			}
		})
	}
}

func TestRunnerAuthAborts(t *testing.T) {
	var calls atomic.Int32
	conn := &fakeConn{fn: func(string, int, connector.WriteOptions) (connector.Result, error) {
		calls.Add(1)
		return connector.Result{}, &connector.Error{Op: "w", HTTPStatus: 401, Auth: true, Message: "bad key"}
	}}
	j := testJob(t, connector.Upsert)
	j.Run.Workers = 2
	out, lines := runWith(t, j, emails(500), conn, context.Background())
	if out.Aborted == nil || !strings.Contains(out.Aborted.Error(), "credentials rejected") {
		t.Fatalf("aborted = %v", out.Aborted)
	}
	if calls.Load() > 10 {
		t.Fatalf("%d calls after a 401: the run should stop at once", calls.Load())
	}
	if out.Summary.Counts[connector.Skipped] < 490 || !strings.Contains(lines[500].Error, "credentials rejected") {
		t.Fatalf("counts %v; last line %+v", out.Summary.Counts, lines[500])
	}
}

func TestRunnerBadRowsContinue(t *testing.T) {
	src := emails(5)
	src.rows[1].Values[0] = "not-an-email"
	src.rows[3].Err = fmt.Errorf("row 4 has 2 fields, header has 1")
	conn := &fakeConn{fn: func(string, int, connector.WriteOptions) (connector.Result, error) {
		return connector.Result{Status: connector.Created}, nil
	}}
	out, lines := runWith(t, testJob(t, connector.Upsert), src, conn, context.Background())
	if out.Summary.Counts[connector.Created] != 3 || out.Summary.Counts[connector.Failed] != 2 {
		t.Fatalf("counts %v", out.Summary.Counts)
	}
	if !strings.Contains(lines[2].Error, `column "Email"`) || !strings.Contains(lines[4].Error, "2 fields") {
		t.Fatalf("errors: %q / %q", lines[2].Error, lines[4].Error)
	}
}

// Ctrl-C: calls in flight finish, and the rest of the source is not read:
// one range line accounts for it.
func TestRunnerCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var started atomic.Int32
	conn := &fakeConn{fn: func(string, int, connector.WriteOptions) (connector.Result, error) {
		if started.Add(1) == 20 {
			cancel()
		}
		time.Sleep(time.Millisecond)
		return connector.Result{Status: connector.Created}, nil
	}}
	src := emails(300)
	out, _ := runWith(t, testJob(t, connector.Upsert), src, conn, ctx)
	if !out.Cancelled || out.Summary.Counts[connector.Created] < 20 || out.Summary.UnreadFrom == 0 {
		t.Fatalf("cancelled=%v counts=%v unread from %d", out.Cancelled, out.Summary.Counts, out.Summary.UnreadFrom)
	}
	if src.i >= 100 {
		t.Fatalf("the source was read to row %d after a Ctrl-C at row ~20: stop at once", src.i)
	}
	if int(started.Load()) != out.Summary.Counts[connector.Created] {
		t.Fatalf("%d calls started but %d rows created: an in-flight call was lost", started.Load(), out.Summary.Counts[connector.Created])
	}
}

// A create that timed out after sending is verified, not blindly re-sent.
func TestRunnerVerifiesUncertainCreate(t *testing.T) {
	conn := &fakeConn{fn: func(e string, call int, o connector.WriteOptions) (connector.Result, error) {
		if call == 1 {
			return connector.Result{}, &connector.Error{Op: "w", Retryable: true, MaybeApplied: true}
		}
		if !o.Verify {
			return connector.Result{}, fmt.Errorf("re-sent a create without verifying")
		}
		return connector.Result{Status: connector.Created}, nil
	}}
	out, _ := runWith(t, testJob(t, connector.Create), emails(20), conn, context.Background())
	if out.Summary.Counts[connector.Created] != 20 {
		t.Fatalf("counts %v", out.Summary.Counts)
	}
}

// Rows sharing an email are never in flight together (no double create).
func TestRunnerSerialisesSameKey(t *testing.T) {
	src := &sliceRows{header: []string{"Email"}}
	for i := 1; i <= 40; i++ {
		src.rows = append(src.rows, tabular.Row{Num: i, Values: []string{fmt.Sprintf("P%d@example.com", i%2)}})
	}
	var inFlight sync.Map
	conn := &fakeConn{fn: func(e string, _ int, _ connector.WriteOptions) (connector.Result, error) {
		if _, busy := inFlight.LoadOrStore(strings.ToLower(e), true); busy {
			return connector.Result{}, fmt.Errorf("two rows for %s at once", e)
		}
		time.Sleep(time.Millisecond)
		inFlight.Delete(strings.ToLower(e))
		return connector.Result{Status: connector.Updated}, nil
	}}
	j := testJob(t, connector.Upsert)
	j.Run.Workers = 8
	out, _ := runWith(t, j, src, conn, context.Background())
	if out.Summary.Counts[connector.Updated] != 40 {
		t.Fatalf("counts %v", out.Summary.Counts)
	}
}

func TestRunnerTooManyFailuresAborts(t *testing.T) {
	conn := &fakeConn{fn: func(string, int, connector.WriteOptions) (connector.Result, error) {
		return connector.Result{}, &connector.Error{Op: "w", Retryable: true, Message: "connection refused"}
	}}
	j := testJob(t, connector.Upsert)
	j.Run.MaxFails = 5
	out, _ := runWith(t, j, emails(200), conn, context.Background())
	if out.Aborted == nil || out.Summary.Counts[connector.Skipped] == 0 {
		t.Fatalf("aborted=%v counts=%v", out.Aborted, out.Summary.Counts)
	}
}

// panicRows panics after some rows, like a buggy reader.
type panicRows struct{ sliceRows }

func (p *panicRows) Next() (tabular.Row, error) {
	if p.i == 3 {
		panic("reader bug")
	}
	return p.sliceRows.Next()
}

func TestRunnerSourcePanicKeepsReport(t *testing.T) {
	j := testJob(t, connector.Upsert)
	src := &panicRows{*emails(10)}
	m, _ := j.Compile(src.Header())
	rep, _ := report.Create(filepath.Join(t.TempDir(), "r.csv"), src.Header())
	r := &Runner{Job: j, Conn: &fakeConn{fn: func(string, int, connector.WriteOptions) (connector.Result, error) {
		return connector.Result{Status: connector.Created}, nil
	}}, Mapper: m, Source: src, Report: rep, backoff: time.Millisecond}
	out, err := r.Run(context.Background())
	rep.Close(nil)
	if err != nil || out.Aborted == nil || out.Summary.Total != 3 || !out.Summary.Balanced() {
		t.Fatalf("err %v aborted %v summary %+v", err, out.Aborted, out.Summary)
	}
}
