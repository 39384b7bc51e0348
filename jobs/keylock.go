package jobs

import (
	"strings"

	"github.com/crmload/crmload/mapping"
)

// matchKey is the row's match-key value (rows sharing one are
// serialised: two rows for the same email sent at once would both find
// nothing and both create), normalised the way CRMs compare
// (case-insensitively); "" when the row has none.
func matchKey(rec mapping.Record, match []string) string {
	var b strings.Builder
	for _, f := range match {
		v := strings.ToLower(strings.TrimSpace(rec[f]))
		if v == "" {
			continue
		}
		b.WriteString(f)
		b.WriteByte('=')
		b.WriteString(v)
		b.WriteByte(0)
	}
	return b.String()
}
