package api_test

import (
	"context"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/seamhq/seam/platform/listing"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

func (e *env) contactsPage(ctx context.Context, orderBy, filter, token string, size int32) (sortPage, error) {
	resp, err := e.contacts.ListContacts(ctx, &crmv1.ListContactsRequest{OrderBy: orderBy, Filter: filter, PageToken: token, PageSize: size})
	var p sortPage
	for _, c := range resp.GetContacts() {
		p.ids = append(p.ids, c.GetId())
	}
	p.next = resp.GetNextPageToken()
	return p, err
}

// seedContactSortRows inserts contacts whose names are foldOrder's, each
// twice, out of order, with repeating create times and random ids, and
// returns them keyed by their name's place in foldOrder.
func (e *env) seedContactSortRows(t *testing.T) []sortRow {
	t.Helper()
	owners := []string{"ana", "bo", "cy"}
	n := len(foldOrder)
	var rows []sortRow
	for i := range 2 * n {
		name := (i * 5) % n
		created := sortTimes[i%len(sortTimes)]
		r := sortRow{id: uuid.NewString(), owner: owners[i%3], keys: map[string]any{"name": name, "create_time": created}}
		if _, err := e.db.Exec(t.Context(), `INSERT INTO contacts (id, name, email, email_key, owner, version, create_time, update_time)
VALUES ($1, $2, '', '', $3, 1, $4, $4)`, r.id, foldOrder[name], r.owner, created); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r)
	}
	return rows
}

// Contacts sort by name regardless of case ("alpha" before "Zeta",
// "Émile" beside "émile", ties by the name itself) and by create time,
// ties by id: paged through a row or a few at a time, in either
// direction, with and without the owner filter, every row comes once, in
// that order.
func TestListContactsOrders(t *testing.T) {
	e := newEnv(t)
	rows := e.seedContactSortRows(t)
	ctx := e.sales()
	for _, field := range []string{"name", "create_time"} {
		for _, desc := range []bool{false, true} {
			for _, owner := range []string{"", "bo"} {
				filter := ""
				if owner != "" {
					filter = `owner = "` + owner + `"`
				}
				orderBy := field
				if desc {
					orderBy += " desc"
				}
				want := sortedIDs(rows, field, desc, owner, "")
				for _, size := range []int32{1, 2, 3, 0} {
					if got := readAll(t, ctx, e.contactsPage, orderBy, filter, size); !slices.Equal(got, want) {
						t.Errorf("contacts order_by %q, filter %q, page size %d:\n got %v\nwant %v", orderBy, filter, size, got, want)
					}
				}
			}
		}
	}
}

// A bad order_by names order_by; a page token continues only the order
// it was issued for, and one holding the name alone (no folded name) is
// refused, naming page_token.
func TestListContactsOrderErrors(t *testing.T) {
	e := newEnv(t)
	rows := e.seedContactSortRows(t)
	ctx := e.sales()
	if _, err := e.contactsPage(ctx, "email", "", "", 3); !slices.Equal(violations(t, err), []string{"order_by"}) {
		t.Errorf("order_by email: %v, want order_by invalid", err)
	}
	p, err := e.contactsPage(ctx, "name", "", "", 3)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.contactsPage(ctx, "create_time", "", p.next, 3); !slices.Equal(violations(t, err), []string{"page_token"}) {
		t.Errorf("a name token with order_by create_time: %v, want page_token invalid", err)
	}
	if _, err := e.contactsPage(ctx, " name  ASC", "", p.next, 3); err != nil {
		t.Errorf("a name token with order_by %q: %v", " name  ASC", err)
	}
	bare := listing.Token{After: []string{"Zoe", rows[0].id}, Query: listing.RequestDigest(&crmv1.ListContactsRequest{OrderBy: "name"})}.Encode()
	if _, err := e.contactsPage(ctx, "name", "", bare, 3); !slices.Equal(violations(t, err), []string{"page_token"}) {
		t.Errorf("a token of the name alone: %v, want page_token invalid", err)
	}
}
