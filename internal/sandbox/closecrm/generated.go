package closecrm

import (
	"fmt"
	"sort"
	"time"
)

// The generated mode serves a large lead list without storing it: lead i
// is computed from i on every request, so a test can list a million leads
// through the real HTTP paths while the sandbox's memory stays flat.
//
// Lead i is created (and last updated) at genEpoch + i×genStep, so the
// creation order is the index order, ten leads share each second (date
// windows meet ties), and a created/updated comparison selects a range of
// indexes found by binary search.

// genEpochUnix is the creation time of generated lead 0 (2024-01-01 UTC).
const genEpochUnix = 1704067200

// genStep is the time between two generated leads.
const genStep = 100 * time.Millisecond

// SetGenerated switches the lead list (GET /lead/) and the lead export
// (POST /export/lead/) to n generated leads, each with one contact, instead
// of the stored ones; 0 switches back. Other endpoints keep serving the
// stored records. Generated lists accept only created/updated comparisons
// and sort:created (or sort:updated) in their query; the _skip cap applies.
func (f *Fake) SetGenerated(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.generated = max(n, 0)
}

// genTime is when generated lead i was created and updated.
func genTime(i int) time.Time {
	return time.Unix(genEpochUnix, 0).UTC().Add(time.Duration(i) * genStep)
}

// genLead renders generated lead i as the API serves it.
func (s *store) genLead(i int) Lead {
	at := Time{genTime(i)}
	leadID := fmt.Sprintf("lead_%043d", i)
	c := Contact{
		ID: fmt.Sprintf("cont_%043d", i), LeadID: leadID, OrganizationID: orgID,
		Name: fmt.Sprintf("Person %07d", i), Title: "Buyer",
		Emails: []Email{{Email: fmt.Sprintf("person%07d@gen.example", i), Type: "office"}},
		Phones: []Phone{{Phone: fmt.Sprintf("+1650555%04d", i%10000),
			PhoneFormatted: fmt.Sprintf("+1 650-555-%04d", i%10000), Country: "US", Type: "office"}},
		URLs: []URL{}, CreatedBy: userID, UpdatedBy: userID, DateCreated: at, DateUpdated: at,
	}
	l := Lead{
		ID: leadID, OrganizationID: orgID, Name: fmt.Sprintf("Generated Lead %07d", i),
		StatusID:  s.statuses[i%len(s.statuses)].ID,
		Addresses: []Address{{Label: "business", Address1: fmt.Sprintf("%d Main St", i%1000+1), City: "Springfield", Country: "US"}},
		Contacts:  []Contact{c}, CreatedBy: userID, UpdatedBy: userID, DateCreated: at, DateUpdated: at,
	}
	// Values for the seeded custom fields, while they exist.
	for _, cf := range s.fields[objLead] {
		switch {
		case cf.Type == "text":
			l.Custom = setCustom(l.Custom, cf.ID, fmt.Sprintf("Source %d", i%7))
		case cf.Type == "choices" && len(cf.Choices) > 0 && cf.AcceptsMultipleValues:
			l.Custom = setCustom(l.Custom, cf.ID, []any{cf.Choices[i%len(cf.Choices)]})
		}
	}
	for _, cf := range s.fields[objContact] {
		if cf.Type == "choices" && len(cf.Choices) > 0 && !cf.AcceptsMultipleValues {
			l.Contacts[0].Custom = setCustom(l.Contacts[0].Custom, cf.ID, cf.Choices[i%len(cf.Choices)])
		}
	}
	if st, ok := s.statusByID(l.StatusID); ok {
		l.StatusLabel = st.Label
	}
	l.DisplayName = l.Name
	l.HTMLURL = "https://app.close.com/lead/" + l.ID + "/"
	return l
}

func setCustom(m map[string]any, id string, v any) map[string]any {
	if m == nil {
		m = map[string]any{}
	}
	m[id] = v
	return m
}

// genRange returns the indexes [lo, hi) of the n generated leads matching
// q. Only conjunctions of created/updated comparisons and an ascending
// created or updated sort can be answered without storing the leads; any
// other query is refused.
func genRange(q query, n int) (lo, hi int, err error) {
	if q.sort != nil && (q.sort.desc || q.sort.field == "name") {
		return 0, 0, errBadRequest("The generated leads can only be sorted by created or updated, ascending.")
	}
	var terms []dateExpr
	switch r := q.root.(type) {
	case allExpr:
	case dateExpr:
		terms = []dateExpr{r}
	case andExpr:
		for _, e := range r {
			d, ok := e.(dateExpr)
			if !ok {
				return 0, 0, errBadRequest("The generated leads answer only created/updated comparisons.")
			}
			terms = append(terms, d)
		}
	default:
		return 0, 0, errBadRequest("The generated leads answer only created/updated comparisons.")
	}
	// Every generated lead was updated when created, and both grow with i:
	// each term holds from some index on (rising) and up to some index
	// (falling), so the matches form one range.
	at := genTime
	lo = sort.Search(n, func(i int) bool {
		for _, d := range terms {
			if r, _ := d.parts(at(i)); !r {
				return false
			}
		}
		return true
	})
	hi = sort.Search(n, func(i int) bool {
		for _, d := range terms {
			if _, f := d.parts(at(i)); !f {
				return true
			}
		}
		return false
	})
	return lo, max(lo, hi), nil
}
