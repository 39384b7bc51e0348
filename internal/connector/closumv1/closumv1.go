// Package closumv1 is the connector for the legacy Closum API v1
// (shared/seeds/closum-v1-api.txt): a bearer token from POST /token, leads
// (object lead) at /lead and unqualified leads (object contact) at
// /unqualified-lead, their email and phone objects, and lists paged with
// limit/page and a "pagination" block.
//
// # Auth
//
// The api_username and api_pw (Config.Username and Config.Password, or
// Config.APIKey as the password) buy a token that every worker shares. It
// is renewed shortly before it expires (at 90% of its life or 60 s before
// the end, whichever comes first) and once when a call is answered 401, that
// call then being sent again once; concurrent workers that find it stale
// share a single renewal. The password and every token are scrubbed from
// all errors.
//
// # Writes
//
// The v1 API creates leads but cannot update them. Mode create POSTs;
// mode upsert looks the record up in a key index (email and phone → id and
// digests of what an upsert compares), read once per run from the list
// endpoint (by Index, or by the first upsert when Index is not called) and
// kept current with the records the run creates. A record found is
// reported unchanged with a note, except when the only differences are its
// email or phone: those objects have their own PUT endpoints, and the row
// is reported updated (one GET for their ids, then the PUTs). Mode update
// is refused by CheckWrite.
//
// # Fields
//
// name (or first_name + last_name), email, phone, phone_extension,
// consent_email and consent_sms (the opt-in object); for leads also city
// (a name, resolved through GET /city), city_id, custom_data and
// custom.<name> (merged into custom_data, a JSON object); for contacts
// contact_type_id (Options["contact_type_id"] gives new ones a default).
//
// Choices where the documentation is silent:
//   - A phone given in international form (+351…, or national with
//     Options["region"]) is sent as its country code padded to three digits
//     (extension "001" for +1, as in the documented example, "351" for
//     Portugal) and its national number; other numbers are sent as given. Phones are compared by their E.164
//     form, or by their digits when no country can be told.
//   - No maximum page size is documented (only the default, 25): lists ask
//     for 100, CakePHP's default maximum, unless Options["page_size"] says
//     otherwise, and page numbers stay right whatever size the server grants.
//   - Records created while an answer was lost (a timeout) are found again
//     by reading the newest records (sort=id, direction=desc) before a
//     verified create or the next upsert decides a key is new.
//   - When a record gives one consent flag, the other is sent as false:
//     the example sends both, and consent is never assumed.
//   - Any refusal of POST /token other than a server fault or a rate limit
//     means the credentials are wrong: an Auth error.
package closumv1

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/mapping"
)

// defaultPageSize is the limit asked of list endpoints.
const defaultPageSize = 100

// reasonNoUpdate is why mode update is refused.
const reasonNoUpdate = "the Closum v1 API has no lead update; use upsert, or the v2 system closum"

// Client is a Closum v1 connector. It is safe for concurrent use by many
// workers once Prepare has returned.
type Client struct {
	base     string // API root without trailing slash, e.g. https://api.closum.com/api
	user, pw string
	http     *http.Client
	pageSize int
	region   string // region for phone numbers written without a country code
	// contactType is the contact_type_id of new unqualified leads whose
	// record gives none (Options["contact_type_id"]); 0 to send none.
	contactType int
	now         func() time.Time

	tmu sync.Mutex
	tok tokenState

	cities lazy[cityTable]
	index  map[connector.Object]*keyIndex // fixed at New; each index locks itself
}

// Compile-time checks of the abilities Client offers.
var (
	_ connector.Connector = (*Client)(nil)
	_ connector.Lister    = (*Client)(nil)
)

// resource is the API path of each object.
func resource(obj connector.Object) (string, bool) {
	switch obj {
	case connector.Lead:
		return "lead", true
	case connector.Contact:
		return "unqualified-lead", true
	}
	return "", false
}

// noun names obj the way Closum v1 does, for messages.
func noun(obj connector.Object) string {
	if obj == connector.Contact {
		return "unqualified lead"
	}
	return "lead"
}

// New builds a Closum v1 connector. cfg.BaseURL is the API root
// (https://api.closum.com/api); cfg.Username and cfg.Password are the
// api_username and api_pw (cfg.APIKey stands in for an empty Password).
// Options["page_size"] sets the list page size (1–1000),
// Options["region"] (e.g. "PT") the country of national phone numbers, and
// Options["contact_type_id"] the contact type of new unqualified leads
// whose record gives none.
func New(cfg connector.Config) (connector.Connector, error) {
	pw := cfg.Password
	if pw == "" {
		pw = cfg.APIKey
	}
	c := &Client{
		user:     strings.TrimSpace(cfg.Username),
		pw:       pw,
		http:     cfg.HTTP,
		pageSize: defaultPageSize,
		region:   strings.ToUpper(strings.TrimSpace(cfg.Options["region"])),
		now:      time.Now,
		index: map[connector.Object]*keyIndex{
			connector.Lead:    newKeyIndex(),
			connector.Contact: newKeyIndex(),
		},
	}
	c.tok.red = newRedactor(pw, nil)
	red := c.redactor()
	base := strings.TrimRight(strings.TrimSpace(cfg.BaseURL), "/")
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("closum-v1: base URL %q must be an http(s) URL such as https://api.closum.com/api", red.String(base))
	}
	c.base = base
	switch {
	case c.user == "" && pw == "":
		return nil, errors.New("closum-v1: api_username and api_pw are required (target.auth.username and password)")
	case c.user == "":
		return nil, errors.New("closum-v1: api_username is required (target.auth.username)")
	case pw == "":
		return nil, errors.New("closum-v1: api_pw is required (target.auth.password)")
	}
	if c.http == nil {
		c.http = &http.Client{Timeout: 60 * time.Second}
	}
	if v := cfg.Options["page_size"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return nil, fmt.Errorf("closum-v1: page_size %q: want a number from 1 to 1000", v)
		}
		c.pageSize = n
	}
	if v := cfg.Options["contact_type_id"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("closum-v1: contact_type_id %q: want a positive whole number", v)
		}
		c.contactType = n
	}
	return c, nil
}

// Prepare proves the credentials by obtaining the first token, and loads
// the city list when fields name cities.
func (c *Client) Prepare(ctx context.Context, obj connector.Object, fields []string) error {
	if _, ok := resource(obj); !ok {
		return fmt.Errorf("closum-v1: unknown object %q (want lead or contact)", obj)
	}
	if _, err := c.token(ctx); err != nil {
		return fmt.Errorf("closum-v1 prepare: %w", err)
	}
	if obj == connector.Lead && slices.Contains(fields, mapping.FieldCity) {
		if _, err := c.cityTable(ctx); err != nil {
			return fmt.Errorf("closum-v1 prepare: %w", err)
		}
	}
	return nil
}

// tracker collects, over the calls of one Write, what its Result reports:
// the last HTTP status and the longest pause the rate-limit headers asked for.
type tracker struct {
	status int
	wait   time.Duration
}

// result builds the Result of a successful write.
func (t *tracker) result(status connector.Status, id, note string) connector.Result {
	return connector.Result{Status: status, ID: id, HTTPStatus: t.status, Note: note, Wait: t.wait}
}

// rowError is a record Closum would refuse, found before any call: not
// worth retrying.
func rowError(op, format string, args ...any) *connector.Error {
	return &connector.Error{Op: op, Message: fmt.Sprintf(format, args...)}
}
