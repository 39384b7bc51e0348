package qlara

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/mapping"
)

// The asynchronous export, as the collection describes it: POST
// /exports/contacts queues a CSV export and answers 202 with no body, GET
// /exports (the polling endpoint, "every 5-10 seconds") shows the job until
// isAvailableForDownload, GET /exports/{id} gives a time-limited URL, and
// POST /exports/{id} regenerates an expired one.
//
// Since the 202 names no job, the job is the export that appears in GET
// /exports after the request and was not there before it. An export
// queued by someone else at the same moment could be taken for ours; the
// API offers nothing better.

// Polling: the first wait is Connector.poll, the doc's 5 s; it grows to
// maxPollWait. Failed polls are waited out a few times in a row, since a
// poll changes nothing and restarting the export would cost far more.
const (
	defaultPoll     = 5 * time.Second
	maxPollWait     = 30 * time.Second
	maxPollFailures = 5
	maxPolls        = 200 // about an hour and a half at the longest wait
	exportPageSize  = 100 // jobs read per GET /exports
	multiSep        = ";" // list items inside one CSV cell
	csvBOM          = "\uFEFF"
)

// listColumns are the contact properties that are arrays in the JSON and
// joined by multiSep in the CSV.
func listColumns() []string {
	return []string{"phoneNumbers", "emailAddresses", "addresses", "tags", "listIds", "communicationSupported"}
}

// exportList runs one export and yields its contacts as the file arrives.
func (c *Connector) exportList(ctx context.Context, q connector.Query, yield func(mapping.Record, error) bool) {
	op := "export contacts"
	known, err := c.newestJobs(ctx, op)
	if err != nil {
		yield(nil, err)
		return
	}
	before := map[string]bool{}
	for _, j := range known {
		before[j.id()] = true
	}
	if _, _, err := c.do(ctx, http.MethodPost, "/exports/contacts", nil, map[string]any{"exportFormat": "CSV"}, op); err != nil {
		yield(nil, err)
		return
	}
	link, err := c.awaitExport(ctx, op, before)
	if err != nil {
		yield(nil, err)
		return
	}
	stopped := false
	err = c.download(ctx, op, link, func(ct contact) bool {
		if since(ct, q.Since) && !yield(c.flatten(ct), nil) {
			stopped = true
		}
		return !stopped
	})
	if err != nil && !stopped {
		yield(nil, err)
	}
}

// exportJobs reads one page of GET /exports.
func (c *Connector) exportJobs(ctx context.Context, op string, page int) ([]exportJob, int, error) {
	q := url.Values{"page": {strconv.Itoa(page)}, "limit": {strconv.Itoa(exportPageSize)}}
	resp, body, err := c.do(ctx, http.MethodGet, "/exports", q, nil, op+" (status)")
	if err != nil {
		return nil, 0, err
	}
	var p exportPage
	if t := bytes.TrimSpace(body); len(t) > 0 && t[0] == '[' {
		err = json.Unmarshal(t, &p.Items) // a bare array, like GET /contacts
	} else {
		err = json.Unmarshal(body, &p)
	}
	if err != nil {
		return nil, 0, &connector.Error{Op: op, HTTPStatus: resp.StatusCode, Message: "unreadable export list", Err: err}
	}
	return p.jobs(), p.TotalPages, nil
}

// awaitExport polls GET /exports until the new job (one not in before) can
// be downloaded, and returns its URL.
func (c *Connector) awaitExport(ctx context.Context, op string, before map[string]bool) (string, error) {
	wait, failures, regenerated := c.poll, 0, false
	for range maxPolls {
		if err := sleep(ctx, wait); err != nil {
			return "", err
		}
		wait = min(wait*3/2, maxPollWait)
		job, err := c.findNewJob(ctx, op, before)
		if err != nil {
			ce, ok := connector.AsError(err)
			if !ok || !ce.Retryable || failures == maxPollFailures {
				return "", err
			}
			failures++
			wait = max(wait, ce.RetryAfter)
			continue
		}
		failures = 0
		switch {
		case job == nil: // not listed yet
		case job.IsAvailableForDownload:
			return c.exportURL(ctx, op, job.id())
		case job.Status == "EXPIRED" && !regenerated:
			regenerated = true
			if _, _, err := c.do(ctx, http.MethodPost, "/exports/"+url.PathEscape(job.id()), nil, nil, op+" (regenerate)"); err != nil {
				return "", err
			}
		case slices.Contains([]string{"FAILED", "ERROR", "CANCELLED", "CANCELED", "EXPIRED"}, strings.ToUpper(job.Status)):
			return "", &connector.Error{Op: op, Retryable: true, Message: fmt.Sprintf("export %s ended %s", job.id(), job.Status)}
		}
	}
	return "", &connector.Error{Op: op, Retryable: true, Message: "the export was not ready in time"}
}

// newestJobs reads the jobs of GET /exports where a new one appears. The
// collection says jobs are "ordered by creation date" without a
// direction: the first page is read, and the last too when there are more.
func (c *Connector) newestJobs(ctx context.Context, op string) ([]exportJob, error) {
	jobs, pages, err := c.exportJobs(ctx, op, 0)
	if err != nil || pages <= 1 {
		return jobs, err
	}
	last, _, err := c.exportJobs(ctx, op, pages-1)
	return append(jobs, last...), err
}

