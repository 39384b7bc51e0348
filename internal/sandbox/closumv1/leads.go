package closumv1

import (
	"encoding/json"
	"net/http"
)

// personInput is a lead or unqualified lead as sent, checked.
type personInput struct {
	name          *string
	cityID        *int
	customData    *string
	contactTypeID int
	email         *string
	phone         *phoneInput
	optIn         *optInRec
}

// readPerson checks a create body. Accepted fields are the doc's request
// body table; for unqualified leads also city_id, which their examples
// show. At least an email or a phone is required; an unqualified lead also
// needs an existing contact_type_id.
func readPerson(c *checker, body map[string]any, unqualified bool, d *data) personInput {
	optInKey := "lead_opt_in"
	if unqualified {
		optInKey = "unqualified_lead_opt_in"
		c.only(body, nil, "name", "email", "phone", optInKey, "contact_type_id", "city_id")
	} else {
		c.only(body, nil, "name", "email", "phone", optInKey, "city_id", "custom_data")
	}
	var in personInput
	in.name = c.text(body, nil, "name", maxText, false)
	emailObj := c.object(body, nil, "email")
	if emailObj != nil {
		c.only(emailObj, []string{"email"}, "email")
		in.email = c.emailAddr(emailObj, []string{"email"}, "email")
	}
	phoneObj := c.object(body, nil, "phone")
	if phoneObj != nil {
		in.phone = c.phone(phoneObj, []string{"phone"})
	}
	_, emailSent := value(body, "email")
	_, phoneSent := value(body, "phone")
	if !emailSent && !phoneSent {
		c.add([]string{"email"}, "_required", "An email or a phone is required")
	}
	if o := c.object(body, nil, optInKey); o != nil {
		in.optIn = c.optIn(o, []string{optInKey})
	}
	if id := c.positiveInt(body, nil, "city_id", false); id != nil {
		if !cityExists(*id) {
			c.add([]string{"city_id"}, "existsIn", "This value does not exist")
		}
		in.cityID = id
	}
	if unqualified {
		if id := c.positiveInt(body, nil, "contact_type_id", true); id != nil {
			if d.contactTypes[*id] == nil {
				c.add([]string{"contact_type_id"}, "existsIn", "This value does not exist")
			}
			in.contactTypeID = *id
		}
	} else {
		in.customData = c.customData(body)
	}
	return in
}

