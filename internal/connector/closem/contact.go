package closem

import (
	"context"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/mapping"
)

// writeContact sends one addcontact call:
//
//   - upsert: upsert=true; CLOSEM updates the contact it matches by email
//     or phone, or adds one.
//   - create: no upsert; CLOSEM adds a contact even if one with the same
//     email or phone exists.
//   - create with opt.Verify (an earlier attempt may have added it): CLOSEM
//     has no way to look a contact up, so the create is sent with
//     upsert=true instead. That never adds a second contact: it updates the
//     one the earlier attempt added, or adds it. The cost is that a contact
//     already in CLOSEM before the job is updated rather than duplicated,
//     which is what a verified create would have found anyway.
func (c *Client) writeContact(ctx context.Context, rec mapping.Record, opt connector.WriteOptions) (connector.Result, error) {
	op := "add contact"
	switch opt.Mode {
	case connector.Upsert:
		op = "upsert contact"
	case connector.Create:
	default:
		return connector.Result{}, c.rowError(op, "mode %s: CLOSEM cannot update without creating; use mode upsert", opt.Mode)
	}
	form, err := c.contactForm(op, rec)
	if err != nil {
		return connector.Result{}, err
	}
	form.Set("mode", actionAddContact)
	verified := opt.Mode == connector.Create && opt.Verify
	if opt.Mode == connector.Upsert || verified {
		form.Set("upsert", "true")
	}
	resp, a, err := c.post(ctx, form, op)
	if err != nil {
		return connector.Result{}, err
	}
	switch {
	case verified:
		note := ""
		if a.action == "updated" {
			note = "CLOSEM matched a contact with this email or phone (most likely added by the earlier attempt) and updated it"
		}
		return c.done(resp, connector.Created, a.id, note), nil
	case a.action == "created":
		return c.done(resp, connector.Created, a.id, ""), nil
	case a.action == "updated":
		return c.done(resp, connector.Updated, a.id, ""), nil
	case opt.Mode == connector.Create:
		return c.done(resp, connector.Created, a.id, ""), nil
	}
	return c.done(resp, connector.Updated, a.id, "CLOSEM did not say whether it created or updated the contact"), nil
}
