package closem

import "time"

// Wire types. The help page shows no answer at all; these are the fake's
// own, described in doc.go.

// failure is every error answer.
type failure struct {
	Success bool   `json:"success"`
	Error   string `json:"error"`
}

// contactAnswer answers addcontact.
type contactAnswer struct {
	Success   bool   `json:"success"`
	ContactID string `json:"contact_id"`
	Action    string `json:"action"` // "created" or "updated"
}

// sequenceAnswer answers runsequence.
type sequenceAnswer struct {
	Success    bool     `json:"success"`
	SequenceID string   `json:"sequence_id"`
	Contacts   int      `json:"contacts"`
	ContactIDs []string `json:"contact_ids"`
}

// appointmentAnswer answers scheduleappointment.
type appointmentAnswer struct {
	Success       bool     `json:"success"`
	AppointmentID string   `json:"appointment_id"`
	Contacts      int      `json:"contacts"`
	ContactIDs    []string `json:"contact_ids"`
}

// The answers' actions for addcontact.
const (
	actionCreated = "created"
	actionUpdated = "updated"
)

// Stored records: the state file's shape, not part of the API.

type contactRec struct {
	ID        int       `json:"id"`
	FirstName string    `json:"first_name,omitempty"`
	LastName  string    `json:"last_name,omitempty"`
	Email     string    `json:"email,omitempty"`
	Phone     string    `json:"phone,omitempty"`
	Notes     string    `json:"notes,omitempty"`
	Address   string    `json:"address,omitempty"`
	City      string    `json:"city,omitempty"`
	State     string    `json:"state,omitempty"`
	Zip       string    `json:"zip,omitempty"`
	Tags      []int     `json:"tags,omitempty"`
	Lists     []int     `json:"lists,omitempty"`
	Created   time.Time `json:"created"`
	Updated   time.Time `json:"updated"`
}

// runRec is one sequence started, by runsequence or by addcontact's
// sequence_id.
type runRec struct {
	ID         int       `json:"id"`
	SequenceID int       `json:"sequence_id"`
	Via        string    `json:"via"` // the mode that started it
	ContactIDs []int     `json:"contact_ids"`
	Created    time.Time `json:"created"`
}

type appointmentRec struct {
	ID         int       `json:"id"`
	Note       string    `json:"note"`
	At         time.Time `json:"at"`
	Given      string    `json:"given"` // appointment_timestamp as sent
	ContactIDs []int     `json:"contact_ids"`
	Created    time.Time `json:"created"`
}

// state is the state file. Contacts are pointers, so that a save writes
// the stored records without copying them.
type state struct {
	NextContact     int              `json:"next_contact"`
	NextRun         int              `json:"next_run"`
	NextAppointment int              `json:"next_appointment"`
	Contacts        []*contactRec    `json:"contacts"`
	Runs            []runRec         `json:"runs"`
	Appointments    []appointmentRec `json:"appointments"`
}
