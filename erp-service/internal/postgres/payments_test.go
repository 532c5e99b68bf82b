package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/seamhq/seam/erp-service/internal/invoicing"
	"github.com/seamhq/seam/erp-service/internal/ledger"
	"github.com/seamhq/seam/erp-service/internal/payment"
	"github.com/seamhq/seam/erp-service/internal/postgres"
	"github.com/seamhq/seam/erp-service/internal/sales"
	"github.com/seamhq/seam/erp-service/internal/shipping"
	"github.com/seamhq/seam/platform/errs"
)

func pay(t *testing.T, customerID, amount string, allocs ...string) payment.Payment {
	t.Helper()
	p := payment.Payment{ID: newID(t), CustomerID: customerID, Amount: eur(amount), ReceivedDate: day("2026-02-01")}
	for i := 0; i < len(allocs); i += 2 {
		p.Allocations = append(p.Allocations, payment.Allocation{InvoiceID: allocs[i], Amount: eur(allocs[i+1])})
	}
	return p
}

// invoicedOrder makes an order for qty of sku, ships and invoices it.
func invoicedOrder(t *testing.T, s *postgres.Store, customerID, sku, qty string) (sales.Order, invoicing.Invoice) {
	t.Helper()
	ctx := context.Background()
	o := mustOrder(t, s, newOrder(customerID, "", line(sku, qty)))
	if _, err := s.ConfirmOrder(ctx, o.ID, 0, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateShipment(ctx, shipping.NewShipment{OrderID: o.ID}, newID(t), ""); err != nil {
		t.Fatal(err)
	}
	inv, err := s.CreateInvoice(ctx, o.ID, day("2026-01-01"), newID(t), "")
	if err != nil {
		t.Fatal(err)
	}
	return o, inv
}

// checkPaid asserts that every invoice's paid amount is the sum of the
// allocations of its posted payments.
func checkPaid(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	var bad int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM invoices i
		LEFT JOIN (SELECT a.invoice_id, sum(a.amount) AS paid FROM payment_allocations a
		           JOIN payments p ON p.id = a.payment_id AND p.status = 'POSTED' GROUP BY a.invoice_id) x ON x.invoice_id = i.id
		WHERE i.paid_amount <> coalesce(x.paid, 0)`).Scan(&bad); err != nil {
		t.Fatal(err)
	}
	if bad != 0 {
		t.Errorf("%d invoices' paid amounts differ from their allocations", bad)
	}
}

func TestPayments(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	c := mustCustomer(t, s, "Acme")
	other := mustCustomer(t, s, "Other")
	mustTaxedItem(t, s, "W-1", "10.01", "0.19")
	mustAdjust(t, s, "W-1", "MAIN", "100")
	o1, inv1 := invoicedOrder(t, s, c.ID, "W-1", "10") // 100.10 + 19.02 = 119.12
	_, inv2 := invoicedOrder(t, s, c.ID, "W-1", "1")   // 10.01 + 1.90 = 11.91
	_, invOther := invoicedOrder(t, s, other.ID, "W-1", "1")
	if inv1.Total.String() != "119.12 EUR" || inv2.Total.String() != "11.91 EUR" {
		t.Fatalf("totals %s %s", inv1.Total, inv2.Total)
	}

	// Bad allocations name the field and write nothing.
	before := rowCounts(t, pool)
	for _, tc := range []struct {
		p    payment.Payment
		kind error
		want string
	}{
		{pay(t, c.ID, "200", inv1.ID, "119.13"), errs.ErrInvalidArgument, "[allocations[0].amount.amount]"},
		{pay(t, c.ID, "200", inv1.ID, "1", invOther.ID, "1"), errs.ErrInvalidArgument, "[allocations[1].invoice_id]"},
		{pay(t, c.ID, "200", newID(t), "1"), errs.ErrInvalidArgument, "[allocations[0].invoice_id]"},
		{pay(t, newID(t), "200"), errs.ErrInvalidArgument, "[customer_id]"},
	} {
		_, err := s.CreatePayment(ctx, tc.p, "")
		var e *errs.Error
		var fields []string
		if errors.As(err, &e) {
			for _, v := range e.Violations {
				fields = append(fields, v.Field)
			}
		}
		if !errors.Is(err, tc.kind) || fmt.Sprint(fields) != tc.want {
			t.Errorf("CreatePayment(%+v) = %v, want %s", tc.p.Allocations, err, tc.want)
		}
	}
	if after := rowCounts(t, pool); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("rejected payments wrote: %v -> %v", before, after)
	}

	// Three thirds pay inv1 exactly: 39.71 + 39.71 + 39.70.
	p1, err := s.CreatePayment(ctx, pay(t, c.ID, "39.71", inv1.ID, "39.71"), "pay-1")
	if err != nil || p1.Number != "PAY-000001" || p1.Status != payment.Posted || !p1.Unallocated.Amount.IsZero() {
		t.Fatalf("payment 1 = %+v, %v", p1, err)
	}
	if again, err := s.CreatePayment(ctx, pay(t, c.ID, "39.71", inv1.ID, "39.71"), "pay-1"); err != nil || again.ID != p1.ID {
		t.Errorf("retry = %+v, %v", again, err)
	}
	if got, _ := s.GetInvoice(ctx, inv1.ID); got.Status != invoicing.PartiallyPaid || got.Paid.String() != "39.71 EUR" {
		t.Errorf("invoice after a third = %+v", got)
	}
	if _, err := s.CreatePayment(ctx, pay(t, c.ID, "39.71", inv1.ID, "39.71"), ""); err != nil {
		t.Fatal(err)
	}
	// The last third and inv2, with 5 too much: kept as credit.
	p3, err := s.CreatePayment(ctx, pay(t, c.ID, "56.61", inv1.ID, "39.70", inv2.ID, "11.91"), "")
	if err != nil || p3.Unallocated.String() != "5.00 EUR" || len(p3.Allocations) != 2 {
		t.Fatalf("payment 3 = %+v, %v", p3, err)
	}
	got1, _ := s.GetInvoice(ctx, inv1.ID)
	if got1.Status != invoicing.Paid || !got1.OpenAmount().Amount.IsZero() {
		t.Errorf("invoice 1 = %+v", got1)
	}
	if o, _ := s.GetOrder(ctx, o1.ID); o.Status != sales.Paid {
		t.Errorf("order 1 = %s", o.Status)
	}
	// Paying a paid invoice more is over its open amount.
	if _, err := s.CreatePayment(ctx, pay(t, c.ID, "1", inv1.ID, "0.01"), ""); !errors.Is(err, errs.ErrInvalidArgument) {
		t.Errorf("overpaying an invoice: %v", err)
	}
	// A void invoice cannot be paid.
	if _, err := s.VoidInvoice(ctx, invOther.ID, 0, "", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreatePayment(ctx, pay(t, other.ID, "1", invOther.ID, "1"), ""); !errors.Is(err, errs.ErrFailedPrecondition) {
		t.Errorf("paying a void invoice: %v", err)
	}
	// A paid invoice cannot be voided.
	if _, err := s.VoidInvoice(ctx, inv1.ID, 0, "", ""); !errors.Is(err, errs.ErrFailedPrecondition) {
		t.Errorf("voiding a paid invoice: %v", err)
	}

	// Reversing payment 3 reopens both invoices and the order.
	if _, err := s.ReversePayment(ctx, p3.ID, 9, "", ""); !errors.Is(err, errs.ErrAborted) {
		t.Errorf("stale etag: %v", err)
	}
	r, err := s.ReversePayment(ctx, p3.ID, 1, "bounced", "rev-1")
	if err != nil || r.Status != payment.Reversed || r.Revision != 2 {
		t.Fatalf("reverse = %+v, %v", r, err)
	}
	// Its 5.00 of credit is gone with it; its allocations stay on record.
	if got, _ := s.GetPayment(ctx, p3.ID); !got.Unallocated.Amount.IsZero() || got.Unallocated.Currency != "EUR" || len(got.Allocations) != 2 {
		t.Errorf("reversed payment = %+v", got)
	}
	if again, err := s.ReversePayment(ctx, p3.ID, 1, "", "rev-1"); err != nil || again.Revision != 2 {
		t.Errorf("retried reverse = %+v, %v", again, err)
	}
	if again, err := s.ReversePayment(ctx, p3.ID, 0, "", ""); err != nil || again.Revision != 2 {
		t.Errorf("reverse twice = %+v, %v", again, err)
	}
	got1, _ = s.GetInvoice(ctx, inv1.ID)
	got2, _ := s.GetInvoice(ctx, inv2.ID)
	if got1.Status != invoicing.PartiallyPaid || got1.OpenAmount().String() != "39.70 EUR" || got2.Status != invoicing.Open {
		t.Errorf("invoices after reversal: %+v %+v", got1, got2)
	}
	if o, _ := s.GetOrder(ctx, o1.ID); o.Status != sales.Invoiced {
		t.Errorf("order 1 after reversal = %s", o.Status)
	}
	checkPaid(t, pool)
	tb := checkJournal(t, s, pool)
	// Cash 79.42; AR: 119.12 + 11.91 (inv other voided) - 79.42 = 51.61.
	if tb[ledger.Cash] != "79.42" || tb[ledger.AccountsReceivable] != "51.61" {
		t.Errorf("trial balance = %v", tb)
	}

	// Overdue and balances: inv1 and inv2 are due 2026-01-31.
	if _, _, err := s.MarkOverdue(ctx, day("2026-03-01")); err != nil {
		t.Fatal(err)
	}
	var last map[string]any
	for _, ev := range allEvents(t, pool) {
		if ev.Type == invoicing.EventBalanceChanged && ev.Key == c.ID {
			last = payload(t, ev)
		}
	}
	if last["open_balance"].(map[string]any)["amount"] != "51.61" || last["overdue_balance"].(map[string]any)["amount"] != "51.61" ||
		last["credit"].(map[string]any)["amount"] != "0.00" {
		t.Errorf("last balance = %v", last)
	}
	if got, _ := s.GetInvoice(ctx, inv1.ID); got.Status != invoicing.Overdue {
		t.Errorf("invoice 1 = %s", got.Status)
	}
	list, more, err := s.ListPayments(ctx, payment.ListQuery{PageSize: 2})
	if err != nil || len(list) != 2 || !more {
		t.Errorf("payments page = %v %v %v", list, more, err)
	}

	// A prepayment of 20.00, 7.50 of it paid back: Dr 1100 / Cr 1000, so
	// Cash 79.42 + 20 - 7.50 = 91.92 and AR 51.61 - 20 + 7.50 = 39.11;
	// the credit left is 12.50.
	pre, err := s.CreatePayment(ctx, pay(t, c.ID, "20"), "")
	if err != nil {
		t.Fatal(err)
	}
	refund := payment.Refund{Amount: eur("7.50"), Date: day("2026-02-03"), Reference: "TRX-1"}
	if _, err := s.RefundCredit(ctx, pre.ID, 9, refund, ""); !errors.Is(err, errs.ErrAborted) {
		t.Errorf("refund with a stale etag: %v", err)
	}
	rf, err := s.RefundCredit(ctx, pre.ID, 1, refund, "refund-1")
	if err != nil || rf.Unallocated.String() != "12.50 EUR" || rf.Revision != 2 || len(rf.Refunds) != 1 || rf.Refunds[0].CreateTime.IsZero() {
		t.Fatalf("refund = %+v, %v", rf, err)
	}
	if again, err := s.RefundCredit(ctx, pre.ID, 1, refund, "refund-1"); err != nil || again.Revision != 2 || len(again.Refunds) != 1 {
		t.Errorf("retried refund = %+v, %v", again, err)
	}
	if got, _ := s.GetPayment(ctx, pre.ID); len(got.Refunds) != 1 || got.Refunds[0].Amount.String() != "7.50 EUR" ||
		!got.Refunds[0].Date.Equal(day("2026-02-03")) || got.Refunds[0].Reference != "TRX-1" {
		t.Errorf("refunded payment = %+v", got)
	}
	if _, err := s.RefundCredit(ctx, pre.ID, 0, payment.Refund{Amount: eur("12.51"), Date: day("2026-02-03")}, ""); !errors.Is(err, errs.ErrInvalidArgument) {
		t.Errorf("refund over the credit: %v", err)
	}
	if _, err := s.RefundCredit(ctx, p3.ID, 0, payment.Refund{Amount: eur("1"), Date: day("2026-02-03")}, ""); !errors.Is(err, errs.ErrFailedPrecondition) {
		t.Errorf("refund of a reversed payment: %v", err)
	}
	tb = checkJournal(t, s, pool)
	if tb[ledger.Cash] != "91.92" || tb[ledger.AccountsReceivable] != "39.11" {
		t.Errorf("trial balance after the refund = %v", tb)
	}
	bal, err := s.Balance(ctx, c.ID, "EUR")
	if err != nil || bal.Credit.String() != "12.50 EUR" {
		t.Errorf("balance after the refund = %+v, %v", bal, err)
	}
	// Never reversed, also not by a binary that knows nothing of refunds.
	if _, err := s.ReversePayment(ctx, pre.ID, 0, "bounced", ""); !errors.Is(err, errs.ErrFailedPrecondition) {
		t.Errorf("reversing a refunded payment: %v", err)
	}
	if _, err := pool.Exec(ctx, `UPDATE payments SET status = 'REVERSED', unallocated = 0 WHERE id = $1`, pre.ID); err == nil {
		t.Error("the database let a refunded payment be reversed")
	}
	if _, err := pool.Exec(ctx, `DELETE FROM payment_refunds WHERE payment_id = $1`, pre.ID); err == nil {
		t.Error("the database let a refund be deleted")
	}
	checkPaid(t, pool)
}
