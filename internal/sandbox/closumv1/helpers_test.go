package closumv1

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/sandbox"
)

// Distinctive credentials, so a leak into any response body is caught.
const (
	testUser = "acme-api-user"
	testPass = "pw-9Zq7-Xk2-secret"
)

// clock is a settable fake clock; it moves only when told to.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// apiClient talks to a started fake with a plain net/http client.
type apiClient struct {
	t     *testing.T
	base  string
	hc    *http.Client
	token string
}

// reply is a decoded response.
type reply struct {
	HTTP       int
	Header     http.Header
	Raw        []byte
	Success    bool            `json:"success"`
	Data       json.RawMessage `json:"data"`
	Pagination *pagination     `json:"pagination"`
}

// start serves a new fake (credentials testUser/testPass unless opt says
// otherwise, clock clk) on 127.0.0.1 and returns it with a client.
func start(t *testing.T, opt sandbox.Options) (*Fake, *apiClient) {
	t.Helper()
	if opt.Username == "" {
		opt.Username, opt.Password = testUser, testPass
	}
	if opt.Now == nil {
		opt.Now = newClock().Now
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
	return f, &apiClient{t: t, base: srv.URL + f.BasePath(), hc: &http.Client{Timeout: 10 * time.Second}}
}

// request builds a request with the client's token (if any). body is nil,
// []byte (sent as is, as JSON) or anything else (marshalled).
func (c *apiClient) request(method, path string, body any) *http.Request {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		js, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(js)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	return req
}

// do sends req and decodes the answer. It fails the test when a body holds
// the password, or the bearer token anywhere but a login answer.
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
	if bytes.Contains(raw, []byte(testPass)) {
		c.t.Fatalf("%s %s: response echoes the password: %s", req.Method, req.URL.Path, raw)
	}
	if tok := bearerOf(req); tok != "" && bytes.Contains(raw, []byte(tok)) {
		c.t.Fatalf("%s %s: response echoes the token: %s", req.Method, req.URL.Path, raw)
	}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &r); err != nil {
			c.t.Fatalf("%s %s: body is not JSON: %v: %s", req.Method, req.URL.Path, err, raw)
		}
	}
	return r
}

func bearerOf(req *http.Request) string {
	return strings.TrimPrefix(req.Header.Get("Authorization"), "Bearer ")
}

func (c *apiClient) call(method, path string, body any) reply {
	c.t.Helper()
	return c.do(c.request(method, path, body))
}

// ok calls and requires HTTP status want with success true.
func (c *apiClient) ok(want int, method, path string, body any) reply {
	c.t.Helper()
	r := c.call(method, path, body)
	if r.HTTP != want || !r.Success {
		c.t.Fatalf("%s %s: want HTTP %d success, got HTTP %d: %s", method, path, want, r.HTTP, r.Raw)
	}
	return r
}

// failed calls and requires HTTP status want with the error body; it
// returns the body's data.
func (c *apiClient) failed(want int, method, path string, body any) errData {
	c.t.Helper()
	r := c.call(method, path, body)
	if r.HTTP != want || r.Success {
		c.t.Fatalf("%s %s: want HTTP %d error, got HTTP %d: %s", method, path, want, r.HTTP, r.Raw)
	}
	var d errData
	if err := json.Unmarshal(r.Data, &d); err != nil {
		c.t.Fatalf("error data: %v: %s", err, r.Raw)
	}
	urlPath, _, _ := strings.Cut(path, "?")
	if d.Code != want || d.Message == "" || d.URL != basePath+urlPath {
		c.t.Fatalf("%s %s: error data %+v, want code %d, a message and the path", method, path, d, want)
	}
	return d
}

// login gets a token with the test credentials and keeps it.
func (c *apiClient) login() tokenData {
	c.t.Helper()
	c.token = ""
	var td tokenData
	c.ok(http.StatusOK, http.MethodPost, "/token", map[string]any{"api_username": testUser, "api_pw": testPass}).into(c.t, &td)
	if td.Token == "" {
		c.t.Fatal("login gave no token")
	}
	c.token = td.Token
	return td
}

// into decodes data into v.
func (r reply) into(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Data, v); err != nil {
		t.Fatalf("data: %v: %s", err, r.Data)
	}
}

// create posts body and returns the new id.
func (c *apiClient) create(path string, body any) int {
	c.t.Helper()
	var ref idRef
	c.ok(http.StatusCreated, http.MethodPost, path, body).into(c.t, &ref)
	if ref.ID <= 0 {
		c.t.Fatalf("POST %s answered id %d", path, ref.ID)
	}
	return ref.ID
}

// leadBody is a valid lead body for email, with extra fields merged in.
func leadBody(name, email string, extra map[string]any) map[string]any {
	b := map[string]any{"name": name, "email": map[string]any{"email": email}}
	for k, v := range extra {
		b[k] = v
	}
	return b
}

// docLeadBody is the doc's Create a New Lead example, verbatim.
const docLeadBody = `{
"name": "Sylvia L. Hook",
"email" : {"email" : "sylvialhook@closum.com"},
"phone" : {"extension" : "001","number" : "517-388-1452"},
"lead_opt_in" : {
"sms" : true,
"email" : true,
"enviroment" : {
"CONTENT_LENGTH" : "222",
"HTTP_USER_AGENT" : "Mozilla/5.0 (Windows NT 6.1; Win64; x64; rv:47.0) Gecko/20100101 Firefox/47.0",
"HTTP_REFERER" : "https://www.google.com",
"HTTP_ACCEPT_LANGUAGE" : "pt-PT,pt;q=0.8,en;q=0.5,en-US;q=0.3",
"REMOTE_ADDR" : "192.168.1.1",
"REMOTE_PORT" : "1364",
"REQUEST_URI" : "/",
"REQUEST_TIME_FLOAT" : "1547548827.898"
}
}
}`

// docUnqualifiedBody is the doc's Create a New Unqualified Lead example.
const docUnqualifiedBody = `{
"name": "Sylvia L. Hook",
"email" : {"email" : "sylvialhook@closum.com"},
"phone" : {"extension" : "001","number" : "517-388-1452"},
"contact_type_id": "1",
"unqualified_lead_opt_in" : {
"sms" : true,
"email" : true,
"enviroment" : {
"CONTENT_LENGTH" : "222",
"HTTP_USER_AGENT" : "Mozilla/5.0 (Windows NT 6.1; Win64; x64; rv:47.0) Gecko/20100101 Firefox/47.0",
"HTTP_REFERER" : "https://www.google.com",
"HTTP_ACCEPT_LANGUAGE" : "pt-PT,pt;q=0.8,en;q=0.5,en-US;q=0.3",
"REMOTE_ADDR" : "192.168.1.1",
"REMOTE_PORT" : "1364",
"REQUEST_URI" : "/",
"REQUEST_TIME_FLOAT" : "1547548827.898"
}
}
}`

// keysOf returns the keys of a JSON object, sorted.
func keysOf(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("not an object: %v: %s", err, raw)
	}
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return strings.Join(ks, ",")
}
