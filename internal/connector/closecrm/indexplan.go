package closecrm

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/mapping"
)

// What an indexed write compares. The index keeps, per record, one digest
// per group of the canonical values Close holds for the mapped fields; a
// row's digest taken the same way tells unchanged from changed without a
// read. Each canonical form is equal exactly when the comparison Write
// uses (compare.go) says equal, so the digest decides as the patch would.

// group is a set of compared fields that are written the same way.
type group int

const (
	gLead    group = iota // the lead's own fields: a PUT of what the row gives
	gContact              // the contact's name, title (and a contact's custom fields): a PUT of what the row gives
	gCurrent              // emails, phones, the address: merged with what Close holds, so read first
	nGroups
)

// cmpKind names the comparison a field uses.
type cmpKind int

const (
	cmpText   cmpKind = iota // sameText
	cmpFold                  // sameFold
	cmpURL                   // sameURL
	cmpEmail                 // sameEmail, against the contact's first address
	cmpPhone                 // samePhone, against the contact's first number
	cmpCustom                // sameCustom
)

// unit is one compared field: how the row gives it and where Close holds it.
type unit struct {
	field string // record key; mapping.FieldName stands for name or first_name + last_name
	group group
	kind  cmpKind
	cf    customField
	held  func(l *leadData, ct *contactData) string
}

// plan is what an index compares for one object and set of mapped fields.
type plan struct {
	units  []unit
	bits   [nGroups]uint64 // mask bits of each group's units
	known  map[string]bool // record keys a row may give and still be decided by the index
	region string
}

// newPlan lists the units of fields for obj, leaving out the match keys
// (the record found holds them by definition) and the fields Write never
// compares. Custom fields must have been resolved by Prepare.
func newPlan(obj connector.Object, match, fields []string, cfs map[string]customField, region string) (plan, error) {
	p := plan{known: map[string]bool{mapping.FieldID: true}, region: region}
	for _, k := range match {
		p.known[k] = true
	}
	lead := func(l *leadData) *leadData {
		if l == nil {
			return &leadData{}
		}
		return l
	}
	contact := func(ct *contactData) *contactData {
		if ct == nil {
			return &contactData{}
		}
		return ct
	}
	firstAddr := func(l *leadData) address {
		if l = lead(l); len(l.Addresses) > 0 {
			return l.Addresses[0]
		}
		return address{}
	}
	add := func(f string, g group, k cmpKind, held func(l *leadData, ct *contactData) string) {
		p.known[f] = true
		if slices.Contains(match, f) || slices.ContainsFunc(p.units, func(u unit) bool { return u.field == f }) {
			return
		}
		p.units = append(p.units, unit{field: f, group: g, kind: k, held: held})
	}
	for _, f := range fields {
		switch f {
		case mapping.FieldID:
		case fieldLeadID:
			p.known[f] = true // places a new contact; never compared
		case mapping.FieldCompany:
			if obj == connector.Contact {
				p.known[f] = true // idem
				continue
			}
			add(f, gLead, cmpText, func(l *leadData, _ *contactData) string { return lead(l).Name })
		case mapping.FieldURL:
			add(f, gLead, cmpURL, func(l *leadData, _ *contactData) string { return lead(l).URL })
		case mapping.FieldDescription:
			add(f, gLead, cmpText, func(l *leadData, _ *contactData) string { return lead(l).Description })
		case mapping.FieldStatus:
			add(f, gLead, cmpFold, func(l *leadData, _ *contactData) string { return lead(l).StatusLabel })
		case mapping.FieldName, mapping.FieldFirstName, mapping.FieldLastName:
			p.known[mapping.FieldFirstName], p.known[mapping.FieldLastName] = true, true
			add(mapping.FieldName, gContact, cmpText, func(_ *leadData, ct *contactData) string { return contact(ct).Name })
		case mapping.FieldTitle:
			add(f, gContact, cmpFold, func(_ *leadData, ct *contactData) string { return contact(ct).Title })
		case mapping.FieldEmail:
			add(f, gCurrent, cmpEmail, func(_ *leadData, ct *contactData) string {
				if ct = contact(ct); len(ct.Emails) > 0 {
					return ct.Emails[0].Email
				}
				return ""
			})
		case mapping.FieldPhone:
			add(f, gCurrent, cmpPhone, func(_ *leadData, ct *contactData) string {
				if ct = contact(ct); len(ct.Phones) > 0 {
					return ct.Phones[0].Phone
				}
				return ""
			})
		case mapping.FieldAddress:
			add(f, gCurrent, cmpText, func(l *leadData, _ *contactData) string { return firstAddr(l).Address1 })
		case mapping.FieldCity:
			add(f, gCurrent, cmpText, func(l *leadData, _ *contactData) string { return firstAddr(l).City })
		case mapping.FieldState:
			add(f, gCurrent, cmpText, func(l *leadData, _ *contactData) string { return firstAddr(l).State })
		case mapping.FieldZip:
			add(f, gCurrent, cmpText, func(l *leadData, _ *contactData) string { return firstAddr(l).Zipcode })
		case mapping.FieldCountry:
			add(f, gCurrent, cmpFold, func(l *leadData, _ *contactData) string { return firstAddr(l).Country })
		default:
			name, ok := strings.CutPrefix(f, mapping.CustomPrefix)
			if !ok {
				return plan{}, fmt.Errorf("field %q: Close %ss have no such field", f, obj)
			}
			cf, ok := cfs[customKey(name)]
			if !ok {
				return plan{}, fmt.Errorf("custom field %q was not resolved by Prepare", name)
			}
			g := gLead
			held := func(l *leadData, _ *contactData) string { return valueText(heldCustom(lead(l).Custom, cf)) }
			if obj == connector.Contact {
				g = gContact
				held = func(_ *leadData, ct *contactData) string { return valueText(heldCustom(contact(ct).Custom, cf)) }
			}
			add(f, g, cmpCustom, held)
			p.units[len(p.units)-1].cf = cf
		}
	}
	for i, u := range p.units {
		p.bits[u.group] |= bit(i)
	}
	return p, nil
}

