package jobs

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/internal/report"
)

// BenchmarkRunner measures what crmload itself costs per row (read, map,
// pool, pacer, report) with a connector that answers at once; b.N rows.
func BenchmarkRunner(b *testing.B) {
	j := testJob(nil, connector.Upsert)
	j.Run.Rate.PerSecond = 1e9
	j.Run.Burst = 1 << 20
	src := emails(b.N)
	m, err := j.Compile(src.Header())
	if err != nil {
		b.Fatal(err)
	}
	rep, err := report.Create(filepath.Join(b.TempDir(), "r.csv"), src.Header())
	if err != nil {
		b.Fatal(err)
	}
	conn := &fakeConn{fn: func(string, int, connector.WriteOptions) (connector.Result, error) {
		return connector.Result{Status: connector.Created, ID: "x"}, nil
	}}
	r := &Runner{Job: j, Conn: conn, Mapper: m, Source: src, Report: rep}
	b.ResetTimer()
	out, err := r.Run(context.Background())
	if err != nil || out.Summary.Total != b.N {
		b.Fatalf("%v %+v", err, out.Summary)
	}
	rep.Close(nil)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
