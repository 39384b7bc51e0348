package closumv1

import (
	"net/http"
	"slices"
)

// seedCities is the read-only city table (GET /api/city). The doc shows
// 308 cities (Portugal's municipalities) and names one, Abrantes (213);
// this is a handful, with the ids the lead examples use (1 and 40).
func seedCities() []cityItem {
	return []cityItem{
		{1, "Lisboa"}, {2, "Porto"}, {3, "Braga"}, {4, "Coimbra"}, {5, "Faro"}, {6, "Aveiro"},
		{7, "Setúbal"}, {8, "Évora"}, {9, "Viseu"}, {10, "Leiria"}, {40, "Funchal"}, {213, "Abrantes"},
	}
}

func cityExists(id int) bool {
	return slices.ContainsFunc(seedCities(), func(c cityItem) bool { return c.ID == id })
}

func (f *Fake) cityList(w http.ResponseWriter, r *http.Request, _ int) {
	cols := map[string]func(cityItem) sortVal{
		"id":        func(c cityItem) sortVal { return intVal(c.ID) },
		"city_name": func(c cityItem) sortVal { return strVal(c.CityName) },
	}
	items, p, ok := pageOf(r.URL.Query(), seedCities(), cols)
	if !ok {
		f.notFound(w, r)
		return
	}
	f.okList(w, items, p)
}

// listRecords serves the list of a resource: its records in creation
// order, sorted and paged as the query asks, each shown through view.
// records picks the resource out of the data, under the fake's lock.
func listRecords[R, V any](f *Fake, w http.ResponseWriter, r *http.Request, records func(*data) ([]int, map[int]*R),
	cols map[string]func(*R) sortVal, view func(*R) V) {
	f.mu.Lock()
	defer f.mu.Unlock()
	order, byID := records(f.d)
	all := make([]*R, 0, len(order))
	for _, id := range order {
		all = append(all, byID[id])
	}
	recs, p, ok := pageOf(r.URL.Query(), all, cols)
	if !ok {
		f.notFound(w, r)
		return
	}
	items := make([]V, 0, len(recs))
	for _, rec := range recs {
		items = append(items, view(rec))
	}
	f.okList(w, items, p)
}

// getRecord serves one record of a resource by id, 404 when absent.
func getRecord[R, V any](f *Fake, w http.ResponseWriter, r *http.Request, id int, records func(*data) map[int]*R, view func(*R) V) {
	f.mu.Lock()
	defer f.mu.Unlock()
	rec := records(f.d)[id]
	if rec == nil {
		f.notFound(w, r)
		return
	}
	f.ok(w, http.StatusOK, view(rec))
}

// readID checks the "id" an update body may carry (the doc's PUT
// examples send it): it must be the id in the URL.
func (c *checker) readID(body map[string]any, want int) {
	if id := c.positiveInt(body, nil, "id", false); id != nil && *id != want {
		c.add([]string{"id"}, "_mismatch", "The id does not match the one in the URL")
	}
}

// Emails.

func emailView(e *emailRec) emailItem {
	return emailItem{ID: e.ID, Email: e.Email, Status: e.Status, RegisterDate: stamp(e.Registered)}
}

// emailCols are the columns its list sorts by.
func emailCols() map[string]func(*emailRec) sortVal {
	return map[string]func(*emailRec) sortVal{
		"id":            func(e *emailRec) sortVal { return intVal(e.ID) },
		"email":         func(e *emailRec) sortVal { return strVal(e.Email) },
		"status":        func(e *emailRec) sortVal { return intVal(e.Status) },
		"register_date": func(e *emailRec) sortVal { return sortVal{num: e.Registered.UnixNano()} },
	}
}

func (f *Fake) emailList(w http.ResponseWriter, r *http.Request, _ int) {
	listRecords(f, w, r, func(d *data) ([]int, map[int]*emailRec) { return d.emailOrder, d.emails }, emailCols(), emailView)
}

func (f *Fake) emailGet(w http.ResponseWriter, r *http.Request, id int) {
	getRecord(f, w, r, id, func(d *data) map[int]*emailRec { return d.emails }, emailView)
}

