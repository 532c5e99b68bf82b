package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/seamhq/seam/erp-service/internal/customer"
	"github.com/seamhq/seam/erp-service/internal/sales"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/money"
)

func setLimit(t *testing.T, s interface {
	UpdateCustomer(context.Context, string, int64, func(customer.Customer) (customer.Customer, error)) (customer.Customer, error)
}, id, limit string) {
	t.Helper()
	_, err := s.UpdateCustomer(context.Background(), id, 0, func(c customer.Customer) (customer.Customer, error) {
		m := eur(limit)
		c.CreditLimit = &m
		return c, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Confirming over the credit limit holds the order; finance releases it.
func TestCreditHold(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	mustCostedItem(t, s, "C-1", "10", "1") // list price 10.00
	mustAdjust(t, s, "C-1", "MAIN", "100")
	c := mustCustomer(t, s, "Acme")
	// Exposure: an open invoice of 2 x 10 = 20 (one of its 2 paid later
	// counts only what is open) and a confirmed order of 3 x 10 = 30.
	_, inv := invoicedOrder(t, s, c.ID, "C-1", "2")
	if !inv.Total.Amount.Equal(dec("20")) {
		t.Fatalf("invoice total %s", inv.Total.Amount)
	}
	open := mustOrder(t, s, newOrder(c.ID, "", line("C-1", "3")))
	if _, err := s.ConfirmOrder(ctx, open.ID, 0, ""); err != nil {
		t.Fatal(err)
	}
	setLimit(t, s, c.ID, "100")

	// 20 + 30 + 50 = 100: at the limit is allowed.
	atLimit := mustOrder(t, s, newOrder(c.ID, "", line("C-1", "5")))
	if o, err := s.ConfirmOrder(ctx, atLimit.ID, 0, ""); err != nil || o.Status != sales.Confirmed {
		t.Fatalf("at the limit: %+v %v", o, err)
	}
	// Now 100; one more cent of exposure is over.
	over := mustOrder(t, s, newOrder(c.ID, "", line("C-1", "1")))
	mark := count(t, pool, "outbox_events")
	held, err := s.ConfirmOrder(ctx, over.ID, 0, "conf-over")
	if err != nil || held.Status != sales.OnCreditHold || held.Revision != 2 || !held.Lines[0].Reserved.IsZero() || held.Backordered {
		t.Fatalf("over the limit: %+v %v", held, err)
	}
	if a, _ := s.Availability(ctx, "C-1"); a.Version != 5 || a.Reserved.String() != "8" {
		t.Errorf("a held order reserved stock: %+v", a)
	}
	if _, err := s.ConfirmOrder(ctx, over.ID, 0, ""); !errors.Is(err, errs.ErrFailedPrecondition) {
		t.Errorf("confirming a held order: %v", err)
	}
	if again, err := s.ConfirmOrder(ctx, over.ID, 0, "conf-over"); err != nil || again.Revision != 2 {
		t.Errorf("retried confirm = %+v %v", again, err)
	}
	if _, err := s.ReleaseCreditHold(ctx, over.ID, 1, "ok", ""); !errors.Is(err, errs.ErrAborted) {
		t.Errorf("stale release: %v", err)
	}
	if _, err := s.ReleaseCreditHold(ctx, atLimit.ID, 0, "ok", ""); !errors.Is(err, errs.ErrFailedPrecondition) {
		t.Errorf("releasing an order never held: %v", err)
	}
	rel, err := s.ReleaseCreditHold(ctx, over.ID, 2, "prepaid", "rel-1")
	if err != nil || rel.Status != sales.Confirmed || rel.Revision != 3 || rel.Lines[0].Reserved.String() != "1" ||
		rel.CreditRelease == nil || rel.CreditRelease.Reason != "prepaid" || rel.CreditRelease.Time.IsZero() {
		t.Fatalf("released = %+v %v", rel, err)
	}
	got, err := s.GetOrder(ctx, over.ID)
	if err != nil || got.CreditRelease == nil || got.CreditRelease.Reason != "prepaid" || !got.CreditRelease.Time.Equal(rel.CreditRelease.Time) {
		t.Errorf("stored release = %+v %v", got.CreditRelease, err)
	}
	if again, err := s.ReleaseCreditHold(ctx, over.ID, 0, "prepaid", ""); err != nil || again.Revision != 3 {
		t.Errorf("releasing again = %+v %v", again, err)
	}
	var types []string
	for _, e := range allEvents(t, pool)[mark:] {
		types = append(types, e.Type)
	}
	if fmt.Sprint(types) != "[sales_order.credit_hold stock.changed sales_order.released]" {
		t.Errorf("events = %v", types)
	}

	// Payments lower the exposure: paying the invoice frees 20.
	if _, err := s.CreatePayment(ctx, pay(t, c.ID, "20", inv.ID, "20"), ""); err != nil {
		t.Fatal(err)
	}
	// Exposure now 30 + 50 + 10 = 90: 10 more fits, 10.01 would not.
	fits := mustOrder(t, s, newOrder(c.ID, "", line("C-1", "1")))
	if o, err := s.ConfirmOrder(ctx, fits.ID, 0, ""); err != nil || o.Status != sales.Confirmed {
		t.Errorf("after the payment: %+v %v", o, err)
	}
	// A held order can be cancelled.
	h2 := mustOrder(t, s, newOrder(c.ID, "", line("C-1", "1")))
	if o, err := s.ConfirmOrder(ctx, h2.ID, 0, ""); err != nil || o.Status != sales.OnCreditHold {
		t.Fatalf("second hold: %+v %v", o, err)
	}
	if o, err := s.CancelOrder(ctx, h2.ID, 0, "no", ""); err != nil || o.Status != sales.Cancelled {
		t.Errorf("cancel held: %+v %v", o, err)
	}
	// Orders in another currency than the limit's are not checked.
	usd := sales.NewOrder{CustomerID: c.ID, CurrencyCode: "USD", Lines: []sales.NewLine{{SKU: "C-1", Quantity: dec("1"),
		UnitPrice: &money.Money{Currency: "USD", Amount: dec("1000")}}}}
	uo := mustOrder(t, s, usd)
	if o, err := s.ConfirmOrder(ctx, uo.ID, 0, ""); err != nil || o.Status != sales.Confirmed {
		t.Errorf("USD order: %+v %v", o, err)
	}
	checkLedger(t, pool)
}
