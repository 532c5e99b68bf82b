package stock

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/platform/errs"
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestSortLevels(t *testing.T) {
	t.Parallel()
	l := []Level{{Warehouse: "Z"}, {Warehouse: "MAIN"}, {Warehouse: "A"}}
	SortLevels(l)
	if got := fmt.Sprintf("%s %s %s", l[0].Warehouse, l[1].Warehouse, l[2].Warehouse); got != "MAIN A Z" {
		t.Errorf("order = %s", got)
	}
}

func TestReserve(t *testing.T) {
	t.Parallel()
	a := Availability{SKU: "X", OnHand: d("10"), Reserved: d("2"), Warehouses: []Level{
		{Warehouse: "MAIN", OnHand: d("5"), Reserved: d("2")},
		{Warehouse: "B", OnHand: d("5")},
	}}
	changes, got := a.Reserve(d("6.5"), "ref")
	if !got.Equal(d("6.5")) || len(changes) != 2 || !changes[0].ReservedDelta.Equal(d("3")) || changes[1].Warehouse != "B" {
		t.Fatalf("Reserve = %+v, %s", changes, got)
	}
	changes, got = a.Reserve(d("5"), "ref")
	if !got.Equal(d("1.5")) || len(changes) != 1 || !a.Available().IsZero() {
		t.Fatalf("second Reserve = %+v, %s, available %s", changes, got, a.Available())
	}
	if changes, got := a.Reserve(d("1"), "ref"); len(changes) != 0 || !got.IsZero() {
		t.Fatalf("Reserve with nothing available = %+v, %s", changes, got)
	}
}

func TestAdjustmentRules(t *testing.T) {
	t.Parallel()
	a := Adjustment{SKU: "X", Quantity: d("-3"), Reason: " count "}
	if err := PrepareAdjustment(&a); err != nil || a.Warehouse != DefaultWarehouse || a.Reason != "count" {
		t.Fatalf("prepared = %+v, %v", a, err)
	}
	if a.Change().Kind != Adjusted || !a.Change().OnHandDelta.Equal(d("-3")) {
		t.Errorf("change = %+v", a.Change())
	}
	if err := CheckAdjustment(Level{OnHand: d("5"), Reserved: d("2")}, a); err != nil {
		t.Errorf("5-3 >= 2: %v", err)
	}
	if err := CheckAdjustment(Level{OnHand: d("3"), Reserved: d("0")}, a); err != nil {
		t.Errorf("3-3 >= 0: %v", err)
	}
	if err := CheckAdjustment(Level{OnHand: d("5"), Reserved: d("2.5")}, a); !errors.Is(err, errs.ErrFailedPrecondition) {
		t.Errorf("5-3 < 2.5: %v", err)
	}
	if err := CheckAdjustment(Level{}, a); !errors.Is(err, errs.ErrFailedPrecondition) {
		t.Errorf("below zero: %v", err)
	}
	r := Adjustment{Quantity: d("1"), Reason: "Receipt"}
	if r.Change().Kind != Receipt {
		t.Errorf("receipt kind = %s", r.Change().Kind)
	}
	bad := Adjustment{Quantity: decimal.Zero}
	if err := PrepareAdjustment(&bad); !errors.Is(err, errs.ErrInvalidArgument) {
		t.Errorf("zero quantity, no reason: %v", err)
	}
	for code, ok := range map[string]bool{"MAIN": true, "EU-2": true, "main": true, "Eu-2": true, "": false, "-X": false,
		"maın": false} {
		w := Warehouse{Code: code, Name: "n"}
		if err := PrepareWarehouse(&w); (err == nil) != ok {
			t.Errorf("warehouse code %q: %v", code, err)
		}
		if ok && w.Code != strings.ToUpper(code) {
			t.Errorf("warehouse code %q is stored as %q", code, w.Code)
		}
	}
	tr := Transfer{SKU: "A", FromWarehouse: "main", ToWarehouse: "Main", Quantity: d("1")}
	if err := PrepareTransfer(&tr); err == nil || tr.FromWarehouse != "MAIN" {
		t.Errorf("transfer from main to Main: %v, from %q", err, tr.FromWarehouse)
	}
	adj := Adjustment{Warehouse: "east", Quantity: d("1"), Reason: "count"}
	if err := PrepareAdjustment(&adj); err != nil || adj.Warehouse != "EAST" {
		t.Errorf("adjustment in east: %v, warehouse %q", err, adj.Warehouse)
	}
}

// An adjusted or transferred quantity has at most six decimal places and
// is at most 10^12 either way.
func TestQuantityBounds(t *testing.T) {
	t.Parallel()
	for q, ok := range map[string]bool{"0.000001": true, "-1000000000000": true, "5.000000000": true,
		"0.0000001": false, "1000000000001": false, "-1000000000001": false, "-0.0000001": false} {
		a := Adjustment{SKU: "X", Quantity: d(q), Reason: "count"}
		if err := PrepareAdjustment(&a); (err == nil) != ok {
			t.Errorf("adjust %s: %v", q, err)
		}
		if d(q).IsPositive() {
			tr := Transfer{SKU: "X", FromWarehouse: "A", ToWarehouse: "B", Quantity: d(q)}
			if err := PrepareTransfer(&tr); (err == nil) != ok {
				t.Errorf("transfer %s: %v", q, err)
			}
		}
	}
}

// A receipt is stock arriving: a negative one is refused, naming the
// quantity and the reason, whatever the letter case; every other reason
// is a count or correction of either sign.
func TestReceiptsArePositive(t *testing.T) {
	t.Parallel()
	for _, reason := range []string{"receipt", " Receipt ", "RECEIPT"} {
		a := Adjustment{SKU: "X", Quantity: d("-1"), Reason: reason}
		err := PrepareAdjustment(&a)
		var e *errs.Error
		if !errors.As(err, &e) || e.Kind != errs.InvalidArgument || len(e.Violations) != 1 || e.Violations[0].Field != "quantity" ||
			!strings.Contains(e.Violations[0].Description, `reason "`+strings.TrimSpace(reason)+`"`) {
			t.Errorf("receipt of -1 with reason %q: %v, want INVALID_ARGUMENT on quantity naming the reason", reason, err)
		}
	}
	for _, tc := range []struct{ qty, reason string }{
		{"1", "receipt"}, {"-1", "correction"}, {"1", "correction"}, {"-1", "count"}, {"1", "count"},
		{"-1", "damage"}, {"-1", "receipts"}, {"-1", "return to vendor"},
	} {
		a := Adjustment{SKU: "X", Quantity: d(tc.qty), Reason: tc.reason}
		if err := PrepareAdjustment(&a); err != nil {
			t.Errorf("%s with reason %q: %v", tc.qty, tc.reason, err)
		}
	}
}
