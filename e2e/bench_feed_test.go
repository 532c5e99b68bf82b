package e2e

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/seamhq/seam/e2e/internal/stack"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
	moneyv1 "github.com/seamhq/seam/proto/money/v1"
)

// BenchmarkCatchUp measures the bridge catching up: with the bridge
// stopped, items and stock changes for skus SKUs queue in the ERP feed
// (three events per SKU: item created, stock changed twice); then the
// bridge starts and the clock runs until every SKU shows its final
// availability in the CRM. Reports events per second and the time for all
// SKUs' stock to show.
func BenchmarkCatchUp(b *testing.B) {
	const skus = 16_667 // three events each: 50,001 events
	st := startStack(b, map[string]map[string]string{
		stack.CRM: {"LOG_LEVEL": "warn"}, stack.ERP: {"LOG_LEVEL": "warn"}, stack.Bridge: {"LOG_LEVEL": "warn"},
	})
	ctx := context.Background()
	erp, crm := dialAdmin(b, st, stack.ERP), dialAdmin(b, st, stack.CRM)
	items, stock := erpv1.NewItemServiceClient(erp), erpv1.NewStockServiceClient(erp)

	for b.Loop() {
		st.Process(stack.Bridge).Stop(10 * time.Second)
		prefix := fmt.Sprintf("CU%d", time.Now().UnixNano()%1e6)
		start := time.Now()
		var wg sync.WaitGroup
		work := make(chan int)
		for range 8 {
			wg.Go(func() {
				for i := range work {
					sku := fmt.Sprintf("%s-%05d", prefix, i)
					if _, err := items.CreateItem(ctx, &erpv1.CreateItemRequest{Item: &erpv1.Item{
						Sku: sku, Name: "Catch-up item", ListPrice: &moneyv1.Money{CurrencyCode: "EUR", Amount: "1.00"},
					}}); err != nil {
						b.Error(err)
						return
					}
					for _, q := range []string{"10", "5"} {
						if _, err := stock.CreateStockAdjustment(ctx, &erpv1.CreateStockAdjustmentRequest{
							StockAdjustment: &erpv1.StockAdjustment{Sku: sku, Quantity: q, Reason: "receipt"},
						}); err != nil {
							b.Error(err)
							return
						}
					}
				}
			})
		}
		for i := range skus {
			work <- i
		}
		close(work)
		wg.Wait()
		b.Logf("queued %d events in %s with the bridge down", 3*skus, time.Since(start).Round(time.Millisecond))

		products := crmv1.NewProductServiceClient(crm)
		last := fmt.Sprintf("%s-%05d", prefix, skus-1)
		start = time.Now()
		if err := st.Process(stack.Bridge).Start(ctx); err != nil {
			b.Fatal(err)
		}
		for {
			p, err := products.GetProduct(ctx, &crmv1.GetProductRequest{Sku: last})
			if err == nil && p.GetAvailableQuantity() == "15" {
				// The last SKU is done; check every SKU.
				done := true
				token := ""
				seen := 0
				for {
					resp, err := products.ListProducts(ctx, &crmv1.ListProductsRequest{PageSize: 1000, PageToken: token})
					if err != nil {
						b.Fatal(err)
					}
					for _, p := range resp.GetProducts() {
						if len(p.GetSku()) > len(prefix) && p.GetSku()[:len(prefix)] == prefix {
							seen++
							done = done && p.GetAvailableQuantity() == "15"
						}
					}
					if token = resp.GetNextPageToken(); token == "" {
						break
					}
				}
				if done && seen == skus {
					break
				}
			}
			if time.Since(start) > 5*time.Minute {
				b.Fatal("the bridge did not catch up in 5 minutes")
			}
			time.Sleep(20 * time.Millisecond)
		}
		took := time.Since(start)
		b.ReportMetric(float64(3*skus)/took.Seconds(), "events/s")
		b.ReportMetric(took.Seconds(), "s-all-skus-visible")
		b.Logf("caught up %d events (%d SKUs) in %s: %.0f events/s", 3*skus, skus, took.Round(time.Millisecond), float64(3*skus)/took.Seconds())
	}
	reportPeakMemory(b, st)
}
