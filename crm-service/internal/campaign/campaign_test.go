package campaign

import (
	"testing"

	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/platform/money"
)

func TestCostPerWonDeal(t *testing.T) {
	eur := &money.Money{Currency: "EUR", Amount: decimal.RequireFromString("1000")}
	jpy := &money.Money{Currency: "JPY", Amount: decimal.RequireFromString("1000")}
	for _, tc := range []struct {
		budget *money.Money
		won    int64
		want   string
	}{
		{eur, 3, "333.33 EUR"},
		{&money.Money{Currency: "EUR", Amount: decimal.RequireFromString("0.05")}, 2, "0.03 EUR"}, // half away from zero
		{jpy, 3, "333 JPY"},
		{eur, 1, "1000.00 EUR"},
	} {
		got := CostPerWonDeal(tc.budget, tc.won)
		if got == nil || got.String() != tc.want {
			t.Errorf("%v / %d = %v, want %s", tc.budget, tc.won, got, tc.want)
		}
	}
	if CostPerWonDeal(eur, 0) != nil || CostPerWonDeal(nil, 3) != nil {
		t.Error("cost without budget or won deal")
	}
}

func TestApplyDates(t *testing.T) {
	var c Campaign
	if err := (Input{Name: "x", StartDate: "2031-01-02", EndDate: "2031-01-02", Status: StatusPlanned}).apply(&c, MutableFields); err != nil {
		t.Fatal(err)
	}
	if err := (Input{EndDate: "2031-01-01"}).apply(&c, []Field{FieldEndDate}); err == nil {
		t.Fatal("end before start accepted")
	}
	if err := (Input{}).apply(&c, []Field{FieldStatus}); err == nil {
		t.Fatal("empty status accepted")
	}
}
