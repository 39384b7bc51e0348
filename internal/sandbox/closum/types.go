package closum

import (
	"encoding/json"
	"maps"
	"slices"
	"time"
)

// Wire types: the JSON the collection's saved responses show, field for
// field and in the same order.

// envelope is every response body. Success: status true, message
// ["success"], errors []. Failure (the "Invalid API Key" example): status
// false, responseData [], message [], errors [...].
type envelope struct {
	Status       bool     `json:"status"`
	Code         int      `json:"code"`
	ResponseData any      `json:"responseData"`
	Message      []string `json:"message"`
	Errors       []string `json:"errors"`
	Timestamp    string   `json:"timestamp"`
}

// paginator is CakePHP 3's paging block as the Lead List and Contact List
// examples show it.
type paginator struct {
	Finder           string  `json:"finder"`
	Page             int     `json:"page"`
	Current          int     `json:"current"`
	Count            int     `json:"count"`
	PerPage          int     `json:"perPage"`
	PrevPage         bool    `json:"prevPage"`
	NextPage         bool    `json:"nextPage"`
	PageCount        int     `json:"pageCount"`
	Sort             string  `json:"sort"`
	Direction        string  `json:"direction"`
	Limit            *int    `json:"limit"` // null when the default limit applied
	SortDefault      string  `json:"sortDefault"`
	DirectionDefault string  `json:"directionDefault"`
	Scope            *string `json:"scope"`
}

type emailRef struct {
	Email string `json:"email"`
}

type phoneRef struct {
	Number string `json:"number"`
}

type optIn struct {
	SMS   bool `json:"sms"`
	Email bool `json:"email"`
}

type tagRef struct {
	ID  int    `json:"id"`
	Tag string `json:"tag"`
}

// contactTag is one element of "contact_tag" (Contact View example).
type contactTag struct {
	ContactID string `json:"contact_id"`
	Tag       tagRef `json:"tag"`
}

// salesSequenceRef renders lead_sales_sequence; the examples only show null.
type salesSequenceRef struct {
	ID int `json:"id"`
}

type customFieldValue struct {
	FieldID string `json:"field_id"`
	Var     string `json:"var"`
	Value   string `json:"value"`
}

// leadItem is one lead of the Lead List example.
type leadItem struct {
	ID                      int               `json:"id"`
	Name                    *string           `json:"name"`
	ContactLifecycleStageID int               `json:"contact_lifecycle_stage_id"`
	SourceID                int               `json:"source_id"`
	CustomData              string            `json:"custom_data"`
	UserID                  int               `json:"user_id"`
	CreationDate            string            `json:"creation_date"`
	ContactTag              []contactTag      `json:"contact_tag"`
	LeadSalesSequence       *salesSequenceRef `json:"lead_sales_sequence"`
	Phone                   *phoneRef         `json:"phone"`
	Email                   *emailRef         `json:"email"`
}

type leadList struct {
	Leads     []leadItem `json:"leads"`
	Paginator paginator  `json:"paginator"`
}

// leadView is "lead_data" of the Lead View example.
type leadView struct {
	ID                      int                `json:"id"`
	Name                    *string            `json:"name"`
	ContactLifecycleStageID int                `json:"contact_lifecycle_stage_id"`
	CustomData              string             `json:"custom_data"`
	UserID                  int                `json:"user_id"`
	CreationDate            string             `json:"creation_date"`
	LeadOptIn               optIn              `json:"lead_opt_in"`
	Phone                   *phoneRef          `json:"phone"`
	Email                   *emailRef          `json:"email"`
	ContactTag              []contactTag       `json:"contact_tag"`
	CustomFields            []customFieldValue `json:"custom_fields"`
}

type leadViewData struct {
	LeadData leadView `json:"lead_data"`
}

// contactItem is one contact of the Contact List example; contactView adds
// contact_tag as the Contact View example does.
type contactItem struct {
	ID            string  `json:"id"`
	Name          *string `json:"name"`
	Email         *string `json:"email"`
	MobileNumber  *string `json:"mobile_number"`
	BirthDate     *string `json:"birth_date"`
	ConsentEmail  bool    `json:"consent_email"`
	ConsentSMS    bool    `json:"consent_sms"`
	EmailStatusID int     `json:"email_status_id"`
	CreationDate  string  `json:"creation_date"`
}

