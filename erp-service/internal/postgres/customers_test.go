package postgres_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/seamhq/seam/erp-service/internal/customer"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/listing"
)

func TestCustomerCreateGetUpdate(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()

	limit := eur("1000")
	c := customer.Customer{ID: newID(t), Name: " Acme ", CRMAccountID: "acc-1", CreditLimit: &limit}
	if err := customer.PrepareNew(&c); err != nil {
		t.Fatal(err)
	}
	created, err := s.CreateCustomer(ctx, c, "req-1")
	if err != nil {
		t.Fatal(err)
	}
	if created.Name != "Acme" || created.CurrencyCode != "EUR" || created.PaymentTermsDays != 30 || created.Version != 1 {
		t.Errorf("created = %+v", created)
	}

	got, err := s.GetCustomer(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.CreditLimit == nil || !got.CreditLimit.Amount.Equal(dec("1000")) || got.CRMAccountID != "acc-1" {
		t.Errorf("got = %+v", got)
	}

	// A retry with the same request_id returns the first customer and
	// writes nothing.
	before := rowCounts(t, pool)
	again := c
	again.ID = newID(t)
	retried, err := s.CreateCustomer(ctx, again, "req-1")
	if err != nil {
		t.Fatal(err)
	}
	if retried.ID != c.ID {
		t.Errorf("retry returned %s, want %s", retried.ID, c.ID)
	}
	if after := rowCounts(t, pool); after["customers"] != before["customers"] || after["outbox_events"] != before["outbox_events"] {
		t.Errorf("retry wrote rows: before %v, after %v", before, after)
	}

	// crm_account_id is unique.
	dup := customer.Customer{ID: newID(t), Name: "Other", CRMAccountID: "acc-1"}
	_ = customer.PrepareNew(&dup)
	if _, err := s.CreateCustomer(ctx, dup, ""); !errors.Is(err, errs.ErrAlreadyExists) {
		t.Errorf("duplicate crm_account_id: %v, want AlreadyExists", err)
	}

	// Update with the current etag, then with a stale one.
	upd, err := s.UpdateCustomer(ctx, c.ID, 1, func(cur customer.Customer) (customer.Customer, error) {
		return customer.Apply(cur, customer.Customer{Name: "Acme GmbH"}, []string{"name"})
	})
	if err != nil {
		t.Fatal(err)
	}
	if upd.Version != 2 || upd.Name != "Acme GmbH" || upd.CreditLimit == nil {
		t.Errorf("updated = %+v", upd)
	}
	_, err = s.UpdateCustomer(ctx, c.ID, 1, func(cur customer.Customer) (customer.Customer, error) { return cur, nil })
	if !errors.Is(err, errs.ErrAborted) {
		t.Errorf("stale etag: %v, want Aborted", err)
	}
	if got, _ := s.GetCustomer(ctx, c.ID); got.Version != 2 {
		t.Errorf("version after stale update = %d, want 2", got.Version)
	}
	// The same values again are no change: no version, no event.
	nEvents := len(allEvents(t, pool))
	if again, err := s.UpdateCustomer(ctx, c.ID, 2, func(cur customer.Customer) (customer.Customer, error) {
		return customer.Apply(cur, customer.Customer{Name: "Acme GmbH"}, []string{"name"})
	}); err != nil || again.Version != 2 || len(allEvents(t, pool)) != nEvents {
		t.Errorf("unchanged update = %+v, %v (%d events, were %d)", again, err, len(allEvents(t, pool)), nEvents)
	}
	if _, err := s.GetCustomer(ctx, newID(t)); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("missing customer: %v", err)
	}
	if _, err := s.GetCustomer(ctx, "not-a-uuid"); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("malformed id: %v", err)
	}

	events := allEvents(t, pool)
	if len(events) != 2 || events[0].Type != customer.EventCreated || events[1].Type != customer.EventUpdated {
		t.Fatalf("events = %+v", events)
	}
	if p := payload(t, events[1]); p["name"] != "Acme GmbH" || p["etag"] != "2" {
		t.Errorf("updated payload = %v", p)
	}
}

