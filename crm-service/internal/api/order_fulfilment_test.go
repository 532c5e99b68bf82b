package api_test

import (
	"slices"
	"testing"

	"google.golang.org/grpc/codes"

	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

// shownFulfilment renders what each line of an opportunity shows of its
// order's fulfilment: "sku reserved/backordered/shipped", or "sku -" for
// none.
func shownFulfilment(o *crmv1.Opportunity) []string {
	var out []string
	for _, l := range o.GetLines() {
		s := l.GetSku() + " -"
		if l.GetReservedQuantity() != "" || l.GetBackorderedQuantity() != "" || l.GetShippedQuantity() != "" {
			s = l.GetSku() + " " + l.GetReservedQuantity() + "/" + l.GetBackorderedQuantity() + "/" + l.GetShippedQuantity()
		}
		out = append(out, s)
	}
	return out
}

// orderLine is an ERP order line as the bridge sends it: the line with
// its fulfilment.
func orderLine(sku, qty, price, reserved, backordered, shipped string) *crmv1.OpportunityLine {
	return &crmv1.OpportunityLine{Sku: sku, Quantity: qty, UnitPrice: eur(price), DiscountPercent: "0",
		ReservedQuantity: reserved, BackorderedQuantity: backordered, ShippedQuantity: shipped}
}

// A won deal's lines show what its ERP order reserved, backordered and
// shipped of them, as every write-back reports it: a stale write-back
// changes nothing, and fulfilment alone is no change of the deal's lines
// or amount and records no event. An open deal, and one lost, show none.
func TestSetOpportunityOrderFulfilment(t *testing.T) {
	e := newEnv(t)
	e.seedProducts(product("SKU-1", "Widget", "10.00"), product("SKU-2", "Gadget", "2.50"))
	// The catalog's availability after the order reserved its stock.
	if _, err := e.sync.SetAvailability(e.bridge(), &crmv1.SetAvailabilityRequest{Updates: []*crmv1.AvailabilityUpdate{
		{Sku: "SKU-1", OnHand: "9", Reserved: "8", Available: "1", SourceVersion: 1},
	}}); err != nil {
		t.Fatal(err)
	}
	a := e.createAccount("Acme")
	o := e.createOpportunity(a.Id, line("SKU-1", "8"), line("SKU-2", "2"))
	open := e.createOpportunity(a.Id, line("SKU-1", "8"))
	if _, err := e.opportunities.WinOpportunity(e.sales(), &crmv1.WinOpportunityRequest{Id: o.Id}); err != nil {
		t.Fatal(err)
	}
	set := func(id string, version int64, status crmv1.FulfillmentStatus, lines ...*crmv1.OpportunityLine) *crmv1.Opportunity {
		t.Helper()
		got, err := e.sync.SetOpportunityOrder(e.bridge(), &crmv1.SetOpportunityOrderRequest{
			OpportunityId: id, OrderId: "so-1", OrderNumber: "SO-1001", SourceVersion: version, Status: status, Lines: lines,
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	get := func(id string) *crmv1.Opportunity {
		t.Helper()
		got, err := e.opportunities.GetOpportunity(e.sales(), &crmv1.GetOpportunityRequest{Id: id})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	want := func(what string, got *crmv1.Opportunity, shown ...string) {
		t.Helper()
		if s := shownFulfilment(got); !slices.Equal(s, shown) {
			t.Fatalf("%s: lines show %q, want %q", what, s, shown)
		}
		if read := shownFulfilment(get(got.GetId())); !slices.Equal(read, shown) {
			t.Fatalf("%s: read back, lines show %q, want %q", what, read, shown)
		}
	}
	confirmed, partly := crmv1.FulfillmentStatus_FULFILLMENT_STATUS_CONFIRMED, crmv1.FulfillmentStatus_FULFILLMENT_STATUS_PARTIALLY_SHIPPED
	events := e.rows().events
	updated := e.eventsOfType("opportunity.updated")
	won := get(o.Id)

	// Confirmed: all of SKU-1 reserved, SKU-2 half backordered.
	got := set(o.Id, 2, confirmed, orderLine("SKU-1", "8", "10.00", "8", "0", "0"), orderLine("SKU-2", "2", "2.50", "1", "1", "0"))
	want("confirmed", got, "SKU-1 8/0/0", "SKU-2 1/1/0")
	if got.GetAmount().GetAmount() != won.GetAmount().GetAmount() || got.GetEtag() == won.GetEtag() {
		t.Fatalf("confirmed: amount %v (was %v), etag %s (was %s)", got.GetAmount(), won.GetAmount(), got.GetEtag(), won.GetEtag())
	}
	// The catalog's availability is still what others can have.
	if l := got.GetLines()[0]; l.GetAvailableQuantity() != "1" || l.GetQuantity() != "8" {
		t.Fatalf("line 1: %v", l)
	}

	// Shipped in part: reservations become shipments, the backorder is
	// reserved as stock arrived.
	got = set(o.Id, 3, partly, orderLine("SKU-1", "8", "10.00", "3", "0", "5"), orderLine("SKU-2", "2", "2.50", "2", "0", "0"))
	want("partly shipped", got, "SKU-1 3/0/5", "SKU-2 2/0/0")

	// A stale write-back, with older fulfilment, changes nothing.
	before := got.GetEtag()
	got = set(o.Id, 2, confirmed, orderLine("SKU-1", "8", "10.00", "8", "0", "0"), orderLine("SKU-2", "2", "2.50", "1", "1", "0"))
	want("stale", got, "SKU-1 3/0/5", "SKU-2 2/0/0")
	if got.GetEtag() != before || got.GetOrder().GetStatus() != partly {
		t.Fatalf("stale write-back applied: %v", got)
	}

	// None of it was news: no event, lines and amount as won.
	if n := e.rows().events; n != events {
		t.Fatalf("fulfilment recorded events: %d -> %d", events, n)
	}
	now := get(o.Id)
	for i, l := range now.GetLines() {
		w := won.GetLines()[i]
		if l.GetSku() != w.GetSku() || l.GetQuantity() != w.GetQuantity() || l.GetAmount().GetAmount() != w.GetAmount().GetAmount() {
			t.Fatalf("line %d changed: %v, was %v", i, l, w)
		}
	}
	if now.GetAmount().GetAmount() != won.GetAmount().GetAmount() {
		t.Fatalf("amount %v, was %v", now.GetAmount(), won.GetAmount())
	}
	list, err := e.opportunities.ListOpportunities(e.sales(), &crmv1.ListOpportunitiesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range list.GetOpportunities() {
		if l.GetId() == o.Id && !slices.Equal(shownFulfilment(l), []string{"SKU-1 3/0/5", "SKU-2 2/0/0"}) {
			t.Fatalf("listed: %q", shownFulfilment(l))
		}
	}

	// An amendment changes the lines (one event) and brings its
	// fulfilment along.
	got = set(o.Id, 4, partly, orderLine("SKU-1", "10", "10.00", "3", "2", "5"), orderLine("SKU-2", "2", "2.50", "2", "0", "0"))
	want("amended", got, "SKU-1 3/2/5", "SKU-2 2/0/0")
	if got.GetAmount().GetAmount() != "105.00" || e.eventsOfType("opportunity.updated") != updated+1 {
		t.Fatalf("amended: amount %v, %d opportunity.updated events (was %d)", got.GetAmount(), e.eventsOfType("opportunity.updated"), updated)
	}

	// Lines the CRM cannot take stay as they are; a line not on the order
	// shows none.
	got = set(o.Id, 5, partly, orderLine("SKU-1", "10", "10.00", "0", "0", "10"), orderLine("NOPE", "1", "1.00", "1", "0", "0"))
	want("a line not on the order", got, "SKU-1 0/0/10", "SKU-2 -")
	// A line the order reports nothing for shows none.
	got = set(o.Id, 6, partly, orderLine("SKU-1", "10", "10.00", "0", "0", "10"), orderLine("SKU-2", "2", "2.50", "", "", ""))
	want("nothing reported", got, "SKU-1 0/0/10", "SKU-2 -")
	// A write-back without lines (a cancelled order) clears it.
	got = set(o.Id, 7, crmv1.FulfillmentStatus_FULFILLMENT_STATUS_CANCELLED)
	want("cancelled", got, "SKU-1 -", "SKU-2 -")

	// Lost: the lines no longer show the order's, and later write-backs
	// do not bring it back.
	set(o.Id, 8, partly, orderLine("SKU-1", "10", "10.00", "0", "0", "10"), orderLine("SKU-2", "2", "2.50", "2", "0", "0"))
	if _, err := e.opportunities.LoseOpportunity(e.sales(), &crmv1.LoseOpportunityRequest{Id: o.Id}); err != nil {
		t.Fatal(err)
	}
	want("lost", get(o.Id), "SKU-1 -", "SKU-2 -")
	got = set(o.Id, 9, partly, orderLine("SKU-1", "10", "10.00", "0", "0", "10"), orderLine("SKU-2", "2", "2.50", "2", "0", "0"))
	want("lost, then written back", got, "SKU-1 -", "SKU-2 -")

	// A deal never won shows none either.
	got = set(open.Id, 2, confirmed, orderLine("SKU-1", "8", "10.00", "8", "0", "0"))
	want("open", got, "SKU-1 -")

	// Quantities that are no decimals, or negative, are refused.
	_, err = e.sync.SetOpportunityOrder(e.bridge(), &crmv1.SetOpportunityOrderRequest{
		OpportunityId: o.Id, Status: confirmed, SourceVersion: 10,
		Lines: []*crmv1.OpportunityLine{orderLine("SKU-1", "1", "1.00", "many", "0", "0"), orderLine("SKU-1", "1", "1.00", "0", "0", "-1")},
	})
	wantCode(t, err, codes.InvalidArgument)
	if f := violations(t, err); !slices.Equal(f, []string{"lines[0].reserved_quantity", "lines[1].shipped_quantity"}) {
		t.Fatalf("violations %v", f)
	}
}

// Reopening a won deal clears what its lines showed of the order. Won
// again, the deal shows its live order's status, and the bridge's write of
// the order's current revision (ignored before as no newer) shows the
// lines' fulfilment again; an older revision does not.
func TestReopenClearsFulfilment(t *testing.T) {
	e := newEnv(t)
	e.seedProducts(product("SKU-1", "Widget", "10.00"))
	a := e.createAccount("Acme")
	o := e.createOpportunity(a.Id, line("SKU-1", "8"))
	if _, err := e.opportunities.WinOpportunity(e.sales(), &crmv1.WinOpportunityRequest{Id: o.Id}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sync.SetOpportunityOrder(e.bridge(), &crmv1.SetOpportunityOrderRequest{
		OpportunityId: o.Id, OrderId: "so-1", OrderNumber: "SO-1001", SourceVersion: 2,
		Status: crmv1.FulfillmentStatus_FULFILLMENT_STATUS_CONFIRMED, Lines: []*crmv1.OpportunityLine{orderLine("SKU-1", "8", "10.00", "8", "0", "0")},
	}); err != nil {
		t.Fatal(err)
	}
	reopened, err := e.opportunities.ReopenOpportunity(e.sales(), &crmv1.ReopenOpportunityRequest{Id: o.Id})
	if err != nil {
		t.Fatal(err)
	}
	if s := shownFulfilment(reopened); !slices.Equal(s, []string{"SKU-1 -"}) {
		t.Fatalf("reopened: %q", s)
	}
	again, err := e.opportunities.WinOpportunity(e.sales(), &crmv1.WinOpportunityRequest{Id: o.Id})
	if err != nil {
		t.Fatal(err)
	}
	if s := shownFulfilment(again); !slices.Equal(s, []string{"SKU-1 -"}) {
		t.Fatalf("won again: %q", s)
	}
	if got := again.GetOrder(); got.GetStatus() != crmv1.FulfillmentStatus_FULFILLMENT_STATUS_CONFIRMED || got.GetNumber() != "SO-1001" {
		t.Fatalf("won again: order %v, want SO-1001 still confirmed", got)
	}
	writeBack := func(version int64) *crmv1.Opportunity {
		t.Helper()
		got, err := e.sync.SetOpportunityOrder(e.bridge(), &crmv1.SetOpportunityOrderRequest{
			OpportunityId: o.Id, OrderId: "so-1", OrderNumber: "SO-1001", SourceVersion: version,
			Status: crmv1.FulfillmentStatus_FULFILLMENT_STATUS_CONFIRMED, Lines: []*crmv1.OpportunityLine{orderLine("SKU-1", "8", "10.00", "8", "0", "0")},
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if s := shownFulfilment(writeBack(1)); !slices.Equal(s, []string{"SKU-1 -"}) {
		t.Fatalf("won again, an older revision written back: %q", s)
	}
	if s := shownFulfilment(writeBack(2)); !slices.Equal(s, []string{"SKU-1 8/0/0"}) {
		t.Fatalf("won again, the current revision written back: %q", s)
	}
	// The reopened event says so too.
	var seen bool
	for _, ev := range e.feed(4) {
		if ev.GetType() == "opportunity.reopened" {
			seen = true
			if s := shownFulfilment(ev.GetOpportunity()); !slices.Equal(s, []string{"SKU-1 -"}) {
				t.Fatalf("reopened event: %q", s)
			}
		}
	}
	if !seen {
		t.Fatal("no opportunity.reopened event")
	}
}
