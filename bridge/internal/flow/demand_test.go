package flow

import (
	"testing"

	"github.com/shopspring/decimal"
)

// The weighted demand sent is within the ERP's quantity rule: 6 decimal
// places, at most 10^12.
func TestDemandQuantity(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"3.33333333":       "3.333333",
		"0.00000051":       "0.000001",
		"12.5":             "12.5",
		"1000000000000":    "1000000000000",
		"1000000000000.01": "1000000000000",
		"2500000000000.5":  "1000000000000",
	} {
		if got := demandQuantity(decimal.RequireFromString(in)); got.String() != want {
			t.Errorf("demandQuantity(%s) = %s, want %s", in, got, want)
		}
	}
}
