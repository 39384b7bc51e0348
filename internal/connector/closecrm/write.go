package closecrm

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/mapping"
)

// Write creates, updates or upserts one lead or contact (see the package
// comment for the fields and matching rules).
func (c *Client) Write(ctx context.Context, obj connector.Object, rec mapping.Record, opt connector.WriteOptions) (connector.Result, error) {
	op := string(opt.Mode) + " " + string(obj)
	if obj != connector.Lead && obj != connector.Contact {
		return connector.Result{}, invalid(op, fmt.Sprintf("unknown object %q", obj))
	}
	t := &tracker{}
	var res connector.Result
	var err error
	switch opt.Mode {
	case connector.Create:
		res, err = c.writeCreate(ctx, t, op, obj, rec, opt)
	case connector.Update, connector.Upsert:
		res, err = c.writeMatched(ctx, t, op, obj, rec, opt)
	default:
		err = invalid(op, fmt.Sprintf("unknown mode %q", opt.Mode))
	}
	if err != nil {
		return connector.Result{}, err
	}
	if res.HTTPStatus == 0 {
		res.HTTPStatus = t.status
	}
	res.Wait = max(res.Wait, t.wait)
	return res, nil
}

// writeCreate creates the record; when an earlier attempt may have done so
// already (opt.Verify), it first looks for it by the match key.
func (c *Client) writeCreate(ctx context.Context, t *tracker, op string, obj connector.Object, rec mapping.Record, opt connector.WriteOptions) (connector.Result, error) {
	if keys := matchKeys(rec, opt); opt.Verify && len(keys) > 0 && keys[0] != mapping.FieldID && hasValues(rec, keys) {
		lk, err := c.find(ctx, t, "verify "+op, obj, rec, keys)
		if err != nil {
			return connector.Result{}, err
		}
		switch {
		case lk.ambiguous():
			return connector.Result{}, ambiguous(op, obj, rec, keys, lk)
		case len(lk.hits) == 1:
			return connector.Result{Status: connector.Created, ID: hitID(obj, lk.hits[0]),
				Note: "found by " + describeKey(rec, keys) + ", created by an earlier attempt"}, nil
		}
	}
	res, _, err := c.create(ctx, t, op, obj, rec)
	return res, err
}

// writeMatched finds the record by the match key, then updates it, creates
// it (upsert) or skips it (update). After Index, the key index finds it.
func (c *Client) writeMatched(ctx context.Context, t *tracker, op string, obj connector.Object, rec mapping.Record, opt connector.WriteOptions) (connector.Result, error) {
	if len(opt.Match) == 0 {
		return connector.Result{}, invalid(op, "no match key")
	}
	for _, k := range opt.Match {
		if val(rec, k) == "" {
			return connector.Result{}, invalid(op, fmt.Sprintf("no value for match key %s", k))
		}
	}
	if x := c.indexFor(obj, opt.Match); x != nil {
		return c.writeIndexed(ctx, t, op, obj, rec, opt, x)
	}
	return c.writeSearched(ctx, t, op, obj, rec, opt)
}

// writeSearched is writeMatched through the lead search.
func (c *Client) writeSearched(ctx context.Context, t *tracker, op string, obj connector.Object, rec mapping.Record, opt connector.WriteOptions) (connector.Result, error) {
	lk, err := c.find(ctx, t, "find "+string(obj), obj, rec, opt.Match)
	if err != nil {
		return connector.Result{}, err
	}
	switch {
	case lk.ambiguous():
		return connector.Result{}, ambiguous(op, obj, rec, opt.Match, lk)
	case len(lk.hits) == 1:
		return c.update(ctx, t, op, obj, rec, lk.hits[0])
	case opt.Mode == connector.Upsert:
		res, _, err := c.create(ctx, t, op, obj, rec)
		return res, err
	}
	return connector.Result{Status: connector.Skipped,
		Note: fmt.Sprintf("no %s matches %s", obj, describeKey(rec, opt.Match))}, nil
}

// create posts a new lead (its contact nested) or a new contact. It also
// returns the record as Close answered it, for the key index.
func (c *Client) create(ctx context.Context, t *tracker, op string, obj connector.Object, rec mapping.Record) (connector.Result, *leadData, error) {
	cfs := c.prepared(obj)
	if obj == connector.Lead {
		body, err := leadBody(rec, cfs)
		if err != nil {
			return connector.Result{}, nil, invalid(op, err.Error())
		}
		var l leadData
		if err := c.call(ctx, t, "create lead", http.MethodPost, "/lead/", nil, body, &l); err != nil {
			return connector.Result{}, nil, err
		}
		return connector.Result{Status: connector.Created, ID: l.ID}, &l, nil
	}

	body := contactBody(rec)
	if err := addCustom(body, rec, cfs, nil); err != nil {
		return connector.Result{}, nil, invalid(op, err.Error())
	}
	leadID := val(rec, fieldLeadID)
	company := val(rec, mapping.FieldCompany)
	if leadID == "" && company != "" {
		defer c.companies.Lock(strings.ToLower(company))()
		leads, err := c.findLeadsNamed(ctx, t, "find lead named "+company, company)
		if err != nil {
			return connector.Result{}, nil, err
		}
		if len(leads) > 1 {
			return connector.Result{}, nil, invalid(op, fmt.Sprintf("ambiguous: %d leads are named %q", len(leads), company))
		}
		if len(leads) == 1 {
			leadID = leads[0].ID
		}
	}
	if leadID == "" {
		return c.createWithLead(ctx, t, rec, company, body)
	}
	body["lead_id"] = leadID
	var ct contactData
	if err := c.call(ctx, t, "create contact", http.MethodPost, "/contact/", nil, body, &ct); err != nil {
		return connector.Result{}, nil, err
	}
	return connector.Result{Status: connector.Created, ID: ct.ID}, &leadData{ID: ct.LeadID, Contacts: []contactData{ct}}, nil
}

