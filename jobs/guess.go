package jobs

import (
	"strings"
	"unicode"

	"github.com/crmload/crmload/mapping"
)

// Guess is a starter mapping guessed from a file's header by GuessMapping.
type Guess struct {
	// Rules map the recognised columns to canonical fields, in header order,
	// at most one rule per field (the first column wins).
	Rules []mapping.Rule
	// Review holds rules for columns that were recognised but whose values
	// most targets reject as exported (country names where ISO codes are
	// wanted): a starter job should offer them commented out.
	Review []mapping.Rule
	// Unmapped lists the columns not recognised, or recognised for a field
	// an earlier column already took, in header order.
	Unmapped []string
}

// Match returns the match key the guess suggests: email when a column maps
// to it, else phone, else nil.
func (g Guess) Match() []string {
	for _, f := range []string{mapping.FieldEmail, mapping.FieldPhone} {
		for _, r := range g.Rules {
			if len(r.Field) == 1 && r.Field[0] == f {
				return []string{f}
			}
		}
	}
	return nil
}

// Keep splits g's rules (and Review rules) into those whose field ok
// accepts, returned in kept with g's Unmapped, and the others.
func (g Guess) Keep(ok func(field string) bool) (kept Guess, dropped []mapping.Rule) {
	kept = Guess{Unmapped: g.Unmapped}
	for _, r := range g.Rules {
		if ok(r.Field[0]) {
			kept.Rules = append(kept.Rules, r)
		} else {
			dropped = append(dropped, r)
		}
	}
	for _, r := range g.Review {
		if ok(r.Field[0]) {
			kept.Review = append(kept.Review, r)
		} else {
			dropped = append(dropped, r)
		}
	}
	return kept, dropped
}

// synonymLists lists, field by field, the normalised column names (see
// normHeader) that stand for it, from the contact exports of HubSpot,
// Salesforce, Pipedrive, Google Contacts ("E-mail 1 - Value") and plain
// English. A function rather than a package variable: no mutable globals.
func synonymLists() map[string][]string {
	return map[string][]string{
		mapping.FieldEmail: {"email", "emailaddress", "mail", "email1", "email1value", "primaryemail",
			"workemail", "businessemail", "personalemail", "contactemail", "emailwork", "emailhome"},
		mapping.FieldPhone: {"phone", "phonenumber", "phoneno", "telephone", "telephonenumber", "tel",
			"mobile", "mobilephone", "mobilephonenumber", "mobilenumber", "cell", "cellphone",
			"workphone", "businessphone", "homephone", "primaryphone", "phone1", "phone1value", "phonework", "phonemobile"},
		mapping.FieldFirstName: {"firstname", "givenname", "forename", "fname", "first"},
		mapping.FieldLastName:  {"lastname", "surname", "familyname", "lname", "last"},
		mapping.FieldName:      {"name", "fullname", "contactname", "displayname", "leadname"},
		mapping.FieldTitle: {"title", "jobtitle", "position", "role", "jobrole", "jobposition",
			"organizationtitle", "organization1title"},
		mapping.FieldCompany: {"company", "companyname", "account", "accountname", "organization",
			"organisation", "organizationname", "organisationname", "organization1name", "org", "employer",
			"business", "businessname"},
		mapping.FieldURL: {"website", "websiteurl", "url", "web", "webaddress", "homepage", "site",
			"website1value", "companywebsite"},
		mapping.FieldAddress: {"address", "streetaddress", "street", "address1", "addressline1",
			"address1street", "mailingstreet", "billingstreet", "mailingaddress"},
		mapping.FieldCity: {"city", "town", "address1city", "mailingcity", "billingcity"},
		mapping.FieldState: {"state", "stateregion", "region", "province", "stateprovince", "county",
			"address1region", "mailingstate", "billingstate", "mailingstateprovince", "billingstateprovince"},
		mapping.FieldZip: {"zip", "zipcode", "postalcode", "postcode", "zippostalcode", "postal",
			"address1postalcode", "mailingzip", "mailingpostalcode", "billingpostalcode", "mailingzippostalcode"},
		mapping.FieldCountry: {"country", "countryregion", "countrycode", "address1country",
			"mailingcountry", "billingcountry"},
		mapping.FieldNotes:       {"notes", "note", "comments", "comment"},
		mapping.FieldDescription: {"description", "about", "bio"},
		mapping.FieldBirthDate:   {"birthday", "birthdate", "dateofbirth", "dob"},
		mapping.FieldTags:        {"tags", "tag", "labels", "label"},
	}
}

// entityPrefixes are what some exports put before a field name ("Person -
// Email" in Pipedrive, "Contact Email"); they are tried off when the whole
// name is not recognised.
func entityPrefixes() []string { return []string{"person", "contact", "lead", "primary"} }

// GuessMapping guesses a starter mapping from a file's header, recognising
// common column names case- and punctuation-insensitively ("E-mail
// Address", "State/Region", "Person - Phone"). Each rule carries the
// transforms that suit its field: email is trimmed, lowered, checked and
// required; phone goes to E.164; names are title-cased; url and date are
// checked. It does no I/O.
func GuessMapping(header []string) Guess {
	lookup := map[string]string{}
	for field, names := range synonymLists() {
		for _, n := range names {
			lookup[n] = field
		}
	}
	var g Guess
	taken := map[string]bool{}
	for _, col := range header {
		field := guessField(lookup, col)
		if field == "" || taken[field] {
			g.Unmapped = append(g.Unmapped, col)
			continue
		}
		taken[field] = true
		r := ruleFor(field, col)
		if field == mapping.FieldCountry {
			g.Review = append(g.Review, r)
			continue
		}
		g.Rules = append(g.Rules, r)
	}
	return g
}

// guessField returns the canonical field a column name stands for, or "".
func guessField(lookup map[string]string, col string) string {
	n := normHeader(col)
	if f, ok := lookup[n]; ok {
		return f
	}
	for _, p := range entityPrefixes() {
		if rest, ok := strings.CutPrefix(n, p); ok && rest != "" {
			if f, ok := lookup[rest]; ok {
				return f
			}
		}
	}
	return ""
}

// normHeader lowers a column name and drops everything but letters and
// digits, so "E-mail Address", "email_address" and "EmailAddress" meet.
func normHeader(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// ruleFor builds the rule mapping col to field with the field's usual
// transforms.
func ruleFor(field, col string) mapping.Rule {
	r := mapping.Rule{Field: mapping.StringList{field}, From: mapping.StringList{col}}
	switch field {
	case mapping.FieldEmail:
		r.Transform = mapping.StringList{"trim", "lower", "email"}
		r.Required = true
	case mapping.FieldPhone:
		r.Transform = mapping.StringList{"phone_e164"}
	case mapping.FieldName, mapping.FieldFirstName, mapping.FieldLastName:
		r.Transform = mapping.StringList{"trim", "title"}
	case mapping.FieldURL:
		r.Transform = mapping.StringList{"url"}
	case mapping.FieldBirthDate:
		r.Transform = mapping.StringList{"date"}
	case mapping.FieldCountry:
		r.Transform = mapping.StringList{"trim", "upper"}
	case mapping.FieldNotes, mapping.FieldDescription:
		// Free text keeps its line breaks, which trim would collapse.
	default:
		r.Transform = mapping.StringList{"trim"}
	}
	return r
}
