// Package closum is the connector for the Closum API v2 (shared/seeds/
// closum-v2.postman.json): leads through lead/add, lead/edit and
// lead/edit-by-email, contacts through contact/add and contact/edit, custom
// fields through field/, and lists through lead/ and contact/list.
//
// The api-key travels as a query parameter on every request, so every
// error this package returns has been through a connector.Redactor.
//
// Closum may answer a failure with HTTP 200 and "status": false; such an
// answer is an error here: an *connector.Error with Auth set when the key
// is refused ("Invalid API Key"), otherwise a non-retryable error carrying
// the API's messages.
//
// Choices where the documentation is silent:
//   - Closum has a single name field; first_name and last_name are joined
//     into it on writes, and a listed name is split on its last space.
//   - consent_email and consent_sms are required by lead/add: when a record
//     has neither, false is sent. Upsert goes through lead/add too, so an
//     upsert without consent columns sends false for an existing lead.
//   - lead/add with update_enabled is not documented to say whether it
//     created or updated; the row is reported updated only when the answer
//     says so, otherwise created with a note.
//   - Lookups by email or phone use the documented view finders
//     (lead/view/{email}?finder=email, contact/view/{…}?finder=mobile); a
//     404 or a "not found" message means no such record.
//   - The maximum page size is not documented: lists ask for 100 (CakePHP's
//     default maxLimit) unless Options["page_size"] says otherwise, and
//     follow the paginator whatever size the server grants.
package closum

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/mapping"
)

// defaultPageSize is the page size asked of list endpoints.
const defaultPageSize = 100

// Client is a Closum v2 connector. It is safe for concurrent use once
// Prepare has returned.
type Client struct {
	base     string // API root without trailing slash, e.g. https://api.closum.com/v2
	key      string
	red      connector.Redactor
	http     *http.Client
	pageSize int
	now      func() time.Time

	mu     sync.RWMutex
	fields []field // custom fields from field/, nil until loaded
}

// Compile-time checks of the abilities Client offers.
var (
	_ connector.Connector = (*Client)(nil)
	_ connector.Lister    = (*Client)(nil)
)

// New builds a Closum v2 connector. cfg.BaseURL is the API root including
// the version path (https://api.closum.com/v2); cfg.APIKey is required.
// Options["page_size"] sets the list page size.
func New(cfg connector.Config) (connector.Connector, error) {
	red := connector.NewRedactor(cfg.APIKey)
	if cfg.APIKey == "" {
		return nil, errors.New("closum: an API key is required")
	}
	base := strings.TrimRight(strings.TrimSpace(cfg.BaseURL), "/")
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("closum: base URL %q must be an http(s) URL such as https://api.closum.com/v2", red.String(base))
	}
	c := &Client{base: base, key: cfg.APIKey, red: red, http: cfg.HTTP, pageSize: defaultPageSize, now: time.Now}
	if c.http == nil {
		c.http = &http.Client{Timeout: 60 * time.Second}
	}
	if v := cfg.Options["page_size"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return nil, fmt.Errorf("closum: page_size %q: want a number from 1 to 1000", v)
		}
		c.pageSize = n
	}
	return c, nil
}

// Prepare proves the key with GET field/ and loads the custom fields, so
// that every custom.<name> in fields resolves to its var (by var, or by
// label ignoring case). Unknown names are an error that lists what exists.
func (c *Client) Prepare(ctx context.Context, obj connector.Object, fields []string) error {
	if obj != connector.Lead && obj != connector.Contact {
		return fmt.Errorf("closum: unknown object %q (want lead or contact)", obj)
	}
	fs, err := c.loadFields(ctx)
	if err != nil {
		return fmt.Errorf("closum prepare: %w", err)
	}
	var unknown []string
	for _, f := range fields {
		name, ok := strings.CutPrefix(f, mapping.CustomPrefix)
		if !ok {
			continue
		}
		if _, ok := resolve(fs, name); !ok {
			unknown = append(unknown, strconv.Quote(name))
		}
	}
	if len(unknown) > 0 {
		have := make([]string, 0, len(fs))
		for _, f := range fs {
			have = append(have, fmt.Sprintf("%q (var %s)", f.Label, f.Var))
		}
		if len(have) == 0 {
			have = append(have, "none")
		}
		return fmt.Errorf("closum: unknown custom field %s; Closum has: %s",
			strings.Join(unknown, ", "), strings.Join(have, ", "))
	}
	return nil
}

// loadFields fetches the custom fields (GET field/) and keeps them.
func (c *Client) loadFields(ctx context.Context) ([]field, error) {
	_, env, err := c.call(ctx, http.MethodGet, "field/", nil, nil, "load custom fields")
	if err != nil {
		return nil, err
	}
	var data fieldsData
	if err := decodeData(env, &data); err != nil {
		return nil, &connector.Error{Op: "load custom fields", HTTPStatus: http.StatusOK, Message: c.red.String(err.Error())}
	}
	if data.Fields == nil {
		data.Fields = []field{}
	}
	c.mu.Lock()
	c.fields = data.Fields
	c.mu.Unlock()
	return data.Fields, nil
}

// customFields returns the loaded custom fields; ok is false before Prepare.
func (c *Client) customFields() ([]field, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.fields, c.fields != nil
}

// resolve finds the var of a custom field named by its var or its label
// (exact first, then ignoring case).
func resolve(fs []field, name string) (string, bool) {
	name = strings.TrimSpace(name)
	for _, f := range fs {
		if f.Var == name || f.Label == name {
			return f.Var, true
		}
	}
	for _, f := range fs {
		if strings.EqualFold(f.Label, name) || strings.EqualFold(f.Var, name) {
			return f.Var, true
		}
	}
	return "", false
}

// Write sends one lead or contact; see writeLead and writeContact for the
// calls each mode makes.
func (c *Client) Write(ctx context.Context, obj connector.Object, rec mapping.Record, opt connector.WriteOptions) (connector.Result, error) {
	switch obj {
	case connector.Lead:
		return c.writeLead(ctx, rec, opt)
	case connector.Contact:
		return c.writeContact(ctx, rec, opt)
	}
	return connector.Result{}, rowError("write "+string(obj), "closum has no object %q (want lead or contact)", obj)
}

// decodeData decodes an envelope's responseData into v.
func decodeData(env envelope, v any) error {
	switch strings.TrimSpace(string(env.ResponseData)) {
	case "":
		return errors.New("answer has no responseData")
	case "[]", "null", "{}":
		return nil // PHP's empty array: nothing to decode
	}
	if err := json.Unmarshal(env.ResponseData, v); err != nil {
		return fmt.Errorf("decode responseData: %w", err)
	}
	return nil
}

// done builds the Result of a successful write, with any pause the
// rate-limit headers ask for.
func (c *Client) done(resp *http.Response, status connector.Status, id, note string) connector.Result {
	r := connector.Result{Status: status, ID: id, Note: note}
	if resp != nil {
		r.HTTPStatus = resp.StatusCode
		if w, ok := connector.RateHint(resp.Header, c.now()); ok {
			r.Wait = w
		}
	}
	return r
}
