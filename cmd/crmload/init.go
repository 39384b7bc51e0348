package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/internal/tabular"
	"github.com/crmload/crmload/jobs"
	"github.com/crmload/crmload/mapping"
)

// initOptions are the flags of crmload init.
type initOptions struct {
	file   string
	out    string
	system string
	object string
	mode   string
	region string
	sheet  string
}

func newInitCmd(env *Env) *cobra.Command {
	opt := initOptions{}
	cmd := &cobra.Command{
		Use:   "init FILE",
		Short: "Write a starter job guessed from a CSV/TSV/XLSX file's header",
		Long: `Init reads the header of FILE (.csv, .tsv, .txt or .xlsx) and writes a starter
job that maps the columns it recognises to crmload's canonical fields (name,
first_name, last_name, email, phone, title, company, url, address, city, state,
zip, country, notes, description, birth_date, tags) with the usual transforms:
email is trimmed, lowered, checked and required; phone is converted to E.164;
names are title-cased; url and date values are checked.

It knows the export headers of HubSpot, Salesforce, Pipedrive and Google
Contacts and plain English variants ("E-mail Address", "Mobile Phone", "Account
Name", "State/Region", "Postal Code"…), ignoring case and punctuation. Columns it
does not recognise, and fields the target has not, are listed in a comment to
map by hand (custom.<Name> for custom fields). Country is offered commented out,
since most CRMs want ISO codes (US, GB) where exports hold names.

The job targets the embedded sandbox (base_url: sandbox) and matches on email,
or on phone when there is no email column; the line for a real account's
credentials is commented. It is printed, or written to -o (never over an
existing file) with the source path relative to it. Check it with
"crmload validate", try it with "crmload preview", then "crmload run".`,
		Example: `  crmload init contacts.csv
  crmload init export.xlsx --system qlara --object contact -o jobs/import.yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opt.file = args[0]
			return initRun(env, opt)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opt.out, "output", "o", "", "write the job to this file (must not exist) instead of stdout")
	f.StringVar(&opt.system, "system", "close", "target system: close, closum, closum-v1, closem or qlara")
	f.StringVar(&opt.object, "object", string(connector.Lead), "target object: lead or contact")
	f.StringVar(&opt.mode, "mode", string(connector.Upsert), "create, update or upsert")
	f.StringVar(&opt.region, "region", "US", "phone region for numbers written without +country code")
	f.StringVar(&opt.sheet, "sheet", "", "XLSX sheet to read (default: the first)")
	return cmd
}

// initRun guesses the job and writes it.
func initRun(env *Env, opt initOptions) error {
	switch connector.Mode(opt.mode) {
	case connector.Create, connector.Update, connector.Upsert:
	default:
		return fmt.Errorf("--mode %q: use create, update or upsert", opt.mode)
	}
	conn, err := env.Systems.Connector(opt.system, connector.Config{
		BaseURL: "http://init.invalid", APIKey: "init", Username: "init", Password: "init"})
	if err != nil {
		return fmt.Errorf("--system: %w", err)
	}
	obj := connector.Object(opt.object)
	if obj != connector.Lead && obj != connector.Contact {
		return fmt.Errorf("--object %q: use lead or contact", opt.object)
	}
	src, err := tabular.Open(opt.file, tabular.Options{Sheet: opt.sheet})
	if err != nil {
		return err
	}
	header := src.Header()
	src.Close()

	g := jobs.GuessMapping(header)
	// Drop the fields the target does not take, asking its connector one
	// field at a time; only when a field-less check passes can a failure be
	// put down to the field.
	var dropped []mapping.Rule
	if conn.CheckWrite(obj, connector.Create, nil, nil) == nil {
		g, dropped = g.Keep(func(f string) bool {
			return conn.CheckWrite(obj, connector.Create, nil, []string{f}) == nil
		})
	}

	source := opt.file
	if opt.out != "" {
		source = relativeSource(opt.file, opt.out)
	}
	text := renderJob(opt, source, g, dropped)
	if opt.out == "" {
		_, err := io.WriteString(env.Stdout, text)
		return err
	}
	fh, err := os.OpenFile(opt.out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("%s already exists; not overwriting it (choose another -o or remove it)", opt.out)
	}
	if err != nil {
		return fmt.Errorf("write job: %w", err)
	}
	if _, err := io.WriteString(fh, text); err != nil {
		fh.Close()
		return fmt.Errorf("write job %s: %w", opt.out, err)
	}
	if err := fh.Close(); err != nil {
		return fmt.Errorf("write job %s: %w", opt.out, err)
	}
	fmt.Fprintf(env.Stderr, "wrote %s: %d of %d columns mapped; next: crmload validate %s\n",
		opt.out, len(g.Rules), len(header), opt.out)
	return nil
}

// relativeSource returns file's path as seen from the directory of the job
// at out, since Load resolves paths against the job's directory.
func relativeSource(file, out string) string {
	absFile, err1 := filepath.Abs(file)
	absDir, err2 := filepath.Abs(filepath.Dir(out))
	if err1 != nil || err2 != nil {
		return file
	}
	rel, err := filepath.Rel(absDir, absFile)
	if err != nil {
		return filepath.ToSlash(absFile)
	}
	return filepath.ToSlash(rel)
}

// renderJob writes the job by hand rather than through a YAML encoder, to
// keep one flow-style line per rule and the comments that guide the reader.
func renderJob(opt initOptions, source string, g jobs.Guess, dropped []mapping.Rule) string {
	var b strings.Builder
	base := strings.TrimSuffix(filepath.Base(opt.file), filepath.Ext(opt.file))
	envPrefix := strings.ToUpper(strings.ReplaceAll(opt.system, "-", "_"))
	fmt.Fprintf(&b, "# Starter job guessed by \"crmload init\" from the header of %s.\n", filepath.Base(opt.file))
	b.WriteString("# Check every rule, then: crmload validate JOB, crmload preview JOB, crmload run JOB.\n")
	fmt.Fprintf(&b, "name: %s\n", yamlScalar(base+"-to-"+opt.system))
	b.WriteString("source:\n")
	fmt.Fprintf(&b, "  file: %s\n", yamlScalar(source))
	if opt.sheet != "" {
		fmt.Fprintf(&b, "  sheet: %s\n", yamlScalar(opt.sheet))
	}
	b.WriteString("target:\n")
	fmt.Fprintf(&b, "  system: %s\n", yamlScalar(opt.system))
	fmt.Fprintf(&b, "  object: %s\n", yamlScalar(opt.object))
	b.WriteString("  base_url: sandbox   # the embedded fake; for the real API set its base URL and auth\n")
	if opt.system == "closum-v1" {
		fmt.Fprintf(&b, "  # auth: { username: \"${%s_USER}\", password: \"${%s_PW}\" }\n", envPrefix, envPrefix)
	} else {
		fmt.Fprintf(&b, "  # auth: { api_key: \"${%s_API_KEY}\" }\n", envPrefix)
	}
	fmt.Fprintf(&b, "mode: %s\n", opt.mode)
	if m := g.Match(); m != nil {
		fmt.Fprintf(&b, "match: [%s]\n", strings.Join(m, ", "))
	} else {
		b.WriteString("# match: no email or phone column was recognised; name the field that finds a record\n")
	}
	if opt.region != "" {
		fmt.Fprintf(&b, "region: %s   # phone numbers without +country code are read as %s numbers\n",
			yamlScalar(opt.region), opt.region)
	}
	// The sandbox takes 100 calls a second, as in samples/jobs/quickstart.yaml;
	// the default 10/s would make a first tour slow.
	b.WriteString("run:\n")
	b.WriteString("  workers: 4\n")
	b.WriteString("  rate: 100/s   # suits the sandbox; for the real API use its limit (the runner also slows down on 429)\n")
	b.WriteString("mapping:\n")
	if len(g.Rules) == 0 {
		b.WriteString("  [] # no column was recognised: add rules such as { field: email, from: Email }\n")
	}
	for _, r := range g.Rules {
		fmt.Fprintf(&b, "  - %s\n", ruleLine(r))
	}
	for _, r := range g.Review {
		fmt.Fprintf(&b, "  # - %s   # check the values: most CRMs want ISO codes (US, GB)\n", ruleLine(r))
	}
	for _, r := range dropped {
		fmt.Fprintf(&b, "  # - %s   # %s %ss have no %s field: map it to a custom.<Name> field\n",
			ruleLine(r), opt.system, opt.object, r.Field[0])
	}
	if len(g.Unmapped) > 0 {
		fmt.Fprintf(&b, "# not mapped: %s\n", strings.Join(g.Unmapped, ", "))
		b.WriteString("#   (map them by hand, e.g. - { field: custom.Lead Source, from: Original Source })\n")
	}
	return b.String()
}

// ruleLine renders a rule as one YAML flow mapping.
func ruleLine(r mapping.Rule) string {
	parts := []string{"field: " + yamlList(r.Field), "from: " + yamlList(r.From)}
	if len(r.Transform) > 0 {
		parts = append(parts, "transform: ["+strings.Join(quoteAll(r.Transform), ", ")+"]")
	}
	if r.Required {
		parts = append(parts, "required: true")
	}
	return "{ " + strings.Join(parts, ", ") + " }"
}

func yamlList(l []string) string {
	if len(l) == 1 {
		return yamlScalar(l[0])
	}
	return "[" + strings.Join(quoteAll(l), ", ") + "]"
}

func quoteAll(l []string) []string {
	out := make([]string, len(l))
	for i, s := range l {
		out[i] = yamlScalar(s)
	}
	return out
}

// yamlScalar writes s plain when that reads back as the same string, else
// double-quoted (Go's escapes are a subset of YAML's).
func yamlScalar(s string) string {
	switch strings.ToLower(s) {
	case "true", "false", "yes", "no", "on", "off", "y", "n", "null":
		return strconv.Quote(s)
	}
	if isPlain(s) {
		return s
	}
	return strconv.Quote(s)
}

// isPlain reports whether s is safe unquoted, even inside a flow mapping:
// a letter, '.', '/' or '_' first (paths), no trailing space, and only letters, digits, spaces and
// ./()'- after it (no flow indicators, no ": " or " #").
func isPlain(s string) bool {
	if s == "" || strings.HasSuffix(s, " ") {
		return false
	}
	for i, r := range s {
		switch {
		case unicode.IsLetter(r) || r == '.' || r == '/' || r == '_':
		case i == 0:
			return false
		case unicode.IsDigit(r) || strings.ContainsRune(" _./()'-", r):
		default:
			return false
		}
	}
	return true
}
