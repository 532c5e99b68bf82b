package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/seamhq/seam/erp-service/internal/payment"
	"github.com/seamhq/seam/erp-service/internal/sales"
	"github.com/seamhq/seam/erp-service/internal/shipping"
	"github.com/seamhq/seam/platform/errs"
)

func amend(lines ...any) sales.Amendment {
	var a sales.Amendment
	for i := 0; i < len(lines); i += 2 {
		l := sales.AmendLine{Quantity: dec(lines[i+1].(string))}
		switch k := lines[i].(type) {
		case int:
			l.Number = int32(k)
		case string:
			l.SKU = k
		}
		a.Lines = append(a.Lines, l)
	}
	return a
}

func TestAmendOrder(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	mustKgCostedItem(t, s, "A-1", "10", "1")
	mustKgCostedItem(t, s, "A-2", "2.50", "1")
	mustAdjust(t, s, "A-1", "MAIN", "10")
	c := mustCustomer(t, s, "Acme")
	o := mustOrder(t, s, newOrder(c.ID, "", line("A-1", "4")))
	if _, err := s.ConfirmOrder(ctx, o.ID, 0, ""); err != nil {
		t.Fatal(err)
	}

	// Down: the excess reservation is released.
	mark := count(t, pool, "outbox_events")
	got, err := s.AmendOrder(ctx, o.ID, 2, amend(1, "2"), "am-1")
	if err != nil || got.Revision != 3 || got.Lines[0].Reserved.String() != "2" || got.Total.Amount.String() != "20" {
		t.Fatalf("amended down = %+v %v", got, err)
	}
	if again, err := s.AmendOrder(ctx, o.ID, 2, amend(1, "2"), "am-1"); err != nil || again.Revision != 3 {
		t.Errorf("retried amend = %+v %v", again, err)
	}
	if _, err := s.AmendOrder(ctx, o.ID, 2, amend(1, "3"), ""); !errors.Is(err, errs.ErrAborted) {
		t.Errorf("stale amend: %v", err)
	}
	var types []string
	for _, e := range allEvents(t, pool)[mark:] {
		types = append(types, e.Type)
	}
	if fmt.Sprint(types) != "[stock.changed sales_order.amended]" {
		t.Errorf("events = %v", types)
	}

	// Up, with a new line: reserve what is there, backorder the rest.
	got, err = s.AmendOrder(ctx, o.ID, 0, amend(1, "12", "A-2", "1"), "")
	if err != nil {
		t.Fatal(err)
	}
	if got.Lines[0].Reserved.String() != "10" || got.Lines[0].Backordered.String() != "2" || len(got.Lines) != 2 ||
		got.Lines[1].Number != 2 || got.Lines[1].Backordered.String() != "1" || !got.Backordered || got.Total.Amount.String() != "122.5" {
		t.Fatalf("amended up = %+v", got)
	}
	if bad := violations(t, func() error { _, err := s.AmendOrder(ctx, o.ID, 0, amend("NOPE", "1"), ""); return err }()); fmt.Sprint(bad) != "[lines[0].sku]" {
		t.Errorf("unknown SKU: %v", bad)
	}

	// Ship 5; the shipped quantity is the floor.
	if _, err := s.CreateShipment(ctx, shipping.NewShipment{OrderID: o.ID, Lines: ship(1, "5")}, newID(t), ""); err != nil {
		t.Fatal(err)
	}
	before := rowCounts(t, pool)
	_, err = s.AmendOrder(ctx, o.ID, 0, amend(2, "3", 1, "4"), "")
	var e *errs.Error
	if !errors.As(err, &e) || e.Kind != errs.FailedPrecondition || len(e.Violations) != 1 || e.Violations[0].Field != "lines[1].quantity" {
		t.Fatalf("below shipped: %v", err)
	}
	if after := rowCounts(t, pool); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("a refused amend wrote: %v -> %v", before, after)
	}
	got, err = s.AmendOrder(ctx, o.ID, 0, amend(1, "5"), "")
	if err != nil || got.Status != sales.PartiallyShipped || !got.Lines[0].Reserved.IsZero() || !got.Lines[0].Backordered.IsZero() {
		t.Fatalf("down to shipped = %+v %v", got, err)
	}
	if a, _ := s.Availability(ctx, "A-1"); a.OnHand.String() != "5" || !a.Reserved.IsZero() {
		t.Errorf("A-1 = %+v", a)
	}
	// Dropping the backordered line to what shipped (nothing) is not
	// allowed (quantity must be positive); lowering it to 0.5 keeps it open.
	if _, err := s.AmendOrder(ctx, o.ID, 0, amend(2, "0.5"), ""); err != nil {
		t.Fatal(err)
	}
	checkLedger(t, pool)
}

