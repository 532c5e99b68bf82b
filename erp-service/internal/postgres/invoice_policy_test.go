package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/seamhq/seam/erp-service/internal/customer"
	"github.com/seamhq/seam/erp-service/internal/ledger"
	"github.com/seamhq/seam/erp-service/internal/sales"
	"github.com/seamhq/seam/erp-service/internal/shipping"
	"github.com/seamhq/seam/platform/errs"
)

// A customer invoiced for whole orders gets one invoice of every ordered
// quantity, before anything ships; a second is refused. The order follows
// its shipments and becomes INVOICED (or PAID) when the last of it ships.
func TestWholeOrderInvoicing(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	c := mustCustomer(t, s, "Whole Ltd")
	if c.InvoicePolicy != customer.ShippedQuantities {
		t.Errorf("default policy = %q", c.InvoicePolicy)
	}
	c, err := s.UpdateCustomer(ctx, c.ID, 0, func(cur customer.Customer) (customer.Customer, error) {
		return customer.Apply(cur, customer.Customer{InvoicePolicy: customer.WholeOrder}, []string{"invoice_policy"})
	})
	if err != nil || c.InvoicePolicy != customer.WholeOrder {
		t.Fatalf("update = %+v, %v", c, err)
	}
	if got, _ := s.GetCustomer(ctx, c.ID); got.InvoicePolicy != customer.WholeOrder || got.Version != 2 {
		t.Errorf("stored customer = %+v", got)
	}
	mustTaxedItem(t, s, "W-1", "10.01", "0.19")
	mustAdjust(t, s, "W-1", "MAIN", "5")

	o := mustOrder(t, s, newOrder(c.ID, "", line("W-1", "4"), line("W-1", "3")))
	if _, err := s.ConfirmOrder(ctx, o.ID, 0, ""); err != nil {
		t.Fatal(err)
	}
	// Nothing shipped yet; everything ordered is billed: 7 x 10.01 = 70.07
	// (40.04 + 30.03), tax 7.61 + 5.71 = 13.32.
	inv, err := s.CreateInvoice(ctx, o.ID, day("2026-03-01"), newID(t), "inv-1")
	if err != nil {
		t.Fatal(err)
	}
	if inv.Subtotal.String() != "70.07 EUR" || inv.TaxTotal.String() != "13.32 EUR" || inv.Total.String() != "83.39 EUR" || len(inv.Lines) != 2 {
		t.Errorf("invoice = %+v", inv)
	}
	got, _ := s.GetOrder(ctx, o.ID)
	if got.Status != sales.Confirmed || !got.Lines[0].Invoiced.Equal(dec("4")) || !got.Lines[1].Invoiced.Equal(dec("3")) {
		t.Errorf("order after the whole invoice = %+v", got)
	}
	// Retried: the same invoice. Again with another request: refused,
	// nothing written. Cancel and amending below what is invoiced: refused.
	if again, err := s.CreateInvoice(ctx, o.ID, day("2026-03-01"), newID(t), "inv-1"); err != nil || again.ID != inv.ID {
		t.Errorf("retried invoice = %+v, %v", again, err)
	}
	before := rowCounts(t, pool)
	if _, err := s.CreateInvoice(ctx, o.ID, day("2026-03-02"), newID(t), ""); !errors.Is(err, errs.ErrFailedPrecondition) {
		t.Errorf("second whole invoice: %v", err)
	}
	if _, err := s.CancelOrder(ctx, o.ID, 0, "no", ""); !errors.Is(err, errs.ErrFailedPrecondition) {
		t.Errorf("cancelling an invoiced order: %v", err)
	}
	_, err = s.AmendOrder(ctx, o.ID, 0, amend(2, "2"), "")
	var e *errs.Error
	if !errors.As(err, &e) || e.Kind != errs.FailedPrecondition || len(e.Violations) != 1 || e.Violations[0].Field != "lines[0].quantity" {
		t.Errorf("amending below the invoiced quantity: %v", err)
	}
	if after := rowCounts(t, pool); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("refused changes wrote: %v -> %v", before, after)
	}
	if n := count(t, pool, "invoices"); n != 1 {
		t.Errorf("%d invoices", n)
	}

	// Ship what is reserved, pay in full, then ship the rest as it arrives:
	// the last shipment makes the order PAID.
	if _, err := s.CreateShipment(ctx, shipping.NewShipment{OrderID: o.ID}, newID(t), ""); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetOrder(ctx, o.ID); got.Status != sales.PartiallyShipped {
		t.Errorf("after the first shipment: %s", got.Status)
	}
	p := pay(t, c.ID, "83.39", inv.ID, "83.39")
	if _, err := s.CreatePayment(ctx, p, ""); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetOrder(ctx, o.ID); got.Status != sales.PartiallyShipped {
		t.Errorf("paid before it shipped in full: %s", got.Status)
	}
	mustAdjust(t, s, "W-1", "MAIN", "2") // fills the backorder
	if _, err := s.CreateShipment(ctx, shipping.NewShipment{OrderID: o.ID}, newID(t), ""); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetOrder(ctx, o.ID); got.Status != sales.Paid {
		t.Errorf("after the last shipment: %s", got.Status)
	}

	// A second order: invoiced whole, voided (back to CONFIRMED, invoiceable
	// again), invoiced again, shipped: INVOICED, not paid.
	mustAdjust(t, s, "W-1", "MAIN", "1")
	o2 := mustOrder(t, s, newOrder(c.ID, "", line("W-1", "1")))
	if _, err := s.ConfirmOrder(ctx, o2.ID, 0, ""); err != nil {
		t.Fatal(err)
	}
	inv2, err := s.CreateInvoice(ctx, o2.ID, day("2026-03-05"), newID(t), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.VoidInvoice(ctx, inv2.ID, 0, "wrong date", ""); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetOrder(ctx, o2.ID); got.Status != sales.Confirmed || !got.Lines[0].Invoiced.IsZero() {
		t.Errorf("after the void: %+v", got)
	}
	if _, err := s.CreateInvoice(ctx, o2.ID, day("2026-03-06"), newID(t), ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateShipment(ctx, shipping.NewShipment{OrderID: o2.ID}, newID(t), ""); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetOrder(ctx, o2.ID); got.Status != sales.Invoiced {
		t.Errorf("second order after shipping: %s", got.Status)
	}

	// Postings balance: receivables = the open second invoice (11.91),
	// revenue 70.07 + 10.01, tax 13.32 + 1.90, cash 83.39.
	bal := checkJournal(t, s, pool)
	want := map[string]string{ledger.AccountsReceivable: "11.91", ledger.Revenue: "-80.08", ledger.TaxPayable: "-15.22", ledger.Cash: "83.39"}
	for acct, w := range want {
		if bal[acct] != w {
			t.Errorf("account %s = %s, want %s (%v)", acct, bal[acct], w, bal)
		}
	}
	checkPaid(t, pool)
	checkLedger(t, pool)

	// The default policy still bills only what shipped.
	d := mustCustomer(t, s, "Default")
	mustAdjust(t, s, "W-1", "MAIN", "1")
	o3 := mustOrder(t, s, newOrder(d.ID, "", line("W-1", "1")))
	if _, err := s.ConfirmOrder(ctx, o3.ID, 0, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateInvoice(ctx, o3.ID, day("2026-03-06"), newID(t), ""); !errors.Is(err, errs.ErrFailedPrecondition) {
		t.Errorf("invoicing an unshipped order of a default customer: %v", err)
	}
}
