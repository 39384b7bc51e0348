package closecrm

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crmload/crmload/internal/sandbox"
)

func urlQuery(q string) string { return url.QueryEscape(q) }

func TestQuery(t *testing.T) {
	clock := time.Date(2024, 1, 10, 9, 0, 0, 0, time.UTC)
	e := start(t, sandbox.Options{Now: func() time.Time { return clock }})
	mk := func(name, email, phone, status string) string {
		c := map[string]any{"name": name + " person"}
		if email != "" {
			c["emails"] = []any{map[string]any{"email": email}}
		}
		if phone != "" {
			c["phones"] = []any{map[string]any{"phone": phone}}
		}
		id := e.createLead(map[string]any{"name": name, "status": status, "contacts": []any{c}})
		clock = clock.Add(24 * time.Hour)
		return id
	}
	acme := mk("Acme", "Sales@Acme.com", "+1 650-333-4444", "Potential")     // 2024-01-10
	bluth := mk("Bluth Company", "gob@example.com", "8004445555", "Bad Fit") // 2024-01-11
	wayne := mk("Wayne", "bruce@wayne.com", "", "Qualified")                 // 2024-01-12
	// Updating Acme on 2024-01-13 moves its date_updated only.
	e.do("PUT", "/lead/"+acme+"/", map[string]any{"description": "touched"}).must(t, http.StatusOK)

	tests := []struct {
		query string
		want  []string
	}{
		{`email_address:"sales@acme.com"`, []string{acme}},
		{`email_address:SALES@ACME.COM`, []string{acme}},
		{`email_address:"acme.com"`, nil},
		{`phone:"6503334444"`, []string{acme}},
		{`phone:"+1 (800) 444-5555"`, []string{bluth}},
		{`phone:"12"`, nil},
		{`name:"bluth company"`, []string{bluth}},
		{`name:"Bluth"`, nil},
		{`status:bad_fit`, []string{bluth}},
		{`lead_status:"Qualified"`, []string{wayne}},
		{`*`, []string{acme, bluth, wayne}},
		{`created > 2024-01-10`, []string{bluth, wayne}},
		{`created >= 2024-01-11 created <= 2024-01-11`, []string{bluth}},
		{`created > "2024-01-11 08:59:59"`, []string{bluth, wayne}},
		{`created < "2024-01-11T09:00:00Z"`, []string{acme}},
		{`updated > "2024-01-12 09:00:00"`, []string{acme}},
		{`updated >= 2024-01-13 sort:-created`, []string{acme}},
		{`created <= 2 days ago`, []string{acme, bluth}},
		{`created:2024-01-12`, []string{wayne}},
		{`name:Acme or name:Wayne`, []string{acme, wayne}},
		{`not name:Acme and email_address:"gob@example.com"`, []string{bluth}},
		{`(status:potential or status:qualified) and created > 2024-01-10`, []string{wayne}},
		{`sort:-created`, []string{wayne, bluth, acme}},
		{`* sort:name`, []string{acme, bluth, wayne}},
		{`sort:-updated`, []string{acme, wayne, bluth}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			b := e.do("GET", "/lead/?query="+urlQuery(tt.query), nil).must(t, http.StatusOK)
			got := ids(data(t, b))
			if !slices.Equal(got, tt.want) && !(len(got) == 0 && len(tt.want) == 0) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			if n, _ := b["total_results"].(float64); int(n) != len(tt.want) {
				t.Errorf("total_results %v, want %d", b["total_results"], len(tt.want))
			}
		})
	}

	bad := []string{
		`acme`,                             // free text
		`email:"sales@acme.com"`,           // undocumented keyword
		`date_updated > "2024-01-01"`,      // the doc shows updated, not date_updated
		`created > "yesterday-ish"`,        // not a date
		`name:"unterminated`,               //
		`(name:Acme`,                       //
		`name:Acme sort:created sort:name`, // two sorts
		`name:Acme or sort:created`,        // sort not at the top level
		`sort:email`,                       //
		`name > "Acme"`,                    //
	}
	for _, q := range bad {
		t.Run("bad "+q, func(t *testing.T) {
			r := e.do("GET", "/lead/?query="+urlQuery(q), nil)
			if msg, _ := r.must(t, http.StatusBadRequest)["error"].(string); msg == "" {
				t.Errorf("400 without an error message: %s", r.raw)
			}
		})
	}
}

