package closecrm

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/crmload/crmload/internal/connector"
)

// The asynchronous export (POST /export/lead/, GET /export/{id}/): Close
// builds a gzip file of every lead matching a search and hands out a
// download URL. JSON with type "leads" is the doc's recommendation for
// migrations and a superset of the other types, so contacts come from it
// too, as in List.

// Export statuses documented for GET /export/{id}/.
const (
	exportDone  = "done"
	exportError = "error"
)

// Polling: the wait between status checks grows from Client.poll to
// maxPollWait; a few failed checks in a row are waited out, since a check
// changes nothing and restarting the whole export would cost far more.
const (
	maxPollWait     = 30 * time.Second
	maxPollFailures = 5
)

// exportLeads runs one export and gives its leads to e as the download
// arrives.
func (c *Client) exportLeads(ctx context.Context, e *emitter) error {
	op := "export " + string(e.obj) + "s"
	body := map[string]any{"format": "json", "type": "leads", "send_done_email": false}
	if !e.since.IsZero() && e.obj == connector.Lead {
		body["query"] = "updated >= " + quote(e.since.Format(time.DateTime))
	}
	var job exportJob
	if err := c.call(ctx, nil, op, http.MethodPost, "/export/lead/", nil, body, &job); err != nil {
		return err
	}
	link, err := c.awaitExport(ctx, op, job)
	if err != nil {
		return err
	}
	return c.download(ctx, op, link, e.lead)
}

// awaitExport polls the export until it is done and returns its download URL.
func (c *Client) awaitExport(ctx context.Context, op string, job exportJob) (string, error) {
	if job.ID == "" {
		return "", &connector.Error{Op: op, Message: "Close answered the export request without an id"}
	}
	wait, failures := c.poll, 0
	for {
		switch job.Status {
		case exportDone:
			if job.DownloadURL == nil || *job.DownloadURL == "" {
				return "", &connector.Error{Op: op, Message: "export " + job.ID + " is done but has no download_url"}
			}
			return *job.DownloadURL, nil
		case exportError:
			return "", &connector.Error{Op: op, Retryable: true, Message: "Close could not build export " + job.ID}
		}
		if err := sleep(ctx, wait); err != nil {
			return "", err
		}
		wait = min(wait*3/2, maxPollWait)
		err := c.call(ctx, nil, op+" (status)", http.MethodGet, "/export/"+url.PathEscape(job.ID)+"/", nil, nil, &job)
		if err == nil {
			failures = 0
			continue
		}
		ce, ok := connector.AsError(err)
		if !ok || !ce.Retryable || failures == maxPollFailures {
			return "", err
		}
		failures++
		wait = max(wait, ce.RetryAfter)
	}
}

// download streams the export file at link to fn, one lead at a time. The
// API key goes only to Close's own host: a download URL elsewhere (a
// storage bucket) is signed and must not receive it.
func (c *Client) download(ctx context.Context, op, link string, fn func(leadData) bool) error {
	op += " (download)"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, link, nil)
	if err != nil {
		return &connector.Error{Op: op, Message: "unusable download_url", Err: c.red.Error(err)}
	}
	if sameHost(link, c.base) {
		req.SetBasicAuth(c.key, "")
	}
	// Asked explicitly, gzip is left to us (Go's transport would otherwise
	// unzip it transparently): the body is then read the same way whatever
	// the server says.
	req.Header.Set("Accept-Encoding", "gzip")
	req.Header.Set("User-Agent", "crmload")
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &connector.Error{Op: op, Retryable: true, Err: c.red.Error(err)}
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return downloadError(op, resp, c.red)
	}
	body, err := unzipped(resp.Body)
	if err != nil {
		return &connector.Error{Op: op, HTTPStatus: resp.StatusCode, Retryable: true, Err: c.red.Error(err)}
	}
	err = eachJSON(body, fn)
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		return &connector.Error{Op: op, HTTPStatus: resp.StatusCode, Retryable: true,
			Message: "export file cut short or unreadable: " + c.red.String(err.Error())}
	}
	return nil
}

// downloadError classifies a refused download. An expired or missing file
// (403, 404, 410) is retryable: a new export gives a new URL.
func downloadError(op string, resp *http.Response, red connector.Redactor) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	e := &connector.Error{Op: op, HTTPStatus: resp.StatusCode, Message: red.String(string(b))}
	switch code := resp.StatusCode; {
	case code == http.StatusTooManyRequests || code >= 500:
		e.Retryable = true
		e.RetryAfter, _ = connector.RateHint(resp.Header, time.Now())
	case code == http.StatusForbidden || code == http.StatusNotFound || code == http.StatusGone:
		e.Retryable = true
	}
	return e
}

// unzipped returns the body decompressed when it is gzip (by its magic
// bytes, whatever the headers say), else as it is.
func unzipped(r io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, err := br.Peek(2)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read export: %w", err)
	}
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("read export: %w", err)
		}
		return zr, nil
	}
	return br, nil
}

// eachJSON decodes the values of r one at a time and calls fn with each
// until it returns false: the items of one JSON array, or a stream of
// values (JSON lines). The doc does not say which a JSON export is, so
// both are read.
func eachJSON[T any](r io.Reader, fn func(T) bool) error {
	br := bufio.NewReader(r)
	for {
		b, err := br.Peek(1)
		if errors.Is(err, io.EOF) {
			return nil // an empty file: nothing exported
		}
		if err != nil {
			return err
		}
		if b[0] != ' ' && b[0] != '\n' && b[0] != '\r' && b[0] != '\t' {
			break
		}
		_, _ = br.ReadByte()
	}
	dec := json.NewDecoder(br)
	array, _ := br.Peek(1)
	if array[0] == '[' {
		if _, err := dec.Token(); err != nil {
			return err
		}
		for dec.More() {
			var v T
			if err := dec.Decode(&v); err != nil {
				return err
			}
			if !fn(v) {
				return nil
			}
		}
		_, err := dec.Token()
		return err
	}
	for {
		var v T
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if !fn(v) {
			return nil
		}
	}
}

// sameHost reports whether link points at the API's own scheme and host.
func sameHost(link, base string) bool {
	l, err1 := url.Parse(link)
	b, err2 := url.Parse(base)
	return err1 == nil && err2 == nil && l.Scheme == b.Scheme && l.Host == b.Host
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
