package jobs

import (
	"fmt"
	"strconv"
	"strings"
)

// Rate is a request rate written "20/s", "600/m" or "3000/h" (or a bare
// number, per second).
type Rate struct {
	PerSecond float64
	text      string
}

// ParseRate reads a Rate.
func ParseRate(s string) (Rate, error) {
	num, unit, found := strings.Cut(strings.TrimSpace(s), "/")
	n, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || n <= 0 {
		return Rate{}, fmt.Errorf("rate %q: want a positive number of requests such as 20/s", s)
	}
	per := 1.0
	if found {
		switch strings.TrimSpace(unit) {
		case "s", "sec", "second":
		case "m", "min", "minute":
			per = 60
		case "h", "hour":
			per = 3600
		default:
			return Rate{}, fmt.Errorf("rate %q: unit must be s, m or h", s)
		}
	}
	return Rate{PerSecond: n / per, text: s}, nil
}

// UnmarshalYAML parses the text form.
func (r *Rate) UnmarshalYAML(unmarshal func(any) error) error {
	var s string
	if err := unmarshal(&s); err != nil {
		return err
	}
	v, err := ParseRate(s)
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// String returns the rate as written.
func (r Rate) String() string {
	if r.text != "" {
		return r.text
	}
	return strconv.FormatFloat(r.PerSecond, 'g', -1, 64) + "/s"
}
