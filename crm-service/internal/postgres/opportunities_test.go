package postgres_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/crm-service/internal/catalog"
	"github.com/seamhq/seam/crm-service/internal/pipeline"
	"github.com/seamhq/seam/platform/errs"
)

func TestOpportunityRoundTrip(t *testing.T) {
	f := newFixture(t)
	acc := newID(t)
	f.seedAccount(t, acc)
	f.seedProducts(t, "S1", "S2")
	o := f.newOpportunity(t, newID(t), acc, "S2", "S1")
	got, err := f.store.GetOpportunity(t.Context(), o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Lines) != 2 || got.Lines[0].SKU != "S2" || got.Lines[0].ProductName != "Product S2" ||
		!got.Lines[0].Quantity.Equal(decimal.NewFromInt(2)) || got.Lines[0].UnitPrice.Currency != "EUR" ||
		got.Amount.String() != "40.00 EUR" || got.Version != 1 || got.Order != nil || !got.CreateTime.Equal(now) {
		t.Fatalf("got %+v", got)
	}
	_, err = f.store.GetOpportunity(t.Context(), newID(t))
	if !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
}

// A failed mutation writes nothing; a change and its lines and event are
// written together.
func TestMutateOpportunity(t *testing.T) {
	f := newFixture(t)
	acc := newID(t)
	f.seedAccount(t, acc)
	f.seedProducts(t, "S1", "S2", "S3")
	o := f.newOpportunity(t, newID(t), acc, "S1")
	events := f.count(t, `SELECT count(*) FROM outbox_events`)

	boom := errs.FailedPreconditionf("no")
	_, err := f.store.MutateOpportunity(t.Context(), o.ID, pipeline.Mutation{RequestID: "m1", Method: pipeline.MethodWin}, func(pipeline.Opportunity, map[string]catalog.Product) (pipeline.Change, error) {
		return pipeline.Change{}, boom
	})
	if !errors.Is(err, boom) || f.count(t, `SELECT count(*) FROM idempotency_keys`) != 0 {
		t.Fatalf("failed mutation: %v", err)
	}

	out, err := f.store.MutateOpportunity(t.Context(), o.ID, pipeline.Mutation{SKUs: []string{"S2", "S3", "NOPE"}}, func(cur pipeline.Opportunity, products map[string]catalog.Product) (pipeline.Change, error) {
		if len(products) != 2 || len(cur.Lines) != 1 {
			t.Errorf("products %v, lines %v", products, cur.Lines)
		}
		next := cur
		next.Lines = []pipeline.Line{
			{SKU: "S3", Quantity: decimal.NewFromInt(1), UnitPrice: eur("1.00"), DiscountPercent: decimal.Zero, Amount: eur("1.00")},
			{SKU: "S2", Quantity: decimal.RequireFromString("0.5"), UnitPrice: eur("4.00"), DiscountPercent: decimal.NewFromInt(50), Amount: eur("1.00")},
		}
		next.Amount = eur("2.00")
		next.Order = &pipeline.Order{Status: pipeline.FulfillmentPending, UpdateTime: now, SourceVersion: 0}
		next.Version++
		return pipeline.Change{Opportunity: next, LinesChanged: true, Event: &pipeline.Event{Type: pipeline.EventUpdated, Key: o.ID, Payload: []byte(`{}`)}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := f.store.GetOpportunity(t.Context(), o.ID)
	if len(got.Lines) != 2 || got.Lines[0].SKU != "S3" || got.Lines[1].Quantity.String() != "0.5" || got.Amount.String() != "2.00 EUR" ||
		got.Order == nil || got.Order.Status != pipeline.FulfillmentPending || got.Version != 2 || out.Version != 2 {
		t.Fatalf("after mutate: %+v", got)
	}
	if n := f.count(t, `SELECT count(*) FROM outbox_events`); n != events+1 {
		t.Fatalf("%d events, want %d", n, events+1)
	}
	// A line on an unknown SKU violates the foreign key: nothing written.
	_, err = f.store.MutateOpportunity(t.Context(), o.ID, pipeline.Mutation{}, func(cur pipeline.Opportunity, _ map[string]catalog.Product) (pipeline.Change, error) {
		next := cur
		next.Lines = []pipeline.Line{{SKU: "GHOST", Quantity: decimal.NewFromInt(1), UnitPrice: eur("1.00"), Amount: eur("1.00")}}
		next.Version++
		return pipeline.Change{Opportunity: next, LinesChanged: true}, nil
	})
	if err == nil {
		t.Fatal("line on unknown SKU written")
	}
	if got, _ := f.store.GetOpportunity(t.Context(), o.ID); got.Version != 2 || len(got.Lines) != 2 {
		t.Fatalf("failed write left %+v", got)
	}
}

// Reads and writes cost a fixed, small number of round trips: a page of
// opportunities loads all its lines in one query, whatever its size.
func TestRoundTrips(t *testing.T) {
	f := newFixture(t)
	acc := newID(t)
	f.seedAccount(t, acc)
	f.seedProducts(t, "S1", "S2", "S3")
	var last string
	for range 30 {
		last = f.newOpportunity(t, newID(t), acc, "S1", "S2", "S3").ID
	}
	for _, limit := range []int{1, 10, 30} {
		n := f.trips.Measure(func() {
			list, _, err := f.store.ListOpportunities(t.Context(), pipeline.Query{Equal: map[string]string{"account_id": acc}, Limit: limit})
			if err != nil || len(list) != limit || len(list[limit-1].Lines) != 3 {
				t.Fatalf("list %d: %v", limit, err)
			}
		})
		if n != 2 {
			t.Errorf("listing %d opportunities took %d round trips, want 2", limit, n)
		}
	}
	if n := f.trips.Measure(func() {
		if _, err := f.store.GetOpportunity(t.Context(), last); err != nil {
			t.Fatal(err)
		}
	}); n != 1 {
		t.Errorf("get took %d round trips, want 1", n)
	}
	// begin, read batch, write batch, outbox append, commit.
	if n := f.trips.Measure(func() {
		_, err := f.store.MutateOpportunity(t.Context(), last, pipeline.Mutation{RequestID: "w", Method: pipeline.MethodWin}, func(cur pipeline.Opportunity, _ map[string]catalog.Product) (pipeline.Change, error) {
			cur.Stage, cur.Version = pipeline.StageClosedWon, cur.Version+1
			return pipeline.Change{Opportunity: cur, Event: &pipeline.Event{Type: pipeline.EventWon, Key: cur.ID, Payload: []byte(`{}`)}}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}); n > 5 {
		t.Errorf("win took %d round trips, want at most 5", n)
	}
}

// Every list filter and lookup is served by an index: with sequential
// scans priced out, no plan may fall back to one.
func TestQueriesUseIndexes(t *testing.T) {
	f := newFixture(t)
	conn, err := f.pool.Acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(t.Context(), `SET enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	defer conn.Exec(t.Context(), `RESET enable_seqscan`)
	id := "'01900000-0000-7000-8000-000000000000'"
	queries := []struct{ sql, index string }{
		{`SELECT * FROM accounts WHERE name = 'x' AND id > ` + id + ` ORDER BY id LIMIT 51`, "accounts_name_idx"},
		{`SELECT * FROM accounts WHERE owner = 'x' ORDER BY id LIMIT 51`, "accounts_owner_idx"},
		{`SELECT * FROM accounts WHERE industry = 'x' ORDER BY id LIMIT 51`, "accounts_industry_idx"},
		{`SELECT * FROM accounts WHERE erp_customer_id = 'x' ORDER BY id LIMIT 51`, "accounts_erp_customer_id_idx"},
		{`SELECT * FROM accounts WHERE id > ` + id + ` ORDER BY id LIMIT 51`, "accounts_pkey"},
		{`SELECT * FROM products WHERE name = 'x' AND sku > 'a' ORDER BY sku LIMIT 51`, "products_name_idx"},
		{`SELECT * FROM products WHERE sku = ANY('{a,b}'::text[])`, "products_pkey"},
		{`SELECT * FROM opportunities WHERE account_id = ` + id + ` AND id > ` + id + ` ORDER BY id LIMIT 51`, "opportunities_account_id_idx"},
		{`SELECT * FROM opportunities WHERE stage = 'proposal' ORDER BY id LIMIT 51`, "opportunities_stage_idx"},
		{`SELECT * FROM opportunities WHERE owner = 'x' ORDER BY id LIMIT 51`, "opportunities_owner_idx"},
		{`SELECT * FROM opportunities WHERE currency_code = 'EUR' ORDER BY id LIMIT 51`, "opportunities_currency_code_idx"},
		{`SELECT EXISTS (SELECT 1 FROM opportunities WHERE account_id = ` + id + `)`, "opportunities_account_id_idx"},
		{`SELECT * FROM opportunity_lines WHERE opportunity_id = ANY(ARRAY[` + id + `]::uuid[]) ORDER BY opportunity_id, position`, "opportunity_lines_pkey"},
		{`SELECT * FROM idempotency_keys WHERE request_id = 'x'`, "idempotency_keys_pkey"},
		{`SELECT * FROM accounts WHERE parent_account_id = ` + id + ` ORDER BY id LIMIT 51`, "accounts_parent_account_id_idx"},
		{`SELECT id FROM accounts WHERE name_key = 'acme' AND website_domain = '' ORDER BY id LIMIT 1`, "accounts_duplicate_idx"},
		{`SELECT id FROM accounts WHERE name_key = 'acme' AND website_domain = '' AND id::text <> '' ORDER BY id LIMIT 1`, "accounts_duplicate_idx"},
		{`SELECT * FROM accounts WHERE website_domain = ANY('{a.example,b.example}'::text[]) AND website_domain <> '' ORDER BY id`, "accounts_website_domain_idx"},
		// Imports: any index on email_key serves them.
		{`SELECT * FROM contacts WHERE email_key = ANY('{a@b.c,d@e.f}'::text[]) ORDER BY id`, "Index Cond: (email_key = ANY"},
		{`SELECT * FROM leads WHERE email_key = ANY('{a@b.c,d@e.f}'::text[]) ORDER BY id`, "Index Cond: (email_key = ANY"},
		{`SELECT * FROM contacts WHERE account_id = ` + id + ` AND id > ` + id + ` ORDER BY id LIMIT 51`, "contacts_account_id_idx"},
		{`SELECT * FROM contacts WHERE email_key = 'a@b.c' ORDER BY id LIMIT 51`, "contacts_email_key_idx"},
		{`SELECT * FROM contacts WHERE owner = 'x' ORDER BY id LIMIT 51`, "contacts_owner_idx"},
		{`SELECT * FROM accounts WHERE external_id = 'x' ORDER BY id LIMIT 51`, "accounts_external_id_key"},
		{`SELECT * FROM contacts WHERE external_id = 'x' ORDER BY id LIMIT 51`, "contacts_external_id_key"},
		{`SELECT * FROM contacts WHERE external_id = ANY('{a,b}'::text[])`, "contacts_external_id_key"},
		{`SELECT * FROM leads WHERE status = 'new' AND id > ` + id + ` ORDER BY id LIMIT 51`, "leads_status_idx"},
		{`SELECT * FROM leads WHERE owner = 'x' ORDER BY id LIMIT 51`, "leads_owner_idx"},
		{`SELECT * FROM leads WHERE email_key = 'a@b.c' ORDER BY id LIMIT 51`, "leads_email_key_idx"},
		{`SELECT * FROM leads WHERE source = 'web' ORDER BY id LIMIT 51`, "leads_source_idx"},
		{`SELECT * FROM leads WHERE campaign_id = 'c' ORDER BY id LIMIT 51`, "leads_campaign_id_idx"},
		{`SELECT * FROM activities WHERE done = false AND owner = 'ana' AND due_time < now() AND id > ` + id + ` ORDER BY id LIMIT 51`, "activities_owner_done_idx"},
		{`SELECT * FROM activities WHERE type = 'task' ORDER BY id LIMIT 51`, "activities_type_idx"},
		{`SELECT * FROM cases WHERE account_id = ` + id + ` AND id > ` + id + ` ORDER BY id LIMIT 51`, "cases_account_id_idx"},
		{`SELECT * FROM cases WHERE status = 'new' ORDER BY id LIMIT 51`, "cases_status_idx"},
		{`SELECT * FROM cases WHERE priority = 'urgent' ORDER BY id LIMIT 51`, "cases_priority_idx"},
		{`SELECT * FROM cases WHERE owner = 'x' ORDER BY id LIMIT 51`, "cases_owner_idx"},
		{`SELECT * FROM activities WHERE account_id = ` + id + ` ORDER BY id LIMIT 51`, "activities_account_id_idx"},
		{`SELECT * FROM activities WHERE contact_id = ` + id + ` ORDER BY id LIMIT 51`, "activities_contact_id_idx"},
		{`SELECT * FROM activities WHERE opportunity_id = ` + id + ` ORDER BY id LIMIT 51`, "activities_opportunity_id_idx"},
	}
	for _, q := range queries {
		rows, err := conn.Query(t.Context(), `EXPLAIN `+q.sql)
		if err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
		var plan string
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			plan += line + "\n"
		}
		rows.Close()
		if strings.Contains(plan, "Seq Scan") || !strings.Contains(plan, q.index) {
			t.Errorf("%s is not served by %s:\n%s", q.sql, q.index, plan)
		}
	}
}
