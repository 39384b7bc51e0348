package connector

import (
	"errors"
	"fmt"
	"time"
)

// Error is a failed call, classified for the runner.
type Error struct {
	Op         string // what was attempted, e.g. "create lead"
	HTTPStatus int    // 0 when no response arrived
	Message    string // the API's own words, redacted; shown in the report

	Retryable  bool          // worth another attempt (429, 5xx, timeouts, connection errors)
	RetryAfter time.Duration // the server's requested wait before any further call; 0 if none
	Auth       bool          // credentials rejected (401/403, or the API's equivalent): stop the run

	// MaybeApplied means the request may have reached the server and been
	// acted on (e.g. a timeout after sending): a create must be verified
	// before it is sent again.
	MaybeApplied bool

	Err error // the underlying cause, if any (already redacted)
}

func (e *Error) Error() string {
	s := e.Op
	if e.HTTPStatus != 0 {
		s += fmt.Sprintf(": HTTP %d", e.HTTPStatus)
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Err != nil && e.Message == "" {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// AsError returns err as an *Error when it is (or wraps) one.
func AsError(err error) (*Error, bool) {
	var ce *Error
	ok := errors.As(err, &ce)
	return ce, ok
}

// ErrNotListable is returned by systems that have no list endpoint.
var ErrNotListable = errors.New("this system's API has no list endpoint")
