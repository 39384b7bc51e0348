package qlara

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/connector"
)

// Edge cases of the asynchronous export, against scripted answers; the
// happy path runs against the sandbox in listing_sandbox_test.go.

const exportCSV = "\uFEFFid,fullName,phoneNumbers,emailAddresses,mainEmail,tags,createdAt,updatedAt\n" +
	"7001,Ada Lovelace,+393331111111;+393332222222,ada@example.com,ada@example.com,vip;b2b,2024-02-01,2024-02-03\n" +
	"7002,\"Grace, Hopper\",,grace@example.com,grace@example.com,,2024-02-02,2024-02-02\n"

func gzipped(s string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	_, _ = zw.Write([]byte(s))
	_ = zw.Close()
	return b.Bytes()
}

func TestExportEdgeCases(t *testing.T) {
	job := func(id int, status string, ready bool, created string) string {
		return fmt.Sprintf(`{"id":%d,"type":"CONTACTS","status":%q,"isAvailableForDownload":%v,"createdAt":%q}`, id, status, ready, created)
	}
	old := job(3, "COMPLETED", true, "2024-01-01T00:00:00Z") // someone's earlier export: never ours
	tests := []struct {
		name   string
		polls  []string // bodies of GET /exports after the POST, the last repeated
		file   []byte   // what the storage serves
		status int      // status the storage answers
		want   string   // full names listed
		fails  bool
	}{
		{"gzip file, job shown late", []string{
			`{"totalPages":1,"items":[` + old + `]}`,
			`{"totalPages":1,"items":[` + job(9, "IN_PROGRESS", false, "2024-05-01T00:00:00Z") + `,` + old + `]}`,
			`{"totalPages":1,"items":[` + job(9, "COMPLETED", true, "2024-05-01T00:00:00Z") + `,` + old + `]}`,
		}, gzipped(exportCSV), 200, "Ada Lovelace|Grace, Hopper", false},
		{"oldest first, on a later page", []string{
			`{"totalPages":2,"items":[` + old + `]}`,
		}, []byte(exportCSV), 200, "Ada Lovelace|Grace, Hopper", false},
		{"expired before the download: regenerated", []string{
			`[` + job(9, "EXPIRED", false, "2024-05-01T00:00:00Z") + `]`,
			`[` + job(9, "COMPLETED", true, "2024-05-01T00:00:00Z") + `]`,
		}, []byte(exportCSV), 200, "Ada Lovelace|Grace, Hopper", false},
		{"job failed", []string{
			`{"items":[` + job(9, "FAILED", false, "2024-05-01T00:00:00Z") + `]}`,
		}, nil, 200, "", true},
		{"download refused", []string{
			`{"items":[` + job(9, "COMPLETED", true, "2024-05-01T00:00:00Z") + `]}`,
		}, []byte("AccessDenied"), 403, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			var storageKeys []string
			storage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				storageKeys = append(storageKeys, r.Header.Get("X-API-Key"))
				mu.Unlock()
				w.WriteHeader(tt.status)
				_, _ = w.Write(tt.file)
			}))
			defer storage.Close()
			f := newFake(t)
			posted, polls := false, 0
			f.setIntercept(func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
				mu.Lock()
				defer mu.Unlock()
				path := strings.TrimPrefix(r.URL.Path, "/api/partner-gateway/v1")
				switch {
				case r.Method == "GET" && path == "/exports" && !posted:
					reply(w, 200, map[string]any{"totalPages": 1, "items": []any{map[string]any{"id": 3, "status": "COMPLETED"}}})
				case r.Method == "GET" && path == "/exports" && r.URL.Query().Get("page") == "1":
					// The second page of an oldest-first list: the new job.
					_, _ = w.Write([]byte(`{"totalPages":2,"items":[` + job(9, "COMPLETED", true, "2024-05-01T00:00:00Z") + `]}`))
				case r.Method == "GET" && path == "/exports":
					_, _ = w.Write([]byte(tt.polls[min(polls, len(tt.polls)-1)]))
					polls++
				case r.Method == "POST" && path == "/exports/contacts":
					posted = true
					w.WriteHeader(http.StatusAccepted)
				case r.Method == "POST" && path == "/exports/9":
					w.WriteHeader(http.StatusAccepted)
				case r.Method == "GET" && path == "/exports/9":
					reply(w, 200, map[string]any{"url": storage.URL + "/exports/9.csv?token=t"})
				default:
					return false
				}
				return true
			})
			c := f.connector(t, nil)
			c.poll = time.Millisecond
			var names []string
			var failed error
			for rec, err := range c.List(context.Background(), connector.Contact, connector.Query{Async: true}) {
				if err != nil {
					failed = err
					continue
				}
				names = append(names, rec["name"])
				if rec["name"] == "Ada Lovelace" && (rec["phone"] != "+393331111111" || rec["tags"] != "vip, b2b" ||
					rec["email"] != "ada@example.com" || rec["date_updated"] != "2024-02-03" || rec["id"] != "7001") {
					t.Errorf("record = %v", rec)
				}
			}
			if got := strings.Join(names, "|"); got != tt.want {
				t.Errorf("listed %q, want %q", got, tt.want)
			}
			if ce, ok := connector.AsError(failed); tt.fails != (failed != nil) || (failed != nil && (!ok || !ce.Retryable)) {
				t.Errorf("err = %v, want a retryable error: %v", failed, tt.fails)
			}
			if n := len(f.calls("POST /exports/contacts")); n != 1 {
				t.Errorf("%d exports queued, want 1", n)
			}
			if strings.HasPrefix(tt.name, "expired") && len(f.calls("POST /exports/9")) != 1 {
				t.Error("the expired export was not regenerated")
			}
			for _, k := range storageKeys {
				if k != "" {
					t.Error("the API key was sent to the pre-signed download URL")
				}
			}
		})
	}
}
