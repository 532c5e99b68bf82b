package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/seamhq/seam/erp-service/internal/payables"
	"github.com/seamhq/seam/erp-service/internal/payment"
	"github.com/seamhq/seam/erp-service/internal/postgres"
	"github.com/seamhq/seam/erp-service/internal/purchasing"
	"github.com/seamhq/seam/erp-service/internal/reporting"
	"github.com/seamhq/seam/erp-service/internal/shipping"
)

// accountThrough is the balance (debit - credit) of account in EUR of the
// entries dated up to through.
func accountThrough(t *testing.T, s *postgres.Store, account string, through time.Time) string {
	t.Helper()
	rows, err := s.PeriodBalance(context.Background(), "EUR", time.Time{}, through)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Account == account {
			return r.Balance().StringFixed(2)
		}
	}
	return "0.00"
}

// The aging as of a day counts a void or a payment reversal from the day
// it posts in the ledger, and a payment from its received date, so that
// it adds up to 1100 Accounts receivable through that day: with the books
// closed through today, a void and a reversal made today post tomorrow,
// and a payment may be received tomorrow. Today's aging, read from the
// open invoices otherwise, reads the history then.
func TestArAgingAsOfFollowsTheLedgersDates(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	today := utcToday()
	tomorrow := today.AddDate(0, 0, 1)
	c := mustCustomer(t, s, "Ledger Dated Ltd")
	mustTaxedItem(t, s, "ALD-1", "100.00", "0")
	mustAdjust(t, s, "ALD-1", "MAIN", "10")
	invoice := func() string {
		t.Helper()
		o := mustOrder(t, s, newOrder(c.ID, "", line("ALD-1", "1")))
		if _, err := s.ConfirmOrder(ctx, o.ID, 0, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateShipment(ctx, shipping.NewShipment{OrderID: o.ID}, newID(t), ""); err != nil {
			t.Fatal(err)
		}
		inv, err := s.CreateInvoice(ctx, o.ID, today.AddDate(0, 0, -3), newID(t), "")
		if err != nil {
			t.Fatal(err)
		}
		return inv.ID
	}
	pay := func(inv, amount string, received time.Time) payment.Payment {
		t.Helper()
		p, err := s.CreatePayment(ctx, payment.Payment{ID: newID(t), CustomerID: c.ID, Amount: eur(amount), ReceivedDate: received,
			Allocations: []payment.Allocation{{InvoiceID: inv, Amount: eur(amount)}}}, "")
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	reversed, voided, paidTomorrow := invoice(), invoice(), invoice()
	p := pay(reversed, "40.00", today.AddDate(0, 0, -2))
	pay(paidTomorrow, "100.00", tomorrow)
	mustClose(t, s, today)
	if _, err := s.ReversePayment(ctx, p.ID, 0, "bounced", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.VoidInvoice(ctx, voided, 0, "wrong customer", ""); err != nil {
		t.Fatal(err)
	}

	total := func(asOf time.Time, history bool) string {
		t.Helper()
		read := s.OpenAmounts
		if history {
			read = func(ctx context.Context, asOf time.Time, currency string, pageSize int, after string) ([]reporting.Open, bool, error) {
				return postgres.OpenAmountsFromHistory(s, ctx, asOf, currency, pageSize, after)
			}
		}
		opens, _, err := read(ctx, asOf, "", 10, "")
		if err != nil {
			t.Fatal(err)
		}
		sum := dec("0")
		for _, o := range opens {
			sum = sum.Add(o.Amount)
		}
		return sum.StringFixed(2)
	}
	for _, tc := range []struct {
		day  time.Time
		want string
	}{
		{today, "260.00"},    // 60 of the first, the second, the third: the void, reversal and payment post tomorrow
		{tomorrow, "100.00"}, // the first open again, the second void, the third paid
	} {
		if got := accountThrough(t, s, "1100", tc.day); got != tc.want {
			t.Fatalf("1100 through %s = %s, want %s", tc.day.Format(time.DateOnly), got, tc.want)
		}
		if got := total(tc.day, false); got != tc.want {
			t.Errorf("aging as of %s = %s, want %s (1100 through that day)", tc.day.Format(time.DateOnly), got, tc.want)
		}
		if got := total(tc.day, true); got != tc.want {
			t.Errorf("aging as of %s from the history = %s, want %s (1100 through that day)", tc.day.Format(time.DateOnly), got, tc.want)
		}
	}
}

// The payables report as of a day counts a supplier payment's reversal
// from the day it posts in the ledger: with the books closed through
// today, a reversal made today posts tomorrow, and today's report still
// counts the payment, as 2000 Accounts payable through today does.
func TestPayablesReportAsOfFollowsTheLedgersDates(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	today := utcToday()
	tomorrow := today.AddDate(0, 0, 1)
	mustKgCostedItem(t, s, "PLD-1", "20", "7.50")
	po := orderedPO(t, s, poLine("PLD-1", "10", "7.50", "2030-03-01"))
	if _, err := s.ReceivePurchaseOrder(ctx, po.ID, "", []purchasing.ReceiptLine{rl(1, "10")}, ""); err != nil {
		t.Fatal(err)
	}
	nb := newBill(t, po.ID, "PLD-A", "2030-02-10", bl(1, "10")) // 75.00
	nb.InvoiceDate = today.AddDate(0, 0, -5)
	b, err := s.CreateSupplierBill(ctx, nb, "")
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.CreateSupplierPayment(ctx, payables.Payment{ID: newID(t), BillID: b.ID, Amount: eur("20.00"), PaidDate: today.AddDate(0, 0, -2)}, "")
	if err != nil {
		t.Fatal(err)
	}
	mustClose(t, s, today)
	if _, err := s.ReverseSupplierPayment(ctx, p.ID, "bounced", ""); err != nil {
		t.Fatal(err)
	}

	report := func(asOf time.Time, history bool) string {
		t.Helper()
		q := payables.ReportQuery{AsOf: asOf, SupplierID: po.SupplierID, Limit: 50}
		read := s.Payables
		if history {
			read = func(ctx context.Context, q payables.ReportQuery) ([]payables.ReportRow, error) {
				return postgres.PayablesFromHistory(s, ctx, q)
			}
		}
		rows, err := read(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		sum := dec("0")
		for _, r := range rows {
			sum = sum.Add(r.Open)
		}
		return sum.Neg().StringFixed(2)
	}
	for _, tc := range []struct {
		day  time.Time
		want string
	}{
		{today, "-55.00"},    // the payment counts until its reversal posts
		{tomorrow, "-75.00"}, // reversed
	} {
		if got := accountThrough(t, s, "2000", tc.day); got != tc.want {
			t.Fatalf("2000 through %s = %s, want %s", tc.day.Format(time.DateOnly), got, tc.want)
		}
		if got := report(tc.day, false); got != tc.want {
			t.Errorf("payables as of %s = %s open, want %s (2000 through that day)", tc.day.Format(time.DateOnly), got, tc.want)
		}
		if got := report(tc.day, true); got != tc.want {
			t.Errorf("payables as of %s from the history = %s open, want %s (2000 through that day)", tc.day.Format(time.DateOnly), got, tc.want)
		}
	}
}