type contactView struct {
	contactItem
	ContactTag []contactTag `json:"contact_tag"`
}

type contactList struct {
	Contacts  []contactItem `json:"contacts"`
	Paginator paginator     `json:"paginator"`
}

type contactViewData struct {
	ContactData contactView `json:"contact_data"`
}

// fieldItem is one field of the Contact Fields List example.
type fieldItem struct {
	ID           string `json:"id"`
	Label        string `json:"label"`
	Var          string `json:"var"`
	Attributes   string `json:"attributes,omitempty"`
	CreationDate string `json:"creation_date"`
}

type fieldList struct {
	Fields []fieldItem `json:"fields"`
}

type tagList struct {
	Tags      []tagRef  `json:"tags"`
	Paginator paginator `json:"paginator"`
}

type contactTagList struct {
	ContactTags []contactTag `json:"contact_tags"`
	Paginator   paginator    `json:"paginator"`
}

// Write results: a one-element array, as Contact Add and Topic Add show.
type leadIDRef struct {
	LeadID int `json:"lead_id"`
}

type contactIDRef struct {
	ContactID string `json:"contact_id"`
}

type tagIDRef struct {
	TagID int `json:"tag_id"`
}

// Stored records: the state file's shape, not part of the API.

type contactRec struct {
	ID           string       `json:"id"`
	Seq          int          `json:"seq"` // creation order, for sorting
	Name         string       `json:"name,omitempty"`
	Email        string       `json:"email,omitempty"`
	Mobile       string       `json:"mobile,omitempty"`
	BirthDate    string       `json:"birth_date,omitempty"`
	ConsentEmail bool         `json:"consent_email"`
	ConsentSMS   bool         `json:"consent_sms"`
	Tags         []int        `json:"tags,omitempty"`
	Custom       customValues `json:"custom,omitempty"` // field id → value
	Created      time.Time    `json:"created"`
}

type leadRec struct {
	ID              int       `json:"id"`
	ContactID       string    `json:"contact_id"`
	Stage           int       `json:"stage"`
	SourceID        int       `json:"source_id"`
	UserID          int       `json:"user_id"`
	SalesSequenceID int       `json:"sales_sequence_id,omitempty"`
	CustomData      string    `json:"custom_data"`
	Created         time.Time `json:"created"`
}

type fieldRec struct {
	ID         string    `json:"id"`
	Label      string    `json:"label"`
	Var        string    `json:"var"`
	Attributes string    `json:"attributes,omitempty"`
	Created    time.Time `json:"created"`
}

type tagRec struct {
	ID      int       `json:"id"`
	Tag     string    `json:"tag"`
	Created time.Time `json:"created"`
}

// state is the state file. Its lists hold pointers, so that a save
// writes the stored records without copying them.
type state struct {
	NextLead int           `json:"next_lead"`
	NextTag  int           `json:"next_tag"`
	NextSeq  int           `json:"next_seq"`
	Contacts []*contactRec `json:"contacts"`
	Leads    []*leadRec    `json:"leads"`
	Fields   []*fieldRec   `json:"fields"`
	Tags     []*tagRec     `json:"tags"`
}

// customValues are a contact's custom field values, by field id, in the
// order they were first set: a few pairs in a slice take a tenth of the
// memory of a map. In JSON they are an object, as the map was.
type customValues []customValue

type customValue struct{ id, value string }

func (c customValues) get(id string) (string, bool) {
	for _, x := range c {
		if x.id == id {
			return x.value, true
		}
	}
	return "", false
}

func (c customValues) set(id, value string) customValues {
	for i, x := range c {
		if x.id == id {
			c[i].value = value
			return c
		}
	}
	return append(c, customValue{id, value})
}

func (c customValues) without(id string) customValues {
	return slices.DeleteFunc(c, func(x customValue) bool { return x.id == id })
}

// MarshalJSON writes the values as an object, keys sorted as for a map.
func (c customValues) MarshalJSON() ([]byte, error) {
	m := make(map[string]string, len(c))
	for _, x := range c {
		m[x.id] = x.value
	}
	return json.Marshal(m)
}

// UnmarshalJSON reads the object MarshalJSON writes.
func (c *customValues) UnmarshalJSON(b []byte) error {
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*c = nil
	for _, id := range slices.Sorted(maps.Keys(m)) {
		*c = append(*c, customValue{id, m[id]})
	}
	return nil
}
