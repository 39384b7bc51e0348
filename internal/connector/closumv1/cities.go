package closumv1

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/crmload/crmload/internal/connector"
)

// cityTable is GET /city, read once: leads carry a city_id, records a name.
type cityTable struct {
	byKey map[string][]string // cityKey(name) → ids
	names map[string]string   // id → name
	none  bool                // the API has no city list (404/405)
}

// cityTable loads the city list once per client.
func (c *Client) cityTable(ctx context.Context) (cityTable, error) {
	return c.cities.get(ctx, c.loadCities)
}

func (c *Client) loadCities(ctx context.Context) (cityTable, error) {
	t := cityTable{byKey: map[string][]string{}, names: map[string]string{}}
	err := listPages(ctx, c, "list cities", "city", "asc", func(rows []city) error {
		for _, ct := range rows {
			id := string(ct.ID)
			if id == "" {
				continue
			}
			t.names[id] = ct.Name
			k := cityKey(ct.Name)
			t.byKey[k] = append(t.byKey[k], id)
		}
		return nil
	})
	if ce, ok := connector.AsError(err); ok && (ce.HTTPStatus == http.StatusNotFound || ce.HTTPStatus == http.StatusMethodNotAllowed) {
		t.none = true
		return t, nil
	}
	return t, err
}

// cityID resolves a city name to its id: ignoring case, accents and runs of
// spaces; an exact (case-insensitive) spelling wins over an accent-free one.
func (c *Client) cityID(ctx context.Context, name string) (int, error) {
	t, err := c.cityTable(ctx)
	if err != nil {
		return 0, err
	}
	if t.none {
		return 0, fmt.Errorf("this Closum has no city list (GET /city is not found); map city_id instead")
	}
	ids := t.byKey[cityKey(name)]
	if len(ids) > 1 {
		var exact []string
		for _, id := range ids {
			if sameText(t.names[id], name) {
				exact = append(exact, id)
			}
		}
		if len(exact) > 0 {
			ids = exact
		}
	}
	switch len(ids) {
	case 0:
		return 0, fmt.Errorf("no Closum city of that name")
	case 1:
		return strconv.Atoi(ids[0])
	}
	sort.Strings(ids)
	return 0, fmt.Errorf("several Closum cities have that name (ids %s); map city_id instead", strings.Join(ids, ", "))
}

// cityName returns the name of a city id from the loaded list, "" when the
// list is not loaded or has no such id.
func (c *Client) cityName(id string) string {
	t, ok := c.cities.loaded()
	if !ok || id == "" {
		return ""
	}
	return t.names[id]
}

// cityKey folds a city name for comparison: lower case, no accents, single spaces.
func cityKey(name string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	s, _, err := transform.String(t, name)
	if err != nil {
		s = name
	}
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}
