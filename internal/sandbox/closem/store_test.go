package closem

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/crmload/crmload/internal/sandbox"
)

// The index keeps every holder of a key, oldest first, and forgets a key
// with none; most keys take the one-holder form.
func TestIDIndex(t *testing.T) {
	x := newIDIndex()
	steps := []struct {
		do   func()
		want string // ids("k"), then len(one), len(many)
	}{
		{func() { x.add("k", 1005) }, "[1005] 1 0"},
		{func() { x.add("k", 1005) }, "[1005] 1 0"},
		{func() { x.add("k", 1002) }, "[1002 1005] 0 1"},
		{func() { x.add("k", 1009) }, "[1002 1005 1009] 0 1"},
		{func() { x.remove("k", 1002) }, "[1005 1009] 0 1"},
		{func() { x.remove("k", 1009) }, "[1005] 1 0"},
		{func() { x.remove("k", 1001) }, "[1005] 1 0"},
		{func() { x.remove("k", 1005) }, "[] 0 0"},
	}
	for i, st := range steps {
		st.do()
		got := fmt.Sprint(x.ids("k"), " ", len(x.one), " ", len(x.many))
		if got != st.want {
			t.Errorf("step %d: %s, want %s", i, got, st.want)
		}
		if id, ok := x.first("k"); ok != (len(x.ids("k")) > 0) || ok && id != x.ids("k")[0] {
			t.Errorf("step %d: first = %d, %v", i, id, ok)
		}
	}
}

// The fake accepts every key of Options.Keys, and no other.
func TestSeveralAPIKeys(t *testing.T) {
	f := New(sandbox.Options{APIKey: "key-a", APIKeys: []string{"key-b"}})
	defer f.Close()
	for key, want := range map[string]int{"key-a": 200, "key-b": 200, sandbox.DefaultKey: 401} {
		req := httptest.NewRequest("POST", "/?m=api&auth="+key, strings.NewReader("mode=addcontact&email=a@example.com"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		f.ServeHTTP(w, req)
		if w.Code != want {
			t.Errorf("key %q: %d, want %d", key, w.Code, want)
		}
	}
}
