package catalog

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/money"
)

func TestSKU(t *testing.T) {
	t.Parallel()
	for s, ok := range map[string]bool{
		"W-1": true, "a.b_c-9": true, strings.Repeat("x", 64): true,
		"": false, "a b": false, "ä": false, "a/b": false, "bad sku/": false, strings.Repeat("x", 65): false,
	} {
		if got := SKUViolation(s); (got == "") != ok {
			t.Errorf("SKUViolation(%q) = %q, want valid %v", s, got, ok)
		}
	}
}

func TestPrepareNewAndApply(t *testing.T) {
	t.Parallel()
	d := decimal.RequireFromString
	it := Item{SKU: "W-1", Name: " Widget ", ListPrice: money.Money{Currency: "EUR", Amount: d("10")}, TaxRate: d("0.19")}
	if err := PrepareNew(&it, nil); err != nil {
		t.Fatal(err)
	}
	if it.Name != "Widget" || it.UnitOfMeasure != "ea" || it.StandardCost.Currency != "EUR" || !it.StandardCost.Amount.IsZero() {
		t.Errorf("prepared = %+v", it)
	}
	cost := money.Money{Currency: "USD", Amount: d("1")}
	bad := Item{SKU: "bad sku", ListPrice: money.Money{Currency: "EUR", Amount: d("-1")}, TaxRate: d("1.5")}
	err := PrepareNew(&bad, &cost)
	var e *errs.Error
	if !errors.As(err, &e) || len(e.Violations) != 5 {
		t.Fatalf("violations = %v", err)
	}

	// A non-zero cost must follow a change of currency explicitly.
	it.StandardCost.Amount = d("4")
	usd := money.Money{Currency: "USD", Amount: d("12")}
	if _, err := Apply(it, Patch{ListPrice: &usd}, []string{"list_price"}); !errors.Is(err, errs.ErrInvalidArgument) {
		t.Errorf("currency change leaving the cost behind: %v", err)
	}
	next, err := Apply(it, Patch{ListPrice: &usd, StandardCost: &cost, Name: "New"}, []string{"list_price", "standard_cost"})
	if err != nil || next.Name != "Widget" || next.StandardCost.Currency != "USD" {
		t.Errorf("Apply = %+v, %v", next, err)
	}
}

// Same sees every field an update may change: an update that Same took
// for no change would write nothing and still answer success.
func TestSameSeesEveryUpdatableField(t *testing.T) {
	t.Parallel()
	d := decimal.RequireFromString
	eur := func(s string) *money.Money { return &money.Money{Currency: "EUR", Amount: d(s)} }
	base := Item{SKU: "W-1", Name: "Widget", ListPrice: *eur("10"), TaxRate: d("0.19")}
	if err := PrepareNew(&base, eur("4")); err != nil {
		t.Fatal(err)
	}
	changes := map[string]Patch{
		"name": {Name: "Other"}, "unit_of_measure": {UnitOfMeasure: "kg"}, "list_price": {ListPrice: eur("11")},
		"standard_cost": {StandardCost: eur("5")}, "tax_rate": {TaxRate: d("0.07")},
		"reorder_point": {ReorderPoint: d("3")}, "reorder_quantity": {ReorderQuantity: d("9")},
	}
	for _, f := range UpdatableFields {
		p, ok := changes[f]
		if !ok {
			t.Errorf("no change written for updatable field %s", f)
			continue
		}
		next, err := Apply(base, p, []string{f})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if next.Same(base) {
			t.Errorf("changing %s is no change to Same", f)
		}
	}
	same, err := Apply(base, Patch{ListPrice: eur("10.00")}, []string{"list_price"})
	if err != nil || !same.Same(base) {
		t.Errorf("10.00 for 10 is a change to Same: %v", err)
	}
}

