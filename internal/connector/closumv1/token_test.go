package closumv1

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/connector"
	"github.com/crmload/crmload/mapping"
)

// listOnce makes one authorised call (a page of contacts) and marks the
// test failed on error; it may run in any goroutine.
func listOnce(t *testing.T, c *Client) {
	t.Helper()
	for _, err := range c.List(context.Background(), connector.Contact, connector.Query{}) {
		if err != nil {
			t.Errorf("list: %v", err)
		}
	}
}

// bearers returns the Authorization headers of the API calls (not /token).
func bearers(f *fakeV1) []string {
	var out []string
	for _, r := range f.requests() {
		if r.Path != "/api/token" {
			out = append(out, r.Auth)
		}
	}
	return out
}

func TestTokenRenewedBeforeExpiry(t *testing.T) {
	for _, tc := range []struct {
		name      string
		expiresIn int
		before    time.Duration // no renewal yet at this age
		after     time.Duration // renewed at this age
	}{
		// 1 h: 90% (54 min) comes before 60 s ahead (59 min).
		{"long life renews at 90%", 3600, 53 * time.Minute, 55 * time.Minute},
		// 5 min: 60 s ahead (4 min) comes before 90% (4.5 min).
		{"short life renews 60s ahead", 300, 3*time.Minute + 50*time.Second, 4*time.Minute + 10*time.Second},
		// 7 days, the documented example.
		{"documented week", 604800, 6 * 24 * time.Hour, 6*24*time.Hour + 12*time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			f.expiresIn = tc.expiresIn
			c := f.client(t, nil)
			clk := newClock()
			c.now = clk.Now
			if err := c.Prepare(context.Background(), connector.Contact, nil); err != nil {
				t.Fatal(err)
			}
			start := clk.Now()
			listOnce(t, c)
			clk.t = start.Add(tc.before)
			listOnce(t, c)
			if n := f.tokenCalls(); n != 1 {
				t.Fatalf("token calls at %v = %d, want 1 (no renewal yet)", tc.before, n)
			}
			clk.t = start.Add(tc.after)
			listOnce(t, c)
			if n := f.tokenCalls(); n != 2 {
				t.Fatalf("token calls at %v = %d, want 2 (renewed before expiry)", tc.after, n)
			}
			b := bearers(f)
			if b[0] != b[1] || b[2] == b[1] || b[2] != "Bearer eyJ.tok-2.sig" {
				t.Errorf("bearers = %v, want the first token twice then the new one", b)
			}
		})
	}
}

