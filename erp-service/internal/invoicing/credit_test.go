package invoicing

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/erp-service/internal/ledger"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/money"
)

func eur(s string) money.Money {
	return money.Money{Currency: "EUR", Amount: decimal.RequireFromString(s)}
}

// A line credited a unit at a time has its tax rounded cumulatively, as
// invoices round theirs, so the credits add up to the line exactly:
// 3 x 10.00 at 33.33 % (10.00 tax) credits 3.33, 3.34 and 3.33.
func TestCreditTaxRoundsCumulatively(t *testing.T) {
	t.Parallel()
	inv := Invoice{ID: "i", Number: "INV-1", Currency: "EUR", Status: Open, IssueDate: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		Lines: []Line{{LineNumber: 1, SKU: "S", Quantity: decimal.NewFromInt(3), UnitPrice: eur("10"), Discount: decimal.Zero,
			TaxRate: decimal.RequireFromString("0.3333"), Net: eur("30"), Tax: eur("10")}},
		Total: eur("40"), Subtotal: eur("30"), TaxTotal: eur("10"), Paid: eur("0"), Credited: eur("0")}
	now := time.Date(2026, 2, 1, 12, 0, 0, 0, time.UTC)
	credited := map[int32]Credited{}
	var taxes []string
	for range 3 {
		n := NewCreditNote{ID: "c", InvoiceID: "i", Reason: "r", Lines: []NewCreditLine{{LineNumber: 1, Quantity: decimal.NewFromInt(1)}}}
		c, e, err := BuildCreditNote(&inv, n, credited, map[string]string{"S": "ea"}, now)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Check(); err != nil || e.Kind != ledger.KindCreditNote || !e.Date.Equal(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("entry = %+v, %v", e, err)
		}
		l := c.Lines[0]
		taxes = append(taxes, l.Tax.Format())
		x := credited[1]
		credited[1] = Credited{Quantity: x.Quantity.Add(l.Quantity), Net: x.Net.Add(l.Net.Amount), Tax: x.Tax.Add(l.Tax.Amount),
			TaxBase: x.TaxBase.Add(l.Net.Amount.Mul(l.TaxRate))}
	}
	if got := taxes[0] + " " + taxes[1] + " " + taxes[2]; got != "3.33 3.34 3.33" {
		t.Errorf("taxes = %s", got)
	}
	if inv.Credited.Format() != "40.00" || inv.Status != CancelledByCredit || inv.OpenAmount().Format() != "0.00" {
		t.Errorf("invoice = %s credited, %s", inv.Credited, inv.Status)
	}
	_, _, err := BuildCreditNote(&inv, NewCreditNote{Reason: "r", Lines: []NewCreditLine{{LineNumber: 1, Quantity: decimal.NewFromInt(1)}}},
		credited, map[string]string{"S": "ea"}, now)
	if errs.KindOf(err) != errs.FailedPrecondition {
		t.Errorf("a fourth unit: %v", err)
	}
}