// createPerson: POST /api/lead and /api/unqualified-lead. Nothing is
// unique: a second lead with the same email is a second lead.
func (f *Fake) createPerson(w http.ResponseWriter, r *http.Request, unqualified bool) {
	body, err := readJSON(w, r)
	if err != nil {
		f.fail(w, r, http.StatusBadRequest, badBody)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c := &checker{}
	in := readPerson(c, body, unqualified, f.d)
	if c.n > 0 {
		f.invalid(w, r, c)
		return
	}
	table := f.d.leads
	if unqualified {
		table = f.d.unqualified
	}
	rec := f.d.newPerson(table, in, f.now())
	f.saver.Changed()
	f.ok(w, http.StatusCreated, idRef{ID: rec.ID})
}

func (f *Fake) leadCreate(w http.ResponseWriter, r *http.Request, _ int) {
	f.createPerson(w, r, false)
}

func (f *Fake) unqualifiedCreate(w http.ResponseWriter, r *http.Request, _ int) {
	f.createPerson(w, r, true)
}

// personColumns are the sortable columns of both tables.
func personColumns(unqualified bool) map[string]func(*leadRec) sortVal {
	cols := map[string]func(*leadRec) sortVal{
		"id":            func(l *leadRec) sortVal { return intVal(l.ID) },
		"name":          func(l *leadRec) sortVal { return ptrStrVal(l.Name) },
		"city_id":       func(l *leadRec) sortVal { return ptrIntVal(l.CityID) },
		"creation_date": func(l *leadRec) sortVal { return sortVal{num: l.Created.UnixNano()} },
	}
	if unqualified {
		cols["contact_type_id"] = func(l *leadRec) sortVal { return intVal(l.ContactTypeID) }
	} else {
		cols["custom_data"] = func(l *leadRec) sortVal { return ptrStrVal(l.CustomData) }
	}
	return cols
}

func (f *Fake) leadList(w http.ResponseWriter, r *http.Request, _ int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	recs, p, ok := pageOf(r.URL.Query(), f.d.leads.list(), personColumns(false))
	if !ok {
		f.notFound(w, r)
		return
	}
	items := make([]leadItem, 0, len(recs))
	for _, l := range recs {
		items = append(items, f.leadItem(l))
	}
	f.okList(w, items, p)
}

func (f *Fake) leadGet(w http.ResponseWriter, r *http.Request, id int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l := f.d.leads.recs[id]
	if l == nil {
		f.notFound(w, r)
		return
	}
	f.ok(w, http.StatusOK, f.leadView(l))
}

func (f *Fake) unqualifiedList(w http.ResponseWriter, r *http.Request, _ int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	recs, p, ok := pageOf(r.URL.Query(), f.d.unqualified.list(), personColumns(true))
	if !ok {
		f.notFound(w, r)
		return
	}
	items := make([]unqualifiedItem, 0, len(recs))
	for _, l := range recs {
		items = append(items, f.unqualifiedItem(l))
	}
	f.okList(w, items, p)
}

func (f *Fake) unqualifiedGet(w http.ResponseWriter, r *http.Request, id int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l := f.d.unqualified.recs[id]
	if l == nil {
		f.notFound(w, r)
		return
	}
	v := unqualifiedView{unqualifiedItem: f.unqualifiedItem(l)}
	if o := l.OptIn; o != nil {
		v.OptIn = &unqualifiedOptInView{ID: o.ID, UnqualifiedLeadID: l.ID, SMS: o.SMS, Email: o.Email,
			Enviroment: enviromentText(o.Environment), CreationDate: stamp(o.Created)}
	}
	f.ok(w, http.StatusOK, v)
}

// Rendering; callers hold f.mu.

func (f *Fake) leadItem(l *leadRec) leadItem {
	it := leadItem{ID: l.ID, Name: l.Name, CityID: l.CityID, CustomData: l.CustomData, CreationDate: stamp(l.Created)}
	if p := f.d.phoneOf(l); p != nil {
		it.Phone = &phoneRef{Extension: p.Extension, Number: p.Number}
	}
	if e := f.d.emailOf(l); e != nil {
		it.Email = &emailRef{Email: e.Email}
	}
	return it
}

func (f *Fake) leadView(l *leadRec) leadView {
	v := leadView{ID: l.ID, Name: l.Name, CreationDate: stamp(l.Created), CityID: l.CityID, CustomData: l.CustomData}
	if e := f.d.emailOf(l); e != nil {
		v.Email = &emailIDRef{ID: e.ID, Email: e.Email}
	}
	if p := f.d.phoneOf(l); p != nil {
		v.Phone = &phoneIDRef{ID: p.ID, Extension: p.Extension, Number: p.Number}
	}
	if o := l.OptIn; o != nil {
		v.LeadOptIn = &leadOptInView{ID: o.ID, LeadID: l.ID, SMS: o.SMS, Email: o.Email,
			Enviroment: enviromentText(o.Environment), CreationDate: stamp(o.Created)}
	}
	return v
}

func (f *Fake) unqualifiedItem(l *leadRec) unqualifiedItem {
	it := unqualifiedItem{ID: l.ID, Name: l.Name, ContactTypeID: l.ContactTypeID, CityID: l.CityID,
		CreationDate: stamp(l.Created)}
	if p := f.d.phoneOf(l); p != nil {
		it.Phone = &phoneNumberRef{Number: p.Number}
	}
	if e := f.d.emailOf(l); e != nil {
		it.Email = &emailRef{Email: e.Email}
	}
	return it
}

// enviromentText writes an opt-in's enviroment as the JSON text the
// property table's "string" type implies; null when none was sent.
func enviromentText(env map[string]string) *string {
	if env == nil {
		return nil
	}
	b, err := json.Marshal(env)
	if err != nil {
		return nil
	}
	s := string(b)
	return &s
}