func TestQueryTimezoneAndOverride(t *testing.T) {
	e := start(t, sandbox.Options{Now: func() time.Time { return time.Date(2024, 3, 1, 2, 0, 0, 0, time.UTC) }})
	id := e.createLead(map[string]any{"name": "Late"})
	// 02:00 UTC on 1 March is still 29 February at UTC-8.
	for _, tt := range []struct {
		tz   string
		want int
	}{{"", 1}, {"-8", 0}, {"-2.5", 0}, {"+3", 1}} {
		r := e.doWith("GET", "/lead/?query="+urlQuery("created:2024-03-01"), nil, func(r *http.Request) {
			r.SetBasicAuth(e.key, "")
			if tt.tz != "" {
				r.Header.Set("x-tz-offset", tt.tz)
			}
		})
		if got := len(data(t, r.must(t, http.StatusOK))); got != tt.want {
			t.Errorf("x-tz-offset %q: %d leads, want %d", tt.tz, got, tt.want)
		}
	}
	// A GET sent as POST with x-http-method-override and _params.
	r := e.doWith("POST", "/lead/", map[string]any{"_params": map[string]any{"query": `name:"late"`, "_limit": 5}},
		func(r *http.Request) {
			r.SetBasicAuth(e.key, "")
			r.Header.Set("x-http-method-override", "GET")
		})
	if got := ids(data(t, r.must(t, http.StatusOK))); !slices.Equal(got, []string{id}) {
		t.Errorf("override GET = %v", got)
	}
	if len(e.fake.Leads()) != 1 {
		t.Errorf("override GET created a lead")
	}
}

func TestPaging(t *testing.T) {
	e := start(t, sandbox.Options{})
	const n = 257
	var want []string
	for i := range n {
		l, err := e.fake.AddLead(map[string]any{"name": fmt.Sprintf("Lead %03d", i)})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, l.ID)
	}
	for _, limit := range []int{100, 37, 1} {
		t.Run(fmt.Sprint("limit ", limit), func(t *testing.T) {
			var got []string
			pages := 0
			for skip := 0; ; skip += limit {
				b := e.do("GET", fmt.Sprintf("/lead/?_skip=%d&_limit=%d&_fields=id,name", skip, limit), nil).must(t, http.StatusOK)
				page := data(t, b)
				got = append(got, ids(page)...)
				pages++
				if b["total_results"] != float64(n) {
					t.Fatalf("total_results %v", b["total_results"])
				}
				if len(page) > 0 && len(page[0]) != 2 {
					t.Fatalf("_fields=id,name gave %v", page[0])
				}
				more := b["has_more"].(bool)
				if more != (len(got) < n) {
					t.Fatalf("has_more %v after %d of %d", more, len(got), n)
				}
				if !more {
					break
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("paged %d leads in %d pages; lost or repeated some", len(got), pages)
			}
		})
	}
	// A query's results page the same way.
	var got []string
	for skip := 0; ; skip += 100 {
		b := e.do("GET", fmt.Sprintf("/lead/?query=%s&_skip=%d", urlQuery("created >= 2000-01-01 sort:-created"), skip), nil).must(t, http.StatusOK)
		got = append(got, ids(data(t, b))...)
		if !b["has_more"].(bool) {
			break
		}
	}
	slices.Reverse(got)
	if !slices.Equal(got, want) {
		t.Errorf("paged query lost or repeated leads: %d of %d", len(got), n)
	}
	if b := e.do("GET", "/lead/", nil).must(t, http.StatusOK); len(data(t, b)) != 100 {
		t.Errorf("default _limit gave %d leads, want 100", len(data(t, b)))
	}

	e.fake.SetMaxSkip(200)
	for _, q := range []string{"_limit=101", "_skip=201", "_limit=-1", "_skip=abc", "limit=5", "lead_id=x"} {
		t.Run(q, func(t *testing.T) {
			r := e.do("GET", "/lead/?"+q, nil)
			if msg, _ := r.must(t, http.StatusBadRequest)["error"].(string); !strings.Contains(msg, strings.SplitN(q, "=", 2)[0]) {
				t.Errorf("message %q does not name the parameter", msg)
			}
		})
	}
	e.do("GET", "/lead/?_skip=200", nil).must(t, http.StatusOK)
	e.do("GET", "/contact/?_limit=101", nil).must(t, http.StatusBadRequest)
}
