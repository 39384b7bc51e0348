package closecrm

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// The asynchronous export: POST /export/lead/ queues a job, GET
// /export/{id}/ and GET /export/ show it, and once it is done its
// download_url serves the file, gzip-compressed (Content-Encoding: gzip,
// Content-Type: application/json), as the doc and its 2019 changelog say.

// storagePath serves export files outside the API: a download URL needs no
// API key, only the token it carries (like a signed storage URL).
const storagePath = "/sandbox-storage/close/exports/"

// Export statuses, in the order a job goes through them. Each read of a
// job (GET /export/{id}/ or GET /export/) moves it one step, so a client
// polls three times before it is done.
const (
	exportCreated    = "created"
	exportStarted    = "started"
	exportInProgress = "in_progress"
	exportDone       = "done"
)

// Export is an export job as the API shows it.
type Export struct {
	ID             string   `json:"id"`
	Status         string   `json:"status"`
	DownloadURL    *string  `json:"download_url"`
	Type           string   `json:"type"`
	Query          string   `json:"query"`
	Format         string   `json:"format"`
	Fields         []string `json:"fields"`
	NDocs          *int     `json:"n_docs"`
	NDocsProcessed int      `json:"n_docs_processed"`
	CreatedBy      string   `json:"created_by"`
	UpdatedBy      string   `json:"updated_by"`
	DateCreated    Time     `json:"date_created"`
	DateUpdated    Time     `json:"date_updated"`
	OrganizationID string   `json:"organization_id"`
	SendDoneEmail  bool     `json:"send_done_email"`
}

// exportJob is an export with what the fake needs to serve its file.
type exportJob struct {
	Export
	docs  int
	file  []byte // the gzip file of stored records, built when queued
	gen   bool   // generated leads lo…hi-1, rendered while downloading
	lo    int
	token string
}

// defaultExportFields are the fields the doc's examples list per type.
func defaultExportFields(typ string) []string {
	switch typ {
	case "contacts":
		return []string{"id", "name", "title", "phones", "emails", "urls", "created_by",
			"updated_by", "date_created", "date_updated"}
	case "lead_opps":
		return []string{"id", "user_id", "user_name", "value", "value_period", "confidence",
			"date_won", "status_id", "status_label", "status_type", "contact_id", "note",
			"lead_id", "lead_name", "created_by", "created_by_name", "updated_by",
			"updated_by_name", "date_created", "date_updated"}
	}
	return []string{"id", "display_name", "name", "description", "url", "status_id",
		"status_label", "addresses", "contacts", "custom", "created_by", "created_by_name",
		"updated_by", "updated_by_name", "date_created", "date_updated"}
}

// exportRequest is a checked POST /export/lead/ body.
type exportRequest struct {
	query, format, typ string
	fields             []string
	sendDoneEmail      bool
}

func (f *Fake) parseExport(body map[string]json.RawMessage) (exportRequest, error) {
	v := &validation{}
	req := exportRequest{sendDoneEmail: true}
	var activities, smart bool
	flag := func(k string, raw json.RawMessage, dst *bool) {
		if err := json.Unmarshal(raw, dst); err != nil {
			v.add(k, "Must be a boolean.")
		}
	}
	for k, raw := range body {
		switch k {
		case "query":
			if s, ok := str(raw); ok {
				req.query = s
			} else {
				v.add(k, "Not a valid string.")
			}
		case "format":
			req.format, _ = str(raw)
			if req.format != "csv" && req.format != "json" {
				v.add(k, "Choose csv or json.")
			}
		case "type":
			req.typ, _ = str(raw)
			if !slices.Contains([]string{"leads", "contacts", "lead_opps"}, req.typ) {
				v.add(k, "Choose leads, contacts or lead_opps.")
			}
		case "fields":
			if err := json.Unmarshal(raw, &req.fields); err != nil {
				v.add(k, "Must be a list of field names.")
			}
		case "include_activities":
			flag(k, raw, &activities)
		case "include_smart_fields":
			flag(k, raw, &smart)
		case "send_done_email":
			flag(k, raw, &req.sendDoneEmail)
		default:
			v.add(k, "Unknown field.")
		}
	}
	if _, ok := body["format"]; !ok {
		v.add("format", "This field is required.")
	}
	if _, ok := body["type"]; !ok {
		v.add("type", "This field is required.")
	}
	if activities && (req.typ != "leads" || req.format != "json") {
		v.add("include_activities", "Only for leads exports in json format.")
	}
	if smart && req.format == "json" && req.typ != "leads" {
		v.add("include_smart_fields", "Only for leads exports in json format, or csv exports.")
	}
	if err := v.err(); err != nil {
		return req, err
	}
	if req.format == "csv" {
		// The doc shows no CSV column, so the sandbox cannot imitate one.
		return req, errBadRequest(`CSV exports are not imitated by the sandbox; use "format": "json".`)
	}
	return req, nil
}

