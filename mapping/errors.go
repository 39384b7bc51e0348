package mapping

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// ErrInvalid is matched (errors.Is) by every value a transform rejects: a bad
// email address, phone number or date.
var ErrInvalid = errors.New("invalid value")

// ErrRequired is the cause of a FieldError for a required field left empty.
var ErrRequired = errors.New("a value is required")

// FieldError is a row's failure to map one rule. Map returns one per failing
// rule, joined with errors.Join when there are several.
type FieldError struct {
	Field  string // target field(s), e.g. "phone" or "first_name, last_name"
	Column string // source column(s), e.g. "Phone Number" or "First Name + Last Name"
	Value  string // the value that failed, after the transforms before the failing one
	Err    error  // the cause: ErrRequired, or an error matching ErrInvalid
}

// Error reads like: column "Phone Number": "12ab" is not a valid phone number (region US).
func (e *FieldError) Error() string {
	if e.Column == "" {
		return fmt.Sprintf("field %q: %v", e.Field, e.Err)
	}
	return fmt.Sprintf("column %q: %v", e.Column, e.Err)
}

// Unwrap returns the cause.
func (e *FieldError) Unwrap() error { return e.Err }

// RuleError is a problem with one rule, found by Compile. Compile returns all
// of them joined with errors.Join.
type RuleError struct {
	Index int    // the rule's position in the rules slice, from 0 (shown from 1)
	Field string // the rule's field(s), "" when it has none
	Err   error
}

// Error reads like: rule 3 (phone): unknown transform "phone164"; did you mean "phone_e164"?
func (e *RuleError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("rule %d: %v", e.Index+1, e.Err)
	}
	return fmt.Sprintf("rule %d (%s): %v", e.Index+1, e.Field, e.Err)
}

// Unwrap returns the cause.
func (e *RuleError) Unwrap() error { return e.Err }

// invalidError is a transform's rejection of a value; it matches ErrInvalid.
type invalidError struct{ msg string }

func (e *invalidError) Error() string        { return e.msg }
func (e *invalidError) Is(target error) bool { return target == ErrInvalid }

// invalid builds an invalidError reading `"<value>" <what>`, the value
// shortened so a stray paragraph does not flood the report.
func invalid(value, what string) error {
	return &invalidError{msg: quote(value) + " " + what}
}

// maxShown is the longest value, in characters, that messages show in full.
const maxShown = 60

// quote quotes s for a message, shortened to maxShown characters.
func quote(s string) string {
	if utf8.RuneCountInString(s) <= maxShown {
		return strconv.Quote(s)
	}
	n := 0
	for i := range s {
		if n == maxShown-1 {
			s = s[:i]
			break
		}
		n++
	}
	return strconv.Quote(s + "…")
}