func TestAmendRechecksCredit(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	mustKgCostedItem(t, s, "A-1", "10", "1")
	mustAdjust(t, s, "A-1", "MAIN", "100")
	c := mustCustomer(t, s, "Acme")
	setLimit(t, s, c.ID, "50")
	o := mustOrder(t, s, newOrder(c.ID, "", line("A-1", "4")))
	if got, err := s.ConfirmOrder(ctx, o.ID, 0, ""); err != nil || got.Status != sales.Confirmed {
		t.Fatalf("confirm = %+v %v", got, err)
	}
	// 50 is the limit: fine. 51 is over: the order goes on hold, its
	// reservation released.
	if got, err := s.AmendOrder(ctx, o.ID, 0, amend(1, "5"), ""); err != nil || got.Status != sales.Confirmed || got.Lines[0].Reserved.String() != "5" {
		t.Fatalf("up to the limit = %+v %v", got, err)
	}
	mark := count(t, pool, "outbox_events")
	got, err := s.AmendOrder(ctx, o.ID, 0, amend(1, "5.1"), "")
	if err != nil || got.Status != sales.OnCreditHold || !got.Lines[0].Reserved.IsZero() {
		t.Fatalf("over the limit = %+v %v", got, err)
	}
	if a, _ := s.Availability(ctx, "A-1"); !a.Reserved.IsZero() {
		t.Errorf("held order still reserves: %+v", a)
	}
	var types []string
	for _, e := range allEvents(t, pool)[mark:] {
		types = append(types, e.Type)
	}
	if fmt.Sprint(types) != "[stock.changed sales_order.credit_hold]" {
		t.Errorf("events = %v", types)
	}
	// Amending down a held order keeps it held; release confirms it.
	if got, err := s.AmendOrder(ctx, o.ID, 0, amend(1, "5"), ""); err != nil || got.Status != sales.OnCreditHold {
		t.Errorf("amend held = %+v %v", got, err)
	}
	if got, err := s.ReleaseCreditHold(ctx, o.ID, 0, "ok", ""); err != nil || got.Lines[0].Reserved.String() != "5" {
		t.Errorf("release = %+v %v", got, err)
	}
	checkLedger(t, pool)
}

// An order amended down to what shipped, when that was invoiced and the
// invoice paid, is PAID (as a payment would have made it); one whose
// invoice is still open is INVOICED.
func TestAmendToInvoicedAndPaid(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	mustCostedItem(t, s, "P-1", "10", "1")
	mustAdjust(t, s, "P-1", "MAIN", "20")
	c := mustCustomer(t, s, "Acme")
	for _, pay := range []bool{true, false} {
		o := mustOrder(t, s, newOrder(c.ID, "", line("P-1", "5")))
		if _, err := s.ConfirmOrder(ctx, o.ID, 0, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateShipment(ctx, shipping.NewShipment{OrderID: o.ID, Lines: ship(1, "2")}, newID(t), ""); err != nil {
			t.Fatal(err)
		}
		inv, err := s.CreateInvoice(ctx, o.ID, time.Time{}, newID(t), "")
		if err != nil {
			t.Fatal(err)
		}
		if pay {
			p := payment.Payment{ID: newID(t), CustomerID: c.ID, Amount: inv.Total,
				Allocations: []payment.Allocation{{InvoiceID: inv.ID, Amount: inv.Total}}}
			if _, err := s.CreatePayment(ctx, p, ""); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.AmendOrder(ctx, o.ID, 0, amend(1, "2"), "")
		want := map[bool]sales.Status{true: sales.Paid, false: sales.Invoiced}[pay]
		if err != nil || got.Status != want {
			t.Fatalf("paid %v: amended to what shipped = %s, %v; want %s", pay, got.Status, err, want)
		}
		if read, err := s.GetOrder(ctx, o.ID); err != nil || read.Status != want || read.Revision != got.Revision {
			t.Fatalf("read back = %s rev %d, %v", read.Status, read.Revision, err)
		}
	}
	checkLedger(t, pool)
}
