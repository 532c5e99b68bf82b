package api_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/seamhq/seam/platform/auth"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
	moneyv1 "github.com/seamhq/seam/proto/money/v1"
)

// Concurrent writes of one record reach the feed in version order: each
// writer takes the record's key lock (for an item, its SKU's stock lock)
// before its transaction has an id, and the feed orders by transaction
// id. Without the lock, writers queued on the row took their ids in
// arrival order and committed in another.
func TestFeedOrdersEachRecordsEvents(t *testing.T) {
	t.Parallel()
	e := start(t)
	fin, wh := as(t, auth.Finance), as(t, auth.Warehouse)
	c, err := e.customers.CreateCustomer(fin, &erpv1.CreateCustomerRequest{Customer: &erpv1.Customer{Name: "Acme", CurrencyCode: "EUR"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.items.CreateItem(wh, &erpv1.CreateItemRequest{Item: &erpv1.Item{
		Sku: "ORD-1", Name: "Widget", ListPrice: &moneyv1.Money{CurrencyCode: "EUR", Amount: "10.00"},
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.stock.CreateStockAdjustment(wh, &erpv1.CreateStockAdjustmentRequest{
		StockAdjustment: &erpv1.StockAdjustment{Sku: "ORD-1", Quantity: "1000", Reason: "receipt"},
	}); err != nil {
		t.Fatal(err)
	}
	order, err := e.orders.CreateSalesOrder(as(t, auth.Integration), &erpv1.CreateSalesOrderRequest{Confirm: true, SalesOrder: &erpv1.SalesOrder{
		CustomerId: c.Id, CurrencyCode: "EUR", Lines: []*erpv1.SalesOrderLine{{Sku: "ORD-1", Quantity: "500"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	suppliers := erpv1.NewSupplierServiceClient(e.conn)
	s, err := suppliers.CreateSupplier(wh, &erpv1.CreateSupplierRequest{Supplier: &erpv1.Supplier{Name: "Parts Ltd", CurrencyCode: "EUR"}})
	if err != nil {
		t.Fatal(err)
	}

	// Enough writers at once that several queue on each row.
	const rounds, writers = 4, 24
	var wg sync.WaitGroup
	for i := range rounds * writers {
		wg.Go(func() {
			if _, err := e.customers.UpdateCustomer(fin, &erpv1.UpdateCustomerRequest{
				Customer: &erpv1.Customer{Id: c.Id, Name: fmt.Sprint("Acme ", i)}, UpdateMask: mask("name"),
			}); err != nil {
				t.Errorf("update customer: %v", err)
			}
		})
		wg.Go(func() {
			if _, err := e.items.UpdateItem(wh, &erpv1.UpdateItemRequest{
				Item: &erpv1.Item{Sku: "ORD-1", Name: fmt.Sprint("Widget ", i)}, UpdateMask: mask("name"),
			}); err != nil {
				t.Errorf("update item: %v", err)
			}
		})
		wg.Go(func() {
			if _, err := e.stock.CreateStockAdjustment(wh, &erpv1.CreateStockAdjustmentRequest{
				StockAdjustment: &erpv1.StockAdjustment{Sku: "ORD-1", Quantity: "1", Reason: "count"},
			}); err != nil {
				t.Errorf("adjust stock: %v", err)
			}
		})
		// An order shipped and invoiced at once: shipments lock its SKUs,
		// invoices its customer, both the order.
		wg.Go(func() {
			if _, err := e.shipments.CreateShipment(wh, &erpv1.CreateShipmentRequest{Shipment: &erpv1.Shipment{
				SalesOrderId: order.Id, Lines: []*erpv1.ShipmentLine{{LineNumber: 1, Quantity: "1"}},
			}}); err != nil {
				t.Errorf("ship: %v", err)
			}
		})
		wg.Go(func() {
			_, err := e.invoices.CreateInvoice(fin, &erpv1.CreateInvoiceRequest{Invoice: &erpv1.Invoice{SalesOrderId: order.Id}})
			if err != nil && grpcCode(err) != codes.FailedPrecondition { // nothing new shipped to invoice
				t.Errorf("invoice: %v", err)
			}
		})
		wg.Go(func() {
			if _, err := suppliers.UpdateSupplier(wh, &erpv1.UpdateSupplierRequest{
				Supplier: &erpv1.Supplier{Id: s.Id, Name: fmt.Sprint("Parts ", i)}, UpdateMask: mask("name"),
			}); err != nil {
				t.Errorf("update supplier: %v", err)
			}
		})
	}
	wg.Wait()

	// Versions per key and counter, in feed order: an item and its stock
	// count apart, and so do a customer and its balance.
	evs := e.feed(t)
	versions := map[string][]int64{}
	for _, ev := range evs {
		kind, _, _ := strings.Cut(ev.GetType(), ".")
		if ev.GetType() == "customer.balance_changed" {
			kind = ev.GetType()
		}
		k := ev.GetKey() + " " + kind
		versions[k] = append(versions[k], ev.GetVersion())
	}
	// The least each counter moved: every update, adjustment or shipment
	// applies; invoices only while something new has shipped.
	for k, least := range map[string]int{
		c.Id + " customer": rounds * writers, c.Id + " customer.balance_changed": 2, "ORD-1 item": rounds * writers,
		"ORD-1 stock": rounds * writers, s.Id + " supplier": rounds * writers, order.Id + " sales_order": rounds * writers,
	} {
		vs := versions[k]
		if len(vs) < least {
			t.Errorf("%s: %d events, want at least %d", k, len(vs), least)
		}
		for i := 1; i < len(vs); i++ {
			if vs[i] <= vs[i-1] {
				t.Errorf("%s: the feed serves versions %v, out of order", k, vs)
				break
			}
		}
	}
}

// Stock that arrives for a backordered order changes that order, while
// shipments and invoices change it too: a receipt takes the keys of the
// orders it may fill before its transaction has an id, so the order's
// events stay in version order.
func TestFeedOrdersBackorderFills(t *testing.T) {
	t.Parallel()
	e := start(t)
	fin, wh := as(t, auth.Finance), as(t, auth.Warehouse)
	c, err := e.customers.CreateCustomer(fin, &erpv1.CreateCustomerRequest{Customer: &erpv1.Customer{Name: "Acme", CurrencyCode: "EUR"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, sku := range []string{"BO-A", "BO-B"} {
		if _, err := e.items.CreateItem(wh, &erpv1.CreateItemRequest{Item: &erpv1.Item{
			Sku: sku, Name: sku, ListPrice: &moneyv1.Money{CurrencyCode: "EUR", Amount: "10.00"},
		}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.stock.CreateStockAdjustment(wh, &erpv1.CreateStockAdjustmentRequest{
		StockAdjustment: &erpv1.StockAdjustment{Sku: "BO-A", Quantity: "1000", Reason: "receipt"},
	}); err != nil {
		t.Fatal(err)
	}
	// BO-A in stock, BO-B backordered.
	order, err := e.orders.CreateSalesOrder(as(t, auth.Integration), &erpv1.CreateSalesOrderRequest{Confirm: true, SalesOrder: &erpv1.SalesOrder{
		CustomerId: c.Id, CurrencyCode: "EUR", Lines: []*erpv1.SalesOrderLine{{Sku: "BO-A", Quantity: "500"}, {Sku: "BO-B", Quantity: "500"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	const writers = 48
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			if _, err := e.stock.CreateStockAdjustment(wh, &erpv1.CreateStockAdjustmentRequest{
				StockAdjustment: &erpv1.StockAdjustment{Sku: "BO-B", Quantity: "1", Reason: "receipt"},
			}); err != nil {
				t.Errorf("receipt: %v", err)
			}
		})
		wg.Go(func() {
			if _, err := e.shipments.CreateShipment(wh, &erpv1.CreateShipmentRequest{Shipment: &erpv1.Shipment{
				SalesOrderId: order.Id, Lines: []*erpv1.ShipmentLine{{LineNumber: 1, Quantity: "1"}},
			}}); err != nil {
				t.Errorf("ship: %v", err)
			}
		})
		wg.Go(func() {
			_, err := e.invoices.CreateInvoice(fin, &erpv1.CreateInvoiceRequest{Invoice: &erpv1.Invoice{SalesOrderId: order.Id}})
			if err != nil && grpcCode(err) != codes.FailedPrecondition {
				t.Errorf("invoice: %v", err)
			}
		})
	}
	wg.Wait()
	var vs []int64
	for _, ev := range e.feed(t) {
		if ev.GetKey() == order.Id {
			vs = append(vs, ev.GetVersion())
		}
	}
	if len(vs) < 2*writers {
		t.Errorf("order: %d events, want at least %d", len(vs), 2*writers)
	}
	for i := 1; i < len(vs); i++ {
		if vs[i] <= vs[i-1] {
			t.Fatalf("the feed serves the order's versions %v, out of order", vs)
		}
	}
}

// feed reads the whole feed, waiting until it serves every event written.
func (e *env) feed(t *testing.T) []*erpv1.Event {
	t.Helper()
	total := e.counts()["outbox_events"]
	var evs []*erpv1.Event
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		evs = nil
		for after := ""; ; {
			resp, err := e.events.ListEvents(as(t, auth.Integration), &erpv1.ListEventsRequest{After: after, PageSize: 1000})
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.GetEvents()) == 0 {
				break
			}
			evs = append(evs, resp.GetEvents()...)
			after = resp.GetNextCursor()
		}
		if len(evs) >= total {
			return evs
		}
	}
	t.Fatalf("the feed serves %d events, want %d", len(evs), total)
	return nil
}
