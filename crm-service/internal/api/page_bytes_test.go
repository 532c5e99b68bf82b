package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/jackc/pgx/v5"

	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/listing"
	"github.com/seamhq/seam/platform/listing/listingtest"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

// A gRPC client with default limits receives at most 4 MiB. Opportunities
// of hundreds of lines at the largest page size would make a page above
// that, which such a client refuses (RESOURCE_EXHAUSTED) however often it
// asks: the list and the feed end such a page early instead, and their
// token and cursor continue after its last item, so every page arrives
// and every opportunity and event comes once.
func TestLargePagesFitDefaultClients(t *testing.T) {
	e := newEnv(t)
	sku := "SKU-WITH-A-RATHER-LONG-CODE-FOR-ITS-SIZE"
	e.seedProducts(product(sku, "Part", "1.00"))
	a := e.createAccount("Many Lines")
	lines := make([]*crmv1.OpportunityLine, 500)
	for i := range lines {
		lines[i] = line(sku, fmt.Sprint(i+1))
	}
	size, created := 0, map[string]bool{}
	for size <= 4<<20 {
		o := e.createOpportunity(a.Id, lines...)
		created[o.Id] = true
		size += proto.Size(o)
	}

	seen := map[string]bool{}
	token := ""
	for pages := 0; ; pages++ {
		resp, err := e.opportunities.ListOpportunities(e.sales(), &crmv1.ListOpportunitiesRequest{PageSize: 1000, PageToken: token})
		if err != nil {
			t.Fatalf("page %d: %v", pages, err)
		}
		if n := proto.Size(resp); n > listing.MaxPageBytes+1024 {
			t.Errorf("page %d is %d bytes", pages, n)
		}
		for _, o := range resp.Opportunities {
			if seen[o.Id] {
				t.Errorf("opportunity %s listed twice", o.Id)
			}
			seen[o.Id] = true
		}
		if token = resp.NextPageToken; token == "" {
			break
		}
	}
	if len(seen) != len(created) {
		t.Errorf("listed %d opportunities, created %d", len(seen), len(created))
	}

	events := map[string]bool{}
	after := ""
	for {
		resp, err := e.events.ListEvents(e.bridge(), &crmv1.ListEventsRequest{After: after, PageSize: 1000})
		if err != nil {
			t.Fatalf("events after %q: %v", after, err)
		}
		if len(resp.Events) == 0 {
			break
		}
		for _, ev := range resp.Events {
			if ev.Type == "opportunity.created" {
				if events[ev.Key] {
					t.Errorf("event of %s read twice", ev.Key)
				}
				events[ev.Key] = true
			}
		}
		after = resp.NextCursor
	}
	if len(events) != len(created) {
		t.Errorf("read %d opportunity.created events, created %d opportunities", len(events), len(created))
	}
}