// createWithLead creates a contact together with the lead it needs, in one
// call, so a failure cannot leave an empty lead behind.
func (c *Client) createWithLead(ctx context.Context, t *tracker, rec mapping.Record, company string, contact map[string]any) (connector.Result, *leadData, error) {
	lead := map[string]any{"contacts": []map[string]any{contact}}
	if name := company; name != "" {
		lead["name"] = name
	} else if name := contactName(rec); name != "" {
		lead["name"] = name
	}
	var l leadData
	if err := c.call(ctx, t, "create contact with its lead", http.MethodPost, "/lead/", nil, lead, &l); err != nil {
		return connector.Result{}, nil, err
	}
	if len(l.Contacts) == 0 {
		return connector.Result{}, nil, &connector.Error{Op: "create contact with its lead", HTTPStatus: t.status,
			Message: fmt.Sprintf("Close created lead %s but returned no contact", l.ID)}
	}
	return connector.Result{Status: connector.Created, ID: l.Contacts[0].ID}, &l, nil
}

// update sends what differs between rec and the record found; a lead's
// contact fields go to its contact with their own PUT.
func (c *Client) update(ctx context.Context, t *tracker, op string, obj connector.Object, rec mapping.Record, hit found) (connector.Result, error) {
	cfs := c.prepared(obj)
	ct := hit.contactData()
	changed := false
	if obj == connector.Contact {
		if ct == nil {
			return connector.Result{}, invalid(op, "the record found has no contact")
		}
		patch, err := contactPatch(*ct, rec, cfs, c.region)
		if err != nil {
			return connector.Result{}, invalid(op, err.Error())
		}
		if len(patch) > 0 {
			if err := c.put(ctx, t, "update contact", "/contact/", ct.ID, patch); err != nil {
				return connector.Result{}, err
			}
			changed = true
		}
		return updated(changed, ct.ID), nil
	}

	patch, err := leadPatch(hit.lead, rec, cfs)
	if err != nil {
		return connector.Result{}, invalid(op, err.Error())
	}
	if len(patch) > 0 {
		if err := c.put(ctx, t, "update lead", "/lead/", hit.lead.ID, patch); err != nil {
			return connector.Result{}, err
		}
		changed = true
	}
	switch {
	case ct != nil:
		cpatch, err := contactPatch(*ct, rec, nil, c.region)
		if err != nil {
			return connector.Result{}, invalid(op, err.Error())
		}
		if len(cpatch) > 0 {
			if err := c.put(ctx, t, "update lead contact", "/contact/", ct.ID, cpatch); err != nil {
				return connector.Result{}, err
			}
			changed = true
		}
	case len(contactBody(rec)) > 0:
		// A lead found by id without contacts: its contact fields make one.
		body := contactBody(rec)
		body["lead_id"] = hit.lead.ID
		if err := c.call(ctx, t, "create lead contact", http.MethodPost, "/contact/", nil, body, nil); err != nil {
			return connector.Result{}, err
		}
		changed = true
	}
	return updated(changed, hit.lead.ID), nil
}

func (c *Client) put(ctx context.Context, t *tracker, op, path, id string, patch map[string]any) error {
	return c.call(ctx, t, op+" "+id, http.MethodPut, path+url.PathEscape(id)+"/", nil, patch, nil)
}

func updated(changed bool, id string) connector.Result {
	if changed {
		return connector.Result{Status: connector.Updated, ID: id}
	}
	return connector.Result{Status: connector.Unchanged, ID: id, Note: "no field differs from Close"}
}

// hitID is the id a found record is reported with.
func hitID(obj connector.Object, h found) string {
	if ct := h.contactData(); obj == connector.Contact && ct != nil {
		return ct.ID
	}
	return h.lead.ID
}

// hasValues reports whether rec gives every key.
func hasValues(rec mapping.Record, keys []string) bool {
	for _, k := range keys {
		if val(rec, k) == "" {
			return false
		}
	}
	return true
}

// invalid is a failure no retry can fix.
func invalid(op, msg string) *connector.Error {
	return &connector.Error{Op: op, Message: msg}
}

func ambiguous(op string, obj connector.Object, rec mapping.Record, keys []string, lk lookup) *connector.Error {
	count := fmt.Sprint(len(lk.hits))
	if lk.more {
		count = "at least " + count
	}
	return invalid(op, fmt.Sprintf("ambiguous: %s %ss match %s", count, obj, describeKey(rec, keys)))
}
