package closum

import (
	"context"
	"net/http"
	"net/url"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/mapping"
)

// writeContact sends one contact:
//
//   - create: POST contact/add (with Verify, a lookup by the match key first);
//   - upsert: GET contact/view/{value}?finder=email|mobile, then PUT
//     contact/edit/{id} when found or POST contact/add when not;
//   - update: the same lookup (or the id itself), then PUT contact/edit/{id}.
//
// Closum has no native contact upsert, so two workers upserting the same
// new email at once may both create it.
func (c *Client) writeContact(ctx context.Context, rec mapping.Record, opt connector.WriteOptions) (connector.Result, error) {
	op := string(opt.Mode) + " contact"
	in, err := c.parse(op, connector.Contact, rec)
	if err != nil {
		return connector.Result{}, err
	}
	switch opt.Mode {
	case connector.Create:
		if opt.Verify {
			if key, val := verifyKey(opt.Match, in); val != "" {
				p, resp, err := c.findContact(ctx, key, val)
				if err != nil {
					return connector.Result{}, err
				}
				if p != nil {
					return c.done(resp, connector.Created, string(p.ID), "found by "+key+" after an uncertain earlier attempt; not sent again"), nil
				}
			}
		}
		return c.addContact(ctx, op, in)
	case connector.Upsert, connector.Update:
		key, val := matchValue(opt.Match, in)
		if val == "" {
			return connector.Result{}, rowError(op, "%s is empty: it is the match key", key)
		}
		if key == mapping.FieldID {
			if opt.Mode == connector.Upsert {
				return connector.Result{}, rowError(op, "cannot upsert by id: Closum sets contact ids")
			}
			return c.editContact(ctx, op, val, in)
		}
		p, _, err := c.findContact(ctx, key, val)
		if err != nil {
			return connector.Result{}, err
		}
		switch {
		case p != nil:
			return c.editContact(ctx, op, string(p.ID), in)
		case opt.Mode == connector.Upsert:
			return c.addContact(ctx, op, in)
		}
		return connector.Result{}, rowError(op, "no Closum contact with %s %q", key, val)
	}
	return connector.Result{}, rowError(op, "unknown mode %q (want create, update or upsert)", opt.Mode)
}

// addContact creates a contact; consent is false unless given.
func (c *Client) addContact(ctx context.Context, op string, in input) (connector.Result, error) {
	if in.email == "" && in.phone == "" {
		return connector.Result{}, rowError(op, "email and phone are both empty: Closum needs one to add a contact")
	}
	no := false
	body := contactBodyOf(in)
	if body.ConsentEmail == nil {
		body.ConsentEmail = &no
	}
	if body.ConsentSMS == nil {
		body.ConsentSMS = &no
	}
	resp, env, err := c.call(ctx, http.MethodPost, "contact/add", nil, body, op)
	if err != nil {
		return connector.Result{}, err
	}
	return c.done(resp, connector.Created, responseID(env.ResponseData, "contact_id", "contact"), ""), nil
}

// editContact updates contact id with the fields given; absent fields,
// consent included, are left alone.
func (c *Client) editContact(ctx context.Context, op, id string, in input) (connector.Result, error) {
	resp, env, err := c.call(ctx, http.MethodPut, "contact/edit/"+url.PathEscape(id), nil, contactBodyOf(in), op)
	if err != nil {
		return connector.Result{}, err
	}
	if got := responseID(env.ResponseData, "contact_id", "contact"); got != "" {
		id = got
	}
	return c.done(resp, connector.Updated, id, ""), nil
}

func contactBodyOf(in input) contactBody {
	b := contactBody{
		Name: in.name, Email: in.email, MobileNumber: in.phone,
		ConsentEmail: in.consentEmail, ConsentSMS: in.consentSMS,
		Tags: in.tags, BirthDate: in.birthDate,
	}
	if len(in.custom) > 0 {
		b.CustomFields = in.custom
	}
	return b
}

// matchValue returns the match key (email when none is given) and the
// record's value for it.
func matchValue(match []string, in input) (string, string) {
	key := mapping.FieldEmail
	if len(match) > 0 {
		key = match[0]
	}
	switch key {
	case mapping.FieldPhone, fieldMobile:
		return mapping.FieldPhone, in.phone
	case mapping.FieldID:
		return key, in.id
	}
	return mapping.FieldEmail, in.email
}

// findContact looks a contact up by email or phone with GET
// contact/view/{value}?finder=…; nil when there is none.
func (c *Client) findContact(ctx context.Context, key, val string) (*person, *http.Response, error) {
	var v contactView
	resp, found, err := c.view(ctx, "contact/view/", "find contact", key, val, &v)
	if err != nil || !found || v.Contact == nil || v.Contact.ID == "" {
		return nil, resp, err
	}
	return v.Contact, resp, nil
}
