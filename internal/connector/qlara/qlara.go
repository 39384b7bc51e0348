// Package qlara is the connector for the Qlara Platform API
// (/api/partner-gateway/v1, shared/seeds/qlara-platform-api.postman.json).
//
// Qlara has one person object, the contact; the connector accepts the object
// "lead" as the same thing, since Qlara keeps lead data (source, leadType,
// stage) on the contact itself. Contacts are found by the exact email and
// phoneNumber filters of GET /contacts, created with POST /contacts and
// changed with a partial PUT /contacts/{id}. When the job names a contact
// list (target option "list"), every contact written is added to it through
// POST /contacts/list/contacts in batches; see Flusher.
//
// Target options (connector.Config.Options):
//
//	list             contact list to add contacts to: an id, a name, or "id:…" / "name:…"
//	create_list      "true" to create the list when no list has that name
//	list_batch_size  contacts per add-to-list call, 1 to 1000 (default 100)
package qlara

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/mapping"
)

// Limits documented by the API.
const (
	maxPageSize      = 1000 // "limit defaults to 10 (maximum 1000)"
	defaultBatchSize = 100  // contacts per POST /contacts/list/contacts; no documented maximum
	findLimit        = 50   // page size of a match lookup: enough to see ambiguity
)

// Connector writes and lists Qlara contacts. It is safe for concurrent use
// once Prepare has returned.
type Connector struct {
	base   string
	key    string
	client *http.Client
	red    connector.Redactor
	fields fieldIndex
	now    func() time.Time

	listOpt    string // the "list" option as given
	createList bool

	members *membership // nil when the job names no list; set by Prepare
	batch   int

	poll time.Duration // first wait between export polls

	idx atomic.Pointer[index] // set by Index; nil until then
}

// Compile-time checks of the abilities this connector offers. It offers no
// connector.Counter: GET /contacts answers a bare array with no total, so
// an export's progress has no total (unknown).
var (
	_ connector.Connector = (*Connector)(nil)
	_ connector.Lister    = (*Connector)(nil)
	_ Flusher             = (*Connector)(nil)
)

// New builds a Qlara connector. cfg.BaseURL is the API root, e.g.
// https://lora-api.agiletelecom.com/api/partner-gateway/v1.
func New(cfg connector.Config) (connector.Connector, error) {
	return newConnector(cfg)
}

func newConnector(cfg connector.Config) (*Connector, error) {
	base := strings.TrimRight(strings.TrimSpace(cfg.BaseURL), "/")
	u, err := url.Parse(base)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("qlara: base_url %q is not an absolute URL", cfg.BaseURL)
	}
	if cfg.APIKey == "" {
		return nil, errors.New("qlara: an API key is required (sent as X-API-Key)")
	}
	c := &Connector{
		base:    base,
		key:     cfg.APIKey,
		client:  cfg.HTTP,
		red:     connector.NewRedactor(cfg.APIKey),
		fields:  newFieldIndex(),
		now:     time.Now,
		listOpt: strings.TrimSpace(cfg.Options["list"]),
		batch:   defaultBatchSize,
		poll:    defaultPoll,
	}
	if c.client == nil {
		c.client = &http.Client{Timeout: time.Minute}
	}
	if v := strings.TrimSpace(cfg.Options["create_list"]); v != "" {
		if c.createList, err = strconv.ParseBool(v); err != nil {
			return nil, fmt.Errorf("qlara: option create_list %q: want true or false", v)
		}
	}
	if v := strings.TrimSpace(cfg.Options["list_batch_size"]); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPageSize {
			return nil, fmt.Errorf("qlara: option list_batch_size %q: want a number from 1 to %d", v, maxPageSize)
		}
		c.batch = n
	}
	return c, nil
}

// checkObject accepts contact, and lead as its alias.
func checkObject(obj connector.Object) error {
	if obj == connector.Contact || obj == connector.Lead {
		return nil
	}
	return fmt.Errorf("qlara: object %q: Qlara has contacts only (lead is accepted as contact)", obj)
}

// matchable returns the record keys GET /contacts can filter on exactly.
func matchable() []string { return []string{mapping.FieldEmail, mapping.FieldPhone, mapping.FieldID} }

