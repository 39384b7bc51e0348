package qlara

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/mapping"
)

// Write sends one record:
//
//   - create: POST /contacts (with opt.Verify, a lookup by the match key
//     first, so an uncertain earlier attempt is not duplicated);
//   - update: GET /contacts by the match key, then PUT /contacts/{id} with
//     the fields the row gives; no contact is Skipped, several fail as
//     ambiguous, a contact that already holds every value is Unchanged;
//   - upsert: as update, but creates when no contact matches.
//
// After Index, update and upsert find the contact in the key index instead
// (see Index for what that costs).
//
// Every contact written (created, updated or unchanged) is then queued for
// the job's contact list; see Flusher for when a queued batch is sent and
// which row carries a failed batch.
func (c *Connector) Write(ctx context.Context, obj connector.Object, rec mapping.Record, opt connector.WriteOptions) (connector.Result, error) {
	if err := checkObject(obj); err != nil {
		return connector.Result{}, rowError("write contact", err.Error())
	}
	vals, err := c.fields.values(rec)
	if err != nil {
		return connector.Result{}, rowError("write contact", err.Error())
	}
	if c.listOpt != "" && c.members == nil {
		return connector.Result{}, rowError("write contact", "qlara: Prepare must run before Write (contact list not resolved)")
	}
	var res connector.Result
	switch opt.Mode {
	case connector.Create:
		res, err = c.create(ctx, rec, vals, opt)
	case connector.Update, connector.Upsert:
		if x := c.indexFor(opt.Match); x != nil {
			res, err = c.upsertIndexed(ctx, rec, vals, opt, x)
		} else {
			res, err = c.upsert(ctx, rec, vals, opt)
		}
	default:
		return connector.Result{}, rowError("write contact", fmt.Sprintf("mode %q: want create, update or upsert", opt.Mode))
	}
	if err != nil {
		return res, err
	}
	return c.enlist(ctx, res)
}

// rowError is a failure of this row alone that no retry can fix.
func rowError(op, msg string) *connector.Error {
	return &connector.Error{Op: op, Message: msg}
}

// matchKey holds the values a contact is looked up by.
type matchKey struct {
	id, email, phone string
}

func (k matchKey) String() string {
	var parts []string
	if k.id != "" {
		parts = append(parts, "id="+k.id)
	}
	if k.email != "" {
		parts = append(parts, "email="+k.email)
	}
	if k.phone != "" {
		parts = append(parts, "phone="+k.phone)
	}
	return strings.Join(parts, " ")
}

// keyOf reads the match key of rec. Every field of match must be present:
// a row lacking one is not looked up by the others, so it cannot land on
// the wrong contact.
func keyOf(rec mapping.Record, match []string) (matchKey, error) {
	var k matchKey
	for _, m := range match {
		v := strings.TrimSpace(rec[m])
		if m == mapping.FieldEmail && v == "" {
			v = strings.TrimSpace(rec["mainEmail"])
		}
		if v == "" {
			return k, fmt.Errorf("match field %q is empty in this row", m)
		}
		switch m {
		case mapping.FieldEmail:
			k.email = v
		case mapping.FieldPhone:
			if !isE164(v) {
				return k, fmt.Errorf("phone %q is not in E.164 format (a + and 8 to 15 digits)", v)
			}
			k.phone = v
		case mapping.FieldID:
			k.id = v
		default:
			return k, fmt.Errorf("match %q: Qlara can find contacts by email, phone or id only", m)
		}
	}
	if k == (matchKey{}) {
		return k, errors.New("no match key given")
	}
	return k, nil
}

// defaultKey is the key a create verifies with when the job names none.
func defaultKey(rec mapping.Record, match []string) []string {
	if len(match) > 0 {
		return match
	}
	if strings.TrimSpace(rec[mapping.FieldEmail]) != "" || strings.TrimSpace(rec["mainEmail"]) != "" {
		return []string{mapping.FieldEmail}
	}
	return []string{mapping.FieldPhone}
}

// find returns the contacts matching k. The API's filters are exact, but the
// answer is checked here too: were a filter ever ignored, an update must
// not land on some other contact.
func (c *Connector) find(ctx context.Context, k matchKey) ([]contact, *http.Response, error) {
	const op = "find contact"
	var resp *http.Response
	var body []byte
	var err error
	if k.id != "" {
		resp, body, err = c.do(ctx, http.MethodGet, "/contacts/"+url.PathEscape(k.id), nil, nil, op)
		if ce, ok := connector.AsError(err); ok && ce.HTTPStatus == http.StatusNotFound {
			return nil, resp, nil
		}
	} else {
		q := url.Values{"page": {"0"}, "limit": {strconv.Itoa(findLimit)}}
		if k.email != "" {
			q.Set("email", k.email)
		}
		if k.phone != "" {
			q.Set("phoneNumber", k.phone)
		}
		resp, body, err = c.do(ctx, http.MethodGet, "/contacts", q, nil, op)
	}
	if err != nil {
		return nil, resp, err
	}
	list, err := decodeContacts(body)
	if err != nil {
		return nil, resp, &connector.Error{Op: op, HTTPStatus: resp.StatusCode, Message: "unreadable response", Err: err}
	}
	var out []contact
	for _, ct := range list {
		if k.matches(ct) {
			out = append(out, ct)
		}
	}
	return out, resp, nil
}

// matches reports whether ct carries every value of k.
func (k matchKey) matches(ct contact) bool {
	if k.id != "" && ct.id() != k.id {
		return false
	}
	if k.email != "" {
		emails := append([]string{ct.str("mainEmail")}, ct.strs("emailAddresses")...)
		if !containsFunc(emails, k.email, func(a, b string) bool { return strings.EqualFold(strings.TrimSpace(a), b) }) {
			return false
		}
	}
	if k.phone != "" {
		phones := append([]string{ct.str("mobilePhoneNumber")}, ct.strs("phoneNumbers")...)
		if !containsFunc(phones, k.phone, samePhone) {
			return false
		}
	}
	return true
}