// createExport serves POST /export/lead/.
func (f *Fake) createExport(c *call) {
	if _, err := f.params(c); err != nil {
		writeErr(c.w, err)
		return
	}
	req, err := f.parseExport(c.body)
	if err != nil {
		writeErr(c.w, err)
		return
	}
	loc, err := tzOffset(c.r)
	if err != nil {
		writeErr(c.w, err)
		return
	}
	q, err := parseQuery(req.query, f.now(), loc)
	if err != nil {
		writeErr(c.w, errBadRequest("Invalid query: "+err.Error()))
		return
	}
	now := Time{f.clock()}
	j := &exportJob{Export: Export{
		ID: newID("expo_"), Status: exportCreated, Type: req.typ, Query: req.query, Format: req.format,
		Fields: req.fields, CreatedBy: userID, UpdatedBy: userID, DateCreated: now, DateUpdated: now,
		OrganizationID: orgID, SendDoneEmail: req.sendDoneEmail,
	}, token: newID("")}
	if j.Query == "" {
		j.Query = "*"
	}
	if j.Fields == nil {
		j.Fields = defaultExportFields(req.typ)
	}
	f.mu.Lock()
	if f.generated > 0 {
		lo, hi, gerr := genRange(q, f.generated)
		j.gen, j.lo, j.docs, err = true, lo, hi-lo, gerr
		if req.typ == "lead_opps" {
			j.docs = 0
		}
	} else {
		// The data is taken when the export is queued, and compressed a
		// document at a time.
		j.docs, j.file, err = f.data.exportFile(f.data.search(q), req.typ, j.Fields)
	}
	if err == nil {
		f.exports[j.ID] = j
	}
	out := j.Export
	f.mu.Unlock()
	if err != nil {
		writeErr(c.w, err)
		return
	}
	writeJSON(c.w, http.StatusOK, out)
}

// exportFile renders the documents of an export of the leads in slots
// (their contacts for type contacts, none for lead_opps) one at a time
// into a gzip file, and counts them.
func (s *store) exportFile(slots []slot, typ string, fields []string) (int, []byte, error) {
	var doc func(i int) any
	n := 0
	switch typ {
	case "leads":
		n = len(slots)
		doc = func(i int) any { return pick(exportLead(s.render(s.leads[slots[i]])), fields) }
	case "contacts":
		var contacts []slot
		for _, at := range slots {
			contacts = append(contacts, s.leads[at].contacts...)
		}
		n = len(contacts)
		doc = func(i int) any { return pick(s.renderContact(s.contacts[contacts[i]]).wire(false), fields) }
	}
	file, err := gzipDocs(n, doc)
	return n, file, err
}

// exportLead is a lead as an export writes it: the API's form plus the
// names of its creator and last editor.
func exportLead(l Lead) map[string]any {
	m := l.wire()
	m["created_by_name"], m["updated_by_name"] = userName, userName
	return m
}

