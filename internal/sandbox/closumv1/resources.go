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

func (f *Fake) emailList(w http.ResponseWriter, r *http.Request, _ int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	all := make([]*emailRec, 0, len(f.d.emailOrder))
	for _, id := range f.d.emailOrder {
		all = append(all, f.d.emails[id])
	}
	cols := map[string]func(*emailRec) sortVal{
		"id":            func(e *emailRec) sortVal { return intVal(e.ID) },
		"email":         func(e *emailRec) sortVal { return strVal(e.Email) },
		"status":        func(e *emailRec) sortVal { return intVal(e.Status) },
		"register_date": func(e *emailRec) sortVal { return sortVal{num: e.Registered.UnixNano()} },
	}
	recs, p, ok := pageOf(r.URL.Query(), all, cols)
	if !ok {
		f.notFound(w, r)
		return
	}
	items := make([]emailItem, 0, len(recs))
	for _, e := range recs {
		items = append(items, emailView(e))
	}
	f.okList(w, items, p)
}

func (f *Fake) emailGet(w http.ResponseWriter, r *http.Request, id int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e := f.d.emails[id]
	if e == nil {
		f.notFound(w, r)
		return
	}
	f.ok(w, http.StatusOK, emailView(e))
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

func (f *Fake) phoneList(w http.ResponseWriter, r *http.Request, _ int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	all := make([]*phoneRec, 0, len(f.d.phoneOrder))
	for _, id := range f.d.phoneOrder {
		all = append(all, f.d.phones[id])
	}
	cols := map[string]func(*phoneRec) sortVal{
		"id":        func(p *phoneRec) sortVal { return intVal(p.ID) },
		"extension": func(p *phoneRec) sortVal { return ptrStrVal(p.Extension) },
		"number":    func(p *phoneRec) sortVal { return strVal(p.Number) },
		"is_valid":  func(p *phoneRec) sortVal { return intVal(p.IsValid) },
		"date_add":  func(p *phoneRec) sortVal { return sortVal{num: p.Added.UnixNano()} },
	}
	recs, p, ok := pageOf(r.URL.Query(), all, cols)
	if !ok {
		f.notFound(w, r)
		return
	}
	items := make([]phoneItem, 0, len(recs))
	for _, ph := range recs {
		items = append(items, phoneView(ph))
	}
	f.okList(w, items, p)
}

func (f *Fake) phoneGet(w http.ResponseWriter, r *http.Request, id int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.d.phones[id]
	if p == nil {
		f.notFound(w, r)
		return
	}
	f.ok(w, http.StatusOK, phoneView(p))
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

func (f *Fake) contactTypeList(w http.ResponseWriter, r *http.Request, _ int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	all := make([]*contactTypeRec, 0, len(f.d.typeOrder))
	for _, id := range f.d.typeOrder {
		all = append(all, f.d.contactTypes[id])
	}
	cols := map[string]func(*contactTypeRec) sortVal{
		"id":            func(t *contactTypeRec) sortVal { return intVal(t.ID) },
		"label":         func(t *contactTypeRec) sortVal { return strVal(t.Label) },
		"creation_date": func(t *contactTypeRec) sortVal { return sortVal{num: t.Created.UnixNano()} },
	}
	recs, p, ok := pageOf(r.URL.Query(), all, cols)
	if !ok {
		f.notFound(w, r)
		return
	}
	items := make([]contactTypeItem, 0, len(recs))
	for _, t := range recs {
		items = append(items, contactTypeItem{ID: t.ID, Label: t.Label, CreationDate: stamp(t.Created)})
	}
	f.okList(w, items, p)
}

func (f *Fake) contactTypeGet(w http.ResponseWriter, r *http.Request, id int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.d.contactTypes[id]
	if t == nil {
		f.notFound(w, r)
		return
	}
	f.ok(w, http.StatusOK, contactTypeView{ID: t.ID, Label: t.Label, DateAdd: stamp(t.Created)})
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