func TestTokenLife(t *testing.T) {
	issued := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		d    tokenData
		want time.Duration
	}{
		{"expires_in wins", tokenData{ExpiresIn: 600, ExpirationDate: "2025-01-02T00:00:00+00:00"}, 10 * time.Minute},
		{"expiration_date", tokenData{ExpirationDate: "2025-01-01T02:00:00+00:00"}, 2 * time.Hour},
		{"date in the past", tokenData{ExpirationDate: "2024-01-01T00:00:00+00:00"}, unknownLife},
		{"nothing", tokenData{}, unknownLife},
	} {
		if got := tokenLife(tc.d, issued); got != tc.want {
			t.Errorf("%s: life = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// Twenty workers find the token expired at once: one renewal serves all.
func TestTokenSingleRenewalUnderConcurrency(t *testing.T) {
	f := newFake(t)
	f.expiresIn = 3600
	c := f.client(t, nil)
	clk := newClock()
	c.now = clk.Now
	if err := c.Prepare(context.Background(), connector.Lead, nil); err != nil {
		t.Fatal(err)
	}
	clk.Add(2 * time.Hour) // expired
	f.mu.Lock()
	f.tokenDelay = 100 * time.Millisecond // the renewal is slow: everyone piles up behind it
	f.mu.Unlock()

	var wg sync.WaitGroup
	errs := make(chan error, 20)
	start := make(chan struct{})
	for i := range 20 {
		wg.Go(func() {
			<-start
			rec := mapping.Record{"name": "W", "email": "w" + string(rune('a'+i)) + "@example.com"}
			_, err := c.Write(context.Background(), connector.Lead, rec, connector.WriteOptions{Mode: connector.Create})
			errs <- err
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("write: %v", err)
		}
	}
	if n := f.tokenCalls(); n != 2 {
		t.Fatalf("token calls = %d, want 2 (Prepare's and exactly one renewal)", n)
	}
	for _, b := range bearers(f) {
		if b != "Bearer eyJ.tok-2.sig" {
			t.Fatalf("a write used %q, want the renewed token", b)
		}
	}
	if n := len(f.all("lead")); n != 20 {
		t.Errorf("leads = %d, want 20", n)
	}
}

// A token refused before its time is renewed once, and the call sent again.
func TestTokenRenewedOnceOn401(t *testing.T) {
	f := newFake(t)
	c := f.client(t, nil)
	ctx := context.Background()
	if err := c.Prepare(ctx, connector.Lead, nil); err != nil {
		t.Fatal(err)
	}
	f.revokeAll()
	res, err := c.Write(ctx, connector.Lead, mapping.Record{"email": "a@example.com"}, connector.WriteOptions{Mode: connector.Create})
	if err != nil || res.Status != connector.Created {
		t.Fatalf("write = %+v, %v", res, err)
	}
	if n := f.tokenCalls(); n != 2 {
		t.Errorf("token calls = %d, want 2", n)
	}
	if n := f.count(http.MethodPost, "/api/lead"); n != 2 {
		t.Errorf("POST /lead = %d, want 2 (refused, then sent again)", n)
	}
	if n := len(f.all("lead")); n != 1 {
		t.Errorf("leads = %d, want 1", n)
	}

	// Twenty workers refused with the same token share one renewal.
	f.revokeAll()
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() { listOnce(t, c) })
	}
	wg.Wait()
	if n := f.tokenCalls(); n != 3 {
		t.Errorf("token calls after 20 refused workers = %d, want 3", n)
	}
}

// A server that refuses even a fresh token is an Auth error after exactly
// one renewal, not a loop.
func TestToken401AfterRenewalIsAuth(t *testing.T) {
	f := newFake(t)
	c := f.client(t, nil)
	ctx := context.Background()
	if err := c.Prepare(ctx, connector.Lead, nil); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		f.queue(canned{method: http.MethodPost, prefix: "/api/lead", status: 401,
			body: `{"success":false,"data":{"message":"Token rejected: {auth}","code":401}}`})
	}
	_, err := c.Write(ctx, connector.Lead, mapping.Record{"email": "a@example.com"}, connector.WriteOptions{Mode: connector.Create})
	ce, ok := connector.AsError(err)
	if !ok || !ce.Auth || ce.Retryable || ce.HTTPStatus != 401 {
		t.Fatalf("err = %#v, want an Auth 401", err)
	}
	if n := f.tokenCalls(); n != 2 {
		t.Errorf("token calls = %d, want 2", n)
	}
	if strings.Contains(err.Error(), "tok-") {
		t.Errorf("error shows a token: %v", err)
	}
}

func TestBadCredentialsAreAuth(t *testing.T) {
	for _, style := range []string{"401", "200"} {
		t.Run(style, func(t *testing.T) {
			f := newFake(t)
			f.badCreds = style
			c := f.clientAs(t, testUser, "wrong-"+testPW, nil)
			err := c.Prepare(context.Background(), connector.Lead, nil)
			ce, ok := connector.AsError(err)
			if !ok || !ce.Auth || ce.Retryable {
				t.Fatalf("Prepare = %#v, want an Auth error", err)
			}
			msg := err.Error()
			if strings.Contains(msg, "s3cr3t") || strings.Contains(msg, `\u003cs3cr3t`) {
				t.Errorf("error shows the password: %s", msg)
			}
			if !strings.Contains(msg, testUser) || !strings.Contains(msg, "REDACTED") {
				t.Errorf("error %q should name the user and show the redacted echo", msg)
			}
		})
	}
}

func TestPasswordFallsBackToAPIKey(t *testing.T) {
	f := newFake(t)
	conn, err := New(connector.Config{BaseURL: f.srv.URL + "/api", Username: testUser, APIKey: testPW})
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.Prepare(context.Background(), connector.Lead, nil); err != nil {
		t.Fatalf("Prepare with the password in APIKey: %v", err)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, cfg := range []connector.Config{
		{BaseURL: "https://x/api", Password: "p"},
		{BaseURL: "https://x/api", Username: "u"},
		{BaseURL: "ftp://x/api", Username: "u", Password: "p"},
		{BaseURL: "https://x/api", Username: "u", Password: "p", Options: map[string]string{"page_size": "0"}},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) = nil error", cfg)
		}
	}
}
