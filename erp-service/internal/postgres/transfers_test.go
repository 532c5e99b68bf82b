package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/erp-service/internal/sales"
	"github.com/seamhq/seam/erp-service/internal/stock"
	"github.com/seamhq/seam/platform/errs"
)

func transfer(t *testing.T, sku, from, to, qty string) stock.Transfer {
	t.Helper()
	tr := stock.Transfer{ID: newID(t), SKU: sku, FromWarehouse: from, ToWarehouse: to, Quantity: dec(qty), Reason: "rebalance"}
	if err := stock.PrepareTransfer(&tr); err != nil {
		t.Fatal(err)
	}
	return tr
}

func level(a stock.Availability, wh string) string {
	for _, l := range a.Warehouses {
		if l.Warehouse == wh {
			return l.OnHand.String() + "/" + l.Reserved.String()
		}
	}
	return "-"
}

func TestTransfer(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	mustKgItem(t, s, "T-1", "10")
	if _, err := s.CreateWarehouse(ctx, stock.Warehouse{Code: "EAST", Name: "East"}, ""); err != nil {
		t.Fatal(err)
	}
	mustAdjust(t, s, "T-1", "MAIN", "10")
	c := mustCustomer(t, s, "Acme")
	o := mustOrder(t, s, newOrder(c.ID, "", line("T-1", "4")))
	if _, err := s.ConfirmOrder(ctx, o.ID, 0, ""); err != nil {
		t.Fatal(err)
	}
	// MAIN: 10 on hand, 4 reserved, 6 available.

	// Unknown SKU and warehouses are INVALID_ARGUMENT; more than is
	// available is FAILED_PRECONDITION naming the quantity. Nothing written.
	before := rowCounts(t, pool)
	bad := transfer(t, "NOPE", "MAIN", "WEST", "1")
	if got := violations(t, func() error { _, err := s.Transfer(ctx, bad, ""); return err }()); fmt.Sprint(got) != "[sku to_warehouse]" {
		t.Errorf("unknown references: %v", got)
	}
	_, err := s.Transfer(ctx, transfer(t, "T-1", "MAIN", "EAST", "6.001"), "")
	var e *errs.Error
	if !errors.As(err, &e) || e.Kind != errs.FailedPrecondition || len(e.Violations) != 1 || e.Violations[0].Field != "quantity" {
		t.Errorf("transferring reserved stock: %v", err)
	}
	if _, err := s.Transfer(ctx, transfer(t, "T-1", "EAST", "MAIN", "1"), ""); !errors.Is(err, errs.ErrFailedPrecondition) {
		t.Errorf("transferring out of an empty warehouse: %v", err)
	}
	if after := rowCounts(t, pool); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("refused transfers wrote: %v -> %v", before, after)
	}
	for _, tc := range []struct {
		tr   stock.Transfer
		want string
	}{
		{stock.Transfer{SKU: "T-1", Quantity: dec("0")}, "[from_warehouse to_warehouse quantity]"},
		{stock.Transfer{SKU: "T-1", FromWarehouse: "MAIN", ToWarehouse: "MAIN", Quantity: dec("-1")}, "[to_warehouse quantity]"},
	} {
		if got := violations(t, stock.PrepareTransfer(&tc.tr)); fmt.Sprint(got) != tc.want {
			t.Errorf("PrepareTransfer(%+v) = %v, want %s", tc.tr, got, tc.want)
		}
	}

	// All that is available, retried under one request_id: one transfer.
	tr := transfer(t, "T-1", "MAIN", "EAST", "6")
	first, err := s.Transfer(ctx, tr, "tr-1")
	if err != nil {
		t.Fatal(err)
	}
	again := tr
	again.ID = newID(t)
	second, err := s.Transfer(ctx, again, "tr-1")
	if err != nil || second.ID != first.ID || second.Quantity.String() != "6" || second.FromWarehouse != "MAIN" || second.ToWarehouse != "EAST" {
		t.Errorf("retried transfer = %+v, %v", second, err)
	}
	a := first.Availability
	if a.OnHand.String() != "10" || a.Reserved.String() != "4" || level(a, "MAIN") != "4/4" || level(a, "EAST") != "6/0" || a.Version != 3 {
		t.Errorf("availability after the transfer = %+v", a)
	}
	if _, err := s.Adjust(ctx, stock.Adjustment{ID: newID(t), SKU: "T-1", Warehouse: "MAIN", Quantity: dec("1"), Reason: "count"}, "tr-1"); !errors.Is(err, errs.ErrInvalidArgument) {
		t.Errorf("request_id of a transfer reused for an adjustment: %v", err)
	}

	// Two immutable ledger rows with one reference; one stock.changed
	// carrying both warehouses.
	var rows int
	var sum decimal.Decimal
	if err := pool.QueryRow(ctx, `SELECT count(*), sum(on_hand_delta) FROM stock_moves WHERE kind = 'transfer' AND reference = $1`,
		"stockTransfers/"+first.ID).Scan(&rows, &sum); err != nil || rows != 2 || !sum.IsZero() {
		t.Errorf("transfer rows = %d, sum %s, %v", rows, sum, err)
	}
	if _, err := pool.Exec(ctx, `UPDATE stock_moves SET on_hand_delta = 0 WHERE reference = $1`, "stockTransfers/"+first.ID); err == nil {
		t.Error("a transfer row was updated")
	}
	evs := allEvents(t, pool)
	last := evs[len(evs)-1]
	p := payload(t, last)
	whs, _ := p["warehouses"].([]any)
	if last.Type != stock.EventChanged || last.Key != "T-1" || len(whs) != 2 || p["version"] != "3" {
		t.Errorf("last event = %s %s %v", last.Type, last.Key, p)
	}
	// The order's reservation stays in MAIN and ships from there.
	checkLedger(t, pool)
	// No journal entry: standard cost 0 and transfers post nothing anyway.
	if n := count(t, pool, "journal_entries"); n != 0 {
		t.Errorf("%d journal entries", n)
	}
}

