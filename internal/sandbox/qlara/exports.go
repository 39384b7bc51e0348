package qlara

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Export statuses. A job moves one step on each GET /exports: PENDING →
// IN_PROGRESS → COMPLETED, so a client must poll at least twice.
const (
	statusPending    = "PENDING"
	statusInProgress = "IN_PROGRESS"
	statusCompleted  = "COMPLETED"
	statusExpired    = "EXPIRED"
)

// exportTTL is how long a completed export (and its URL) stays downloadable.
const exportTTL = time.Hour

// multiSep joins the items of a list field inside one CSV cell (export) and
// splits them (upload).
const multiSep = ";"

// exportJob is an export with what the fake needs to (re)build it.
type exportJob struct {
	Export
	Request ExportContactsRequest `json:"request"`
	CSV     []byte                `json:"csv"`
	Token   string                `json:"token"`
	// Generated is the number of generated contacts the file holds,
	// written while it is downloaded (SetGenerated); 0 for stored ones.
	Generated int `json:"generated,omitempty"`
}

// expire marks a completed job whose time is up as expired.
func (j *exportJob) expire(now time.Time) {
	if j.Status == statusCompleted && j.ExpiresAt != nil && !now.Before(*j.ExpiresAt) {
		j.Status, j.IsAvailableForDownload, j.Token = statusExpired, false, ""
	}
}

// exportScope resolves the contacts an export covers, by ID. strict makes
// unknown IDs a 400 (on creation); a regeneration skips them.
func (s *store) exportScope(req ExportContactsRequest, strict bool) ([]int64, error) {
	set := map[int64]bool{}
	for _, l := range req.ListIDs {
		if _, ok := s.liveList(l); !ok {
			if strict {
				return nil, badRequest("listIds: contact list %d does not exist", l)
			}
			continue
		}
		for c := range s.members[l] {
			set[c] = true
		}
	}
	for _, c := range req.ContactIDs {
		if _, ok := s.contacts[c]; !ok {
			if strict {
				return nil, badRequest("contactIds: contact %d does not exist", c)
			}
			continue
		}
		set[c] = true
	}
	if len(req.ListIDs) == 0 && len(req.ContactIDs) == 0 {
		for c := range s.contacts {
			set[c] = true
		}
	}
	for _, c := range req.ExcludeContactIDs {
		delete(set, c)
	}
	return slices.Sorted(maps.Keys(set)), nil
}

// exportCSV writes contacts as a UTF-8 CSV with a byte-order mark (as
// spreadsheet-oriented exports often have), one column per contact field
// named as in the JSON, list fields joined by multiSep.
func (s *store) exportCSV(ids []int64) ([]byte, error) {
	var buf bytes.Buffer
	err := writeCSV(&buf, len(ids), func(i int) Contact { return s.view(s.contacts[ids[i]]) })
	return buf.Bytes(), err
}

// writeCSV writes the export file of n contacts to out, row by row.
func writeCSV(out io.Writer, n int, contact func(int) Contact) error {
	if _, err := io.WriteString(out, "\uFEFF"); err != nil {
		return fmt.Errorf("export csv: %w", err)
	}
	w := csv.NewWriter(out)
	t := reflect.TypeFor[ContactFields]()
	header := []string{"id"}
	for i := range t.NumField() {
		header = append(header, jsonName(t.Field(i)))
	}
	header = append(header, "isValid", "isTest", "createdAt", "updatedAt", "listIds")
	if err := w.Write(header); err != nil {
		return fmt.Errorf("export csv: %w", err)
	}
	for k := range n {
		c := contact(k)
		row := []string{strconv.FormatInt(c.ID, 10)}
		v := reflect.ValueOf(c.ContactFields)
		for i := range v.NumField() {
			row = append(row, cell(v.Field(i)))
		}
		lists := make([]string, len(c.ListIDs))
		for i, l := range c.ListIDs {
			lists[i] = strconv.FormatInt(l, 10)
		}
		row = append(row, strconv.FormatBool(c.IsValid), strconv.FormatBool(c.IsTest),
			c.CreatedAt, c.UpdatedAt, strings.Join(lists, multiSep))
		if err := w.Write(row); err != nil {
			return fmt.Errorf("export csv: %w", err)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return fmt.Errorf("export csv: %w", err)
	}
	return nil
}

func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	return name
}

// cell renders a *string or []string field.
func cell(v reflect.Value) string {
	if v.IsNil() {
		return ""
	}
	if v.Kind() == reflect.Pointer {
		return v.Elem().String()
	}
	return strings.Join(v.Interface().([]string), multiSep)
}

