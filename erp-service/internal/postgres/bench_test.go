package postgres_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/seamhq/seam/erp-service/internal/api"
	"github.com/seamhq/seam/erp-service/internal/catalog"
	"github.com/seamhq/seam/erp-service/internal/customer"
	"github.com/seamhq/seam/erp-service/internal/postgres"
	"github.com/seamhq/seam/erp-service/internal/sales"
	"github.com/seamhq/seam/erp-service/internal/shipping"
	"github.com/seamhq/seam/erp-service/internal/stock"
	"github.com/seamhq/seam/platform/pg"
	"github.com/seamhq/seam/platform/pgtest"
)

// benchSkus is how many stocked items benchStore makes: B-000 to B-099.
const benchSkus = 100

// benchStore returns a store on a fresh database with a customer and
// benchSkus items in plentiful stock, its pool, and the customer.
func benchStore(b *testing.B) (*postgres.Store, *pgxpool.Pool, customer.Customer) {
	ctx := context.Background()
	url := pgtest.NewDB(b, "erp", migrate)
	pool, err := pg.Connect(ctx, pg.Config{URL: url, MaxConns: 8})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	s := postgres.New(pool, api.EventEncoder{})
	c := customer.Customer{ID: newID(b), Name: "Bench"}
	_ = customer.PrepareNew(&c)
	if _, err := s.CreateCustomer(ctx, c, ""); err != nil {
		b.Fatal(err)
	}
	for i := range benchSkus {
		it := catalog.Item{SKU: fmt.Sprintf("B-%03d", i), Name: "b", ListPrice: eur("9.99")}
		_ = catalog.PrepareNew(&it, nil)
		if _, err := s.CreateItem(ctx, it, ""); err != nil {
			b.Fatal(err)
		}
		a := stock.Adjustment{ID: newID(b), SKU: it.SKU, Quantity: dec("100000000"), Reason: "receipt"}
		_ = stock.PrepareAdjustment(&a)
		if _, err := s.Adjust(ctx, a, ""); err != nil {
			b.Fatal(err)
		}
	}
	return s, pool, c
}

// BenchmarkCreateConfirm measures the storage side of the order hot path:
// create a three-line order over 100 SKUs and confirm it, from 16 clients
// (GOMAXPROCS=2) on the service's default pool of 8 connections.
func BenchmarkCreateConfirm(b *testing.B) {
	ctx := context.Background()
	s, _, c := benchStore(b)
	var n atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			o := sales.NewOrder{ExternalRef: fmt.Sprintf("bench-%d", i), CustomerID: c.ID, CurrencyCode: "EUR", Lines: []sales.NewLine{
				line(fmt.Sprintf("B-%03d", i%benchSkus), "1"),
				line(fmt.Sprintf("B-%03d", (i*7+3)%benchSkus), "2"),
				line(fmt.Sprintf("B-%03d", (i*13+5)%benchSkus), "3"),
			}}
			created, err := s.CreateOrder(ctx, o, newID(b), "")
			if err != nil {
				b.Error(err)
				return
			}
			if _, err := s.ConfirmOrder(ctx, created.ID, 0, ""); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "orders/s")
}

// BenchmarkCreateInvoice measures issuing an invoice for a shipped
// three-line order, one client; "totals=off" drops the triggers that keep
// the sales report's daily totals, to show what they cost.
func BenchmarkCreateInvoice(b *testing.B) {
	for _, totals := range []bool{true, false} {
		b.Run(fmt.Sprintf("totals=%v", map[bool]string{true: "on", false: "off"}[totals]), func(b *testing.B) {
			ctx := context.Background()
			s, pool, c := benchStore(b)
			if !totals {
				if _, err := pool.Exec(ctx, `DROP TRIGGER invoices_sales_totals_issued ON invoices;
					DROP TRIGGER invoices_sales_totals_voided ON invoices`); err != nil {
					b.Fatal(err)
				}
			}
			issue := day("2026-03-02")
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				o := sales.NewOrder{CustomerID: c.ID, CurrencyCode: "EUR", Lines: []sales.NewLine{
					line(fmt.Sprintf("B-%03d", i%benchSkus), "1"),
					line(fmt.Sprintf("B-%03d", (i*7+3)%benchSkus), "2"),
					line(fmt.Sprintf("B-%03d", (i*13+5)%benchSkus), "3"),
				}}
				created, err := s.CreateOrder(ctx, o, newID(b), "")
				if err != nil {
					b.Fatal(err)
				}
				if _, err := s.ConfirmOrder(ctx, created.ID, 0, ""); err != nil {
					b.Fatal(err)
				}
				if _, err := s.CreateShipment(ctx, shipping.NewShipment{OrderID: created.ID}, newID(b), ""); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if _, err := s.CreateInvoice(ctx, created.ID, issue, newID(b), ""); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