// findNewJob returns the newest job not in before, nil when there is none yet.
func (c *Connector) findNewJob(ctx context.Context, op string, before map[string]bool) (*exportJob, error) {
	jobs, err := c.newestJobs(ctx, op)
	if err != nil {
		return nil, err
	}
	var found *exportJob
	for i, j := range jobs {
		if before[j.id()] || (j.Type != "" && !strings.EqualFold(j.Type, "CONTACTS")) {
			continue
		}
		if found == nil || j.CreatedAt > found.CreatedAt {
			found = &jobs[i]
		}
	}
	return found, nil
}

// exportURL asks for the download URL of a finished job.
func (c *Connector) exportURL(ctx context.Context, op, id string) (string, error) {
	resp, body, err := c.do(ctx, http.MethodGet, "/exports/"+url.PathEscape(id), nil, nil, op+" (download URL)")
	if err != nil {
		return "", err
	}
	var u struct {
		URL string `json:"url"`
	}
	if err := json.Unmarshal(body, &u); err != nil || u.URL == "" {
		return "", &connector.Error{Op: op, HTTPStatus: resp.StatusCode, Message: "no download URL in the answer"}
	}
	return u.URL, nil
}

// download streams the CSV at link to fn, one contact at a time. The URL is
// pre-signed: no API key goes with it.
func (c *Connector) download(ctx context.Context, op, link string, fn func(contact) bool) error {
	op += " (download)"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, link, nil)
	if err != nil {
		return &connector.Error{Op: op, Message: "unusable download URL", Err: c.red.Error(err)}
	}
	req.Header.Set("Accept-Encoding", "gzip") // unzipped below, whatever the headers say
	resp, err := c.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &connector.Error{Op: op, Retryable: true, Err: c.red.Error(err)}
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		e := &connector.Error{Op: op, HTTPStatus: resp.StatusCode, Message: c.red.String(strings.TrimSpace(string(b)))}
		// An expired URL (403) or a missing file is fixed by a new export.
		e.Retryable = resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 ||
			resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusNotFound
		e.RetryAfter, _ = connector.RateHint(resp.Header, time.Now())
		return e
	}
	err = eachCSVContact(resp.Body, fn)
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		return &connector.Error{Op: op, HTTPStatus: resp.StatusCode, Retryable: true,
			Message: "export file cut short or unreadable: " + c.red.String(err.Error())}
	}
	return nil
}

// eachCSVContact reads an export file (gzip or not, with or without a
// byte-order mark) and calls fn with each row as a contact, until fn
// returns false. Columns are named as the contact's JSON properties; list
// properties hold their items joined by multiSep.
func eachCSVContact(r io.Reader, fn func(contact) bool) error {
	br := bufio.NewReaderSize(r, 64<<10)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("read export: %w", err)
		}
		br = bufio.NewReaderSize(zr, 64<<10)
	}
	if bom, _ := br.Peek(len(csvBOM)); string(bom) == csvBOM {
		_, _ = br.Discard(len(csvBOM))
	}
	cr := csv.NewReader(br)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read export header: %w", err)
	}
	header = slices.Clone(header)
	lists := listColumns()
	for {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read export: %w", err)
		}
		ct := make(contact, len(header))
		for i, name := range header {
			if i < len(row) {
				ct[name] = csvValue(name, row[i], slices.Contains(lists, name))
			}
		}
		if !fn(ct) {
			return nil
		}
	}
}

// csvValue turns one CSV cell into the JSON the API would have sent.
func csvValue(name, cell string, list bool) json.RawMessage {
	switch {
	case list:
		items := []string{}
		for _, s := range strings.Split(cell, multiSep) {
			if s = strings.TrimSpace(s); s != "" {
				items = append(items, s)
			}
		}
		b, _ := json.Marshal(items)
		return b
	case cell == "":
		return json.RawMessage("null")
	case name == "id":
		if _, err := strconv.ParseInt(cell, 10, 64); err == nil {
			return json.RawMessage(cell)
		}
	}
	b, _ := json.Marshal(cell)
	return b
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// exportJob is one entry of GET /exports.
type exportJob struct {
	ID                     json.RawMessage `json:"id"`
	Type                   string          `json:"type"`
	Status                 string          `json:"status"`
	IsAvailableForDownload bool            `json:"isAvailableForDownload"`
	CreatedAt              string          `json:"createdAt"`
}

func (j exportJob) id() string { return rawID(j.ID) }

// exportPage is the body of GET /exports. The collection's example shows
// only page, limit, totalCount and totalPages; the key holding the jobs is
// not documented, so the usual names are all read.
type exportPage struct {
	TotalPages int         `json:"totalPages"`
	Items      []exportJob `json:"items"`
	Content    []exportJob `json:"content"`
	Data       []exportJob `json:"data"`
	Exports    []exportJob `json:"exports"`
}

func (p exportPage) jobs() []exportJob {
	return slices.Concat(p.Items, p.Content, p.Data, p.Exports)
}
