package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/seamhq/seam/erp-service/internal/catalog"
	"github.com/seamhq/seam/erp-service/internal/invoicing"
	"github.com/seamhq/seam/erp-service/internal/ledger"
	"github.com/seamhq/seam/erp-service/internal/payment"
	"github.com/seamhq/seam/erp-service/internal/postgres"
	"github.com/seamhq/seam/erp-service/internal/sales"
	"github.com/seamhq/seam/erp-service/internal/shipping"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/listing"
	"github.com/seamhq/seam/platform/money"
)

// mustTaxedCostedItem creates an item with a list price, a tax rate and a
// standard cost, all in EUR.
func mustTaxedCostedItem(t *testing.T, s *postgres.Store, sku, price, tax, cost string) {
	t.Helper()
	it := catalog.Item{SKU: sku, Name: "Item " + sku, ListPrice: eur(price), TaxRate: dec(tax)}
	c := eur(cost)
	if err := catalog.PrepareNew(&it, &c); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateItem(context.Background(), it, ""); err != nil {
		t.Fatal(err)
	}
}

// qtyLine credits qty of invoice line n, returned to warehouse wh when
// not empty.
func qtyLine(n int32, qty, wh string) invoicing.NewCreditLine {
	return invoicing.NewCreditLine{LineNumber: n, Quantity: dec(qty), ReturnWarehouse: wh}
}

// amountLine credits a net amount of invoice line n.
func amountLine(n int32, amount string) invoicing.NewCreditLine {
	a := eur(amount)
	return invoicing.NewCreditLine{LineNumber: n, Amount: &a}
}

func credit(t *testing.T, invoiceID, date string, lines ...invoicing.NewCreditLine) invoicing.NewCreditNote {
	t.Helper()
	n := invoicing.NewCreditNote{ID: newID(t), InvoiceID: invoiceID, Reason: "returned", Lines: lines}
	if date != "" {
		n.CreditDate = day(date)
	}
	return n
}