// Accounts, contacts and leads of the longest texts, activities and cases
// of the longest descriptions, products of long promise schedules and
// audit entries of long values would make pages above listing.MaxPageBytes
// (most of them above the 4 MiB a gRPC client accepts by default): each
// list ends such a page early and its token continues after its last
// item, so every page arrives and every item comes once. The rows are
// written straight into the tables: only the lists are under test.
func TestLargeListPagesFitDefaultClients(t *testing.T) {
	e := newEnv(t)
	ctx := e.as(auth.Admin)
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := e.db.Exec(context.Background(), sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	// text is n characters of four bytes each: the most bytes a text of
	// n characters takes.
	text := func(n int) string { return strings.Repeat("\U0001D538", n) }
	website := "https://example.com/" + strings.Repeat("w", 2048-20)
	const account = "00000000-0000-4000-8000-000000000001"
	exec(`INSERT INTO accounts (id, name, version, create_time, update_time) VALUES ($1, 'Holder', 1, now(), now())`, account)

	tests := []struct {
		name string
		// seed writes the rows and returns how many items the list has.
		seed func() int
		list func(token string) (listingtest.Page, error)
	}{
		{
			name: "accounts",
			seed: func() int {
				exec(`INSERT INTO accounts (id, name, website, industry, owner, version, create_time, update_time)
					SELECT gen_random_uuid(), $1, $2, $1, $1, 1, now(), now() FROM generate_series(1, 999)`, text(200), website)
				return 1000
			},
			list: func(token string) (listingtest.Page, error) {
				resp, err := e.accounts.ListAccounts(ctx, &crmv1.ListAccountsRequest{PageSize: 1000, PageToken: token})
				p := listingtest.Page{Size: proto.Size(resp), Next: resp.GetNextPageToken()}
				for _, a := range resp.GetAccounts() {
					p.Keys = append(p.Keys, a.GetId())
				}
				return p, err
			},
		},
		{
			name: "contacts",
			seed: func() int {
				exec(`INSERT INTO contacts (id, account_id, name, email, phone, title, role, owner, version, create_time, update_time)
					SELECT gen_random_uuid(), $1, $2, $3, '+1 555 0100 0100', $2, $2, $2, 1, now(), now() FROM generate_series(1, 1000)`,
					account, text(200), strings.Repeat("e", 240)+"@example.com")
				return 1000
			},
			list: func(token string) (listingtest.Page, error) {
				resp, err := e.contacts.ListContacts(ctx, &crmv1.ListContactsRequest{PageSize: 1000, PageToken: token})
				p := listingtest.Page{Size: proto.Size(resp), Next: resp.GetNextPageToken()}
				for _, c := range resp.GetContacts() {
					p.Keys = append(p.Keys, c.GetId())
				}
				return p, err
			},
		},
		{
			name: "leads",
			seed: func() int {
				exec(`INSERT INTO leads (id, name, company, title, website, source, owner, status, version, create_time, update_time)
					SELECT gen_random_uuid(), $1, $1, $1, $2, $1, $1, 'new', 1, now(), now() FROM generate_series(1, 1000)`, text(200), website)
				return 1000
			},
			list: func(token string) (listingtest.Page, error) {
				resp, err := e.leads.ListLeads(ctx, &crmv1.ListLeadsRequest{PageSize: 1000, PageToken: token})
				p := listingtest.Page{Size: proto.Size(resp), Next: resp.GetNextPageToken()}
				for _, l := range resp.GetLeads() {
					p.Keys = append(p.Keys, l.GetId())
				}
				return p, err
			},
		},
		{
			name: "activities",
			seed: func() int {
				exec(`INSERT INTO activities (id, type, subject, description, account_id, owner, version, create_time, update_time)
					SELECT gen_random_uuid(), 'call', $1, $2, $3, $1, 1, now(), now() FROM generate_series(1, 110)`, text(200), text(10000), account)
				return 110
			},
			list: func(token string) (listingtest.Page, error) {
				resp, err := e.activities.ListActivities(ctx, &crmv1.ListActivitiesRequest{PageSize: 1000, PageToken: token})
				p := listingtest.Page{Size: proto.Size(resp), Next: resp.GetNextPageToken()}
				for _, a := range resp.GetActivities() {
					p.Keys = append(p.Keys, a.GetId())
				}
				return p, err
			},
		},
		{
			name: "cases",
			seed: func() int {
				exec(`INSERT INTO cases (id, subject, description, account_id, priority, status, owner, sla_due_time, version, create_time, update_time)
					SELECT gen_random_uuid(), $1, $2, $3, 'normal', 'new', $1, now() + interval '1 day', 1, now(), now()
					FROM generate_series(1, 110)`, text(200), text(10000), account)
				return 110
			},
			list: func(token string) (listingtest.Page, error) {
				resp, err := e.cases.ListCases(ctx, &crmv1.ListCasesRequest{PageSize: 1000, PageToken: token})
				p := listingtest.Page{Size: proto.Size(resp), Next: resp.GetNextPageToken()}
				for _, c := range resp.GetCases() {
					p.Keys = append(p.Keys, c.GetId())
				}
				return p, err
			},
		},
		{
			name: "products",
			seed: func() int {
				exec(`INSERT INTO products (sku, name, currency_code, list_price, source_version, available, as_of, availability_version, promise_schedule)
					SELECT 'LARGE-' || n, $1, 'EUR', 10, 1, 0, now(), 1,
						(SELECT jsonb_agg(jsonb_build_array(to_char(DATE '2030-01-01' + d, 'YYYY-MM-DD'), (d * 10)::text) ORDER BY d)
						 FROM generate_series(1, 200) d)
					FROM generate_series(1, 1000) n`, text(200))
				return 1000
			},
			list: func(token string) (listingtest.Page, error) {
				resp, err := e.products.ListProducts(ctx, &crmv1.ListProductsRequest{PageSize: 1000, PageToken: token})
				p := listingtest.Page{Size: proto.Size(resp), Next: resp.GetNextPageToken()}
				for _, pr := range resp.GetProducts() {
					p.Keys = append(p.Keys, pr.GetSku())
				}
				return p, err
			},
		},
		{
			name: "audit entries",
			seed: func() int {
				exec(`INSERT INTO audit_entries (resource, field, old_value, new_value, actor, change_time)
					SELECT 'cases/00000000-0000-4000-8000-000000000002', 'description', $1, $1, 'tester', now()
					FROM generate_series(1, 60)`, text(10000))
				return 60
			},
			list: func(token string) (listingtest.Page, error) {
				resp, err := e.audit.ListAuditEntries(ctx, &crmv1.ListAuditEntriesRequest{
					PageSize: 1000, PageToken: token, Filter: `resource = "cases/00000000-0000-4000-8000-000000000002"`,
				})
				p := listingtest.Page{Size: proto.Size(resp), Next: resp.GetNextPageToken()}
				for _, a := range resp.GetAuditEntries() {
					p.Keys = append(p.Keys, a.GetId())
				}
				return p, err
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			listingtest.ReadThrough(t, tt.seed(), tt.list)
		})
	}
}

// An account of a hundred open opportunities of the most lines, and of
// cases and activities of the longest descriptions, would make an overview
// above the 4 MiB a gRPC client accepts by default: its lists share
// listing.MaxPageBytes instead, each keeping its first items, and a short
// list keeps all of them.
func TestLargeOverviewFitsDefaultClients(t *testing.T) {
	e := newEnv(t)
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := e.db.Exec(context.Background(), sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	const account = "00000000-0000-4000-8000-0000000000a1"
	sku := strings.Repeat("S", 100)
	description := strings.Repeat("\U0001D538", 10000)
	exec(`INSERT INTO accounts (id, name, version, create_time, update_time) VALUES ($1, 'Large', 1, now(), now())`, account)
	exec(`INSERT INTO products (sku, name, currency_code, list_price, source_version) VALUES ($1, 'Part', 'EUR', 10, 1)`, sku)
	exec(`INSERT INTO contacts (id, account_id, name, version, create_time, update_time)
		SELECT gen_random_uuid(), $1, 'Contact ' || n, 1, now(), now() FROM generate_series(1, 5) n`, account)
	exec(`INSERT INTO opportunities (id, account_id, name, stage, probability, currency_code, amount, version, create_time, update_time)
		SELECT gen_random_uuid(), $1, 'Deal ' || n, 'proposal', 50, 'EUR', 0, 1, now() + n * interval '1 ms', now()
		FROM generate_series(1, 100) n`, account)
	exec(`INSERT INTO opportunity_lines (opportunity_id, position, sku, quantity, unit_price, discount_percent, amount)
		SELECT o.id, n, $1, n, 1.25, 0, n * 1.25 FROM opportunities o, generate_series(1, 500) n WHERE o.account_id = $2`, sku, account)
	exec(`INSERT INTO cases (id, subject, description, account_id, priority, status, sla_due_time, version, create_time, update_time)
		SELECT gen_random_uuid(), 'Case ' || n, $1, $2, 'normal', 'new', now() + n * interval '1 minute', 1, now(), now()
		FROM generate_series(1, 100) n`, description, account)
	exec(`INSERT INTO activities (id, type, subject, description, account_id, version, create_time, update_time)
		SELECT gen_random_uuid(), 'call', 'Call ' || n, $1, $2, 1, now() + n * interval '1 ms', now()
		FROM generate_series(1, 20) n`, description, account)

	ov, err := e.overviews.GetAccountOverview(e.sales(), &crmv1.GetAccountOverviewRequest{Id: account})
	if err != nil {
		t.Fatal(err)
	}
	if n := proto.Size(ov); n > listing.MaxPageBytes+1024 {
		t.Errorf("overview is %d bytes", n)
	}
	if len(ov.Contacts) != 5 {
		t.Errorf("%d contacts, want all 5", len(ov.Contacts))
	}
	if n := len(ov.OpenOpportunities); n == 0 || n == 100 {
		t.Errorf("%d open opportunities, want some of the 100", n)
	}
	if len(ov.RecentActivities) == 0 || len(ov.OpenCases) == 0 {
		t.Errorf("%d activities and %d cases, want some of each", len(ov.RecentActivities), len(ov.OpenCases))
	}
	rows, err := e.db.Query(context.Background(), `SELECT id::text FROM opportunities WHERE account_id = $1 ORDER BY id`, account)
	if err != nil {
		t.Fatal(err)
	}
	first, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range ov.OpenOpportunities {
		if o.Id != first[i] {
			t.Fatalf("open opportunity %d is %s, want the %dth in the list's order, %s", i, o.Id, i+1, first[i])
		}
	}
}
