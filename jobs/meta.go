package jobs

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/crmload/crmload/internal/atomicfile"
	"github.com/crmload/crmload/internal/connector"
)

// Meta is the small file beside a report (REPORT.meta.json) that says which
// job made it, so that retry can find the job and notice when its mapping
// changed since.
type Meta struct {
	Job         string                   `json:"job"`         // job file, absolute
	Name        string                   `json:"name"`        // job name
	Fingerprint string                   `json:"fingerprint"` // of what decides how rows are sent
	System      string                   `json:"system"`      //
	Object      connector.Object         `json:"object"`      //
	Mode        connector.Mode           `json:"mode"`        //
	Started     time.Time                `json:"started"`     //
	Finished    time.Time                `json:"finished"`    // zero while running or after a crash
	Counts      map[connector.Status]int `json:"counts"`      // at Finished
	Source      string                   `json:"source_file"` // the rows' file, absolute
}

// MetaPath is where a report's Meta lives.
func MetaPath(report string) string { return report + ".meta.json" }

// Fingerprint hashes what decides how a row is sent: target, mode, match,
// region and mapping. Run options, paths and credentials are left out, so
// tuning workers or moving a file does not count as a change.
func (j *Job) Fingerprint() string {
	b, _ := json.Marshal(struct {
		System, Object, Mode, Region string
		Match                        []string
		Mapping                      any
		Options                      map[string]string
	}{j.Target.System, string(j.Target.Object), string(j.Mode), j.Region, j.Match, j.Mapping, j.Target.Options})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

func newMeta(j *Job, started time.Time) Meta {
	job, _ := filepath.Abs(j.Path)
	src, _ := filepath.Abs(j.Source.File)
	return Meta{Job: job, Name: j.Name, Fingerprint: j.Fingerprint(), System: j.Target.System,
		Object: j.Target.Object, Mode: j.Mode, Started: started, Source: src}
}

// writeMeta replaces the meta file atomically (temp file, fsync, rename).
func writeMeta(report string, m Meta) error {
	if err := atomicfile.WriteJSON(MetaPath(report), m); err != nil {
		return fmt.Errorf("write report meta: %w", err)
	}
	return nil
}

// ReadMeta reads the meta file of a report.
func ReadMeta(report string) (Meta, error) {
	var m Meta
	b, err := os.ReadFile(MetaPath(report))
	if errors.Is(err, os.ErrNotExist) {
		return m, fmt.Errorf("%s has no %s: say which job made it with --job", report, filepath.Base(MetaPath(report)))
	}
	if err != nil {
		return m, fmt.Errorf("read report meta: %w", err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("read report meta %s: %w", MetaPath(report), err)
	}
	return m, nil
}
