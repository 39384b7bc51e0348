package closumv1

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/mapping"
)

// Write sends one lead or unqualified lead:
//
//   - create: POST /lead or /unqualified-lead; with opt.Verify, the record
//     is looked up by its match key first and reported created if found;
//   - upsert: the key index finds the record; found, it is reported
//     unchanged (v1 cannot update leads) unless only its email or phone
//     differ, which are changed with PUT /email/{id} and PUT /phone/{id};
//     not found, it is created;
//   - update: refused, as CheckWrite says.
func (c *Client) Write(ctx context.Context, obj connector.Object, rec mapping.Record, opt connector.WriteOptions) (connector.Result, error) {
	op := string(opt.Mode) + " " + string(obj)
	if _, ok := resource(obj); !ok {
		return connector.Result{}, rowError(op, "closum-v1 has no object %q (want lead or contact)", obj)
	}
	switch opt.Mode {
	case connector.Create, connector.Upsert:
	case connector.Update:
		return connector.Result{}, rowError(op, "%s", reasonNoUpdate)
	default:
		return connector.Result{}, rowError(op, "unknown mode %q (want create or upsert)", opt.Mode)
	}
	in, err := c.parse(ctx, op, obj, rec)
	if err != nil {
		return connector.Result{}, err
	}
	t := &tracker{}
	if opt.Mode == connector.Create && !opt.Verify {
		return c.create(ctx, t, op, obj, in)
	}
	match := opt.Match
	if opt.Mode == connector.Create && !hasValues(match, in) {
		// A create is verified by whatever key the record has.
		match = verifyKeys(in)
	}
	groups, used, err := c.lookupGroups(op, match, in)
	if err != nil {
		return connector.Result{}, err
	}
	if len(groups) == 0 { // a verified create with nothing to look up by
		return c.create(ctx, t, op, obj, in)
	}
	hits, err := c.find(ctx, obj, groups, opt.Verify)
	if err != nil {
		return connector.Result{}, err
	}
	by := strings.Join(used, " and ")
	switch {
	case opt.Mode == connector.Create && len(hits) > 0:
		// The newest match is most likely the uncertain earlier attempt.
		h := hits[len(hits)-1]
		return t.result(connector.Created, h.id,
			fmt.Sprintf("found %s %s by %s after an uncertain earlier attempt; not sent again", noun(obj), h.id, by)), nil
	case len(hits) == 0:
		return c.create(ctx, t, op, obj, in)
	case len(hits) > 1:
		ids := make([]string, len(hits))
		for i, h := range hits {
			ids[i] = h.id
		}
		return connector.Result{}, rowError(op, "%d Closum %ss have this %s (ids %s); not guessing which",
			len(hits), noun(obj), by, strings.Join(ids, ", "))
	}
	return c.existing(ctx, t, op, obj, hits[0], in, by)
}

// verifyKeys picks what a verified create without a match key looks its
// record up by: the email, else the phone.
func verifyKeys(in input) []string {
	switch {
	case in.email != "":
		return []string{mapping.FieldEmail}
	case in.phone != "":
		return []string{mapping.FieldPhone}
	}
	return nil
}

// hasValues reports whether any match key has a value in the record.
func hasValues(match []string, in input) bool {
	for _, m := range match {
		if (m == mapping.FieldEmail && in.email != "") || (m == mapping.FieldPhone && in.phone != "") {
			return true
		}
	}
	return false
}

