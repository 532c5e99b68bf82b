package report

import (
	"testing"

	"github.com/shopspring/decimal"
)

func TestTotalOfRoundsWeightedOnce(t *testing.T) {
	d := decimal.RequireFromString
	// Two deals of 0.05 EUR at 50 %: 0.025 + 0.025 = 0.05, not 0.03 + 0.03.
	got := TotalOf(Sums{Currency: "EUR", Count: 2, Amount: d("0.10"), AmountTimesProbability: d("5.00")})
	if got.Weighted.String() != "0.05 EUR" || got.Amount.String() != "0.10 EUR" || got.Count != 2 {
		t.Fatalf("%+v", got)
	}
	got = TotalOf(Sums{Currency: "JPY", Count: 1, Amount: d("999"), AmountTimesProbability: d("16983")})
	if got.Weighted.String() != "170 JPY" {
		t.Fatalf("%+v", got)
	}
}

func TestRate(t *testing.T) {
	for _, tc := range []struct {
		part, whole int64
		want        string
	}{{2, 3, "0.6667"}, {1, 3, "0.3333"}, {0, 0, "0.0000"}, {5, 5, "1.0000"}} {
		if got := Rate(tc.part, tc.whole).StringFixed(4); got != tc.want {
			t.Errorf("%d/%d = %s, want %s", tc.part, tc.whole, got, tc.want)
		}
	}
}