// ambiguous is the error for a key that matches several contacts.
func ambiguous(k matchKey, found []contact) *connector.Error {
	ids := make([]string, len(found))
	for i, ct := range found {
		ids[i] = ct.id()
	}
	return rowError("find contact", fmt.Sprintf("ambiguous: %d contacts match %s (ids %s)", len(found), k, strings.Join(ids, ", ")))
}

// hasContactKey reports whether the row gives an email or a phone, one of
// which Qlara requires of a new contact.
func hasContactKey(vals []given) bool {
	for _, g := range vals {
		if g.f.kind == kindEmail || g.f.kind == kindPhone {
			return true
		}
	}
	return false
}

func (c *Connector) create(ctx context.Context, rec mapping.Record, vals []given, opt connector.WriteOptions) (connector.Result, error) {
	if !hasContactKey(vals) {
		return connector.Result{}, rowError("create contact", "Qlara needs an email or a phone to create a contact; this row has neither")
	}
	if !opt.Verify {
		res, _, err := c.post(ctx, vals)
		return res, err
	}
	k, err := keyOf(rec, defaultKey(rec, opt.Match))
	if err != nil {
		return connector.Result{}, rowError("verify contact", err.Error())
	}
	found, resp, err := c.find(ctx, k)
	if err != nil {
		return connector.Result{}, err
	}
	switch len(found) {
	case 0:
		res, _, err := c.post(ctx, vals)
		res.Wait = max(res.Wait, c.rateWait(resp))
		return res, err
	case 1:
		return connector.Result{Status: connector.Created, ID: found[0].id(), HTTPStatus: resp.StatusCode,
			Note: "found by " + k.String() + " after an uncertain earlier attempt; not created again",
			Wait: c.rateWait(resp)}, nil
	default:
		return connector.Result{}, ambiguous(k, found)
	}
}

// post creates a contact (POST /contacts, answered 201 with {"contacts": [ … ]}).
// It also returns the contact as answered, nil when the answer shows none.
func (c *Connector) post(ctx context.Context, vals []given) (connector.Result, contact, error) {
	resp, body, err := c.do(ctx, http.MethodPost, "/contacts", nil, createBody(vals), "create contact")
	if err != nil {
		return connector.Result{}, nil, err
	}
	res := connector.Result{Status: connector.Created, HTTPStatus: resp.StatusCode, Wait: c.rateWait(resp)}
	var ct contact
	list, err := decodeContacts(body)
	if err == nil && len(list) > 0 {
		ct, res.ID = list[0], list[0].id()
	}
	if res.ID == "" {
		// The contact exists: failing the row would make a retry duplicate it.
		res.Note = "Qlara answered without a contact id; not added to any list"
	}
	return res, ct, nil
}

func (c *Connector) upsert(ctx context.Context, rec mapping.Record, vals []given, opt connector.WriteOptions) (connector.Result, error) {
	k, err := keyOf(rec, opt.Match)
	if err != nil {
		return connector.Result{}, rowError("find contact", err.Error())
	}
	found, resp, err := c.find(ctx, k)
	if err != nil {
		return connector.Result{}, err
	}
	wait := c.rateWait(resp)
	switch {
	case len(found) > 1:
		return connector.Result{}, ambiguous(k, found)
	case len(found) == 0 && opt.Mode == connector.Update:
		return connector.Result{Status: connector.Skipped, HTTPStatus: resp.StatusCode, Wait: wait,
			Note: "no Qlara contact matches " + k.String()}, nil
	case len(found) == 0:
		if !hasContactKey(vals) {
			return connector.Result{}, rowError("create contact", "no contact matches "+k.String()+" and Qlara needs an email or a phone to create one")
		}
		res, _, err := c.post(ctx, vals)
		res.Wait = max(res.Wait, wait)
		return res, err
	}
	res, _, err := c.apply(ctx, vals, found[0], resp)
	return res, err
}

// apply updates a found contact with what the row gives (PUT
// /contacts/{id}), or reports it unchanged when it holds every value
// already; lookup is the answer that found it (nil for none), whose status
// and rate-limit wait the result carries. It also returns the contact as it
// now is: cur when unchanged, the PUT's answer (nil when the answer shows
// none) when updated.
func (c *Connector) apply(ctx context.Context, vals []given, cur contact, lookup *http.Response) (connector.Result, contact, error) {
	id := cur.id()
	wait, status := c.rateWait(lookup), 0
	if lookup != nil {
		status = lookup.StatusCode
	}
	if len(missing(vals, cur)) == 0 {
		return connector.Result{Status: connector.Unchanged, ID: id, HTTPStatus: status, Wait: wait,
			Note: "contact already holds every value"}, cur, nil
	}
	op := "update contact " + id
	resp, body, err := c.do(ctx, http.MethodPut, "/contacts/"+url.PathEscape(id), nil, updateBody(vals, cur), op)
	if ce, ok := connector.AsError(err); ok && ce.HTTPStatus == http.StatusNotFound {
		ce.Message = "contact " + id + " no longer exists (deleted since it was found)"
	}
	if err != nil {
		return connector.Result{}, nil, err
	}
	var now contact
	if list, err := decodeContacts(body); err == nil && len(list) > 0 && list[0].id() == id {
		now = list[0]
	}
	return connector.Result{Status: connector.Updated, ID: id, HTTPStatus: resp.StatusCode,
		Wait: max(wait, c.rateWait(resp))}, now, nil
}