// create POSTs a new record and remembers it in the key index. A create
// whose answer was lost marks the index uncertain, so the next lookup reads
// the newest records before deciding a key is new.
func (c *Client) create(ctx context.Context, t *tracker, op string, obj connector.Object, in input) (connector.Result, error) {
	path, _ := resource(obj)
	env, err := c.call(ctx, t, op, http.MethodPost, path, nil, c.body(obj, in))
	if err != nil {
		if ce, ok := connector.AsError(err); ok && ce.MaybeApplied {
			c.index[obj].markUncertain()
		}
		return connector.Result{}, err
	}
	var d createdData
	_ = json.Unmarshal(env.Data, &d)
	id := string(d.ID)
	if id == "" {
		// Created, but the index cannot hold it: make lookups read again.
		c.index[obj].markUncertain()
		return t.result(connector.Created, "", "Closum's answer gave no id"), nil
	}
	// Until an index is read, the listing it starts with will show the record.
	if c.index[obj].built.started() {
		c.remember(obj, c.entryOfInput(id, in), noRec, false)
	}
	return t.result(connector.Created, id, ""), nil
}

// entryOfInput is what the index keeps of a record this run created.
func (c *Client) entryOfInput(id string, in input) entry {
	e := entry{id: id, name: in.name, email: in.email, hasEmail: in.email != "", hasPhone: in.phone != ""}
	if in.phone != "" {
		p := c.phoneParts(in.phone, in.phoneExt)
		e.phone, e.phoneExt = p.Number, p.Extension
	}
	if in.cityID != 0 {
		e.cityID = strconv.Itoa(in.cityID)
	}
	if ct := cmp.Or(in.contactType, c.contactType); ct != 0 {
		e.contactType = strconv.Itoa(ct)
	}
	e.customData, _ = in.customJSON()
	if in.consentEmail != nil || in.consentSMS != nil { // both are sent
		e.optIn = &optInRead{
			Email: flexBool{Set: true, Value: *orFalse(in.consentEmail)},
			SMS:   flexBool{Set: true, Value: *orFalse(in.consentSMS)},
		}
	}
	return e
}

// existing handles an upsert that found its record. Closum v1 cannot update
// a lead, but its email and phone objects have their own PUT: when they are
// the only differences, they are changed; otherwise the row is unchanged
// and the note says why.
func (c *Client) existing(ctx context.Context, t *tracker, op string, obj connector.Object, h held, in input, by string) (connector.Result, error) {
	x := c.index[obj]
	diffs := c.differences(x, h, in)
	if len(diffs) == 0 {
		return t.result(connector.Unchanged, h.id, sameValues(obj, h.id, by)), nil
	}
	if !onlyContactObjects(diffs) {
		return t.result(connector.Unchanged, h.id, cannotUpdate(obj, h.id, by, diffs)), nil
	}
	// The list shows no ids of the email and phone objects: read the record
	// itself for them, and compare again with what it holds now.
	cur, found, err := c.retrieve(ctx, t, op, obj, h.id)
	if err != nil {
		return connector.Result{}, err
	}
	if !found {
		// Deleted since the index was read: forget it and create the record.
		x.drop(h.n)
		return c.create(ctx, t, op, obj, in)
	}
	c.remember(obj, cur, h.n, false)
	diffs = c.differences(x, c.compact(x, cur), in)
	switch {
	case len(diffs) == 0:
		return t.result(connector.Unchanged, cur.id, sameValues(obj, cur.id, by)), nil
	case !onlyContactObjects(diffs):
		return t.result(connector.Unchanged, cur.id, cannotUpdate(obj, cur.id, by, diffs)), nil
	}
	for _, d := range diffs {
		switch {
		case d == mapping.FieldEmail && (!cur.hasEmail || cur.emailID == ""):
			return t.result(connector.Unchanged, cur.id, missingObject(obj, cur, by, "email")), nil
		case d == mapping.FieldPhone && (!cur.hasPhone || cur.phoneID == ""):
			return t.result(connector.Unchanged, cur.id, missingObject(obj, cur, by, "phone")), nil
		}
	}
	for _, d := range diffs {
		var err error
		if d == mapping.FieldEmail {
			err = c.putEmail(ctx, t, op, obj, &cur, h.n, in.email)
		} else {
			err = c.putPhone(ctx, t, op, obj, &cur, h.n, in)
		}
		if err != nil {
			return connector.Result{}, err
		}
	}
	return t.result(connector.Updated, cur.id, ""), nil
}

