package closum

import (
	"maps"
	"net/http"
	"slices"
	"time"
)

// contactInput is the part of a lead or contact request that lives on the
// contact. nil means "not sent".
type contactInput struct {
	name, email, mobile, birthDate *string
	consentEmail, consentSMS       *bool
	tags                           []string
	custom                         map[string]*string // field id → value; nil value clears
}

// inputRules say which documented fields a request has.
type inputRules struct {
	add    bool // consent_email and consent_sms required; mobile_number "" is absent
	email  bool // email is a field of the request
	custom bool // custom_fields is a field of the request
}

func readContactInput(v *validator, d *data, rules inputRules) contactInput {
	in := contactInput{
		name:         v.text("name"),
		mobile:       v.mobile("mobile_number"),
		birthDate:    v.date("birth_date"),
		consentEmail: v.boolean("consent_email", rules.add),
		consentSMS:   v.boolean("consent_sms", rules.add),
		tags:         v.tags("tags"),
	}
	if rules.add && in.mobile != nil && *in.mobile == "" {
		in.mobile = nil
	}
	if rules.email {
		in.email = v.email("email")
	}
	if rules.custom {
		in.custom = v.customFields("custom_fields", d)
	}
	return in
}

// existing finds the contact an add request is about: by email when one
// is given, else by mobile number.
func (d *data) existing(in contactInput) *contactRec {
	if in.email != nil {
		return d.contactByEmail(*in.email)
	}
	if in.mobile != nil {
		return d.contactByMobile(*in.mobile)
	}
	return nil
}

func duplicateMsg(in contactInput) string {
	if in.email != nil {
		return "A contact with this email already exists"
	}
	return "A contact with this mobile number already exists"
}

// apply copies in onto c. Tags sent are added to the contact's tags and
// never removed: the collection has a separate endpoint to remove tags.
func (d *data) apply(c *contactRec, in contactInput, now time.Time) {
	if in.name != nil {
		c.Name = *in.name
	}
	if in.email != nil {
		d.setEmail(c, *in.email)
	}
	if in.mobile != nil {
		d.setMobile(c, *in.mobile)
	}
	if in.birthDate != nil {
		c.BirthDate = *in.birthDate
	}
	if in.consentEmail != nil {
		c.ConsentEmail = *in.consentEmail
	}
	if in.consentSMS != nil {
		c.ConsentSMS = *in.consentSMS
	}
	d.addTags(c, in.tags, now)
	for _, id := range slices.Sorted(maps.Keys(in.custom)) {
		if val := in.custom[id]; val == nil {
			c.Custom = c.Custom.without(id)
		} else {
			c.Custom = c.Custom.set(id, *val)
		}
	}
}

