package qlara

import (
	"encoding/json"
	"time"
)

// ContactFields are the writable fields of a contact: exactly the keys of the
// request body of POST /contacts and PUT /contacts/{id} in the collection.
// A nil field means "not given": PUT leaves it unchanged and responses show it
// as JSON null (the API looks like a Java service, which includes nulls).
// An empty array (`[]`) is given and clears a list field.
type ContactFields struct {
	FullName               *string  `json:"fullName"`
	FirstName              *string  `json:"firstName"`
	LastName               *string  `json:"lastName"`
	MiddleName             *string  `json:"middleName"`
	Prefix                 *string  `json:"prefix"`
	Suffix                 *string  `json:"suffix"`
	Gender                 *string  `json:"gender"`
	Nickname               *string  `json:"nickname"`
	PhoneNumbers           []string `json:"phoneNumbers"`
	EmailAddresses         []string `json:"emailAddresses"`
	MainEmail              *string  `json:"mainEmail"`
	Addresses              []string `json:"addresses"`
	Country                *string  `json:"country"`
	JobTitle               *string  `json:"jobTitle"`
	Organization           *string  `json:"organization"`
	Website                *string  `json:"website"`
	Birthday               *string  `json:"birthday"`
	Notes                  *string  `json:"notes"`
	CompanyName            *string  `json:"companyName"`
	CompanyMail            *string  `json:"companyMail"`
	CompanyPhone           *string  `json:"companyPhone"`
	CompanyFax             *string  `json:"companyFax"`
	City                   *string  `json:"city"`
	CompleteCompanyAddress *string  `json:"completeCompanyAddress"`
	FiscalCode             *string  `json:"fiscalCode"`
	Sector                 *string  `json:"sector"`
	ReferenceContact       *string  `json:"referenceContact"`
	Source                 *string  `json:"source"`
	LeadType               *string  `json:"leadType"`
	Stage                  *string  `json:"stage"`
	Channel                *string  `json:"channel"`
	Owner                  *string  `json:"owner"`
	Tags                   []string `json:"tags"`
	CustomField1           *string  `json:"customField1"`
	CustomField2           *string  `json:"customField2"`
	CustomField3           *string  `json:"customField3"`
}

// Contact is a stored contact as the API returns it (GET /contacts/{id}, the
// items of GET /contacts): the writable fields plus those the server keeps.
type Contact struct {
	ID int64 `json:"id"`
	ContactFields

	FkIDCompany             int64    `json:"fkIdCompany"`
	IsValid                 bool     `json:"isValid"`
	MobilePhoneNumber       *string  `json:"mobilePhoneNumber"`
	MobilePhoneNumberMccmnc *int     `json:"mobilePhoneNumberMccmnc"`
	NumCampaignSent         int      `json:"numCampaignSent"`
	LastContactDate         *string  `json:"lastContactDate"`
	LastContactType         *string  `json:"lastContactType"`
	LastCampaignDate        *string  `json:"lastCampaignDate"`
	LastCampaignType        *string  `json:"lastCampaignType"`
	CommunicationSupported  []string `json:"communicationSupported"`
	IsTest                  bool     `json:"isTest"`
	CreatedAt               string   `json:"createdAt"` // yyyy-MM-dd, as the examples show
	UpdatedAt               string   `json:"updatedAt"` // yyyy-MM-dd
	ListIDs                 []int64  `json:"listIds"`   // derived from the list associations
}

// ContactWriteResponse is the body of POST /contacts (201) and
// PUT /contacts/{id} (200): the written contact wrapped in a one-item array.
type ContactWriteResponse struct {
	Contacts []Contact `json:"contacts"`
	Errors   []string  `json:"errors"`
}

// ContactListInput is the body of POST /contacts/list and PUT /contacts/list/{id}.
// Filters are kept as given: the request example shows objects while the
// response example shows strings, so the fake echoes what it received.
type ContactListInput struct {
	Name        *string           `json:"name"`
	Description *string           `json:"description"`
	Filters     []json.RawMessage `json:"filters"`
	IsTest      *bool             `json:"isTest"`
}

// ContactList is a contact list as the API returns it.
type ContactList struct {
	ID          int64             `json:"id"`
	Name        string            `json:"name"`
	Description *string           `json:"description"`
	Filters     []json.RawMessage `json:"filters"`
	FkIDCompany int64             `json:"fkIdCompany"`
	NumContact  int               `json:"numContact"`
	IsTest      bool              `json:"isTest"`
	IsDeleted   bool              `json:"isDeleted"`
	CreatedAt   string            `json:"createdAt"`
	UpdatedAt   string            `json:"updatedAt"`
}

// AssociationRequest is the body of POST and DELETE /contacts/list/contacts.
type AssociationRequest struct {
	ListIDs               []int64 `json:"listIds"`
	ContactIDs            []int64 `json:"contactIds"`
	AllContacts           bool    `json:"allContacts"`
	ExcludeIDsAllContacts []int64 `json:"excludeIdsAllContacts"`
}

// Association links one contact to one list; POST /contacts/list/contacts
// answers with the IDs of the associations it created.
type Association struct {
	ID        int64 `json:"id"`
	ListID    int64 `json:"listId"`
	ContactID int64 `json:"contactId"`
}

// ExportContactsRequest is the body of POST /exports/contacts.
type ExportContactsRequest struct {
	ListIDs           []int64 `json:"listIds"`
	ContactIDs        []int64 `json:"contactIds"`
	ExcludeContactIDs []int64 `json:"excludeContactIds"`
	ExportFormat      string  `json:"exportFormat"`
}

// Export is one export job in GET /exports. The collection names only status
// and isAvailableForDownload; the other fields are the fake's choice.
type Export struct {
	ID                     int64      `json:"id"`
	Type                   string     `json:"type"`   // CONTACTS
	Status                 string     `json:"status"` // PENDING, IN_PROGRESS, COMPLETED, EXPIRED
	ExportFormat           string     `json:"exportFormat"`
	FileName               string     `json:"fileName"`
	IsAvailableForDownload bool       `json:"isAvailableForDownload"`
	CreatedAt              time.Time  `json:"createdAt"`
	CompletedAt            *time.Time `json:"completedAt"`
	ExpiresAt              *time.Time `json:"expiresAt"`
}

// ExportPage is the body of GET /exports. The example shows only page, limit,
// totalCount and totalPages; the key holding the entries is not documented
// and the fake calls it "items".
type ExportPage struct {
	Page       int      `json:"page"`
	Limit      int      `json:"limit"`
	TotalCount int      `json:"totalCount"`
	TotalPages int      `json:"totalPages"`
	Items      []Export `json:"items"`
}

// DownloadURL is the body of GET /exports/{exportId}.
type DownloadURL struct {
	URL string `json:"url"`
}

// ErrorBody is the fake's error answer. Every error example in the
// collection has an empty body, so it uses the shape of a Spring Boot error
// (the API's DTOs look like a Java service's); clients should rely on the
// status code only.
type ErrorBody struct {
	Timestamp time.Time `json:"timestamp"`
	Status    int       `json:"status"`
	Error     string    `json:"error"`
	Message   string    `json:"message"`
	Path      string    `json:"path"`
}

// RateLimitedBody is the body of a 429, as bucket4j-spring-boot-starter sends
// it by default (the collection does not document rate limiting).
type RateLimitedBody struct {
	Message string `json:"message"`
}
