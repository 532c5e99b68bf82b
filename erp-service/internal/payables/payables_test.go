package payables_test

import (
	"errors"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/erp-service/internal/ledger"
	"github.com/seamhq/seam/erp-service/internal/payables"
	"github.com/seamhq/seam/erp-service/internal/purchasing"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/money"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func order() *purchasing.Order {
	return &purchasing.Order{ID: "po", Number: "PO-1", SupplierID: "sup", Currency: "EUR", Status: purchasing.PartiallyReceived,
		Lines: []purchasing.Line{
			{Number: 1, SKU: "A", Quantity: dec("10"), UnitCost: dec("0.25"), Received: dec("1"), Billed: decimal.Zero},
			{Number: 2, SKU: "B", Quantity: dec("10"), UnitCost: dec("3.335"), Received: dec("3"), Billed: decimal.Zero},
		}}
}

func bill(rate string, lines ...payables.BillLine) payables.Bill {
	return payables.Bill{ID: "b", PurchaseOrderID: "po", SupplierInvoiceNumber: "X", TaxRate: dec(rate),
		InvoiceDate: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), DueDate: time.Date(2030, 2, 1, 0, 0, 0, 0, time.UTC), Lines: lines}
}

// A line's bills add up to round(billed x cost), what its receipts
// credited payables: 0.5 at 0.25 twice is 0.13 then 0.12, not 0.13 twice.
func TestBuildRoundsCumulatively(t *testing.T) {
	o := order()
	b1 := bill("0", payables.BillLine{LineNumber: 1, Quantity: dec("0.5")}, payables.BillLine{LineNumber: 2, Quantity: dec("1")})
	if _, ok, err := payables.Build(&b1, o); err != nil || ok {
		t.Fatalf("build = %v, posts %v", err, ok)
	}
	b2 := bill("0", payables.BillLine{LineNumber: 1, Quantity: dec("0.5")}, payables.BillLine{LineNumber: 2, Quantity: dec("2")})
	if _, _, err := payables.Build(&b2, o); err != nil {
		t.Fatal(err)
	}
	if a, b := b1.Lines[0].Amount.String(), b2.Lines[0].Amount.String(); a != "0.13" || b != "0.12" {
		t.Errorf("line 1 billed %s then %s, want 0.13 then 0.12", a, b)
	}
	// 3.335 (3.34 rounded half away from zero), then 2 more: 10.01 - 3.34.
	if a, b := b1.Lines[1].Amount.String(), b2.Lines[1].Amount.String(); a != "3.34" || b != "6.67" {
		t.Errorf("line 2 billed %s then %s, want 3.34 then 6.67", a, b)
	}
	for i, l := range o.Lines {
		if want := money.Round(l.Received.Mul(l.UnitCost), "EUR"); !b1.Lines[i].Amount.Add(b2.Lines[i].Amount).Equal(want) {
			t.Errorf("line %d bills add up to %s, its receipts to %s", l.Number, b1.Lines[i].Amount.Add(b2.Lines[i].Amount), want)
		}
		if !l.Billed.Equal(l.Received) {
			t.Errorf("line %d billed %s of %s", l.Number, l.Billed, l.Received)
		}
	}
}

func TestBuildRefusesMoreThanReceivedAndUnbilled(t *testing.T) {
	o := order()
	o.Lines[1].Billed = dec("2")
	b := bill("0", payables.BillLine{LineNumber: 1, Quantity: dec("1")}, payables.BillLine{LineNumber: 2, Quantity: dec("1.5")})
	_, _, err := payables.Build(&b, o)
	var e *errs.Error
	if !errors.As(err, &e) || e.Kind != errs.FailedPrecondition || len(e.Violations) != 1 || e.Violations[0].Field != "lines[1].quantity" {
		t.Errorf("over-billing: %v", err)
	}
	if !o.Lines[1].Billed.Equal(dec("2")) {
		t.Errorf("a refused bill changed line 2's billed quantity to %s", o.Lines[1].Billed)
	}
}

// Tax posts Dr Input tax / Cr Accounts payable; the net posts nothing.
func TestBuildTax(t *testing.T) {
	o := order()
	b := bill("0.19", payables.BillLine{LineNumber: 2, Quantity: dec("3")}) // 10.01 (10.005)
	e, ok, err := payables.Build(&b, o)
	if err != nil || !ok {
		t.Fatalf("build = %v %v", ok, err)
	}
	if b.Subtotal.String() != "10.01" || b.Tax.String() != "1.9" || b.Total.String() != "11.91" || b.Status != payables.Open {
		t.Errorf("bill = %s + %s = %s %s", b.Subtotal, b.Tax, b.Total, b.Status)
	}
	if err := e.Check(); err != nil || e.Kind != ledger.KindSupplierBill || e.Lines[0].Account != ledger.InputTax ||
		e.Lines[1].Account != ledger.AccountsPayable || !e.Lines[1].Credit.Equal(dec("1.9")) {
		t.Errorf("entry = %+v %v", e, err)
	}
}

