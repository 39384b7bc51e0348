package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/internal/sandbox"
	closesb "github.com/crmload/crmload/internal/sandbox/closecrm"
)

// Several API keys: every key carries its share of the calls, each within
// its own window, and no call is refused by the organisation's limit.
func TestSeveralKeysShareTheLoad(t *testing.T) {
	t.Parallel() // paced by the windows: overlap with the others
	keys := []string{"key-a", "key-b", "key-c"}
	fake := closesb.New(sandbox.Options{APIKey: keys[0], APIKeys: keys[1:],
		Faults: sandbox.Faults{RatePerSecond: 20, Burst: 1, Window: time.Second, OrgRatePerSecond: 60}})
	srv, err := sandbox.Start(fake, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close(); fake.Close() })
	dir := t.TempDir()
	src := writeCSV(t, dir, "people.csv", people(120, "x"))
	path := job(t, dir, src, srv.URL+fake.BasePath(), fmt.Sprintf(leadMapping, "create"))
	replaceInFile(t, path, `auth: { api_key: "${CLOSE_KEY}" }`, `auth: { api_key: "${K1}", api_keys: ["${K2}", "${K3}"] }`)
	setRun(t, path, "run:\n  workers: 16\n  rate: 20/s\n")
	c := newCLI(t)
	c.env["K1"], c.env["K2"], c.env["K3"] = keys[0], keys[1], keys[2]
	code, out, errOut := c.run("run", path)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if cnt := counts(readReport(t, filepath.Join(dir, "report.csv"), 120)); cnt[connector.Created] != 120 {
		t.Fatalf("counts %v", cnt)
	}
	stats := fake.Gate().KeyStats()
	for _, k := range keys {
		if s := stats[k]; s.Requests < 25 || s.OrgLimited > 0 {
			t.Fatalf("key %s: %+v (all: %+v): the keys did not share the load", k, s, stats)
		}
	}
	if strings.Contains(out+errOut, "key-b") {
		t.Fatal("a key was printed")
	}
}
