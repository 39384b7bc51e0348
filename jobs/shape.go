package jobs

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/crmload/crmload/internal/connector"
)

// checkShape checks the job's source and target blocks and how they
// combine (see Job): each is a file or a CRM, keys that belong to the other
// kind are errors rather than silently ignored, and a file to a file is
// not a job.
func (j *Job) checkShape() []error {
	var problems []error
	bad := func(format string, args ...any) { problems = append(problems, fmt.Errorf(format, args...)) }
	s, t := &j.Source, &j.Target

	switch {
	case s.File != "" && s.IsCRM():
		bad("source: give file (a CSV, TSV or XLSX to read) or system (a CRM to list), not both")
	case s.File == "" && !s.IsCRM():
		bad("source: missing: give file (a CSV, TSV or XLSX to read) or system (a CRM to list: close, closum, closum-v1 or qlara)")
	case s.IsCRM():
		for _, k := range s.fileKeys() {
			bad("source.%s: only for a file source; a CRM source (system: %s) takes object, base_url, auth, options, since and async", k, s.System)
		}
		problems = append(problems, checkEndpoint("source", s.Object, s.BaseURL)...)
	default:
		for _, k := range s.crmKeys() {
			bad("source.%s: only for a CRM source (source.system); a file source takes file, sheet, delimiter and encoding", k)
		}
	}

	switch {
	case t.IsFile() && t.System != "":
		bad("target: give system (a CRM to write to) or file (a .csv, .tsv or .xlsx to export to), not both")
	case !t.IsFile() && t.System == "":
		bad("target: missing: give system (a CRM to write to: close, closum, closum-v1, closem or qlara) or file (a .csv, .tsv or .xlsx to export to)")
	case t.IsFile():
		for _, k := range t.crmKeys() {
			bad("target.%s: only for a CRM target; a file target takes file, sheet and formulas", k)
		}
		switch ext := strings.ToLower(filepath.Ext(t.File)); ext {
		case ".csv", ".tsv", ".xlsx":
			if t.Sheet != "" && ext != ".xlsx" {
				bad("target.sheet: only an .xlsx file has sheets")
			}
		default:
			bad("target.file: %q is not a .csv, .tsv or .xlsx file", filepath.Base(t.File))
		}
		switch t.Formulas {
		case "", FormulasKeep, "neutralise", "neutralize":
		default:
			bad("target.formulas: %q is not keep or neutralise (the default)", t.Formulas)
		}
	default:
		for _, k := range t.fileKeys() {
			bad("target.%s: only for a file target (target.file, an export)", k)
		}
		problems = append(problems, checkEndpoint("target", t.Object, t.BaseURL)...)
	}

	switch {
	case s.File != "" && t.IsFile() && !s.IsCRM() && t.System == "":
		bad("a file to a file is not a job: one side must be a CRM (source.system or target.system)")
	case t.IsFile():
		if j.Mode != "" {
			bad("mode: an export writes a file; mode applies to a CRM target only")
		}
		if len(j.Match) > 0 {
			bad("match: an export writes a file; match applies to a CRM target only")
		}
		if j.Report != "" {
			bad("report: an export writes no per-row report; the exported file is the outcome")
		}
	case s.IsCRM() && s.Sandbox() && t.Sandbox() && s.System == t.System:
		bad("source and target are the same embedded %s sandbox: a job would read what it writes", s.System)
	}
	return problems
}

// checkEndpoint checks the object and base URL of a CRM block.
func checkEndpoint(block string, obj connector.Object, baseURL string) []error {
	var problems []error
	switch obj {
	case connector.Lead, connector.Contact:
	case "":
		problems = append(problems, fmt.Errorf("%s.object: missing (lead or contact)", block))
	default:
		problems = append(problems, fmt.Errorf("%s.object: %q is not lead or contact", block, obj))
	}
	if baseURL == "" {
		problems = append(problems, fmt.Errorf(`%s.base_url: missing (the API root, or "sandbox" for the embedded fake)`, block))
	}
	return problems
}

// fileKeys names the file-source keys that are set.
func (s *Source) fileKeys() []string {
	return setKeys([]string{"sheet", "delimiter", "encoding"}, s.Sheet != "", s.Delimiter != "", s.Encoding != "")
}

// crmKeys names the CRM-source keys that are set.
func (s *Source) crmKeys() []string {
	return setKeys([]string{"object", "base_url", "auth", "options", "since", "async"},
		s.Object != "", s.BaseURL != "", !s.Auth.IsZero(), len(s.Options) > 0, !s.Since.IsZero(), s.Async)
}

// crmKeys names the CRM-target keys that are set.
func (t *Target) crmKeys() []string {
	return setKeys([]string{"object", "base_url", "auth", "options"},
		t.Object != "", t.BaseURL != "", !t.Auth.IsZero(), len(t.Options) > 0)
}

// fileKeys names the file-target keys that are set.
func (t *Target) fileKeys() []string {
	return setKeys([]string{"sheet", "formulas"}, t.Sheet != "", t.Formulas != "")
}

func setKeys(names []string, set ...bool) []string {
	var out []string
	for i, ok := range set {
		if ok {
			out = append(out, names[i])
		}
	}
	return out
}

// Describe says in a few words what the job does, e.g. "upsert lead into
// close on sandbox" or "export close lead to exports/x.csv".
func (j *Job) Describe() string {
	switch {
	case j.Target.IsFile():
		return fmt.Sprintf("export %s %s to %s", j.Source.System, j.Source.Object, j.Target.File)
	case j.Source.IsCRM():
		return fmt.Sprintf("%s %s from %s into %s %s on %s", j.Mode, j.Source.Object, j.Source.System, j.Target.System, j.Target.Object, j.Target.BaseURL)
	}
	return fmt.Sprintf("%s %s into %s on %s", j.Mode, j.Target.Object, j.Target.System, j.Target.BaseURL)
}
