package ledger

import (
	"testing"

	"github.com/shopspring/decimal"
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestTransferAndReverse(t *testing.T) {
	t.Parallel()
	if _, ok := Transfer(KindReceipt, "r", "EUR", Inventory, AccountsPayable, decimal.Zero); ok {
		t.Error("a zero transfer posts an entry")
	}
	e, ok := Transfer(KindShipment, "shipments/1", "EUR", CostOfGoodsSold, Inventory, d("12.30"))
	if !ok || e.Check() != nil || e.Lines[0].Account != CostOfGoodsSold || !e.Lines[0].Debit.Equal(d("12.3")) || !e.Lines[1].Credit.Equal(d("12.3")) {
		t.Errorf("transfer = %+v", e)
	}
	neg, _ := Transfer(KindReceipt, "r", "EUR", Inventory, AccountsPayable, d("-5"))
	if neg.Lines[0].Account != AccountsPayable || !neg.Lines[0].Debit.Equal(d("5")) || neg.Check() != nil {
		t.Errorf("negative transfer = %+v", neg)
	}
	e.ID = "e1"
	r := e.Reverse("reversal", "x")
	if r.ReversesID != "e1" || r.Lines[0].Account != CostOfGoodsSold || !r.Lines[0].Credit.Equal(d("12.3")) || r.Check() != nil {
		t.Errorf("reverse = %+v", r)
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	z := decimal.Zero
	for name, e := range map[string]Entry{
		"one line":   {Lines: []Line{{Account: Cash, Debit: d("1"), Credit: z}}},
		"unbalanced": {Lines: []Line{{Account: Cash, Debit: d("1"), Credit: z}, {Account: Revenue, Debit: z, Credit: d("0.99")}}},
		"both sides": {Lines: []Line{{Account: Cash, Debit: d("1"), Credit: d("1")}, {Account: Revenue, Debit: d("1"), Credit: d("1")}}},
		"no side":    {Lines: []Line{{Account: Cash, Debit: z, Credit: z}, {Account: Revenue, Debit: z, Credit: z}}},
		"negative":   {Lines: []Line{{Account: Cash, Debit: d("-1"), Credit: z}, {Account: Revenue, Debit: d("-1"), Credit: z}}},
	} {
		if e.Check() == nil {
			t.Errorf("%s: Check passed", name)
		}
	}
	ok := Entry{Lines: []Line{
		{Account: AccountsReceivable, Debit: d("119"), Credit: z},
		{Account: Revenue, Debit: z, Credit: d("100")},
		{Account: TaxPayable, Debit: z, Credit: d("19")},
	}}
	if err := ok.Check(); err != nil {
		t.Error(err)
	}
}

func TestTotals(t *testing.T) {
	t.Parallel()
	rows := []BalanceRow{
		{Account: Inventory, Currency: "EUR", Debit: d("10"), Credit: d("4")},
		{Account: Inventory, Currency: "JPY", Debit: d("100"), Credit: d("0")},
		{Account: CostOfGoodsSold, Currency: "EUR", Debit: d("4"), Credit: d("0")},
		{Account: AccountsPayable, Currency: "EUR", Debit: d("0"), Credit: d("10")},
	}
	got := Totals(rows)
	if len(got) != 2 || got[0].Currency != "EUR" || !got[0].Debit.Equal(d("14")) || !got[0].Credit.Equal(d("14")) || !got[1].Debit.Equal(d("100")) {
		t.Errorf("totals = %+v", got)
	}
	if !rows[0].Balance().Equal(d("6")) {
		t.Errorf("balance = %s", rows[0].Balance())
	}
}
