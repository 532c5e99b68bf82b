package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/erp-service/internal/ledger"
	"github.com/seamhq/seam/erp-service/internal/payables"
	"github.com/seamhq/seam/erp-service/internal/postgres"
	"github.com/seamhq/seam/erp-service/internal/purchasing"
	"github.com/seamhq/seam/platform/civil"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/listing"
)

// bl is a bill line.
func bl(n int32, qty string) payables.BillLine {
	return payables.BillLine{LineNumber: n, Quantity: dec(qty)}
}

// newBill is a valid new bill of po with the supplier's number, due on due.
func newBill(t *testing.T, po, number, due string, lines ...payables.BillLine) payables.Bill {
	t.Helper()
	b := payables.Bill{ID: newID(t), PurchaseOrderID: po, SupplierInvoiceNumber: number,
		InvoiceDate: day("2030-01-10"), DueDate: day(due), TaxRate: decimal.Zero, Lines: lines}
	if err := payables.ValidateNew(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func supplierPay(t *testing.T, bill, amount string) payables.Payment {
	t.Helper()
	p := payables.Payment{ID: newID(t), BillID: bill, Amount: eur(amount), PaidDate: civil.Today(time.Now())}
	if err := payables.ValidatePayment(p, time.Now()); err != nil {
		t.Fatal(err)
	}
	return p
}

// checkPayables asserts the journal balances and that 2000 Accounts
// payable (a credit, so minus its debit balance) is the open bills plus
// unbilled, the value of what is received and not yet billed.
func checkPayables(t *testing.T, s *postgres.Store, pool *pgxpool.Pool, unbilled string) map[string]string {
	t.Helper()
	bal := checkJournal(t, s, pool)
	var open decimal.Decimal
	if err := pool.QueryRow(context.Background(), `SELECT coalesce(sum(total - paid - credited), 0) FROM supplier_bills WHERE currency_code = 'EUR'`).Scan(&open); err != nil {
		t.Fatal(err)
	}
	ap := dec("0")
	if bal[ledger.AccountsPayable] != "" {
		ap = dec(bal[ledger.AccountsPayable]).Neg()
	}
	if want := open.Add(dec(unbilled)); !ap.Equal(want) {
		t.Errorf("2000 Accounts payable = %s, want open bills %s + unbilled %s", ap, open, unbilled)
	}
	return bal
}

func failedOn(err error, field string) bool {
	var e *errs.Error
	return errors.As(err, &e) && e.Kind == errs.FailedPrecondition && len(e.Violations) == 1 && e.Violations[0].Field == field
}

// Bills bill what is received and not yet billed, at the order's unit
// costs rounded per line cumulatively, so a line's bills add up to what
// its receipts credited payables: the net posts nothing, the tax Dr 1300
// / Cr 2000; payments Dr 2000 / Cr 1000, never more than a bill's open
// amount. 2000 stays equal to the open bills plus what is unbilled.
func TestSupplierBillsAndPayments(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	mustKgCostedItem(t, s, "AP-1", "20", "8")
	mustKgCostedItem(t, s, "AP-2", "5", "0.25")
	po := orderedPO(t, s, poLine("AP-1", "10", "7.50", "2030-03-01"), poLine("AP-2", "1", "0.25", "2030-03-01"))

	// Nothing received: nothing to bill.
	if _, err := s.CreateSupplierBill(ctx, newBill(t, po.ID, "INV-0", "2030-02-10", bl(1, "1")), ""); !failedOn(err, "lines[0].quantity") {
		t.Errorf("billing what is not received: %v", err)
	}
	if _, err := s.ReceivePurchaseOrder(ctx, po.ID, "", []purchasing.ReceiptLine{rl(1, "8"), rl(2, "1")}, ""); err != nil {
		t.Fatal(err)
	}
	// Received: 60.00 (8 x 7.50) + 0.25, all unbilled.
	checkPayables(t, s, pool, "60.25")
	counts, journal := count(t, pool, "supplier_bills"), journalRows(t, pool)

	// Over-billing a line (8 received), an unknown line, an unknown order.
	if _, err := s.CreateSupplierBill(ctx, newBill(t, po.ID, "INV-0", "2030-02-10", bl(1, "8.5")), ""); !failedOn(err, "lines[0].quantity") {
		t.Errorf("billing more than received: %v", err)
	}
	if _, err := s.CreateSupplierBill(ctx, newBill(t, po.ID, "INV-0", "2030-02-10", bl(3, "1")), ""); !errors.Is(err, errs.ErrInvalidArgument) {
		t.Errorf("unknown line: %v", err)
	}
	if _, err := s.CreateSupplierBill(ctx, newBill(t, newID(t), "INV-0", "2030-02-10", bl(1, "1")), ""); !errors.Is(err, errs.ErrInvalidArgument) {
		t.Errorf("unknown order: %v", err)
	}
	if count(t, pool, "supplier_bills") != counts || journalRows(t, pool) != journal {
		t.Errorf("refused bills wrote")
	}

	// Bill 1: 4 of line 1 (30.00) and 0.5 of line 2 (0.125 -> 0.13), 20 % tax.
	b1 := newBill(t, po.ID, "INV-1", "2030-02-10", bl(1, "4"), bl(2, "0.5"))
	b1.TaxRate = dec("0.2")
	unbilled, err := s.GetPurchaseOrder(ctx, po.ID)
	if err != nil {
		t.Fatal(err)
	}
	mark := count(t, pool, "outbox_events")
	got1, err := s.CreateSupplierBill(ctx, b1, "bill-1")
	if err != nil {
		t.Fatal(err)
	}
	// The order shows what is billed of its lines, in a new version with
	// its event.
	billedPO, err := s.GetPurchaseOrder(ctx, po.ID)
	if err != nil || billedPO.Revision != unbilled.Revision+1 || billedPO.Lines[0].Billed.String() != "4" || billedPO.Lines[1].Billed.String() != "0.5" {
		t.Errorf("order after bill 1 = %+v %v, want revision %d and billed 4 and 0.5", billedPO, err, unbilled.Revision+1)
	}
	var types []string
	for _, e := range allEvents(t, pool)[mark:] {
		types = append(types, e.Type+" "+e.Key)
	}
	if want := fmt.Sprintf("[supplier_bill.created %s purchase_order.billed %s]", got1.ID, po.ID); fmt.Sprint(types) != want {
		t.Errorf("events of bill 1 = %v, want %s", types, want)
	}
	if got1.Subtotal.String() != "30.13" || got1.Tax.String() != "6.03" || got1.Total.String() != "36.16" ||
		got1.Status != payables.Open || got1.SupplierID != po.SupplierID || !strings.HasPrefix(got1.Number, "BILL-") ||
		got1.Lines[1].Amount.String() != "0.13" {
		t.Errorf("bill 1 = %+v", got1)
	}
	if again, err := s.CreateSupplierBill(ctx, newBill(t, po.ID, "INV-1", "2030-02-10", bl(1, "4"), bl(2, "0.5")), "bill-1"); err != nil || again.ID != got1.ID {
		t.Errorf("retry = %v %v, want bill %s", again.ID, err, got1.ID)
	}
	bal := checkPayables(t, s, pool, "30.12") // 4 of line 1, 0.5 of line 2 (0.25 - 0.13)
	if bal[ledger.InputTax] != "6.03" {
		t.Errorf("1300 Input tax = %q, want 6.03", bal[ledger.InputTax])
	}

	// The supplier's invoice number is unique per supplier.
	_, err = s.CreateSupplierBill(ctx, newBill(t, po.ID, "INV-1", "2030-02-10", bl(1, "1")), "")
	if !errors.Is(err, errs.ErrAlreadyExists) {
		t.Errorf("duplicate supplier invoice number: %v", err)
	}
	// Another supplier may use the same number.
	other := orderedPO(t, s, poLine("AP-1", "1", "7.00", "2030-03-01"))
	if _, err := s.ReceivePurchaseOrder(ctx, other.ID, "", []purchasing.ReceiptLine{rl(1, "1")}, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateSupplierBill(ctx, newBill(t, other.ID, "INV-1", "2030-01-20", bl(1, "1")), ""); err != nil {
		t.Errorf("another supplier's INV-1: %v", err)
	}

	// What is billed is not billed again: 4 of line 1 are left.
	if _, err := s.CreateSupplierBill(ctx, newBill(t, po.ID, "INV-2", "2030-02-10", bl(1, "4.001")), ""); !failedOn(err, "lines[0].quantity") {
		t.Errorf("billing a line twice: %v", err)
	}
	// Bill 2: the rest; line 2's second half is 0.12, so its bills add up
	// to the 0.25 its receipt credited.
	got2, err := s.CreateSupplierBill(ctx, newBill(t, po.ID, "INV-2", "2030-02-20", bl(1, "4"), bl(2, "0.5")), "")
	if err != nil {
		t.Fatal(err)
	}
	if got2.Total.String() != "30.12" || got2.Tax.String() != "0" {
		t.Errorf("bill 2 = %+v", got2)
	}
	checkPayables(t, s, pool, "0")

	// Billed goods are not returned.
	if _, err := s.ReturnPurchaseOrder(ctx, po.ID, "", []purchasing.ReceiptLine{rl(1, "1")}, "", ""); !failedOn(err, "lines[0].quantity") {
		t.Errorf("returning billed goods: %v", err)
	}

	// Payments: partial, never more than open, idempotent.
	p1, err := s.CreateSupplierPayment(ctx, supplierPay(t, got1.ID, "20.00"), "pay-1")
	if err != nil {
		t.Fatal(err)
	}
	if p1.SupplierID != po.SupplierID || !strings.HasPrefix(p1.Number, "SPAY-") {
		t.Errorf("payment = %+v", p1)
	}
	if again, err := s.CreateSupplierPayment(ctx, supplierPay(t, got1.ID, "20.00"), "pay-1"); err != nil || again.ID != p1.ID {
		t.Errorf("retried payment = %v %v", again.ID, err)
	}
	if b, _ := s.GetSupplierBill(ctx, got1.ID); b.Status != payables.PartiallyPaid || b.OpenAmount().String() != "16.16" || b.Revision != 2 {
		t.Errorf("bill after 20.00 = %s open %s rev %d", b.Status, b.OpenAmount(), b.Revision)
	}
	journal = journalRows(t, pool)
	if _, err := s.CreateSupplierPayment(ctx, supplierPay(t, got1.ID, "16.17"), ""); !failedOn(err, "amount") {
		t.Errorf("overpaying: %v", err)
	}
	usd := supplierPay(t, got1.ID, "1.00")
	usd.Amount.Currency = "USD"
	if _, err := s.CreateSupplierPayment(ctx, usd, ""); !errors.Is(err, errs.ErrInvalidArgument) {
		t.Errorf("paying in another currency: %v", err)
	}
	if journalRows(t, pool) != journal {
		t.Errorf("refused payments posted")
	}
	if _, err := s.CreateSupplierPayment(ctx, supplierPay(t, got1.ID, "16.16"), ""); err != nil {
		t.Fatal(err)
	}
	if b, _ := s.GetSupplierBill(ctx, got1.ID); b.Status != payables.Paid || !b.OpenAmount().IsZero() {
		t.Errorf("bill paid in full = %s open %s", b.Status, b.OpenAmount())
	}
	bal = checkPayables(t, s, pool, "0")
	if bal[ledger.Cash] != "-36.16" {
		t.Errorf("1000 Cash = %s, want -36.16", bal[ledger.Cash])
	}

	// The report: po's supplier owes bill 2 (30.12, due 2030-02-20), the
	// other supplier 7.00 due 2030-01-20.
	rows, err := s.Payables(ctx, payables.ReportQuery{AsOf: day("2030-02-01"), Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	report := map[string]string{}
	for _, r := range rows {
		report[r.SupplierID] = fmt.Sprintf("%s %s open %s overdue %s (%d)", r.SupplierName[:5], r.Currency, r.Open, r.Overdue, r.OpenBills)
	}
	if len(rows) != 2 || report[po.SupplierID] != "Parts EUR open 30.12 overdue 0 (1)" ||
		report[other.SupplierID] != "Parts EUR open 7 overdue 7 (1)" {
		t.Errorf("report = %v", report)
	}
	if rows, _ := s.Payables(ctx, payables.ReportQuery{AsOf: day("2030-03-01"), SupplierID: po.SupplierID, Limit: 50}); len(rows) != 1 || rows[0].Overdue.String() != "30.12" {
		t.Errorf("one supplier's report in March = %+v", rows)
	}
	// A page at a time: one row and one more to tell that a page follows,
	// then the rest after its key.
	first, err := s.Payables(ctx, payables.ReportQuery{AsOf: day("2030-02-01"), Limit: 1})
	if err != nil || len(first) != 2 || first[0].Key() != rows[0].Key() {
		t.Fatalf("first page = %+v %v, want %+v and one more", first, err, rows[0])
	}
	k := first[0].Key()
	rest, err := s.Payables(ctx, payables.ReportQuery{AsOf: day("2030-02-01"), Limit: 1, After: &k})
	if err != nil || len(rest) != 1 || fmt.Sprint(rest[0]) != fmt.Sprint(rows[1]) {
		t.Errorf("page after %v = %+v %v, want %+v", k, rest, err, rows[1])
	}
	last := rows[1].Key()
	if rest, err := s.Payables(ctx, payables.ReportQuery{AsOf: day("2030-02-01"), Limit: 1, After: &last}); err != nil || len(rest) != 0 {
		t.Errorf("page after the last row = %+v %v", rest, err)
	}

	// Lists by supplier and status, a page at a time.
	var ids []string
	after := ""
	for {
		conds, _ := listing.ParseFilter(`supplier_id = "`+po.SupplierID+`"`, payables.BillFilterFields...)
		page, more, err := s.ListSupplierBills(ctx, payables.ListQuery{Filter: conds, PageSize: 1, After: after})
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range page {
			ids = append(ids, b.Number)
		}
		if !more {
			break
		}
		after = page[len(page)-1].ID
	}
	if len(ids) != 2 || ids[0] != got1.Number || ids[1] != got2.Number {
		t.Errorf("po's supplier's bills = %v", ids)
	}
	conds, _ := listing.ParseFilter(`status = "PAID"`, payables.BillFilterFields...)
	if page, _, err := s.ListSupplierBills(ctx, payables.ListQuery{Filter: conds, PageSize: 10}); err != nil || len(page) != 1 || page[0].ID != got1.ID {
		t.Errorf("paid bills = %v %v", page, err)
	}
}

// Payments racing for one bill never pay more than it owes together; two
// bills racing for one line never bill it twice.
func TestConcurrentSupplierPayments(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	mustKgCostedItem(t, s, "AP-C", "20", "10")
	po := orderedPO(t, s, poLine("AP-C", "10", "10", "2030-03-01"))
	if _, err := s.ReceivePurchaseOrder(ctx, po.ID, "", []purchasing.ReceiptLine{rl(1, "10")}, ""); err != nil {
		t.Fatal(err)
	}

	const n = 8
	var wg sync.WaitGroup
	billed := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, billed[i] = s.CreateSupplierBill(ctx, newBill(t, po.ID, fmt.Sprintf("C-%d", i), "2030-02-10", bl(1, "6")), "")
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range billed {
		switch {
		case err == nil:
			ok++
		case !failedOn(err, "lines[0].quantity"):
			t.Errorf("racing bill: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d of %d bills of 6 of 10 received succeeded, want 1", ok, n)
	}
	conds, _ := listing.ParseFilter(`purchase_order_id = "`+po.ID+`"`, payables.BillFilterFields...)
	bills, _, err := s.ListSupplierBills(ctx, payables.ListQuery{Filter: conds, PageSize: 10})
	if err != nil || len(bills) != 1 {
		t.Fatalf("bills = %v %v", bills, err)
	}
	bill := bills[0] // 60.00

	paid := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, paid[i] = s.CreateSupplierPayment(ctx, supplierPay(t, bill.ID, "25.00"), "")
		})
	}
	wg.Wait()
	ok = 0
	for _, err := range paid {
		switch {
		case err == nil:
			ok++
		case !failedOn(err, "amount"):
			t.Errorf("racing payment: %v", err)
		}
	}
	if ok != 2 {
		t.Errorf("%d payments of 25.00 of a 60.00 bill succeeded, want 2", ok)
	}
	if b, _ := s.GetSupplierBill(ctx, bill.ID); b.Paid.String() != "50" || b.Status != payables.PartiallyPaid {
		t.Errorf("bill = paid %s %s", b.Paid, b.Status)
	}
	checkPayables(t, s, pool, "40") // 4 received, unbilled
}

// Supplier payments list by id, by supplier and by bill, a page at a time.
func TestListSupplierPayments(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	mustKgCostedItem(t, s, "AP-L", "20", "10")
	// Two suppliers; the first with two bills.
	var bills []payables.Bill
	var suppliers []string
	for i, n := range []string{"3", "1"} {
		po := orderedPO(t, s, poLine("AP-L", n, "10", "2030-03-01"))
		if _, err := s.ReceivePurchaseOrder(ctx, po.ID, "", []purchasing.ReceiptLine{rl(1, n)}, ""); err != nil {
			t.Fatal(err)
		}
		suppliers = append(suppliers, po.SupplierID)
		lines := [][]string{{"2", "1"}, {"1"}}[i]
		for j, q := range lines {
			b, err := s.CreateSupplierBill(ctx, newBill(t, po.ID, fmt.Sprintf("L-%d-%d", i, j), "2030-02-10", bl(1, q)), "")
			if err != nil {
				t.Fatal(err)
			}
			bills = append(bills, b)
		}
	}
	// bills: supplier 0's 20.00 and 10.00, supplier 1's 10.00.
	paid := map[string][]string{} // by bill id, payment ids
	bySupplier := map[string][]string{}
	var all []string
	for _, p := range []struct {
		bill   int
		amount string
	}{{0, "5.00"}, {1, "10.00"}, {0, "7.00"}, {2, "3.00"}, {0, "1.00"}} {
		got, err := s.CreateSupplierPayment(ctx, supplierPay(t, bills[p.bill].ID, p.amount), "")
		if err != nil {
			t.Fatal(err)
		}
		paid[got.BillID] = append(paid[got.BillID], got.ID)
		bySupplier[got.SupplierID] = append(bySupplier[got.SupplierID], got.ID)
		all = append(all, got.ID)
	}
	list := func(filter string, size int) []string {
		t.Helper()
		conds, err := listing.ParseFilter(filter, payables.PaymentFilterFields...)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		after := ""
		for pages := 0; ; pages++ {
			page, more, err := s.ListSupplierPayments(ctx, payables.ListQuery{Filter: conds, PageSize: size, After: after})
			if err != nil {
				t.Fatal(err)
			}
			if len(page) > size || pages > 10 {
				t.Fatalf("%q: page of %d, size %d (page %d)", filter, len(page), size, pages)
			}
			for _, p := range page {
				ids = append(ids, p.ID)
			}
			if !more {
				return ids
			}
			after = page[len(page)-1].ID
		}
	}
	sorted := func(ids []string) []string {
		out := append([]string(nil), ids...)
		slices.Sort(out)
		return out
	}
	for _, tc := range []struct {
		filter string
		want   []string
	}{
		{``, all},
		{`supplier_id = "` + suppliers[0] + `"`, bySupplier[suppliers[0]]},
		{`supplier_id = "` + suppliers[1] + `"`, bySupplier[suppliers[1]]},
		{`bill_id = "` + bills[0].ID + `"`, paid[bills[0].ID]},
		{`bill_id = "` + bills[1].ID + `" AND supplier_id = "` + suppliers[0] + `"`, paid[bills[1].ID]},
		{`bill_id = "` + bills[1].ID + `" AND supplier_id = "` + suppliers[1] + `"`, nil},
	} {
		for _, size := range []int{1, 2, 10} {
			if got, want := list(tc.filter, size), sorted(tc.want); !slices.Equal(got, want) {
				t.Errorf("%q by %d = %v, want %v", tc.filter, size, got, want)
			}
		}
	}
	if len(bySupplier[suppliers[0]]) != 4 || len(paid[bills[0].ID]) != 3 {
		t.Fatalf("payments set up wrong: %v", paid)
	}
	got, _, err := s.ListSupplierPayments(ctx, payables.ListQuery{PageSize: 1})
	if err != nil || len(got) != 1 || got[0].Amount.Amount.IsZero() || got[0].Number == "" || got[0].BillID == "" {
		t.Errorf("a listed payment = %+v %v", got, err)
	}
	if _, _, err := s.ListSupplierPayments(ctx, payables.ListQuery{PageSize: 1, After: "nope"}); !errors.Is(err, errs.ErrInvalidArgument) {
		t.Errorf("bad page token: %v", err)
	}
	conds, _ := listing.ParseFilter(`bill_id = "nope"`, payables.PaymentFilterFields...)
	if _, _, err := s.ListSupplierPayments(ctx, payables.ListQuery{Filter: conds, PageSize: 1}); !errors.Is(err, errs.ErrInvalidArgument) {
		t.Errorf("bill_id not a UUID: %v", err)
	}
}
