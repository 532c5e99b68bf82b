package api_test

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/boot"
	"github.com/seamhq/seam/platform/cputime"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
	moneyv1 "github.com/seamhq/seam/proto/money/v1"
)

// BenchmarkCreateConfirm measures the order hot path through gRPC: orders
// of three lines drawn from a catalog of skus items, for customers drawn
// from a list of customers, created and confirmed by concurrent clients,
// either in one call (create with confirm) or in two (create, then
// ConfirmSalesOrder). Reports orders/s and the CPU time each order costs.
// The last case is a hot spot: every order for one customer, from a
// catalog of 30 items, so most orders wait for another's SKU locks.
func BenchmarkCreateConfirm(b *testing.B) {
	for _, bc := range []struct {
		calls, clients, customers, skus int
	}{
		{1, 1, 1000, 1000}, {1, 16, 1000, 1000}, {2, 16, 1000, 1000}, {1, 16, 1, 30},
	} {
		b.Run(fmt.Sprintf("calls=%d/clients=%d/customers=%d/skus=%d", bc.calls, bc.clients, bc.customers, bc.skus), func(b *testing.B) {
			benchCreateConfirm(b, bc.calls, bc.clients, bc.customers, bc.skus)
		})
	}
}

func benchCreateConfirm(b *testing.B, calls, clients, customers, skus int) {
	boot.TuneRuntime() // the server's runtime as the binary sets it
	e := startB(b)
	wh, sales := asB(b, auth.Warehouse), asB(b, auth.Sales)
	customerIDs := make([]string, customers)
	for i := range customers {
		c, err := e.customers.CreateCustomer(sales, &erpv1.CreateCustomerRequest{Customer: &erpv1.Customer{Name: fmt.Sprintf("Bench %d", i)}})
		if err != nil {
			b.Fatal(err)
		}
		customerIDs[i] = c.GetId()
	}
	for i := range skus {
		sku := fmt.Sprintf("B-%04d", i)
		if _, err := e.items.CreateItem(wh, &erpv1.CreateItemRequest{Item: &erpv1.Item{
			Sku: sku, Name: sku, ListPrice: &moneyv1.Money{CurrencyCode: "EUR", Amount: "9.99"},
		}}); err != nil {
			b.Fatal(err)
		}
		if _, err := e.stock.CreateStockAdjustment(wh, &erpv1.CreateStockAdjustmentRequest{StockAdjustment: &erpv1.StockAdjustment{
			Sku: sku, Quantity: "100000000", Reason: "receipt",
		}}); err != nil {
			b.Fatal(err)
		}
	}
	var n atomic.Int64
	cpu0, err := cputime.Self()
	if err != nil {
		b.Fatal(err)
	}
	// RunParallel starts parallelism x GOMAXPROCS goroutines.
	b.SetParallelism(max(1, clients/max(1, runtimeProcs())))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(n.Add(1))
			o, err := e.orders.CreateSalesOrder(sales, &erpv1.CreateSalesOrderRequest{Confirm: calls == 1, SalesOrder: &erpv1.SalesOrder{
				ExternalRef: fmt.Sprintf("bench-%d", i), CustomerId: customerIDs[(i*31)%customers], CurrencyCode: "EUR",
				Lines: []*erpv1.SalesOrderLine{
					{Sku: fmt.Sprintf("B-%04d", i%skus), Quantity: "1"},
					{Sku: fmt.Sprintf("B-%04d", (i*7+3)%skus), Quantity: "2"},
					{Sku: fmt.Sprintf("B-%04d", (i*13+5)%skus), Quantity: "3"},
				},
			}})
			if err != nil {
				b.Error(err)
				return
			}
			if calls == 2 {
				if _, err := e.orders.ConfirmSalesOrder(sales, &erpv1.ConfirmSalesOrderRequest{Id: o.GetId()}); err != nil {
					b.Error(err)
					return
				}
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "orders/s")
	// CPU per order over every process serving it (this process, client
	// and server, and PostgreSQL, a child of it): unlike orders/s, it
	// hardly depends on what else the machine is running.
	if cpu1, err := cputime.Self(); err == nil {
		b.ReportMetric(float64((cpu1-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/order")
	}
}

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }
