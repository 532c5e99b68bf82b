package api_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/seamhq/seam/platform/auth"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
	moneyv1 "github.com/seamhq/seam/proto/money/v1"
)

// A create with confirm leaves the order as a confirm would, in one
// transaction: reservations and backorders, the created, stock and
// confirmed events in that order, and a replay that writes nothing.
func TestCreateConfirmed(t *testing.T) {
	t.Parallel()
	e := start(t)
	cid := e.seed() // W-1: 5 on hand
	if _, err := e.items.CreateItem(as(t, auth.Warehouse), &erpv1.CreateItemRequest{Item: &erpv1.Item{
		Sku: "W-2", Name: "Gadget", ListPrice: &moneyv1.Money{CurrencyCode: "EUR", Amount: "4.00"},
	}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(as(t, auth.Integration), 20*time.Second)
	defer cancel()
	stream, err := e.events.WatchEvents(ctx, &erpv1.WatchEventsRequest{})
	if err != nil {
		t.Fatal(err)
	}

	req := &erpv1.CreateSalesOrderRequest{Confirm: true, SalesOrder: &erpv1.SalesOrder{
		ExternalRef: "opp-7", CustomerId: cid, CurrencyCode: "EUR", Lines: []*erpv1.SalesOrderLine{
			{Sku: "W-1", Quantity: "3"}, {Sku: "W-2", Quantity: "2"},
		},
	}}
	o, err := e.orders.CreateSalesOrder(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if o.GetStatus() != erpv1.SalesOrderStatus_SALES_ORDER_STATUS_CONFIRMED || o.GetRevision() != 2 || o.GetNumber() == "" ||
		o.GetLines()[0].GetReservedQuantity() != "3" || o.GetLines()[1].GetBackorderedQuantity() != "2" || !o.GetBackordered() {
		t.Errorf("created and confirmed = %v", o)
	}
	got, err := e.orders.GetSalesOrder(ctx, &erpv1.GetSalesOrderRequest{Id: o.GetId()})
	if err != nil || got.GetStatus() != o.GetStatus() || got.GetLines()[0].GetReservedQuantity() != "3" ||
		got.GetLines()[1].GetBackorderedQuantity() != "2" || got.GetEtag() != o.GetEtag() {
		t.Errorf("read back = %v, %v", got, err)
	}
	av, err := e.items.GetAvailability(ctx, &erpv1.GetAvailabilityRequest{Sku: "W-1"})
	if err != nil || av.GetReserved() != "3" || av.GetAvailable() != "2" {
		t.Errorf("availability = %v, %v", av, err)
	}

	want := []struct {
		typ, key string
		version  int64
		status   erpv1.SalesOrderStatus
	}{
		{"sales_order.created", o.GetId(), 1, erpv1.SalesOrderStatus_SALES_ORDER_STATUS_DRAFT},
		{"stock.changed", "W-1", 2, 0},
		{"sales_order.confirmed", o.GetId(), 2, erpv1.SalesOrderStatus_SALES_ORDER_STATUS_CONFIRMED},
	}
	// The seed's events come first; the order's start with its creation.
	var ev *erpv1.Event
	for ev == nil || ev.GetKey() != o.GetId() {
		if ev, err = stream.Recv(); err != nil {
			t.Fatal(err)
		}
	}
	for i, w := range want {
		if i > 0 {
			if ev, err = stream.Recv(); err != nil {
				t.Fatal(err)
			}
		}
		if ev.GetType() != w.typ || ev.GetKey() != w.key || ev.GetVersion() != w.version {
			t.Errorf("event = %s %s v%d, want %v", ev.GetType(), ev.GetKey(), ev.GetVersion(), w)
		}
		if so := ev.GetSalesOrder(); so != nil && (so.GetStatus() != w.status || so.GetNumber() != o.GetNumber()) {
			t.Errorf("%s payload = %v", ev.GetType(), so)
		}
	}

	// The same external_ref again: the existing order, nothing written.
	before := e.counts()
	again, err := e.orders.CreateSalesOrder(ctx, req)
	if err != nil || again.GetId() != o.GetId() || again.GetRevision() != 2 {
		t.Errorf("replayed create = %v, %v", again, err)
	}
	if after := e.counts(); after["stock_moves"] != before["stock_moves"] || after["outbox_events"] != before["outbox_events"] ||
		after["sales_orders"] != before["sales_orders"] {
		t.Errorf("a replayed create wrote rows: %v -> %v", before, after)
	}

	// Bad input with confirm writes nothing either.
	_, err = e.orders.CreateSalesOrder(ctx, &erpv1.CreateSalesOrderRequest{Confirm: true, SalesOrder: &erpv1.SalesOrder{
		CustomerId: cid, CurrencyCode: "EUR", Lines: []*erpv1.SalesOrderLine{{Sku: "NOPE", Quantity: "1"}},
	}})
	if f := grpcFields(t, err, codes.InvalidArgument); !hasAll(f, "sales_order.lines[0].sku") {
		t.Errorf("unknown SKU: %v (%v)", f, err)
	}
	if after := e.counts(); after["stock_moves"] != before["stock_moves"] || after["sales_orders"] != before["sales_orders"] {
		t.Errorf("a rejected create wrote rows")
	}
}

// Fifty clients create-and-confirm one-unit orders of an item with ten on
// hand: ten are reserved, forty backordered, and the ledger agrees.
func TestConcurrentCreateConfirmed(t *testing.T) {
	t.Parallel()
	e := start(t)
	cid := e.seed()
	ctx := as(t, auth.Sales)
	e.receive("W-1", "5")
	var wg sync.WaitGroup
	var reserved, backordered atomic.Int64
	for range 50 {
		wg.Go(func() {
			o, err := e.orders.CreateSalesOrder(ctx, &erpv1.CreateSalesOrderRequest{Confirm: true, SalesOrder: &erpv1.SalesOrder{
				CustomerId: cid, CurrencyCode: "EUR", Lines: []*erpv1.SalesOrderLine{{Sku: "W-1", Quantity: "1"}},
			}})
			if err != nil {
				t.Error(err)
				return
			}
			l := o.GetLines()[0]
			if l.GetReservedQuantity() == "1" {
				reserved.Add(1)
			}
			if l.GetBackorderedQuantity() == "1" {
				backordered.Add(1)
			}
		})
	}
	wg.Wait()
	if reserved.Load() != 10 || backordered.Load() != 40 {
		t.Errorf("reserved %d, backordered %d; want 10 and 40", reserved.Load(), backordered.Load())
	}
	av, err := e.items.GetAvailability(ctx, &erpv1.GetAvailabilityRequest{Sku: "W-1"})
	if err != nil || av.GetReserved() != "10" || av.GetAvailable() != "0" {
		t.Errorf("availability = %v, %v", av, err)
	}
	var mismatched int
	if err := e.pool.QueryRow(context.Background(), `
		SELECT count(*) FROM stock_levels l
		JOIN (SELECT sku, warehouse, sum(on_hand_delta) oh, sum(reserved_delta) r FROM stock_moves GROUP BY 1, 2) m
		  USING (sku, warehouse)
		WHERE l.on_hand <> m.oh OR l.reserved <> m.r OR l.on_hand < 0 OR l.reserved > l.on_hand`).Scan(&mismatched); err != nil {
		t.Fatal(err)
	}
	if mismatched != 0 {
		t.Errorf("%d stock levels disagree with the ledger", mismatched)
	}
	var lines int
	if err := e.pool.QueryRow(context.Background(), `
		SELECT count(*) FROM sales_order_lines l
		WHERE l.reserved_quantity <> coalesce((SELECT sum(reserved_delta) FROM stock_moves m
		  WHERE m.reference = 'salesOrders/' || l.order_id AND m.sku = l.sku), 0)`).Scan(&lines); err != nil {
		t.Fatal(err)
	}
	if lines != 0 {
		t.Errorf("%d order lines' reservations disagree with the ledger", lines)
	}
}

// Concurrent creates of one order (the same external_ref, some with the
// same request_id, as the bridge's retries send) make one order, with one
// created event, and reserve its stock once. The losers' writes go out
// with a COMMIT that their failed insertion stops. Creates that confirm
// wait for each other on the stock of their SKUs, so only the ones that
// do not confirm can race; both kinds run here.
func TestConcurrentCreateSameOrder(t *testing.T) {
	t.Parallel()
	e := start(t)
	cid := e.seed()
	ctx := as(t, auth.Sales)
	e.receive("W-1", "5")
	for _, confirm := range []bool{false, true} {
		ref := fmt.Sprintf("opp-%v", confirm)
		const n = 64
		ids := make(chan string, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				req := &erpv1.CreateSalesOrderRequest{Confirm: confirm, SalesOrder: &erpv1.SalesOrder{
					ExternalRef: ref, CustomerId: cid, CurrencyCode: "EUR", Lines: []*erpv1.SalesOrderLine{{Sku: "W-1", Quantity: "2"}},
				}}
				if i%2 == 0 {
					req.RequestId = "won-" + ref
				}
				o, err := e.orders.CreateSalesOrder(ctx, req)
				if err != nil {
					t.Error(err)
					return
				}
				ids <- o.GetId()
			})
		}
		wg.Wait()
		close(ids)
		seen := map[string]bool{}
		for id := range ids {
			seen[id] = true
		}
		if len(seen) != 1 {
			t.Errorf("confirm %v: the creates returned %d orders, want 1", confirm, len(seen))
		}
	}
	var orders, created int
	var reserved, moves string
	if err := e.pool.QueryRow(context.Background(), `
		SELECT (SELECT count(*) FROM sales_orders), (SELECT count(*) FROM outbox_events WHERE type = 'sales_order.created'),
		       (SELECT reserved::text FROM stock_totals WHERE sku = 'W-1'),
		       (SELECT coalesce(sum(reserved_delta), 0)::text FROM stock_moves WHERE sku = 'W-1')`).Scan(&orders, &created, &reserved, &moves); err != nil {
		t.Fatal(err)
	}
	if orders != 2 || created != 2 || reserved != "2" || moves != "2" {
		t.Errorf("%d orders, %d created events, %s reserved, %s in stock moves; want 2 orders, 2 events, 2 reserved",
			orders, created, reserved, moves)
	}
}

// A create with confirm that would take the customer over its credit
// limit puts the order on credit hold, reserving nothing; a customer
// without a limit is never held.
func TestCreateConfirmedOnCreditHold(t *testing.T) {
	t.Parallel()
	e := start(t)
	cid := e.seed() // W-1 at 10.00 EUR, 5 on hand
	fin := as(t, auth.Finance)
	c, err := e.customers.GetCustomer(fin, &erpv1.GetCustomerRequest{Id: cid})
	if err != nil {
		t.Fatal(err)
	}
	c.CreditLimit = &moneyv1.Money{CurrencyCode: "EUR", Amount: "25.00"}
	if _, err := e.customers.UpdateCustomer(fin, &erpv1.UpdateCustomerRequest{Customer: c, UpdateMask: mask("credit_limit")}); err != nil {
		t.Fatal(err)
	}
	ctx := as(t, auth.Sales)
	create := func(qty string) *erpv1.SalesOrder {
		t.Helper()
		o, err := e.orders.CreateSalesOrder(ctx, &erpv1.CreateSalesOrderRequest{Confirm: true, SalesOrder: &erpv1.SalesOrder{
			CustomerId: cid, CurrencyCode: "EUR", Lines: []*erpv1.SalesOrderLine{{Sku: "W-1", Quantity: qty}},
		}})
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	if o := create("2"); o.GetStatus() != erpv1.SalesOrderStatus_SALES_ORDER_STATUS_CONFIRMED {
		t.Errorf("20.00 under a 25.00 limit = %v", o.GetStatus())
	}
	// 20.00 confirmed + 10.00 > 25.00.
	o := create("1")
	if o.GetStatus() != erpv1.SalesOrderStatus_SALES_ORDER_STATUS_ON_CREDIT_HOLD || o.GetLines()[0].GetReservedQuantity() != "0" {
		t.Errorf("over the limit = %v", o)
	}
	if av, _ := e.items.GetAvailability(ctx, &erpv1.GetAvailabilityRequest{Sku: "W-1"}); av.GetReserved() != "2" {
		t.Errorf("reserved = %s, want 2 (the held order reserves nothing)", av.GetReserved())
	}
}
