package closem

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/sandbox"
)

// testKey is distinctive so a leak into any response body is caught.
const testKey = "cm-9Hq2Wx7-secret"

// apiClient talks to a started fake with a plain net/http client.
type apiClient struct {
	t    *testing.T
	base string // server URL + "/"
	key  string
	hc   *http.Client
}

// reply is a decoded answer; the fields are filled when the body is JSON.
type reply struct {
	HTTP   int
	Header http.Header
	Raw    []byte

	Success       bool     `json:"success"`
	Error         string   `json:"error"`
	ContactID     string   `json:"contact_id"`
	Action        string   `json:"action"`
	SequenceID    string   `json:"sequence_id"`
	AppointmentID string   `json:"appointment_id"`
	Contacts      int      `json:"contacts"`
	ContactIDs    []string `json:"contact_ids"`
}

// steppingClock starts on 1 March 2025 and advances one second per reading.
func steppingClock() func() time.Time {
	var mu sync.Mutex
	t := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(time.Second)
		return t
	}
}

// start serves a new fake (key testKey unless opt says otherwise) on
// 127.0.0.1 and returns it with a client.
func start(t *testing.T, opt sandbox.Options) (*Fake, *apiClient) {
	t.Helper()
	if opt.APIKey == "" {
		opt.APIKey = testKey
	}
	if opt.Now == nil {
		opt.Now = steppingClock()
	}
	f := New(opt)
	srv, err := sandbox.Start(f, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = srv.Close()
		_ = f.Close()
	})
	return f, &apiClient{t: t, base: srv.URL + f.BasePath(), key: opt.APIKey, hc: &http.Client{Timeout: 10 * time.Second}}
}

// apiURL is the documented URL, "?m=api&auth=KEY".
func (c *apiClient) apiURL(key string) string {
	return c.base + "?m=api&auth=" + url.QueryEscape(key)
}

// formRequest builds a url-encoded POST with key.
func (c *apiClient) formRequest(key string, fields url.Values) *http.Request {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.apiURL(key), strings.NewReader(fields.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}

// multipartRequest builds a multipart/form-data POST, as curl --form sends.
func (c *apiClient) multipartRequest(key string, fields url.Values) *http.Request {
	c.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range fields {
		for _, v := range vs {
			if err := mw.WriteField(k, v); err != nil {
				c.t.Fatal(err)
			}
		}
	}
	if err := mw.Close(); err != nil {
		c.t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, c.apiURL(key), &buf)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return req
}

// do sends req and decodes the answer. It fails the test when the body
// holds the key the request carried, or is not JSON.
func (c *apiClient) do(req *http.Request) reply {
	c.t.Helper()
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	r := reply{HTTP: resp.StatusCode, Header: resp.Header, Raw: raw}
	if key := req.URL.Query().Get("auth"); key != "" && bytes.Contains(raw, []byte(key)) {
		c.t.Fatalf("answer echoes the key: %s", raw)
	}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &r); err != nil {
			c.t.Fatalf("body is not JSON: %v: %s", err, raw)
		}
	}
	return r
}

// post sends a url-encoded form with the right key.
func (c *apiClient) post(fields url.Values) reply {
	c.t.Helper()
	return c.do(c.formRequest(c.key, fields))
}

// ok posts and requires HTTP 200 with success true.
func (c *apiClient) ok(fields url.Values) reply {
	c.t.Helper()
	r := c.post(fields)
	if r.HTTP != http.StatusOK || !r.Success || r.Error != "" {
		c.t.Fatalf("%v: want success, got HTTP %d: %s", fields, r.HTTP, r.Raw)
	}
	return r
}

// refused posts and requires HTTP status with success false and an error
// containing want.
func (c *apiClient) refused(fields url.Values, status int, want string) reply {
	c.t.Helper()
	r := c.post(fields)
	if r.HTTP != status || r.Success || !strings.Contains(r.Error, want) {
		c.t.Fatalf("%v: want HTTP %d error with %q, got HTTP %d: %s", fields, status, want, r.HTTP, r.Raw)
	}
	return r
}

// vals builds url.Values from pairs: vals("mode", "addcontact", "email", "a@x.com").
func vals(pairs ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(pairs); i += 2 {
		v.Add(pairs[i], pairs[i+1])
	}
	return v
}
