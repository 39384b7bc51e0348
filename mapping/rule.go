package mapping

import (
	"errors"
	"fmt"
)

// Rule is one mapping rule of a job: which target field(s) to fill, from which
// source column(s) or constant, and how to transform the value on the way.
// Rules are decoded from the job's YAML (goccy/go-yaml, strict mode).
type Rule struct {
	// Field names the target field: a canonical name (FieldEmail, …), a
	// system's native name, or "custom.<Name>" for a custom field, which is
	// passed through as is for the connector to resolve. Two fields are
	// allowed only with the split transform.
	Field StringList `yaml:"field"`

	// From names the source column(s). A name matches a header column
	// exactly, or else case-insensitively ignoring surrounding spaces.
	From StringList `yaml:"from"`

	// Join separates the values of several From columns; default " ".
	// Each part is trimmed of surrounding spaces and blank parts are skipped,
	// so a missing middle name leaves no double separator.
	Join *string `yaml:"join"`

	// Value is a constant used instead of From. Its transforms run once, in
	// Compile, so a bad constant is a job error rather than a row error.
	Value *string `yaml:"value"`

	// Default is used when the result is empty after the transforms. It is
	// used as given (not transformed). With split it fills each empty field.
	Default string `yaml:"default"`

	// Required makes an empty result (after transforms and Default) a row
	// error. With split it applies to the first field: a one-word name is
	// accepted, no name at all is not.
	Required bool `yaml:"required"`

	// Transform lists the transforms applied in order. An empty value stays
	// empty and skips validation (Required is what rejects empties).
	//
	//	trim          remove surrounding spaces and collapse inner runs of
	//	              whitespace to one space
	//	lower, upper  Unicode lower/upper case
	//	title         Unicode title case ("JOHN o'neil" → "John O'Neil")
	//	email         trim, then require a bare address ("bob@example.com",
	//	              not "Bob <bob@example.com>")
	//	phone_e164    parse with Region (or Options.Region), require a valid
	//	              number, output E.164 ("+14155550123"); a number with an
	//	              extension is rejected, as E.164 cannot hold it
	//	date          parse with Layouts, then Options.DateLayouts, then
	//	              2006-01-02 and RFC 3339; output 2006-01-02, or RFC 3339
	//	              when the matching layout has a time of day
	//	split         full name → [first, last]: last is the final word, first
	//	              the rest; one word fills first only. Needs two fields;
	//	              transforms after split apply to each part
	//	digits        keep the ASCII digits 0-9 only
	//	strip_accents remove combining marks ("Éloïse" → "Eloise"); letters
	//	              such as ø or ß are kept
	Transform StringList `yaml:"transform"`

	// Region is the phone_e164 default region (ISO 3166-1 alpha-2, e.g.
	// "US"), for numbers written without a +country code. It overrides
	// Options.Region.
	Region string `yaml:"region"`

	// Layouts are the date transform's input layouts, tried first. Each is a
	// Go time layout ("02/01/2006", "Jan 2, 2006") or, when it contains YY,
	// a friendly layout built from the tokens YYYY (2023), YY (23), MM (03),
	// M (3), DD (05), D (5), hh (24-hour, 14), mm (minutes) and ss (seconds),
	// e.g. "DD/MM/YYYY hh:mm". Other characters of a friendly layout are kept
	// as they are, so it should not mix in Go names containing M or D (Mon).
	// Two-digit years map to 1969-2068. Times without a zone are taken as UTC.
	Layouts StringList `yaml:"layouts"`
}

// Options are job-wide settings that rules fall back on.
type Options struct {
	Region      string   // phone_e164 default region when a rule has none
	DateLayouts []string // date layouts tried after a rule's own Layouts
}

// StringList is a list of strings that YAML may also give as one scalar:
// "from: Email" and "from: [First Name, Last Name]" both decode.
type StringList []string

// UnmarshalYAML decodes a scalar as a one-item list, and a sequence of
// scalars as is (goccy/go-yaml's InterfaceUnmarshaler). A scalar that YAML
// reads as a number or boolean becomes its formatted value: 2023 and true
// keep their text, but 007 becomes "7" and 1.50 "1.5" — quote such names.
func (l *StringList) UnmarshalYAML(unmarshal func(any) error) error {
	var raw any
	if err := unmarshal(&raw); err != nil {
		return err
	}
	switch raw.(type) {
	case nil:
		*l = nil
		return nil
	case []any:
		var list []string
		if err := unmarshal(&list); err != nil {
			return fmt.Errorf("want a string or a list of strings: %w", err)
		}
		*l = list
		return nil
	case map[string]any:
		return errors.New("want a string or a list of strings, not a mapping")
	default:
		var s string
		if err := unmarshal(&s); err != nil {
			return fmt.Errorf("want a string or a list of strings: %w", err)
		}
		*l = StringList{s}
		return nil
	}
}
