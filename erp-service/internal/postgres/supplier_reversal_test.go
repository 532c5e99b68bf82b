package postgres_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/seamhq/seam/erp-service/internal/ledger"
	"github.com/seamhq/seam/erp-service/internal/payables"
	"github.com/seamhq/seam/erp-service/internal/purchasing"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/listing"
)

// A reversed supplier payment reopens what it paid of its bill and posts
// Dr 1000 / Cr 2000 dated today, once; 2000 stays the open bills plus
// what is unbilled. The payment stays, listed as reversed, with a
// supplier_payment.reversed and a supplier_bill.updated event.
func TestReverseSupplierPayment(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	mustKgCostedItem(t, s, "AP-R", "20", "10")
	po := orderedPO(t, s, poLine("AP-R", "10", "10", "2030-03-01"))
	if _, err := s.ReceivePurchaseOrder(ctx, po.ID, "", []purchasing.ReceiptLine{rl(1, "10")}, ""); err != nil {
		t.Fatal(err)
	}
	bill, err := s.CreateSupplierBill(ctx, newBill(t, po.ID, "R-1", "2030-02-10", bl(1, "10")), "")
	if err != nil {
		t.Fatal(err)
	}
	p1, err := s.CreateSupplierPayment(ctx, supplierPay(t, bill.ID, "70.00"), "")
	if err != nil {
		t.Fatal(err)
	}
	p2, err := s.CreateSupplierPayment(ctx, supplierPay(t, bill.ID, "30.00"), "")
	if err != nil {
		t.Fatal(err)
	}
	before := checkPayables(t, s, pool, "0")
	mark := count(t, pool, "outbox_events")

	got, err := s.ReverseSupplierPayment(ctx, p1.ID, "transfer bounced", "rev-1")
	if err != nil {
		t.Fatal(err)
	}
	if !got.Reversed || got.ReverseReason != "transfer bounced" || got.ReverseTime.IsZero() {
		t.Errorf("reversed payment = %+v", got)
	}
	b, err := s.GetSupplierBill(ctx, bill.ID)
	if err != nil || !b.Paid.Equal(dec("30")) || b.Status != payables.PartiallyPaid || b.Revision != bill.Revision+3 {
		t.Errorf("bill after the reversal = paid %s %s revision %d %v", b.Paid, b.Status, b.Revision, err)
	}
	after := checkPayables(t, s, pool, "0")
	if dec(after[ledger.Cash]).Sub(dec(before[ledger.Cash])).String() != "70" ||
		dec(after[ledger.AccountsPayable]).Sub(dec(before[ledger.AccountsPayable])).String() != "-70" {
		t.Errorf("balances %v -> %v, want Dr 1000 / Cr 2000 of 70", before, after)
	}
	rev := entriesOfKind(t, s, ledger.KindSupplierPaymentReversal)
	if len(rev) != 1 || rev[0].Reference != p1.JournalReference() || rev[0].ReversesID == "" || !rev[0].Date.Equal(utcToday()) {
		t.Errorf("reversal entries = %+v", rev)
	}
	var types []string
	for _, e := range allEvents(t, pool)[mark:] {
		types = append(types, e.Type)
	}
	if strings.Join(types, ",") != payables.EventPaymentReversed+","+payables.EventBillUpdated {
		t.Errorf("events = %v", types)
	}

	// A retry answers the payment; a second reversal is refused.
	if again, err := s.ReverseSupplierPayment(ctx, p1.ID, "transfer bounced", "rev-1"); err != nil || !again.Reversed {
		t.Errorf("retried reversal = %+v %v", again, err)
	}
	if _, err := s.ReverseSupplierPayment(ctx, p1.ID, "again", ""); !errors.Is(err, errs.ErrFailedPrecondition) || !strings.Contains(err.Error(), "reversed already") {
		t.Errorf("second reversal: %v", err)
	}
	if _, err := s.ReverseSupplierPayment(ctx, newID(t), "none", ""); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("reversal of no payment: %v", err)
	}
	if len(entriesOfKind(t, s, ledger.KindSupplierPaymentReversal)) != 1 {
		t.Error("a refused reversal posted")
	}
	// The bill can be paid again what the reversal reopened.
	if _, err := s.CreateSupplierPayment(ctx, supplierPay(t, bill.ID, "70.00"), ""); err != nil {
		t.Errorf("paying the reopened amount: %v", err)
	}

	conds, _ := listing.ParseFilter(`bill_id = "`+bill.ID+`"`, payables.PaymentFilterFields...)
	list, _, err := s.ListSupplierPayments(ctx, payables.ListQuery{Filter: conds, PageSize: 10})
	if err != nil || len(list) != 3 {
		t.Fatalf("payments = %+v %v", list, err)
	}
	for _, p := range list {
		if p.Reversed != (p.ID == p1.ID) {
			t.Errorf("listed payment %s (of %s, %s) reversed = %v", p.Number, p1.Number, p2.Number, p.Reversed)
		}
	}
	checkPayables(t, s, pool, "0")
}

// Of reversals of one payment racing each other, one reverses it; the
// others are refused, and the bill reopens the amount once.
func TestConcurrentSupplierPaymentReversals(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	mustKgCostedItem(t, s, "AP-RC", "20", "10")
	po := orderedPO(t, s, poLine("AP-RC", "4", "10", "2030-03-01"))
	if _, err := s.ReceivePurchaseOrder(ctx, po.ID, "", []purchasing.ReceiptLine{rl(1, "4")}, ""); err != nil {
		t.Fatal(err)
	}
	bill, err := s.CreateSupplierBill(ctx, newBill(t, po.ID, "RC-1", "2030-02-10", bl(1, "4")), "")
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.CreateSupplierPayment(ctx, supplierPay(t, bill.ID, "40.00"), "")
	if err != nil {
		t.Fatal(err)
	}
	const n = 8
	var wg sync.WaitGroup
	errList := make([]error, n)
	for i := range n {
		wg.Go(func() { _, errList[i] = s.ReverseSupplierPayment(ctx, p.ID, "duplicate transfer", "") })
	}
	wg.Wait()
	ok := 0
	for _, err := range errList {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, errs.ErrFailedPrecondition):
			t.Errorf("racing reversal: %v", err)
		}
	}
	if ok != 1 {
		t.Errorf("%d of %d racing reversals succeeded, want 1", ok, n)
	}
	if b, _ := s.GetSupplierBill(ctx, bill.ID); !b.Paid.IsZero() || b.Status != payables.Open {
		t.Errorf("bill = paid %s %s, want 0 OPEN", b.Paid, b.Status)
	}
	if rev := entriesOfKind(t, s, ledger.KindSupplierPaymentReversal); len(rev) != 1 {
		t.Errorf("%d reversal entries, want 1", len(rev))
	}
	checkPayables(t, s, pool, "0")
}
