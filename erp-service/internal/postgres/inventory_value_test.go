package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/erp-service/internal/catalog"
	"github.com/seamhq/seam/erp-service/internal/ledger"
	"github.com/seamhq/seam/erp-service/internal/postgres"
	"github.com/seamhq/seam/erp-service/internal/purchasing"
	"github.com/seamhq/seam/erp-service/internal/shipping"
	"github.com/seamhq/seam/erp-service/internal/stock"
	"github.com/seamhq/seam/platform/listing"
	"github.com/seamhq/seam/platform/money"
)

// checkInventoryValuation asserts that the inventory account holds, in
// every currency, the stock valuation report's value of the items costed
// in it, that the report's totals are that value, and that every journal
// entry balances.
func checkInventoryValuation(t *testing.T, s *postgres.Store, pool *pgxpool.Pool) {
	t.Helper()
	ctx := context.Background()
	valuation := map[string]decimal.Decimal{}
	after := ""
	for {
		rows, more, err := s.Valuation(ctx, time.Time{}, 100, after)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			v := r.Value()
			valuation[v.Currency] = valuation[v.Currency].Add(v.Amount)
			after = r.SKU
		}
		if !more {
			break
		}
	}
	totals, err := s.ValuationTotals(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	total := map[string]decimal.Decimal{}
	for _, m := range totals {
		total[m.Currency] = m.Amount
	}
	tb, err := s.TrialBalance(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	account := map[string]decimal.Decimal{}
	for _, r := range tb {
		if r.Account == ledger.Inventory {
			account[r.Currency] = r.Balance()
		}
	}
	for _, cur := range []string{"EUR", "JPY", "KWD", "USD"} {
		if !account[cur].Equal(valuation[cur]) {
			t.Errorf("%s inventory account %s, stock valuation %s", cur, account[cur], valuation[cur])
		}
		if !total[cur].Equal(valuation[cur]) {
			t.Errorf("%s stock valuation total %s, its rows add up to %s", cur, total[cur], valuation[cur])
		}
	}
	checkJournal(t, s, pool)
}

// Every stock move posts what it changes of the item's value at standard
// cost, rounded as the valuation rounds it, and a new standard cost
// revalues the stock on hand, so the inventory account is the stock
// valuation after any sequence of fractional receipts, purchase order
// receipts, shipments, counts, shrinkage and cost changes, in every
// currency.
func TestInventoryAccountIsTheValuation(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	c := mustCustomer(t, s, "Acme")
	mustKgCostedItem(t, s, "F-1", "1", "0.05")
	mustKgCostedItem(t, s, "F-2", "20", "7.333")
	mustKgCostedItemIn(t, s, "F-3", "0.5", "JPY")
	if _, err := s.CreateWarehouse(ctx, stock.Warehouse{Code: "EAST", Name: "East"}, ""); err != nil {
		t.Fatal(err)
	}
	adjust := func(sku, wh, qty, reason string) {
		t.Helper()
		a := stock.Adjustment{ID: newID(t), SKU: sku, Warehouse: wh, Quantity: dec(qty), Reason: reason}
		if err := stock.PrepareAdjustment(&a); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Adjust(ctx, a, ""); err != nil {
			t.Fatalf("adjust %s by %s: %v", sku, qty, err)
		}
	}

	// Ten receipts of 0.1 at 0.05: the stock is worth 0.05, not 10 x 0.01.
	for range 10 {
		adjust("F-1", "MAIN", "0.1", "receipt")
	}
	if tb := checkJournal(t, s, pool); tb[ledger.Inventory] != "0.05" || tb[ledger.AccountsPayable] != "-0.05" {
		t.Errorf("after ten receipts of 0.1: %v", tb)
	}
	checkInventoryValuation(t, s, pool)

	// Purchase order receipts of fractions.
	sup := mustSupplier(t, s, "Parts")
	po, err := s.CreatePurchaseOrder(ctx, purchasing.Order{ID: newID(t), SupplierID: sup.ID, Lines: []purchasing.Line{
		poLine("F-2", "3", "7.10", "2030-01-01"), poLine("F-1", "1", "0.05", "2030-01-01")}}, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.OrderPurchaseOrder(ctx, po.ID, 0, ""); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"0.5", "0.5", "1.25"} {
		if _, err := s.ReceivePurchaseOrder(ctx, po.ID, "", []purchasing.ReceiptLine{{LineNumber: 1, Quantity: dec(q)}, {LineNumber: 2, Quantity: dec("0.3")}}, ""); err != nil {
			t.Fatal(err)
		}
		checkInventoryValuation(t, s, pool)
	}
	for _, q := range []string{"1", "1", "1.3"} { // 0.5 JPY each: worth 2, not 1 + 1 + 1
		adjust("F-3", "MAIN", q, "receipt")
	}
	checkInventoryValuation(t, s, pool)

	// Shipments of fractions from two warehouses, counts and shrinkage.
	adjust("F-2", "EAST", "0.75", "receipt")
	o := mustOrder(t, s, newOrder(c.ID, "", line("F-2", "2.5"), line("F-1", "0.7")))
	if _, err := s.ConfirmOrder(ctx, o.ID, 0, ""); err != nil {
		t.Fatal(err)
	}
	for _, l := range [][]shipping.Request{ship(1, "0.3", 2, "0.1"), ship(1, "1.1"), ship(1, "1.1", 2, "0.6")} {
		if _, err := s.CreateShipment(ctx, shipping.NewShipment{OrderID: o.ID, Lines: l}, newID(t), ""); err != nil {
			t.Fatal(err)
		}
		checkInventoryValuation(t, s, pool)
	}
	// A new standard cost revalues what is on hand.
	for sku, cost := range map[string]money.Money{"F-2": eur("7.5"), "F-3": {Currency: "JPY", Amount: dec("0.7")}} {
		if _, err := s.UpdateItem(ctx, sku, 0, func(cur catalog.Item) (catalog.Item, error) {
			return catalog.Apply(cur, catalog.Patch{StandardCost: &cost}, []string{"standard_cost"})
		}); err != nil {
			t.Fatal(err)
		}
	}
	checkInventoryValuation(t, s, pool)
	adjust("F-2", "EAST", "-0.3", "count")
	adjust("F-1", "MAIN", "0.3", "found")
	adjust("F-3", "MAIN", "-0.7", "shrinkage")
	adjust("F-3", "MAIN", "-0.1", "correction") // a receipt taken back
	checkInventoryValuation(t, s, pool)
}

// A count that finds the stock gone takes its value off inventory, onto
// inventory adjustments; one that finds more puts it back.
func TestCountAdjustmentsPost(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	mustCostedItem(t, s, "K-1", "3", "1.00")
	mustAdjust(t, s, "K-1", "MAIN", "5")
	lost := stock.Adjustment{ID: newID(t), SKU: "K-1", Warehouse: "MAIN", Quantity: dec("-5"), Reason: "count"}
	if err := stock.PrepareAdjustment(&lost); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Adjust(ctx, lost, ""); err != nil {
		t.Fatal(err)
	}
	tb := checkJournal(t, s, pool)
	if tb[ledger.Inventory] != "0" || tb[ledger.InventoryAdjustments] != "5" || tb[ledger.AccountsPayable] != "-5" {
		t.Errorf("after counting 5 missing: %v", tb)
	}
	entries, _, err := s.ListEntries(ctx, ledger.ListQuery{PageSize: 10, Filter: []listing.Condition{{Field: "reference", Op: listing.Eq, Value: lost.Reference()}}})
	if err != nil || len(entries) != 1 {
		t.Fatalf("entries of %s = %+v, %v", lost.Reference(), entries, err)
	}
	e := entries[0]
	if got := fmt.Sprintf("%s %s Dr %s %s / Cr %s %s", e.Kind, e.Currency, e.Lines[0].Account, e.Lines[0].Debit, e.Lines[1].Account, e.Lines[1].Credit); got != "adjustment EUR Dr 5200 5 / Cr 1200 5" {
		t.Errorf("count entry = %s", got)
	}
	found := stock.Adjustment{ID: newID(t), SKU: "K-1", Warehouse: "MAIN", Quantity: dec("2"), Reason: "count"}
	if err := stock.PrepareAdjustment(&found); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Adjust(ctx, found, ""); err != nil {
		t.Fatal(err)
	}
	if tb := checkJournal(t, s, pool); tb[ledger.Inventory] != "2" || tb[ledger.InventoryAdjustments] != "3" {
		t.Errorf("after counting 2 found: %v", tb)
	}
	checkInventoryValuation(t, s, pool)
}
