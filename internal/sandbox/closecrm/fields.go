package closecrm

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// fieldTypes are the custom field types the doc lists.
func fieldType(t string) bool {
	return slices.Contains([]string{"text", "number", "date", "datetime", "choices", "user", "hidden"}, t)
}

// fieldWire renders a custom field, with _fields applied.
func fieldWire(cf CustomField, fields []string) map[string]any {
	b, _ := json.Marshal(cf)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return pick(m, fields)
}

func (f *Fake) listFields(c *call, obj string) {
	pg, err := f.params(c, "_skip", "_limit", "_fields")
	if err != nil {
		writeErr(c.w, err)
		return
	}
	f.mu.Lock()
	all := f.data.fields[obj]
	start := min(pg.skip, len(all))
	end := min(start+pg.limit, len(all))
	data := make([]map[string]any, 0, end-start)
	for _, cf := range all[start:end] {
		data = append(data, fieldWire(*cf, pg.fields))
	}
	f.mu.Unlock()
	writeJSON(c.w, http.StatusOK, ListBody[map[string]any]{HasMore: end < len(all), Data: data})
}

func (f *Fake) getField(c *call, obj, id string) {
	pg, err := f.params(c, "_fields")
	if err != nil {
		writeErr(c.w, err)
		return
	}
	f.mu.Lock()
	cf := f.data.field(obj, id)
	var out map[string]any
	if cf != nil {
		out = fieldWire(*cf, pg.fields)
	}
	f.mu.Unlock()
	if cf == nil {
		writeErr(c.w, errNotFound)
		return
	}
	writeJSON(c.w, http.StatusOK, out)
}

func (f *Fake) createField(c *call, obj string) {
	if _, err := f.params(c); err != nil {
		writeErr(c.w, err)
		return
	}
	f.mu.Lock()
	cf := newField(obj, "", "", f.clock())
	err := f.data.fieldInput(obj, cf, c.body, false)
	if err == nil {
		f.data.fields[obj] = append(slices.Clone(f.data.fields[obj]), cf)
		f.data.changed()
	}
	f.mu.Unlock()
	if err != nil {
		writeErr(c.w, err)
		return
	}
	writeJSON(c.w, http.StatusOK, fieldWire(*cf, nil))
}

func (f *Fake) updateField(c *call, obj, id string) {
	if _, err := f.params(c); err != nil {
		writeErr(c.w, err)
		return
	}
	f.mu.Lock()
	old := f.data.field(obj, id)
	if old == nil {
		f.mu.Unlock()
		writeErr(c.w, errNotFound)
		return
	}
	cf := *old
	cf.Choices = slices.Clone(old.Choices)
	err := f.data.fieldInput(obj, &cf, c.body, true)
	if err == nil {
		cf.DateUpdated = Time{f.clock()}
		list := slices.Clone(f.data.fields[obj])
		list[slices.Index(list, old)] = &cf
		f.data.fields[obj] = list
		f.data.recheck(obj, &cf)
		f.data.changed()
	}
	f.mu.Unlock()
	if err != nil {
		writeErr(c.w, err)
		return
	}
	writeJSON(c.w, http.StatusOK, fieldWire(cf, nil))
}

func (f *Fake) deleteField(c *call, obj, id string) {
	if _, err := f.params(c); err != nil {
		writeErr(c.w, err)
		return
	}
	f.mu.Lock()
	cf := f.data.field(obj, id)
	if cf != nil {
		// Values stay in the records but are never served again ("the
		// field will immediately disappear from any … API responses").
		f.data.fields[obj] = slices.DeleteFunc(slices.Clone(f.data.fields[obj]), func(x *CustomField) bool { return x == cf })
		f.data.changed()
	}
	f.mu.Unlock()
	if cf == nil {
		writeErr(c.w, errNotFound)
		return
	}
	writeJSON(c.w, http.StatusOK, struct{}{})
}