// CheckWrite reports every problem with writing fields to obj in mode with
// the match key given, without any call.
func (c *Connector) CheckWrite(obj connector.Object, mode connector.Mode, match []string, fields []string) error {
	var errs []error
	if err := checkObject(obj); err != nil {
		errs = append(errs, err)
	}
	switch mode {
	case connector.Create, connector.Update, connector.Upsert:
	default:
		errs = append(errs, fmt.Errorf("mode %q: want create, update or upsert", mode))
	}
	byWire := map[string]string{}
	for _, k := range fields {
		if k == mapping.FieldID {
			continue
		}
		f, ok := c.fields[k]
		if !ok {
			errs = append(errs, fmt.Errorf("field %q: %s (known: %s)", k, unknownFieldReason(k), strings.Join(c.fields.knownKeys(), ", ")))
			continue
		}
		if prev, dup := byWire[f.wire]; dup {
			errs = append(errs, fmt.Errorf("fields %q and %q both set Qlara's %s; keep one", prev, k, f.wire))
		}
		byWire[f.wire] = k
	}
	if mode == connector.Create && !slices.Contains(fields, mapping.FieldEmail) && !slices.Contains(fields, "mainEmail") && !slices.Contains(fields, mapping.FieldPhone) {
		errs = append(errs, errors.New("mode create: Qlara needs an email or a phone for every new contact; map email or phone"))
	}
	if (mode == connector.Update || mode == connector.Upsert) && len(match) == 0 {
		errs = append(errs, fmt.Errorf("mode %s: a match key is required (email, phone or id)", mode))
	}
	for _, m := range match {
		if !slices.Contains(matchable(), m) {
			errs = append(errs, fmt.Errorf("match %q: Qlara can find contacts by email, phone or id only", m))
			continue
		}
		if !slices.Contains(fields, m) && !(m == mapping.FieldEmail && slices.Contains(fields, "mainEmail")) {
			errs = append(errs, fmt.Errorf("match %q: the mapping does not produce this field", m))
		}
	}
	return errors.Join(errs...)
}

// Prepare proves the API key with a one-contact GET /contacts and resolves
// the contact list the job names, if any.
func (c *Connector) Prepare(ctx context.Context, obj connector.Object, fields []string) error {
	if err := checkObject(obj); err != nil {
		return err
	}
	q := url.Values{"limit": {"1"}, "page": {"0"}}
	if _, _, err := c.do(ctx, http.MethodGet, "/contacts", q, nil, "check API key"); err != nil {
		return fmt.Errorf("qlara: %w", err)
	}
	if c.listOpt == "" {
		return nil
	}
	l, err := c.resolveList(ctx)
	if err != nil {
		return fmt.Errorf("qlara: %w", err)
	}
	c.members = newMembership(l.id, l.name, c.batch)
	return nil
}

// do sends one request and returns the response body. A failure is the
// *connector.Error of connector.Call, its message taken from the API's body.
func (c *Connector) do(ctx context.Context, method, path string, q url.Values, in any, op string) (*http.Response, []byte, error) {
	u := c.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: encode body: %w", op, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, nil, &connector.Error{Op: op, Err: c.red.Error(err)}
	}
	req.Header.Set("X-API-Key", c.key)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, b, err := connector.Call(ctx, c.client, req, op, c.red)
	if ce, ok := connector.AsError(err); ok && ce.HTTPStatus >= 400 {
		ce.Message = c.red.String(statusMessage(ce.HTTPStatus, apiMessage(b)))
		if ce.HTTPStatus == http.StatusTooManyRequests && ce.RetryAfter == 0 && resp != nil {
			ce.RetryAfter = retryAfterSeconds(resp.Header)
		}
	}
	return resp, b, err
}

// retryAfterSeconds reads X-Rate-Limit-Retry-After-Seconds, the header
// bucket4j (the usual Spring Boot rate limiter) sends with its 429s. The
// collection documents no 429, so connector.RateHint's headers come first
// and this is the fallback.
func retryAfterSeconds(h http.Header) time.Duration {
	s, err := strconv.ParseFloat(strings.TrimSpace(h.Get("X-Rate-Limit-Retry-After-Seconds")), 64)
	if err != nil || s <= 0 {
		return 0
	}
	return time.Duration(s * float64(time.Second))
}

// statusMessage words an error status for the report, keeping the API's own
// message when it gave one (the collection's examples carry none).
func statusMessage(status int, msg string) string {
	if msg != "" {
		return msg
	}
	switch status {
	case http.StatusBadRequest:
		return "invalid request: Qlara rejected the data (check phone format and field values)"
	case http.StatusUnauthorized, http.StatusForbidden:
		return "API key rejected (X-API-Key missing, invalid or revoked)"
	case http.StatusNotFound:
		return "not found"
	case http.StatusConflict:
		return "conflict: the resource already exists"
	case http.StatusTooManyRequests:
		return "rate limited"
	}
	return http.StatusText(status)
}

// rateWait returns the pause a successful response asks for, if any.
func (c *Connector) rateWait(resp *http.Response) time.Duration {
	if resp == nil {
		return 0
	}
	w, _ := connector.RateHint(resp.Header, c.now())
	return w
}
