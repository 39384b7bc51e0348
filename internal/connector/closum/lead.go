package closum

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/mapping"
)

// noteUpsertUnknown is the row note when lead/add with update_enabled does
// not say which of the two it did.
const noteUpsertUnknown = "Closum's lead/add with update_enabled does not say whether it created or updated the lead; reported as created"

// writeLead sends one lead:
//
//   - create: POST lead/add/ (with Verify, GET lead/view/{email}?finder=email first);
//   - upsert: POST lead/add/ with update_enabled, one call (Closum's own upsert);
//   - update by email: PUT lead/edit-by-email;
//   - update by phone or id: find the lead, refuse if the record would
//     change its email (Closum forbids it), then PUT lead/edit/{id}.
func (c *Client) writeLead(ctx context.Context, rec mapping.Record, opt connector.WriteOptions) (connector.Result, error) {
	op := string(opt.Mode) + " lead"
	in, err := c.parse(op, connector.Lead, rec)
	if err != nil {
		return connector.Result{}, err
	}
	switch opt.Mode {
	case connector.Create:
		return c.createLead(ctx, op, in, opt)
	case connector.Upsert:
		return c.upsertLead(ctx, op, in)
	case connector.Update:
		return c.updateLead(ctx, op, in, opt)
	}
	return connector.Result{}, rowError(op, "unknown mode %q (want create, update or upsert)", opt.Mode)
}

func (c *Client) createLead(ctx context.Context, op string, in input, opt connector.WriteOptions) (connector.Result, error) {
	body, err := leadAdd(op, in)
	if err != nil {
		return connector.Result{}, err
	}
	if opt.Verify {
		if key, val := verifyKey(opt.Match, in); val != "" {
			p, resp, err := c.findLead(ctx, key, val)
			if err != nil {
				return connector.Result{}, err
			}
			if p != nil {
				return c.done(resp, connector.Created, string(p.ID), "found by "+key+" after an uncertain earlier attempt; not sent again"), nil
			}
		}
	}
	resp, env, err := c.call(ctx, http.MethodPost, "lead/add/", nil, body, op)
	if err != nil {
		return connector.Result{}, err
	}
	return c.done(resp, connector.Created, responseID(env.ResponseData, "lead_id", "lead"), ""), nil
}

func (c *Client) upsertLead(ctx context.Context, op string, in input) (connector.Result, error) {
	if in.email == "" {
		return connector.Result{}, rowError(op, "email is empty: Closum's upsert (update_enabled) matches leads by email")
	}
	body, err := leadAdd(op, in)
	if err != nil {
		return connector.Result{}, err
	}
	body.UpdateEnabled = true
	resp, env, err := c.call(ctx, http.MethodPost, "lead/add/", nil, body, op)
	if err != nil {
		return connector.Result{}, err
	}
	status, known := upsertOutcome(env)
	note := ""
	if !known {
		note = noteUpsertUnknown
	}
	return c.done(resp, status, responseID(env.ResponseData, "lead_id", "lead"), note), nil
}

func (c *Client) updateLead(ctx context.Context, op string, in input, opt connector.WriteOptions) (connector.Result, error) {
	body, err := leadEdit(op, in)
	if err != nil {
		return connector.Result{}, err
	}
	key, val := matchValue(opt.Match, in)
	if val == "" {
		return connector.Result{}, rowError(op, "%s is empty: it is the match key", key)
	}
	path := "lead/edit-by-email"
	if key == mapping.FieldEmail {
		body.Email = val
	} else {
		id := val
		// An id needs no lookup unless there is an email to check.
		if key != mapping.FieldID || in.email != "" {
			p, _, err := c.findLead(ctx, key, val)
			if err != nil {
				return connector.Result{}, err
			}
			if p == nil {
				return connector.Result{}, rowError(op, "no Closum lead with %s %q", key, val)
			}
			if in.email != "" && !strings.EqualFold(strings.TrimSpace(string(p.Email)), in.email) {
				return connector.Result{}, emailChange(op, p, in.email)
			}
			id = string(p.ID)
		}
		path = "lead/edit/" + url.PathEscape(id)
	}
	resp, env, err := c.call(ctx, http.MethodPut, path, nil, body, op)
	if err != nil {
		return connector.Result{}, err
	}
	id := responseID(env.ResponseData, "lead_id", "lead")
	if id == "" && key == mapping.FieldID {
		id = in.id
	}
	return c.done(resp, connector.Updated, id, ""), nil
}

// emailChange is the row error for an update that would change a lead's
// email, which Closum does not allow; nothing is sent.
func emailChange(op string, p *person, email string) error {
	if p.Email == "" {
		return rowError(op, "lead %s has no email and Closum cannot add one by an edit; record's email %q not sent", p.ID, email)
	}
	return rowError(op, "lead %s has email %q and Closum does not allow changing a lead's email; record's email %q not sent", p.ID, p.Email, email)
}