// retrieve GETs one record; found is false on a 404.
func (c *Client) retrieve(ctx context.Context, t *tracker, op string, obj connector.Object, id string) (entry, bool, error) {
	path, _ := resource(obj)
	env, err := c.call(ctx, t, op+": retrieve "+id, http.MethodGet, path+"/"+id, nil, nil)
	if err != nil {
		if ce, ok := connector.AsError(err); ok && ce.HTTPStatus == http.StatusNotFound {
			return entry{}, false, nil
		}
		return entry{}, false, err
	}
	var p person
	if err := json.Unmarshal(env.Data, &p); err != nil || p.ID == "" {
		return entry{}, false, &connector.Error{Op: op, HTTPStatus: t.status, Message: fmt.Sprintf("unexpected answer to GET %s/%s", path, id)}
	}
	return entryOf(p), true, nil
}

// putEmail changes a record's email object and the index with it (record
// n).
func (c *Client) putEmail(ctx context.Context, t *tracker, op string, obj connector.Object, e *entry, n uint32, email string) error {
	id, err := strconv.Atoi(e.emailID)
	if err != nil {
		return rowError(op, "email object id %q is not a number", e.emailID)
	}
	if _, err := c.call(ctx, t, op+": update email", http.MethodPut, "email/"+e.emailID, nil, emailBody{ID: id, Email: email}); err != nil {
		return err
	}
	e.email = email
	c.remember(obj, *e, n, false)
	return nil
}

// putPhone changes a record's phone object and the index with it (record
// n).
func (c *Client) putPhone(ctx context.Context, t *tracker, op string, obj connector.Object, e *entry, n uint32, in input) error {
	id, err := strconv.Atoi(e.phoneID)
	if err != nil {
		return rowError(op, "phone object id %q is not a number", e.phoneID)
	}
	p := c.phoneParts(in.phone, in.phoneExt)
	p.ID = id
	if _, err := c.call(ctx, t, op+": update phone", http.MethodPut, "phone/"+e.phoneID, nil, p); err != nil {
		return err
	}
	e.phone = p.Number
	if p.Extension != "" { // an extension not sent stays as it was
		e.phoneExt = p.Extension
	}
	c.remember(obj, *e, n, false)
	return nil
}

// valueText renders a JSON value as text so "5" and 5 compare equal.
func valueText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func compactJSON(s string) string {
	var v any
	if json.Unmarshal([]byte(s), &v) != nil {
		return strings.TrimSpace(s)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// onlyContactObjects reports whether every difference is the email or phone.
func onlyContactObjects(diffs []string) bool {
	for _, d := range diffs {
		if d != mapping.FieldEmail && d != mapping.FieldPhone {
			return false
		}
	}
	return true
}

// sameValues is the note of a found record that already holds the values.
func sameValues(obj connector.Object, id, by string) string {
	return fmt.Sprintf("%s %s found by %s with the same values; the Closum v1 API cannot update %ss anyway", noun(obj), id, by, noun(obj))
}

// cannotUpdate is the note of a found record that differs in fields v1
// cannot change.
func cannotUpdate(obj connector.Object, id, by string, diffs []string) string {
	return fmt.Sprintf("%s %s found by %s but not changed: the Closum v1 API cannot update %ss (%s differ; only email and phone can be changed); use the v2 system closum to update it",
		noun(obj), id, by, noun(obj), strings.Join(diffs, ", "))
}

// missingObject is the note of a found record whose email or phone would
// change but has no object (or no object id) to PUT.
func missingObject(obj connector.Object, e entry, by, what string) string {
	return fmt.Sprintf("%s %s found by %s but not changed: it has no %s object Closum v1 can update, and the v1 API cannot update %ss",
		noun(obj), e.id, by, what, noun(obj))
}
