package mapping

import (
	"errors"
	"strings"
)

// compiledRule is a Rule resolved against a header, ready for every row.
type compiledRule struct {
	fields   []string // one, or two with split
	field    string   // fields joined, for messages
	cols     []int    // indexes of the From columns in the header
	column   string   // From joined with " + ", for messages
	sep      string   // Join
	pre      []step   // transforms before split (all of them without split)
	split    bool
	post     []step // transforms after split, applied to each part
	def      string
	required bool

	isConst  bool
	constant [2]string // the outputs of a Value rule, computed by Compile
}

// Map maps one row, its values in header order. A row shorter than the
// header reads the missing columns as empty. It returns the Record (without
// empty fields, which mean "not given") or, when any rule fails, a nil Record
// and the rules' *FieldErrors: the error itself when one rule fails, else
// all of them joined with errors.Join.
func (m *Mapper) Map(values []string) (Record, error) {
	rec := make(Record, len(m.fields))
	var errs []error
	for i := range m.rules {
		c := &m.rules[i]
		out := c.constant
		if !c.isConst {
			var ferr *FieldError
			if out, ferr = c.run(c.read(values)); ferr != nil {
				errs = append(errs, ferr)
				continue
			}
		}
		for k, f := range c.fields {
			if out[k] != "" {
				rec[f] = out[k]
			}
		}
	}
	switch len(errs) {
	case 0:
		return rec, nil
	case 1:
		return nil, errs[0]
	}
	return nil, errors.Join(errs...)
}

// read returns the rule's input: its one column as is, or its several
// columns trimmed, blanks skipped, joined with sep.
func (c *compiledRule) read(values []string) string {
	if len(c.cols) == 1 {
		return cell(values, c.cols[0])
	}
	var (
		first string
		b     strings.Builder
	)
	for _, i := range c.cols {
		p := strings.TrimSpace(cell(values, i))
		switch {
		case p == "":
		case first == "":
			first = p
		default:
			if b.Len() == 0 {
				b.Grow(c.joinedLen(values)) // one allocation for the result
				b.WriteString(first)
			}
			b.WriteString(c.sep)
			b.WriteString(p)
		}
	}
	if b.Len() == 0 {
		return first // zero or one part: no need to build a string
	}
	return b.String()
}

// joinedLen bounds the length of the rule's joined columns.
func (c *compiledRule) joinedLen(values []string) int {
	n := len(c.sep) * (len(c.cols) - 1)
	for _, i := range c.cols {
		n += len(cell(values, i))
	}
	return n
}

// cell returns values[i], or "" past the end of a short row.
func cell(values []string, i int) string {
	if i < len(values) {
		return values[i]
	}
	return ""
}

// run turns an input value into the rule's outputs (out[1] is used by split
// only): transforms, split, default, then the required check.
func (c *compiledRule) run(v string) (out [2]string, ferr *FieldError) {
	if v, ferr = c.apply(c.pre, v, c.field); ferr != nil {
		return out, ferr
	}
	if c.split {
		out[0], out[1] = splitName(v)
		for k := range out {
			if out[k], ferr = c.apply(c.post, out[k], c.fields[k]); ferr != nil {
				return out, ferr
			}
		}
	} else {
		out[0] = v
	}
	for k := range c.fields {
		if out[k] == "" {
			out[k] = c.def
		}
	}
	if c.required && out[0] == "" {
		return out, &FieldError{Field: c.fields[0], Column: c.column, Err: ErrRequired}
	}
	return out, nil
}

// apply runs steps over v in order; an empty value ends the chain, as
// transforms neither produce nor validate anything from nothing.
func (c *compiledRule) apply(steps []step, v, field string) (string, *FieldError) {
	for _, s := range steps {
		if v == "" {
			return "", nil
		}
		in := v
		var err error
		if v, err = s(in); err != nil {
			return in, &FieldError{Field: field, Column: c.column, Value: in, Err: err}
		}
	}
	return v, nil
}
