package closumv1

import "time"

// Wire types: the JSON the doc's examples show, field for field and in the
// same order. Where two examples of one object differ (the lead list item
// and the lead view), each keeps its own shape.

// okEnvelope is every success body: {"success": true, "data": …}, plus
// "pagination" on lists.
type okEnvelope struct {
	Success    bool        `json:"success"`
	Data       any         `json:"data"`
	Pagination *pagination `json:"pagination,omitempty"`
}

// errEnvelope is every error body. The doc shows none; this is what the
// stack its examples come from (CakePHP 3 with the Crud plugin's API
// listener) writes: {"success": false, "data": {message, url, code}}, with
// errorCount and errors added for validation failures.
type errEnvelope struct {
	Success bool    `json:"success"`
	Data    errData `json:"data"`
}

type errData struct {
	Message    string         `json:"message"`
	URL        string         `json:"url"`
	Code       int            `json:"code"`
	ErrorCount int            `json:"errorCount,omitempty"`
	Errors     map[string]any `json:"errors,omitempty"`
}

// pagination is the block every list example ends with. limit is null
// unless the request asked for a limit other than the default.
type pagination struct {
	PageCount   int  `json:"page_count"`
	CurrentPage int  `json:"current_page"`
	HasNextPage bool `json:"has_next_page"`
	HasPrevPage bool `json:"has_prev_page"`
	Count       int  `json:"count"`
	Limit       *int `json:"limit"`
}

type tokenData struct {
	Token          string `json:"token"`
	ExpiresIn      int    `json:"expires_in"`
	ExpirationDate string `json:"expiration_date"`
}

type idRef struct {
	ID int `json:"id"`
}

// Nested objects, as the lead examples show them: lists carry no ids, the
// lead view does; unqualified leads show the phone number alone.
type emailRef struct {
	Email string `json:"email"`
}

type emailIDRef struct {
	ID    int    `json:"id"`
	Email string `json:"email"`
}

type phoneRef struct {
	Extension *string `json:"extension"`
	Number    string  `json:"number"`
}

type phoneIDRef struct {
	ID        int     `json:"id"`
	Extension *string `json:"extension"`
	Number    string  `json:"number"`
}

type phoneNumberRef struct {
	Number string `json:"number"`
}

// leadOptInView and unqualifiedOptInView follow the Lead Opt In and
// Unqualified Lead Opt In property tables; enviroment (sic) is "a JSON
// enviroment object" typed string, so it is written as JSON text.
type leadOptInView struct {
	ID           int     `json:"id"`
	LeadID       int     `json:"lead_id"`
	SMS          bool    `json:"sms"`
	Email        bool    `json:"email"`
	Enviroment   *string `json:"enviroment"`
	CreationDate string  `json:"creation_date"`
}

type unqualifiedOptInView struct {
	ID                int     `json:"id"`
	UnqualifiedLeadID int     `json:"unqualified_lead_id"`
	SMS               bool    `json:"sms"`
	Email             bool    `json:"email"`
	Enviroment        *string `json:"enviroment"`
	CreationDate      string  `json:"creation_date"`
}

// leadItem is one lead of the List All Leads example.
type leadItem struct {
	ID           int       `json:"id"`
	Name         *string   `json:"name"`
	CityID       *int      `json:"city_id"`
	CustomData   *string   `json:"custom_data"`
	CreationDate string    `json:"creation_date"`
	Phone        *phoneRef `json:"phone"`
	Email        *emailRef `json:"email"`
}

// leadView is the Retrieve a Lead example, plus lead_opt_in (a documented
// property) when the lead was created with one.
type leadView struct {
	ID           int            `json:"id"`
	Name         *string        `json:"name"`
	CreationDate string         `json:"creation_date"`
	CityID       *int           `json:"city_id"`
	CustomData   *string        `json:"custom_data"`
	Email        *emailIDRef    `json:"email"`
	Phone        *phoneIDRef    `json:"phone"`
	LeadOptIn    *leadOptInView `json:"lead_opt_in,omitempty"`
}