func (d *data) addTags(c *contactRec, names []string, now time.Time) {
	for _, t := range names {
		if id := d.ensureTag(t, now); !slices.Contains(c.Tags, id) {
			c.Tags = append(c.Tags, id)
		}
	}
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (f *Fake) renderContact(c *contactRec) contactItem {
	return contactItem{
		ID: c.ID, Name: nullable(c.Name), Email: nullable(c.Email), MobileNumber: nullable(c.Mobile),
		BirthDate: nullable(c.BirthDate), ConsentEmail: c.ConsentEmail, ConsentSMS: c.ConsentSMS,
		EmailStatusID: 1, CreationDate: f.stamp(c.Created),
	}
}

func (d *data) contactTags(c *contactRec) []contactTag {
	out := make([]contactTag, 0, len(c.Tags))
	for _, id := range c.Tags {
		out = append(out, contactTag{ContactID: c.ID, Tag: tagRef{ID: id, Tag: d.tags[id].Tag}})
	}
	return out
}

// contactAdd: POST contact/add. The collection shows no required fields;
// as for lead/add, email or mobile and both consents are required, and an
// email (or, without one, a mobile number) already held is refused: Contact
// Add has no update_enabled.
func (f *Fake) contactAdd(w http.ResponseWriter, r *http.Request, _ string) {
	body, err := readBody(w, r)
	if err != nil {
		f.fail(w, http.StatusBadRequest, "Invalid request body")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	v := &validator{body: body}
	in := readContactInput(v, f.d, inputRules{add: true, email: true, custom: true})
	if in.email == nil && in.mobile == nil {
		v.failf("Email or Mobile Required")
	}
	if len(v.errs) > 0 {
		f.fail(w, http.StatusOK, v.errs...)
		return
	}
	if f.d.existing(in) != nil {
		f.fail(w, http.StatusOK, duplicateMsg(in))
		return
	}
	now := f.now()
	c := f.d.newContact(now)
	f.d.apply(c, in, now)
	f.saver.Changed()
	f.ok(w, []contactIDRef{{ContactID: c.ID}})
}

// contactEdit: PUT contact/edit/{id}. Unlike a lead's, a contact's email
// may change (Contact Update's body has it), but not to another contact's.
func (f *Fake) contactEdit(w http.ResponseWriter, r *http.Request, id string) {
	body, err := readBody(w, r)
	if err != nil {
		f.fail(w, http.StatusBadRequest, "Invalid request body")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.d.contacts[id]
	if !ok {
		f.fail(w, http.StatusOK, "Contact not found")
		return
	}
	v := &validator{body: body}
	in := readContactInput(v, f.d, inputRules{email: true, custom: true})
	if in.email != nil {
		if other := f.d.contactByEmail(*in.email); other != nil && other != c {
			v.failf("A contact with this email already exists")
		}
	}
	if in.mobile != nil && *in.mobile == "" && c.Email == "" && in.email == nil {
		v.failf("Email or Mobile Required")
	}
	if len(v.errs) > 0 {
		f.fail(w, http.StatusOK, v.errs...)
		return
	}
	f.d.apply(c, in, f.now())
	f.saver.Changed()
	f.ok(w, []contactIDRef{{ContactID: c.ID}})
}

// contactList: GET contact/list, newest first, paged.
func (f *Fake) contactList(w http.ResponseWriter, r *http.Request, _ string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	order := f.d.contactOrder
	win, ok := pageOf(r.URL.Query(), len(order))
	if !ok {
		f.outOfRange(w)
		return
	}
	items := make([]contactItem, 0, win.hi-win.lo)
	for i := win.lo; i < win.hi; i++ {
		items = append(items, f.renderContact(f.d.contacts[order[len(order)-1-i]]))
	}
	f.ok(w, contactList{Contacts: items, Paginator: win.p})
}

// contactView: GET contact/view/{key}. The collection lists an optional
// finder parameter ("Valid email or mobile") on Contact View as on Lead
// View: with finder=email or finder=mobile the key is an email or a number.
func (f *Fake) contactView(w http.ResponseWriter, r *http.Request, key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var c *contactRec
	switch r.URL.Query().Get("finder") {
	case "":
		c = f.d.contacts[key]
	case "email":
		c = f.d.contactByEmail(key)
	case "mobile":
		c = f.d.contactByMobile(key)
	default:
		f.fail(w, http.StatusOK, "finder must be email or mobile")
		return
	}
	if c == nil {
		f.fail(w, http.StatusOK, "Contact not found")
		return
	}
	f.ok(w, contactViewData{ContactData: contactView{contactItem: f.renderContact(c), ContactTag: f.d.contactTags(c)}})
}

// contactDelete: DELETE contact/delete/{id}, with its lead ("deletes
// Contact … and the Lead associated Data").
func (f *Fake) contactDelete(w http.ResponseWriter, _ *http.Request, id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.d.contacts[id]; !ok {
		f.fail(w, http.StatusOK, "Contact not found")
		return
	}
	f.d.removeContact(id)
	f.saver.Changed()
	f.ok(w, []any{})
}
