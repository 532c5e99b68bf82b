package planning

import (
	"errors"
	"slices"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/platform/errs"
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

// Demands follow the quantity rule: at most 10^12 and 6 decimal places,
// each refused on its own field.
func TestValidateDemandsQuantityRule(t *testing.T) {
	ok := []Demand{{SKU: "A", Quantity: d("1000000000000")}, {SKU: "B", Quantity: d("0.123456")}, {SKU: "C", Quantity: d("2.5000000")}}
	if err := ValidateDemands(ok); err != nil {
		t.Fatalf("demands within the rule: %v", err)
	}
	err := ValidateDemands([]Demand{{SKU: "A", Quantity: d("1")}, {SKU: "B", Quantity: d("1000000000000.000001")}, {SKU: "C", Quantity: d("0.1234567")}})
	var e *errs.Error
	if !errors.As(err, &e) || !errors.Is(err, errs.ErrInvalidArgument) {
		t.Fatalf("oversized and too fine demands: %v", err)
	}
	var fields []string
	for _, fv := range e.Violations {
		fields = append(fields, fv.Field)
	}
	if want := []string{"demands[1].quantity", "demands[2].quantity"}; !slices.Equal(fields, want) {
		t.Errorf("fields = %v, want %v", fields, want)
	}
}