func TestCustomerList(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	var ids []string
	for i := range 7 {
		c := customer.Customer{ID: newID(t), Name: []string{"A", "B"}[i%2], CurrencyCode: []string{"EUR", "USD"}[i%2]}
		if err := customer.PrepareNew(&c); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateCustomer(ctx, c, ""); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	// Pages of 3 by id.
	var got []string
	after := ""
	for range 5 {
		page, more, err := s.ListCustomers(ctx, customer.ListQuery{PageSize: 3, After: after})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page {
			got = append(got, c.ID)
		}
		if !more {
			break
		}
		after = page[len(page)-1].ID
	}
	if len(got) != 7 {
		t.Fatalf("paged %d customers, want 7", len(got))
	}
	for i := range got {
		if got[i] != ids[i] {
			t.Fatalf("page order %v, want %v", got, ids)
		}
	}

	conds, err := listing.ParseFilter(`currency_code = "USD" AND name = B`, customer.FilterFields...)
	if err != nil {
		t.Fatal(err)
	}
	list, more, err := s.ListCustomers(ctx, customer.ListQuery{Filter: conds, PageSize: 50})
	if err != nil || more || len(list) != 3 {
		t.Fatalf("filtered list = %d customers, more %v, err %v; want 3", len(list), more, err)
	}
	conds, _ = listing.ParseFilter(`crm_account_id = ""`, customer.FilterFields...)
	if list, _, err := s.ListCustomers(ctx, customer.ListQuery{Filter: conds, PageSize: 50}); err != nil || len(list) != 7 {
		t.Fatalf("customers without CRM account = %d, %v; want 7", len(list), err)
	}
}

func TestSyncCustomer(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	apply := func(name string, version int64) customer.Customer {
		t.Helper()
		in := customer.Sync{CRMAccountID: "acc-9", Name: name, CurrencyCode: "USD", SourceVersion: version}
		if err := customer.PrepareSync(&in); err != nil {
			t.Fatal(err)
		}
		c, err := s.SyncCustomer(ctx, in, newID(t))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	created := apply("Initech", 3)
	if created.CurrencyCode != "USD" || created.PaymentTermsDays != 30 || created.Version != 1 {
		t.Errorf("created = %+v", created)
	}
	if c := apply("Initech Old", 2); c.Name != "Initech" || c.Version != 1 {
		t.Errorf("stale sync applied: %+v", c)
	}
	if c := apply("Initech", 3); c.Version != 1 {
		t.Errorf("repeated sync made a version: %+v", c)
	}
	if c := apply("Initech", 4); c.Version != 1 {
		t.Errorf("newer sync without change made a version: %+v", c)
	}
	if c := apply("Initech Old", 3); c.Name != "Initech" {
		t.Errorf("sync older than the last applied one (4) applied: %+v", c)
	}
	upd := apply("Initech Inc", 5)
	if upd.Name != "Initech Inc" || upd.Version != 2 || upd.ID != created.ID || upd.CurrencyCode != "USD" {
		t.Errorf("updated = %+v", upd)
	}
	if n := count(t, pool, "customers"); n != 1 {
		t.Errorf("%d customers, want 1", n)
	}
	events := allEvents(t, pool)
	if len(events) != 2 || events[0].Type != customer.EventCreated || events[1].Type != customer.EventUpdated {
		t.Errorf("events = %v", events)
	}

	// Concurrent first syncs of one account create one customer.
	var wg sync.WaitGroup
	ids := make([]string, 10)
	for i := range ids {
		wg.Go(func() {
			in := customer.Sync{CRMAccountID: "acc-race", Name: "Racer", SourceVersion: 1}
			_ = customer.PrepareSync(&in)
			c, err := s.SyncCustomer(ctx, in, newID(t))
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = c.ID
		})
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("concurrent syncs returned different customers: %v", ids)
		}
	}
	if n := count(t, pool, "customers"); n != 2 {
		t.Errorf("%d customers, want 2", n)
	}
}