// gzipDocs writes n documents as a gzip-compressed JSON array, one
// document per line (the doc does not show the layout of a JSON export).
func gzipDocs(n int, doc func(int) any) ([]byte, error) {
	var buf bytes.Buffer
	if err := writeDocs(&buf, n, doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func writeDocs(w io.Writer, n int, doc func(int) any) error {
	zw := gzip.NewWriter(w)
	bw := bufio.NewWriterSize(zw, 64<<10)
	_, _ = bw.WriteString("[")
	// One buffer for every document: Marshal would make garbage of each.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for i := range n {
		if i > 0 {
			_ = bw.WriteByte(',')
		}
		_ = bw.WriteByte('\n')
		buf.Reset()
		if err := enc.Encode(doc(i)); err != nil {
			return fmt.Errorf("export: %w", err)
		}
		if _, err := bw.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))); err != nil {
			return fmt.Errorf("export: %w", err)
		}
	}
	_, _ = bw.WriteString("\n]\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

// step moves an unfinished job one status on; host names the server in
// the download URL.
func (j *exportJob) step(now time.Time, host string) {
	switch j.Status {
	case exportCreated:
		j.Status, j.NDocs = exportStarted, &j.docs
	case exportStarted:
		j.Status, j.NDocsProcessed = exportInProgress, j.docs/2
	case exportInProgress:
		u := fmt.Sprintf("http://%s%s%s.json?token=%s", host, storagePath, j.ID, j.token)
		j.Status, j.NDocsProcessed, j.DownloadURL = exportDone, j.docs, &u
	default:
		return
	}
	j.DateUpdated = Time{now}
}

// getExport serves GET /export/{id}/.
func (f *Fake) getExport(c *call, id string) {
	if _, err := f.params(c); err != nil {
		writeErr(c.w, err)
		return
	}
	f.mu.Lock()
	j := f.exports[id]
	var out Export
	if j != nil {
		j.step(f.clock(), c.r.Host)
		out = j.Export
	}
	f.mu.Unlock()
	if j == nil {
		writeErr(c.w, errNotFound)
		return
	}
	writeJSON(c.w, http.StatusOK, out)
}

// listExports serves GET /export/: every export, oldest first.
func (f *Fake) listExports(c *call) {
	if _, err := f.params(c); err != nil {
		writeErr(c.w, err)
		return
	}
	f.mu.Lock()
	jobs := make([]*exportJob, 0, len(f.exports))
	for _, j := range f.exports {
		jobs = append(jobs, j)
	}
	slices.SortFunc(jobs, func(a, b *exportJob) int { return a.DateCreated.Compare(b.DateCreated.Time) })
	out := make([]Export, len(jobs))
	for i, j := range jobs {
		j.step(f.clock(), c.r.Host)
		out[i] = j.Export
	}
	f.mu.Unlock()
	writeJSON(c.w, http.StatusOK, ListBody[Export]{Data: out})
}

// download serves an export file to whoever holds its URL (no API key).
// Generated leads are rendered and compressed as they are sent, so a
// million-lead file never sits in memory.
func (f *Fake) download(w http.ResponseWriter, r *http.Request, name string) {
	id, ok := strings.CutSuffix(name, ".json")
	f.mu.Lock()
	j := f.exports[id]
	denied := j == nil || !ok || j.Status != exportDone ||
		subtle.ConstantTimeCompare([]byte(r.URL.Query().Get("token")), []byte(j.token)) != 1
	f.mu.Unlock()
	if r.Method != http.MethodGet {
		http.Error(w, "MethodNotAllowed", http.StatusMethodNotAllowed)
		return
	}
	if denied {
		http.Error(w, "AccessDenied", http.StatusForbidden)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Encoding", "gzip")
	if !j.gen {
		_, _ = w.Write(j.file)
		return
	}
	doc := func(i int) any {
		f.mu.Lock()
		l := f.data.genLead(j.lo + i)
		f.mu.Unlock()
		if j.Type == "contacts" {
			return pick(l.Contacts[0].wire(false), j.Fields)
		}
		return pick(exportLead(l), j.Fields)
	}
	// A failure here is the client going away; the status is already sent.
	_ = writeDocs(w, j.docs, doc)
}
