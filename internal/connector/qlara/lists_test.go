package qlara

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/mapping"
)

func TestListResolution(t *testing.T) {
	tests := []struct {
		name     string
		lists    []string // names to seed; "~" prefix = deleted
		opts     map[string]string
		wantName string // the list resolved, by name
		wantErr  string
		created  bool
	}{
		{name: "by name", lists: []string{"Newsletter", "Newsletter VIP"}, opts: map[string]string{"list": "Newsletter"}, wantName: "Newsletter"},
		{name: "by name, other case", lists: []string{"Newsletter VIP"}, opts: map[string]string{"list": "newsletter vip"}, wantName: "Newsletter VIP"},
		{name: "by id", lists: []string{"A", "B"}, opts: map[string]string{"list": "{B}"}, wantName: "B"},
		{name: "by id: prefix", lists: []string{"A", "B"}, opts: map[string]string{"list": "id:{A}"}, wantName: "A"},
		{name: "numeric name", lists: []string{"2024"}, opts: map[string]string{"list": "name:2024"}, wantName: "2024"},
		{name: "unknown id", lists: []string{"A"}, opts: map[string]string{"list": "999999"}, wantErr: "contact list 999999 not found"},
		{name: "unknown name lists the others", lists: []string{"Alpha", "Beta", "~Gone"}, opts: map[string]string{"list": "Gamma"},
			wantErr: `no contact list named "Gamma"; available: "Alpha" (id `},
		{name: "no lists at all", opts: map[string]string{"list": "Gamma"}, wantErr: "the account has none"},
		{name: "duplicate names", lists: []string{"Dup", "Dup"}, opts: map[string]string{"list": "Dup"}, wantErr: `2 contact lists are named "Dup"`},
		{name: "created when asked", lists: []string{"Alpha"}, opts: map[string]string{"list": "Fresh", "create_list": "true"}, wantName: "Fresh", created: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			ids := map[string]string{}
			for _, n := range tt.lists {
				name, deleted := strings.CutPrefix(n, "~")
				ids[name] = f.seedList(name, deleted)
			}
			opts := map[string]string{}
			for k, v := range tt.opts {
				for name, id := range ids {
					v = strings.ReplaceAll(v, "{"+name+"}", id)
				}
				opts[k] = v
			}
			c := f.connector(t, opts)
			err := c.Prepare(context.Background(), connector.Contact, []string{"email"})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Prepare error = %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "Gone") {
					t.Fatalf("a deleted list is offered: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Prepare: %v", err)
			}
			if c.members.listName != tt.wantName {
				t.Fatalf("resolved list %q (id %s), want %q", c.members.listName, c.members.listID, tt.wantName)
			}
			if !tt.created && c.members.listID != ids[tt.wantName] {
				t.Fatalf("resolved id %s, want %s", c.members.listID, ids[tt.wantName])
			}
			if n := len(f.calls("POST /contacts/list")); (n == 1) != tt.created {
				t.Fatalf("%d list creations, want created=%v", n, tt.created)
			}
		})
	}
}

// association decodes a recorded POST /contacts/list/contacts body.
func associationOf(t *testing.T, r request) (lists, contacts []int, all bool) {
	t.Helper()
	var in struct {
		ListIDs     []int `json:"listIds"`
		ContactIDs  []int `json:"contactIds"`
		AllContacts *bool `json:"allContacts"`
	}
	if err := json.Unmarshal(r.Body, &in); err != nil {
		t.Fatalf("association body %s: %v", r.Body, err)
	}
	if in.AllContacts == nil {
		t.Fatalf("association body %s: allContacts missing", r.Body)
	}
	return in.ListIDs, in.ContactIDs, *in.AllContacts
}

func TestListMembershipIsBatched(t *testing.T) {
	f := newFake(t)
	listID := f.seedList("Import", false)
	c := f.connector(t, map[string]string{"list": "Import"})
	ctx := context.Background()
	if err := c.Prepare(ctx, connector.Contact, nil); err != nil {
		t.Fatal(err)
	}
	const n = 250
	var wg sync.WaitGroup
	errs := make(chan error, n+1)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := mapping.Record{"email": fmt.Sprintf("c%03d@example.com", i), "name": fmt.Sprint("C", i)}
			if _, err := c.Write(ctx, connector.Contact, rec, connector.WriteOptions{Mode: connector.Create}); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	// One contact written again: it is queued once.
	if _, err := c.Write(ctx, connector.Contact, mapping.Record{"email": "c000@example.com", "name": "C0"},
		connector.WriteOptions{Mode: connector.Upsert, Match: []string{"email"}}); err != nil {
		errs <- err
	}
	close(errs)
	for err := range errs {
		t.Fatalf("Write: %v", err)
	}
	if got := len(f.calls("POST /contacts/list/contacts")); got != 2 {
		t.Fatalf("%d association calls before Flush, want 2 full batches", got)
	}
	if err := c.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	if err := c.Flush(ctx); err != nil {
		t.Fatalf("second Flush: %v", err)
	}
	calls := f.calls("POST /contacts/list/contacts")
	var sizes []int
	seen := map[int]bool{}
	for _, r := range calls {
		lists, contacts, all := associationOf(t, r)
		if all || len(lists) != 1 || fmt.Sprint(lists[0]) != listID {
			t.Fatalf("association %s: want list %s only, allContacts false", r.Body, listID)
		}
		sizes = append(sizes, len(contacts))
		for _, id := range contacts {
			if seen[id] {
				t.Fatalf("contact %d sent twice", id)
			}
			seen[id] = true
		}
	}
	if !slices.Equal(sizes, []int{100, 100, 50}) {
		t.Fatalf("batch sizes = %v, want [100 100 50]", sizes)
	}
	if got := f.inList(listID); got != n {
		t.Fatalf("%d contacts in the list, want %d", got, n)
	}
}

