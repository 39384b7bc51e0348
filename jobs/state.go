package jobs

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/crmload/crmload/internal/atomicfile"
	"github.com/crmload/crmload/internal/connector"
)

// sinceOverlap is how far before the previous run's start "since:
// last_run" reaches back, so that a clock a little off between this machine
// and the CRM, or a record saved while that run started, is not lost. The
// price is that records changed in that minute are exported twice (an
// upsert finds them unchanged).
const sinceOverlap = time.Minute

// RunState is the small file that "since: last_run" reads: when the last
// successful run of a job started. It lives beside the job's output, in
// .crmload-state/<job>.json (see StatePath), and is replaced atomically
// (temp file, fsync, rename) only after a run succeeded.
type RunState struct {
	Job     string           `json:"job"`
	System  string           `json:"system"`   // the source it lists
	Object  connector.Object `json:"object"`   //
	LastRun time.Time        `json:"last_run"` // start of the last successful run
	Records int              `json:"records"`  // records it read
}

// StatePath is where the job's RunState lives: .crmload-state/<job>.json in
// the directory of its output — output when given (the --output or
// --report of one run), else the export file or, for a CRM → CRM job, the
// report — above any directory named with {{date}} or the like, so that
// every run finds the same file.
func StatePath(j *Job, output string) string {
	if output == "" {
		output = j.Report
		if j.Target.IsFile() {
			output = j.Target.File
		}
	}
	dir := filepath.Dir(output)
	for strings.Contains(dir, "{{") && filepath.Dir(dir) != dir {
		dir = filepath.Dir(dir)
	}
	name := strings.NewReplacer("/", "_", `\`, "_", ":", "_").Replace(j.Name)
	return filepath.Join(dir, ".crmload-state", name+".json")
}

// resolveSince turns the job's since into the query's, reading the state
// file for last_run. note says why a last_run exports everything.
func resolveSince(j *Job, path string) (since time.Time, note string, err error) {
	s := j.Source.Since
	if !s.LastRun {
		return s.At, "", nil
	}
	st, ok, err := readState(path)
	switch {
	case err != nil:
		return time.Time{}, "", err
	case !ok:
		return time.Time{}, fmt.Sprintf("since last_run: no successful run recorded in %s yet, so every record", path), nil
	case st.System != j.Source.System || st.Object != j.Source.Object:
		return time.Time{}, fmt.Sprintf("since last_run: %s records a run of %s %s, not %s %s, so every record",
			path, st.System, st.Object, j.Source.System, j.Source.Object), nil
	}
	return st.LastRun.Add(-sinceOverlap), "", nil
}

func readState(path string) (RunState, bool, error) {
	var st RunState
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return st, false, nil
	}
	if err != nil {
		return st, false, fmt.Errorf("read run state: %w", err)
	}
	if err := json.Unmarshal(b, &st); err != nil || st.LastRun.IsZero() {
		return st, false, fmt.Errorf("read run state %s: not a state file (delete it to export everything): %v", path, err)
	}
	return st, true, nil
}

// saveState records in path a successful run that started at started and
// read n records, when the job uses since: last_run.
func saveState(j *Job, path string, started time.Time, n int) error {
	if !j.Source.Since.LastRun {
		return nil
	}
	st := RunState{Job: j.Name, System: j.Source.System, Object: j.Source.Object, LastRun: started.UTC(), Records: n}
	if err := atomicfile.WriteJSON(path, st); err != nil {
		return fmt.Errorf("record the run for since last_run: %w", err)
	}
	return nil
}
