package api_test

import (
	"testing"

	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

// The bridge's write-backs to a won deal (its order, then its payment
// status) and to its account (the balances) change no indexed column of
// the row, the folded names the lists sort by (0038) included, though
// every write of a deal sets its name again and so computes its
// name_fold: each is a heap-only update, which writes no index entry.
func TestWriteBacksAreHeapOnly(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	if _, err := e.db.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS pageinspect`); err != nil {
		t.Fatal(err)
	}
	// heapOnly says whether the row's current version was written by a
	// heap-only update (HEAP_ONLY_TUPLE in its header).
	heapOnly := func(table, id string) bool {
		t.Helper()
		var hot bool
		if err := e.db.QueryRow(ctx, `SELECT (h.t_infomask2 & 32768) <> 0 FROM `+table+` r,
  heap_page_items(get_raw_page('`+table+`', (r.ctid::text::point)[0]::int)) h
WHERE r.id = $1 AND h.lp = (r.ctid::text::point)[1]::int`, id).Scan(&hot); err != nil {
			t.Fatal(err)
		}
		return hot
	}
	e.seedProducts(product("SKU-1", "Widget", "10.00"))
	a := e.createAccount("Émile Ölwerk")
	o := e.createOpportunity(a.Id, line("SKU-1", "2"))
	won, err := e.opportunities.WinOpportunity(e.sales(), &crmv1.WinOpportunityRequest{Id: o.Id})
	if err != nil {
		t.Fatal(err)
	}
	for i, status := range []crmv1.FulfillmentStatus{crmv1.FulfillmentStatus_FULFILLMENT_STATUS_CONFIRMED, crmv1.FulfillmentStatus_FULFILLMENT_STATUS_SHIPPED} {
		got, err := e.sync.SetOpportunityOrder(e.bridge(), &crmv1.SetOpportunityOrderRequest{
			OpportunityId: o.Id, OrderId: "so-1", OrderNumber: "SO-1001", SourceVersion: int64(i + 1), Status: status,
		})
		if err != nil || got.GetEtag() == won.GetEtag() {
			t.Fatalf("order write-back %v: %v %v", status, got, err)
		}
		if !heapOnly("opportunities", o.Id) {
			t.Errorf("the order write-back %v was not a heap-only update", status)
		}
	}
	if _, err := e.sync.SetOpportunityPaymentStatus(e.bridge(), &crmv1.SetOpportunityPaymentStatusRequest{
		OpportunityId: o.Id, PaymentStatus: crmv1.PaymentStatus_PAYMENT_STATUS_PAID, SourceVersion: 1,
	}); err != nil {
		t.Fatal(err)
	}
	if !heapOnly("opportunities", o.Id) {
		t.Error("the payment status write-back of the deal was not a heap-only update")
	}
	if _, err := e.sync.SetAccountPaymentStatus(e.bridge(), &crmv1.SetAccountPaymentStatusRequest{
		AccountId: a.Id, OpenBalance: eur("20.00"), SourceVersion: 1,
	}); err != nil {
		t.Fatal(err)
	}
	if !heapOnly("accounts", a.Id) {
		t.Error("the balance write-back of the account was not a heap-only update")
	}
}
