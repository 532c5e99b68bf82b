package ledger

import (
	"fmt"
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
	// In currency order, whichever account a currency first appears on
	// (a period's movements need not have every currency on 1000).
	got = Totals([]BalanceRow{
		{Account: Cash, Currency: "KWD", Debit: d("1.234")},
		{Account: Inventory, Currency: "JPY", Debit: d("5")},
		{Account: Inventory, Currency: "EUR", Credit: d("2")},
	})
	if len(got) != 3 || got[0].Currency != "EUR" || got[1].Currency != "JPY" || got[2].Currency != "KWD" {
		t.Errorf("totals = %+v, want EUR, JPY, KWD", got)
	}
}

// A return's entry is its receipt's with the sides swapped: together they
// leave every account at zero.
func TestPurchaseReturn(t *testing.T) {
	for _, tc := range []struct{ standard, purchase, want string }{
		// Bought above standard: the variance debit comes off.
		{"20.00", "20.25", "[1200 0/20 5100 0/0.25 2000 20.25/0]"},
		// Below: the variance credit comes off.
		{"20.00", "15.50", "[1200 0/20 5100 4.5/0 2000 15.5/0]"},
		// An item costed in another currency: each currency's half.
		{"0", "3.00", "[5100 0/3 2000 3/0]"},
		{"3.00", "0", "[1200 0/3 5100 3/0]"},
	} {
		std, pur := d(tc.standard), d(tc.purchase)
		e, ok := PurchaseReturn("purchaseOrders/x", "EUR", std, pur)
		if !ok || e.Kind != KindPurchaseReturn || e.Reference != "purchaseOrders/x" || e.Check() != nil {
			t.Fatalf("%s/%s: %+v %v %v", tc.standard, tc.purchase, e, ok, e.Check())
		}
		var got []string
		sum := map[string]decimal.Decimal{}
		for _, l := range e.Lines {
			got = append(got, fmt.Sprintf("%s %s/%s", l.Account, l.Debit, l.Credit))
			sum[l.Account] = sum[l.Account].Add(l.Debit).Sub(l.Credit)
		}
		if fmt.Sprint(got) != tc.want {
			t.Errorf("%s/%s: %v, want %s", tc.standard, tc.purchase, got, tc.want)
		}
		r, _ := PurchaseReceipt("purchaseOrders/x", "EUR", std, pur)
		for _, l := range r.Lines {
			sum[l.Account] = sum[l.Account].Add(l.Debit).Sub(l.Credit)
		}
		for acct, v := range sum {
			if !v.IsZero() {
				t.Errorf("%s/%s: receipt and return leave %s on %s", tc.standard, tc.purchase, v, acct)
			}
		}
	}
	if _, ok := PurchaseReturn("purchaseOrders/x", "EUR", decimal.Zero, decimal.Zero); ok {
		t.Error("a return of nothing posts")
	}
}