// emailCreate: POST /api/email {"email"}. Duplicates are allowed.
func (f *Fake) emailCreate(w http.ResponseWriter, r *http.Request, _ int) {
	body, err := readJSON(w, r)
	if err != nil {
		f.fail(w, r, http.StatusBadRequest, badBody)
		return
	}
	c := &checker{}
	c.only(body, nil, "email")
	addr := c.emailAddr(body, nil, "email")
	if c.n > 0 {
		f.invalid(w, r, c)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	e := f.d.newEmail(*addr, f.now())
	f.saver.Changed()
	f.ok(w, http.StatusCreated, idRef{ID: e.ID})
}

// emailUpdate: PUT /api/email/{id} {"id"?, "email"}. The lead or
// unqualified lead holding this email shows the new address.
func (f *Fake) emailUpdate(w http.ResponseWriter, r *http.Request, id int) {
	body, err := readJSON(w, r)
	if err != nil {
		f.fail(w, r, http.StatusBadRequest, badBody)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	e := f.d.emails[id]
	if e == nil {
		f.notFound(w, r)
		return
	}
	c := &checker{}
	c.only(body, nil, "id", "email")
	c.readID(body, id)
	addr := c.emailAddr(body, nil, "email")
	if c.n > 0 {
		f.invalid(w, r, c)
		return
	}
	e.Email = *addr
	f.saver.Changed()
	f.ok(w, http.StatusOK, []any{})
}

// Phones.

func phoneView(p *phoneRec) phoneItem {
	return phoneItem{ID: p.ID, Extension: p.Extension, Number: p.Number, IsValid: p.IsValid, DateAdd: stamp(p.Added)}
}

// phoneCols are the columns its list sorts by.
func phoneCols() map[string]func(*phoneRec) sortVal {
	return map[string]func(*phoneRec) sortVal{
		"id":        func(p *phoneRec) sortVal { return intVal(p.ID) },
		"extension": func(p *phoneRec) sortVal { return ptrStrVal(p.Extension) },
		"number":    func(p *phoneRec) sortVal { return strVal(p.Number) },
		"is_valid":  func(p *phoneRec) sortVal { return intVal(p.IsValid) },
		"date_add":  func(p *phoneRec) sortVal { return sortVal{num: p.Added.UnixNano()} },
	}
}

func (f *Fake) phoneList(w http.ResponseWriter, r *http.Request, _ int) {
	listRecords(f, w, r, func(d *data) ([]int, map[int]*phoneRec) { return d.phoneOrder, d.phones }, phoneCols(), phoneView)
}

func (f *Fake) phoneGet(w http.ResponseWriter, r *http.Request, id int) {
	getRecord(f, w, r, id, func(d *data) map[int]*phoneRec { return d.phones }, phoneView)
}

// phoneCreate: POST /api/phone {"extension"?, "number"}.
func (f *Fake) phoneCreate(w http.ResponseWriter, r *http.Request, _ int) {
	body, err := readJSON(w, r)
	if err != nil {
		f.fail(w, r, http.StatusBadRequest, badBody)
		return
	}
	c := &checker{}
	in := c.phone(body, nil)
	if c.n > 0 {
		f.invalid(w, r, c)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.d.newPhone(*in, f.now())
	f.saver.Changed()
	f.ok(w, http.StatusCreated, idRef{ID: p.ID})
}

// phoneUpdate: PUT /api/phone/{id} {"id"?, "extension"?, "number"}. The
// number is required; an extension not sent is kept (CakePHP patches only
// the fields sent).
func (f *Fake) phoneUpdate(w http.ResponseWriter, r *http.Request, id int) {
	body, err := readJSON(w, r)
	if err != nil {
		f.fail(w, r, http.StatusBadRequest, badBody)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.d.phones[id]
	if p == nil {
		f.notFound(w, r)
		return
	}
	c := &checker{}
	c.readID(body, id)
	rest := map[string]any{}
	for k, v := range body {
		if k != "id" {
			rest[k] = v
		}
	}
	in := c.phone(rest, nil)
	if c.n > 0 {
		f.invalid(w, r, c)
		return
	}
	p.Number = in.number
	if in.extension != nil {
		p.Extension = in.extension
	}
	f.saver.Changed()
	f.ok(w, http.StatusOK, []any{})
}

// Contact types.

// contactTypeCols are the columns its list sorts by.
func contactTypeCols() map[string]func(*contactTypeRec) sortVal {
	return map[string]func(*contactTypeRec) sortVal{
		"id":            func(t *contactTypeRec) sortVal { return intVal(t.ID) },
		"label":         func(t *contactTypeRec) sortVal { return strVal(t.Label) },
		"creation_date": func(t *contactTypeRec) sortVal { return sortVal{num: t.Created.UnixNano()} },
	}
}

func (f *Fake) contactTypeList(w http.ResponseWriter, r *http.Request, _ int) {
	listRecords(f, w, r, func(d *data) ([]int, map[int]*contactTypeRec) { return d.typeOrder, d.contactTypes },
		contactTypeCols(), func(t *contactTypeRec) contactTypeItem {
			return contactTypeItem{ID: t.ID, Label: t.Label, CreationDate: stamp(t.Created)}
		})
}

func (f *Fake) contactTypeGet(w http.ResponseWriter, r *http.Request, id int) {
	getRecord(f, w, r, id, func(d *data) map[int]*contactTypeRec { return d.contactTypes },
		func(t *contactTypeRec) contactTypeView {
			return contactTypeView{ID: t.ID, Label: t.Label, DateAdd: stamp(t.Created)}
		})
}

// contactTypeCreate: POST /api/contact-type {"label"}. Labels need not be
// unique.
func (f *Fake) contactTypeCreate(w http.ResponseWriter, r *http.Request, _ int) {
	body, err := readJSON(w, r)
	if err != nil {
		f.fail(w, r, http.StatusBadRequest, badBody)
		return
	}
	c := &checker{}
	c.only(body, nil, "label")
	label := c.text(body, nil, "label", maxText, true)
	if c.n > 0 {
		f.invalid(w, r, c)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.d.newContactType(*label, f.now())
	f.saver.Changed()
	f.ok(w, http.StatusCreated, idRef{ID: t.ID})
}

// contactTypeUpdate: PUT /api/contact-type/{id} {"id"?, "label"}.
func (f *Fake) contactTypeUpdate(w http.ResponseWriter, r *http.Request, id int) {
	body, err := readJSON(w, r)
	if err != nil {
		f.fail(w, r, http.StatusBadRequest, badBody)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.d.contactTypes[id]
	if t == nil {
		f.notFound(w, r)
		return
	}
	c := &checker{}
	c.only(body, nil, "id", "label")
	c.readID(body, id)
	label := c.text(body, nil, "label", maxText, true)
	if c.n > 0 {
		f.invalid(w, r, c)
		return
	}
	t.Label = *label
	f.saver.Changed()
	f.ok(w, http.StatusOK, []any{})
}
