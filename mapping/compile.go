package mapping

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Mapper maps rows of one header with compiled rules. It is immutable and
// safe for concurrent use by several workers.
type Mapper struct {
	rules  []compiledRule
	fields []string
}

// Fields returns the output field names, in rule order (a split rule gives
// two). The slice is the caller's to keep.
func (m *Mapper) Fields() []string {
	return append([]string(nil), m.fields...)
}

// compileEnv is what every rule's compilation shares.
type compileEnv struct {
	header      []string
	region      string   // Options.Region, upper-cased
	dateLayouts []string // Options.DateLayouts that compiled
	steps       stepConfig
}

// Compile checks rules against a source header and prepares them for Map.
// It returns every problem it finds, joined with errors.Join: problems with
// opt first, then one *RuleError per problem of a rule.
func Compile(rules []Rule, header []string, opt Options) (*Mapper, error) {
	var errs []error
	env := compileEnv{
		header: header,
		region: strings.ToUpper(strings.TrimSpace(opt.Region)),
		steps:  stepConfig{title: newTitlePool(), accents: newAccentPool()},
	}
	if env.region != "" && !validRegion(env.region) {
		errs = append(errs, fmt.Errorf("options: %w", badRegion(opt.Region)))
	}
	for _, name := range opt.DateLayouts {
		if _, err := compileLayout(name); err != nil {
			errs = append(errs, fmt.Errorf("options: %w", err))
			continue
		}
		env.dateLayouts = append(env.dateLayouts, name)
	}
	if len(rules) == 0 {
		errs = append(errs, errors.New("no mapping rules"))
	}

	m := &Mapper{rules: make([]compiledRule, 0, len(rules))}
	setBy := map[string]int{} // field → index of the rule that sets it
	for i := range rules {
		c, rerrs := compileRule(&rules[i], &env)
		for k, f := range c.fields {
			switch j, dup := setBy[f]; {
			case strings.TrimSpace(f) == "":
			case slices.Contains(c.fields[:k], f):
				rerrs = append(rerrs, fmt.Errorf("field %q is given twice", f))
			case dup:
				rerrs = append(rerrs, fmt.Errorf("field %q is already set by rule %d", f, j+1))
			default:
				setBy[f] = i
			}
		}
		for _, err := range rerrs {
			errs = append(errs, &RuleError{Index: i, Field: c.field, Err: err})
		}
		m.rules = append(m.rules, c)
		m.fields = append(m.fields, c.fields...)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return m, nil
}

// compileRule checks one rule and compiles what it can of it.
func compileRule(r *Rule, env *compileEnv) (compiledRule, []error) {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	c := compiledRule{
		fields:   r.Field,
		field:    strings.Join(r.Field, ", "),
		column:   strings.Join(r.From, " + "),
		sep:      " ",
		def:      r.Default,
		required: r.Required,
	}

	splits, usesPhone, usesDate := 0, false, false
	for _, name := range r.Transform {
		switch name {
		case transformSplit:
			splits++
		case transformPhone:
			usesPhone = true
		case transformDate, transformDatetime:
			usesDate = true
		}
	}

	switch n := len(r.Field); {
	case n == 0:
		bad("no field: say which target field the rule fills")
	case n > 2:
		bad("%d fields: a rule fills one field, or two with split", n)
	case n == 2 && splits == 0:
		bad("two fields need the split transform")
	case n == 1 && splits > 0:
		bad("split needs two fields, e.g. field: [first_name, last_name]")
	}
	if splits > 1 {
		bad("split is given %d times", splits)
	}
	for _, f := range r.Field {
		if strings.TrimSpace(f) == "" {
			bad("empty field name")
		} else if name, ok := strings.CutPrefix(f, CustomPrefix); ok && strings.TrimSpace(name) == "" {
			bad("custom field %q has no name after %q", f, CustomPrefix)
		}
	}

	switch {
	case r.Value != nil && len(r.From) > 0:
		bad("give either from or value, not both")
	case r.Value == nil && len(r.From) == 0:
		bad("no source: give from (a column) or value (a constant)")
	}
	if r.Join != nil {
		if len(r.From) < 2 {
			bad("join needs several from columns")
		}
		c.sep = *r.Join
	}
	for _, col := range r.From {
		i, err := findColumn(env.header, col)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		c.cols = append(c.cols, i)
	}

	if usesPhone && env.steps.phones == nil {
		env.steps.phones = newPhoneParser() // shared by the job's phone rules
	}
	cfg := env.steps
	cfg.region = env.region
	if r.Region != "" {
		if !usesPhone {
			bad("region is only used by the phone_e164 transform")
		}
		cfg.region = strings.ToUpper(strings.TrimSpace(r.Region))
		if !validRegion(cfg.region) {
			errs = append(errs, badRegion(r.Region))
		}
	}
	if len(r.Layouts) > 0 && !usesDate {
		bad("layouts are only used by the date transform")
	}
	if usesDate {
		p, lerrs := newDateParser(r.Layouts, env.dateLayouts)
		errs = append(errs, lerrs...)
		cfg.dates = p
	}

	steps := &c.pre
	for _, name := range r.Transform {
		if name == transformSplit {
			c.split = true
			steps = &c.post
			continue
		}
		s, ok := newStep(name, &cfg)
		if !ok {
			errs = append(errs, unknownTransform(name))
			continue
		}
		*steps = append(*steps, s)
	}

	// A constant is mapped once, here, so a bad one fails the job, not every row.
	if r.Value != nil && len(errs) == 0 {
		out, ferr := c.run(*r.Value)
		switch {
		case ferr == nil:
		case errors.Is(ferr.Err, ErrRequired):
			bad("required, but the value is empty")
		default:
			bad("value: %w", ferr.Err)
		}
		c.constant, c.isConst = out, true
	}
	return c, errs
}

// badRegion is the error for a region phonenumbers does not know.
func badRegion(region string) error {
	return fmt.Errorf("unknown region %q: want an ISO 3166-1 alpha-2 code such as US or GB", region)
}

// unknownTransform is the error for a transform name that does not exist.
func unknownTransform(name string) error {
	names := transformNames()
	if s := closest(name, names); s != "" {
		return fmt.Errorf("unknown transform %q; did you mean %q?", name, s)
	}
	return fmt.Errorf("unknown transform %q (known: %s)", name, strings.Join(names, ", "))
}
