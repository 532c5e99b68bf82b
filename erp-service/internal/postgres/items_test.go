package postgres_test

import (
	"context"
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/seamhq/seam/erp-service/internal/catalog"
	"github.com/seamhq/seam/erp-service/internal/ledger"
	"github.com/seamhq/seam/erp-service/internal/stock"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/listing"
)

func TestItemCreateGetUpdate(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()

	it := catalog.Item{SKU: "W-1", Name: "Widget", ListPrice: eur("19.99"), TaxRate: dec("0.19")}
	if err := catalog.PrepareNew(&it, nil); err != nil {
		t.Fatal(err)
	}
	created, err := s.CreateItem(ctx, it, "req-item")
	if err != nil {
		t.Fatal(err)
	}
	if created.Version != 1 || created.UnitOfMeasure != "ea" || created.StandardCost.Currency != "EUR" || !created.StandardCost.Amount.IsZero() {
		t.Errorf("created = %+v", created)
	}
	got, err := s.GetItem(ctx, "W-1")
	if err != nil {
		t.Fatal(err)
	}
	if !got.ListPrice.Amount.Equal(dec("19.99")) || !got.TaxRate.Equal(dec("0.19")) {
		t.Errorf("got = %+v", got)
	}
	// Every item has a stock record from the start.
	a, err := s.Availability(ctx, "W-1")
	if err != nil || !a.OnHand.IsZero() || a.Version != 0 || len(a.Warehouses) != 0 {
		t.Errorf("availability of a new item = %+v, %v", a, err)
	}

	before := rowCounts(t, pool)
	if again, err := s.CreateItem(ctx, it, "req-item"); err != nil || again.SKU != "W-1" {
		t.Errorf("retry = %+v, %v", again, err)
	}
	if _, err := s.CreateItem(ctx, it, ""); !errors.Is(err, errs.ErrAlreadyExists) {
		t.Errorf("duplicate SKU: %v, want AlreadyExists", err)
	}
	if after := rowCounts(t, pool); after["items"] != before["items"] || after["outbox_events"] != before["outbox_events"] {
		t.Errorf("retry or duplicate wrote rows")
	}

	usd := eur("25")
	usd.Currency = "USD"
	upd, err := s.UpdateItem(ctx, "W-1", 1, func(cur catalog.Item) (catalog.Item, error) {
		return catalog.Apply(cur, catalog.Patch{ListPrice: &usd}, []string{"list_price"})
	})
	if err != nil {
		t.Fatal(err)
	}
	// A zero standard cost follows the list price into its new currency.
	if upd.Version != 2 || upd.ListPrice.Currency != "USD" || upd.StandardCost.Currency != "USD" {
		t.Errorf("updated = %+v", upd)
	}
	if _, err := s.UpdateItem(ctx, "W-1", 1, func(cur catalog.Item) (catalog.Item, error) { return cur, nil }); !errors.Is(err, errs.ErrAborted) {
		t.Errorf("stale etag: %v", err)
	}
	// The same values again (25 is 25.00) are no change: no version, no event.
	same := eur("25.00")
	same.Currency = "USD"
	nEvents := len(allEvents(t, pool))
	if again, err := s.UpdateItem(ctx, "W-1", 2, func(cur catalog.Item) (catalog.Item, error) {
		return catalog.Apply(cur, catalog.Patch{ListPrice: &same}, []string{"list_price"})
	}); err != nil || again.Version != 2 || !again.UpdateTime.Equal(upd.UpdateTime) || len(allEvents(t, pool)) != nEvents {
		t.Errorf("unchanged update = %+v, %v (%d events, were %d)", again, err, len(allEvents(t, pool)), nEvents)
	}
	if _, err := s.UpdateItem(ctx, "nope", 0, func(cur catalog.Item) (catalog.Item, error) { return cur, nil }); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("missing item: %v", err)
	}
	events := allEvents(t, pool)
	if len(events) != 2 || events[0].Type != catalog.EventCreated || events[1].Type != catalog.EventUpdated || events[1].Key != "W-1" {
		t.Errorf("events = %v", events)
	}
}

