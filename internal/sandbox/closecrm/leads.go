package closecrm

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// page is the paging and projection parameters of a request.
type page struct {
	skip, limit int
	fields      []string
}

// params checks the query string: only the names in allowed may appear
// (the sandbox refuses undocumented parameters rather than ignore them),
// and _skip/_limit/_fields are parsed when allowed.
func (f *Fake) params(c *call, allowed ...string) (page, error) {
	pg := page{limit: maxLimit}
	for k := range c.query {
		ok := false
		for _, a := range allowed {
			ok = ok || a == k
		}
		if !ok {
			return pg, errBadRequest(fmt.Sprintf("Unknown parameter %q.", k))
		}
	}
	num := func(name string, dflt int) (int, error) {
		v := c.query.Get(name)
		if v == "" {
			return dflt, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, errBadRequest(fmt.Sprintf("%s must be a non-negative integer.", name))
		}
		return n, nil
	}
	var err error
	if pg.skip, err = num("_skip", 0); err != nil {
		return pg, err
	}
	if pg.limit, err = num("_limit", maxLimit); err != nil {
		return pg, err
	}
	if pg.limit > maxLimit {
		return pg, errBadRequest(fmt.Sprintf("The maximum _limit for this resource is %d.", maxLimit))
	}
	f.mu.Lock()
	maxSkip := f.maxSkip
	f.mu.Unlock()
	if pg.skip > maxSkip {
		return pg, errBadRequest(fmt.Sprintf("The maximum _skip for this resource is %d; narrow the query instead.", maxSkip))
	}
	if v := c.query.Get("_fields"); v != "" {
		pg.fields = strings.Split(v, ",")
	}
	return pg, nil
}

// pick keeps the requested fields of a rendered object; "custom" stands
// for every custom.* key and "_all" for everything.
func pick(m map[string]any, fields []string) map[string]any {
	if len(fields) == 0 {
		return m
	}
	out := map[string]any{}
	for _, f := range fields {
		f = strings.TrimSpace(f)
		switch {
		case f == "_all":
			return m
		case f == "custom":
			for k, v := range m {
				if strings.HasPrefix(k, "custom.") {
					out[k] = v
				}
			}
		default:
			if v, ok := m[f]; ok {
				out[f] = v
			}
		}
	}
	return out
}

// tzOffset reads x-tz-offset (hours, possibly fractional) into a zone.
func tzOffset(r *http.Request) (*time.Location, error) {
	v := r.Header.Get("X-Tz-Offset")
	if v == "" {
		return time.UTC, nil
	}
	h, err := strconv.ParseFloat(v, 64)
	if err != nil || h < -14 || h > 14 {
		return nil, errBadRequest("Invalid x-tz-offset header.")
	}
	return time.FixedZone("x-tz-offset", int(h*3600)), nil
}

func (f *Fake) listLeads(c *call) {
	pg, err := f.params(c, "_skip", "_limit", "_fields", "query")
	if err != nil {
		writeErr(c.w, err)
		return
	}
	loc, err := tzOffset(c.r)
	if err != nil {
		writeErr(c.w, err)
		return
	}
	raw := c.query.Get("query")
	q, err := parseQuery(raw, f.now(), loc)
	if err != nil {
		writeErr(c.w, errBadRequest("Invalid query: "+err.Error()))
		return
	}
	f.mu.Lock()
	if f.generated > 0 {
		lo, hi, err := genRange(q, f.generated)
		if err != nil {
			f.mu.Unlock()
			writeErr(c.w, err)
			return
		}
		total := hi - lo
		start := min(pg.skip, total)
		end := min(start+pg.limit, total)
		data := make([]map[string]any, 0, end-start)
		for i := lo + start; i < lo+end; i++ {
			data = append(data, pick(f.data.genLead(i).wire(), pg.fields))
		}
		f.mu.Unlock()
		writeJSON(c.w, http.StatusOK, ListBody[map[string]any]{HasMore: end < total, TotalResults: &total, Data: data})
		return
	}
	var ids []slot
	if raw == "" {
		ids = f.data.liveLeads()
	} else {
		_, off := f.now().In(loc).Zone()
		key := raw + "\x00" + strconv.Itoa(off)
		var hit bool
		if ids, hit = f.queryHit.get(f.data.version, key); !hit {
			ids = f.data.search(q)
			if !q.relative {
				f.queryHit.put(key, ids)
			}
		}
	}
	total := len(ids)
	start := min(pg.skip, total)
	end := min(start+pg.limit, total)
	data := make([]map[string]any, 0, end-start)
	for _, i := range ids[start:end] {
		data = append(data, pick(f.data.render(f.data.leads[i]).wire(), pg.fields))
	}
	f.mu.Unlock()
	writeJSON(c.w, http.StatusOK, ListBody[map[string]any]{HasMore: end < total, TotalResults: &total, Data: data})
}

