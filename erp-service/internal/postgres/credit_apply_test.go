package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/seamhq/seam/erp-service/internal/invoicing"
	"github.com/seamhq/seam/erp-service/internal/ledger"
	"github.com/seamhq/seam/erp-service/internal/payment"
	"github.com/seamhq/seam/erp-service/internal/sales"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/money"
)

func allocs(pairs ...string) []payment.Allocation {
	var out []payment.Allocation
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, payment.Allocation{InvoiceID: pairs[i], Amount: eur(pairs[i+1])})
	}
	return out
}

// An overpayment's credit is applied to other invoices in exact decimals;
// statuses, orders and balances follow; nothing is posted; reversing the
// payment takes the applied credit off too.
func TestApplyCredit(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	c := mustCustomer(t, s, "Acme")
	other := mustCustomer(t, s, "Other")
	mustTaxedItem(t, s, "W-1", "10.01", "0.19")
	mustAdjust(t, s, "W-1", "MAIN", "100")
	_, inv1 := invoicedOrder(t, s, c.ID, "W-1", "10") // 119.12
	o2, inv2 := invoicedOrder(t, s, c.ID, "W-1", "1") // 11.91
	_, inv3 := invoicedOrder(t, s, c.ID, "W-1", "5")  // 50.05 + 9.51 = 59.56
	_, invOther := invoicedOrder(t, s, other.ID, "W-1", "1")
	_, invVoid := invoicedOrder(t, s, c.ID, "W-1", "1")
	if _, err := s.VoidInvoice(ctx, invVoid.ID, 0, "", ""); err != nil {
		t.Fatal(err)
	}
	if inv3.Total.String() != "59.56 EUR" {
		t.Fatalf("invoice 3 total %s", inv3.Total)
	}
	p, err := s.CreatePayment(ctx, pay(t, c.ID, "200", inv1.ID, "119.12"), "")
	if err != nil || p.Unallocated.String() != "80.88 EUR" {
		t.Fatalf("payment = %+v, %v", p, err)
	}
	entries := count(t, pool, "journal_entries")

	// Refusals name the allocation; nothing is written.
	before := rowCounts(t, pool)
	before["payment_allocations"], before["invoices.paid"] = count(t, pool, "payment_allocations"), 0
	for _, tc := range []struct {
		allocs []payment.Allocation
		etag   int64
		kind   error
		want   string
	}{
		{allocs(inv2.ID, "11.91", inv3.ID, "70"), 0, errs.ErrInvalidArgument, "[allocations[1].amount.amount]"}, // 81.91 > 80.88
		{allocs(inv2.ID, "11.92"), 0, errs.ErrInvalidArgument, "[allocations[0].amount.amount]"},                // over the open amount
		{allocs(inv1.ID, "0.01"), 0, errs.ErrInvalidArgument, "[allocations[0].amount.amount]"},                 // paid already
		{allocs(invOther.ID, "1"), 0, errs.ErrInvalidArgument, "[allocations[0].invoice_id]"},
		{allocs(inv2.ID, "1", newID(t), "1"), 0, errs.ErrInvalidArgument, "[allocations[1].invoice_id]"},
		{allocs("x", "1"), 0, errs.ErrInvalidArgument, "[allocations[0].invoice_id]"},
		{[]payment.Allocation{{InvoiceID: inv2.ID, Amount: usd("1")}}, 0, errs.ErrInvalidArgument, "[allocations[0].amount.currency_code]"},
		{allocs(invVoid.ID, "1"), 0, errs.ErrFailedPrecondition, "[allocations[0].invoice_id]"},
		{allocs(inv2.ID, "1"), 7, errs.ErrAborted, "[]"},
	} {
		_, err := s.ApplyCredit(ctx, p.ID, tc.etag, tc.allocs, "")
		var e *errs.Error
		var fields []string
		if errors.As(err, &e) {
			for _, v := range e.Violations {
				fields = append(fields, v.Field)
			}
		}
		if !errors.Is(err, tc.kind) || fmt.Sprint(fields) != tc.want {
			t.Errorf("ApplyCredit(%+v) = %v, want %s", tc.allocs, err, tc.want)
		}
	}
	after := rowCounts(t, pool)
	after["payment_allocations"], after["invoices.paid"] = count(t, pool, "payment_allocations"), 0
	if fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("refused applications wrote: %v -> %v", before, after)
	}
	if err := payment.ValidateCredit(nil); !errors.Is(err, errs.ErrInvalidArgument) {
		t.Errorf("no allocations: %v", err)
	}
	if err := payment.ValidateCredit(allocs(inv2.ID, "1", inv2.ID, "0")); fmt.Sprint(violations(t, err)) != "[allocations[1].invoice_id allocations[1].amount.amount]" {
		t.Errorf("duplicate and zero: %v", err)
	}

	// Pay invoice 2 in full and invoice 3 in part, retried under one
	// request_id.
	for range 2 {
		got, err := s.ApplyCredit(ctx, p.ID, 1, allocs(inv2.ID, "11.91", inv3.ID, "50"), "cr-1")
		if err != nil || got.Unallocated.String() != "18.97 EUR" || got.Revision != 2 || len(got.Allocations) != 3 {
			t.Fatalf("applied = %+v, %v", got, err)
		}
	}
	if g, _ := s.GetInvoice(ctx, inv2.ID); g.Status != invoicing.Paid {
		t.Errorf("invoice 2 = %s", g.Status)
	}
	if g, _ := s.GetInvoice(ctx, inv3.ID); g.Status != invoicing.PartiallyPaid || g.Paid.String() != "50.00 EUR" {
		t.Errorf("invoice 3 = %+v", g)
	}
	if o, _ := s.GetOrder(ctx, o2.ID); o.Status != sales.Paid {
		t.Errorf("order 2 = %s", o.Status)
	}
	// The rest of invoice 3 from the same payment adds to its allocation.
	got, err := s.ApplyCredit(ctx, p.ID, 0, allocs(inv3.ID, "9.56"), "")
	if err != nil || got.Unallocated.String() != "9.41 EUR" || len(got.Allocations) != 3 {
		t.Fatalf("applied again = %+v, %v", got, err)
	}
	for _, a := range got.Allocations {
		if a.InvoiceID == inv3.ID && a.Amount.String() != "59.56 EUR" {
			t.Errorf("invoice 3 allocation = %s", a.Amount)
		}
	}
	if g, _ := s.GetInvoice(ctx, inv3.ID); g.Status != invoicing.Paid || !g.OpenAmount().Amount.IsZero() {
		t.Errorf("invoice 3 = %+v", g)
	}
	checkPaid(t, pool)
	if n := count(t, pool, "journal_entries"); n != entries {
		t.Errorf("applying credit posted %d journal entries", n-entries)
	}
	// Receivables: 119.12 + 11.91 + 59.56 + 11.91 (other) - 200 = 2.50;
	// the customer's 9.41 of credit is the credit side of it.
	tb := checkJournal(t, s, pool)
	if tb[ledger.AccountsReceivable] != "2.5" || tb[ledger.Cash] != "200" {
		t.Errorf("trial balance = %v", tb)
	}
	var typ []string
	var last map[string]any
	for _, ev := range allEvents(t, pool) {
		if ev.Type == payment.EventCreditApplied || ev.Type == payment.EventInvoiceUpdated || ev.Type == payment.EventOrderUpdated ||
			(ev.Type == invoicing.EventBalanceChanged && ev.Key == c.ID) {
			typ = append(typ, ev.Type)
		}
		if ev.Type == invoicing.EventBalanceChanged && ev.Key == c.ID {
			last = payload(t, ev)
		}
	}
	want := "[payment.credit_applied invoice.updated invoice.updated sales_order.updated customer.balance_changed " +
		"payment.credit_applied invoice.updated sales_order.updated customer.balance_changed]"
	if fmt.Sprint(typ[len(typ)-9:]) != want {
		t.Errorf("events = %v\nwant (at the end) %s", typ, want)
	}
	if last["credit"].(map[string]any)["amount"] != "9.41" || last["open_balance"].(map[string]any)["amount"] != "0.00" {
		t.Errorf("last balance = %v", last)
	}

	// Reversing the payment takes every allocation off, applied credit
	// included: all three invoices reopen.
	r, err := s.ReversePayment(ctx, p.ID, 0, "bounced", "")
	if err != nil || r.Status != payment.Reversed {
		t.Fatalf("reverse = %+v, %v", r, err)
	}
	for _, inv := range []invoicing.Invoice{inv1, inv2, inv3} {
		if g, _ := s.GetInvoice(ctx, inv.ID); g.Status != invoicing.Open || !g.Paid.Amount.IsZero() {
			t.Errorf("invoice %s after the reversal = %s paid %s", g.Number, g.Status, g.Paid)
		}
	}
	if o, _ := s.GetOrder(ctx, o2.ID); o.Status != sales.Invoiced {
		t.Errorf("order 2 after the reversal = %s", o.Status)
	}
	if _, err := s.ApplyCredit(ctx, p.ID, 0, allocs(inv2.ID, "1"), ""); !errors.Is(err, errs.ErrFailedPrecondition) {
		t.Errorf("applying a reversed payment's credit: %v", err)
	}
	checkPaid(t, pool)
	tb = checkJournal(t, s, pool)
	if tb[ledger.AccountsReceivable] != "202.5" || tb[ledger.Cash] != "0" {
		t.Errorf("trial balance after the reversal = %v", tb)
	}
}

func usd(s string) money.Money { return money.Money{Currency: "USD", Amount: dec(s)} }