func TestItemList(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	for _, sku := range []string{"C", "A", "E", "B", "D"} {
		mustItem(t, s, sku, "1")
	}
	page1, more, err := s.ListItems(ctx, catalog.ListQuery{PageSize: 2})
	if err != nil || !more || len(page1) != 2 || page1[0].SKU != "A" || page1[1].SKU != "B" {
		t.Fatalf("page 1 = %v, %v, %v", page1, more, err)
	}
	page3, more, err := s.ListItems(ctx, catalog.ListQuery{PageSize: 2, After: "D"})
	if err != nil || more || len(page3) != 1 || page3[0].SKU != "E" {
		t.Fatalf("page 3 = %v, %v, %v", page3, more, err)
	}
	conds, _ := listing.ParseFilter(`sku >= "C" AND name != "Item D"`, catalog.FilterFields...)
	list, _, err := s.ListItems(ctx, catalog.ListQuery{Filter: conds, PageSize: 10})
	if err != nil || len(list) != 2 || list[0].SKU != "C" || list[1].SKU != "E" {
		t.Fatalf("filtered = %v, %v", list, err)
	}
}

// Stock on hand was received at a cost in the item's currency: a new
// currency would ship it out of the inventory account in another one,
// leaving both wrong with nothing on hand. So the currency holds while any
// warehouse has stock; a new amount in the same currency does not.
func TestItemCostCurrencyHoldsWhileStockOnHand(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	mustCostedItem(t, s, "W-1", "5", "1")
	if _, err := s.CreateWarehouse(ctx, stock.Warehouse{Code: "EAST", Name: "East"}, ""); err != nil {
		t.Fatal(err)
	}
	mustAdjust(t, s, "W-1", "EAST", "10") // Dr 1200 10.00 EUR
	price, cost := eur("6"), eur("1")
	price.Currency, cost.Currency = "USD", "USD"
	toUSD := func(cur catalog.Item) (catalog.Item, error) {
		return catalog.Apply(cur, catalog.Patch{ListPrice: &price, StandardCost: &cost}, []string{"list_price", "standard_cost"})
	}

	before, events := rowCounts(t, pool), len(allEvents(t, pool))
	_, err := s.UpdateItem(ctx, "W-1", 0, toUSD)
	var e *errs.Error
	if !errors.As(err, &e) || e.Kind != errs.FailedPrecondition || len(e.Violations) != 1 || e.Violations[0].Field != "standard_cost" {
		t.Fatalf("new currency with 10 on hand: %v, want FAILED_PRECONDITION naming standard_cost", err)
	}
	if got, _ := s.GetItem(ctx, "W-1"); got.Version != 1 || got.StandardCost.String() != "1.00 EUR" {
		t.Errorf("item after a refused update = %+v", got)
	}
	if after := rowCounts(t, pool); !maps.Equal(after, before) || len(allEvents(t, pool)) != events {
		t.Errorf("a refused update wrote: %v -> %v", before, after)
	}

	// A new amount in the same currency is allowed, stock or not.
	half := eur("0.5")
	upd, err := s.UpdateItem(ctx, "W-1", 1, func(cur catalog.Item) (catalog.Item, error) {
		return catalog.Apply(cur, catalog.Patch{StandardCost: &half}, []string{"standard_cost"})
	})
	if err != nil || upd.StandardCost.String() != "0.50 EUR" {
		t.Errorf("new cost in EUR = %+v, %v", upd, err)
	}
	// It revalues the 10 on hand: Dr 5200 / Cr 1200 5.00.
	if tb := checkJournal(t, s, pool); tb[ledger.Inventory] != "5" || tb[ledger.InventoryAdjustments] != "5" {
		t.Errorf("trial balance after the new cost = %v", tb)
	}

	// With the stock down to zero, the currency may change.
	out := stock.Adjustment{ID: newID(t), SKU: "W-1", Warehouse: "EAST", Quantity: dec("-10"), Reason: "count"}
	if err := stock.PrepareAdjustment(&out); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Adjust(ctx, out, ""); err != nil {
		t.Fatal(err)
	}
	if upd, err := s.UpdateItem(ctx, "W-1", 2, toUSD); err != nil || upd.StandardCost.String() != "1.00 USD" || upd.Version != 3 {
		t.Errorf("new currency with nothing on hand = %+v, %v", upd, err)
	}
	checkInventoryValuation(t, s, pool)
}