func TestCreditNotes(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	c := mustCustomer(t, s, "Acme")
	mustTaxedCostedItem(t, s, "C-1", "10", "0.19", "4")
	mustAdjust(t, s, "C-1", "MAIN", "10")
	_, inv := invoicedOrder(t, s, c.ID, "C-1", "3") // 30.00 + 5.70 tax, issued 2026-01-01
	if inv.Total.String() != "35.70 EUR" {
		t.Fatalf("invoice = %+v", inv)
	}
	p, err := s.CreatePayment(ctx, pay(t, c.ID, "20", inv.ID, "20"), "")
	if err != nil {
		t.Fatal(err)
	}

	// Refusals name the field and write nothing.
	before := rowCounts(t, pool)
	refusals := []struct {
		name  string
		n     invoicing.NewCreditNote
		kind  errs.Kind
		field string
	}{
		{"no reason", func() invoicing.NewCreditNote {
			n := credit(t, inv.ID, "", qtyLine(1, "1", ""))
			n.Reason = ""
			return n
		}(), errs.InvalidArgument, "reason"},
		{"no lines", credit(t, inv.ID, ""), errs.InvalidArgument, "lines"},
		{"before the invoice", credit(t, inv.ID, "2025-12-31", qtyLine(1, "1", "")), errs.InvalidArgument, "credit_date"},
		{"half a unit", credit(t, inv.ID, "", qtyLine(1, "0.5", "")), errs.InvalidArgument, "lines[0].quantity"},
		{"no such line", credit(t, inv.ID, "", qtyLine(7, "1", "")), errs.InvalidArgument, "lines[0].line_number"},
		{"quantity and amount", func() invoicing.NewCreditNote {
			l := amountLine(1, "1")
			l.Quantity = dec("1")
			return credit(t, inv.ID, "", l)
		}(), errs.InvalidArgument, "lines[0].amount"},
		{"no such warehouse", credit(t, inv.ID, "", qtyLine(1, "1", "nowhere")), errs.InvalidArgument, "lines[0].return_to_warehouse"},
		{"more than invoiced", credit(t, inv.ID, "", qtyLine(1, "4", "")), errs.FailedPrecondition, "lines[0].quantity"},
		{"more than the net", credit(t, inv.ID, "", amountLine(1, "30.01")), errs.FailedPrecondition, "lines[0].amount.amount"},
	}
	for _, r := range refusals {
		_, err := s.CreateCreditNote(ctx, r.n, "")
		var e *errs.Error
		if !errors.As(err, &e) || e.Kind != r.kind || len(e.Violations) == 0 || e.Violations[0].Field != r.field {
			t.Errorf("%s: %v, want %s naming %s", r.name, err, r.kind, r.field)
		}
	}
	if after := rowCounts(t, pool); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("refusals wrote: %v -> %v", before, after)
	}

	// One unit back into stock: 10.00 + 1.90 off the 15.70 open.
	n1 := credit(t, inv.ID, "2026-01-15", qtyLine(1, "1", "main"))
	cn1, err := s.CreateCreditNote(ctx, n1, "cn-1")
	if err != nil {
		t.Fatal(err)
	}
	if cn1.Number != "CN-000001" || cn1.Total.String() != "11.90 EUR" || cn1.ToCredit.String() != "0.00 EUR" ||
		cn1.Lines[0].ReturnWarehouse != "MAIN" || cn1.Lines[0].ReturnCost.String() != "4.00 EUR" {
		t.Errorf("credit note 1 = %+v", cn1)
	}
	before = rowCounts(t, pool)
	if again, err := s.CreateCreditNote(ctx, credit(t, inv.ID, "2026-01-15", qtyLine(1, "1", "main")), "cn-1"); err != nil || again.ID != cn1.ID {
		t.Errorf("retry = %+v, %v", again, err)
	}
	if after := rowCounts(t, pool); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("retry wrote: %v -> %v", before, after)
	}
	got, _ := s.GetInvoice(ctx, inv.ID)
	if got.Credited.String() != "11.90 EUR" || got.OpenAmount().String() != "3.80 EUR" || got.Status != invoicing.PartiallyPaid || got.Revision != inv.Revision+2 {
		t.Errorf("invoice after credit 1 = %s credited, %s open, %s, rev %d", got.Credited, got.OpenAmount(), got.Status, got.Revision)
	}
	if a, _ := s.Availability(ctx, "C-1"); a.OnHand.String() != "8" {
		t.Errorf("on hand after the return = %s, want 8", a.OnHand)
	}

	// A price concession of 10.00 (+1.90): 8.10 beyond the 3.80 open goes
	// back to the payment as credit.
	cn2, err := s.CreateCreditNote(ctx, credit(t, inv.ID, "2026-01-16", amountLine(1, "10")), "")
	if err != nil {
		t.Fatal(err)
	}
	if cn2.Number != "CN-000002" || cn2.Total.String() != "11.90 EUR" || cn2.ToCredit.String() != "8.10 EUR" {
		t.Errorf("credit note 2 = %+v", cn2)
	}
	got, _ = s.GetInvoice(ctx, inv.ID)
	if got.Paid.String() != "11.90 EUR" || got.Credited.String() != "23.80 EUR" || got.Status != invoicing.Paid {
		t.Errorf("invoice after credit 2 = %s paid, %s credited, %s", got.Paid, got.Credited, got.Status)
	}
	gp, _ := s.GetPayment(ctx, p.ID)
	if gp.Unallocated.String() != "8.10 EUR" || gp.Revision != p.Revision+1 {
		t.Errorf("payment = %s unallocated, rev %d", gp.Unallocated, gp.Revision)
	}

	// The rest of the line (2 units, 10.00 of net left): all of it comes
	// back, and the allocation is gone.
	cn3, err := s.CreateCreditNote(ctx, credit(t, inv.ID, "", qtyLine(1, "2", "")), "")
	if err != nil {
		t.Fatal(err)
	}
	if cn3.Total.String() != "11.90 EUR" || cn3.ToCredit.String() != "11.90 EUR" {
		t.Errorf("credit note 3 = %+v", cn3)
	}
	got, _ = s.GetInvoice(ctx, inv.ID)
	if !got.Paid.Amount.IsZero() || got.Credited.String() != "35.70 EUR" || got.Status != invoicing.CancelledByCredit {
		t.Errorf("invoice credited in full = %s paid, %s credited, %s", got.Paid, got.Credited, got.Status)
	}
	gp, _ = s.GetPayment(ctx, p.ID)
	if gp.Unallocated.String() != "20.00 EUR" || len(gp.Allocations) != 0 {
		t.Errorf("payment = %s unallocated, %v", gp.Unallocated, gp.Allocations)
	}
	if _, err := s.CreateCreditNote(ctx, credit(t, inv.ID, "", amountLine(1, "0.01")), ""); errs.KindOf(err) != errs.FailedPrecondition {
		t.Errorf("crediting beyond the line: %v", err)
	}
	if _, err := s.VoidInvoice(ctx, inv.ID, 0, "x", ""); errs.KindOf(err) != errs.FailedPrecondition {
		t.Errorf("voiding a credited invoice: %v", err)
	}
	// The database refuses it too, for binaries that predate credit notes.
	if _, err := pool.Exec(ctx, `UPDATE invoices SET status = 'VOID' WHERE id = $1`, inv.ID); err == nil ||
		!strings.Contains(err.Error(), "has credit notes and cannot be voided") {
		t.Errorf("voiding a credited invoice in SQL: %v", err)
	}
	// Nor may payments and credits exceed the total.
	if _, err := pool.Exec(ctx, `UPDATE invoices SET paid_amount = 1 WHERE id = $1`, inv.ID); err == nil ||
		!strings.Contains(err.Error(), "invoices_credited_range") {
		t.Errorf("paying a credited invoice beyond its total in SQL: %v", err)
	}
	bal, err := s.Balance(ctx, c.ID, "")
	if err != nil || !bal.Open.Amount.IsZero() || bal.Credit.String() != "20.00 EUR" {
		t.Errorf("balance = %+v, %v", bal, err)
	}
	if _, err := s.RefundCredit(ctx, p.ID, 0, payment.Refund{Amount: eur("20"), Date: day("2026-02-02")}, ""); err != nil {
		t.Errorf("refunding the credit: %v", err)
	}

	// The ledger: revenue, tax and receivables all back to zero after
	// the refund; the return reversed its cost of goods sold.
	tb := checkJournal(t, s, pool)
	if tb[ledger.Revenue] != "0" || tb[ledger.TaxPayable] != "0" || tb[ledger.AccountsReceivable] != "0" ||
		tb[ledger.CostOfGoodsSold] != "8" || tb[ledger.Inventory] != "32" {
		t.Errorf("trial balance = %v", tb)
	}
	var dated int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id
		WHERE e.reference = $1 AND e.kind = 'credit_note' AND l.entry_date = '2026-01-15'`, cn1.Reference()).Scan(&dated); err != nil || dated != 5 {
		t.Errorf("lines of credit note 1 dated on its credit date = %d, %v", dated, err)
	}
	checkPaid(t, pool)
	checkLedger(t, pool)
	checkInventoryValuation(t, s, pool)

	// Events: each credit note, the invoice after each, the payment
	// whose allocation came back (credit notes 2 and 3), the balance.
	counts := map[string]int{}
	for _, e := range allEvents(t, pool) {
		switch {
		case e.Type == invoicing.EventCreditNoteCreated, e.Type == payment.EventUpdated && e.Key == p.ID,
			e.Type == payment.EventInvoiceUpdated && e.Key == inv.ID:
			counts[e.Type]++
		}
	}
	if fmt.Sprint(counts) != "map[credit_note.created:3 invoice.updated:4 payment.updated:2]" {
		t.Errorf("events = %v", counts)
	}

	// Lists by invoice and by customer.
	list, more, err := s.ListCreditNotes(ctx, invoicing.CreditListQuery{PageSize: 2,
		Filter: []listing.Condition{{Field: "invoice_id", Op: "=", Value: inv.ID}}})
	if err != nil || len(list) != 2 || !more {
		t.Errorf("list = %d, %v, %v", len(list), more, err)
	}
	list, more, err = s.ListCreditNotes(ctx, invoicing.CreditListQuery{PageSize: 10, After: list[1].ID,
		Filter: []listing.Condition{{Field: "customer_id", Op: "=", Value: c.ID}}})
	if err != nil || len(list) != 1 || more {
		t.Errorf("second page = %d, %v, %v", len(list), more, err)
	}
	// By credit date: a month's credit notes, alone or of a customer.
	for _, tc := range []struct {
		conds []listing.Condition
		want  int
	}{
		{[]listing.Condition{{Field: "credit_date", Op: ">=", Value: "2026-01-01"}, {Field: "credit_date", Op: "<=", Value: "2026-01-31"}}, 2},
		{[]listing.Condition{{Field: "credit_date", Op: "=", Value: "2026-01-15"}, {Field: "customer_id", Op: "=", Value: c.ID}}, 1},
		{[]listing.Condition{{Field: "credit_date", Op: ">", Value: "2026-01-31"}}, 1}, // the one of today
	} {
		list, _, err := s.ListCreditNotes(ctx, invoicing.CreditListQuery{PageSize: 10, Filter: tc.conds})
		if err != nil || len(list) != tc.want {
			t.Errorf("credit notes %v = %d, %v; want %d", tc.conds, len(list), err, tc.want)
		}
	}
}

// A void invoice has nothing to credit; a credit dated in a closed
// period is refused like any posting.
func TestCreditNoteRefusals(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	c := mustCustomer(t, s, "Acme")
	mustTaxedCostedItem(t, s, "C-2", "10", "0", "1")
	mustAdjust(t, s, "C-2", "MAIN", "10")
	_, void := invoicedOrder(t, s, c.ID, "C-2", "1")
	if _, err := s.VoidInvoice(ctx, void.ID, 0, "wrong", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateCreditNote(ctx, credit(t, void.ID, "", qtyLine(1, "1", "")), ""); errs.KindOf(err) != errs.FailedPrecondition {
		t.Errorf("crediting a void invoice: %v", err)
	}
	_, inv := invoicedOrder(t, s, c.ID, "C-2", "1")
	if _, err := s.ClosePeriod(ctx, day("2026-01-31"), newID(t), ""); err != nil {
		t.Fatal(err)
	}
	_, err := s.CreateCreditNote(ctx, credit(t, inv.ID, "2026-01-20", qtyLine(1, "1", "")), "")
	closedErrAt(t, "crediting in the closed period", err, day("2026-01-31"), "credit_date")
	if _, err := s.CreateCreditNote(ctx, credit(t, inv.ID, "2026-02-01", qtyLine(1, "1", "")), ""); err != nil {
		t.Errorf("crediting after the closed period: %v", err)
	}
	if _, err := s.CreateCreditNote(ctx, credit(t, inv.ID, "", qtyLine(1, "1", "")), ""); errs.KindOf(err) != errs.FailedPrecondition {
		t.Errorf("crediting a line credited in full: %v", err)
	}
}

// Payments and credit notes of one invoice at once: whatever the
// interleaving, the invoice is never paid and credited beyond its total,
// its paid amount is its allocations, and the books balance.
func TestCreditNotesAndPaymentsConcurrently(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	c := mustCustomer(t, s, "Acme")
	mustTaxedCostedItem(t, s, "C-3", "10", "0.19", "3")
	mustAdjust(t, s, "C-3", "MAIN", "20")
	_, inv := invoicedOrder(t, s, c.ID, "C-3", "10") // 119.00
	var wg sync.WaitGroup
	errc := make(chan error, 40)
	for i := range 10 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, err := s.CreatePayment(ctx, pay(t, c.ID, "15", inv.ID, "15"), "")
			if err != nil && errs.KindOf(err) != errs.InvalidArgument { // over the open amount
				errc <- fmt.Errorf("payment: %w", err)
			}
		}()
		go func() {
			defer wg.Done()
			var l invoicing.NewCreditLine
			if i%2 == 0 {
				l = qtyLine(1, "1", "MAIN")
			} else {
				l = amountLine(1, "3.33")
			}
			_, err := s.CreateCreditNote(ctx, credit(t, inv.ID, "", l), "")
			if err != nil && errs.KindOf(err) != errs.FailedPrecondition {
				errc <- fmt.Errorf("credit note: %w", err)
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	got, err := s.GetInvoice(ctx, inv.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Paid.Amount.Add(got.Credited.Amount).GreaterThan(got.Total.Amount) || got.OpenAmount().Amount.IsNegative() {
		t.Errorf("invoice = %s paid + %s credited of %s", got.Paid, got.Credited, got.Total)
	}
	var credited money.Money
	if err := pool.QueryRow(ctx, `SELECT coalesce(sum(total), 0) FROM credit_notes WHERE invoice_id = $1`, inv.ID).Scan(&credited.Amount); err != nil {
		t.Fatal(err)
	}
	if !credited.Amount.Equal(got.Credited.Amount) {
		t.Errorf("credit notes total %s, invoice credited %s", credited.Amount, got.Credited)
	}
	checkPaid(t, pool)
	checkJournal(t, s, pool)
	checkLedger(t, pool)
	checkInventoryValuation(t, s, pool)
	checkReceivables(t, pool)
	if o, err := s.GetOrder(ctx, got.OrderID); err != nil || (got.Status == invoicing.Paid) != (o.Status == sales.Paid) {
		t.Errorf("order %s with invoice %s (%v)", o.Status, got.Status, err)
	}
}

// checkReceivables asserts, per currency, that 1100 Accounts receivable
// is what invoices have open (total less payments and credit notes) less
// the customers' unapplied credit (posted payments' unallocated amounts).
func checkReceivables(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	var bad int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM (
			SELECT e.currency_code AS cur, sum(l.debit - l.credit) AS ar FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id
			WHERE l.account_code = '1100' GROUP BY 1) j
		FULL JOIN (SELECT currency_code AS cur, sum(total - paid_amount - credited_amount) AS open FROM invoices
			WHERE status <> 'VOID' GROUP BY 1) i ON i.cur = j.cur
		FULL JOIN (SELECT currency_code AS cur, sum(unallocated) AS credit FROM payments WHERE status = 'POSTED' GROUP BY 1) p
			ON p.cur = coalesce(j.cur, i.cur)
		WHERE coalesce(j.ar, 0) <> coalesce(i.open, 0) - coalesce(p.credit, 0)`).Scan(&bad); err != nil {
		t.Fatal(err)
	}
	if bad != 0 {
		t.Errorf("%d currencies whose accounts receivable are not open invoices less unapplied credit", bad)
	}
}

