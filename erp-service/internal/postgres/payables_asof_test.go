package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/seamhq/seam/erp-service/internal/payables"
	"github.com/seamhq/seam/erp-service/internal/postgres"
	"github.com/seamhq/seam/erp-service/internal/purchasing"
)

// The payables report as of a day counts the bills dated by then, less
// the payments dated by then and not reversed by then and the credit
// notes dated by then: a later credit note, payment or reversal does not
// count, nor a bill dated after the day. As of today it reads the open
// bills, and from the bills' history it is the same; a payment dated
// tomorrow sends today's report to the history.
func TestPayablesReportAsOf(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	today := utcToday()
	on := func(days int) time.Time { return today.AddDate(0, 0, days) }
	mustKgCostedItem(t, s, "PAO-1", "20", "7.50")
	po := orderedPO(t, s, poLine("PAO-1", "16", "7.50", "2030-03-01"))
	if _, err := s.ReceivePurchaseOrder(ctx, po.ID, "", []purchasing.ReceiptLine{rl(1, "16")}, ""); err != nil {
		t.Fatal(err)
	}
	bill := func(number string, qty string, dated, due int) payables.Bill {
		t.Helper()
		nb := newBill(t, po.ID, number, "2030-02-10", bl(1, qty))
		nb.InvoiceDate, nb.DueDate = on(dated), on(due)
		b, err := s.CreateSupplierBill(ctx, nb, "")
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	pay := func(b payables.Bill, amount string, paid int) payables.Payment {
		t.Helper()
		p, err := s.CreateSupplierPayment(ctx, payables.Payment{ID: newID(t), BillID: b.ID, Amount: eur(amount), PaidDate: on(paid)}, "")
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	a := bill("PAO-A", "10", -30, -10) // 75.00
	if _, err := s.CreateSupplierCreditNote(ctx, newSupplierCredit(t, a.ID, on(-20).Format(time.DateOnly), returned(1, "2")), ""); err != nil {
		t.Fatal(err) // 15.00 back
	}
	pay(a, "20.00", -15)
	bounced := pay(a, "10.00", -12)
	if _, err := s.ReverseSupplierPayment(ctx, bounced.ID, "bounced", ""); err != nil {
		t.Fatal(err)
	}
	b := bill("PAO-B", "4", -8, 20) // 30.00
	bill("PAO-C", "2", 5, 35)       // 15.00, dated ahead

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
		out := ""
		for _, r := range rows {
			out += fmt.Sprintf("%s open %s overdue %s (%d)", r.Currency, r.Open.StringFixed(2), r.Overdue.StringFixed(2), r.OpenBills)
		}
		return out
	}
	check := func(days int, want string) {
		t.Helper()
		if got := report(on(days), false); got != want {
			t.Errorf("as of %+d days: %q, want %q", days, got, want)
		}
		if got := report(on(days), true); got != want {
			t.Errorf("as of %+d days from the history: %q, want %q", days, got, want)
		}
	}
	check(-31, "")                                // nothing billed yet
	check(-25, "EUR open 75.00 overdue 0.00 (1)") // bill A
	check(-20, "EUR open 60.00 overdue 0.00 (1)") // 15.00 credited
	check(-13, "EUR open 40.00 overdue 0.00 (1)") // 20.00 paid
	check(-12, "EUR open 30.00 overdue 0.00 (1)") // 10.00 paid, reversed only today
	check(-1, "EUR open 60.00 overdue 30.00 (2)") // bill B; A overdue
	check(0, "EUR open 70.00 overdue 40.00 (2)")  // the reversal counts; C is dated ahead
	check(5, "EUR open 85.00 overdue 40.00 (3)")  // bill C
	check(-10, "EUR open 30.00 overdue 0.00 (1)") // A is due on the day: not overdue yet
	check(-9, "EUR open 30.00 overdue 30.00 (1)") // past due
	check(-8, "EUR open 60.00 overdue 30.00 (2)") // B dated that day counts

	// Bill B paid tomorrow: today it is still open, tomorrow paid.
	pay(b, "30.00", 1)
	check(0, "EUR open 70.00 overdue 40.00 (2)")
	check(1, "EUR open 40.00 overdue 40.00 (1)")
	check(5, "EUR open 55.00 overdue 40.00 (2)")
}