func TestCheckCostCurrency(t *testing.T) {
	t.Parallel()
	d := decimal.RequireFromString
	eur := Item{SKU: "W-1", ListPrice: money.Money{Currency: "EUR", Amount: d("10")}, StandardCost: money.Money{Currency: "EUR", Amount: d("1")}}
	cheaper, usd, zeroUSD := eur, eur, eur
	cheaper.StandardCost.Amount = d("0.5")
	usd.ListPrice.Currency, usd.StandardCost.Currency = "USD", "USD"
	zeroUSD.ListPrice.Currency, zeroUSD.StandardCost = "USD", money.Zero("USD")
	for _, tc := range []struct {
		name    string
		next    Item
		onHand  string
		refused bool
	}{
		{"new amount, stock on hand", cheaper, "10", false},
		{"new currency, no stock", usd, "0", false},
		{"new currency, stock on hand", usd, "10", true},
		{"new currency, a fraction on hand", usd, "0.001", true},
		// A zero cost following the list price is a new currency too.
		{"zero cost in a new currency, stock on hand", zeroUSD, "10", true},
	} {
		err := CheckCostCurrency(eur, tc.next, d(tc.onHand))
		if !tc.refused {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		var e *errs.Error
		if !errors.As(err, &e) || e.Kind != errs.FailedPrecondition || len(e.Violations) != 1 || e.Violations[0].Field != "standard_cost" ||
			!strings.Contains(e.Message, "bring the stock to zero first") {
			t.Errorf("%s: %v, want FAILED_PRECONDITION naming standard_cost", tc.name, err)
		}
	}
}

// Reorder point and quantity follow the quantity rule on create and update:
// at most 10^12 and 6 decimal places, each refused on its own field.
func TestReorderSettingsQuantityRule(t *testing.T) {
	t.Parallel()
	d := decimal.RequireFromString
	it := Item{SKU: "W-1", Name: "Widget", UnitOfMeasure: "kg", ListPrice: money.Money{Currency: "EUR", Amount: d("10")},
		ReorderPoint: d("1000000000000"), ReorderQuantity: d("0.123456")}
	if err := PrepareNew(&it, nil); err != nil {
		t.Fatalf("settings within the rule: %v", err)
	}
	fields := func(err error) []string {
		var e *errs.Error
		if !errors.As(err, &e) || !errors.Is(err, errs.ErrInvalidArgument) {
			t.Fatalf("want INVALID_ARGUMENT, got %v", err)
		}
		var out []string
		for _, fv := range e.Violations {
			out = append(out, fv.Field)
		}
		return out
	}
	bad := it
	bad.ReorderPoint, bad.ReorderQuantity = d("1000000000000.5"), d("0.0000001")
	if got := fields(PrepareNew(&bad, nil)); !slices.Equal(got, []string{"reorder_point", "reorder_quantity"}) {
		t.Errorf("create: fields %v", got)
	}
	_, err := Apply(it, Patch{ReorderPoint: d("0.0000001"), ReorderQuantity: d("2000000000000")}, []string{"reorder_point", "reorder_quantity"})
	if got := fields(err); !slices.Equal(got, []string{"reorder_point", "reorder_quantity"}) {
		t.Errorf("update: fields %v", got)
	}
}

// A standard cost is a unit cost: up to 6 decimal places, finer than the
// currency's minor unit; a list price keeps the minor unit.
func TestStandardCostPlaces(t *testing.T) {
	t.Parallel()
	d := decimal.RequireFromString
	for cost, ok := range map[string]bool{"0.0125": true, "0.000001": true, "2.50": true, "0.0000001": false} {
		it := Item{SKU: "S-1", Name: "Screw", ListPrice: money.Money{Currency: "EUR", Amount: d("0.05")}}
		c := money.Money{Currency: "EUR", Amount: d(cost)}
		err := PrepareNew(&it, &c)
		var e *errs.Error
		switch {
		case ok && err != nil:
			t.Errorf("standard cost %s: %v", cost, err)
		case !ok && (!errors.As(err, &e) || len(e.Violations) != 1 || e.Violations[0].Field != "standard_cost.amount"):
			t.Errorf("standard cost %s: %v, want a violation of standard_cost.amount", cost, err)
		}
	}
}

// The reorder point and quantity of an item counted in a count unit are
// whole numbers, like the purchase orders they suggest: refused on their
// own fields when new, or when the item comes to be counted; one stored
// before the rule does not hold off updates of other fields.
func TestReorderSettingsWholeForCountUnits(t *testing.T) {
	t.Parallel()
	d := decimal.RequireFromString
	fields := func(err error) []string {
		t.Helper()
		var e *errs.Error
		if !errors.As(err, &e) || !errors.Is(err, errs.ErrInvalidArgument) {
			t.Fatalf("want INVALID_ARGUMENT, got %v", err)
		}
		var out []string
		for _, fv := range e.Violations {
			out = append(out, fv.Field)
			if !strings.Contains(fv.Description, "not a whole number") {
				t.Errorf("%s: %q, want it to say the quantity is not whole", fv.Field, fv.Description)
			}
		}
		return out
	}
	price := money.Money{Currency: "EUR", Amount: d("10")}
	bad := Item{SKU: "B-1", Name: "Boxed", UnitOfMeasure: "Box", ListPrice: price, ReorderPoint: d("2.5"), ReorderQuantity: d("0.5")}
	if got := fields(PrepareNew(&bad, nil)); !slices.Equal(got, []string{"reorder_point", "reorder_quantity"}) {
		t.Errorf("create: fields %v", got)
	}
	// The default unit (ea) counts.
	bad = Item{SKU: "B-2", Name: "Each", ListPrice: price, ReorderQuantity: d("1.5")}
	if got := fields(PrepareNew(&bad, nil)); !slices.Equal(got, []string{"reorder_quantity"}) {
		t.Errorf("create in the default unit: fields %v", got)
	}
	ok := Item{SKU: "B-3", Name: "Boxed", UnitOfMeasure: "box", ListPrice: price, ReorderPoint: d("3.000"), ReorderQuantity: d("12")}
	if err := PrepareNew(&ok, nil); err != nil {
		t.Fatalf("whole settings: %v", err)
	}
	if _, err := Apply(ok, Patch{ReorderPoint: d("2.5")}, []string{"reorder_point"}); !slices.Equal(fields(err), []string{"reorder_point"}) {
		t.Errorf("update: %v", err)
	}

	// Weighed: any quantity; counted from then on: the settings must be whole.
	kg := Item{SKU: "K-1", Name: "Flour", UnitOfMeasure: "kg", ListPrice: price, ReorderPoint: d("2.5"), ReorderQuantity: d("10")}
	if err := PrepareNew(&kg, nil); err != nil {
		t.Fatalf("fractional settings in kg: %v", err)
	}
	if _, err := Apply(kg, Patch{UnitOfMeasure: "ea"}, []string{"unit_of_measure"}); !slices.Equal(fields(err), []string{"reorder_point"}) {
		t.Errorf("to a count unit: %v", err)
	}
	if got, err := Apply(kg, Patch{UnitOfMeasure: "KG"}, []string{"unit_of_measure"}); err != nil || got.UnitOfMeasure != "KG" {
		t.Errorf("relabel = %+v, %v", got, err)
	}

	// Stored before the rule: other fields still change.
	old := kg
	old.UnitOfMeasure = "ea"
	if got, err := Apply(old, Patch{Name: "Flour bags"}, []string{"name"}); err != nil || got.Name != "Flour bags" {
		t.Errorf("rename of an item stored with a fractional reorder point = %+v, %v", got, err)
	}
}