// bit is unit i's bit in a mask; units past the 63rd share the last bit.
func bit(i int) uint64 { return 1 << min(i, 63) }

// given is the value the row gives for u ("" when not given).
func (p *plan) given(u unit, rec mapping.Record) string {
	if u.field == mapping.FieldName {
		return contactName(rec)
	}
	return val(rec, u.field)
}

// covers reports whether every field the row gives is one the plan
// decides; a row with others goes the way it would without an index.
func (p *plan) covers(rec mapping.Record) bool {
	for k, v := range rec {
		if !p.known[k] && strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

// state digests, per group, the canonical values value gives for each unit,
// and returns the mask of the units with a value. For a row (row set) the
// last bit, shared by units past the 63rd, is set only when all of them
// have a value; for what Close holds, when any has: so a shared bit can
// only make a row look undecidable, never decided wrongly.
func (p *plan) state(t *connector.KeyTable[heldRec], row bool, value func(u unit) string) (mask uint64, sums [nGroups]uint64) {
	var canon [nGroups][]string
	lacking := false
	for i, u := range p.units {
		raw := value(u)
		present := strings.TrimSpace(raw) != ""
		switch {
		case i < 63 && present, i >= 63 && present && !row:
			mask |= bit(i)
		case i >= 63 && !present:
			lacking = true
		}
		canon[u.group] = append(canon[u.group], p.canonical(u, raw, row))
	}
	if row && len(p.units) > 63 && !lacking {
		mask |= bit(63)
	}
	for g := range nGroups {
		if len(canon[g]) > 0 {
			sums[g] = t.Digest(canon[g]...)
		}
	}
	return mask, sums
}

// canonical is the form of s under u's comparison. A row's phone that has
// no digits to compare never equals anything, as samePhone has it.
func (p *plan) canonical(u unit, s string, row bool) string {
	switch u.kind {
	case cmpFold:
		return connector.Fold(normText(s))
	case cmpURL:
		return strings.TrimRight(strings.ToLower(strings.TrimSpace(s)), "/")
	case cmpEmail:
		return connector.Fold(strings.TrimSpace(s))
	case cmpPhone:
		k := phoneKey(s, p.region)
		if k == "" && row && strings.TrimSpace(s) != "" {
			return "\x01"
		}
		return k
	case cmpCustom:
		return canonCustom(u.cf, s)
	}
	return normText(s)
}

// canonCustom is the form of a custom value under sameCustom: the sorted
// items of a multi-valued field, a number's value, a datetime's instant,
// else the text.
func canonCustom(f customField, s string) string {
	if f.AcceptsMultipleValues {
		var items []string
		for _, it := range strings.Split(s, ",") {
			if it = strings.TrimSpace(it); it != "" {
				items = append(items, it)
			}
		}
		slices.Sort(items)
		return "m" + strings.Join(items, "\x00")
	}
	switch f.Type {
	case "number":
		if x, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil && !math.IsNaN(x) {
			return "n" + strconv.FormatFloat(x, 'g', -1, 64)
		}
	case "datetime":
		if t, ok := parseTime(s); ok {
			return "d" + t.UTC().Format(time.RFC3339Nano)
		}
	}
	return "t" + normText(s)
}

// normText is s as sameText compares it.
func normText(s string) string { return strings.Join(strings.Fields(s), " ") }