// Goods a credit note takes back count in the stock valuation from its
// credit date, the day its journal entry puts them into 1200 Inventory,
// so the valuation as of a day agrees with the trial balance through it.
func TestCreditNoteReturnDatedOnCreditDate(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	c := mustCustomer(t, s, "Returns Ltd")
	mustTaxedCostedItem(t, s, "CR-1", "10", "0.19", "4")
	mustAdjust(t, s, "CR-1", "MAIN", "10")
	_, inv := invoicedOrder(t, s, c.ID, "CR-1", "3") // shipped today, issued 2026-01-01
	creditDay := utcToday().AddDate(0, 0, -1)
	if _, err := s.CreateCreditNote(ctx, credit(t, inv.ID, creditDay.Format(time.DateOnly), qtyLine(1, "2", "MAIN")), ""); err != nil {
		t.Fatal(err)
	}
	rows, _, err := s.Valuation(ctx, creditDay, 10, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].OnHand.String() != "2" || rows[0].Value().Format() != "8.00" {
		t.Errorf("valuation as of the credit date = %+v, want the 2 returned (8.00)", rows)
	}
	var inventory string
	if err := pool.QueryRow(ctx, `SELECT coalesce(sum(debit - credit), 0)::text FROM journal_lines
		WHERE account_code = '1200' AND entry_date <= $1`, creditDay).Scan(&inventory); err != nil {
		t.Fatal(err)
	}
	if inventory != "8.00" {
		t.Errorf("1200 through the credit date = %s, want 8.00", inventory)
	}
}