// leadAdd builds the lead/add body; consent is false unless given.
func leadAdd(op string, in input) (leadAddBody, error) {
	switch {
	case in.email == "" && in.phone == "":
		return leadAddBody{}, rowError(op, "email and phone are both empty: Closum needs one to add a lead")
	case in.salesSequenceID != 0 || in.userID != 0:
		return leadAddBody{}, rowError(op, "sales_sequence_id and user_id can only be set by a lead update, not lead/add")
	}
	b := leadAddBody{
		Name: in.name, Email: in.email, MobileNumber: in.phone,
		StageID: in.stage, CustomData: in.customData, Tags: in.tags, BirthDate: in.birthDate,
	}
	if in.consentEmail != nil {
		b.ConsentEmail = *in.consentEmail
	}
	if in.consentSMS != nil {
		b.ConsentSMS = *in.consentSMS
	}
	if len(in.custom) > 0 {
		b.CustomFields = in.custom
	}
	return b, nil
}

// leadEdit builds the lead edit body (without the email key).
func leadEdit(op string, in input) (leadEditBody, error) {
	if len(in.custom) > 0 || in.customData != "" {
		return leadEditBody{}, rowError(op, "Closum's lead edit takes no custom fields or custom_data; use mode upsert")
	}
	return leadEditBody{
		Name: in.name, MobileNumber: in.phone, ConsentEmail: in.consentEmail, ConsentSMS: in.consentSMS,
		Tags: in.tags, BirthDate: in.birthDate, StageID: in.stage,
		SalesSequenceID: in.salesSequenceID, UserID: in.userID,
	}, nil
}

// verifyKey picks the field to look a record up by before a verified
// create: the match key when it has a value, else email, else phone.
func verifyKey(match []string, in input) (string, string) {
	for _, m := range match {
		switch m {
		case mapping.FieldEmail:
			if in.email != "" {
				return m, in.email
			}
		case mapping.FieldPhone, fieldMobile:
			if in.phone != "" {
				return mapping.FieldPhone, in.phone
			}
		}
	}
	if in.email != "" {
		return mapping.FieldEmail, in.email
	}
	return mapping.FieldPhone, in.phone
}

// findLead looks a lead up by email, phone or id with GET lead/view/{value}
// and its finder; nil when there is none.
func (c *Client) findLead(ctx context.Context, key, val string) (*person, *http.Response, error) {
	var v leadView
	resp, found, err := c.view(ctx, "lead/view/", "find lead", key, val, &v)
	if err != nil || !found || v.Lead == nil || v.Lead.ID == "" {
		return nil, resp, err
	}
	return v.Lead, resp, nil
}

// view GETs prefix+value with the finder for key and decodes responseData
// into v. found is false when Closum says there is no such record: a 404,
// or a "not found" message in a status-false answer.
func (c *Client) view(ctx context.Context, prefix, op, key, val string, v any) (*http.Response, bool, error) {
	q := url.Values{}
	switch key {
	case mapping.FieldEmail:
		q.Set("finder", "email")
	case mapping.FieldPhone, fieldMobile:
		q.Set("finder", "mobile")
	}
	resp, env, err := c.call(ctx, http.MethodGet, prefix+url.PathEscape(val), q, nil, op)
	if err != nil {
		if ce, ok := connector.AsError(err); ok && !ce.Auth && !ce.Retryable &&
			(ce.HTTPStatus == http.StatusNotFound || notFoundText(ce.Message)) {
			return resp, false, nil
		}
		return resp, false, err
	}
	if err := decodeData(env, v); err != nil {
		return resp, false, &connector.Error{Op: op, HTTPStatus: resp.StatusCode, Message: c.red.String(err.Error())}
	}
	return resp, true, nil
}

// notFoundText reports whether an API message says a record does not exist.
func notFoundText(msg string) bool {
	l := strings.ToLower(msg)
	for _, s := range []string{"not found", "not exist", "doesn't exist", "não encontrad", "nao encontrad", "não existe", "nao existe"} {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

// upsertOutcome reads from a lead/add answer whether update_enabled created
// or updated the lead. The answer is undocumented, so a few plausible signs
// are read: a boolean "updated", "created" or "is_new", an "action" text,
// or a message naming the act. known is false when none is there, and the
// status is then Created: Updated is claimed only when the answer says so.
func upsertOutcome(env envelope) (connector.Status, bool) {
	var v any
	if json.Unmarshal(env.ResponseData, &v) == nil {
		if arr, ok := v.([]any); ok && len(arr) > 0 {
			v = arr[0]
		}
		if obj, ok := v.(map[string]any); ok {
			// Each flag names the status its true value means.
			for _, f := range []struct {
				key    string
				ifTrue connector.Status
			}{{"updated", connector.Updated}, {"created", connector.Created}, {"is_new", connector.Created}, {"new", connector.Created}} {
				if b, ok := obj[f.key].(bool); ok {
					if b == (f.ifTrue == connector.Updated) {
						return connector.Updated, true
					}
					return connector.Created, true
				}
			}
			for _, key := range []string{"action", "operation", "result"} {
				if s, ok := obj[key].(string); ok {
					if st, ok := actionWord(s); ok {
						return st, true
					}
				}
			}
		}
	}
	for _, m := range texts(env.Message) {
		if st, ok := actionWord(m); ok {
			return st, true
		}
	}
	return connector.Created, false
}

// actionWord reads "updated" or "created" in a text.
func actionWord(s string) (connector.Status, bool) {
	l := strings.ToLower(s)
	switch {
	case strings.Contains(l, "updated") || strings.Contains(l, "update"):
		return connector.Updated, true
	case strings.Contains(l, "created") || strings.Contains(l, "create") || strings.Contains(l, "inserted"):
		return connector.Created, true
	}
	return "", false
}
