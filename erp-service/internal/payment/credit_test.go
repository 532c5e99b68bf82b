package payment

import (
	"errors"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/money"
)

// Amounts finer than the currency's minor unit are bad input, in a credit
// application and in a new payment and its allocations; trailing zeros
// are not finer.
func TestAmountsFollowTheCurrency(t *testing.T) {
	m := func(cur, amount string) money.Money {
		return money.Money{Currency: cur, Amount: decimal.RequireFromString(amount)}
	}
	for _, tc := range []struct {
		amount money.Money
		ok     bool
	}{
		{m("JPY", "3000"), true}, {m("JPY", "3000.0"), true}, {m("JPY", "3000.5"), false},
		{m("EUR", "1.25"), true}, {m("EUR", "1.255"), false}, {m("KWD", "1.255"), true}, {m("KWD", "1.2555"), false},
	} {
		err := ValidateCredit([]Allocation{{InvoiceID: "i", Amount: tc.amount}})
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, errs.ErrInvalidArgument)) {
			t.Errorf("ValidateCredit(%s) = %v", tc.amount, err)
		}
		p := Payment{CustomerID: "c", Amount: tc.amount}
		if err := ValidateNew(p); (err == nil) != tc.ok {
			t.Errorf("ValidateNew(payment of %s) = %v", tc.amount, err)
		}
		p = Payment{CustomerID: "c", Amount: m(tc.amount.Currency, "100000"), Allocations: []Allocation{{InvoiceID: "i", Amount: tc.amount}}}
		if err := ValidateNew(p); (err == nil) != tc.ok {
			t.Errorf("ValidateNew(allocation of %s) = %v", tc.amount, err)
		}
	}
}
