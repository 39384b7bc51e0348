package qlara

import (
	"context"
	"net/http"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/mapping"
)

// upsertIndexed is upsert after Index: the key index finds the contact and
// tells whether it differs, so that a row costs one call (a POST, or a PUT
// by id) or none. What the index cannot decide goes the way it would
// without it: the contact read by id, or the lookup by match key.
func (c *Connector) upsertIndexed(ctx context.Context, rec mapping.Record, vals []given, opt connector.WriteOptions, x *index) (connector.Result, error) {
	mk, err := keyOf(rec, opt.Match)
	if err != nil {
		return connector.Result{}, rowError("find contact", err.Error())
	}
	k := x.rowKey(mk)
	if opt.Verify || !x.plan.covers(vals) {
		// A create that may have happened is looked up as without an index.
		return c.upsertAndLearn(ctx, rec, vals, opt, x, k)
	}
	e := x.lookup(k)
	switch {
	case e.holders == 0 && opt.Mode == connector.Update:
		return connector.Result{Status: connector.Skipped, Note: "no Qlara contact matches " + mk.String()}, nil
	case e.holders == 0:
		if !hasContactKey(vals) {
			return connector.Result{}, rowError("create contact", "no contact matches "+mk.String()+" and Qlara needs an email or a phone to create one")
		}
		res, ct, err := c.post(ctx, vals)
		if ce, ok := connector.AsError(err); ok && ce.HTTPStatus == http.StatusConflict {
			// Created by someone else since the listing (phones are unique).
			x.forget(k)
			return c.upsertAndLearn(ctx, rec, vals, opt, x, k)
		}
		if err != nil {
			if ce, ok := connector.AsError(err); ok && ce.MaybeApplied {
				x.forget(k)
			}
			return connector.Result{}, err
		}
		if res.ID == "" {
			x.forget(k)
		} else {
			x.created(k, res.ID, ct)
		}
		return res, nil
	case e.holders > 1 || e.rec.state == unsure:
		return c.upsertAndLearn(ctx, rec, vals, opt, x, k)
	case e.rec.state == stale:
		return c.readAndApply(ctx, rec, vals, opt, x, k, mk, e)
	}

	mask, sums := x.plan.rowState(x.t, vals)
	switch {
	case e.rec.mask&^mask != 0:
		// The row leaves blank a property the contact has: the digest
		// cannot leave it out, so compare against the contact itself.
		return c.readAndApply(ctx, rec, vals, opt, x, k, mk, e)
	case sums == e.rec.sums:
		return connector.Result{Status: connector.Unchanged, ID: e.id, Note: "contact already holds every value"}, nil
	case sums[gMerged] != e.rec.sums[gMerged]:
		return c.readAndApply(ctx, rec, vals, opt, x, k, mk, e)
	}

	// Only text properties differ: send those the row gives.
	var text []given
	for _, g := range vals {
		if g.f.kind == kindText {
			text = append(text, g)
		}
	}
	res, now, err := c.apply(ctx, text, contact{"id": wireID(e.id)}, nil)
	if ce, ok := connector.AsError(err); ok && ce.HTTPStatus == http.StatusNotFound {
		x.forget(k) // deleted since it was listed
		return c.upsertAndLearn(ctx, rec, vals, opt, x, k)
	}
	if err != nil {
		spoiled(x, e.n, err)
		return connector.Result{}, err
	}
	x.settle(e.n, now)
	return res, nil
}

// spoiled marks record n stale when a failed write may have been applied.
func spoiled(x *index, n uint32, err error) {
	if ce, ok := connector.AsError(err); !ok || ce.MaybeApplied || ce.HTTPStatus == 0 {
		x.settle(n, nil)
	}
}

// readAndApply reads the contact the index names (GET /contacts/{id}),
// then updates it as a lookup's hit; a contact gone, or no longer holding
// the key, sends the row through the lookup.
func (c *Connector) readAndApply(ctx context.Context, rec mapping.Record, vals []given, opt connector.WriteOptions, x *index, k connector.KeySum, mk matchKey, e entry) (connector.Result, error) {
	found, resp, err := c.find(ctx, matchKey{id: e.id})
	if err != nil {
		return connector.Result{}, err
	}
	if len(found) != 1 || !mk.matches(found[0]) {
		x.forget(k)
		return c.upsertAndLearn(ctx, rec, vals, opt, x, k)
	}
	res, now, err := c.apply(ctx, vals, found[0], resp)
	if err != nil {
		spoiled(x, e.n, err)
		return connector.Result{}, err
	}
	x.settle(e.n, now)
	return res, nil
}

// upsertAndLearn writes through the lookup by match key, as without an
// index, and files what it found or created under k.
func (c *Connector) upsertAndLearn(ctx context.Context, rec mapping.Record, vals []given, opt connector.WriteOptions, x *index, k connector.KeySum) (connector.Result, error) {
	res, err := c.upsert(ctx, rec, vals, opt)
	if ce, ok := connector.AsError(err); ok && ce.MaybeApplied {
		x.forget(k)
	}
	if err == nil && res.ID != "" {
		x.learn(k, res.ID)
	}
	return res, err
}
