package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seamhq/seam/erp-service/internal/catalog"
	"github.com/seamhq/seam/erp-service/internal/ledger"
	"github.com/seamhq/seam/erp-service/internal/payment"
	"github.com/seamhq/seam/erp-service/internal/postgres"
	"github.com/seamhq/seam/erp-service/internal/purchasing"
	"github.com/seamhq/seam/erp-service/internal/shipping"
	"github.com/seamhq/seam/erp-service/internal/stock"
	"github.com/seamhq/seam/platform/errs"
)

func utcToday() time.Time { return time.Now().UTC().Truncate(24 * time.Hour) }

func mustClose(t *testing.T, s *postgres.Store, through time.Time) ledger.Period {
	t.Helper()
	p, err := s.ClosePeriod(context.Background(), through, newID(t), "")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// closedErr checks that err refuses a posting into the period closed
// through through: a failed precondition naming that day.
func closedErr(t *testing.T, what string, err error, through time.Time) {
	t.Helper()
	if !errors.Is(err, errs.ErrFailedPrecondition) {
		t.Errorf("%s: %v, want FAILED_PRECONDITION", what, err)
		return
	}
	if d := through.Format(time.DateOnly); !strings.Contains(err.Error(), "closed through "+d) {
		t.Errorf("%s: %q does not name the closed period (through %s)", what, err, d)
	}
}

// closedErrAt is closedErr naming field, the date to change.
func closedErrAt(t *testing.T, what string, err error, through time.Time, field string) {
	t.Helper()
	closedErr(t, what, err, through)
	var e *errs.Error
	if !errors.As(err, &e) || len(e.Violations) != 1 || e.Violations[0].Field != field {
		t.Errorf("%s: %v does not name %s", what, err, field)
	}
}

// Postings dated in a closed period are refused, whatever posts them, and
// leave nothing behind; dated on the first open day they post.
func TestClosedPeriodRefusesDatedPostings(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	c := mustCustomer(t, s, "Closed Ltd")
	mustTaxedItem(t, s, "CL-1", "100.00", "0.19")
	mustAdjust(t, s, "CL-1", "MAIN", "10")
	through := utcToday().AddDate(0, 0, -10)
	paid, err := s.CreatePayment(ctx, payment.Payment{ID: newID(t), CustomerID: c.ID, Amount: eur("50.00"), ReceivedDate: through.AddDate(0, 0, -5)}, "")
	if err != nil {
		t.Fatal(err)
	}
	p := mustClose(t, s, through)
	if !p.ClosedThrough.Equal(through) || !p.FirstOpenDay().Equal(through.AddDate(0, 0, 1)) {
		t.Fatalf("period = %+v", p)
	}
	o := mustOrder(t, s, newOrder(c.ID, "", line("CL-1", "1")))
	if _, err := s.ConfirmOrder(ctx, o.ID, 0, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateShipment(ctx, shipping.NewShipment{OrderID: o.ID}, newID(t), ""); err != nil {
		t.Fatal(err)
	}

	before := journalRows(t, pool)
	invoices := count(t, pool, "invoices")
	_, err = s.CreateInvoice(ctx, o.ID, through, newID(t), "")
	closedErrAt(t, "invoice issued on the closed day", err, through, "issue_date")
	_, err = s.CreateInvoice(ctx, o.ID, through.AddDate(0, -2, 0), newID(t), "")
	closedErr(t, "invoice issued two months back", err, through)
	_, err = s.CreatePayment(ctx, payment.Payment{ID: newID(t), CustomerID: c.ID, Amount: eur("5.00"), ReceivedDate: through}, "")
	closedErrAt(t, "payment received on the closed day", err, through, "received_date")
	_, err = s.RefundCredit(ctx, paid.ID, 0, payment.Refund{Amount: eur("5.00"), Date: through}, "")
	closedErrAt(t, "refund dated on the closed day", err, through, "refund_date")
	if got := journalRows(t, pool); got != before {
		t.Errorf("journal after refused postings: %s, want %s", got, before)
	}
	if got := count(t, pool, "invoices"); got != invoices {
		t.Errorf("%d invoices after a refused one, want %d", got, invoices)
	}

	// The first open day is open.
	inv, err := s.CreateInvoice(ctx, o.ID, through.AddDate(0, 0, 1), newID(t), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.RefundCredit(ctx, paid.ID, 0, payment.Refund{Amount: eur("5.00"), Date: through.AddDate(0, 0, 1)}, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreatePayment(ctx, payment.Payment{ID: newID(t), CustomerID: c.ID, Amount: eur("119.00"), ReceivedDate: through.AddDate(0, 0, 1),
		Allocations: []payment.Allocation{{InvoiceID: inv.ID, Amount: eur("119.00")}}}, ""); err != nil {
		t.Fatal(err)
	}
}

// Closed through today, even postings dated by the clock (today) are
// refused: shipments, stock adjustments, receipts and returns of purchase
// orders, revaluations. Reversals are not: they are dated on the first
// open day, tomorrow.
func TestClosedTodayRefusesClockDatedPostings(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	today := utcToday()
	c := mustCustomer(t, s, "Today Ltd")
	mustCostedItem(t, s, "CT-1", "100.00", "40.00")
	mustAdjust(t, s, "CT-1", "MAIN", "10")
	inv := invoiceShipped(t, s, newOrder(c.ID, "", line("CT-1", "1")), today.AddDate(0, 0, -3))
	p, err := s.CreatePayment(ctx, payment.Payment{ID: newID(t), CustomerID: c.ID, Amount: eur("30.00"), ReceivedDate: today.AddDate(0, 0, -2)}, "")
	if err != nil {
		t.Fatal(err)
	}
	po := orderedPO(t, s, poLine("CT-1", "5", "38.00", "2030-01-01"))
	if _, err := s.ReceivePurchaseOrder(ctx, po.ID, "", []purchasing.ReceiptLine{rl(1, "2")}, ""); err != nil {
		t.Fatal(err)
	}
	o := mustOrder(t, s, newOrder(c.ID, "", line("CT-1", "1")))
	if _, err := s.ConfirmOrder(ctx, o.ID, 0, ""); err != nil {
		t.Fatal(err)
	}

	mustClose(t, s, today)
	before := journalRows(t, pool)
	_, err = s.CreateShipment(ctx, shipping.NewShipment{OrderID: o.ID}, newID(t), "")
	closedErr(t, "shipment", err, today)
	a := stock.Adjustment{ID: newID(t), SKU: "CT-1", Warehouse: "MAIN", Quantity: dec("1"), Reason: "receipt"}
	if err := stock.PrepareAdjustment(&a); err != nil {
		t.Fatal(err)
	}
	_, err = s.Adjust(ctx, a, "")
	closedErr(t, "stock adjustment", err, today)
	_, err = s.ReceivePurchaseOrder(ctx, po.ID, "", []purchasing.ReceiptLine{rl(1, "1")}, "")
	closedErr(t, "purchase order receipt", err, today)
	_, err = s.ReturnPurchaseOrder(ctx, po.ID, "", []purchasing.ReceiptLine{rl(1, "1")}, "damaged", "")
	closedErr(t, "purchase return", err, today)
	cost := eur("45.00")
	_, err = s.UpdateItem(ctx, "CT-1", 0, func(cur catalog.Item) (catalog.Item, error) {
		return catalog.Apply(cur, catalog.Patch{StandardCost: &cost}, []string{"standard_cost"})
	})
	closedErr(t, "revaluation", err, today)
	_, err = s.CreateInvoice(ctx, o.ID, time.Time{}, newID(t), "")
	if !errors.Is(err, errs.ErrFailedPrecondition) { // nothing shipped, or closed
		t.Errorf("invoice of today: %v", err)
	}
	if got := journalRows(t, pool); got != before {
		t.Errorf("journal after refused postings: %s, want %s", got, before)
	}

	// Reversals go to the first open day.
	if _, err := s.VoidInvoice(ctx, inv.ID, 0, "wrong price", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReversePayment(ctx, p.ID, 0, "bounced", ""); err != nil {
		t.Fatal(err)
	}
	entries, _, err := s.ListEntries(ctx, ledger.ListQuery{PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	reversals := 0
	for _, e := range entries {
		if e.ReversesID == "" {
			continue
		}
		reversals++
		if want := today.AddDate(0, 0, 1); !e.Date.Equal(want) {
			t.Errorf("%s %s dated %s, want the first open day %s", e.Kind, e.Reference, e.Date.Format(time.DateOnly), want.Format(time.DateOnly))
		}
	}
	if reversals != 2 {
		t.Errorf("%d reversals, want 2", reversals)
	}
}

// A close only moves forward and not past today; a reopen only moves
// back, and needs a reason; every change is kept, with its actor, newest
// first.
func TestCloseAndReopenPeriod(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	today := utcToday()
	p, err := s.GetPeriod(ctx)
	if err != nil || !p.ClosedThrough.IsZero() || p.LastChange.ID != "" {
		t.Fatalf("new period = %+v, %v", p, err)
	}
	if _, err := s.ReopenPeriod(ctx, time.Time{}, "nothing to reopen", newID(t), ""); !errors.Is(err, errs.ErrFailedPrecondition) {
		t.Errorf("reopen of open books: %v", err)
	}
	if _, err := s.ClosePeriod(ctx, today.AddDate(0, 0, 1), newID(t), ""); errs.KindOf(err) != errs.InvalidArgument {
		t.Errorf("close through tomorrow: %v", err)
	}
	oct, sep := today.AddDate(0, -1, 0), today.AddDate(0, -2, 0)
	// Retried with its request_id, a close answers what it did.
	first, err := s.ClosePeriod(ctx, oct, newID(t), "close-oct")
	if err != nil {
		t.Fatal(err)
	}
	again, err := s.ClosePeriod(ctx, oct, newID(t), "close-oct")
	if err != nil || again.LastChange.ID != first.LastChange.ID {
		t.Errorf("retried close = %+v, %v; want %+v", again, err, first)
	}
	for _, d := range []time.Time{oct, sep} {
		if _, err := s.ClosePeriod(ctx, d, newID(t), ""); !errors.Is(err, errs.ErrFailedPrecondition) {
			t.Errorf("close through %s when closed through %s: %v", d.Format(time.DateOnly), oct.Format(time.DateOnly), err)
		}
	}
	if _, err := s.ReopenPeriod(ctx, oct, "same day", newID(t), ""); !errors.Is(err, errs.ErrFailedPrecondition) {
		t.Errorf("reopen to the closed day: %v", err)
	}
	p, err = s.ReopenPeriod(ctx, sep, "late supplier invoice", newID(t), "")
	if err != nil {
		t.Fatal(err)
	}
	if !p.ClosedThrough.Equal(sep) || p.LastChange.Action != ledger.ActionReopen || !p.LastChange.Previous.Equal(oct) || p.LastChange.Reason != "late supplier invoice" {
		t.Errorf("reopened = %+v", p)
	}
	if _, err := s.ClosePeriod(ctx, today, newID(t), ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReopenPeriod(ctx, time.Time{}, "audit adjustment", newID(t), ""); err != nil {
		t.Fatal(err)
	}
	if p, err = s.GetPeriod(ctx); err != nil || !p.ClosedThrough.IsZero() || p.LastChange.Action != ledger.ActionReopen {
		t.Errorf("all reopened: %+v, %v", p, err)
	}

	var got []string
	after := ""
	for {
		list, more, err := s.ListPeriodChanges(ctx, ledger.PeriodQuery{PageSize: 3, After: after})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range list {
			got = append(got, c.Action+" "+c.Through.Format(time.DateOnly)+" from "+c.Previous.Format(time.DateOnly)+" "+c.Reason)
			if c.Actor == "" || c.Time.IsZero() {
				t.Errorf("change %+v has no actor or time", c)
			}
		}
		if !more {
			break
		}
		after = list[len(list)-1].ID
	}
	z := time.Time{}.Format(time.DateOnly)
	want := []string{
		"reopen " + z + " from " + today.Format(time.DateOnly) + " audit adjustment",
		"close " + today.Format(time.DateOnly) + " from " + sep.Format(time.DateOnly) + " ",
		"reopen " + sep.Format(time.DateOnly) + " from " + oct.Format(time.DateOnly) + " late supplier invoice",
		"close " + oct.Format(time.DateOnly) + " from " + z + " ",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("changes:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A close and a posting dated in the period it closes serialize: a close
// waits for a posting in flight (which then is in the period before it
// closes), and a posting waits for a close in flight and is then refused.
func TestCloseWaitsForPostingsAndPostingsForClose(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	c := mustCustomer(t, s, "Race Ltd")
	through := utcToday().AddDate(0, 0, -1)

	// A posting in flight, dated on the day to close.
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	id := newID(t)
	if _, err := tx.Exec(ctx, `INSERT INTO journal_entries (id, kind, reference, currency_code, actor) VALUES ($1, 'payment', 'payments/x', 'EUR', 'test')`, id); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO journal_lines (entry_id, line_number, account_code, debit, credit, entry_date)
		VALUES ($1, 1, '1000', 1, 0, $2), ($1, 2, '1100', 0, 1, $2)`, id, through); err != nil {
		t.Fatal(err)
	}
	closed := make(chan error, 1)
	go func() { _, err := s.ClosePeriod(ctx, through, newID(t), ""); closed <- err }()
	select {
	case err := <-closed:
		t.Fatalf("close did not wait for the posting in flight: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatalf("posting in flight: %v", err)
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}

	// A close (here a reopen and a close) in flight.
	if _, err := s.ReopenPeriod(ctx, time.Time{}, "race", newID(t), ""); err != nil {
		t.Fatal(err)
	}
	tx2, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx2.Rollback(ctx) }()
	// As a close does: the period's lock, exclusively, then its row.
	if _, err := tx2.Exec(ctx, `SELECT pg_advisory_xact_lock(1002, 0)`); err != nil {
		t.Fatal(err)
	}
	if _, err := tx2.Exec(ctx, `SELECT 1 FROM ledger_period FOR UPDATE`); err != nil {
		t.Fatal(err)
	}
	if _, err := tx2.Exec(ctx, `UPDATE ledger_period SET closed_through = $1`, through); err != nil {
		t.Fatal(err)
	}
	posted := make(chan error, 1)
	go func() {
		_, err := s.CreatePayment(ctx, payment.Payment{ID: newID(t), CustomerID: c.ID, Amount: eur("5.00"), ReceivedDate: through}, "")
		posted <- err
	}()
	select {
	case err := <-posted:
		t.Fatalf("posting did not wait for the close in flight: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	if err := tx2.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	closedErr(t, "payment posted while closing", <-posted, through)
}

// Many postings dated in a period racing its close: once the close has
// returned, the period's balance never changes again.
func TestConcurrentPostingsAndClose(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	through := utcToday().AddDate(0, 0, -1)
	var wg sync.WaitGroup
	var posted, refused atomic.Int64
	stop := make(chan struct{})
	halt := sync.OnceFunc(func() { close(stop); wg.Wait() })
	defer halt() // on a failure too, before the pool closes
	errc := make(chan error, 8)
	for i := range 6 {
		// A customer each: payments of one customer take turns.
		c := mustCustomer(t, s, fmt.Sprintf("Busy %d Ltd", i))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				_, err := s.CreatePayment(ctx, payment.Payment{ID: newID(t), CustomerID: c.ID, Amount: eur("1.00"), ReceivedDate: through}, "")
				switch {
				case err == nil:
					posted.Add(1)
				case errors.Is(err, errs.ErrFailedPrecondition):
					refused.Add(1)
				default:
					errc <- err
					return
				}
			}
		}()
	}
	// Close while payments post, then let them run into the close.
	waitUntil(t, "payments posted", func() bool { return posted.Load() >= 6 })
	mustClose(t, s, through)
	atClose := periodBalances(t, s, time.Time{}, through)
	waitUntil(t, "payments refused", func() bool { return refused.Load() >= 12 })
	halt()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	if after := periodBalances(t, s, time.Time{}, through); !sameBalances(after, atClose) {
		t.Errorf("closed period's balance changed after the close: %v, at the close %v", after, atClose)
	}
}

// waitUntil polls cond for up to 30 seconds.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