// fieldInput applies a custom field body to cf.
func (s *store) fieldInput(obj string, cf *CustomField, in map[string]json.RawMessage, update bool) error {
	v := &validation{}
	for k, raw := range in {
		switch k {
		case "name":
			t, ok := str(raw)
			if !ok || strings.TrimSpace(t) == "" {
				v.add(k, "This field is required.")
				continue
			}
			for _, other := range s.fields[obj] {
				if other.ID != cf.ID && strings.EqualFold(other.Name, t) {
					v.add(k, "A custom field with this name already exists.")
				}
			}
			cf.Name = t
		case "type":
			t, ok := str(raw)
			if !ok || !fieldType(t) {
				v.add(k, "Not a valid custom field type.")
				continue
			}
			cf.Type = t
		case "description":
			t, ok := str(raw)
			if !ok || len([]rune(t)) > 280 {
				v.add(k, "Ensure this field has no more than 280 characters.")
				continue
			}
			cf.Description = nil
			if t != "" {
				cf.Description = &t
			}
		case "choices":
			var ch []string
			if err := json.Unmarshal(raw, &ch); err != nil {
				v.add(k, "Expected a list of strings.")
				continue
			}
			slices.Sort(ch) // the doc's answer lists the choices sorted
			cf.Choices = slices.Compact(ch)
		case "accepts_multiple_values":
			if err := json.Unmarshal(raw, &cf.AcceptsMultipleValues); err != nil {
				v.add(k, "Must be a boolean.")
			}
		default:
			v.add(k, "Unknown field.")
		}
	}
	if !update {
		for _, req := range []string{"name", "type"} {
			if _, ok := in[req]; !ok {
				v.add(req, "This field is required.")
			}
		}
	}
	if v.empty() {
		if cf.AcceptsMultipleValues && cf.Type != "choices" && cf.Type != "user" {
			v.add("accepts_multiple_values", "Multiple values are only supported for choices and user fields.")
		}
		if cf.Type == "choices" && len(cf.Choices) == 0 {
			v.add("choices", "A choices field needs at least one choice.")
		}
		if cf.Type != "choices" && len(cf.Choices) > 0 {
			v.add("choices", fmt.Sprintf("A %s field takes no choices.", cf.Type))
		}
	}
	return v.err()
}

// recheck drops stored values that no longer fit a changed field ("only
// valid values for the updated type will be returned"); a single value
// becomes a one-item list when the field turns multi-valued.
func (s *store) recheck(obj string, cf *CustomField) {
	fix := func(values map[string]any) (map[string]any, bool) {
		old, ok := values[cf.ID]
		if !ok {
			return values, false
		}
		if one, isStr := old.(string); isStr && cf.AcceptsMultipleValues {
			old = []string{one}
		}
		raw, _ := json.Marshal(old)
		nv, msg := customValue(s, cf, raw, false)
		out := make(map[string]any, len(values))
		for k, v := range values {
			out[k] = v
		}
		if msg != "" || nv == nil {
			delete(out, cf.ID)
		} else {
			out[cf.ID] = nv
		}
		return out, true
	}
	if obj == objLead {
		for i, r := range s.leads {
			if r == nil || r.more == nil {
				continue
			}
			l := r.toLead()
			if nv, ok := fix(l.Custom); ok {
				l.Custom = nv
				s.leads[i] = newLeadRec(l, r.slot, r.contacts)
			}
		}
		return
	}
	for i, r := range s.contacts {
		if r == nil || r.more == nil {
			continue
		}
		c := s.toContact(r)
		if nv, ok := fix(c.Custom); ok {
			c.Custom = nv
			s.contacts[i] = newContactRec(c, r.slot, r.lead)
		}
	}
}

func (f *Fake) listStatuses(c *call) {
	if _, err := f.params(c); err != nil {
		writeErr(c.w, err)
		return
	}
	f.mu.Lock()
	data := slices.Clone(f.data.statuses)
	f.mu.Unlock()
	writeJSON(c.w, http.StatusOK, ListBody[Status]{Data: data})
}

// getMe serves GET /me/, the cheap authentication check.
func (f *Fake) getMe(c *call) {
	pg, err := f.params(c, "_fields")
	if err != nil {
		writeErr(c.w, err)
		return
	}
	f.mu.Lock()
	statuses := make([]map[string]string, len(f.data.statuses))
	for i, st := range f.data.statuses {
		statuses[i] = map[string]string{"id": st.ID, "label": st.Label}
	}
	f.mu.Unlock()
	first, last, _ := strings.Cut(userName, " ")
	me := map[string]any{
		"id":                 userID,
		"first_name":         first,
		"last_name":          last,
		"email":              "sandbox@example.com",
		"image":              nil,
		"last_used_timezone": "UTC",
		"memberships": []map[string]any{{
			"id": "memb_I4Tx9tZwz5npqdGtd0baWtjjlpeFf45OBlkAAKcF3Gc", "organization_id": orgID,
			"user_id": userID, "permissions_granted": []string{"export", "bulk_edit"},
		}},
		"organizations": []map[string]any{{
			"id": orgID, "name": orgName, "lead_statuses": statuses,
		}},
		"email_accounts": []any{},
		"phone_numbers":  []any{},
	}
	writeJSON(c.w, http.StatusOK, pick(me, pg.fields))
}
