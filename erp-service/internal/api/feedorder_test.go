package api_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

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
		wg.Go(func() {
			if _, err := suppliers.UpdateSupplier(wh, &erpv1.UpdateSupplierRequest{
				Supplier: &erpv1.Supplier{Id: s.Id, Name: fmt.Sprint("Parts ", i)}, UpdateMask: mask("name"),
			}); err != nil {
				t.Errorf("update supplier: %v", err)
			}
		})
	}
	wg.Wait()

	// Versions per key and kind of event (an item and its stock count
	// apart), in feed order.
	total := e.counts()["outbox_events"]
	var evs []*erpv1.Event
	for deadline := time.Now().Add(10 * time.Second); len(evs) < total && time.Now().Before(deadline); {
		evs = nil
		after := ""
		for {
			resp, err := e.events.ListEvents(as(t, auth.Integration), &erpv1.ListEventsRequest{After: after, PageSize: 1000})
			if err != nil {
				t.Fatal(err)
			}
			evs = append(evs, resp.GetEvents()...)
			if len(resp.GetEvents()) == 0 {
				break
			}
			after = resp.GetNextCursor()
		}
	}
	versions := map[string][]int64{}
	for _, ev := range evs {
		kind, _, _ := strings.Cut(ev.GetType(), ".")
		k := ev.GetKey() + " " + kind
		versions[k] = append(versions[k], ev.GetVersion())
	}
	for _, k := range []string{c.Id + " customer", "ORD-1 item", "ORD-1 stock", s.Id + " supplier"} {
		vs := versions[k]
		if len(vs) < rounds*writers {
			t.Errorf("%s: %d events, want at least %d", k, len(vs), rounds*writers)
		}
		for i := 1; i < len(vs); i++ {
			if vs[i] <= vs[i-1] {
				t.Errorf("%s: the feed serves versions %v, out of order", k, vs)
				break
			}
		}
	}
}
