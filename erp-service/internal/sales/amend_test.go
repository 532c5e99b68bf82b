package sales

import (
	"errors"
	"testing"

	"github.com/seamhq/seam/erp-service/internal/stock"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/money"
)

func TestAmend(t *testing.T) {
	eur := func(s string) money.Money { return money.Money{Currency: "EUR", Amount: d(s)} }
	avail := map[string]*stock.Availability{
		"A": {SKU: "A", OnHand: d("10"), Reserved: d("4"), Warehouses: []stock.Level{{Warehouse: "MAIN", OnHand: d("10"), Reserved: d("4")}}},
		"B": {SKU: "B", OnHand: d("1"), Reserved: d("0"), Warehouses: []stock.Level{{Warehouse: "MAIN", OnHand: d("1"), Reserved: d("0")}}},
	}
	o := Order{ID: "o", Number: "SO-1", Status: PartiallyShipped, CurrencyCode: "EUR", Revision: 3,
		Lines: []Line{{Number: 1, SKU: "A", Quantity: d("6"), UnitPrice: eur("10"), Discount: d("0"),
			Reserved: d("4"), Backordered: d("0"), Shipped: d("2"), Invoiced: d("0")}}}
	held := []Held{{SKU: "A", Warehouse: "MAIN", Quantity: d("4")}}
	noLimit := Credit{Currency: "EUR"}

	if err := ValidateAmendment(Amendment{Lines: []AmendLine{{Number: 1, Quantity: d("0")}, {Number: 1, Quantity: d("1")}, {Quantity: d("1")}}}); err == nil {
		t.Fatal("bad amendment accepted")
	}
	below := o
	below.Lines = append([]Line(nil), o.Lines...)
	_, _, err := below.Amend(0, Amendment{Lines: []AmendLine{{Number: 1, Quantity: d("1.5")}}}, nil, held, avail, noLimit)
	var e *errs.Error
	if !errors.As(err, &e) || e.Kind != errs.FailedPrecondition || e.Violations[0].Field != "lines[0].quantity" {
		t.Fatalf("below shipped: %v", err)
	}
	// An existing line takes a new quantity only: another SKU, price or
	// discount is refused with the field, not dropped; echoed values pass.
	other := o
	other.Lines = append([]Line(nil), o.Lines...)
	ten := eur("10")
	_, _, err = other.Amend(0, Amendment{Lines: []AmendLine{{Number: 1, SKU: "A", Quantity: d("6"), UnitPrice: &ten}}}, nil, held, avail, noLimit)
	if err != nil || !other.Lines[0].Quantity.Equal(d("6")) {
		t.Fatalf("echoed line values: %v %+v", err, other.Lines)
	}
	nine := eur("9")
	for _, tc := range []struct {
		line  AmendLine
		field string
	}{
		{AmendLine{Number: 1, SKU: "B", Quantity: d("5")}, "lines[0].sku"},
		{AmendLine{Number: 1, Quantity: d("5"), UnitPrice: &nine}, "lines[0].unit_price"},
		{AmendLine{Number: 1, Quantity: d("5"), Discount: d("50")}, "lines[0].discount_percent"},
	} {
		other := o
		other.Lines = append([]Line(nil), o.Lines...)
		_, _, err := other.Amend(0, Amendment{Lines: []AmendLine{tc.line}}, nil, held, avail, noLimit)
		if !errors.As(err, &e) || e.Kind != errs.InvalidArgument || len(e.Violations) != 1 || e.Violations[0].Field != tc.field {
			t.Errorf("%+v: %v, want a violation of %s", tc.line, err, tc.field)
		}
	}
	// A discount sent as "0" for a discounted line is a change too (not
	// sending one leaves it).
	disc := Order{ID: "x", Status: Draft, CurrencyCode: "EUR", Revision: 1, Lines: []Line{{Number: 1, SKU: "A", Quantity: d("1"),
		UnitPrice: eur("10"), Discount: d("15"), Reserved: d("0"), Backordered: d("0"), Shipped: d("0"), Invoiced: d("0")}}}
	if _, _, err := disc.Amend(0, Amendment{Lines: []AmendLine{{Number: 1, Quantity: d("2"), Discount: d("0"), DiscountSet: true}}},
		nil, nil, avail, noLimit); !errors.As(err, &e) || len(e.Violations) != 1 || e.Violations[0].Field != "lines[0].discount_percent" {
		t.Errorf("discount sent as 0: %v", err)
	}
	if _, _, err := disc.Amend(0, Amendment{Lines: []AmendLine{{Number: 1, Quantity: d("2")}}}, nil, nil, avail, noLimit); err != nil ||
		!disc.Lines[0].Discount.Equal(d("15")) || !disc.Total.Amount.Equal(d("17")) {
		t.Errorf("quantity only: %v %+v", err, disc)
	}
	if _, _, err := o.Amend(1, Amendment{Lines: []AmendLine{{Number: 1, Quantity: d("3")}}}, nil, held, avail, noLimit); !errors.Is(err, errs.ErrAborted) {
		t.Errorf("stale: %v", err)
	}
	// Down to 3 (1 open): 3 of the 4 reserved are released; a new line of
	// B (2 wanted, 1 available) is added at its list price.
	a := Amendment{Lines: []AmendLine{{Number: 1, Quantity: d("3")}, {SKU: "B", Quantity: d("2")}}}
	changes, onHold, err := o.Amend(3, a, map[string]money.Money{"B": eur("5")}, held, avail, noLimit)
	if err != nil || onHold || o.Revision != 4 {
		t.Fatalf("amend: %v %v %+v", onHold, err, o)
	}
	if o.Lines[0].Reserved.String() != "1" || len(o.Lines) != 2 || o.Lines[1].Reserved.String() != "1" ||
		o.Lines[1].Backordered.String() != "1" || !o.Backordered || o.Total.Amount.String() != "40" {
		t.Errorf("lines = %+v total %s", o.Lines, o.Total.Amount)
	}
	if len(changes) != 2 || changes[0].Kind != stock.Release || !changes[0].ReservedDelta.Equal(d("-3")) || changes[1].SKU != "B" {
		t.Errorf("changes = %+v", changes)
	}
	if avail["A"].Reserved.String() != "1" || avail["B"].Reserved.String() != "1" {
		t.Errorf("avail = %+v %+v", avail["A"], avail["B"])
	}
	// Everything down to what shipped: the order is shipped.
	o.Lines[1].Shipped, o.Lines[1].Reserved = d("1"), d("0")
	o.Lines[0].Shipped, o.Lines[0].Reserved = d("3"), d("0")
	if _, _, err := o.Amend(0, Amendment{Lines: []AmendLine{{Number: 2, Quantity: d("1")}}}, nil, nil, avail, noLimit); err != nil || o.Status != Shipped || o.Backordered {
		t.Errorf("down to shipped: %v %+v", err, o)
	}
	// Over the limit: a confirmed order is held, a partially shipped one refused.
	limit := d("50")
	tight := Credit{Currency: "EUR", Limit: &limit}
	c := Order{ID: "c", Status: Confirmed, CurrencyCode: "EUR", Lines: []Line{{Number: 1, SKU: "A", Quantity: d("1"), UnitPrice: eur("10"),
		Discount: d("0"), Reserved: d("1"), Backordered: d("0"), Shipped: d("0"), Invoiced: d("0")}}}
	ch, onHold, err := c.Amend(0, Amendment{Lines: []AmendLine{{Number: 1, Quantity: d("6")}}}, nil,
		[]Held{{SKU: "A", Warehouse: "MAIN", Quantity: d("1")}}, avail, tight)
	if err != nil || !onHold || c.Status != OnCreditHold || len(ch) != 1 || !c.Lines[0].Reserved.IsZero() {
		t.Errorf("over the limit: %v %v %+v", onHold, err, c)
	}
	p := Order{ID: "p", Status: PartiallyShipped, CurrencyCode: "EUR", Lines: []Line{{Number: 1, SKU: "A", Quantity: d("2"), UnitPrice: eur("10"),
		Discount: d("0"), Reserved: d("0"), Backordered: d("1"), Shipped: d("1"), Invoiced: d("0")}}}
	if _, _, err := p.Amend(0, Amendment{Lines: []AmendLine{{Number: 1, Quantity: d("9")}}}, nil, nil, avail, tight); !errors.Is(err, errs.ErrFailedPrecondition) {
		t.Errorf("partially shipped over the limit: %v", err)
	}
	if _, _, err := (&Order{Status: Invoiced}).Amend(0, Amendment{}, nil, nil, avail, noLimit); !errors.Is(err, errs.ErrFailedPrecondition) {
		t.Errorf("invoiced: %v", err)
	}
}

// An amended quantity has at most six decimal places and is at most 10^12.
func TestValidateAmendmentQuantityBounds(t *testing.T) {
	err := ValidateAmendment(Amendment{Lines: []AmendLine{{Number: 1, Quantity: d("0.0000001")}, {Number: 2, Quantity: d("1000000000001")}, {Number: 3, Quantity: d("2.000000000")}}})
	if got, want := fields(t, err), "[lines[0].quantity lines[1].quantity]"; got != want {
		t.Errorf("violations = %s, want %s", got, want)
	}
}
