package api_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

// BenchmarkWonDealLoop measures what the bridge's won-deal loop costs CRM:
// win an opportunity, then record its ERP order. It reports p50 and p99
// latency per call (through gRPC, on one connection, against the test
// server's Postgres, whose durability is off).
func BenchmarkWonDealLoop(b *testing.B) {
	e := newBenchEnv(b)
	e.seedProducts(product("SKU-1", "Widget", "10.00"), product("SKU-2", "Gadget", "2.00"), product("SKU-3", "Gizmo", "3.00"))
	a := e.createAccount("Acme")
	ids := make([]string, b.N)
	for i := range b.N {
		ids[i] = e.createOpportunity(a.Id, line("SKU-1", "1"), line("SKU-2", "2"), line("SKU-3", "3")).Id
	}
	sales, bridge := e.sales(), e.bridge()
	var win, order []time.Duration
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		if _, err := e.opportunities.WinOpportunity(sales, &crmv1.WinOpportunityRequest{Id: ids[i], RequestId: fmt.Sprint("w", i)}); err != nil {
			b.Fatal(err)
		}
		mid := time.Now()
		if _, err := e.sync.SetOpportunityOrder(bridge, &crmv1.SetOpportunityOrderRequest{
			OpportunityId: ids[i], OrderId: "so", OrderNumber: "SO", Status: crmv1.FulfillmentStatus_FULFILLMENT_STATUS_CONFIRMED, SourceVersion: 1,
		}); err != nil {
			b.Fatal(err)
		}
		win, order = append(win, mid.Sub(start)), append(order, time.Since(mid))
	}
	b.StopTimer()
	report(b, "win", win)
	report(b, "setOrder", order)
}

// BenchmarkGetOpportunity measures a read of an opportunity with 3 lines.
func BenchmarkGetOpportunity(b *testing.B) {
	e := newBenchEnv(b)
	e.seedProducts(product("SKU-1", "Widget", "10.00"), product("SKU-2", "Gadget", "2.00"), product("SKU-3", "Gizmo", "3.00"))
	o := e.createOpportunity(e.createAccount("Acme").Id, line("SKU-1", "1"), line("SKU-2", "2"), line("SKU-3", "3"))
	ctx := e.sales()
	var took []time.Duration
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		if _, err := e.opportunities.GetOpportunity(ctx, &crmv1.GetOpportunityRequest{Id: o.Id}); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	b.StopTimer()
	report(b, "get", took)
}

func report(b *testing.B, name string, d []time.Duration) {
	slices.Sort(d)
	at := func(q float64) float64 { return float64(d[int(q*float64(len(d)-1))].Microseconds()) / 1000 }
	b.ReportMetric(at(0.5), name+"-p50-ms")
	b.ReportMetric(at(0.99), name+"-p99-ms")
}
