package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/erp-service/internal/ledger"
	"github.com/seamhq/seam/erp-service/internal/payables"
	"github.com/seamhq/seam/erp-service/internal/purchasing"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/listing"
	"github.com/seamhq/seam/platform/money"
)

// returned is a returned-goods line of a supplier credit note.
func returned(n int32, qty string) payables.NewCreditLine {
	return payables.NewCreditLine{LineNumber: n, Quantity: dec(qty)}
}

// conceded is a price concession line of a supplier credit note.
func conceded(n int32, amount string) payables.NewCreditLine {
	a := eur(amount)
	return payables.NewCreditLine{LineNumber: n, Amount: &a}
}

// newSupplierCredit is a valid new credit note of bill, dated on date
// ("" for today).
func newSupplierCredit(t *testing.T, bill, date string, lines ...payables.NewCreditLine) payables.NewCreditNote {
	t.Helper()
	n := payables.NewCreditNote{ID: newID(t), BillID: bill, Reason: "supplier dispute", Lines: lines}
	if date != "" {
		n.CreditDate = day(date)
	}
	if err := payables.ValidateCreditNote(n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A supplier credit note takes returned goods off a bill and off its
// purchase order line's billed quantity, so the goods can go back to the
// supplier (refused before), and a price concession off a line; 2000
// stays the open bills plus what is received and not billed, through the
// credit notes and the return. A paid bill is not credited.
func TestSupplierCreditNotes(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	mustKgCostedItem(t, s, "SCN-1", "20", "8")
	mustKgCostedItem(t, s, "SCN-2", "5", "1")
	po := orderedPO(t, s, poLine("SCN-1", "10", "7.50", "2030-03-01"), poLine("SCN-2", "3", "1.15", "2030-03-01"))
	if _, err := s.ReceivePurchaseOrder(ctx, po.ID, "", []purchasing.ReceiptLine{rl(1, "10"), rl(2, "3")}, ""); err != nil {
		t.Fatal(err)
	}
	// Billed 30 days ago, credited 5 days ago: a credit note is dated no
	// later than today.
	today := time.Now().UTC().Truncate(24 * time.Hour)
	credited, beforeBill := today.AddDate(0, 0, -5).Format(time.DateOnly), today.AddDate(0, 0, -31).Format(time.DateOnly)
	nb := newBill(t, po.ID, "SC-1", "2030-02-10", bl(1, "10"), bl(2, "3"))
	nb.InvoiceDate = today.AddDate(0, 0, -30)
	nb.TaxRate = dec("0.19")
	bill, err := s.CreateSupplierBill(ctx, nb, "")
	if err != nil {
		t.Fatal(err)
	}
	// 75.00 + 3.45, tax 14.9055 -> 14.91.
	if bill.Total.String() != "93.36" {
		t.Fatalf("bill = %+v", bill)
	}
	start := checkPayables(t, s, pool, "0")
	if _, err := s.ReturnPurchaseOrder(ctx, po.ID, "", []purchasing.ReceiptLine{rl(1, "4")}, "", ""); !failedOn(err, "lines[0].quantity") {
		t.Errorf("returning billed goods: %v", err)
	}

	// Refused: a line the bill does not bill, more than the line billed,
	// a date before the bill's; nothing is written.
	journal, notes := journalRows(t, pool), count(t, pool, "supplier_credit_notes")
	if _, err := s.CreateSupplierCreditNote(ctx, newSupplierCredit(t, bill.ID, credited, returned(3, "1")), ""); !errors.Is(err, errs.ErrInvalidArgument) {
		t.Errorf("a line not billed: %v", err)
	}
	if _, err := s.CreateSupplierCreditNote(ctx, newSupplierCredit(t, bill.ID, credited, returned(1, "10.5")), ""); !failedOn(err, "lines[0].quantity") {
		t.Errorf("returning more than billed: %v", err)
	}
	if _, err := s.CreateSupplierCreditNote(ctx, newSupplierCredit(t, bill.ID, beforeBill, returned(1, "1")), ""); !invalidOn(err, "credit_date") {
		t.Errorf("a credit note before the bill: %v", err)
	}
	if _, err := s.CreateSupplierCreditNote(ctx, newSupplierCredit(t, bill.ID, today.AddDate(0, 0, 1).Format(time.DateOnly), returned(1, "1")), ""); !invalidOn(err, "credit_date") ||
		!strings.Contains(err.Error(), "must not be after today") {
		t.Errorf("a credit note dated tomorrow: %v", err)
	}
	if _, err := s.CreateSupplierCreditNote(ctx, newSupplierCredit(t, newID(t), "", returned(1, "1")), ""); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("an unknown bill: %v", err)
	}
	if journalRows(t, pool) != journal || count(t, pool, "supplier_credit_notes") != notes {
		t.Errorf("refused credit notes wrote")
	}

	// Returned goods: 4 of line 1, 30.00 + 5.70 tax. Only the tax posts:
	// the 30.00 is received and not billed again.
	mark := count(t, pool, "outbox_events")
	cn1, err := s.CreateSupplierCreditNote(ctx, newSupplierCredit(t, bill.ID, credited, returned(1, "4")), "scn-1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(cn1.Number, "SCN-") || cn1.Subtotal.String() != "30" || cn1.Tax.String() != "5.7" || cn1.Total.String() != "35.7" ||
		cn1.Lines[0].Kind != payables.ReturnedGoods || cn1.SupplierID != po.SupplierID || cn1.BillNumber != bill.Number {
		t.Errorf("credit note 1 = %+v", cn1)
	}
	if again, err := s.CreateSupplierCreditNote(ctx, newSupplierCredit(t, bill.ID, credited, returned(1, "4")), "scn-1"); err != nil || again.ID != cn1.ID {
		t.Errorf("retry = %v %v", again.ID, err)
	}
	var types []string
	for _, e := range allEvents(t, pool)[mark:] {
		types = append(types, e.Type+" "+e.Key)
	}
	if want := fmt.Sprintf("[supplier_credit_note.created %s supplier_bill.updated %s purchase_order.billed %s]", cn1.ID, bill.ID, po.ID); fmt.Sprint(types) != want {
		t.Errorf("events = %v, want %s", types, want)
	}
	b, _ := s.GetSupplierBill(ctx, bill.ID)
	if b.Credited.String() != "35.7" || b.OpenAmount().String() != "57.66" || b.Revision != 2 || b.Status != payables.Open ||
		b.Lines[0].CreditedQuantity.String() != "4" || b.Lines[0].CreditedAmount.String() != "30" {
		t.Errorf("bill after credit note 1 = %+v", b)
	}
	o, _ := s.GetPurchaseOrder(ctx, po.ID)
	if o.Lines[0].Billed.String() != "6" || o.Lines[0].Received.String() != "10" {
		t.Errorf("order after credit note 1 = %+v", o.Lines[0])
	}
	bal := checkPayables(t, s, pool, "30.00")
	if d := delta(start, bal, ledger.InputTax); d != "-5.7" {
		t.Errorf("1300 moved by %s, want -5.70", d)
	}
	if _, err := s.CreateSupplierCreditNote(ctx, newSupplierCredit(t, bill.ID, credited, returned(1, "6.001")), ""); !failedOn(err, "lines[0].quantity") {
		t.Errorf("returning more than is left: %v", err)
	}

	// The goods go back: the return takes 30.00 off 2000, as for goods
	// never billed.
	if _, err := s.ReturnPurchaseOrder(ctx, po.ID, "", []purchasing.ReceiptLine{rl(1, "4")}, "", ""); err != nil {
		t.Fatalf("returning credited goods: %v", err)
	}
	bal = checkPayables(t, s, pool, "0")

	// A price concession on line 2: 1.00 + 0.19 tax (cumulatively,
	// round(31.00 x 0.19) - 5.70), Dr 2000 / Cr 5100 and Cr 1300.
	if _, err := s.CreateSupplierCreditNote(ctx, newSupplierCredit(t, bill.ID, credited, conceded(2, "3.46")), ""); !failedOn(err, "lines[0].amount.amount") {
		t.Errorf("a concession beyond the line: %v", err)
	}
	mark = count(t, pool, "outbox_events")
	cn2, err := s.CreateSupplierCreditNote(ctx, newSupplierCredit(t, bill.ID, credited, conceded(2, "1.00")), "")
	if err != nil {
		t.Fatal(err)
	}
	if cn2.Total.String() != "1.19" || cn2.Lines[0].Kind != payables.PriceConcession || !cn2.Lines[0].Quantity.IsZero() {
		t.Errorf("credit note 2 = %+v", cn2)
	}
	if n := len(allEvents(t, pool)) - mark; n != 2 {
		t.Errorf("a concession emitted %d events, want its own and its bill's", n)
	}
	after := checkPayables(t, s, pool, "0")
	if d := delta(bal, after, ledger.PurchasePriceVariance); d != "-1" {
		t.Errorf("5100 moved by %s, want -1.00", d)
	}
	if d := delta(bal, after, ledger.InputTax); d != "-0.19" {
		t.Errorf("1300 moved by %s, want -0.19", d)
	}

	// All of line 2 returned after its concession: the 2.45 left of the
	// line; the 1.00 conceded goes back from 5100, as the goods do.
	bal = after
	cn3, err := s.CreateSupplierCreditNote(ctx, newSupplierCredit(t, bill.ID, credited, returned(2, "3")), "")
	if err != nil {
		t.Fatal(err)
	}
	if cn3.Subtotal.String() != "2.45" || cn3.Tax.String() != "0.47" {
		t.Errorf("credit note 3 = %+v", cn3)
	}
	after = checkPayables(t, s, pool, "3.45")
	if d := delta(bal, after, ledger.PurchasePriceVariance); d != "1" {
		t.Errorf("5100 moved by %s, want 1.00", d)
	}

	// Paid in full, the bill takes no credit: there is no supplier refund.
	b, _ = s.GetSupplierBill(ctx, bill.ID)
	if b.OpenAmount().String() != "53.55" {
		t.Fatalf("open = %s", b.OpenAmount())
	}
	if _, err := s.CreateSupplierPayment(ctx, supplierPay(t, bill.ID, "53.55"), ""); err != nil {
		t.Fatal(err)
	}
	if b, _ = s.GetSupplierBill(ctx, bill.ID); b.Status != payables.Paid {
		t.Errorf("bill paid in full = %s", b.Status)
	}
	if _, err := s.CreateSupplierCreditNote(ctx, newSupplierCredit(t, bill.ID, credited, returned(1, "1")), ""); !failedOn(err, "lines") ||
		!strings.Contains(err.Error(), "a paid bill is not credited") {
		t.Errorf("crediting a paid bill: %v", err)
	}

	// Listed by bill and by supplier.
	for _, f := range []string{`bill_id = "` + bill.ID + `"`, `supplier_id = "` + po.SupplierID + `"`} {
		conds, err := listing.ParseFilter(f, payables.CreditFilterFields...)
		if err != nil {
			t.Fatal(err)
		}
		var seen []string
		for q := (payables.ListQuery{Filter: conds, PageSize: 2}); ; {
			page, more, err := s.ListSupplierCreditNotes(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range page {
				seen = append(seen, c.ID)
			}
			if !more {
				break
			}
			q.After = page[len(page)-1].ID
		}
		if len(seen) != 3 {
			t.Errorf("%s: %d credit notes, want 3", f, len(seen))
		}
	}
	if got, err := s.GetSupplierCreditNote(ctx, cn2.ID); err != nil || got.Lines[0].Net.String() != "1" || got.Reason != "supplier dispute" {
		t.Errorf("credit note 2 read = %+v %v", got, err)
	}
}

func invalidOn(err error, field string) bool {
	var e *errs.Error
	return errors.As(err, &e) && e.Kind == errs.InvalidArgument && len(e.Violations) == 1 && e.Violations[0].Field == field
}

// A credit note dated in the closed period is refused, naming
// credit_date, even one that posts no journal line (returned goods of a
// bill without tax).
func TestSupplierCreditNoteClosedPeriod(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	mustKgCostedItem(t, s, "SCP-1", "20", "8")
	po := orderedPO(t, s, poLine("SCP-1", "10", "7.50", "2030-03-01"))
	if _, err := s.ReceivePurchaseOrder(ctx, po.ID, "", []purchasing.ReceiptLine{rl(1, "10")}, ""); err != nil {
		t.Fatal(err)
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	nb := newBill(t, po.ID, "SCP-1", "2030-02-10", bl(1, "10"))
	nb.InvoiceDate = today.AddDate(0, 0, -10)
	nb.DueDate = today.AddDate(0, 0, 20)
	bill, err := s.CreateSupplierBill(ctx, nb, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClosePeriod(ctx, today.AddDate(0, 0, -5), newID(t), ""); err != nil {
		t.Fatal(err)
	}
	n := newSupplierCredit(t, bill.ID, "", returned(1, "1"))
	n.CreditDate = today.AddDate(0, 0, -7)
	if _, err := s.CreateSupplierCreditNote(ctx, n, ""); !failedOn(err, "credit_date") || !strings.Contains(err.Error(), "closed") {
		t.Errorf("a credit note in the closed period: %v", err)
	}
	if o, _ := s.GetPurchaseOrder(ctx, po.ID); !o.Lines[0].Billed.Equal(decimal.NewFromInt(10)) {
		t.Errorf("a refused credit note changed the order: billed %s", o.Lines[0].Billed)
	}
	got, err := s.CreateSupplierCreditNote(ctx, newSupplierCredit(t, bill.ID, "", returned(1, "1")), "")
	if err != nil || !got.CreditDate.Equal(today) {
		t.Errorf("a credit note of today = %+v %v", got, err)
	}
	checkPayables(t, s, pool, money.Round(dec("7.5"), "EUR").String())
}
