package api_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/seamhq/seam/platform/auth"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
	moneyv1 "github.com/seamhq/seam/proto/money/v1"
)

// BenchmarkCreateConfirm measures the order hot path through gRPC: create
// a three-line order, then confirm it, from 16 concurrent clients (with
// GOMAXPROCS=2; 8 per P). Reports orders/s.
func BenchmarkCreateConfirm(b *testing.B) {
	e := startB(b)
	wh, sales := asB(b, auth.Warehouse), asB(b, auth.Sales)
	c, err := e.customers.CreateCustomer(sales, &erpv1.CreateCustomerRequest{Customer: &erpv1.Customer{Name: "Bench"}})
	if err != nil {
		b.Fatal(err)
	}
	const skus = 100
	for i := range skus {
		sku := fmt.Sprintf("B-%03d", i)
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
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			o, err := e.orders.CreateSalesOrder(sales, &erpv1.CreateSalesOrderRequest{SalesOrder: &erpv1.SalesOrder{
				ExternalRef: fmt.Sprintf("bench-%d", i), CustomerId: c.GetId(), CurrencyCode: "EUR",
				Lines: []*erpv1.SalesOrderLine{
					{Sku: fmt.Sprintf("B-%03d", i%skus), Quantity: "1"},
					{Sku: fmt.Sprintf("B-%03d", (i*7+3)%skus), Quantity: "2"},
					{Sku: fmt.Sprintf("B-%03d", (i*13+5)%skus), Quantity: "3"},
				},
			}})
			if err != nil {
				b.Error(err)
				return
			}
			if _, err := e.orders.ConfirmSalesOrder(sales, &erpv1.ConfirmSalesOrderRequest{Id: o.GetId()}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "orders/s")
}