// Stock on hand and open orders are counted in the item's unit of measure:
// a new unit would read them in it (20 kg becoming 20 g). So the unit holds
// while there is stock or an open purchase or sales order line; a change of
// letter case alone is a relabel and passes.
func TestItemUnitHoldsWhileCounted(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	mustCostedItem(t, s, "U-1", "5", "1")
	unit := func(u string) func(catalog.Item) (catalog.Item, error) {
		return func(cur catalog.Item) (catalog.Item, error) {
			return catalog.Apply(cur, catalog.Patch{UnitOfMeasure: u}, []string{"unit_of_measure"})
		}
	}
	refused := func(what string) {
		t.Helper()
		before, events := rowCounts(t, pool), len(allEvents(t, pool))
		_, err := s.UpdateItem(ctx, "U-1", 0, unit("kg"))
		var e *errs.Error
		if !errors.As(err, &e) || e.Kind != errs.FailedPrecondition || len(e.Violations) != 1 || e.Violations[0].Field != "unit_of_measure" ||
			!strings.Contains(e.Message, what) {
			t.Fatalf("new unit with %s: %v, want FAILED_PRECONDITION naming unit_of_measure", what, err)
		}
		if got, _ := s.GetItem(ctx, "U-1"); got.UnitOfMeasure != "ea" {
			t.Errorf("item after a refused update = %+v", got)
		}
		if after := rowCounts(t, pool); !maps.Equal(after, before) || len(allEvents(t, pool)) != events {
			t.Errorf("a refused update wrote: %v -> %v", before, after)
		}
	}

	mustAdjust(t, s, "U-1", "MAIN", "20")
	refused("20 on hand")
	// Letter case alone is no new unit.
	if got, err := s.UpdateItem(ctx, "U-1", 0, unit("EA")); err != nil || got.UnitOfMeasure != "EA" {
		t.Fatalf("relabel to EA = %+v, %v", got, err)
	}
	if _, err := s.UpdateItem(ctx, "U-1", 0, unit("ea")); err != nil {
		t.Fatal(err)
	}
	mustAdjust(t, s, "U-1", "MAIN", "-20")

	// An open purchase order line, a draft one too.
	sup := mustSupplier(t, s, "Parts")
	po := newOrderIDFor(t, s, sup.ID, "U-1")
	refused("1 open purchase order line(s)")
	if _, err := s.CancelPurchaseOrder(ctx, po, 0, ""); err != nil {
		t.Fatal(err)
	}

	// An open sales order line.
	c := mustCustomer(t, s, "Buyer")
	so := mustOrder(t, s, newOrder(c.ID, "", line("U-1", "3")))
	refused("1 open sales order line(s)")
	if _, err := s.CancelOrder(ctx, so.ID, 0, "", ""); err != nil {
		t.Fatal(err)
	}

	// Nothing counted in "ea" any more: the unit may change.
	if got, err := s.UpdateItem(ctx, "U-1", 0, unit("kg")); err != nil || got.UnitOfMeasure != "kg" {
		t.Errorf("new unit with nothing counted = %+v, %v", got, err)
	}
}

// An item weighed (kg) becomes counted (ea) only once no open order line
// holds a quantity in the old unit, so no fractional line of an open
// order comes to be read as a fraction of a count unit: the unit rule
// (TestItemUnitHoldsWhileCounted) holds that change too, naming the line.
func TestItemToCountUnitHoldsFractionalLines(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	it := catalog.Item{SKU: "KG-1", Name: "Flour", UnitOfMeasure: "kg", ListPrice: eur("2")}
	if err := catalog.PrepareNew(&it, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateItem(ctx, it, ""); err != nil {
		t.Fatal(err)
	}
	toEach := func(cur catalog.Item) (catalog.Item, error) {
		return catalog.Apply(cur, catalog.Patch{UnitOfMeasure: "ea"}, []string{"unit_of_measure"})
	}
	so := mustOrder(t, s, newOrder(mustCustomer(t, s, "Bakery").ID, "", line("KG-1", "2.5")))
	_, err := s.UpdateItem(ctx, "KG-1", 0, toEach)
	var e *errs.Error
	if !errors.As(err, &e) || e.Kind != errs.FailedPrecondition || len(e.Violations) != 1 || e.Violations[0].Field != "unit_of_measure" ||
		!strings.Contains(e.Message, "1 open sales order line(s)") {
		t.Fatalf("kg to ea with an open line of 2.5 kg: %v, want FAILED_PRECONDITION naming unit_of_measure", err)
	}
	if _, err := s.CancelOrder(ctx, so.ID, 0, "", ""); err != nil {
		t.Fatal(err)
	}
	if got, err := s.UpdateItem(ctx, "KG-1", 0, toEach); err != nil || got.UnitOfMeasure != "ea" {
		t.Errorf("kg to ea with nothing open = %+v, %v", got, err)
	}
}
