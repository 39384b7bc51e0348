// Package closecrm is the connector for the Close REST API v1
// (shared/seeds/close-rest-api-v1.txt): HTTP Basic auth with the API key as
// the user, leads with their contacts nested, contacts, lead and contact
// custom fields, the "query" search and _skip/_limit/has_more pages.
//
// # Fields
//
// Object lead: company is the lead's name; name (or first_name + last_name),
// email, phone and title go to the lead's contact (emails[0], phones[0],
// type "office"); url, description, status (a status label), address, city,
// state, zip and country (addresses[0]) and custom.<Human Name> (lead custom
// fields) go to the lead.
//
// Object contact: name (or first_name + last_name), title, email, phone and
// custom.<Human Name> (contact custom fields). A new contact belongs to the
// lead given by lead_id; without one, to the lead whose name is company
// (query name:"…", exact match ignoring case); without such a lead, to a new
// lead created with the contact nested in it and named company, or the
// contact's name when there is no company. lead_id and company only place a
// new contact: an update never moves a contact to another lead.
//
// # Matching
//
// Match keys are email and phone (either or both) or id alone (update only).
// Records are found with the lead search (email_address:"…" or phone:"…")
// and the results are checked exactly: emails ignoring case, phones by their
// E.164 form (region from Options["region"], default US). A contact write
// matches the one contact holding the key; a lead write matches the lead
// holding such a contact. More than one match is an error, never a guess.
//
// # Writes
//
// Updates are patches: only fields the record gives and that differ from
// what Close holds are sent (empty values are never sent), so a second
// identical run reports unchanged. A new email or phone is put first and the
// contact's others are kept. Titles compare ignoring case because Close may
// store them lowercased (see the create example in the docs).
//
// # Key index
//
// After Index (see index.go), update and upsert find records in a key index
// read once from the lead listing instead of searching for each row: a new
// record costs its create, a changed one one PUT, an unchanged one nothing.
// Rows the index cannot decide alone read their record by id, or search as
// without it.
//
// # Listing
//
// List pages through GET /lead/ with _limit=100 and _skip, asking the search
// for "sort:created" so that pages stay stable while records change (new
// leads sort last; date_created never changes). Contacts are listed through
// their leads (Close's advice), which also gives each one its lead's id and
// name. Since adds `updated >= "…"` (UTC) to the lead query and is checked
// again on every record; for contacts only that per-record check applies, as
// a contact's change need not touch its lead.
//
// Close caps _skip per resource ("a 400 response with an appropriate
// message"). When the next _skip would pass the cap (Options["max_skip"],
// or learnt from the first such 400), List starts a new date window: the
// same query with `created >= "<second of the last lead seen>"`, _skip back
// at 0, skipping the leads of that second it already gave. A second holding
// more leads than one window can page through is an error, never a silent
// stop. Leads are de-duplicated by id over the last two pages and the
// boundary second: with the creation order a repeat can only come from an
// offset shift or a window boundary, and a full id set would cost ~110 MB
// per million leads.
//
// With Query.Async, List uses the asynchronous export instead (POST
// /export/lead/, JSON, type leads): it polls GET /export/{id}/ until the
// export is done and streams the gzip download one lead at a time.
package closecrm

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/mapping"
)

// pageSize is the _limit of every list call; Close's documented example size.
const pageSize = 100

// Client talks to one Close organisation. It is safe for concurrent use by
// many workers once Prepare has returned.
type Client struct {
	base   string // API root without trailing slash
	key    string
	region string // default region for phone numbers without a country code
	http   *http.Client
	red    connector.Redactor
	now    func() time.Time

	mu     sync.RWMutex
	custom map[connector.Object]map[string]customField // lower-case human name → field, set by Prepare

	// companies serialises contact creates per company name, so that two
	// contacts of a company new to Close do not each create its lead.
	companies connector.KeyLocks

	// listDefs are the custom fields List and Columns use, read once so
	// that both give the same columns.
	listDefs map[connector.Object][]customField
	maxSkip  int           // largest _skip Close accepts; 0 until known
	poll     time.Duration // first wait between export status checks

	idx atomic.Pointer[index] // set by Index; nil until then
}

var (
	_ connector.Connector = (*Client)(nil)
	_ connector.Lister    = (*Client)(nil)
)

