package closum

import (
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

const stageMsg = "contact_lifecycle_stage_id must be between 1 and 9"

func (f *Fake) renderLeadItem(l *leadRec) leadItem {
	c := f.d.contacts[l.ContactID]
	it := leadItem{
		ID: l.ID, Name: nullable(c.Name), ContactLifecycleStageID: l.Stage, SourceID: l.SourceID,
		CustomData: l.CustomData, UserID: l.UserID, CreationDate: f.stamp(l.Created),
		ContactTag: f.d.contactTags(c),
	}
	if l.SalesSequenceID != 0 {
		it.LeadSalesSequence = &salesSequenceRef{ID: l.SalesSequenceID}
	}
	if c.Mobile != "" {
		it.Phone = &phoneRef{Number: c.Mobile}
	}
	if c.Email != "" {
		it.Email = &emailRef{Email: c.Email}
	}
	return it
}

func (f *Fake) renderLeadView(l *leadRec) leadView {
	c := f.d.contacts[l.ContactID]
	it := f.renderLeadItem(l)
	lv := leadView{
		ID: l.ID, Name: it.Name, ContactLifecycleStageID: l.Stage, CustomData: l.CustomData,
		UserID: l.UserID, CreationDate: it.CreationDate,
		LeadOptIn: optIn{SMS: c.ConsentSMS, Email: c.ConsentEmail},
		Phone:     it.Phone, Email: it.Email, ContactTag: it.ContactTag,
		CustomFields: []customFieldValue{},
	}
	for _, fr := range f.d.fields {
		if val, ok := c.Custom.get(fr.ID); ok {
			lv.CustomFields = append(lv.CustomFields, customFieldValue{FieldID: fr.ID, Var: fr.Var, Value: val})
		}
	}
	return lv
}

// leadAdd: POST lead/add. Without update_enabled, a lead for an email (or,
// without one, a mobile number) that a contact already holds is refused;
// with it, that contact is updated and its lead updated or created.
func (f *Fake) leadAdd(w http.ResponseWriter, r *http.Request, _ string) {
	body, err := readBody(w, r)
	if err != nil {
		f.fail(w, http.StatusBadRequest, "Invalid request body")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	v := &validator{body: body}
	update := v.boolean("update_enabled", false)
	in := readContactInput(v, f.d, inputRules{add: true, email: true, custom: true})
	stage := v.integer("contact_lifecycle_stage_id", 1, 9, stageMsg)
	customData := v.jsonText("custom_data")
	if in.email == nil && in.mobile == nil {
		v.failf("Email or Mobile Required")
	}
	if len(v.errs) > 0 {
		f.fail(w, http.StatusOK, v.errs...)
		return
	}
	now := f.now()
	c := f.d.existing(in)
	if c != nil && (update == nil || !*update) {
		f.fail(w, http.StatusOK, duplicateMsg(in))
		return
	}
	if c == nil {
		c = f.d.newContact(now)
	}
	f.d.apply(c, in, now)
	l := f.d.leadOfContact(c)
	if l == nil {
		l = f.d.newLead(c.ID, now)
	}
	if stage != nil {
		l.Stage = *stage
	}
	if customData != nil {
		l.CustomData = *customData
	}
	f.saver.Changed()
	f.ok(w, []leadIDRef{{LeadID: l.ID}})
}

// leadEdit: PUT lead/edit/{id}. An email equal to the lead's (any case) is
// accepted; any other is refused, as the docs forbid changing it.
func (f *Fake) leadEdit(w http.ResponseWriter, r *http.Request, id string) {
	body, err := readBody(w, r)
	if err != nil {
		f.fail(w, http.StatusBadRequest, "Invalid request body")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	n, err := strconv.Atoi(id)
	l, ok := f.d.leads[n]
	if err != nil || !ok {
		f.fail(w, http.StatusOK, "Lead not found")
		return
	}
	v := &validator{body: body}
	if x, sent := v.value("email"); sent {
		if s, _ := x.(string); !strings.EqualFold(strings.TrimSpace(s), f.d.contacts[l.ContactID].Email) {
			v.failf("You are not allowed to change a lead email.")
		}
	}
	f.editLead(w, l, v)
}

// leadEditByEmail: PUT lead/edit-by-email; email (required) finds the lead.
func (f *Fake) leadEditByEmail(w http.ResponseWriter, r *http.Request, _ string) {
	body, err := readBody(w, r)
	if err != nil {
		f.fail(w, http.StatusBadRequest, "Invalid request body")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	v := &validator{body: body}
	email := v.email("email")
	if email == nil {
		if len(v.errs) == 0 {
			v.failf("email is required")
		}
		f.fail(w, http.StatusOK, v.errs...)
		return
	}
	l := f.d.leadOfContact(f.d.contactByEmail(*email))
	if l == nil {
		f.fail(w, http.StatusOK, "Lead not found")
		return
	}
	f.editLead(w, l, v)
}

// editLead applies the Lead Edit fields. custom_fields and custom_data are
// not among them and are ignored, as any undocumented field is.
func (f *Fake) editLead(w http.ResponseWriter, l *leadRec, v *validator) {
	c := f.d.contacts[l.ContactID]
	in := readContactInput(v, f.d, inputRules{})
	stage := v.integer("contact_lifecycle_stage_id", 1, 9, stageMsg)
	seq := v.integer("sales_sequence_id", 1, math.MaxInt32, "sales_sequence_id must be a positive integer")
	user := v.integer("user_id", 1, math.MaxInt32, "user_id must be a positive integer")
	if in.mobile != nil && *in.mobile == "" && c.Email == "" {
		v.failf("Email or Mobile Required")
	}
	if len(v.errs) > 0 {
		f.fail(w, http.StatusOK, v.errs...)
		return
	}
	f.d.apply(c, in, f.now())
	if stage != nil {
		l.Stage = *stage
	}
	if seq != nil {
		l.SalesSequenceID = *seq
	}
	if user != nil {
		l.UserID = *user
	}
	f.saver.Changed()
	f.ok(w, []leadIDRef{{LeadID: l.ID}})
}

// leadDelete: DELETE lead/delete/{id}. The contact stays (only Contact
// Delete is documented to remove both).
func (f *Fake) leadDelete(w http.ResponseWriter, _ *http.Request, id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n, err := strconv.Atoi(id)
	if _, ok := f.d.leads[n]; err != nil || !ok {
		f.fail(w, http.StatusOK, "Lead not found")
		return
	}
	f.d.removeLead(n)
	f.saver.Changed()
	f.ok(w, []any{})
}

// leadViewHandler: GET lead/view/{key}; finder=email or finder=mobile makes
// the key an email or a mobile number instead of an id.
func (f *Fake) leadViewHandler(w http.ResponseWriter, r *http.Request, key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var l *leadRec
	switch r.URL.Query().Get("finder") {
	case "":
		if n, err := strconv.Atoi(key); err == nil {
			l = f.d.leads[n]
		}
	case "email":
		l = f.d.leadOfContact(f.d.contactByEmail(key))
	case "mobile":
		l = f.d.leadOfContact(f.d.contactByMobile(key))
	default:
		f.fail(w, http.StatusOK, "finder must be email or mobile")
		return
	}
	if l == nil {
		f.fail(w, http.StatusOK, "Lead not found")
		return
	}
	f.ok(w, leadViewData{LeadData: f.renderLeadView(l)})
}

// leadList: GET lead/, newest first, paged, with the documented filters
// email, name (both exact, any case) and contact_lifecycle_stage_id (one
// value or several as contact_lifecycle_stage_id[]=…).
func (f *Fake) leadList(w http.ResponseWriter, r *http.Request, _ string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	q := r.URL.Query()
	ids := f.d.leadOrder
	email, name := q.Get("email"), q.Get("name")
	stages := slices.Concat(q["contact_lifecycle_stage_id"], q["contact_lifecycle_stage_id[]"])
	if email != "" || name != "" || len(stages) > 0 {
		ids = f.filterLeads(email, name, stages)
	}
	win, ok := pageOf(q, len(ids))
	if !ok {
		f.outOfRange(w)
		return
	}
	items := make([]leadItem, 0, win.hi-win.lo)
	for i := win.lo; i < win.hi; i++ {
		items = append(items, f.renderLeadItem(f.d.leads[ids[len(ids)-1-i]]))
	}
	f.ok(w, leadList{Leads: items, Paginator: win.p})
}

// filterLeads returns the matching lead ids, oldest first.
func (f *Fake) filterLeads(email, name string, stages []string) []int {
	var out []int
	keep := func(l *leadRec) bool {
		c := f.d.contacts[l.ContactID]
		if name != "" && !strings.EqualFold(c.Name, strings.TrimSpace(name)) {
			return false
		}
		if len(stages) == 0 {
			return true
		}
		for _, s := range stages {
			if n, err := strconv.Atoi(s); err == nil && n == l.Stage {
				return true
			}
		}
		return false
	}
	if email != "" {
		if l := f.d.leadOfContact(f.d.contactByEmail(strings.TrimSpace(email))); l != nil && keep(l) {
			out = append(out, l.ID)
		}
		return out
	}
	for _, id := range f.d.leadOrder {
		if keep(f.d.leads[id]) {
			out = append(out, id)
		}
	}
	return out
}
