// Package connector defines the seam between the runner and each CRM: the
// Connector interface, the result and error types every system returns, and
// the registry that maps a system name to its factory.
//
// A connector knows one API: its auth, its wire shapes, its pagination and
// how it reports errors. It does not retry, wait or pace itself; it returns
// an *Error saying whether a failure is worth retrying and what the server
// asked for, and the runner decides.
package connector

import (
	"context"
	"fmt"
	"iter"
	"net/http"
	"sort"
	"time"

	"github.com/crmload/crmload/mapping"
)

// Object is the kind of record a job reads or writes.
type Object string

// The objects crmload knows.
const (
	Lead    Object = "lead"
	Contact Object = "contact"
)

// Mode says what a write may do with an existing record.
type Mode string

// The write modes.
const (
	Create Mode = "create" // always create; never touches existing records
	Update Mode = "update" // only update a record found by the match key
	Upsert Mode = "upsert" // update when found by the match key, else create
)

// Status is the outcome of one row.
type Status string

// The row outcomes; every input row ends in exactly one of them.
const (
	Created   Status = "created"
	Updated   Status = "updated"
	Unchanged Status = "unchanged"
	Skipped   Status = "skipped"
	Failed    Status = "failed"
)

// Statuses lists every Status in report order.
var Statuses = []Status{Created, Updated, Unchanged, Skipped, Failed}

// Config is what a connector is built from.
type Config struct {
	BaseURL  string            // API root, e.g. https://api.close.com/api/v1
	APIKey   string            // the secret; never printed
	Username string            // for systems that log in with a user and password (Closum v1)
	Password string            // idem
	Options  map[string]string // system-specific settings from the job's target block
	HTTP     *http.Client      // shared client; its Timeout bounds one call
}

// String hides the credentials, so a Config printed by mistake leaks nothing.
func (c Config) String() string {
	return fmt.Sprintf("{BaseURL:%s credentials:hidden Options:%v}", c.BaseURL, c.Options)
}

// GoString hides the credentials from %#v too.
func (c Config) GoString() string { return c.String() }

// WriteOptions tells Write what to do with one record.
type WriteOptions struct {
	Mode  Mode
	Match []string // canonical field names forming the match key, e.g. [email]

	// Verify is set when an earlier attempt of this create may have reached
	// the server (a timeout after the request was sent): the connector must
	// look the record up by its match key first and only create it when it
	// is not there. A record found that way is reported Created with its id.
	Verify bool
}

// Result is the outcome of a successful write.
type Result struct {
	Status     Status
	ID         string
	HTTPStatus int
	Note       string // why a row was unchanged or skipped, for the report's error column

	// Wait is a pause the server asked for even though the call succeeded
	// (e.g. a rate-limit header with nothing remaining); zero if none.
	Wait time.Duration
}

// Connector writes records to one CRM.
//
// Implementations must be safe for concurrent use by many workers once
// Prepare has returned.
type Connector interface {
	// CheckWrite reports, without any network call, whether obj can be
	// written in mode with the match key and fields given. It returns every
	// problem it finds (errors.Join), each naming the field.
	CheckWrite(obj Object, mode Mode, match []string, fields []string) error

	// Prepare runs once before the first Write: it checks the credentials
	// (an *Error with Auth set when they are rejected) and loads what the
	// run needs once, such as the custom-field ids for the fields given.
	Prepare(ctx context.Context, obj Object, fields []string) error

	// Write sends one record. A failure is an *Error; a record that the
	// API refuses (validation) is an *Error with Retryable false.
	Write(ctx context.Context, obj Object, rec mapping.Record, opt WriteOptions) (Result, error)
}

// Query narrows a List.
type Query struct {
	Since time.Time // only records created or updated after it; zero for all
	// Async asks for the API's asynchronous bulk export where it has one
	// (Close, Qlara) instead of paging; systems without one page anyway.
	Async bool
}

// Lister is the optional ability to stream every record of an object.
//
// List and Columns work without Prepare: they load what they need (custom
// field names, tokens) themselves.
type Lister interface {
	// List yields every record of obj, page by page, as the pages arrive.
	// It stops at the first error it yields; a failed call is an *Error
	// (a 429 with its RetryAfter), which the caller may retry by listing
	// again.
	List(ctx context.Context, obj Object, q Query) iter.Seq2[mapping.Record, error]

	// Columns returns the keys of the records List yields for obj, in the
	// order an export writes them: id first, then the standard fields, then
	// custom fields by human name, then date_created and date_updated. Each
	// implementation says whether it calls the API (custom field names need
	// a call) and how it keeps Columns and List in step.
	Columns(ctx context.Context, obj Object) ([]string, error)
}

// Counter is the optional ability to say how many records a List with the
// same query will yield, from one cheap call, so a progress display can
// show a total. A Lister implements it only where the API's list answer
// documents a total.
//
// Count returns n = -1 and a nil error when it cannot know (the object has
// no total, or the connector filters q on its side so the API's total is
// not what List yields); an error means the call failed. The count is a
// snapshot: records created or deleted meanwhile make List differ, so a
// caller must treat it as an estimate, never as a limit. Like List, Count
// works without Prepare.
type Counter interface {
	Count(ctx context.Context, obj Object, q Query) (n int, err error)
}

// Indexer is the optional ability of a connector whose API has no native
// upsert (a find, then a write) to read the target's records once, at the
// largest page size, so that each update or upsert row then costs one call,
// and none when the record is unchanged.
//
// After Index returns nil, Write in update and upsert mode trusts the index
// for the match key given: a key the index holds is written by its id
// without a search (or reported Unchanged with no call when the fields
// compared are equal); a key it lacks is created at once (upsert) or
// reported Skipped (update). A create whose answer was lost (WriteOptions
// Verify) is still looked up by the API, as without an index. Writes keep
// the index current, so a key repeated in the input finds the record an
// earlier row created. The index keeps only ids and a digest of the
// compared fields, so its size stays small per record.
type Indexer interface {
	// IndexCost estimates how many calls Index would make for obj (records
	// divided by the page size), from one cheap call; -1 when the API does
	// not say how many records there are.
	IndexCost(ctx context.Context, obj Object) (calls int, err error)

	// Index lists every record of obj and keeps, for each value of the
	// match key, its id and what Write compares for the fields given (the
	// mapped fields, as for Prepare). A failed call is an *Error, as for
	// List; the caller may call Index again.
	Index(ctx context.Context, obj Object, match []string, fields []string) error
}

// Factory builds a connector from its configuration.
type Factory func(Config) (Connector, error)

// Registry maps system names to factories. Build one with the systems you
// want (cmd/crmload registers them all) rather than through init side effects.
type Registry struct {
	factories map[string]Factory
}

// Register adds a system; registering a name twice is a programming error.
func (r *Registry) Register(name string, f Factory) {
	if r.factories == nil {
		r.factories = map[string]Factory{}
	}
	if _, dup := r.factories[name]; dup {
		panic("connector: system registered twice: " + name)
	}
	r.factories[name] = f
}

// New builds the connector for a system.
func (r *Registry) New(name string, cfg Config) (Connector, error) {
	f, ok := r.factories[name]
	if !ok {
		return nil, fmt.Errorf("unknown system %q (known: %v)", name, r.Names())
	}
	return f(cfg)
}

// Names lists the registered systems, sorted.
func (r *Registry) Names() []string {
	names := make([]string, 0, len(r.factories))
	for n := range r.factories {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