// An invoice cancelled by credit notes with nothing paid is CREDITED, not
// PAID, and its order stays INVOICED; one settled by payments and credit
// together is PAID. A credited invoice is owed nowhere (balance, aging),
// filtered by its status, never marked overdue and never voided.
func TestCreditedInvoices(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	c := mustCustomer(t, s, "Acme")
	mustTaxedCostedItem(t, s, "CR-1", "10", "0.19", "4")
	mustAdjust(t, s, "CR-1", "MAIN", "30")
	o1, credited := invoicedOrder(t, s, c.ID, "CR-1", "3")  // 35.70, never paid
	o2, mixed := invoicedOrder(t, s, c.ID, "CR-1", "2")     // 23.80, half paid
	o3, takenBack := invoicedOrder(t, s, c.ID, "CR-1", "1") // 11.90, paid in full
	_, open := invoicedOrder(t, s, c.ID, "CR-1", "1")       // 11.90, left open
	// A customer whose one invoice is credited owes nothing.
	other := mustCustomer(t, s, "Other")
	_, otherCredited := invoicedOrder(t, s, other.ID, "CR-1", "1")
	if _, err := s.CreateCreditNote(ctx, credit(t, otherCredited.ID, "2026-01-10", amountLine(1, "10")), ""); err != nil {
		t.Fatal(err)
	}

	// Fully credited, unpaid: CREDITED.
	if _, err := s.CreateCreditNote(ctx, credit(t, credited.ID, "2026-01-10", qtyLine(1, "3", "")), ""); err != nil {
		t.Fatal(err)
	}
	got, _ := s.GetInvoice(ctx, credited.ID)
	if got.Status != invoicing.CancelledByCredit || !got.Paid.Amount.IsZero() || !got.OpenAmount().Amount.IsZero() {
		t.Errorf("invoice credited in full = %s, %s paid, %s open; want CREDITED", got.Status, got.Paid, got.OpenAmount())
	}
	if o, _ := s.GetOrder(ctx, o1.ID); o.Status != sales.Invoiced {
		t.Errorf("order of the credited invoice = %s, want INVOICED (nothing was paid)", o.Status)
	}

	// Half paid, the rest credited: PAID, and the order PAID.
	if _, err := s.CreatePayment(ctx, pay(t, c.ID, "11.90", mixed.ID, "11.90"), ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateCreditNote(ctx, credit(t, mixed.ID, "2026-01-10", qtyLine(1, "1", "")), ""); err != nil {
		t.Fatal(err)
	}
	got, _ = s.GetInvoice(ctx, mixed.ID)
	if got.Status != invoicing.Paid || got.Paid.String() != "11.90 EUR" || got.Credited.String() != "11.90 EUR" {
		t.Errorf("invoice half paid, half credited = %s, %s paid, %s credited; want PAID", got.Status, got.Paid, got.Credited)
	}
	if o, _ := s.GetOrder(ctx, o2.ID); o.Status != sales.Paid {
		t.Errorf("order of the paid and credited invoice = %s, want PAID", o.Status)
	}

	// Paid in full, then credited in full: the credit takes the payment
	// back to the customer's credit, nothing stays paid: CREDITED, and
	// the order falls back from PAID to INVOICED.
	p, err := s.CreatePayment(ctx, pay(t, c.ID, "11.90", takenBack.ID, "11.90"), "")
	if err != nil {
		t.Fatal(err)
	}
	if o, _ := s.GetOrder(ctx, o3.ID); o.Status != sales.Paid {
		t.Fatalf("order paid in full = %s", o.Status)
	}
	if _, err := s.CreateCreditNote(ctx, credit(t, takenBack.ID, "2026-02-05", qtyLine(1, "1", "")), ""); err != nil {
		t.Fatal(err)
	}
	got, _ = s.GetInvoice(ctx, takenBack.ID)
	if got.Status != invoicing.CancelledByCredit || !got.Paid.Amount.IsZero() {
		t.Errorf("invoice paid then credited in full = %s, %s paid; want CREDITED", got.Status, got.Paid)
	}
	if o, _ := s.GetOrder(ctx, o3.ID); o.Status != sales.Invoiced {
		t.Errorf("order of the invoice paid then credited = %s, want INVOICED", o.Status)
	}
	if gp, _ := s.GetPayment(ctx, p.ID); gp.Unallocated.String() != "11.90 EUR" {
		t.Errorf("payment after the takeback: %s unallocated", gp.Unallocated)
	}
	// Its last invoice.updated says CREDITED.
	var last map[string]any
	for _, e := range allEvents(t, pool) {
		if e.Type == payment.EventInvoiceUpdated && e.Key == takenBack.ID {
			last = payload(t, e)
		}
	}
	if last["status"] != "INVOICE_STATUS_CREDITED" {
		t.Errorf("last invoice.updated of the credited invoice: status %v", last["status"])
	}

	// The list filter by status.
	list, _, err := s.ListInvoices(ctx, invoicing.ListQuery{PageSize: 10,
		Filter: []listing.Condition{{Field: "status", Op: "=", Value: string(invoicing.CancelledByCredit)}}})
	if err != nil || len(list) != 3 || list[0].Status != invoicing.CancelledByCredit || list[2].Status != invoicing.CancelledByCredit {
		t.Errorf("credited invoices = %d, %v; want the three credited", len(list), err)
	}
	list, _, err = s.ListInvoices(ctx, invoicing.ListQuery{PageSize: 10,
		Filter: []listing.Condition{{Field: "status", Op: "=", Value: string(invoicing.Paid)}}})
	if err != nil || len(list) != 1 || list[0].ID != mixed.ID {
		t.Errorf("paid invoices = %d, %v; want the half paid, half credited one", len(list), err)
	}

	// Overdue marking (everything is due by now) marks the open invoice
	// alone; the credited ones stay CREDITED.
	ids, _, err := s.MarkOverdue(ctx, time.Time{})
	if err != nil || len(ids) != 1 || ids[0] != open.ID {
		t.Errorf("marked %v, %v; want the open invoice alone", ids, err)
	}
	for _, id := range []string{credited.ID, takenBack.ID, otherCredited.ID} {
		if got, _ := s.GetInvoice(ctx, id); got.Status != invoicing.CancelledByCredit || got.Overdue {
			t.Errorf("credited invoice after the overdue pass: %s (overdue %v)", got.Status, got.Overdue)
		}
	}

	// Owed: the open invoice alone, in the balances and in the aging.
	bal, err := s.Balance(ctx, c.ID, "")
	if err != nil || bal.Open.String() != "11.90 EUR" || bal.Overdue.String() != "11.90 EUR" {
		t.Errorf("balance = %+v, %v", bal, err)
	}
	bal, err = s.Balance(ctx, other.ID, "")
	if err != nil || !bal.Open.Amount.IsZero() || !bal.Overdue.Amount.IsZero() {
		t.Errorf("balance of the customer with a credited invoice = %+v, %v", bal, err)
	}
	opens, _, err := s.OpenAmounts(ctx, time.Now().UTC(), "", 10, "")
	if err != nil || len(opens) != 1 || opens[0].CustomerID != c.ID || !opens[0].Amount.Equal(dec("11.90")) {
		t.Errorf("open amounts today = %+v, %v; want the open invoice's 11.90 alone", opens, err)
	}

	// A credited invoice is never voided.
	if _, err := s.VoidInvoice(ctx, credited.ID, 0, "x", ""); errs.KindOf(err) != errs.FailedPrecondition ||
		!strings.Contains(err.Error(), "is CREDITED") {
		t.Errorf("voiding a credited invoice: %v", err)
	}

	// An order shipped and invoiced in two parts, the first invoice paid
	// and the second credited: the order is PAID.
	o := mustOrder(t, s, newOrder(c.ID, "", line("CR-1", "2")))
	if _, err := s.ConfirmOrder(ctx, o.ID, 0, ""); err != nil {
		t.Fatal(err)
	}
	var parts []invoicing.Invoice
	for range 2 {
		if _, err := s.CreateShipment(ctx, shipping.NewShipment{OrderID: o.ID, Lines: ship(1, "1")}, newID(t), ""); err != nil {
			t.Fatal(err)
		}
		inv, err := s.CreateInvoice(ctx, o.ID, day("2026-01-01"), newID(t), "")
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, inv)
	}
	if _, err := s.CreatePayment(ctx, pay(t, c.ID, "11.90", parts[0].ID, "11.90"), ""); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetOrder(ctx, o.ID); got.Status != sales.Invoiced {
		t.Fatalf("order with one of two invoices paid = %s, want INVOICED", got.Status)
	}
	if _, err := s.CreateCreditNote(ctx, credit(t, parts[1].ID, "2026-01-10", qtyLine(1, "1", "")), ""); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetInvoice(ctx, parts[1].ID); got.Status != invoicing.CancelledByCredit {
		t.Errorf("second invoice = %s, want CREDITED", got.Status)
	}
	if got, _ := s.GetOrder(ctx, o.ID); got.Status != sales.Paid {
		t.Errorf("order with a paid and a credited invoice = %s, want PAID", got.Status)
	}
	checkPaid(t, pool)
	checkReceivables(t, pool)
}
