package closum

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/sandbox"
)

// The mobile index answers the oldest holder of a number, as the scan it
// replaces did, through adds, changes and removals.
func TestContactByMobileOldestFirst(t *testing.T) {
	d := newData(state{})
	now := time.Now()
	add := func(mobile string) *contactRec {
		c := d.newContact(now)
		d.setMobile(c, mobile)
		return c
	}
	a, b, c := add("910000001"), add("910000001"), add("910000002")
	steps := []struct {
		name   string
		do     func()
		mobile string
		want   *contactRec
	}{
		{"two holders: the oldest", func() {}, "910000001", a},
		{"one holder", func() {}, "910000002", c},
		{"the oldest moves away", func() { d.setMobile(a, "910000003") }, "910000001", b},
		{"it comes back: oldest again", func() { d.setMobile(a, "910000001") }, "910000001", a},
		{"the oldest is removed", func() { d.removeContact(a.ID) }, "910000001", b},
		{"the last is removed", func() { d.removeContact(b.ID) }, "910000001", nil},
		{"a number nobody has", func() {}, "919999999", nil},
	}
	for _, st := range steps {
		st.do()
		if got := d.contactByMobile(st.mobile); got != st.want {
			t.Errorf("%s: contactByMobile(%s) = %v, want %v", st.name, st.mobile, got, st.want)
		}
	}
}

// The fake accepts every key of Options.Keys, and no other.
func TestSeveralAPIKeys(t *testing.T) {
	f := New(sandbox.Options{APIKey: "key-a", APIKeys: []string{"key-b"}})
	defer f.Close()
	for key, want := range map[string]bool{"key-a": true, "key-b": true, sandbox.DefaultKey: false, "": false} {
		w := httptest.NewRecorder()
		f.ServeHTTP(w, httptest.NewRequest("GET", basePath+"/field/?api-key="+key, nil))
		if ok := strings.Contains(w.Body.String(), `"status":true`); ok != want {
			t.Errorf("key %q: %s", key, w.Body)
		}
	}
}
