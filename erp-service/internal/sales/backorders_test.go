package sales

import (
	"testing"

	"github.com/seamhq/seam/erp-service/internal/stock"
)

func TestFillBackorders(t *testing.T) {
	avail := map[string]*stock.Availability{
		"A": {SKU: "A", OnHand: d("5"), Reserved: d("1"), Warehouses: []stock.Level{
			{Warehouse: "MAIN", OnHand: d("2"), Reserved: d("1")}, {Warehouse: "EAST", OnHand: d("3"), Reserved: d("0")}}},
		"B": {SKU: "B", OnHand: d("9"), Reserved: d("0"), Warehouses: []stock.Level{{Warehouse: "MAIN", OnHand: d("9"), Reserved: d("0")}}},
	}
	o := Order{ID: "o1", Status: Confirmed, Revision: 2, Backordered: true, Lines: []Line{
		{Number: 1, SKU: "A", Quantity: d("3"), Reserved: d("0"), Backordered: d("3"), Shipped: d("0")},
		{Number: 2, SKU: "B", Quantity: d("2"), Reserved: d("0"), Backordered: d("2"), Shipped: d("0")},
		{Number: 3, SKU: "A", Quantity: d("4"), Reserved: d("1"), Backordered: d("3"), Shipped: d("0")},
	}}
	// Only SKU A arrived: B's backorder stays although B has stock.
	changes, changed := o.FillBackorders([]string{"A"}, avail)
	if !changed || o.Revision != 3 || !o.Backordered {
		t.Fatalf("changed %v revision %d backordered %v", changed, o.Revision, o.Backordered)
	}
	// 4 available: line 1 takes 3 (1 from MAIN, 2 from EAST), line 3 the last 1.
	if o.Lines[0].Reserved.String() != "3" || !o.Lines[0].Backordered.IsZero() ||
		o.Lines[2].Reserved.String() != "2" || o.Lines[2].Backordered.String() != "2" || o.Lines[1].Backordered.String() != "2" {
		t.Errorf("lines = %+v", o.Lines)
	}
	if len(changes) != 3 || changes[0].Warehouse != "MAIN" || changes[1].Warehouse != "EAST" || changes[0].Reference != "salesOrders/o1" {
		t.Errorf("changes = %+v", changes)
	}
	if a := avail["A"]; !a.Available().IsZero() || a.Reserved.GreaterThan(a.OnHand) {
		t.Errorf("A = %+v", a)
	}
	// Nothing left: no change, no new revision.
	if _, changed := o.FillBackorders([]string{"A"}, avail); changed || o.Revision != 3 {
		t.Errorf("second fill changed %v revision %d", changed, o.Revision)
	}
	// Only confirmed or partially shipped orders are filled.
	for _, st := range []Status{Draft, OnCreditHold, Cancelled, Shipped} {
		other := Order{Status: st, Lines: []Line{{SKU: "B", Quantity: d("1"), Backordered: d("1")}}}
		if _, changed := other.FillBackorders([]string{"B"}, avail); changed {
			t.Errorf("%s order filled", st)
		}
	}
	p := Order{Status: PartiallyShipped, Lines: []Line{{SKU: "B", Quantity: d("3"), Shipped: d("1"), Backordered: d("2")}}}
	if _, changed := p.FillBackorders([]string{"B"}, avail); !changed || p.Backordered || p.Status != PartiallyShipped {
		t.Errorf("partially shipped = %+v", p)
	}
}
