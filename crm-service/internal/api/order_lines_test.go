package api_test

import (
	"testing"

	"google.golang.org/grpc/codes"

	crmv1 "github.com/seamhq/seam/proto/crm/v1"
	moneyv1 "github.com/seamhq/seam/proto/money/v1"
)

// An order amended in ERP brings its lines to the won opportunity: the
// lines and amount follow, an event records it, an equal copy changes no
// lines, and a stale one changes nothing.
func TestSetOpportunityOrderLines(t *testing.T) {
	e := newEnv(t)
	e.seedProducts(product("SKU-1", "Widget", "10.00"), product("SKU-2", "Gadget", "2.50"))
	a := e.createAccount("Acme")
	o := e.createOpportunity(a.Id, line("SKU-1", "1"))
	if _, err := e.opportunities.WinOpportunity(e.sales(), &crmv1.WinOpportunityRequest{Id: o.Id}); err != nil {
		t.Fatal(err)
	}
	eur := func(s string) *moneyv1.Money { return &moneyv1.Money{CurrencyCode: "EUR", Amount: s} }
	set := func(version int64, lines ...*crmv1.OpportunityLine) (*crmv1.Opportunity, error) {
		return e.sync.SetOpportunityOrder(e.bridge(), &crmv1.SetOpportunityOrderRequest{
			OpportunityId: o.Id, OrderId: "so-1", OrderNumber: "SO-1001", SourceVersion: version,
			Status: crmv1.FulfillmentStatus_FULFILLMENT_STATUS_CONFIRMED, Lines: lines,
		})
	}
	// The order as placed: the same lines, so no line change and no event.
	events := e.rows().events
	got, err := set(2, &crmv1.OpportunityLine{Sku: "SKU-1", Quantity: "1.000", UnitPrice: eur("10.00"), DiscountPercent: "0"})
	if err != nil {
		t.Fatal(err)
	}
	if got.GetAmount().GetAmount() != "10.00" || len(got.GetLines()) != 1 || e.rows().events != events {
		t.Fatalf("order as placed: %v (events %d -> %d)", got, events, e.rows().events)
	}

	// Amended: more of SKU-1 at a discount, and a new line.
	got, err = set(3,
		&crmv1.OpportunityLine{Sku: "SKU-1", Quantity: "3", UnitPrice: eur("10.00"), DiscountPercent: "10"},
		&crmv1.OpportunityLine{Sku: "SKU-2", Quantity: "2", UnitPrice: eur("2.50")})
	if err != nil {
		t.Fatal(err)
	}
	// 3 x 10.00 x 0.9 = 27.00, plus 2 x 2.50 = 5.00.
	if got.GetAmount().GetAmount() != "32.00" || len(got.GetLines()) != 2 || got.GetLines()[1].GetAmount().GetAmount() != "5.00" {
		t.Fatalf("amended: %v", got)
	}
	if n := e.rows().events; n != events+1 {
		t.Errorf("events %d -> %d, want one opportunity.updated", events, n)
	}
	read, err := e.opportunities.GetOpportunity(e.sales(), &crmv1.GetOpportunityRequest{Id: o.Id})
	if err != nil || read.GetAmount().GetAmount() != "32.00" || read.GetEtag() != got.GetEtag() {
		t.Fatalf("read back: %v, %v", read, err)
	}

	// A stale copy with other lines changes nothing.
	if stale, err := set(2, &crmv1.OpportunityLine{Sku: "SKU-1", Quantity: "9", UnitPrice: eur("10.00")}); err != nil ||
		stale.GetAmount().GetAmount() != "32.00" || stale.GetEtag() != got.GetEtag() {
		t.Fatalf("stale copy: %v, %v", stale, err)
	}
	// People still cannot edit a won deal's lines.
	read.Lines = []*crmv1.OpportunityLine{{Sku: "SKU-1", Quantity: "1"}}
	_, err = e.opportunities.UpdateOpportunity(e.sales(), &crmv1.UpdateOpportunityRequest{Opportunity: read})
	wantCode(t, err, codes.FailedPrecondition)

	// Lines the CRM cannot take leave the deal's lines alone, and the
	// order's status is still recorded.
	got, err = set(4, &crmv1.OpportunityLine{Sku: "NOPE", Quantity: "1", UnitPrice: eur("1.00")})
	if err != nil || got.GetAmount().GetAmount() != "32.00" || len(got.GetLines()) != 2 || got.GetEtag() == read.GetEtag() {
		t.Fatalf("unknown SKU in the order: %v, %v", got, err)
	}
}

// Lines sent for an opportunity that is not won are not taken over.
func TestSetOpportunityOrderLinesNotWon(t *testing.T) {
	e := newEnv(t)
	e.seedProducts(product("SKU-1", "Widget", "10.00"))
	a := e.createAccount("Acme")
	o := e.createOpportunity(a.Id, line("SKU-1", "1"))
	got, err := e.sync.SetOpportunityOrder(e.bridge(), &crmv1.SetOpportunityOrderRequest{
		OpportunityId: o.Id, OrderId: "so-1", OrderNumber: "SO-1001", SourceVersion: 2,
		Status: crmv1.FulfillmentStatus_FULFILLMENT_STATUS_CANCELLED,
		Lines:  []*crmv1.OpportunityLine{{Sku: "SKU-1", Quantity: "5"}},
	})
	if err != nil || got.GetAmount().GetAmount() != "10.00" || got.GetLines()[0].GetQuantity() != "1" {
		t.Fatalf("not won: %v, %v", got, err)
	}
}
