package report

import (
	"fmt"
	"slices"
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

// The store's rows per owner, month and currency make one row per owner
// and month: counts and cycle over every currency, amounts per currency
// (only those with such deals), never summed across currencies.
func TestOwnersMergesCurrencies(t *testing.T) {
	d := decimal.RequireFromString
	got := Owners([]OwnerRow{
		{Owner: "ana", Month: "2030-11", Currency: "EUR", Won: 2, Lost: 1, WonCycleSeconds: d("172800"), WonAmount: d("90.00"), LostAmount: d("5.00")},
		{Owner: "ana", Month: "2030-11", Currency: "USD", Won: 1, WonCycleSeconds: d("86400"), WonAmount: d("1000.00"), LostAmount: d("0")},
		{Owner: "ana", Month: "2030-12", Currency: "JPY", Lost: 1, WonAmount: d("0"), LostAmount: d("999")},
		{Owner: "bo", Month: "2030-11", Currency: "EUR", Won: 1, WonCycleSeconds: d("43200"), WonAmount: d("0.00"), LostAmount: d("0")},
	})
	var lines []string
	for _, o := range got {
		avg := ""
		if o.AverageCycleDays != nil {
			avg = o.AverageCycleDays.StringFixed(2)
		}
		lines = append(lines, fmt.Sprintf("%s %s %d %d %s %s %v %v", o.Owner, o.Month, o.Won, o.Lost, o.WinRate.StringFixed(4), avg, o.WonAmounts, o.LostAmounts))
	}
	want := []string{
		"ana 2030-11 3 1 0.7500 1.00 [90.00 EUR 1000.00 USD] [5.00 EUR]",
		"ana 2030-12 0 1 0.0000  [] [999 JPY]",
		"bo 2030-11 1 0 1.0000 0.50 [0.00 EUR] []",
	}
	if !slices.Equal(lines, want) {
		t.Errorf("got  %q\nwant %q", lines, want)
	}
}
