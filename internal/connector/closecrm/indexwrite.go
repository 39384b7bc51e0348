package closecrm

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/mapping"
)

// writeIndexed is writeMatched after Index: the key index finds the record
// and tells whether it differs, so that a row costs one call (a create, or
// a PUT by id) or none. What the index cannot decide goes the way it
// would without it: a record read by id, or the lead search.
func (c *Client) writeIndexed(ctx context.Context, t *tracker, op string, obj connector.Object, rec mapping.Record, opt connector.WriteOptions, x *index) (connector.Result, error) {
	k, ok := x.rowKey(c, rec)
	if !ok {
		return c.writeSearched(ctx, t, op, obj, rec, opt)
	}
	if opt.Verify || !x.plan.covers(rec) {
		// A create that may have happened is looked up as without an index.
		return c.searchAndLearn(ctx, t, op, obj, rec, opt, x, k)
	}
	e := x.lookup(k)
	switch {
	case e.holders == 0 && opt.Mode == connector.Update:
		return connector.Result{Status: connector.Skipped,
			Note: fmt.Sprintf("no %s matches %s", obj, describeKey(rec, opt.Match))}, nil
	case e.holders == 0:
		res, l, err := c.create(ctx, t, op, obj, rec)
		if err != nil {
			if ce, ok := connector.AsError(err); ok && ce.MaybeApplied {
				x.forget(k)
			}
			return connector.Result{}, err
		}
		x.created(c, k, rec, res.ID, l)
		return res, nil
	case e.holders > 1 || e.rec.state == unsure:
		return c.searchAndLearn(ctx, t, op, obj, rec, opt, x, k)
	case e.rec.state == stale:
		return c.readAndUpdate(ctx, t, op, obj, rec, opt, x, k, e)
	}

	mask, sums := x.plan.state(x.t, true, func(u unit) string { return x.plan.given(u, rec) })
	if e.rec.mask&^mask != 0 {
		// The row leaves blank a field Close holds: the digest cannot
		// leave that field out, so compare against the record itself.
		return c.readAndUpdate(ctx, t, op, obj, rec, opt, x, k, e)
	}
	leadID, contactID := splitIDs(obj, e.ids)
	differs := func(g group) bool { return sums[g] != e.rec.sums[g] }
	switch {
	case !differs(gLead) && !differs(gContact) && !differs(gCurrent):
		id := contactID
		if obj == connector.Lead {
			id = leadID
		}
		return updated(false, id), nil
	case differs(gCurrent) || (differs(gContact) && contactID == ""):
		return c.readAndUpdate(ctx, t, op, obj, rec, opt, x, k, e)
	}

	// Only fields a PUT sets as given differ: send what the row gives. Every
	// field of the group that Close holds is given (the mask check above),
	// so once written the group holds exactly the row's values.
	cfs := c.prepared(obj)
	if differs(gLead) {
		body, err := blindLead(rec, cfs)
		if err != nil {
			return connector.Result{}, invalid(op, err.Error())
		}
		err = c.put(ctx, t, "update lead", "/lead/", leadID, body)
		if notFound(err) {
			x.forget(k) // deleted since it was listed
			return c.searchAndLearn(ctx, t, op, obj, rec, opt, x, k)
		}
		if err != nil {
			c.spoiled(x, e.n, err)
			return connector.Result{}, err
		}
		x.settleGroup(e.n, gLead, mask, sums)
	}
	if differs(gContact) {
		if obj == connector.Lead {
			cfs = nil // a lead's custom fields are the lead's
		}
		body, err := blindContact(rec, cfs)
		if err != nil {
			return connector.Result{}, invalid(op, err.Error())
		}
		err = c.put(ctx, t, "update contact", "/contact/", contactID, body)
		if notFound(err) && !differs(gLead) {
			x.forget(k)
			return c.searchAndLearn(ctx, t, op, obj, rec, opt, x, k)
		}
		if err != nil {
			c.spoiled(x, e.n, err)
			return connector.Result{}, err
		}
		x.settleGroup(e.n, gContact, mask, sums)
	}
	if obj == connector.Lead {
		return updated(true, leadID), nil
	}
	return updated(true, contactID), nil
}

// spoiled marks record n stale when a failed write may have been applied.
func (c *Client) spoiled(x *index, n uint32, err error) {
	if ce, ok := connector.AsError(err); !ok || ce.MaybeApplied || ce.HTTPStatus == 0 {
		x.spoil(n)
	}
}

