package planning

import (
	"testing"

	"github.com/shopspring/decimal"
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestSuggested(t *testing.T) {
	tests := []struct {
		p    Position
		want string
	}{
		// projected 5 + 2 - 1 - 0 = 6 >= 6: nothing.
		{Position{Available: d("5"), Incoming: d("2"), Backordered: d("1"), ReorderPoint: d("6"), ReorderQuantity: d("10")}, "0"},
		// projected 5 < 6: the reorder quantity.
		{Position{Available: d("5"), ReorderPoint: d("6"), ReorderQuantity: d("10")}, "10"},
		// projected -20 < 6: 26 brings it back to the reorder point.
		{Position{Available: d("0"), Backordered: d("5"), PipelineDemand: d("15"), ReorderPoint: d("6"), ReorderQuantity: d("10")}, "26"},
		// No reorder settings: only a negative projection suggests.
		{Position{Available: d("0"), Backordered: d("2.5")}, "2.5"},
		{Position{Available: d("0")}, "0"},
	}
	for _, tt := range tests {
		if got := tt.p.Suggested(); got.String() != tt.want {
			t.Errorf("%+v: suggested %s, want %s", tt.p, got, tt.want)
		}
	}
}

func TestValidateDemands(t *testing.T) {
	if err := ValidateDemands([]Demand{{SKU: "A", Quantity: d("1")}, {SKU: "B", Quantity: d("0")}}); err != nil {
		t.Fatal(err)
	}
	if err := ValidateDemands([]Demand{{SKU: "A", Quantity: d("-1")}, {SKU: "A", Quantity: d("1")}, {SKU: "", Quantity: d("1")}}); err == nil {
		t.Fatal("bad demands accepted")
	}
}
