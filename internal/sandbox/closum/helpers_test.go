package closum

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/sandbox"
)

// testKey is distinctive so a leak into any response body is caught.
const testKey = "ck-7Fq2Zx9-secret"

// apiClient talks to a started fake with a plain net/http client.
type apiClient struct {
	t    *testing.T
	base string
	key  string
	hc   *http.Client
}

// reply is a decoded response; the envelope fields are filled when the body
// is JSON.
type reply struct {
	HTTP   int
	Header http.Header
	Raw    []byte

	Status       bool            `json:"status"`
	Code         int             `json:"code"`
	ResponseData json.RawMessage `json:"responseData"`
	Message      json.RawMessage `json:"message"`
	Errors       []string        `json:"errors"`
	Timestamp    string          `json:"timestamp"`
}

// steppingClock advances one second per reading, so creation dates differ.
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

// request builds a request; body is nil, a url.Values (sent as a form) or
// anything else (sent as JSON).
func (c *apiClient) request(method, path string, q url.Values, body any) *http.Request {
	c.t.Helper()
	u := url.Values{}
	for k, v := range q {
		u[k] = v
	}
	if _, set := u["api-key"]; !set {
		u.Set("api-key", c.key)
	}
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case url.Values:
		rd, ctype = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	case []byte:
		rd, ctype = bytes.NewReader(b), "application/json"
	default:
		js, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd, ctype = bytes.NewReader(js), "application/json"
	}
	req, err := http.NewRequest(method, c.base+path+"?"+u.Encode(), rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	return req
}

// do sends req and decodes the answer. It fails the test when the body
// contains the key the request carried.
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
	if key := req.URL.Query().Get("api-key"); key != "" && bytes.Contains(raw, []byte(key)) {
		c.t.Fatalf("%s %s: response body echoes the api key: %s", req.Method, req.URL.Path, raw)
	}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &r); err != nil {
			c.t.Fatalf("%s %s: body is not JSON: %v: %s", req.Method, req.URL.Path, err, raw)
		}
	}
	return r
}

func (c *apiClient) call(method, path string, q url.Values, body any) reply {
	c.t.Helper()
	return c.do(c.request(method, path, q, body))
}

// ok calls and requires HTTP 200 with status true.
func (c *apiClient) ok(method, path string, q url.Values, body any) reply {
	c.t.Helper()
	r := c.call(method, path, q, body)
	if r.HTTP != http.StatusOK || !r.Status || r.Code != 200 || len(r.Errors) != 0 {
		c.t.Fatalf("%s %s: want success, got HTTP %d: %s", method, path, r.HTTP, r.Raw)
	}
	return r
}

// refused calls and requires the documented error shape (HTTP 200, status
// false, code 200) with an error containing want.
func (c *apiClient) refused(method, path string, q url.Values, body any, want string) reply {
	c.t.Helper()
	r := c.call(method, path, q, body)
	if r.HTTP != http.StatusOK || r.Status || r.Code != 200 {
		c.t.Fatalf("%s %s: want HTTP 200 status false, got HTTP %d: %s", method, path, r.HTTP, r.Raw)
	}
	if !containsErr(r.Errors, want) {
		c.t.Fatalf("%s %s: errors %q lack %q", method, path, r.Errors, want)
	}
	return r
}

func containsErr(errs []string, want string) bool {
	for _, e := range errs {
		if strings.Contains(e, want) {
			return true
		}
	}
	return false
}

// data decodes responseData into v.
func (r reply) data(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.ResponseData, v); err != nil {
		t.Fatalf("responseData: %v: %s", err, r.ResponseData)
	}
}

// leadBody is a valid lead/add body for email with extra fields merged in.
func leadBody(email string, extra map[string]any) map[string]any {
	b := map[string]any{"name": "Ana Silva", "email": email, "consent_email": true, "consent_sms": false}
	for k, v := range extra {
		b[k] = v
	}
	return b
}

// addLead adds a lead and returns its id.
func (c *apiClient) addLead(body map[string]any) int {
	c.t.Helper()
	var ids []leadIDRef
	c.ok(http.MethodPost, "/lead/add/", nil, body).data(c.t, &ids)
	if len(ids) != 1 || ids[0].LeadID <= 0 {
		c.t.Fatalf("lead/add answered %+v", ids)
	}
	return ids[0].LeadID
}

// viewLead reads lead/view/{id}.
func (c *apiClient) viewLead(id int) leadView {
	c.t.Helper()
	var v leadViewData
	c.ok(http.MethodGet, "/lead/view/"+strconv.Itoa(id), nil, nil).data(c.t, &v)
	return v.LeadData
}