// readAndUpdate reads the record the index names by its id, then updates
// it as a search hit; a record gone, or no longer holding the key, sends
// the row through the search.
func (c *Client) readAndUpdate(ctx context.Context, t *tracker, op string, obj connector.Object, rec mapping.Record, opt connector.WriteOptions, x *index, k connector.KeySum, e entry) (connector.Result, error) {
	lk, err := c.readHeld(ctx, t, "find "+string(obj), obj, rec, opt.Match, e.ids)
	if err != nil {
		return connector.Result{}, err
	}
	if len(lk.hits) == 0 {
		x.forget(k)
		return c.searchAndLearn(ctx, t, op, obj, rec, opt, x, k)
	}
	hit := lk.hits[0]
	res, err := c.update(ctx, t, op, obj, rec, hit)
	if err != nil {
		c.spoiled(x, e.n, err)
		return connector.Result{}, err
	}
	x.settle(e.n, &hit.lead, hit.contactData(), res.Status != connector.Unchanged)
	return res, nil
}

// readHeld reads the record with the ids given (a lead, or a contact) and
// returns it as a hit when it still holds the row's key: for a lead, its
// first contact holding it. Matched on id, it is findByID.
func (c *Client) readHeld(ctx context.Context, t *tracker, op string, obj connector.Object, rec mapping.Record, match []string, ids string) (lookup, error) {
	if match[0] == mapping.FieldID {
		return c.findByID(ctx, t, op, obj, rec)
	}
	leadID, contactID := splitIDs(obj, ids)
	if obj == connector.Contact {
		var ct contactData
		err := c.call(ctx, t, op, http.MethodGet, "/contact/"+url.PathEscape(contactID)+"/", nil, nil, &ct)
		if notFound(err) {
			return lookup{}, nil
		}
		if err != nil || !c.holds(ct, rec, match) {
			return lookup{}, err
		}
		return lookup{hits: []found{{lead: leadData{ID: ct.LeadID, Contacts: []contactData{ct}}, contact: 0}}}, nil
	}
	var l leadData
	q := url.Values{"_fields": {leadFieldsParam}}
	err := c.call(ctx, t, op, http.MethodGet, "/lead/"+url.PathEscape(leadID)+"/", q, nil, &l)
	if notFound(err) {
		return lookup{}, nil
	}
	if err != nil {
		return lookup{}, err
	}
	for i := range l.Contacts {
		if c.holds(l.Contacts[i], rec, match) {
			return lookup{hits: []found{{lead: l, contact: i}}}, nil
		}
	}
	return lookup{}, nil
}

// searchAndLearn writes through the lead search, as without an index, and
// files what it found or created under k.
func (c *Client) searchAndLearn(ctx context.Context, t *tracker, op string, obj connector.Object, rec mapping.Record, opt connector.WriteOptions, x *index, k connector.KeySum) (connector.Result, error) {
	res, err := c.writeSearched(ctx, t, op, obj, rec, opt)
	if ce, ok := connector.AsError(err); ok && ce.MaybeApplied {
		x.forget(k)
	}
	if err == nil && res.ID != "" {
		x.learn(k, res.ID)
	}
	return res, err
}

// blindLead is the PUT body of a lead's own fields, as the row gives them.
func blindLead(rec mapping.Record, cfs map[string]customField) (map[string]any, error) {
	b := map[string]any{}
	for f, key := range map[string]string{mapping.FieldCompany: "name", mapping.FieldURL: "url",
		mapping.FieldDescription: "description", mapping.FieldStatus: "status"} {
		if v := val(rec, f); v != "" {
			b[key] = v
		}
	}
	if err := addCustom(b, rec, cfs, nil); err != nil {
		return nil, err
	}
	return b, nil
}

// blindContact is the PUT body of a contact's name, title and (cfs given)
// custom fields, as the row gives them.
func blindContact(rec mapping.Record, cfs map[string]customField) (map[string]any, error) {
	b := map[string]any{}
	if n := contactName(rec); n != "" {
		b["name"] = n
	}
	if v := val(rec, mapping.FieldTitle); v != "" {
		b["title"] = v
	}
	if cfs != nil {
		if err := addCustom(b, rec, cfs, nil); err != nil {
			return nil, err
		}
	}
	return b, nil
}
