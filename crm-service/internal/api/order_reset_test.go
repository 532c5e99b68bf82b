package api_test

import (
	"slices"
	"testing"

	"google.golang.org/grpc/codes"

	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

// An order written with a revision ahead of anything the ERP reached
// ignores every later write-back as stale; a reset with the opportunity's
// etag replaces it, revision, status and line fulfilment and all, and
// later write-backs apply again. A reset with another etag, or a
// malformed one, changes nothing.
func TestSetOpportunityOrderReset(t *testing.T) {
	e := newEnv(t)
	e.seedProducts(product("SKU-1", "Widget", "10.00"))
	o := e.createOpportunity(e.createAccount("Acme").Id, line("SKU-1", "8"))
	if _, err := e.opportunities.WinOpportunity(e.sales(), &crmv1.WinOpportunityRequest{Id: o.Id}); err != nil {
		t.Fatal(err)
	}
	const (
		confirmed = crmv1.FulfillmentStatus_FULFILLMENT_STATUS_CONFIRMED
		shipped   = crmv1.FulfillmentStatus_FULFILLMENT_STATUS_SHIPPED
	)
	set := func(number string, version int64, status crmv1.FulfillmentStatus, reset string, l *crmv1.OpportunityLine) (*crmv1.Opportunity, error) {
		return e.sync.SetOpportunityOrder(e.bridge(), &crmv1.SetOpportunityOrderRequest{
			OpportunityId: o.Id, OrderId: "so-" + number, OrderNumber: number, Status: status, SourceVersion: version,
			Lines: []*crmv1.OpportunityLine{l}, ResetEtag: reset,
		})
	}
	shows := func(what string, got *crmv1.Opportunity, number string, status crmv1.FulfillmentStatus, fulfilment string) {
		t.Helper()
		if got.GetOrder().GetNumber() != number || got.GetOrder().GetStatus() != status ||
			!slices.Equal(shownFulfilment(got), []string{fulfilment}) {
			t.Fatalf("%s: shows %s %v %q, want %s %v [%s]", what, got.GetOrder().GetNumber(), got.GetOrder().GetStatus(),
				shownFulfilment(got), number, status, fulfilment)
		}
	}
	inflated, err := set("SO-9", 9e18, shipped, "", orderLine("SKU-1", "8", "10.00", "0", "0", "8"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := set("SO-1", 5, confirmed, "", orderLine("SKU-1", "8", "10.00", "8", "0", "0"))
	if err != nil {
		t.Fatal(err)
	}
	shows("versioned write after the inflated one", got, "SO-9", shipped, "SKU-1 0/0/8")

	_, err = set("SO-1", 5, confirmed, "1", orderLine("SKU-1", "8", "10.00", "8", "0", "0"))
	wantCode(t, err, codes.Aborted)
	_, err = set("SO-1", 5, confirmed, "x", orderLine("SKU-1", "8", "10.00", "8", "0", "0"))
	if f := violations(t, err); !slices.Equal(f, []string{"reset_etag"}) {
		t.Errorf("violations %v, want reset_etag", f)
	}
	if v := e.count(`SELECT order_version FROM opportunities WHERE id = $1`, o.Id); v != 9e18 {
		t.Fatalf("order_version %d after refused resets, want the inflated one", v)
	}

	reset, err := set("SO-1", 5, confirmed, inflated.Etag, orderLine("SKU-1", "8", "10.00", "8", "0", "0"))
	if err != nil {
		t.Fatal(err)
	}
	shows("reset", reset, "SO-1", confirmed, "SKU-1 8/0/0")
	if reset.Etag == inflated.Etag {
		t.Errorf("reset kept etag %s", reset.Etag)
	}
	if v := e.count(`SELECT order_version FROM opportunities WHERE id = $1`, o.Id); v != 5 {
		t.Errorf("order_version %d after the reset, want 5", v)
	}
	// The reset's etag is spent: sent again, it is refused.
	_, err = set("SO-1", 5, confirmed, inflated.Etag, orderLine("SKU-1", "8", "10.00", "8", "0", "0"))
	wantCode(t, err, codes.Aborted)

	got, err = set("SO-1", 6, shipped, "", orderLine("SKU-1", "8", "10.00", "0", "0", "8"))
	if err != nil {
		t.Fatal(err)
	}
	shows("versioned write after the reset", got, "SO-1", shipped, "SKU-1 0/0/8")
}

// A deal whose order was written back before its lines showed fulfilment
// shows none until the order's next revision: a write-back of the same
// revision is stale, a reset of it fills the lines in, and the deal's
// lines and amount stay as they were.
func TestSetOpportunityOrderResetFillsInFulfilment(t *testing.T) {
	e := newEnv(t)
	e.seedProducts(product("SKU-1", "Widget", "10.00"), product("SKU-2", "Gadget", "2.50"))
	o := e.createOpportunity(e.createAccount("Acme").Id, line("SKU-1", "8"), line("SKU-2", "2"))
	won, err := e.opportunities.WinOpportunity(e.sales(), &crmv1.WinOpportunityRequest{Id: o.Id})
	if err != nil {
		t.Fatal(err)
	}
	confirmed := crmv1.FulfillmentStatus_FULFILLMENT_STATUS_CONFIRMED
	set := func(reset string, lines ...*crmv1.OpportunityLine) *crmv1.Opportunity {
		t.Helper()
		got, err := e.sync.SetOpportunityOrder(e.bridge(), &crmv1.SetOpportunityOrderRequest{
			OpportunityId: o.Id, OrderId: "so-1", OrderNumber: "SO-1", Status: confirmed, SourceVersion: 3,
			Lines: lines, ResetEtag: reset,
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	before := set("", orderLine("SKU-1", "8", "10.00", "", "", ""), orderLine("SKU-2", "2", "2.50", "", "", ""))
	fulfilled := []*crmv1.OpportunityLine{orderLine("SKU-1", "8", "10.00", "8", "0", "0"), orderLine("SKU-2", "2", "2.50", "1", "1", "0")}
	if got := set("", fulfilled...); !slices.Equal(shownFulfilment(got), []string{"SKU-1 -", "SKU-2 -"}) || got.Etag != before.Etag {
		t.Fatalf("same revision, versioned: lines show %q (etag %s, was %s), want it ignored", shownFulfilment(got), got.Etag, before.Etag)
	}
	events := e.rows().events
	got := set(before.Etag, fulfilled...)
	if s := shownFulfilment(got); !slices.Equal(s, []string{"SKU-1 8/0/0", "SKU-2 1/1/0"}) {
		t.Fatalf("reset: lines show %q", s)
	}
	if got.GetAmount().GetAmount() != won.GetAmount().GetAmount() || e.rows().events != events {
		t.Fatalf("reset: amount %v (was %v), events %d (was %d)", got.GetAmount(), won.GetAmount(), e.rows().events, events)
	}
}
