package flow

import (
	"context"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	crmv1 "github.com/seamhq/seam/proto/crm/v1"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
)

// sentFulfilment renders what a write-back tells the CRM of its order's
// lines: "sku reserved/backordered/shipped" each.
func sentFulfilment(req *crmv1.SetOpportunityOrderRequest) []string {
	var out []string
	for _, l := range req.GetLines() {
		out = append(out, l.GetSku()+" "+l.GetReservedQuantity()+"/"+l.GetBackorderedQuantity()+"/"+l.GetShippedQuantity())
	}
	return out
}

// Every write-back of a won deal's order carries what the order reserved,
// backordered and shipped of each line, versioned by the order's revision:
// when the win places the order, when stock arriving fills a backorder,
// and when the order ships. An event of a revision written already sends
// nothing; a cancelled order sends no lines.
func TestOrderWriteBackCarriesFulfilment(t *testing.T) {
	const deal = "0190aaaa-0000-7000-8000-000000000001"
	ctx := context.Background()
	s := newSides()
	s.addAccount("acc-1", "Acme", 1)
	s.addDeal(deal, "acc-1", erpv1.SalesOrderStatus_SALES_ORDER_STATUS_UNSPECIFIED)
	e := s.engine(newStore(t))
	last := func(what string, version int64, want ...string) *crmv1.SetOpportunityOrderRequest {
		t.Helper()
		s.mu.Lock()
		defer s.mu.Unlock()
		if len(s.orderWrites) == 0 {
			t.Fatalf("%s: nothing written back", what)
		}
		req := s.orderWrites[len(s.orderWrites)-1]
		if got := sentFulfilment(req); req.GetOpportunityId() != deal || req.GetSourceVersion() != version || !slices.Equal(got, want) {
			t.Fatalf("%s: wrote version %d with lines %q, want version %d with %q", what, req.GetSourceVersion(), got, version, want)
		}
		return req
	}

	// Won: the order is placed and confirmed with every line reserved.
	won := &crmv1.Opportunity{Id: deal, AccountId: "acc-1", CurrencyCode: "EUR", Stage: crmv1.Stage_STAGE_CLOSED_WON,
		Lines: []*crmv1.OpportunityLine{{Sku: "A", Quantity: "8"}, {Sku: "B", Quantity: "2"}}}
	if err := e.applyCRM(ctx, &crmv1.Event{Type: "opportunity.won", Key: deal, Version: 2, Payload: &crmv1.Event_Opportunity{Opportunity: won}}); err != nil {
		t.Fatal(err)
	}
	placed := last("won", orderVersion(&erpv1.SalesOrder{ExternalRef: deal, Revision: 1}), "A 8/0/0", "B 2/0/0")
	if placed.GetStatus() != crmv1.FulfillmentStatus_FULFILLMENT_STATUS_CONFIRMED || placed.GetLines()[0].GetQuantity() != "8" {
		t.Fatalf("won: %v", placed)
	}

	// The order's later revisions, as the ERP's feed brings them.
	var o *erpv1.SalesOrder
	s.change(func() {
		for _, so := range s.orders {
			o = proto.Clone(so).(*erpv1.SalesOrder)
		}
	})
	apply := func(typ string, revision int64, status erpv1.SalesOrderStatus, fulfilment ...[3]string) {
		t.Helper()
		o = proto.Clone(o).(*erpv1.SalesOrder)
		o.Revision, o.Status = revision, status
		for i, f := range fulfilment {
			o.Lines[i].ReservedQuantity, o.Lines[i].BackorderedQuantity, o.Lines[i].ShippedQuantity = f[0], f[1], f[2]
		}
		if err := e.applyERP(ctx, &erpv1.Event{Type: typ, Key: o.GetId(), Version: revision, Payload: &erpv1.Event_SalesOrder{SalesOrder: o}}); err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
	}
	confirmed := erpv1.SalesOrderStatus_SALES_ORDER_STATUS_CONFIRMED
	// The reservation changes: B's stock went to a transfer and is
	// backordered, then arrives and is reserved again.
	apply("sales_order.updated", 2, confirmed, [3]string{"8", "0", "0"}, [3]string{"0", "2", "0"})
	last("backordered", orderVersion(o), "A 8/0/0", "B 0/2/0")
	apply("sales_order.updated", 3, confirmed, [3]string{"8", "0", "0"}, [3]string{"2", "0", "0"})
	last("reserved", orderVersion(o), "A 8/0/0", "B 2/0/0")
	// Shipped in part, then in full.
	apply("sales_order.shipped", 4, erpv1.SalesOrderStatus_SALES_ORDER_STATUS_PARTIALLY_SHIPPED, [3]string{"3", "0", "5"}, [3]string{"2", "0", "0"})
	last("partly shipped", orderVersion(o), "A 3/0/5", "B 2/0/0")
	apply("sales_order.shipped", 5, erpv1.SalesOrderStatus_SALES_ORDER_STATUS_SHIPPED, [3]string{"0", "0", "8"}, [3]string{"0", "0", "2"})
	shipped := last("shipped", orderVersion(o), "A 0/0/8", "B 0/0/2")
	if shipped.GetStatus() != crmv1.FulfillmentStatus_FULFILLMENT_STATUS_SHIPPED {
		t.Fatalf("shipped: status %s", shipped.GetStatus())
	}

	// The same revision again (at-least-once delivery) is not sent again.
	written := func() (n int) {
		s.change(func() { n = len(s.orderWrites) })
		return n
	}
	writes := written()
	if err := e.applyERP(ctx, &erpv1.Event{Type: "sales_order.shipped", Key: o.GetId(), Version: 5, Payload: &erpv1.Event_SalesOrder{SalesOrder: o}}); err != nil {
		t.Fatal(err)
	}
	if n := written(); n != writes {
		t.Fatalf("a revision written already was written again (%d writes, were %d)", n, writes)
	}

	// A cancelled order sends no lines: the deal shows no fulfilment.
	apply("sales_order.cancelled", 6, erpv1.SalesOrderStatus_SALES_ORDER_STATUS_CANCELLED, [3]string{"0", "0", "0"}, [3]string{"0", "0", "0"})
	last("cancelled", orderVersion(o))
}
