package jobs

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
	Requests    int64                    `json:"requests"`    // HTTP requests the run made, at Finished
	Source      string                   `json:"source_file"` // the rows' file, absolute
	// Interrupted is set when the run stopped before its last row (Ctrl-C,
	// an abort): run --resume continues it.
	Interrupted bool `json:"interrupted,omitempty"`
	// SourceStamp identifies the source file's content, so that resume can
	// tell that the file changed since (rows are matched by number).
	SourceStamp *Stamp `json:"source_stamp,omitempty"`
}

// Stamp identifies a file's content cheaply: its size, its modification
// time and a hash of its first and last 64 KiB (hashing a file of gigabytes
// whole would cost seconds at every start).
type Stamp struct {
	Size    int64     `json:"size"`
	ModTime time.Time `json:"mod_time"`
	Hash    string    `json:"hash"`
}

// stampFile computes the Stamp of the file at path.
func stampFile(path string) (*Stamp, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("stamp %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stamp %s: %w", path, err)
	}
	const part = 64 << 10
	h := sha256.New()
	if _, err := io.Copy(h, io.LimitReader(f, part)); err != nil {
		return nil, fmt.Errorf("stamp %s: %w", path, err)
	}
	if fi.Size() > part {
		if _, err := f.Seek(max(part, fi.Size()-part), io.SeekStart); err != nil {
			return nil, fmt.Errorf("stamp %s: %w", path, err)
		}
		if _, err := io.Copy(h, f); err != nil {
			return nil, fmt.Errorf("stamp %s: %w", path, err)
		}
	}
	return &Stamp{Size: fi.Size(), ModTime: fi.ModTime().UTC(), Hash: hex.EncodeToString(h.Sum(nil)[:16])}, nil
}

// Same reports whether two stamps name the same content.
func (s *Stamp) Same(o *Stamp) bool {
	return s != nil && o != nil && s.Size == o.Size && s.ModTime.Equal(o.ModTime) && s.Hash == o.Hash
}

// SourceChanged reports, for a resume, whether the job's source file is no
// longer the one the report's run read; nil when it is the same, or when
// the source is not a file or the report predates stamps.
func SourceChanged(j *Job, m Meta) error {
	if j.Source.IsCRM() || m.SourceStamp == nil {
		return nil
	}
	now, err := stampFile(j.Source.File)
	if err != nil {
		return err
	}
	if !now.Same(m.SourceStamp) {
		return fmt.Errorf("the source %s changed since the interrupted run (size %d → %d, modified %s → %s); rows are matched by number, so resuming could skip or repeat rows: check it, then resume with --force, or start a new run",
			j.Source.File, m.SourceStamp.Size, now.Size, m.SourceStamp.ModTime.Format(time.RFC3339), now.ModTime.Format(time.RFC3339))
	}
	return nil
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
	m := Meta{Job: job, Name: j.Name, Fingerprint: j.Fingerprint(), System: j.Target.System,
		Object: j.Target.Object, Mode: j.Mode, Started: started, Source: src}
	if !j.Source.IsCRM() {
		m.SourceStamp, _ = stampFile(j.Source.File) // best effort: resume then cannot tell
	}
	return m
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
