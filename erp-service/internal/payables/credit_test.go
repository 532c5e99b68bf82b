package payables_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/erp-service/internal/ledger"
	"github.com/seamhq/seam/erp-service/internal/payables"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/money"
)

// creditDay is the date of the test credit notes, and creditNow a time
// on it: the credit notes are of today.
var (
	creditDay = time.Date(2030, 1, 5, 0, 0, 0, 0, time.UTC)
	creditNow = creditDay.Add(15 * time.Hour)
)

func credit(lines ...payables.NewCreditLine) payables.NewCreditNote {
	return payables.NewCreditNote{ID: "c", BillID: "b", Reason: "dispute", CreditDate: creditDay, Lines: lines}
}

// accounts sums an entry's lines per account, debits positive.
func accounts(e ledger.Entry) map[string]string {
	sums := map[string]decimal.Decimal{}
	for _, l := range e.Lines {
		sums[l.Account] = sums[l.Account].Add(l.Debit).Sub(l.Credit)
	}
	out := map[string]string{}
	for a, d := range sums {
		out[a] = d.String()
	}
	return out
}

// Tax credited rounds cumulatively over the bill's credits, never past
// the bill's tax, and all of it once the whole subtotal is credited:
// three returns of one unit at 3.335 (a bill of 10.01, tax 1.90 at 19 %)
// credit 0.63, 0.64 (round(6.67 x 0.19) - 0.63) and the 0.63 left.
func TestCreditTaxRoundsCumulatively(t *testing.T) {
	o := order()
	b := bill("0.19", payables.BillLine{LineNumber: 2, Quantity: dec("3")})
	if _, _, err := payables.Build(&b, o); err != nil {
		t.Fatal(err)
	}
	if b.Subtotal.String() != "10.01" || b.Tax.String() != "1.9" {
		t.Fatalf("bill = %s + %s", b.Subtotal, b.Tax)
	}
	var taxes, nets []string
	for range 3 {
		c, e, ok, billed, err := payables.BuildCreditNote(&b, o, credit(payables.NewCreditLine{LineNumber: 2, Quantity: dec("1")}), creditNow)
		if err != nil || !ok || !billed {
			t.Fatalf("credit = %v, posts %v, billed %v", err, ok, billed)
		}
		taxes, nets = append(taxes, c.Tax.String()), append(nets, c.Subtotal.String())
		if a := accounts(e); a[ledger.InputTax] != c.Tax.Neg().String() {
			t.Errorf("entry %v, want Cr 1300 %s", a, c.Tax)
		}
	}
	if got := []string{taxes[0], taxes[1], taxes[2], nets[0], nets[1], nets[2]}; got[0] != "0.63" || got[1] != "0.64" || got[2] != "0.63" ||
		got[3] != "3.34" || got[4] != "3.33" || got[5] != "3.34" {
		t.Errorf("taxes %v, nets %v", taxes, nets)
	}
	if !b.OpenAmount().IsZero() || b.Status != payables.Paid || !o.Lines[1].Billed.IsZero() || b.CreditedTax.String() != "1.9" {
		t.Errorf("bill open %s status %s credited tax %s, order line billed %s", b.OpenAmount(), b.Status, b.CreditedTax, o.Lines[1].Billed)
	}
}

// A concession posts Dr 2000 / Cr 5100 and its tax Cr 1300; more than
// the bill has open (paid) is refused naming lines.
func TestCreditConcessionAndPaidBill(t *testing.T) {
	o := order()
	b := bill("0.1", payables.BillLine{LineNumber: 2, Quantity: dec("3")})
	if _, _, err := payables.Build(&b, o); err != nil {
		t.Fatal(err)
	}
	a := money.Money{Currency: "EUR", Amount: dec("2.00")}
	c, e, _, billed, err := payables.BuildCreditNote(&b, o, credit(payables.NewCreditLine{LineNumber: 2, Amount: &a}), creditNow)
	if err != nil || billed {
		t.Fatalf("concession = %v, billed %v", err, billed)
	}
	if got := accounts(e); c.Total.String() != "2.2" || got[ledger.AccountsPayable] != "2.2" || got[ledger.PurchasePriceVariance] != "-2" || got[ledger.InputTax] != "-0.2" {
		t.Errorf("concession %s posts %v", c.Total, got)
	}
	b.Paid = b.Total.Sub(b.Credited)
	_, _, _, _, err = payables.BuildCreditNote(&b, o, credit(payables.NewCreditLine{LineNumber: 2, Quantity: dec("1")}), creditNow)
	if e, ok := errors.AsType[*errs.Error](err); !ok || e.Kind != errs.FailedPrecondition || e.Violations[0].Field != "lines" {
		t.Errorf("crediting a paid bill: %v", err)
	}
}

// Bad input names its field.
func TestValidateCreditNote(t *testing.T) {
	neg := money.Money{Currency: "EUR", Amount: dec("-1")}
	n := payables.NewCreditNote{Lines: []payables.NewCreditLine{
		{LineNumber: 0, Quantity: dec("1")}, {LineNumber: 2, Amount: &neg}, {LineNumber: 3, Quantity: dec("-1")},
		{LineNumber: 2, Quantity: dec("1")}, {LineNumber: 4, Quantity: dec("1"), Amount: &neg}}}
	err := payables.ValidateCreditNote(n)
	e, ok := errors.AsType[*errs.Error](err)
	if !ok || e.Kind != errs.InvalidArgument {
		t.Fatalf("err = %v", err)
	}
	got := map[string]bool{}
	for _, v := range e.Violations {
		got[v.Field] = true
	}
	for _, f := range []string{"reason", "lines[0].line_number", "lines[1].amount.amount", "lines[2].quantity", "lines[3].line_number", "lines[4].amount"} {
		if !got[f] {
			t.Errorf("no violation of %s in %v", f, e.Violations)
		}
	}
}

// A credit note's date is the supplier's document's, not before the
// bill's nor after today (UTC), as a customer credit note's: refused
// naming credit_date.
func TestCreditDateNotAfterToday(t *testing.T) {
	o := order()
	b := bill("0.1", payables.BillLine{LineNumber: 2, Quantity: dec("3")})
	if _, _, err := payables.Build(&b, o); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		day  time.Time
		want string
	}{
		{creditDay.AddDate(0, 0, 1), "must not be after today (2030-01-05)"},
		{b.InvoiceDate.AddDate(0, 0, -1), "must not be before 2030-01-01"},
	} {
		n := credit(payables.NewCreditLine{LineNumber: 2, Quantity: dec("1")})
		n.CreditDate = tc.day
		bb := b
		_, _, _, _, err := payables.BuildCreditNote(&bb, o, n, creditNow)
		e, ok := errors.AsType[*errs.Error](err)
		if !ok || e.Kind != errs.InvalidArgument || len(e.Violations) != 1 || e.Violations[0].Field != "credit_date" ||
			!strings.Contains(e.Violations[0].Description, tc.want) {
			t.Errorf("credit dated %s: %v, want INVALID_ARGUMENT on credit_date: %s", tc.day.Format(time.DateOnly), err, tc.want)
		}
	}
	n := credit(payables.NewCreditLine{LineNumber: 2, Quantity: dec("1")})
	if _, _, _, _, err := payables.BuildCreditNote(&b, o, n, creditNow); err != nil {
		t.Errorf("a credit note of today: %v", err)
	}
}