func (f *Fake) getLead(c *call, id string) {
	pg, err := f.params(c, "_fields")
	if err != nil {
		writeErr(c.w, err)
		return
	}
	f.mu.Lock()
	r := f.data.lead(id)
	var out map[string]any
	if r != nil {
		out = pick(f.data.render(r).wire(), pg.fields)
	}
	f.mu.Unlock()
	if r == nil {
		writeErr(c.w, errNotFound)
		return
	}
	writeJSON(c.w, http.StatusOK, out)
}

func (f *Fake) createLead(c *call) {
	pg, err := f.params(c, "_fields")
	if err != nil {
		writeErr(c.w, err)
		return
	}
	out, err := f.addLead(c.body)
	if err != nil {
		writeErr(c.w, err)
		return
	}
	writeJSON(c.w, http.StatusOK, pick(out.wire(), pg.fields))
}

// addLead validates and stores a lead body as POST /lead/ does.
func (f *Fake) addLead(body map[string]json.RawMessage) (Lead, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l, contacts, err := f.data.leadInput(Lead{}, body, false)
	if err != nil {
		return Lead{}, err
	}
	return f.data.render(f.data.insertLead(l, contacts, f.clock())), nil
}

func (f *Fake) updateLead(c *call, id string) {
	pg, err := f.params(c, "_fields")
	if err != nil {
		writeErr(c.w, err)
		return
	}
	f.mu.Lock()
	r := f.data.lead(id)
	if r == nil {
		f.mu.Unlock()
		writeErr(c.w, errNotFound)
		return
	}
	base := r.toLead()
	l, _, err := f.data.leadInput(base, c.body, true)
	if err != nil {
		f.mu.Unlock()
		writeErr(c.w, err)
		return
	}
	// date_updated moves only when something changed (the doc is silent).
	if !reflect.DeepEqual(l, base) {
		r = f.data.replaceLead(r, l, f.clock())
	}
	out := pick(f.data.render(r).wire(), pg.fields)
	f.mu.Unlock()
	writeJSON(c.w, http.StatusOK, out)
}

func (f *Fake) deleteLead(c *call, id string) {
	if _, err := f.params(c); err != nil {
		writeErr(c.w, err)
		return
	}
	f.mu.Lock()
	r := f.data.lead(id)
	if r != nil {
		f.data.removeLead(r)
	}
	f.mu.Unlock()
	if r == nil {
		writeErr(c.w, errNotFound)
		return
	}
	writeJSON(c.w, http.StatusOK, struct{}{})
}

// leadInput applies a lead body to a copy of base. On create, nested
// contacts are returned for storing; on update they are refused (the doc
// lists them for POST only; contacts change through /contact/).
func (s *store) leadInput(base Lead, in map[string]json.RawMessage, update bool) (Lead, []Contact, error) {
	v := &validation{}
	l := base.clone()
	if l.Custom == nil {
		l.Custom = map[string]any{}
	}
	var contacts []Contact
	if _, a := in["status"]; a {
		if _, b := in["status_id"]; b {
			v.addGeneral("Send either status or status_id, not both.")
		}
	}
	for k, raw := range in {
		switch {
		case k == "name" || k == "description":
			t, ok := str(raw)
			if !ok {
				v.add(k, "Not a valid string.")
			} else if k == "name" {
				l.Name = t
			} else {
				l.Description = t
			}
		case k == "url":
			t, ok := str(raw)
			if !ok || (t != "" && !validURL(t)) {
				v.add(k, "Enter a valid URL.")
			} else {
				l.URL = t
			}
		case k == "status":
			t, _ := str(raw)
			if st, ok := s.statusByLabel(t); ok && t != "" {
				l.StatusID = st.ID
			} else {
				v.add(k, "Status does not exist.")
			}
		case k == "status_id":
			t, _ := str(raw)
			if _, ok := s.statusByID(t); ok {
				l.StatusID = t
			} else {
				v.add(k, "Status does not exist.")
			}
		case k == "addresses":
			l.Addresses = addresses(raw, v)
		case k == "contacts" && !update:
			items, ok := objects(raw)
			if !ok {
				v.add(k, "Expected a list of contact objects.")
				continue
			}
			for i, it := range items {
				iv := &validation{}
				var ct Contact
				s.contactInput(&ct, it, false, false, iv)
				v.addItem(k, i, iv)
				contacts = append(contacts, ct)
			}
		case k == "contacts":
			v.add(k, "Contacts cannot be changed through the lead; use /contact/.")
		case strings.HasPrefix(k, "custom."):
			s.customInput(objLead, l.Custom, k, raw, update, v)
		default:
			v.add(k, "Unknown field.")
		}
	}
	if err := v.err(); err != nil {
		return Lead{}, nil, err
	}
	if l.StatusID == "" {
		l.StatusID = s.statuses[0].ID // "the organization's default (first) status"
	}
	if len(l.Custom) == 0 {
		l.Custom = nil
	}
	return l, contacts, nil
}
