package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/seamhq/seam/erp-service/internal/catalog"
	"github.com/seamhq/seam/erp-service/internal/ledger"
	"github.com/seamhq/seam/erp-service/internal/postgres"
	"github.com/seamhq/seam/erp-service/internal/sales"
	"github.com/seamhq/seam/erp-service/internal/shipping"
	"github.com/seamhq/seam/erp-service/internal/stock"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/listing"
	"github.com/seamhq/seam/platform/money"
)

// mustCostedItem creates an item with a standard cost (EUR).
func mustCostedItem(t *testing.T, s *postgres.Store, sku, price, cost string) {
	t.Helper()
	it := catalog.Item{SKU: sku, Name: "Item " + sku, ListPrice: eur(price)}
	c := eur(cost)
	if err := catalog.PrepareNew(&it, &c); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateItem(context.Background(), it, ""); err != nil {
		t.Fatal(err)
	}
}

func ship(lines ...any) []shipping.Request {
	var out []shipping.Request
	for i := 0; i < len(lines); i += 2 {
		out = append(out, shipping.Request{LineNumber: int32(lines[i].(int)), Quantity: dec(lines[i+1].(string))})
	}
	return out
}

// checkJournal asserts that every journal entry balances, and returns the
// balance (debit - credit) per account of the EUR trial balance.
func checkJournal(t *testing.T, s *postgres.Store, pool *pgxpool.Pool) map[string]string {
	t.Helper()
	ctx := context.Background()
	var bad int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM (SELECT entry_id FROM journal_lines GROUP BY entry_id
		HAVING sum(debit) <> sum(credit)) x`).Scan(&bad); err != nil {
		t.Fatal(err)
	}
	if bad != 0 {
		t.Errorf("%d journal entries do not balance", bad)
	}
	checkBalances(t, s, pool)
	return balances(t, s, "EUR")
}

// balances asserts that the trial balance in currency sums to zero, and
// returns its balance (debit - credit) per account.
func balances(t *testing.T, s *postgres.Store, currency string) map[string]string {
	t.Helper()
	rows, err := s.TrialBalance(context.Background(), currency)
	if err != nil {
		t.Fatal(err)
	}
	for _, tot := range ledger.Totals(rows) {
		if !tot.Debit.Equal(tot.Credit) {
			t.Errorf("trial balance %s: debits %s, credits %s", tot.Currency, tot.Debit, tot.Credit)
		}
	}
	out := map[string]string{}
	for _, r := range rows {
		out[r.Account] = r.Balance().String()
	}
	return out
}

func TestShipments(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	c := mustCustomer(t, s, "Acme")
	mustCostedItem(t, s, "W-1", "20", "7.333")
	mustCostedItem(t, s, "W-2", "5", "1.25")
	if _, err := s.CreateWarehouse(ctx, stock.Warehouse{Code: "EAST", Name: "East"}, ""); err != nil {
		t.Fatal(err)
	}
	mustAdjust(t, s, "W-1", "MAIN", "3")
	mustAdjust(t, s, "W-1", "EAST", "10")
	mustAdjust(t, s, "W-2", "MAIN", "2")
	// Receipts post Dr Inventory / Cr AP at standard cost: 3 x 7.333 = 22.00 (rounded),
	// 10 x 7.333 = 73.33, 2 x 1.25 = 2.50.
	if tb := checkJournal(t, s, pool); tb[ledger.Inventory] != "97.83" || tb[ledger.AccountsPayable] != "-97.83" {
		t.Errorf("trial balance after receipts = %v", tb)
	}

	o := mustOrder(t, s, newOrder(c.ID, "", line("W-1", "5"), line("W-2", "4")))
	if _, err := s.CreateShipment(ctx, shipping.NewShipment{OrderID: o.ID}, newID(t), ""); !errors.Is(err, errs.ErrFailedPrecondition) {
		t.Errorf("shipping a draft: %v, want FailedPrecondition", err)
	}
	o, err := s.ConfirmOrder(ctx, o.ID, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	// W-1: 3 from MAIN + 2 from EAST reserved; W-2: 2 reserved, 2 backordered.

	// Shipping more than reserved names the line and writes nothing.
	before := rowCounts(t, pool)
	_, err = s.CreateShipment(ctx, shipping.NewShipment{OrderID: o.ID, Lines: ship(1, "1", 2, "3")}, newID(t), "")
	var e *errs.Error
	if !errors.As(err, &e) || e.Kind != errs.FailedPrecondition || len(e.Violations) != 1 || e.Violations[0].Field != "lines[1].quantity" {
		t.Errorf("over-shipping: %v, want FailedPrecondition on lines[1].quantity", err)
	}
	_, err = s.CreateShipment(ctx, shipping.NewShipment{OrderID: o.ID, Lines: ship(9, "1")}, newID(t), "")
	if f := violations(t, err); len(f) != 1 || f[0] != "lines[0].line_number" {
		t.Errorf("unknown line: %v", f)
	}
	_, err = s.CreateShipment(ctx, shipping.NewShipment{OrderID: newID(t)}, newID(t), "")
	if f := violations(t, err); len(f) != 1 || f[0] != "sales_order_id" {
		t.Errorf("unknown order: %v", f)
	}
	if after := rowCounts(t, pool); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("a failed shipment wrote: %v -> %v", before, after)
	}

	// A partial shipment of line 1 draws MAIN first, then EAST (lines are
	// listed by line number, then warehouse code).
	id := newID(t)
	sh, err := s.CreateShipment(ctx, shipping.NewShipment{OrderID: o.ID, Lines: ship(1, "4")}, id, "ship-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(sh.Lines) != 2 || sh.Lines[1].Warehouse != "MAIN" || sh.Lines[1].Quantity.String() != "3" ||
		sh.Lines[0].Warehouse != "EAST" || sh.Lines[0].Quantity.String() != "1" ||
		sh.Lines[1].Cost.String() != "22.00 EUR" || sh.Lines[0].Cost.String() != "7.33 EUR" || sh.OrderNumber != o.Number {
		t.Errorf("shipment = %+v", sh)
	}
	// A retry returns the first shipment and writes nothing.
	before = rowCounts(t, pool)
	again, err := s.CreateShipment(ctx, shipping.NewShipment{OrderID: o.ID, Lines: ship(1, "4")}, newID(t), "ship-1")
	if err != nil || again.ID != id || len(again.Lines) != 2 {
		t.Errorf("retry = %+v, %v", again, err)
	}
	if after := rowCounts(t, pool); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("a retried shipment wrote: %v -> %v", before, after)
	}
	if _, err := s.ConfirmOrder(ctx, o.ID, 0, "ship-1"); !errors.Is(err, errs.ErrInvalidArgument) {
		t.Errorf("request_id reused for another method: %v", err)
	}

	o, err = s.GetOrder(ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if o.Status != sales.PartiallyShipped || o.Revision != 3 || o.Lines[0].Shipped.String() != "4" || o.Lines[0].Reserved.String() != "1" {
		t.Errorf("order after partial shipment = %+v", o)
	}
	a, err := s.Availability(ctx, "W-1")
	if err != nil {
		t.Fatal(err)
	}
	if a.OnHand.String() != "9" || a.Reserved.String() != "1" || a.Warehouses[0].OnHand.String() != "0" {
		t.Errorf("W-1 availability = %+v", a)
	}
	if _, err := s.CancelOrder(ctx, o.ID, 0, "", ""); !errors.Is(err, errs.ErrFailedPrecondition) {
		t.Errorf("cancelling a partially shipped order: %v", err)
	}

	// No lines ships everything still reserved; the backordered 2 of W-2
	// keep the order partially shipped.
	sh2, err := s.CreateShipment(ctx, shipping.NewShipment{OrderID: o.ID}, newID(t), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(sh2.Lines) != 2 || sh2.Lines[0].LineNumber != 1 || sh2.Lines[1].LineNumber != 2 || sh2.Lines[1].Quantity.String() != "2" {
		t.Errorf("second shipment = %+v", sh2)
	}
	if _, err := s.CreateShipment(ctx, shipping.NewShipment{OrderID: o.ID}, newID(t), ""); !errors.Is(err, errs.ErrFailedPrecondition) {
		t.Errorf("nothing left to ship: %v", err)
	}
	o, _ = s.GetOrder(ctx, o.ID)
	if o.Status != sales.PartiallyShipped || o.Lines[1].Shipped.String() != "2" || o.Lines[1].Backordered.String() != "2" {
		t.Errorf("order = %+v", o)
	}

	// COGS at what each shipment takes off the stock value: W-1's 13 were
	// 95.33, 9 are 66.00 (29.33), 8 are 58.66 (7.34); W-2's 2 were 2.50.
	// Inventory is left at the valuation of W-1's 8: 58.66.
	tb := checkJournal(t, s, pool)
	if tb[ledger.CostOfGoodsSold] != "39.17" || tb[ledger.Inventory] != "58.66" {
		t.Errorf("trial balance = %v", tb)
	}
	entries, _, err := s.ListEntries(ctx, ledger.ListQuery{PageSize: 10,
		Filter: []listing.Condition{{Field: "reference", Op: listing.Eq, Value: sh.Reference()}}})
	if err != nil || len(entries) != 1 || entries[0].Kind != ledger.KindShipment || entries[0].Lines[0].Account != ledger.CostOfGoodsSold ||
		entries[0].Lines[0].Debit.String() != "29.33" || entries[0].Lines[1].AccountName != "Inventory" {
		t.Errorf("entries of %s = %+v, %v", sh.Reference(), entries, err)
	}
	if _, err := pool.Exec(ctx, `UPDATE journal_lines SET debit = 0`); err == nil {
		t.Error("journal lines could be updated")
	}
	if _, err := pool.Exec(ctx, `DELETE FROM journal_entries`); err == nil {
		t.Error("journal entries could be deleted")
	}
	checkLedger(t, pool)

	// Events: the shipment changed both SKUs and the order.
	var types []string
	for _, ev := range allEvents(t, pool) {
		if ev.Key == o.ID || ev.Type == stock.EventChanged {
			types = append(types, ev.Type)
		}
	}
	want := "[stock.changed stock.changed stock.changed sales_order.created stock.changed stock.changed sales_order.confirmed " +
		"stock.changed sales_order.shipped stock.changed stock.changed sales_order.shipped]"
	if fmt.Sprint(types) != want {
		t.Errorf("events = %v\nwant %s", types, want)
	}

	// Get and list.
	got, err := s.GetShipment(ctx, id)
	if err != nil || len(got.Lines) != 2 || got.Lines[0].Cost.String() != "7.33 EUR" || got.Lines[1].Quantity.String() != "3" {
		t.Errorf("get = %+v, %v", got, err)
	}
	if _, err := s.GetShipment(ctx, newID(t)); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("get unknown: %v", err)
	}
	page, more, err := s.ListShipments(ctx, shipping.ListQuery{PageSize: 1,
		Filter: []listing.Condition{{Field: "sales_order_id", Op: listing.Eq, Value: o.ID}}})
	if err != nil || len(page) != 1 || !more || page[0].ID != id {
		t.Fatalf("page 1 = %+v %v %v", page, more, err)
	}
	page, more, err = s.ListShipments(ctx, shipping.ListQuery{PageSize: 1, After: id})
	if err != nil || len(page) != 1 || more || page[0].ID != sh2.ID {
		t.Errorf("page 2 = %+v %v %v", page, more, err)
	}
}

func TestShipmentCompletesOrder(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	c := mustCustomer(t, s, "Acme")
	// A JPY item: costs round to whole yen.
	it := catalog.Item{SKU: "J-1", Name: "Yen item", UnitOfMeasure: "kg", ListPrice: money.Money{Currency: "JPY", Amount: dec("1000")}}
	cost := money.Money{Currency: "JPY", Amount: dec("333.5")}
	if err := catalog.PrepareNew(&it, &cost); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateItem(ctx, it, ""); err != nil {
		t.Fatal(err)
	}
	mustAdjust(t, s, "J-1", "MAIN", "1000000000000")
	n := sales.NewOrder{CustomerID: c.ID, CurrencyCode: "JPY", Lines: []sales.NewLine{line("J-1", "999999999999.5")}}
	o := mustOrder(t, s, n)
	if _, err := s.ConfirmOrder(ctx, o.ID, 0, ""); err != nil {
		t.Fatal(err)
	}
	sh, err := s.CreateShipment(ctx, shipping.NewShipment{OrderID: o.ID}, newID(t), "")
	if err != nil {
		t.Fatal(err)
	}
	if sh.Lines[0].Cost.String() != "333499999999833 JPY" {
		t.Errorf("cost = %s", sh.Lines[0].Cost)
	}
	o, _ = s.GetOrder(ctx, o.ID)
	if o.Status != sales.Shipped || !o.Lines[0].Reserved.IsZero() {
		t.Errorf("order = %+v", o)
	}
	rows, err := s.TrialBalance(ctx, "JPY")
	if err != nil {
		t.Fatal(err)
	}
	if tot := ledger.Totals(rows); len(tot) != 1 || !tot[0].Debit.Equal(tot[0].Credit) {
		t.Errorf("totals = %+v", tot)
	}
	checkLedger(t, pool)
}

// Concurrent shipments of one order never ship more than was reserved.
func TestConcurrentShipments(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	c := mustCustomer(t, s, "Acme")
	mustCostedItem(t, s, "W-1", "10", "1")
	mustAdjust(t, s, "W-1", "MAIN", "10")
	o := mustOrder(t, s, newOrder(c.ID, "", line("W-1", "10")))
	if _, err := s.ConfirmOrder(ctx, o.ID, 0, ""); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for range 15 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.CreateShipment(ctx, shipping.NewShipment{OrderID: o.ID, Lines: ship(1, "1")}, newID(t), "")
			switch {
			case err == nil:
				mu.Lock()
				ok++
				mu.Unlock()
			case !errors.Is(err, errs.ErrFailedPrecondition):
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if ok != 10 {
		t.Errorf("%d shipments succeeded, want 10", ok)
	}
	o, _ = s.GetOrder(ctx, o.ID)
	if o.Status != sales.Shipped || o.Lines[0].Shipped.String() != "10" {
		t.Errorf("order = %+v", o)
	}
	if tb := checkJournal(t, s, pool); tb[ledger.Inventory] != "0" || tb[ledger.CostOfGoodsSold] != "10" {
		t.Errorf("trial balance = %v", tb)
	}
	checkLedger(t, pool)
}

// The database itself refuses an unbalanced or empty journal entry.
func TestJournalMustBalance(t *testing.T) {
	t.Parallel()
	_, pool := newStore(t)
	ctx := context.Background()
	for name, lines := range map[string]string{
		"unbalanced": `INSERT INTO journal_lines (entry_id, line_number, account_code, debit, credit) VALUES
			($1, 1, '1000', 10, 0), ($1, 2, '4000', 0, 9.99)`,
		"no lines": `SELECT $1::uuid`,
	} {
		tx, err := pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		id := newID(t)
		if _, err := tx.Exec(ctx, `INSERT INTO journal_entries (id, kind, reference, currency_code, actor) VALUES ($1, 'test', 'x', 'EUR', 't')`, id); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, lines, id); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(ctx); err == nil {
			t.Errorf("%s: an entry that does not balance committed", name)
		}
	}
	if n := count(t, pool, "journal_entries"); n != 0 {
		t.Errorf("%d entries stored", n)
	}
}