func TestListBatchFailures(t *testing.T) {
	type answer struct {
		status int
		header map[string]string
		body   string
	}
	tests := []struct {
		name     string
		answers  []answer // the association calls' answers in turn; then the fake's own
		wantWait time.Duration
		wantAuth bool  // the third Write (which fills the batch) fails with Auth
		wantLeft []int // indexes of contacts Flush reports left out
		calls    int   // association calls in all
		// flushWait is the least time Flush must take (a wait it was asked for).
		flushWait time.Duration
	}{
		{name: "400 is final and reported by Flush", calls: 2, wantLeft: []int{0, 1, 2, 3},
			answers: []answer{{status: 400, body: `{"message":"list 7 is read-only"}`}, {status: 400, body: `{"message":"list 7 is read-only"}`}}},
		{name: "503 is sent again by Flush", calls: 3,
			answers: []answer{{status: 503, body: `{"message":"maintenance"}`}}},
		{name: "429 passes its wait to the runner", calls: 3, wantWait: 2 * time.Second,
			answers: []answer{{status: 429, header: map[string]string{"Retry-After": "2"}}}},
		{name: "Flush tries twice, waiting as asked", calls: 3, wantLeft: []int{0, 1, 2, 3}, flushWait: 50 * time.Millisecond,
			answers: []answer{{status: 400}, {status: 429, header: map[string]string{"X-Rate-Limit-Retry-After-Seconds": "0.05"}}, {status: 502}}},
		{name: "rejected key stops the run at once", calls: 2, wantAuth: true, wantLeft: []int{0, 1, 2},
			answers: []answer{{status: 401}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			listID := f.seedList("Import", false)
			c := f.connector(t, map[string]string{"list": "Import", "list_batch_size": "3"})
			ctx := context.Background()
			if err := c.Prepare(ctx, connector.Contact, nil); err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			answers := tt.answers
			f.setIntercept(func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
				mu.Lock()
				defer mu.Unlock()
				if !strings.HasSuffix(r.URL.Path, "/contacts/list/contacts") || len(answers) == 0 {
					return false
				}
				a := answers[0]
				answers = answers[1:]
				for k, v := range a.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(a.status)
				io.WriteString(w, a.body)
				return true
			})
			var ids []string
			for i := range 4 {
				res, err := c.Write(ctx, connector.Contact, mapping.Record{"email": fmt.Sprintf("f%d@example.com", i)},
					connector.WriteOptions{Mode: connector.Create})
				ids = append(ids, res.ID)
				if i == 2 && tt.wantAuth {
					ce, ok := connector.AsError(err)
					if !ok || !ce.Auth || strings.Contains(err.Error(), testKey) {
						t.Fatalf("Write %d error = %v, want an Auth error", i, err)
					}
					continue
				}
				if err != nil || res.Status != connector.Created {
					t.Fatalf("Write %d = %+v, %v; a list batch must not fail the row", i, res, err)
				}
				if i == 2 && res.Wait != tt.wantWait {
					t.Fatalf("Write %d wait = %v, want %v", i, res.Wait, tt.wantWait)
				}
			}
			start := time.Now()
			err := c.Flush(ctx)
			if took := time.Since(start); took < tt.flushWait {
				t.Fatalf("Flush took %v, want at least the %v the server asked for", took, tt.flushWait)
			}
			var want []string
			for _, i := range tt.wantLeft {
				want = append(want, ids[i])
			}
			var le *ListError
			switch {
			case len(want) == 0 && err != nil:
				t.Fatalf("Flush: %v", err)
			case len(want) > 0 && (!errors.As(err, &le) || !slices.Equal(le.ContactIDs, want) || !strings.Contains(err.Error(), strings.Join(want, ", "))):
				t.Fatalf("Flush = %v, want a *ListError naming %v", err, want)
			}
			if got := len(f.calls("POST /contacts/list/contacts")); got != tt.calls {
				t.Fatalf("%d association calls, want %d", got, tt.calls)
			}
			if got := f.inList(listID); got != 4-len(want) {
				t.Fatalf("%d contacts in the list, want %d", got, 4-len(want))
			}
			if err := c.Flush(ctx); err != nil {
				t.Fatalf("second Flush: %v", err)
			}
		})
	}
}

func TestListCancelledBatchIsKeptForFlush(t *testing.T) {
	f := newFake(t)
	listID := f.seedList("Import", false)
	c := f.connector(t, map[string]string{"list": listID, "list_batch_size": "2"})
	if err := c.Prepare(context.Background(), connector.Contact, nil); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	f.setIntercept(func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
		if strings.HasSuffix(r.URL.Path, "/list/contacts") {
			cancel() // the run is stopped while the batch is in flight
			<-r.Context().Done()
			return true
		}
		return false
	})
	for i := range 2 {
		if _, err := c.Write(ctx, connector.Contact, mapping.Record{"email": fmt.Sprintf("x%d@example.com", i)},
			connector.WriteOptions{Mode: connector.Create}); err != nil {
			t.Fatalf("Write %d: %v", i, err)
		}
	}
	f.setIntercept(nil)
	if err := c.Flush(context.Background()); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	if got := f.inList(listID); got != 2 {
		t.Fatalf("%d contacts in the list after Flush, want 2", got)
	}
}
