package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/seamhq/seam/erp-service/internal/ledger"
	"github.com/seamhq/seam/erp-service/internal/payment"
	"github.com/seamhq/seam/erp-service/internal/postgres"
)

// periodBalances sums PeriodBalance's rows of one currency per account
// (debit - credit), as strings.
func periodBalances(t *testing.T, s *postgres.Store, start, end time.Time) map[string]string {
	t.Helper()
	rows, err := s.PeriodBalance(context.Background(), "EUR", start, end)
	if err != nil {
		t.Fatal(err)
	}
	for _, tot := range ledger.Totals(rows) {
		if !tot.Debit.Equal(tot.Credit) {
			t.Errorf("period %s..%s: debits %s, credits %s", start.Format(time.DateOnly), end.Format(time.DateOnly), tot.Debit, tot.Credit)
		}
	}
	out := map[string]string{}
	for _, r := range rows {
		out[r.Account] = r.Balance().String()
	}
	return out
}

// Invoices, payments and refunds are in the period of their document's
// date (issued, received, refunded), not of the moment they were entered:
// an invoice issued on 31 January and entered later is January's revenue,
// the payment received on 1 February February's cash. Everything else
// (shipments, receipts, voids, reversals) is dated on the day it posts.
// The periods add up to the whole journal.
func TestTrialBalanceOfAPeriod(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	c := mustCustomer(t, s, "Period Ltd")
	mustTaxedItem(t, s, "PER-1", "100.00", "0.19")
	mustAdjust(t, s, "PER-1", "MAIN", "5")

	inv := invoiceShipped(t, s, newOrder(c.ID, "", line("PER-1", "1")), day("2026-01-31")) // 100.00 + 19.00
	p := pay(t, c.ID, "150.00", inv.ID, "119.00")
	p.ReceivedDate = day("2026-02-01")
	p, err := s.CreatePayment(ctx, p, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.RefundCredit(ctx, p.ID, 0, payment.Refund{Amount: eur("31.00"), Date: day("2026-02-03")}, ""); err != nil {
		t.Fatal(err)
	}
	// A second invoice, voided: its entry is dated on its issue date, the
	// void on the day it is entered.
	voided := invoiceShipped(t, s, newOrder(c.ID, "", line("PER-1", "1")), day("2026-01-15"))
	if _, err := s.VoidInvoice(ctx, voided.ID, 0, "wrong customer", ""); err != nil {
		t.Fatal(err)
	}

	january := periodBalances(t, s, day("2026-01-01"), day("2026-01-31"))
	if want := map[string]string{ledger.AccountsReceivable: "238", ledger.Revenue: "-200", ledger.TaxPayable: "-38"}; !sameBalances(january, want) {
		t.Errorf("January = %v, want %v", january, want)
	}
	february := periodBalances(t, s, day("2026-02-01"), day("2026-02-28"))
	if want := map[string]string{ledger.Cash: "119", ledger.AccountsReceivable: "-119"}; !sameBalances(february, want) {
		t.Errorf("February = %v, want %v", february, want)
	}
	// Up to the end of February (no start): January and February.
	toFebruary := periodBalances(t, s, time.Time{}, day("2026-02-28"))
	if want := map[string]string{ledger.Cash: "119", ledger.AccountsReceivable: "119", ledger.Revenue: "-200", ledger.TaxPayable: "-38"}; !sameBalances(toFebruary, want) {
		t.Errorf("to February = %v, want %v", toFebruary, want)
	}
	// Everything up to a day far ahead is the trial balance.
	all := periodBalances(t, s, time.Time{}, day("9999-12-31"))
	tb, err := s.TrialBalance(ctx, "EUR")
	if err != nil {
		t.Fatal(err)
	}
	whole := map[string]string{}
	for _, r := range tb {
		whole[r.Account] = r.Balance().String()
	}
	if !sameBalances(all, whole) {
		t.Errorf("all periods = %v, trial balance %v", all, whole)
	}

	// The journal shows each entry's date.
	entries, _, err := s.ListEntries(ctx, ledger.ListQuery{PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	today := time.Now().UTC().Format(time.DateOnly)
	want := map[string]string{
		ledger.KindInvoice + " " + inv.ID:        "2026-01-31",
		ledger.KindInvoice + " " + voided.ID:     "2026-01-15",
		ledger.KindInvoiceVoid + " " + voided.ID: today,
		ledger.KindPayment:                       "2026-02-01",
		ledger.KindPaymentRefund:                 "2026-02-03",
		ledger.KindShipment:                      today,
		ledger.KindReceipt:                       today,
	}
	for _, e := range entries {
		k := e.Kind
		if k == ledger.KindInvoice || k == ledger.KindInvoiceVoid {
			k += " " + e.Reference[len("invoices/"):]
		}
		if got := e.Date.Format(time.DateOnly); got != want[k] {
			t.Errorf("%s %s dated %s, want %s", e.Kind, e.Reference, got, want[k])
		}
	}
}

func sameBalances(got, want map[string]string) bool {
	if len(got) != len(want) {
		return false
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

// A reversal is never dated before what it reverses: a payment received a
// day ahead (the day of grace) and reversed today, an invoice issued ahead
// and voided today, are reversed on their own date, so no period holds
// the reversal without the entry.
func TestReversalsNotDatedBeforeTheirEntry(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	c := mustCustomer(t, s, "Ahead Ltd")
	mustTaxedItem(t, s, "AHEAD-1", "100.00", "0.19")
	mustAdjust(t, s, "AHEAD-1", "MAIN", "5")
	today := time.Now().UTC().Truncate(24 * time.Hour)
	tomorrow, later := today.AddDate(0, 0, 1), today.AddDate(0, 0, 10)

	inv := invoiceShipped(t, s, newOrder(c.ID, "", line("AHEAD-1", "1")), later)
	if _, err := s.VoidInvoice(ctx, inv.ID, 0, "issued ahead by mistake", ""); err != nil {
		t.Fatal(err)
	}
	p := pay(t, c.ID, "50.00")
	p.ReceivedDate = tomorrow
	p, err := s.CreatePayment(ctx, p, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReversePayment(ctx, p.ID, 0, "bounced", ""); err != nil {
		t.Fatal(err)
	}
	entries, _, err := s.ListEntries(ctx, ledger.ListQuery{PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]time.Time{
		ledger.KindInvoice: later, ledger.KindInvoiceVoid: later,
		ledger.KindPayment: tomorrow, ledger.KindPaymentReversal: tomorrow,
		ledger.KindShipment: today, ledger.KindReceipt: today,
	}
	for _, e := range entries {
		if !e.Date.Equal(want[e.Kind]) {
			t.Errorf("%s %s dated %s, want %s", e.Kind, e.Reference, e.Date.Format(time.DateOnly), want[e.Kind].Format(time.DateOnly))
		}
	}
	// Up to today: nothing of the invoice or the payment.
	for k := range periodBalances(t, s, time.Time{}, today) {
		if k == ledger.Cash || k == ledger.AccountsReceivable || k == ledger.Revenue {
			t.Errorf("up to today, %s has postings", k)
		}
	}
}
