package closecrm

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/sandbox"
)

// env is one running fake and a client for it.
type env struct {
	t    *testing.T
	fake *Fake
	url  string // server URL + base path
	key  string
}

func start(t *testing.T, opt sandbox.Options) *env {
	t.Helper()
	f := New(opt)
	srv, err := sandbox.Start(f, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Close()
		f.Close()
	})
	key := opt.APIKey
	if key == "" {
		key = sandbox.DefaultKey
	}
	return &env{t: t, fake: f, url: srv.URL + f.BasePath(), key: key}
}

// resp is an answer with its JSON body decoded.
type resp struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

// do sends a request with the env's key; body is marshalled to JSON unless nil.
func (e *env) do(method, path string, body any) resp {
	e.t.Helper()
	return e.doWith(method, path, body, func(r *http.Request) { r.SetBasicAuth(e.key, "") })
}

func (e *env) doWith(method, path string, body any, prep func(*http.Request)) resp {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	prep(req)
	cl := &http.Client{Timeout: 10 * time.Second}
	res, err := cl.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	out := resp{status: res.StatusCode, header: res.Header, raw: raw}
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &out.body)
	}
	return out
}

// must asserts the status and returns the body.
func (r resp) must(t *testing.T, status int) map[string]any {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.raw)
	}
	return r.body
}

// fieldErrors returns the field-errors object of a validation 400.
func (r resp) fieldErrors(t *testing.T) map[string]any {
	t.Helper()
	fe, ok := r.must(t, http.StatusBadRequest)["field-errors"].(map[string]any)
	if !ok {
		t.Fatalf("no field-errors in %s", r.raw)
	}
	if _, ok := r.body["errors"].([]any); !ok {
		t.Fatalf("no errors list in %s", r.raw)
	}
	return fe
}

// data returns the data list of a list answer.
func data(t *testing.T, body map[string]any) []map[string]any {
	t.Helper()
	list, ok := body["data"].([]any)
	if !ok {
		t.Fatalf("no data list in %v", body)
	}
	out := make([]map[string]any, len(list))
	for i, x := range list {
		out[i] = x.(map[string]any)
	}
	return out
}

// ids returns the id of each object.
func ids(objs []map[string]any) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i], _ = o["id"].(string)
	}
	return out
}

// createLead posts a lead and returns its id.
func (e *env) createLead(body map[string]any) string {
	e.t.Helper()
	b := e.do("POST", "/lead/", body).must(e.t, http.StatusOK)
	return b["id"].(string)
}

// at navigates nested maps and lists by keys ("0" for list items).
func at(v any, path ...string) any {
	for _, p := range path {
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			i := 0
			for _, c := range p {
				i = i*10 + int(c-'0')
			}
			if i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}
