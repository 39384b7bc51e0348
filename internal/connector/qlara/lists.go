package qlara

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/crmload/crmload/internal/connector"
)

// listRef is a resolved contact list.
type listRef struct{ id, name string }

// resolveList turns the "list" option into a list id: "id:N" or a bare
// number is an id, checked with GET /contacts/list/{id}; anything else (or
// "name:…") is a name, looked up with GET /contacts/list?search= and created
// with POST /contacts/list when create_list is set.
func (c *Connector) resolveList(ctx context.Context) (listRef, error) {
	opt := c.listOpt
	if id, ok := strings.CutPrefix(opt, "id:"); ok {
		return c.listByID(ctx, strings.TrimSpace(id))
	}
	if name, ok := strings.CutPrefix(opt, "name:"); ok {
		return c.listByName(ctx, strings.TrimSpace(name))
	}
	if _, err := strconv.ParseInt(opt, 10, 64); err == nil {
		return c.listByID(ctx, opt)
	}
	return c.listByName(ctx, opt)
}

func (c *Connector) listByID(ctx context.Context, id string) (listRef, error) {
	op := "get contact list " + id
	_, body, err := c.do(ctx, http.MethodGet, "/contacts/list/"+url.PathEscape(id), nil, nil, op)
	if ce, ok := connector.AsError(err); ok && ce.HTTPStatus == http.StatusNotFound {
		return listRef{}, fmt.Errorf("contact list %s not found (option list: use the list's id or its name)", id)
	}
	if err != nil {
		return listRef{}, err
	}
	var l contactList
	if err := json.Unmarshal(body, &l); err != nil {
		return listRef{}, fmt.Errorf("%s: unreadable response: %w", op, err)
	}
	if l.IsDeleted {
		return listRef{}, fmt.Errorf("contact list %s (%q) is deleted", id, l.Name)
	}
	return listRef{id: id, name: l.Name}, nil
}

func (c *Connector) listByName(ctx context.Context, name string) (listRef, error) {
	if name == "" {
		return listRef{}, errors.New("option list: empty list name")
	}
	lists, err := c.findLists(ctx, name)
	if err != nil {
		return listRef{}, err
	}
	hits := namedLists(lists, name, func(a, b string) bool { return a == b })
	if len(hits) == 0 {
		hits = namedLists(lists, name, strings.EqualFold)
	}
	switch len(hits) {
	case 1:
		return listRef{id: rawID(hits[0].ID), name: hits[0].Name}, nil
	case 0:
	default:
		ids := make([]string, len(hits))
		for i, l := range hits {
			ids[i] = rawID(l.ID)
		}
		return listRef{}, fmt.Errorf("%d contact lists are named %q (ids %s); set list to \"id:<id>\"", len(hits), name, strings.Join(ids, ", "))
	}
	if c.createList {
		return c.newList(ctx, name)
	}
	all, err := c.findLists(ctx, "")
	if err != nil {
		return listRef{}, err
	}
	if len(all) == 0 {
		return listRef{}, fmt.Errorf("no contact list named %q, and the account has none; set create_list: \"true\" to create it", name)
	}
	names := make([]string, 0, min(len(all), 20))
	for _, l := range all[:min(len(all), 20)] {
		names = append(names, fmt.Sprintf("%q (id %s)", l.Name, rawID(l.ID)))
	}
	more := ""
	if len(all) > 20 {
		more = fmt.Sprintf(" and %d more", len(all)-20)
	}
	return listRef{}, fmt.Errorf("no contact list named %q; available: %s%s (or set create_list: \"true\")", name, strings.Join(names, ", "), more)
}

// namedLists returns the live lists whose name equals name under eq.
func namedLists(lists []contactList, name string, eq func(a, b string) bool) []contactList {
	var out []contactList
	for _, l := range lists {
		if !l.IsDeleted && eq(strings.TrimSpace(l.Name), name) {
			out = append(out, l)
		}
	}
	return out
}

// findLists pages through GET /contacts/list, filtered by search when given.
func (c *Connector) findLists(ctx context.Context, search string) ([]contactList, error) {
	var out []contactList
	prevFirst := ""
	for page := 0; ; page++ {
		q := url.Values{"page": {strconv.Itoa(page)}, "limit": {strconv.Itoa(maxPageSize)}}
		if search != "" {
			q.Set("search", search)
		}
		op := "find contact lists"
		_, body, err := c.do(ctx, http.MethodGet, "/contacts/list", q, nil, op)
		if err != nil {
			return nil, err
		}
		var lists []contactList
		if err := json.Unmarshal(body, &lists); err != nil {
			var env struct {
				Content []contactList `json:"content"`
			}
			if err2 := json.Unmarshal(body, &env); err2 != nil {
				return nil, fmt.Errorf("%s: unreadable response: %w", op, err)
			}
			lists = env.Content
		}
		if len(lists) > 0 {
			// A server that ignored page would loop forever.
			if first := rawID(lists[0].ID); first != "" && first == prevFirst {
				return nil, fmt.Errorf("%s: paging does not advance", op)
			}
			prevFirst = rawID(lists[0].ID)
		}
		out = append(out, lists...)
		if len(lists) < maxPageSize {
			return out, nil
		}
	}
}

// newList creates the list (POST /contacts/list, answered 201 with the list).
func (c *Connector) newList(ctx context.Context, name string) (listRef, error) {
	op := "create contact list " + strconv.Quote(name)
	_, body, err := c.do(ctx, http.MethodPost, "/contacts/list", nil, newList{Name: name, Description: "Created by crmload"}, op)
	if err != nil {
		return listRef{}, err
	}
	var l contactList
	if err := json.Unmarshal(body, &l); err != nil || rawID(l.ID) == "" {
		return listRef{}, fmt.Errorf("%s: the answer carries no list id", op)
	}
	return listRef{id: rawID(l.ID), name: name}, nil
}