// unqualifiedItem is one unqualified lead of the list example (and of the
// retrieve example, which has the same fields).
type unqualifiedItem struct {
	ID            int             `json:"id"`
	Name          *string         `json:"name"`
	ContactTypeID int             `json:"contact_type_id"`
	CityID        *int            `json:"city_id"`
	CreationDate  string          `json:"creation_date"`
	Phone         *phoneNumberRef `json:"phone"`
	Email         *emailRef       `json:"email"`
}

type unqualifiedView struct {
	unqualifiedItem
	OptIn *unqualifiedOptInView `json:"unqualified_lead_opt_in,omitempty"`
}

type emailItem struct {
	ID           int    `json:"id"`
	Email        string `json:"email"`
	Status       int    `json:"status"`
	RegisterDate string `json:"register_date"`
}

// phoneItem: is_valid is typed boolean but the examples show 1.
type phoneItem struct {
	ID        int     `json:"id"`
	Extension *string `json:"extension"`
	Number    string  `json:"number"`
	IsValid   int     `json:"is_valid"`
	DateAdd   string  `json:"date_add"`
}

// contactTypeItem is the list example; contactTypeView the retrieve
// example, which calls the same date date_add.
type contactTypeItem struct {
	ID           int    `json:"id"`
	Label        string `json:"label"`
	CreationDate string `json:"creation_date"`
}

type contactTypeView struct {
	ID      int    `json:"id"`
	Label   string `json:"label"`
	DateAdd string `json:"date_add"`
}

type cityItem struct {
	ID       int    `json:"id"`
	CityName string `json:"city_name"`
}

// Stored records: the state file's shape, not part of the API.

type optInRec struct {
	ID          int               `json:"id"`
	SMS         bool              `json:"sms"`
	Email       bool              `json:"email"`
	Environment map[string]string `json:"environment,omitempty"`
	Created     time.Time         `json:"created"`
}

// leadRec stores a lead or an unqualified lead (ContactTypeID is set only
// for the latter). EmailID and PhoneID point at email and phone records;
// 0 means none.
type leadRec struct {
	ID            int       `json:"id"`
	Name          *string   `json:"name,omitempty"`
	CityID        *int      `json:"city_id,omitempty"`
	CustomData    *string   `json:"custom_data,omitempty"`
	ContactTypeID int       `json:"contact_type_id,omitempty"`
	EmailID       int       `json:"email_id,omitempty"`
	PhoneID       int       `json:"phone_id,omitempty"`
	OptIn         *optInRec `json:"opt_in,omitempty"`
	Created       time.Time `json:"created"`
}

type emailRec struct {
	ID         int       `json:"id"`
	Email      string    `json:"email"`
	Status     int       `json:"status"`
	Registered time.Time `json:"registered"`
}

type phoneRec struct {
	ID        int       `json:"id"`
	Extension *string   `json:"extension,omitempty"`
	Number    string    `json:"number"`
	IsValid   int       `json:"is_valid"`
	Added     time.Time `json:"added"`
}

type contactTypeRec struct {
	ID      int       `json:"id"`
	Label   string    `json:"label"`
	Created time.Time `json:"created"`
}

// state is the state file. Its lists hold pointers, so that a save
// writes the stored records without copying them.
type state struct {
	NextLead        int               `json:"next_lead"`
	NextUnqualified int               `json:"next_unqualified"`
	NextEmail       int               `json:"next_email"`
	NextPhone       int               `json:"next_phone"`
	NextLeadOptIn   int               `json:"next_lead_opt_in"`
	NextUnqOptIn    int               `json:"next_unqualified_opt_in"`
	NextContactType int               `json:"next_contact_type"`
	Leads           []*leadRec        `json:"leads"`
	Unqualified     []*leadRec        `json:"unqualified_leads"`
	Emails          []*emailRec       `json:"emails"`
	Phones          []*phoneRec       `json:"phones"`
	ContactTypes    []*contactTypeRec `json:"contact_types"`
}
