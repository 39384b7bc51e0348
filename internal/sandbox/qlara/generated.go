package qlara

import (
	"fmt"
	"net/http"
	"time"
)

// The generated mode serves a large contact list without storing it:
// contact i (ID firstContactID+i) is computed from i on every request, so a
// test can list a million contacts through the real HTTP paths while the
// sandbox's memory stays flat. Every sort the listing accepts without a
// filter (id, fullName, createdAt, updatedAt; ties by ID) is then the index
// order, so a page is a range of indexes.

// genPerDay is how many generated contacts share one createdAt day.
const genPerDay = 1000

// SetGenerated switches the unfiltered contact listing (GET /contacts) and
// the contact export of the whole account (POST /exports/contacts without
// listIds or contactIds) to n generated contacts instead of the stored ones;
// 0 switches back. Filters and other sorts are then a 400; other endpoints
// keep serving the stored records.
func (f *Fake) SetGenerated(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.generated = max(n, 0)
}

// genContact computes generated contact i.
func genContact(i int) Contact {
	s := func(format string) *string {
		v := fmt.Sprintf(format, i)
		return &v
	}
	phone := fmt.Sprintf("+39333%07d", i)
	email := fmt.Sprintf("contact%07d@gen.example", i)
	d := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i/genPerDay).Format(time.DateOnly)
	city := "Milano"
	return Contact{
		ID: firstContactID + int64(i),
		ContactFields: ContactFields{
			FullName: s("Contact %07d"), FirstName: s("Contact"), LastName: s("%07d"),
			PhoneNumbers: []string{phone}, EmailAddresses: []string{email}, MainEmail: &email,
			City: &city, Tags: []string{"generated"}, CustomField1: s("value %d"),
		},
		FkIDCompany: companyID, IsValid: true, MobilePhoneNumber: &phone,
		CommunicationSupported: []string{"SMS"}, CreatedAt: d, UpdatedAt: d, ListIDs: []int64{},
	}
}

// genPage answers a GET /contacts page from the generated contacts.
func (f *Fake) genPage(w http.ResponseWriter, r *http.Request, q contactQuery, n int) {
	for _, p := range []string{"id", "email", "phoneNumber", "listIds", "notListIds", "search", "gender",
		"communicationSupported", "lastContactType", "lastCampaignType", "isValid", "isTest", "sortPriorityListId"} {
		if r.URL.Query().Has(p) {
			writeError(w, r, badRequest("%s: the generated contacts cannot be filtered", p))
			return
		}
	}
	switch q.sortBy {
	case "id", "fullName", "createdAt", "updatedAt":
	default:
		writeError(w, r, badRequest("sortBy: the generated contacts sort by id, fullName, createdAt or updatedAt only"))
		return
	}
	out := []Contact{}
	for k := q.page * q.limit; k < min((q.page+1)*q.limit, n); k++ {
		i := k
		if q.desc {
			i = n - 1 - k
		}
		out = append(out, genContact(i))
	}
	writeJSON(w, http.StatusOK, out)
}