// Transfers racing with confirms and cancels never take any warehouse's
// available stock below zero: every refusal is the rule's, never a CHECK
// constraint's, and the ledger stays consistent.
func TestTransfersRaceConfirms(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	mustKgItem(t, s, "T-1", "10")
	for _, wh := range []string{"EAST", "WEST"} {
		if _, err := s.CreateWarehouse(ctx, stock.Warehouse{Code: wh, Name: wh}, ""); err != nil {
			t.Fatal(err)
		}
	}
	mustAdjust(t, s, "T-1", "MAIN", "20")
	mustAdjust(t, s, "T-1", "EAST", "5")
	c := mustCustomer(t, s, "Acme")
	warehouses := []string{"MAIN", "EAST", "WEST"}

	const workers, perWorker = 8, 25
	var wg sync.WaitGroup
	var mu sync.Mutex
	var orders []string
	okTransfers, refused := 0, 0
	for g := range workers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 7))
			for range perWorker {
				switch r.IntN(4) {
				case 0, 1:
					from := warehouses[r.IntN(3)]
					to := warehouses[(slices.Index(warehouses, from)+1+r.IntN(2))%3]
					tr := stock.Transfer{ID: newID(t), SKU: "T-1", FromWarehouse: from, ToWarehouse: to, Quantity: dec([]string{"1", "2.5", "4"}[r.IntN(3)])}
					_, err := s.Transfer(ctx, tr, "")
					var e *errs.Error
					switch {
					case err == nil:
						mu.Lock()
						okTransfers++
						mu.Unlock()
					case errors.As(err, &e) && e.Kind == errs.FailedPrecondition && len(e.Violations) == 1 && e.Violations[0].Field == "quantity":
						mu.Lock()
						refused++
						mu.Unlock()
					default:
						t.Errorf("transfer: %v", err)
					}
				case 2:
					o, err := s.CreateOrder(ctx, newOrder(c.ID, "", line("T-1", []string{"1", "3", "6"}[r.IntN(3)])), newID(t), "")
					if err != nil {
						t.Errorf("create: %v", err)
						continue
					}
					if _, err := s.ConfirmOrder(ctx, o.ID, 0, ""); err != nil {
						t.Errorf("confirm: %v", err)
					}
					mu.Lock()
					orders = append(orders, o.ID)
					mu.Unlock()
				case 3:
					mu.Lock()
					var id string
					if len(orders) > 0 {
						id = orders[r.IntN(len(orders))]
					}
					mu.Unlock()
					if id == "" {
						continue
					}
					if _, err := s.CancelOrder(ctx, id, 0, "race", ""); err != nil && !errors.Is(err, errs.ErrFailedPrecondition) {
						t.Errorf("cancel: %v", err)
					}
				}
			}
		})
	}
	wg.Wait()
	t.Logf("transfers: %d done, %d refused; %d orders", okTransfers, refused, len(orders))
	if okTransfers == 0 || refused == 0 {
		t.Errorf("the race exercised too little: %d transfers done, %d refused", okTransfers, refused)
	}
	checkLedger(t, pool) // no level below zero or reserved above on hand; levels = ledger
	var onHand decimal.Decimal
	if err := pool.QueryRow(ctx, `SELECT on_hand FROM stock_totals WHERE sku = 'T-1'`).Scan(&onHand); err != nil || onHand.String() != "25" {
		t.Errorf("total on hand = %s, %v; transfers must not create or destroy stock", onHand, err)
	}
	var bad int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM (
			SELECT l.order_id, sum(l.reserved_quantity) AS r FROM sales_order_lines l GROUP BY 1) x
		LEFT JOIN (SELECT substr(reference, 13)::uuid AS order_id, sum(reserved_delta) AS r FROM stock_moves
		           WHERE reference LIKE 'salesOrders/%' GROUP BY 1) m ON m.order_id = x.order_id
		WHERE x.r <> coalesce(m.r, 0)`).Scan(&bad); err != nil || bad != 0 {
		t.Errorf("%d orders whose reservation differs from the ledger (%v)", bad, err)
	}
	var reserved decimal.Decimal
	if err := pool.QueryRow(ctx, `SELECT coalesce(sum(l.reserved_quantity), 0) FROM sales_order_lines l
		JOIN sales_orders o ON o.id = l.order_id WHERE o.status = $1`, string(sales.Confirmed)).Scan(&reserved); err != nil || reserved.GreaterThan(onHand) {
		t.Errorf("reserved %s of %s on hand (%v)", reserved, onHand, err)
	}
}
