package closecrm

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/sandbox"
)

// TestSearchUsesIndexes checks that exact-match terms are answered from the
// indexes, not by a scan of every lead.
func TestSearchUsesIndexes(t *testing.T) {
	f := New(sandbox.Options{})
	defer f.Close()
	for i := range 50 {
		if _, err := f.AddLead(map[string]any{"name": fmt.Sprint("L", i), "contacts": []any{map[string]any{
			"emails": []any{map[string]any{"email": fmt.Sprintf("u%d@x.example", i)}},
			"phones": []any{map[string]any{"phone": fmt.Sprintf("+1650555%04d", i)}},
		}}}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		query   string
		indexed bool
		size    int
	}{
		{`email_address:"U7@x.example"`, true, 1},
		{`phone:"(650) 555-0007"`, true, 1},
		{`name:l7`, true, 1},
		{`email_address:"nobody@x.example"`, true, 0},
		{`name:L1 and created > 2000-01-01`, true, 1},
		{`name:L1 or email_address:"u2@x.example"`, true, 2},
		{`created > 2000-01-01`, false, 0},
		{`name:L1 or created > 2000-01-01`, false, 0},
	}
	for _, tt := range tests {
		q, err := parseQuery(tt.query, time.Now(), time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		f.mu.Lock()
		c, ok := f.data.candidates(q.root)
		f.mu.Unlock()
		if ok != tt.indexed || (ok && len(c) != tt.size) {
			t.Errorf("%s: indexed %v with %d candidates, want %v with %d", tt.query, ok, len(c), tt.indexed, tt.size)
		}
	}
}

func BenchmarkUpsertLookup100k(b *testing.B) {
	f := New(sandbox.Options{StatePath: filepath.Join(b.TempDir(), "close.json")})
	defer f.Close()
	const n = 100_000
	start := time.Now()
	for i := range n {
		if _, err := f.AddLead(map[string]any{"name": fmt.Sprint("Lead ", i), "contacts": []any{map[string]any{
			"emails": []any{map[string]any{"email": fmt.Sprintf("u%d@x.example", i)}},
			"phones": []any{map[string]any{"phone": fmt.Sprintf("+1650%07d", 5550000+i%10000)}},
		}}}); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("seeded %d in %v", n, time.Since(start))
	start = time.Now()
	if err := f.Save(); err != nil {
		b.Fatal(err)
	}
	b.Logf("saved in %v", time.Since(start))
	b.ResetTimer()
	for i := range b.N {
		q, _ := parseQuery(fmt.Sprintf(`email_address:"u%d@x.example"`, i%n), time.Now(), time.UTC)
		f.mu.Lock()
		ids := f.data.search(q)
		f.mu.Unlock()
		if len(ids) != 1 {
			b.Fatal(len(ids))
		}
	}
}
