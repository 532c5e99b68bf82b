package api_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/seamhq/seam/platform/auth"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
	moneyv1 "github.com/seamhq/seam/proto/money/v1"
)

func grpcCode(err error) codes.Code { return status.Code(err) }

func mask(paths ...string) *fieldmaskpb.FieldMask { return &fieldmaskpb.FieldMask{Paths: paths} }

// Retries with a request_id, or an order's external_ref, return the first
// result and write nothing.
func TestIdempotentRetries(t *testing.T) {
	t.Parallel()
	e := start(t)
	cid := e.seed()
	ctx := as(t, auth.Integration)

	c1, err := e.customers.CreateCustomer(ctx, &erpv1.CreateCustomerRequest{Customer: &erpv1.Customer{Name: "Once"}, RequestId: "cust-1"})
	if err != nil {
		t.Fatal(err)
	}
	before := e.counts()
	c2, err := e.customers.CreateCustomer(ctx, &erpv1.CreateCustomerRequest{Customer: &erpv1.Customer{Name: "Once"}, RequestId: "cust-1"})
	if err != nil || c2.GetId() != c1.GetId() {
		t.Errorf("retried create customer = %v, %v", c2, err)
	}
	if after := e.counts(); after["customers"] != before["customers"] || after["outbox_events"] != before["outbox_events"] {
		t.Errorf("retry wrote rows")
	}

	req := &erpv1.CreateSalesOrderRequest{RequestId: "order-1", SalesOrder: &erpv1.SalesOrder{
		CustomerId: cid, CurrencyCode: "EUR", Lines: []*erpv1.SalesOrderLine{{Sku: "W-1", Quantity: "2",
			UnitPrice: &moneyv1.Money{CurrencyCode: "EUR", Amount: "9.5"}}},
	}}
	o1, err := e.orders.CreateSalesOrder(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if o1.GetTotal().GetAmount() != "19.00" || o1.GetLines()[0].GetAmount().GetAmount() != "19.00" {
		t.Errorf("order = %v", o1)
	}
	o2, err := e.orders.CreateSalesOrder(ctx, req)
	if err != nil || o2.GetId() != o1.GetId() {
		t.Errorf("retried create order = %v, %v", o2, err)
	}
	// A request_id reused for another kind of request, for another body,
	// or by another caller is bad input, and writes nothing.
	before = e.counts()
	other := proto.Clone(req).(*erpv1.CreateSalesOrderRequest)
	other.SalesOrder.Lines[0].Quantity = "3"
	otherCaller, err := auth.Sign(secret, "another-partner", []auth.Role{auth.Integration}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for name, call := range map[string]func() error{
		"another method": func() error {
			_, err := e.customers.CreateCustomer(ctx, &erpv1.CreateCustomerRequest{Customer: &erpv1.Customer{Name: "x"}, RequestId: "order-1"})
			return err
		},
		"another body": func() error { _, err := e.orders.CreateSalesOrder(ctx, other); return err },
		"another caller": func() error {
			_, err := e.orders.CreateSalesOrder(metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+otherCaller), req)
			return err
		},
	} {
		if err := call(); grpcCode(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "request_id") {
			t.Errorf("request_id reused for %s: %v", name, err)
		}
	}
	if after := e.counts(); after["sales_orders"] != before["sales_orders"] || after["outbox_events"] != before["outbox_events"] {
		t.Errorf("reused request_ids wrote rows")
	}

	// Concurrent creates with one external_ref make one order.
	ref := &erpv1.CreateSalesOrderRequest{SalesOrder: &erpv1.SalesOrder{
		ExternalRef: "opp-42", CustomerId: cid, CurrencyCode: "EUR", Lines: []*erpv1.SalesOrderLine{{Sku: "W-1", Quantity: "1"}},
	}}
	var wg sync.WaitGroup
	ids := make([]string, 10)
	for i := range ids {
		wg.Go(func() {
			o, err := e.orders.CreateSalesOrder(ctx, ref)
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = o.GetId()
		})
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("concurrent creates by external_ref: %v", ids)
		}
	}
	list, err := e.orders.ListSalesOrders(ctx, &erpv1.ListSalesOrdersRequest{Filter: `external_ref = "opp-42"`})
	if err != nil || len(list.GetSalesOrders()) != 1 {
		t.Errorf("orders with the external_ref = %v, %v", list, err)
	}
	// The same external_ref from another customer (two customers' purchase
	// order numbers can be equal) is no retry: it is refused rather than
	// answered with the first customer's order, and writes nothing.
	c3, err := e.customers.CreateCustomer(ctx, &erpv1.CreateCustomerRequest{Customer: &erpv1.Customer{Name: "Another"}})
	if err != nil {
		t.Fatal(err)
	}
	before = e.counts()
	theirs := proto.Clone(ref).(*erpv1.CreateSalesOrderRequest)
	theirs.SalesOrder.CustomerId = c3.GetId()
	if got, err := e.orders.CreateSalesOrder(ctx, theirs); grpcCode(err) != codes.AlreadyExists || !strings.Contains(err.Error(), "external_ref") {
		t.Errorf("create with another customer's external_ref = %v, %v; want ALREADY_EXISTS", got, err)
	}
	if after := e.counts(); after["sales_orders"] != before["sales_orders"] || after["outbox_events"] != before["outbox_events"] {
		t.Errorf("a create with another customer's external_ref wrote rows")
	}

	// Confirm twice with one request_id, then again without: one
	// reservation.
	for _, rid := range []string{"conf-1", "conf-1", ""} {
		got, err := e.orders.ConfirmSalesOrder(ctx, &erpv1.ConfirmSalesOrderRequest{Id: ids[0], RequestId: rid})
		if err != nil || got.GetRevision() != 2 || got.GetLines()[0].GetReservedQuantity() != "1" {
			t.Errorf("confirm (%q) = %v, %v", rid, got, err)
		}
	}
	av, _ := e.items.GetAvailability(ctx, &erpv1.GetAvailabilityRequest{Sku: "W-1"})
	if av.GetReserved() != "1" || av.GetAvailable() != "4" {
		t.Errorf("availability = %v", av)
	}
	// Adjustments retried by request_id count once.
	for range 2 {
		_, err := e.stock.CreateStockAdjustment(as(t, auth.Warehouse), &erpv1.CreateStockAdjustmentRequest{
			RequestId: "adj-9", StockAdjustment: &erpv1.StockAdjustment{Sku: "W-1", Quantity: "3", Reason: "count"},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if av, _ := e.items.GetAvailability(ctx, &erpv1.GetAvailabilityRequest{Sku: "W-1"}); av.GetOnHand() != "8" {
		t.Errorf("on hand after a retried adjustment = %s, want 8", av.GetOnHand())
	}
}

func TestUpdateMask(t *testing.T) {
	t.Parallel()
	e := start(t)
	cid := e.seed()
	ctx := as(t, auth.Finance)
	got, err := e.customers.UpdateCustomer(ctx, &erpv1.UpdateCustomerRequest{
		Customer:   &erpv1.Customer{Id: cid, PaymentTermsDays: 60, Name: "ignored"},
		UpdateMask: mask("payment_terms_days", "etag"),
	})
	if err != nil || got.GetPaymentTermsDays() != 60 || got.GetName() != "Acme" {
		t.Errorf("masked update = %v, %v", got, err)
	}
	_, err = e.customers.UpdateCustomer(ctx, &erpv1.UpdateCustomerRequest{Customer: &erpv1.Customer{Id: cid}, UpdateMask: mask("nope")})
	if f := grpcFields(t, err, codes.InvalidArgument); len(f) != 1 || f[0] != "update_mask" {
		t.Errorf("unknown mask path: %v", f)
	}
	// An empty mask replaces every updatable field.
	_, err = e.customers.UpdateCustomer(ctx, &erpv1.UpdateCustomerRequest{Customer: &erpv1.Customer{Id: cid, Name: "X"}})
	if f := grpcFields(t, err, codes.InvalidArgument); !hasAll(f, "customer.currency_code") {
		t.Errorf("empty mask with an empty currency: %v", f)
	}
	_, err = e.customers.UpdateCustomer(ctx, &erpv1.UpdateCustomerRequest{
		Customer: &erpv1.Customer{Id: cid, CrmAccountId: "other"}, UpdateMask: mask("crm_account_id"),
	})
	if f := grpcFields(t, err, codes.InvalidArgument); !hasAll(f, "customer.crm_account_id") {
		t.Errorf("changing crm_account_id: %v", f)
	}
	item, err := e.items.UpdateItem(as(t, auth.Warehouse), &erpv1.UpdateItemRequest{
		Item:       &erpv1.Item{Sku: "W-1", ListPrice: &moneyv1.Money{CurrencyCode: "EUR", Amount: "12"}, TaxRate: "0.07"},
		UpdateMask: mask("list_price.amount", "list_price.currency_code", "tax_rate"),
	})
	if err != nil || item.GetListPrice().GetAmount() != "12.00" || item.GetTaxRate() != "0.07" || item.GetName() != "Widget" {
		t.Errorf("item update = %v, %v", item, err)
	}
	if _, err := e.items.GetItem(ctx, &erpv1.GetItemRequest{Sku: "NOPE"}); grpcCode(err) != codes.NotFound {
		t.Errorf("missing item: %v", err)
	}
	if _, err := e.orders.GetSalesOrder(ctx, &erpv1.GetSalesOrderRequest{Id: "01900000-0000-7000-8000-000000000001"}); grpcCode(err) != codes.NotFound {
		t.Errorf("missing order: %v", err)
	}
	if _, err := e.orders.GetSalesOrder(ctx, &erpv1.GetSalesOrderRequest{Id: "x"}); fmt.Sprint(grpcFields(t, err, codes.InvalidArgument)) != "[id]" {
		t.Errorf("malformed order id: %v", err)
	}
}

// WatchEvents sends the events after the cursor, then new ones as they
// commit; ListEvents pages with next_cursor.
func TestEvents(t *testing.T) {
	t.Parallel()
	e := start(t)
	cid := e.seed() // customer.created, item.created, stock.changed
	ctx, cancel := context.WithTimeout(as(t, auth.Integration), 20*time.Second)
	defer cancel()

	var first *erpv1.ListEventsResponse
	deadline := time.Now().Add(10 * time.Second)
	for {
		var err error
		first, err = e.events.ListEvents(ctx, &erpv1.ListEventsRequest{PageSize: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(first.GetEvents()) == 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(first.GetEvents()) != 2 || first.GetEvents()[0].GetCustomer().GetId() != cid ||
		first.GetEvents()[0].GetVersion() != 1 || first.GetEvents()[1].GetItem().GetSku() != "W-1" ||
		first.GetNextCursor() != first.GetEvents()[1].GetCursor() {
		t.Fatalf("first page = %v", first)
	}

	stream, err := e.events.WatchEvents(ctx, &erpv1.WatchEventsRequest{After: first.GetNextCursor()})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if ev.GetType() != "stock.changed" || ev.GetKey() != "W-1" || ev.GetStockLevel().GetOnHand() != "5" || ev.GetVersion() != 1 {
		t.Errorf("existing event = %v", ev)
	}
	o, err := e.orders.CreateSalesOrder(ctx, &erpv1.CreateSalesOrderRequest{SalesOrder: &erpv1.SalesOrder{
		CustomerId: cid, CurrencyCode: "EUR", Lines: []*erpv1.SalesOrderLine{{Sku: "W-1", Quantity: "2"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.orders.ConfirmSalesOrder(ctx, &erpv1.ConfirmSalesOrderRequest{Id: o.GetId()}); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		typ, key string
		version  int64
	}{
		{"sales_order.created", o.GetId(), 1},
		{"stock.changed", "W-1", 2},
		{"sales_order.confirmed", o.GetId(), 2},
	}
	for _, w := range want {
		ev, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if ev.GetType() != w.typ || ev.GetKey() != w.key || ev.GetVersion() != w.version || ev.GetCreateTime() == nil || ev.GetId() == "" {
			t.Errorf("event = %v, want %v", ev, w)
		}
		switch ev.GetType() {
		case "stock.changed":
			if ev.GetStockLevel().GetReserved() != "2" || ev.GetStockLevel().GetWarehouses()[0].GetAvailable() != "3" {
				t.Errorf("stock payload = %v", ev.GetStockLevel())
			}
		case "sales_order.confirmed":
			if ev.GetSalesOrder().GetStatus() != erpv1.SalesOrderStatus_SALES_ORDER_STATUS_CONFIRMED {
				t.Errorf("order payload = %v", ev.GetSalesOrder())
			}
		}
	}
	cancel()

	if _, err := e.events.ListEvents(as(t, auth.Integration), &erpv1.ListEventsRequest{PageSize: -1}); grpcCode(err) != codes.InvalidArgument {
		t.Errorf("negative page size: %v", err)
	}
}

// Fifty clients confirm fifty one-unit orders of an item with ten on hand
// through the API: ten are reserved, forty backordered.
func TestConcurrentConfirmThroughAPI(t *testing.T) {
	t.Parallel()
	e := start(t)
	cid := e.seed() // W-1 has 5 on hand
	ctx := as(t, auth.Sales)
	e.receive("W-1", "5")
	ids := make([]string, 50)
	for i := range ids {
		o, err := e.orders.CreateSalesOrder(ctx, &erpv1.CreateSalesOrderRequest{SalesOrder: &erpv1.SalesOrder{
			CustomerId: cid, CurrencyCode: "EUR", Lines: []*erpv1.SalesOrderLine{{Sku: "W-1", Quantity: "1"}},
		}})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = o.GetId()
	}
	var wg sync.WaitGroup
	var reserved, backordered atomic.Int64
	for _, id := range ids {
		wg.Go(func() {
			o, err := e.orders.ConfirmSalesOrder(ctx, &erpv1.ConfirmSalesOrderRequest{Id: id})
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
	if err != nil || av.GetReserved() != "10" || av.GetAvailable() != "0" || av.GetVersion() != 12 {
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
}
