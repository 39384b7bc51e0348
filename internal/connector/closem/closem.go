// Package closem is the connector for the CLOSEM API (shared/seeds/
// closem-api.md): one form POST to the company base URL plus
// ?m=api&auth=KEY, whose mode says what to do. CLOSEM has no list, view or
// search endpoint, so this connector writes only (no connector.Lister).
//
// The key travels in the URL, so every error this package returns has been
// through a connector.Redactor, transport failures included.
//
// Actions (target option "action", default addcontact):
//   - addcontact writes contacts ("Users" on the help page; objects lead and
//     contact both mean them). Mode upsert sends upsert=true, one call per
//     row, and CLOSEM matches the contact by email or phone itself. Mode
//     create sends no upsert, so CLOSEM adds a contact even when one with the
//     same email exists. Mode update is refused: CLOSEM cannot update without
//     creating what it does not find.
//   - runsequence starts a sequence (sequence_id) on the contact each row
//     names by email or phone; scheduleappointment books an appointment
//     (appointment_note, appointment_timestamp). Both take mode create only:
//     they are one-off commands, not records to match.
//
// Fields: the canonical names of mapping/record.go where CLOSEM has them
// (name, first_name, last_name, email, phone, notes, address, city, state,
// zip, tags), CLOSEM's own names (fullname, firstname, lastname,
// contactlists, sequence_id, contact_emails, contact_phones,
// appointment_note, appointment_timestamp) and every alias the help page
// lists (phone_number, mail, street, zip_code, tag, contact_list, …). Each
// is sent under CLOSEM's canonical name. Tags, contact lists and the
// sequence are CLOSEM ids (numbers), tags and lists comma-separated.
//
// Choices where the help page is silent:
//   - It shows no answers. Any body is understood: JSON with success, ok,
//     status or result flags and error, errors or message texts; plain text
//     such as "OK" or "error: …"; an empty body. HTTP 200 with a failure
//     in the body is an error: Auth when it speaks of the key, retryable when
//     it speaks of a rate limit, otherwise a non-retryable row error. A web
//     page instead of an answer is an error telling to check base_url.
//   - Upsert reports created or updated when the answer says which (an
//     "action", "created" or "updated" field); otherwise updated, with a
//     note saying CLOSEM did not tell.
//   - Prepare makes no call: no cheap request can check the key without
//     writing. A wrong key fails the first row with 401 (Auth), which stops
//     the run.
//   - A create that may have reached CLOSEM (timeout, 5xx) is retried with
//     upsert=true (see Write): CLOSEM cannot be asked whether the contact
//     exists, but an upsert never adds a second one.
//   - Actions cannot be checked either, so an action call that may have
//     been done is not retryable: repeating it could start a sequence or
//     book an appointment twice. The row fails saying so; retry the report
//     once it is checked in CLOSEM.
//   - runsequence and scheduleappointment get phones in the +1##########
//     form CLOSEM lists (US numbers only); appointment times are sent as a
//     UNIX timestamp when the record gives a zone (RFC 3339 or a UNIX
//     timestamp) and as MM/DD/YYYY HH:MM PM, read by CLOSEM in the company
//     timezone, when it does not.
package closem

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/mapping"
)

// The actions a job may choose with the "action" target option; each is a
// CLOSEM mode.
const (
	actionAddContact  = "addcontact"
	actionRunSequence = "runsequence"
	actionSchedule    = "scheduleappointment"
)

// Client is a CLOSEM connector. It holds no mutable state and is safe for
// concurrent use.
type Client struct {
	url    string // the API URL with m=api and the key; never printed
	red    connector.Redactor
	http   *http.Client
	action string
	now    func() time.Time
}

// Compile-time check: Client writes; it is deliberately not a Lister.
var _ connector.Connector = (*Client)(nil)

// New builds a CLOSEM connector. cfg.BaseURL is the company base URL
// (https://app.closem.ai/); a URL copied from CLOSEM's API page with
// ?m=api&auth=KEY is accepted too, its key used when cfg.APIKey is empty.
// Options["action"] is addcontact (default), runsequence or
// scheduleappointment.
func New(cfg connector.Config) (connector.Connector, error) {
	raw := strings.TrimSpace(cfg.BaseURL)
	u, err := url.Parse(raw)
	var urlKey string
	if err == nil {
		urlKey = u.Query().Get("auth")
	}
	red := connector.NewRedactor(cfg.APIKey, urlKey)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("closem: base URL %q must be an http(s) URL such as https://app.closem.ai/", red.String(raw))
	}
	key := cfg.APIKey
	if key == "" {
		key = urlKey
	}
	if key == "" {
		return nil, errors.New("closem: an API key is required")
	}
	action := strings.ToLower(strings.TrimSpace(cfg.Options["action"]))
	switch action {
	case "":
		action = actionAddContact
	case actionAddContact, actionRunSequence, actionSchedule:
	default:
		return nil, fmt.Errorf("closem: action %q: want addcontact, runsequence or scheduleappointment", red.String(action))
	}
	c := &Client{url: apiURL(u, key), red: red, http: cfg.HTTP, action: action, now: time.Now}
	if c.http == nil {
		c.http = &http.Client{Timeout: 60 * time.Second}
	}
	return c, nil
}

// apiURL is the documented request URL: the base URL with m=api and
// auth=KEY first, then any other query parameters the base URL had.
func apiURL(base *url.URL, key string) string {
	u := *base
	q := u.Query()
	q.Del("m")
	q.Del("auth")
	u.RawQuery, u.Fragment = "", ""
	if u.Path == "" {
		u.Path = "/"
	}
	s := u.String() + "?m=api&auth=" + url.QueryEscape(key)
	if rest := q.Encode(); rest != "" {
		s += "&" + rest
	}
	return s
}

// Prepare checks the object and makes no call: CLOSEM documents no request
// that proves a key without writing something, so a wrong key shows as a
// 401 (Auth) on the first row, which stops the run.
func (c *Client) Prepare(_ context.Context, obj connector.Object, _ []string) error {
	return checkObject(obj)
}

func checkObject(obj connector.Object) error {
	if obj != connector.Lead && obj != connector.Contact {
		return fmt.Errorf("closem: unknown object %q (want contact, or lead: CLOSEM has one kind of record)", obj)
	}
	return nil
}

// Write sends one row with the job's action; see writeContact and
// writeAction.
func (c *Client) Write(ctx context.Context, obj connector.Object, rec mapping.Record, opt connector.WriteOptions) (connector.Result, error) {
	if err := checkObject(obj); err != nil {
		return connector.Result{}, c.rowError("write "+string(obj), "%v", err)
	}
	if c.action == actionAddContact {
		return c.writeContact(ctx, rec, opt)
	}
	return c.writeAction(ctx, rec, opt)
}

// done builds the Result of a successful call, with any pause the
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

// rowError is a row CLOSEM would refuse, found before any call: not
// retryable. Its text is redacted too, in case a row quotes the key.
func (c *Client) rowError(op, format string, args ...any) *connector.Error {
	return &connector.Error{Op: op, Message: c.red.String(fmt.Sprintf(format, args...))}
}
