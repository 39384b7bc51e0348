package closecrm

import (
	"net/http"
	"reflect"
)

// listContacts serves GET /contact/. The doc documents no filter (no
// lead_id) and no total_results for it, so neither is offered: an
// undocumented parameter is a 400.
func (f *Fake) listContacts(c *call) {
	pg, err := f.params(c, "_skip", "_limit", "_fields")
	if err != nil {
		writeErr(c.w, err)
		return
	}
	f.mu.Lock()
	ids := f.data.liveContacts()
	total := len(ids)
	start := min(pg.skip, total)
	end := min(start+pg.limit, total)
	data := make([]map[string]any, 0, end-start)
	for _, i := range ids[start:end] {
		data = append(data, pick(f.data.renderContact(f.data.contacts[i]).wire(false), pg.fields))
	}
	f.mu.Unlock()
	writeJSON(c.w, http.StatusOK, ListBody[map[string]any]{HasMore: end < total, Data: data})
}

func (f *Fake) getContact(c *call, id string) {
	pg, err := f.params(c, "_fields")
	if err != nil {
		writeErr(c.w, err)
		return
	}
	f.mu.Lock()
	r := f.data.contact(id)
	var out map[string]any
	if r != nil {
		out = pick(f.data.renderContact(r).wire(false), pg.fields)
	}
	f.mu.Unlock()
	if r == nil {
		writeErr(c.w, errNotFound)
		return
	}
	writeJSON(c.w, http.StatusOK, out)
}

// createContact serves POST /contact/. The doc says every contact belongs to
// exactly one lead and shows lead_id in the request; it does not say what
// happens without one, so the sandbox takes the strict reading: a field
// error on lead_id.
func (f *Fake) createContact(c *call) {
	pg, err := f.params(c, "_fields")
	if err != nil {
		writeErr(c.w, err)
		return
	}
	f.mu.Lock()
	v := &validation{}
	var ct Contact
	f.data.contactInput(&ct, c.body, false, true, v)
	if _, ok := c.body["lead_id"]; !ok {
		v.add("lead_id", "This field is required.")
	}
	if err := v.err(); err != nil {
		f.mu.Unlock()
		writeErr(c.w, err)
		return
	}
	if len(ct.Custom) == 0 {
		ct.Custom = nil
	}
	out := pick(f.data.renderContact(f.data.insertContact(ct, f.clock())).wire(false), pg.fields)
	f.mu.Unlock()
	writeJSON(c.w, http.StatusOK, out)
}

func (f *Fake) updateContact(c *call, id string) {
	pg, err := f.params(c, "_fields")
	if err != nil {
		writeErr(c.w, err)
		return
	}
	f.mu.Lock()
	r := f.data.contact(id)
	if r == nil {
		f.mu.Unlock()
		writeErr(c.w, errNotFound)
		return
	}
	v := &validation{}
	base := f.data.toContact(r)
	ct := base.clone()
	f.data.contactInput(&ct, c.body, true, true, v)
	if err := v.err(); err != nil {
		f.mu.Unlock()
		writeErr(c.w, err)
		return
	}
	if len(ct.Custom) == 0 {
		ct.Custom = nil
	}
	if !reflect.DeepEqual(ct, base) {
		r = f.data.replaceContact(r, ct, f.clock())
	}
	out := pick(f.data.renderContact(r).wire(false), pg.fields)
	f.mu.Unlock()
	writeJSON(c.w, http.StatusOK, out)
}

func (f *Fake) deleteContact(c *call, id string) {
	if _, err := f.params(c); err != nil {
		writeErr(c.w, err)
		return
	}
	f.mu.Lock()
	r := f.data.contact(id)
	if r != nil {
		f.data.removeContact(r, f.clock())
	}
	f.mu.Unlock()
	if r == nil {
		writeErr(c.w, errNotFound)
		return
	}
	writeJSON(c.w, http.StatusOK, struct{}{})
}
