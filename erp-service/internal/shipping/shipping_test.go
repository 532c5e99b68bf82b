package shipping

import (
	"errors"
	"fmt"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/erp-service/internal/sales"
	"github.com/seamhq/seam/erp-service/internal/stock"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/money"
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func fields(err error) []string {
	var e *errs.Error
	if !errors.As(err, &e) {
		return nil
	}
	var out []string
	for _, v := range e.Violations {
		out = append(out, v.Field)
	}
	return out
}

func TestValidateNew(t *testing.T) {
	t.Parallel()
	err := ValidateNew(NewShipment{Lines: []Request{{LineNumber: 1, Quantity: d("1")}, {LineNumber: 1, Quantity: d("0")}, {LineNumber: 0, Quantity: d("-1")}}})
	want := "[sales_order_id lines[1].line_number lines[1].quantity lines[2].line_number lines[2].quantity]"
	if got := fmt.Sprint(fields(err)); got != want {
		t.Errorf("violations = %s, want %s", got, want)
	}
	if err := ValidateNew(NewShipment{OrderID: "x"}); err != nil {
		t.Errorf("no lines: %v", err)
	}
}

func TestShip(t *testing.T) {
	t.Parallel()
	newOrder := func() *sales.Order {
		return &sales.Order{ID: "o", Number: "SO-1", Status: sales.Confirmed, Revision: 2, Lines: []sales.Line{
			{Number: 1, SKU: "A", Quantity: d("5"), Reserved: d("5"), Backordered: d("0"), Shipped: d("0")},
			{Number: 2, SKU: "B", Quantity: d("2"), Reserved: d("1"), Backordered: d("1"), Shipped: d("0")},
		}}
	}
	held := []sales.Held{{SKU: "A", Warehouse: "WEST", Quantity: d("2")}, {SKU: "A", Warehouse: "MAIN", Quantity: d("3")}, {SKU: "B", Warehouse: "MAIN", Quantity: d("1")}}
	avail := func() map[string]*stock.Availability {
		return map[string]*stock.Availability{
			"A": {SKU: "A", OnHand: d("5"), Reserved: d("5"), Warehouses: []stock.Level{{Warehouse: "MAIN", OnHand: d("3"), Reserved: d("3")}, {Warehouse: "WEST", OnHand: d("2"), Reserved: d("2")}}},
			"B": {SKU: "B", OnHand: d("1"), Reserved: d("1"), Warehouses: []stock.Level{{Warehouse: "MAIN", OnHand: d("1"), Reserved: d("1")}}},
		}
	}
	costs := map[string]Cost{"A": {Currency: "KWD", Amount: d("0.3335")}, "B": {Currency: "EUR", Amount: d("2")}}

	o, av := newOrder(), avail()
	s := Shipment{ID: "s"}
	changes, entries, err := Ship(&s, NewShipment{OrderID: "o", Lines: []Request{{LineNumber: 1, Quantity: d("4")}}}, o, held, av, costs)
	if err != nil {
		t.Fatal(err)
	}
	// MAIN first (3), then WEST (1); KWD costs round to 3 places, by the
	// stock value each take removes: 5 x 0.3335 = 1.668 before, 0.667 after
	// MAIN's 3 (1.001), 0.334 after WEST's 1 (0.333).
	if len(changes) != 2 || changes[0].Warehouse != "MAIN" || !changes[0].OnHandDelta.Equal(d("-3")) || !changes[0].ReservedDelta.Equal(d("-3")) ||
		changes[1].Warehouse != "WEST" || changes[0].Kind != stock.Shipped || changes[0].Reason != "shipments/s" {
		t.Errorf("changes = %+v", changes)
	}
	if len(s.Lines) != 2 || s.Lines[0].Warehouse != "MAIN" || s.Lines[0].Cost.String() != "1.001 KWD" || s.Lines[1].Cost.String() != "0.333 KWD" {
		t.Errorf("lines = %+v", s.Lines)
	}
	if len(entries) != 1 || entries[0].Currency != "KWD" || !entries[0].Lines[0].Debit.Equal(d("1.334")) || entries[0].Check() != nil {
		t.Errorf("entries = %+v", entries)
	}
	if o.Status != sales.PartiallyShipped || o.Revision != 3 || !o.Lines[0].Reserved.Equal(d("1")) || !o.Lines[0].Shipped.Equal(d("4")) {
		t.Errorf("order = %+v", o)
	}
	if !av["A"].OnHand.Equal(d("1")) || !av["A"].Reserved.Equal(d("1")) {
		t.Errorf("availability = %+v", av["A"])
	}

	// Too much on line 2: FAILED_PRECONDITION naming it; nothing changes.
	o = newOrder()
	_, _, err = Ship(&Shipment{ID: "s"}, NewShipment{Lines: []Request{{LineNumber: 1, Quantity: d("1")}, {LineNumber: 2, Quantity: d("1.5")}}}, o, held, avail(), costs)
	if !errors.Is(err, errs.ErrFailedPrecondition) || fmt.Sprint(fields(err)) != "[lines[1].quantity]" || o.Revision != 2 {
		t.Errorf("over-shipping: %v", err)
	}
	_, _, err = Ship(&Shipment{}, NewShipment{Lines: []Request{{LineNumber: 3, Quantity: d("1")}}}, newOrder(), held, avail(), costs)
	if !errors.Is(err, errs.ErrInvalidArgument) || fmt.Sprint(fields(err)) != "[lines[0].line_number]" {
		t.Errorf("unknown line: %v", err)
	}
	for _, st := range []sales.Status{sales.Draft, sales.Cancelled, sales.Shipped} {
		o := newOrder()
		o.Status = st
		if _, _, err := Ship(&Shipment{}, NewShipment{}, o, held, avail(), costs); !errors.Is(err, errs.ErrFailedPrecondition) {
			t.Errorf("shipping a %s order: %v", st, err)
		}
	}

	// Everything reserved; a zero cost posts nothing in that currency.
	o = newOrder()
	o.Lines[1].Reserved, o.Lines[1].Backordered = d("2"), d("0")
	held2 := append(held[:2:2], sales.Held{SKU: "B", Warehouse: "MAIN", Quantity: d("2")})
	av = avail()
	av["B"] = &stock.Availability{SKU: "B", OnHand: d("2"), Reserved: d("2"), Warehouses: []stock.Level{{Warehouse: "MAIN", OnHand: d("2"), Reserved: d("2")}}}
	costs["B"] = money.Zero("EUR")
	s = Shipment{ID: "s2"}
	_, entries, err = Ship(&s, NewShipment{}, o, held2, av, costs)
	if err != nil || o.Status != sales.Shipped || len(entries) != 1 || len(s.Lines) != 3 {
		t.Errorf("ship all: %v, %s, entries %+v, lines %+v", err, o.Status, entries, s.Lines)
	}
}

// A shipped quantity has at most six decimal places and is at most 10^12.
func TestValidateNewQuantityBounds(t *testing.T) {
	t.Parallel()
	err := ValidateNew(NewShipment{OrderID: "x", Lines: []Request{
		{LineNumber: 1, Quantity: d("0.0000001")}, {LineNumber: 2, Quantity: d("1000000000001")}, {LineNumber: 3, Quantity: d("1.500000000")},
	}})
	if got, want := fmt.Sprint(fields(err)), "[lines[0].quantity lines[1].quantity]"; got != want {
		t.Errorf("violations = %s, want %s", got, want)
	}
}