// New returns a Close connector for cfg: cfg.BaseURL is the API root such as
// https://api.close.com/api/v1 and cfg.APIKey the organisation's API key.
// Options["region"] sets the region (e.g. "GB") used to compare phone
// numbers given without a country code; it defaults to "US".
// Options["max_skip"] is the largest _skip the lead list accepts, when known;
// without it List learns the cap from Close's 400.
func New(cfg connector.Config) (connector.Connector, error) {
	base := strings.TrimRight(strings.TrimSpace(cfg.BaseURL), "/")
	if base == "" {
		return nil, errors.New("close: base_url is empty")
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("close: base_url %q is not an http(s) URL", base)
	}
	if cfg.APIKey == "" {
		return nil, errors.New("close: api_key is empty")
	}
	client := cfg.HTTP
	if client == nil {
		client = &http.Client{Timeout: 60 * time.Second}
	}
	region := strings.ToUpper(strings.TrimSpace(cfg.Options["region"]))
	if region == "" {
		region = "US"
	}
	maxSkip := 0
	if v := strings.TrimSpace(cfg.Options["max_skip"]); v != "" {
		if maxSkip, err = strconv.Atoi(v); err != nil || maxSkip < 1 {
			return nil, fmt.Errorf("close: max_skip %q: want a positive whole number", v)
		}
	}
	return &Client{
		base:   base,
		key:    cfg.APIKey,
		region: region,
		http:   client,
		// The Authorization header carries the key base64-encoded; scrub that form too.
		red:      connector.NewRedactor(cfg.APIKey, base64.StdEncoding.EncodeToString([]byte(cfg.APIKey+":"))),
		now:      time.Now,
		custom:   map[connector.Object]map[string]customField{},
		listDefs: map[connector.Object][]customField{},
		maxSkip:  maxSkip,
		poll:     time.Second,
	}, nil
}

// Prepare checks the key with GET /me/ and resolves the custom fields among
// fields to their ids, loading the object's custom field list once.
func (c *Client) Prepare(ctx context.Context, obj connector.Object, fields []string) error {
	if obj != connector.Lead && obj != connector.Contact {
		return fmt.Errorf("close: unknown object %q (use lead or contact)", obj)
	}
	var who me
	if err := c.call(ctx, nil, "check API key", http.MethodGet, "/me/", nil, nil, &who); err != nil {
		return err
	}
	var wanted []string
	for _, f := range fields {
		if name, ok := strings.CutPrefix(f, mapping.CustomPrefix); ok {
			wanted = append(wanted, name)
		}
	}
	resolved := map[string]customField{}
	if len(wanted) > 0 {
		defs, err := c.customFields(ctx, obj)
		if err != nil {
			return err
		}
		resolved, err = resolveCustom(obj, wanted, defs)
		if err != nil {
			return err
		}
	}
	c.mu.Lock()
	c.custom[obj] = resolved
	c.mu.Unlock()
	return nil
}

// customFields lists every custom field of obj, page by page.
func (c *Client) customFields(ctx context.Context, obj connector.Object) ([]customField, error) {
	var all []customField
	for skip := 0; ; {
		q := url.Values{"_skip": {strconv.Itoa(skip)}, "_limit": {strconv.Itoa(pageSize)}}
		var p page[customField]
		if err := c.call(ctx, nil, "list "+string(obj)+" custom fields", http.MethodGet,
			"/custom_field/"+string(obj)+"/", q, nil, &p); err != nil {
			return nil, err
		}
		all = append(all, p.Data...)
		if !p.HasMore || len(p.Data) == 0 {
			return all, nil
		}
		skip += len(p.Data)
	}
}

// resolveCustom maps each wanted human name to its field, ignoring case and
// surrounding spaces. Unknown or ambiguous names are all reported at once,
// with the names that do exist.
func resolveCustom(obj connector.Object, wanted []string, defs []customField) (map[string]customField, error) {
	byName := map[string][]customField{}
	for _, d := range defs {
		k := customKey(d.Name)
		byName[k] = append(byName[k], d)
	}
	out := map[string]customField{}
	var unknown, ambiguous []string
	for _, w := range wanted {
		k := customKey(w)
		switch found := byName[k]; len(found) {
		case 0:
			unknown = append(unknown, strconv.Quote(w))
		case 1:
			out[k] = found[0]
		default:
			ambiguous = append(ambiguous, strconv.Quote(w))
		}
	}
	var errs []error
	if len(unknown) > 0 {
		names := make([]string, 0, len(defs))
		for _, d := range defs {
			names = append(names, strconv.Quote(d.Name))
		}
		sort.Strings(names)
		avail := strings.Join(names, ", ")
		if avail == "" {
			avail = "none"
		}
		errs = append(errs, fmt.Errorf("close: no %s custom field named %s (available: %s)",
			obj, strings.Join(unknown, ", "), avail))
	}
	if len(ambiguous) > 0 {
		errs = append(errs, fmt.Errorf("close: several %s custom fields are named %s",
			obj, strings.Join(ambiguous, ", ")))
	}
	return out, errors.Join(errs...)
}

// customKey is how human names are compared.
func customKey(name string) string {
	return strings.ToLower(strings.Join(strings.Fields(name), " "))
}

// prepared returns the custom fields Prepare resolved for obj.
func (c *Client) prepared(obj connector.Object) map[string]customField {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.custom[obj]
}