// exportContacts queues an export and answers 202 with an empty body, as
// documented: the client finds the job through GET /exports.
func (f *Fake) exportContacts(w http.ResponseWriter, r *http.Request) {
	if _, err := intParam(r, "userId", 0); err != nil {
		writeError(w, r, err)
		return
	}
	var req ExportContactsRequest
	if err := decodeBody(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	if req.ExportFormat != "" && req.ExportFormat != "CSV" {
		writeError(w, r, badRequest("exportFormat: %q is not supported (CSV)", req.ExportFormat))
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var data []byte
	gen := 0
	if f.generated > 0 {
		if len(req.ListIDs)+len(req.ContactIDs)+len(req.ExcludeContactIDs) > 0 {
			writeError(w, r, badRequest("the generated contacts can only be exported all together"))
			return
		}
		gen = f.generated
	} else {
		ids, err := f.st.exportScope(req, true)
		if err != nil {
			writeError(w, r, err)
			return
		}
		if data, err = f.st.exportCSV(ids); err != nil {
			writeError(w, r, err)
			return
		}
	}
	id := f.st.nextExport
	f.st.nextExport++
	f.st.exports[id] = &exportJob{Export: Export{ID: id, Type: "CONTACTS", Status: statusPending,
		ExportFormat: "CSV", FileName: fmt.Sprintf("contacts-%d.csv", id), CreatedAt: f.now().UTC()},
		Request: req, CSV: data, Generated: gen}
	f.st.changed()
	w.WriteHeader(http.StatusAccepted)
}

// listExports is the polling endpoint: newest job first, and each call
// moves every unfinished job one step.
func (f *Fake) listExports(w http.ResponseWriter, r *http.Request) {
	page, limit, err := paging(r)
	if err == nil {
		_, err = intParam(r, "userId", 0)
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	f.mu.Lock()
	now := f.now().UTC()
	var all []Export
	for _, id := range slices.Backward(slices.Sorted(maps.Keys(f.st.exports))) {
		j := f.st.exports[id]
		switch j.Status {
		case statusPending:
			j.Status = statusInProgress
		case statusInProgress:
			exp := now.Add(exportTTL)
			j.Status, j.IsAvailableForDownload = statusCompleted, true
			j.CompletedAt, j.ExpiresAt, j.Token = &now, &exp, newToken()
		}
		j.expire(now)
		all = append(all, j.Export)
	}
	f.st.changed()
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, ExportPage{Page: page, Limit: limit, TotalCount: len(all),
		TotalPages: (len(all) + limit - 1) / limit, Items: pageOf(all, page, limit)})
}

// exportURL answers the time-limited download URL of a completed export.
func (f *Fake) exportURL(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	f.mu.Lock()
	j, ok := f.st.exports[id]
	var token string
	var expires time.Time
	if ok {
		j.expire(f.now())
		token = j.Token
		if j.ExpiresAt != nil {
			expires = *j.ExpiresAt
		}
		switch j.Status {
		case statusExpired:
			err = badRequest("export %d is no longer available; regenerate it with POST /exports/%d", id, id)
		case statusPending, statusInProgress:
			// Undocumented; the docs say to call this only once the export
			// is available, so the fake refuses like an expired one.
			err = badRequest("export %d is not available for download yet (%s)", id, j.Status)
		}
	}
	f.mu.Unlock()
	switch {
	case !ok:
		writeError(w, r, notFound("export %d not found", id))
	case err != nil:
		writeError(w, r, err)
	default:
		u := fmt.Sprintf("http://%s%s%d.csv?token=%s&expires=%d", r.Host, storagePath, id, token, expires.Unix())
		writeJSON(w, http.StatusOK, DownloadURL{URL: u})
	}
}

// regenerateExport re-queues an expired export with its original scope.
func (f *Fake) regenerateExport(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	j, ok := f.st.exports[id]
	if !ok {
		writeError(w, r, notFound("export %d not found", id))
		return
	}
	j.expire(f.now())
	if j.Status != statusExpired {
		writeError(w, r, badRequest("export %d has not expired (%s)", id, j.Status))
		return
	}
	var data []byte
	if j.Generated == 0 {
		ids, _ := f.st.exportScope(j.Request, false)
		if data, err = f.st.exportCSV(ids); err != nil {
			writeError(w, r, err)
			return
		}
	}
	j.CSV, j.Status, j.CompletedAt, j.ExpiresAt = data, statusPending, nil, nil
	f.st.changed()
	w.WriteHeader(http.StatusAccepted)
}

// download serves an export file to whoever holds its URL (no API key).
func (f *Fake) download(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutSuffix(r.PathValue("file"), ".csv")
	id, err := strconv.ParseInt(name, 10, 64)
	f.mu.Lock()
	var j *exportJob
	if ok && err == nil {
		j = f.st.exports[id]
	}
	var data []byte
	var file string
	gen := 0
	denied := true
	if j != nil {
		file = j.FileName
		j.expire(f.now())
		tok := r.URL.Query().Get("token")
		if j.Status == statusCompleted && j.Token != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(j.Token)) == 1 {
			data, gen, denied = j.CSV, j.Generated, false
		}
	}
	f.mu.Unlock()
	switch {
	case j == nil:
		http.Error(w, "NoSuchKey", http.StatusNotFound)
	case denied:
		http.Error(w, "AccessDenied: Request has expired or the signature does not match", http.StatusForbidden)
	default:
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", file))
		if gen > 0 {
			// Rendered as it is sent: a million rows never sit in memory.
			// A failure here is the client going away.
			_ = writeCSV(w, gen, genContact)
			return
		}
		_, _ = w.Write(data)
	}
}

func newToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}