func TestPay(t *testing.T) {
	o := order()
	b := bill("0", payables.BillLine{LineNumber: 2, Quantity: dec("3")}) // 10.01
	if _, _, err := payables.Build(&b, o); err != nil {
		t.Fatal(err)
	}
	p := payables.Payment{ID: "p", BillID: "b", Amount: money.Money{Currency: "EUR", Amount: dec("10.02")}}
	var e *errs.Error
	if _, err := payables.Pay(&p, &b); !errors.As(err, &e) || e.Kind != errs.FailedPrecondition || e.Violations[0].Field != "amount" {
		t.Errorf("overpaying: %v", err)
	}
	p.Amount.Amount = dec("4")
	entry, err := payables.Pay(&p, &b)
	if err != nil || b.Status != payables.PartiallyPaid || b.OpenAmount().String() != "6.01" || b.Revision != 2 || p.SupplierID != "sup" {
		t.Fatalf("after 4: %s %s rev %d %v", b.Status, b.OpenAmount(), b.Revision, err)
	}
	if entry.Kind != ledger.KindSupplierPayment || entry.Lines[0].Account != ledger.AccountsPayable || entry.Lines[1].Account != ledger.Cash {
		t.Errorf("entry = %+v", entry)
	}
	p.Amount.Amount = dec("6.01")
	if _, err := payables.Pay(&p, &b); err != nil || b.Status != payables.Paid {
		t.Errorf("paid in full: %s %v", b.Status, err)
	}
}

func TestValidateNew(t *testing.T) {
	b := bill("1", payables.BillLine{LineNumber: 1, Quantity: dec("0")}, payables.BillLine{LineNumber: 1, Quantity: dec("1")})
	b.SupplierInvoiceNumber = ""
	b.DueDate = time.Date(2029, 1, 1, 0, 0, 0, 0, time.UTC)
	err := payables.ValidateNew(b)
	var e *errs.Error
	if !errors.As(err, &e) {
		t.Fatalf("invalid bill: %v", err)
	}
	got := map[string]bool{}
	for _, v := range e.Violations {
		got[v.Field] = true
	}
	for _, f := range []string{"supplier_invoice_number", "due_date", "tax_rate", "lines[0].quantity", "lines[1].line_number"} {
		if !got[f] {
			t.Errorf("no violation of %s: %v", f, e.Violations)
		}
	}
}

func TestReversePayment(t *testing.T) {
	o := order()
	b := bill("0", payables.BillLine{LineNumber: 2, Quantity: dec("3")}) // 10.01
	if _, _, err := payables.Build(&b, o); err != nil {
		t.Fatal(err)
	}
	p := payables.Payment{ID: "p", BillID: "b", Amount: money.Money{Currency: "EUR", Amount: dec("10.01")}}
	paid, err := payables.Pay(&p, &b)
	if err != nil || b.Status != payables.Paid {
		t.Fatalf("pay: %s %v", b.Status, err)
	}
	paid.ID = "e1"
	out, err := payables.ReversePayment(&p, &b, "bounced", []ledger.Entry{paid})
	if err != nil || !p.Reversed || p.ReverseReason != "bounced" || b.Status != payables.Open || !b.Paid.IsZero() || b.Revision != 3 {
		t.Fatalf("reversed: %+v bill %s paid %s rev %d %v", p, b.Status, b.Paid, b.Revision, err)
	}
	if len(out) != 1 || out[0].Kind != ledger.KindSupplierPaymentReversal || out[0].ReversesID != "e1" ||
		out[0].Lines[0].Account != ledger.AccountsPayable || !out[0].Lines[0].Credit.Equal(dec("10.01")) ||
		out[0].Lines[1].Account != ledger.Cash || !out[0].Lines[1].Debit.Equal(dec("10.01")) {
		t.Errorf("reversal entries = %+v", out)
	}
	if _, err := payables.ReversePayment(&p, &b, "again", []ledger.Entry{paid}); !errors.Is(err, errs.ErrFailedPrecondition) || b.Revision != 3 {
		t.Errorf("reversed twice: %v (bill revision %d)", err, b.Revision)
	}
}
