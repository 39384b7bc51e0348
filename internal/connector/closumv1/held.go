package closumv1

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/mapping"
)

// What the key index keeps of a record, and the comparison an upsert makes
// against it. Each field is kept as a digest of its canonical form under
// the comparison that applies to it, so that comparing digests decides
// exactly as comparing the values did (see differences).

// heldRec is one record in the key index.
type heldRec struct {
	name, city, ctype uint64           // digests of the name (as sameText compares), city_id and contact_type_id
	email, phone      connector.KeySum // its email and phone keys (zero when it has none): also what they compare by
	ids               connector.TextRef
	custom            uint32 // where its custom_data digests are in keyIndex.custom (their count first)
	optIn             uint8  // optIn* bits
	customKind        uint8
}

// The bits of heldRec.optIn: whether the record shows an opt-in block, and
// which of its flags it shows with which value.
const (
	optInShown uint8 = 1 << iota
	optInEmailSet
	optInEmail
	optInSMSSet
	optInSMS
)

// The kinds of custom_data a record holds.
const (
	customNone   uint8 = iota // none (""): no digests
	customObject              // a JSON object (or null): its compact digest, then key and value digests
	customOther               // any other text: its compact digest only
)

// held is a record as the index keeps it, with its id, its number in the
// index (noRec when it is not in it) and its custom_data digests.
type held struct {
	n      uint32
	rec    heldRec
	id     string
	custom []uint64
}

// compact is what x keeps of e.
func (c *Client) compact(x *keyIndex, e entry) held {
	h := held{n: noRec, id: e.id, rec: heldRec{
		name:  x.t.Digest(connector.Fold(normText(e.name))),
		city:  x.t.Digest(e.cityID),
		ctype: x.t.Digest(e.contactType),
	}}
	if k := emailKey(e.email); k != "" {
		h.rec.email = x.t.Sum("email:" + k)
	}
	if k := c.phoneKey(e.phone, e.phoneExt); k != "" {
		h.rec.phone = x.t.Sum("phone:" + k)
	}
	if o := e.optIn; o != nil {
		h.rec.optIn = optInShown
		for _, f := range []struct {
			flag     flexBool
			set, val uint8
		}{{o.Email, optInEmailSet, optInEmail}, {o.SMS, optInSMSSet, optInSMS}} {
			if f.flag.Set {
				h.rec.optIn |= f.set
			}
			if f.flag.Value {
				h.rec.optIn |= f.val
			}
		}
	}
	if e.customData != "" {
		h.rec.customKind = customOther
		h.custom = []uint64{x.t.Digest(compactJSON(e.customData))}
		var m map[string]any
		if json.Unmarshal([]byte(e.customData), &m) == nil {
			h.rec.customKind = customObject
			for k, v := range m {
				h.custom = append(h.custom, x.t.Digest(k), x.t.Digest(valueText(v)))
			}
		}
	}
	return h
}

// differences lists the fields the record gives whose values differ from
// what Closum holds. Opt-in flags are compared only when Closum shows them.
func (c *Client) differences(x *keyIndex, h held, in input) []string {
	var d []string
	if in.name != "" && h.rec.name != x.t.Digest(connector.Fold(normText(in.name))) {
		d = append(d, mapping.FieldName)
	}
	if in.email != "" && (h.rec.email == connector.KeySum{} || h.rec.email != x.t.Sum("email:"+emailKey(in.email))) {
		d = append(d, mapping.FieldEmail)
	}
	if in.phone != "" && !c.holdsPhone(x, h, in) {
		d = append(d, mapping.FieldPhone)
	}
	if in.cityID != 0 && h.rec.city != x.t.Digest(strconv.Itoa(in.cityID)) {
		d = append(d, in.cityField)
	}
	if in.contactType != 0 && h.rec.ctype != x.t.Digest(strconv.Itoa(in.contactType)) {
		d = append(d, fieldContactType)
	}
	if want, _ := in.customJSON(); want != "" && !customHolds(x, h, want) {
		d = append(d, fieldCustomData)
	}
	if o := h.rec.optIn; o&optInShown != 0 {
		if in.consentEmail != nil && o&optInEmailSet != 0 && (o&optInEmail != 0) != *in.consentEmail {
			d = append(d, fieldConsentEmail)
		}
		if in.consentSMS != nil && o&optInSMSSet != 0 && (o&optInSMS != 0) != *in.consentSMS {
			d = append(d, fieldConsentSMS)
		}
	}
	return d
}

// holdsPhone reports whether the record's phone is the row's, as samePhone
// compares them: by E.164 form, or the national digits of an international
// number against a stored phone without a country.
func (c *Client) holdsPhone(x *keyIndex, h held, in input) bool {
	if h.rec.phone == (connector.KeySum{}) {
		return false
	}
	for _, k := range []string{c.phoneKey(in.phone, in.phoneExt), c.phoneAltKey(in.phone, in.phoneExt)} {
		if k != "" && x.t.Sum("phone:"+k) == h.rec.phone {
			return true
		}
	}
	return false
}

// customHolds reports whether the custom_data Closum holds already has
// want: every key of a wanted object with the same value, or the same JSON.
func customHolds(x *keyIndex, h held, want string) bool {
	var w map[string]any
	if json.Unmarshal([]byte(want), &w) != nil || w == nil {
		compact := x.t.Digest("")
		if len(h.custom) > 0 {
			compact = h.custom[0]
		}
		return compact == x.t.Digest(compactJSON(want))
	}
	if h.rec.customKind != customObject {
		return false
	}
	pairs := h.custom[1:] // key, value, key, value…
	for k, v := range w {
		kd, held := x.t.Digest(k), false
		for i := 0; i+1 < len(pairs); i += 2 {
			if pairs[i] == kd {
				held = pairs[i+1] == x.t.Digest(valueText(v))
				break
			}
		}
		if !held {
			return false
		}
	}
	return true
}

// normText is s with runs of spaces made one, as sameText compares.
func normText(s string) string { return strings.Join(strings.Fields(s), " ") }
