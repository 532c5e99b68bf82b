package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

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

func mustTaxedItem(t *testing.T, s *postgres.Store, sku, price, tax string) {
	t.Helper()
	it := catalog.Item{SKU: sku, Name: "Item " + sku, ListPrice: eur(price), TaxRate: dec(tax)}
	if err := catalog.PrepareNew(&it, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateItem(context.Background(), it, ""); err != nil {
		t.Fatal(err)
	}
}

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestInvoices(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	c := mustCustomer(t, s, "Acme") // 30 days
	mustTaxedItem(t, s, "W-1", "19.99", "0.19")
	mustTaxedItem(t, s, "W-2", "5", "0.07")
	mustAdjust(t, s, "W-1", "MAIN", "10")
	mustAdjust(t, s, "W-2", "MAIN", "10")
	l2 := line("W-2", "2")
	l2.Discount = dec("100")
	o := mustOrder(t, s, newOrder(c.ID, "", line("W-1", "3"), l2))

	if _, err := s.CreateInvoice(ctx, o.ID, time.Time{}, newID(t), ""); !errors.Is(err, errs.ErrFailedPrecondition) {
		t.Errorf("invoicing a draft: %v", err)
	}
	if _, err := s.ConfirmOrder(ctx, o.ID, 0, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateShipment(ctx, shipping.NewShipment{OrderID: o.ID, Lines: ship(1, "1")}, newID(t), ""); err != nil {
		t.Fatal(err)
	}

	// The first invoice bills the shipped 1 of line 1: 19.99 + 3.80 tax (3.7981).
	id1 := newID(t)
	inv, err := s.CreateInvoice(ctx, o.ID, day("2026-01-10"), id1, "inv-1")
	if err != nil {
		t.Fatal(err)
	}
	if inv.Number != "INV-000001" || inv.Status != invoicing.Open || len(inv.Lines) != 1 || inv.Total.String() != "23.79 EUR" ||
		inv.TaxTotal.String() != "3.80 EUR" || inv.DueDate.Format(time.DateOnly) != "2026-02-09" || inv.OrderNumber != o.Number {
		t.Errorf("invoice = %+v", inv)
	}
	before := rowCounts(t, pool)
	if again, err := s.CreateInvoice(ctx, o.ID, time.Time{}, newID(t), "inv-1"); err != nil || again.ID != id1 {
		t.Errorf("retry = %+v, %v", again, err)
	}
	if _, err := s.CreateInvoice(ctx, o.ID, time.Time{}, newID(t), ""); !errors.Is(err, errs.ErrFailedPrecondition) {
		t.Errorf("nothing to invoice: %v", err)
	}
	if after := rowCounts(t, pool); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("retry or refusal wrote: %v -> %v", before, after)
	}
	got, _ := s.GetOrder(ctx, o.ID)
	if got.Status != sales.PartiallyShipped || got.Lines[0].Invoiced.String() != "1" {
		t.Errorf("order = %+v", got)
	}

	// Ship and invoice the rest: line 2 is free (100 % discount). Tax is
	// rounded cumulatively: 59.97 x 0.19 = 11.39, of which 3.80 is billed.
	if _, err := s.CreateShipment(ctx, shipping.NewShipment{OrderID: o.ID}, newID(t), ""); err != nil {
		t.Fatal(err)
	}
	inv2, err := s.CreateInvoice(ctx, o.ID, day("2026-01-20"), newID(t), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(inv2.Lines) != 2 || inv2.Lines[1].Net.String() != "0.00 EUR" || inv2.Total.String() != "47.57 EUR" {
		t.Errorf("second invoice = %+v", inv2)
	}
	got, _ = s.GetOrder(ctx, o.ID)
	if got.Status != sales.Invoiced || got.Revision != 6 {
		t.Errorf("order = %s rev %d", got.Status, got.Revision)
	}
	tb := checkJournal(t, s, pool)
	if tb[ledger.AccountsReceivable] != "71.36" || tb[ledger.Revenue] != "-59.97" || tb[ledger.TaxPayable] != "-11.39" {
		t.Errorf("trial balance = %v", tb)
	}

	// Void the second: quantities come back, the entry is reversed.
	if _, err := s.VoidInvoice(ctx, inv2.ID, 7, "", ""); !errors.Is(err, errs.ErrAborted) {
		t.Errorf("stale etag: %v", err)
	}
	v, err := s.VoidInvoice(ctx, inv2.ID, 1, "wrong address", "void-1")
	if err != nil || v.Status != invoicing.Void || v.Revision != 2 || !v.OpenAmount().Amount.IsZero() {
		t.Fatalf("void = %+v, %v", v, err)
	}
	if again, err := s.VoidInvoice(ctx, inv2.ID, 1, "", "void-1"); err != nil || again.Revision != 2 {
		t.Errorf("retried void = %+v, %v", again, err)
	}
	if again, err := s.VoidInvoice(ctx, inv2.ID, 1, "", ""); err != nil || again.Revision != 2 {
		t.Errorf("void of a void invoice = %+v, %v", again, err)
	}
	got, _ = s.GetOrder(ctx, o.ID)
	if got.Status != sales.Shipped || got.Lines[0].Invoiced.String() != "1" || got.Lines[1].Invoiced.String() != "0" {
		t.Errorf("order after void = %+v", got)
	}
	if tb := checkJournal(t, s, pool); tb[ledger.AccountsReceivable] != "23.79" {
		t.Errorf("trial balance after void = %v", tb)
	}

	// Overdue: the first invoice is due 2026-02-09.
	ids, more, err := s.MarkOverdue(ctx, day("2026-02-09"))
	if err != nil || len(ids) != 0 || more {
		t.Errorf("mark overdue on the due date = %v %v %v", ids, more, err)
	}
	ids, _, err = s.MarkOverdue(ctx, day("2026-02-10"))
	if err != nil || len(ids) != 1 || ids[0] != id1 {
		t.Errorf("mark overdue = %v, %v", ids, err)
	}
	if got, _ := s.GetInvoice(ctx, id1); got.Status != invoicing.Overdue || got.Revision != 2 {
		t.Errorf("overdue invoice = %+v", got)
	}
	list, _, err := s.ListInvoices(ctx, invoicing.ListQuery{PageSize: 10, Filter: []listing.Condition{{Field: "status", Op: listing.Eq, Value: "OVERDUE"}}})
	if err != nil || len(list) != 1 {
		t.Errorf("overdue list = %v, %v", list, err)
	}

	// Events: invoices, the order, the customer's balance (open, overdue).
	var got2 []string
	for _, ev := range allEvents(t, pool) {
		switch {
		case ev.Type == invoicing.EventBalanceChanged:
			p := payload(t, ev)
			got2 = append(got2, fmt.Sprintf("%s(%s/%s)", ev.Type, p["open_balance"].(map[string]any)["amount"], p["overdue_balance"].(map[string]any)["amount"]))
		case ev.Key == o.ID && ev.Type == sales.EventInvoiced, ev.Type == invoicing.EventIssued, ev.Type == invoicing.EventVoided, ev.Type == invoicing.EventOverdue:
			got2 = append(got2, ev.Type)
		}
	}
	want := "[invoice.issued sales_order.invoiced customer.balance_changed(23.79/0.00) " +
		"invoice.issued sales_order.invoiced customer.balance_changed(71.36/0.00) " +
		"invoice.voided sales_order.invoiced customer.balance_changed(23.79/0.00) " +
		"invoice.overdue customer.balance_changed(23.79/23.79)]"
	if fmt.Sprint(got2) != want {
		t.Errorf("events = %v\nwant %s", got2, want)
	}

	// Invoicing again after the void bills the same quantities again.
	inv3, err := s.CreateInvoice(ctx, o.ID, time.Time{}, newID(t), "")
	if err != nil || inv3.Total.String() != "47.57 EUR" {
		t.Errorf("re-invoice = %+v, %v", inv3, err)
	}
}

// Partial invoices of a line round cumulatively, so that they add up to
// the order: 3 x 10.00 at 33.33 % is 20.00, billed 6.67 + 6.66 + 6.67, and
// 3 x 0.05 at 50 % is 0.08, billed 0.03 + 0.02 + 0.03. Voiding one and
// invoicing again bills what the void gave back, to the same total.
func TestPartialInvoicesAddUpToTheOrder(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	c := mustCustomer(t, s, "Acme")
	mustTaxedItem(t, s, "T-1", "10.00", "0.19")
	mustTaxedItem(t, s, "T-2", "0.05", "0")
	mustAdjust(t, s, "T-1", "MAIN", "3")
	mustAdjust(t, s, "T-2", "MAIN", "3")
	l1, l2 := line("T-1", "3"), line("T-2", "3")
	l1.Discount, l2.Discount = dec("33.33"), dec("50")
	o := mustOrder(t, s, newOrder(c.ID, "", l1, l2))
	if o.Total.String() != "20.08 EUR" {
		t.Fatalf("order total = %s", o.Total)
	}
	if _, err := s.ConfirmOrder(ctx, o.ID, 0, ""); err != nil {
		t.Fatal(err)
	}
	var invs []invoicing.Invoice
	for range 3 {
		if _, err := s.CreateShipment(ctx, shipping.NewShipment{OrderID: o.ID, Lines: ship(1, "1", 2, "1")}, newID(t), ""); err != nil {
			t.Fatal(err)
		}
		inv, err := s.CreateInvoice(ctx, o.ID, time.Time{}, newID(t), "")
		if err != nil {
			t.Fatal(err)
		}
		invs = append(invs, inv)
	}
	var got []string
	for _, inv := range invs {
		got = append(got, fmt.Sprintf("%s+%s/%s", inv.Lines[0].Net.Format(), inv.Lines[0].Tax.Format(), inv.Lines[1].Net.Format()))
	}
	if want := "[6.67+1.27/0.03 6.66+1.26/0.02 6.67+1.27/0.03]"; fmt.Sprint(got) != want {
		t.Errorf("invoices = %v, want %s", got, want)
	}
	if o, _ = s.GetOrder(ctx, o.ID); o.Status != sales.Invoiced {
		t.Errorf("order = %s", o.Status)
	}
	// 20.08 net + 3.80 tax (20.00 x 0.19), as if invoiced at once.
	if tb := checkJournal(t, s, pool); tb[ledger.Revenue] != "-20.08" || tb[ledger.TaxPayable] != "-3.8" || tb[ledger.AccountsReceivable] != "23.88" {
		t.Errorf("trial balance = %v", tb)
	}

	if _, err := s.VoidInvoice(ctx, invs[1].ID, 0, "", ""); err != nil {
		t.Fatal(err)
	}
	again, err := s.CreateInvoice(ctx, o.ID, time.Time{}, newID(t), "")
	if err != nil {
		t.Fatal(err)
	}
	if again.Subtotal.String() != "6.68 EUR" || again.TaxTotal.String() != "1.26 EUR" {
		t.Errorf("invoice after the void = %s + %s", again.Subtotal, again.TaxTotal)
	}
	if tb := checkJournal(t, s, pool); tb[ledger.Revenue] != "-20.08" || tb[ledger.TaxPayable] != "-3.8" {
		t.Errorf("trial balance after the void = %v", tb)
	}
}

// shippedInvoice orders one of sku for the customer, confirms and ships
// it, and invoices it as of issue (zero for today).
func shippedInvoice(t *testing.T, s *postgres.Store, customerID, sku string, issue time.Time) invoicing.Invoice {
	t.Helper()
	return invoiceShipped(t, s, newOrder(customerID, "", line(sku, "1")), issue)
}

// invoiceShipped creates the order n, confirms and ships it, and invoices
// it as of issue (zero for today).
func invoiceShipped(t *testing.T, s *postgres.Store, n sales.NewOrder, issue time.Time) invoicing.Invoice {
	t.Helper()
	ctx := context.Background()
	o := mustOrder(t, s, n)
	if _, err := s.ConfirmOrder(ctx, o.ID, 0, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateShipment(ctx, shipping.NewShipment{OrderID: o.ID}, newID(t), ""); err != nil {
		t.Fatal(err)
	}
	inv, err := s.CreateInvoice(ctx, o.ID, issue, newID(t), "")
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// An overdue pass as of a date after today would mark invoices that are
// not yet due, and nothing takes the mark back: it is refused, and a pass
// without a date runs as of today.
func TestMarkOverdueNotAfterToday(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	c := mustCustomer(t, s, "Acme") // 30 days
	mustTaxedItem(t, s, "W-1", "10", "0")
	mustAdjust(t, s, "W-1", "MAIN", "10")
	notDue := shippedInvoice(t, s, c.ID, "W-1", time.Time{}) // issued today, due in 30 days
	today := notDue.IssueDate
	late := shippedInvoice(t, s, c.ID, "W-1", today.AddDate(0, 0, -40))

	events := count(t, pool, "outbox_events")
	_, _, err := s.MarkOverdue(ctx, today.AddDate(0, 0, 31))
	if fmt.Sprint(violations(t, err)) != "[as_of_date]" {
		t.Errorf("mark overdue after today: %v, want INVALID_ARGUMENT on as_of_date", err)
	}
	for _, inv := range []invoicing.Invoice{notDue, late} {
		if got, _ := s.GetInvoice(ctx, inv.ID); got.Status != invoicing.Open || got.Revision != 1 {
			t.Errorf("invoice due %s after a refused pass = %s rev %d", got.DueDate.Format(time.DateOnly), got.Status, got.Revision)
		}
	}
	if n := count(t, pool, "outbox_events"); n != events {
		t.Errorf("a refused pass appended %d events", n-events)
	}

	ids, more, err := s.MarkOverdue(ctx, time.Time{})
	if err != nil || more || fmt.Sprint(ids) != "["+late.ID+"]" {
		t.Errorf("mark overdue as of today = %v %v %v, want [%s]", ids, more, err, late.ID)
	}
	if ids, _, err := s.MarkOverdue(ctx, today); err != nil || len(ids) != 0 {
		t.Errorf("mark overdue as of %s again = %v %v", today.Format(time.DateOnly), ids, err)
	}
	if got, _ := s.GetInvoice(ctx, notDue.ID); got.Status != invoicing.Open {
		t.Errorf("invoice not yet due = %s", got.Status)
	}
}

// An overdue pass marks the invoices it picked when it took their
// customers' keys, less those settled while it waited for a key: an
// invoice paid meanwhile stays PAID, and the other customer's invoice is
// marked.
func TestMarkOverdueLeavesOutInvoicesPaidMeanwhile(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	mustTaxedItem(t, s, "W-1", "10", "0")
	mustAdjust(t, s, "W-1", "MAIN", "10")
	a, c := mustCustomer(t, s, "Acme"), mustCustomer(t, s, "Corex")
	today := time.Now().UTC().Truncate(24 * time.Hour)
	paid := shippedInvoice(t, s, a.ID, "W-1", today.AddDate(0, 0, -50))
	late := shippedInvoice(t, s, c.ID, "W-1", today.AddDate(0, 0, -40))

	// A payment of Acme's holds its key while the pass starts.
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('customers/' || $1, 0))`, a.ID); err != nil {
		t.Fatal(err)
	}
	type result struct {
		ids []string
		err error
	}
	done := make(chan result, 1)
	go func() {
		ids, _, err := s.MarkOverdue(ctx, time.Time{})
		done <- result{ids, err}
	}()
	waiting(t, pool, "advisory", "%WITH picked%", 1)
	if _, err := tx.Exec(ctx, `UPDATE invoices SET status = 'PAID', revision = revision + 1 WHERE id = $1`, paid.ID); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil || fmt.Sprint(r.ids) != "["+late.ID+"]" {
		t.Fatalf("mark overdue = %v %v, want [%s]", r.ids, r.err, late.ID)
	}
	if got, _ := s.GetInvoice(ctx, paid.ID); got.Status != invoicing.Paid {
		t.Errorf("invoice paid while the pass waited = %s", got.Status)
	}
	if got, _ := s.GetInvoice(ctx, late.ID); got.Status != invoicing.Overdue {
		t.Errorf("other customer's late invoice = %s", got.Status)
	}
}

// A zero invoice is PAID at once, and no allocation can be made to it: the
// invoice that completes an order settles it like a payment would, PAID
// when every invoice of the order is, INVOICED while one is open.
func TestZeroInvoiceSettlesOrder(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	c := mustCustomer(t, s, "Acme")
	mustTaxedItem(t, s, "W-1", "10", "0.19")
	mustTaxedItem(t, s, "FREE", "0", "0.19")
	mustAdjust(t, s, "W-1", "MAIN", "10")
	mustAdjust(t, s, "FREE", "MAIN", "10")
	shipAndInvoice := func(o sales.Order, lines ...any) invoicing.Invoice {
		t.Helper()
		if _, err := s.CreateShipment(ctx, shipping.NewShipment{OrderID: o.ID, Lines: ship(lines...)}, newID(t), ""); err != nil {
			t.Fatal(err)
		}
		inv, err := s.CreateInvoice(ctx, o.ID, time.Time{}, newID(t), "")
		if err != nil {
			t.Fatal(err)
		}
		return inv
	}
	confirmed := func(lines ...sales.NewLine) sales.Order {
		t.Helper()
		o := mustOrder(t, s, newOrder(c.ID, "", lines...))
		o, err := s.ConfirmOrder(ctx, o.ID, 0, "")
		if err != nil {
			t.Fatal(err)
		}
		return o
	}

	// One zero invoice for the whole order.
	free := confirmed(line("FREE", "2"))
	inv := shipAndInvoice(free)
	if inv.Status != invoicing.Paid || !inv.Total.Amount.IsZero() {
		t.Fatalf("zero invoice = %s %s", inv.Status, inv.Total)
	}
	got, err := s.GetOrder(ctx, free.ID)
	if err != nil || got.Status != sales.Paid {
		t.Errorf("order invoiced at zero = %s, %v; want PAID", got.Status, err)
	}
	var last map[string]any
	for _, ev := range allEvents(t, pool) {
		if ev.Key == free.ID && ev.Type == sales.EventInvoiced {
			last = payload(t, ev)
		}
	}
	if last["status"] != "SALES_ORDER_STATUS_PAID" || last["revision"] != strconv.FormatInt(got.Revision, 10) {
		t.Errorf("sales_order.invoiced payload = %v", last)
	}

	// A paid invoice, then a zero one for the rest: PAID.
	// An open invoice, then a zero one for the rest: INVOICED.
	for _, pay := range []bool{true, false} {
		o := confirmed(line("W-1", "1"), line("FREE", "1"))
		first := shipAndInvoice(o, 1, "1")
		if pay {
			p := payment.Payment{ID: newID(t), CustomerID: c.ID, Amount: first.Total, ReceivedDate: first.IssueDate,
				Allocations: []payment.Allocation{{InvoiceID: first.ID, Amount: first.Total}}}
			if _, err := s.CreatePayment(ctx, p, ""); err != nil {
				t.Fatal(err)
			}
		}
		shipAndInvoice(o, 2, "1")
		want := map[bool]sales.Status{true: sales.Paid, false: sales.Invoiced}[pay]
		if got, err := s.GetOrder(ctx, o.ID); err != nil || got.Status != want {
			t.Errorf("first invoice paid %v, then a zero one: order %s, %v; want %s", pay, got.Status, err, want)
		}
	}
	checkLedger(t, pool)
}

// Balances lists every currency a customer has invoices or payments in,
// each as Balance reads it and all with the balance version of one moment.
func TestCustomerBalancesPerCurrency(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	c := mustCustomer(t, s, "Acme")
	mustTaxedItem(t, s, "CB-1", "10", "0")
	mustAdjust(t, s, "CB-1", "MAIN", "10")
	if bs, err := s.Balances(ctx, c.ID); err != nil || len(bs) != 0 {
		t.Fatalf("balances before any invoice = %+v, %v", bs, err)
	}
	if _, err := s.Balances(ctx, newID(t)); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("balances of no customer: %v", err)
	}
	invoiced := func(currency string, issue time.Time) invoicing.Invoice {
		t.Helper()
		price := money.Money{Currency: currency, Amount: dec("4.50")}
		n := newOrder(c.ID, "", sales.NewLine{SKU: "CB-1", Quantity: dec("2"), UnitPrice: &price, Discount: dec("0")})
		n.CurrencyCode = currency
		return invoiceShipped(t, s, n, issue)
	}
	invoiced("USD", day("2026-01-10"))
	if _, _, err := s.MarkOverdue(ctx, day("2026-03-01")); err != nil {
		t.Fatal(err)
	}
	eurInvoice := invoiced("EUR", time.Time{})
	// A JPY payment with nothing to pay: credit only.
	yen := payment.Payment{ID: newID(t), CustomerID: c.ID, Amount: money.Money{Currency: "JPY", Amount: dec("500")}, ReceivedDate: day("2026-02-01")}
	if _, err := s.CreatePayment(ctx, yen, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreatePayment(ctx, pay(t, c.ID, "5", eurInvoice.ID, "5"), ""); err != nil {
		t.Fatal(err)
	}

	bs, err := s.Balances(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, b := range bs {
		one, err := s.Balance(ctx, c.ID, b.Currency)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(one) != fmt.Sprint(b) {
			t.Errorf("%s: Balances says %+v, Balance %+v", b.Currency, b, one)
		}
		got = append(got, fmt.Sprintf("%s open %s overdue %s credit %s", b.Currency, b.Open.Format(), b.Overdue.Format(), b.Credit.Format()))
	}
	want := []string{"EUR open 4.00 overdue 0.00 credit 0.00", "JPY open 0 overdue 0 credit 500", "USD open 9.00 overdue 9.00 credit 0.00"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("balances = %v, want %v", got, want)
	}
}
