package api_test

import (
	"context"
	"math"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/seamhq/seam/platform/auth"
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

func (e *env) campaignsPage(ctx context.Context, orderBy, filter, token string, size int32) (sortPage, error) {
	resp, err := e.campaigns.ListCampaigns(ctx, &crmv1.ListCampaignsRequest{OrderBy: orderBy, Filter: filter, PageToken: token, PageSize: size})
	var p sortPage
	for _, c := range resp.GetCampaigns() {
		p.ids = append(p.ids, c.GetId())
	}
	p.next = resp.GetNextPageToken()
	return p, err
}

// campaignStart is the start date of the i-th seeded campaign, repeating,
// or none (nil) for every fifth one.
func campaignStart(i int) *time.Time {
	if i%5 == 4 {
		return nil
	}
	d := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, (i*7)%4)
	return &d
}

// seedCampaignSortRows inserts campaigns whose names are foldOrder's,
// each twice, out of order, with repeating start dates (every fifth
// campaign without one) and create times, and random ids, and returns
// them keyed by their name's place in foldOrder, their start date's day
// (no date as the largest) and their create time.
func (e *env) seedCampaignSortRows(t *testing.T) []sortRow {
	t.Helper()
	owners := []string{"ana", "bo", "cy"}
	n := len(foldOrder)
	var rows []sortRow
	for i := range 2 * n {
		name := (i * 3) % n
		created := sortTimes[i%len(sortTimes)]
		start := campaignStart(i)
		day := math.MaxInt
		if start != nil {
			day = int(start.Unix() / 86400)
		}
		r := sortRow{id: uuid.NewString(), owner: owners[i%3], keys: map[string]any{"name": name, "start_date": day, "create_time": created}}
		if _, err := e.db.Exec(t.Context(), `INSERT INTO campaigns (id, name, start_date, status, owner, version, create_time, update_time)
VALUES ($1, $2, $3, 'planned', $4, 1, $5, $5)`, r.id, foldOrder[name], start, r.owner, created); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r)
	}
	return rows
}

// Campaigns sort by name regardless of case, by start date (campaigns of
// none last ascending, first descending) and by create time, ties by id:
// paged through a row or a few at a time, in either direction, with and
// without the owner filter, every row comes once, in that order. A date
// range filter keeps its rows in the order.
func TestListCampaignsOrders(t *testing.T) {
	e := newEnv(t)
	rows := e.seedCampaignSortRows(t)
	ctx := e.sales()
	for _, field := range []string{"name", "start_date", "create_time"} {
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
					if got := readAll(t, ctx, e.campaignsPage, orderBy, filter, size); !slices.Equal(got, want) {
						t.Errorf("campaigns order_by %q, filter %q, page size %d:\n got %v\nwant %v", orderBy, filter, size, got, want)
					}
				}
			}
		}
	}
	// Dated campaigns from 2030-01-02 on, by start date descending.
	var dated []sortRow
	for _, r := range rows {
		if d := r.keys["start_date"].(int); d != math.MaxInt && d >= int(time.Date(2030, 1, 2, 0, 0, 0, 0, time.UTC).Unix()/86400) {
			dated = append(dated, r)
		}
	}
	want := sortedIDs(dated, "start_date", true, "", "")
	if got := readAll(t, ctx, e.campaignsPage, "start_date desc", `start_date >= "2030-01-02"`, 2); len(want) == 0 || !slices.Equal(got, want) {
		t.Errorf("campaigns from 2030-01-02 by start date desc:\n got %v\nwant %v", got, want)
	}
}

// A bad order_by names order_by; a page token continues only the order
// it was issued for; a start date token that is not a date is refused.
func TestListCampaignsOrderErrors(t *testing.T) {
	e := newEnv(t)
	rows := e.seedCampaignSortRows(t)
	ctx := e.sales()
	if _, err := e.campaignsPage(ctx, "end_date", "", "", 3); !slices.Equal(violations(t, err), []string{"order_by"}) {
		t.Errorf("order_by end_date: %v, want order_by invalid", err)
	}
	p, err := e.campaignsPage(ctx, "start_date", "", "", 3)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.campaignsPage(ctx, "start_date desc", "", p.next, 3); !slices.Equal(violations(t, err), []string{"page_token"}) {
		t.Errorf("an ascending token with order_by start_date desc: %v, want page_token invalid", err)
	}
	bad := listing.Token{After: []string{"soon", rows[0].id}, Query: listing.RequestDigest(&crmv1.ListCampaignsRequest{OrderBy: "start_date"})}.Encode()
	if _, err := e.campaignsPage(ctx, "start_date", "", bad, 3); !slices.Equal(violations(t, err), []string{"page_token"}) {
		t.Errorf("a start date token of no date: %v, want page_token invalid", err)
	}
}

// order_by is a query parameter of the contacts' and campaigns' REST
// routes.
func TestListContactsCampaignsOrderREST(t *testing.T) {
	e := newEnv(t)
	contacts := e.seedContactSortRows(t)
	campaigns := e.seedCampaignSortRows(t)
	tok := token(t, auth.Sales)
	for _, tc := range []struct {
		path, orderBy, list string
		rows                []sortRow
		field               string
		desc                bool
	}{
		{"/v1/contacts", "name", "contacts", contacts, "name", false},
		{"/v1/campaigns", "name", "campaigns", campaigns, "name", false},
		{"/v1/campaigns", "start_date desc", "campaigns", campaigns, "start_date", true},
	} {
		q := url.Values{"order_by": {tc.orderBy}, "page_size": {"1000"}}
		status, body := e.call(http.MethodGet, tc.path+"?"+q.Encode(), tok, nil)
		if status != http.StatusOK {
			t.Errorf("GET %s by %s: %d %v", tc.path, tc.orderBy, status, body)
			continue
		}
		var got []string
		for _, r := range body[tc.list].([]any) {
			got = append(got, r.(map[string]any)["id"].(string))
		}
		if want := sortedIDs(tc.rows, tc.field, tc.desc, "", ""); !slices.Equal(got, want) {
			t.Errorf("GET %s by %s: got %v, want %v", tc.path, tc.orderBy, got, want)
		}
	}
}
