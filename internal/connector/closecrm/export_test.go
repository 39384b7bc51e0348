package closecrm

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

// Edge cases of the asynchronous export, against canned answers; the happy
// path runs against the sandbox in listing_test.go.

func gzipped(s string) string {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	_, _ = zw.Write([]byte(s))
	_ = zw.Close()
	return b.String()
}

const twoLeads = `{"id":"lead_1","name":"A","contacts":[],"date_created":"2024-01-01T00:00:00+00:00"}
{"id":"lead_2","name":"B","contacts":[],"date_created":"2024-01-01T00:00:01+00:00"}
`

func TestExportEdgeCases(t *testing.T) {
	job := func(status, link string) canned {
		body := fmt.Sprintf(`{"id":"expo_1","status":%q,"download_url":null}`, status)
		if link != "" {
			body = fmt.Sprintf(`{"id":"expo_1","status":%q,"download_url":%q}`, status, link)
		}
		return canned{status: 200, body: body}
	}
	tests := []struct {
		name   string
		answer func(dl string) []canned // after POST /export/lead/; dl is a download URL on the fake
		want   string                   // companies listed, space-separated
		fails  bool                     // List ends with an error
		status int                      // HTTP status of that error
	}{
		{"export failed", func(string) []canned {
			return []canned{job("created", ""), job("error", "")}
		}, "", true, 0},
		{"status checks failing are waited out", func(dl string) []canned {
			return []canned{job("created", ""), {status: 503}, {status: 502}, job("in_progress", ""), job("done", dl),
				{status: 200, body: gzipped(twoLeads)}}
		}, "A B", false, 0},
		{"json array, uncompressed", func(dl string) []canned {
			return []canned{job("done", dl), {status: 200, body: "[" + strings.Replace(strings.TrimSpace(twoLeads), "\n", ",", 1) + "]"}}
		}, "A B", false, 0},
		{"empty file", func(dl string) []canned {
			return []canned{job("done", dl), {status: 200, body: gzipped("")}}
		}, "", false, 0},
		{"expired download", func(dl string) []canned {
			return []canned{job("done", dl), {status: 403, body: "AccessDenied"}}
		}, "", true, 403},
		{"file cut short", func(dl string) []canned { // the leads read so far, then an error
			full := gzipped(twoLeads)
			return []canned{job("done", dl), {status: 200, body: full[:len(full)-12]}}
		}, "A B", true, 200},
		{"done without a link", func(string) []canned {
			return []canned{job("done", "")}
		}, "", true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			c := f.client(t, testKey)
			c.poll = time.Millisecond
			if _, err := c.Columns(context.Background(), connector.Lead); err != nil {
				t.Fatal(err)
			}
			f.resetLog()
			answers := tt.answer(f.srv.URL + "/files/expo_1.json")
			f.push(canned{method: http.MethodPost, status: 200, body: `{"id":"expo_1","status":"created","download_url":null}`})
			for _, a := range answers {
				a.method = http.MethodGet
				f.push(a)
			}
			recs, err := list(c, connector.Lead, connector.Query{Async: true})
			var names []string
			for _, r := range recs {
				names = append(names, r["company"])
			}
			if strings.Join(names, " ") != tt.want {
				t.Errorf("listed %v, want %s", names, tt.want)
			}
			if ce, ok := connector.AsError(err); tt.fails != (err != nil) || (err != nil && (!ok || ce.HTTPStatus != tt.status)) {
				t.Errorf("err = %v, want error %v with status %d", err, tt.fails, tt.status)
			}
			if tt.name == "export failed" || tt.name == "expired download" || tt.name == "file cut short" {
				if ce, _ := connector.AsError(err); ce == nil || !ce.Retryable {
					t.Errorf("err = %v, want retryable (a new export may succeed)", err)
				}
			}
			reqs := f.requests()
			if post := reqs[0]; post.Method != http.MethodPost || post.Path != "/export/lead/" ||
				post.Body["format"] != "json" || post.Body["type"] != "leads" || post.Body["send_done_email"] != false {
				t.Errorf("export request = %+v", post)
			}
			for _, r := range reqs {
				if r.Path == "/files/expo_1.json" && r.User != testKey {
					t.Errorf("download on the API host without the key")
				}
			}
		})
	}
}

// A download URL on another host (a storage bucket) gets no API key.
func TestExportDownloadElsewhereHasNoKey(t *testing.T) {
	var mu sync.Mutex
	var auth []string
	bucket := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auth = append(auth, r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("Content-Encoding", "gzip")
		_, _ = w.Write([]byte(gzipped(twoLeads)))
	}))
	defer bucket.Close()
	f := newFake(t)
	c := f.client(t, testKey)
	if _, err := c.Columns(context.Background(), connector.Contact); err != nil {
		t.Fatal(err)
	}
	f.push(canned{method: http.MethodPost, status: 200,
		body: fmt.Sprintf(`{"id":"expo_9","status":"done","download_url":%q}`, bucket.URL+"/expo_9.json.gz?sig=1")})
	recs, err := list(c, connector.Contact, connector.Query{Async: true})
	if err != nil || len(recs) != 0 { // the two leads have no contacts
		t.Fatalf("contacts %v, %v", recs, err)
	}
	if len(auth) != 1 || auth[0] != "" {
		t.Errorf("Authorization sent to the bucket: %q", auth)
	}
}
