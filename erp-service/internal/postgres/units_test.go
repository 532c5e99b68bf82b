package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/seamhq/seam/erp-service/internal/catalog"
	"github.com/seamhq/seam/erp-service/internal/postgres"
	"github.com/seamhq/seam/erp-service/internal/purchasing"
	"github.com/seamhq/seam/erp-service/internal/sales"
	"github.com/seamhq/seam/erp-service/internal/shipping"
	"github.com/seamhq/seam/erp-service/internal/stock"
	"github.com/seamhq/seam/platform/money"
)

// An item counted in a count unit (ea, the default) takes whole
// quantities only, wherever a quantity of it is entered; one measured by
// weight (kg) takes fractions. What was stored before stays readable.
func TestCountUnitsTakeWholeQuantities(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	mustItem(t, s, "W-EA", "10")
	kg := catalog.Item{SKU: "W-KG", Name: "Sand", UnitOfMeasure: "kg", ListPrice: eur("2")}
	if err := catalog.PrepareNew(&kg, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateItem(ctx, kg, ""); err != nil {
		t.Fatal(err)
	}
	box := catalog.Item{SKU: "W-BOX", Name: "Screws", UnitOfMeasure: "Box", ListPrice: eur("2")}
	if err := catalog.PrepareNew(&box, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateItem(ctx, box, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateWarehouse(ctx, stock.Warehouse{Code: "EAST", Name: "East"}, ""); err != nil {
		t.Fatal(err)
	}
	mustAdjust(t, s, "W-EA", "MAIN", "10")
	mustAdjust(t, s, "W-KG", "MAIN", "10.5")
	mustAdjust(t, s, "W-BOX", "MAIN", "3.000") // "3.000" is 3

	want := func(what string, err error, fields ...string) {
		t.Helper()
		if got := violations(t, err); fmt.Sprint(got) != fmt.Sprint(fields) {
			t.Fatalf("%s: violations %v, want %v", what, got, fields)
		}
	}

	// Stock adjustments and transfers.
	for _, sku := range []string{"W-EA", "W-BOX"} {
		adj := stock.Adjustment{ID: newID(t), SKU: sku, Warehouse: "MAIN", Quantity: dec("-0.5"), Reason: "count"}
		if err := stock.PrepareAdjustment(&adj); err != nil {
			t.Fatal(err)
		}
		_, err := s.Adjust(ctx, adj, "")
		want("adjustment of "+sku, err, "quantity")
	}
	tr := stock.Transfer{ID: newID(t), SKU: "W-EA", FromWarehouse: "MAIN", ToWarehouse: "EAST", Quantity: dec("0.5")}
	_, err := s.Transfer(ctx, tr, "")
	want("transfer", err, "quantity")
	tr.SKU = "W-KG"
	if _, err := s.Transfer(ctx, tr, ""); err != nil {
		t.Fatalf("transfer of 0.5 kg: %v", err)
	}

	// Sales orders, amendments and shipments.
	c := mustCustomer(t, s, "Acme")
	_, err = s.CreateOrder(ctx, newOrder(c.ID, "", line("W-KG", "0.25"), line("W-EA", "1.5")), newID(t), "")
	want("order", err, "lines[1].quantity")
	o := mustOrder(t, s, newOrder(c.ID, "", line("W-EA", "2"), line("W-KG", "0.5")))
	if _, err := s.ConfirmOrder(ctx, o.ID, 0, ""); err != nil {
		t.Fatal(err)
	}
	_, err = s.AmendOrder(ctx, o.ID, 0, amend(2, "0.75", 1, "2.5"), "")
	want("amendment", err, "lines[1].quantity")
	_, err = s.AmendOrder(ctx, o.ID, 0, amend("W-BOX", "0.5"), "")
	want("amendment adding a line", err, "lines[0].quantity")
	if _, err := s.AmendOrder(ctx, o.ID, 0, amend(2, "0.75", 1, "3.0"), ""); err != nil {
		t.Fatalf("amendment to 3.0 ea and 0.75 kg: %v", err)
	}
	_, err = s.CreateShipment(ctx, shipping.NewShipment{OrderID: o.ID, Lines: ship(2, "0.25", 1, "0.5")}, newID(t), "")
	want("shipment", err, "lines[1].quantity")
	if _, err := s.CreateShipment(ctx, shipping.NewShipment{OrderID: o.ID, Lines: ship(2, "0.25", 1, "1")}, newID(t), ""); err != nil {
		t.Fatalf("shipment of 0.25 kg and 1 ea: %v", err)
	}

	// Purchase orders, receipts and returns.
	sup := mustSupplier(t, s, "Parts")
	expected := time.Now().UTC().Truncate(24 * time.Hour)
	pl := func(sku, qty string) purchasing.Line {
		return purchasing.Line{SKU: sku, Quantity: dec(qty), UnitCost: dec("1"), ExpectedDate: expected}
	}
	_, err = s.CreatePurchaseOrder(ctx, purchasing.Order{ID: newID(t), SupplierID: sup.ID,
		Lines: []purchasing.Line{pl("W-KG", "1.5"), pl("W-EA", "0.5")}}, "")
	want("purchase order", err, "lines[1].quantity")
	po := orderedPO(t, s, pl("W-KG", "1.5"), pl("W-EA", "4"))
	_, err = s.ReceivePurchaseOrder(ctx, po.ID, "", []purchasing.ReceiptLine{rl(1, "1.5"), rl(2, "1.5")}, "")
	want("receipt", err, "lines[1].quantity")
	if _, err := s.ReceivePurchaseOrder(ctx, po.ID, "", []purchasing.ReceiptLine{rl(1, "1.5"), rl(2, "4")}, ""); err != nil {
		t.Fatalf("receipt of 1.5 kg and 4 ea: %v", err)
	}
	_, err = s.ReturnPurchaseOrder(ctx, po.ID, "", []purchasing.ReceiptLine{rl(2, "0.5"), rl(1, "0.5")}, "", "")
	want("return", err, "lines[0].quantity")
	if _, err := s.ReturnPurchaseOrder(ctx, po.ID, "", []purchasing.ReceiptLine{rl(2, "1"), rl(1, "0.5")}, "", ""); err != nil {
		t.Fatalf("return of 1 ea and 0.5 kg: %v", err)
	}

	// Fractions stored before the rule (here: an item whose unit became a
	// count unit behind the service's back) stay readable, and what an
	// order holds ships in full.
	if _, err := pool.Exec(ctx, `UPDATE items SET unit_of_measure = 'pc' WHERE sku = 'W-KG'`); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetOrder(ctx, o.ID)
	if err != nil || !got.Lines[1].Quantity.Equal(dec("0.75")) {
		t.Fatalf("order with 0.75 pc: %+v, %v", got, err)
	}
	if a, err := s.Availability(ctx, "W-KG"); err != nil || !a.OnHand.Equal(dec("11.25")) {
		t.Fatalf("availability of W-KG: %+v, %v", a, err)
	}
	shipped, err := s.CreateShipment(ctx, shipping.NewShipment{OrderID: o.ID}, newID(t), "")
	if err != nil {
		t.Fatalf("shipping what the order holds: %v", err)
	}
	if got, _ := s.GetOrder(ctx, shipped.OrderID); got.Status != sales.Shipped {
		t.Fatalf("order after shipping all: %s", got.Status)
	}
}

// mustKgItem, mustKgCostedItem and mustKgCostedItemIn are mustItem,
// mustCostedItem and a costed item in another currency, measured in kg, whose
// quantities may be fractional.
func mustKgItem(t *testing.T, s *postgres.Store, sku, price string) {
	t.Helper()
	mustUnitItem(t, s, sku, eur(price), nil, "kg")
}

func mustKgCostedItem(t *testing.T, s *postgres.Store, sku, price, cost string) {
	t.Helper()
	c := eur(cost)
	mustUnitItem(t, s, sku, eur(price), &c, "kg")
}

func mustKgCostedItemIn(t *testing.T, s *postgres.Store, sku, cost, currency string) {
	t.Helper()
	c := money.Money{Currency: currency, Amount: dec(cost)}
	mustUnitItem(t, s, sku, money.Money{Currency: currency, Amount: dec("100")}, &c, "kg")
}

func mustUnitItem(t *testing.T, s *postgres.Store, sku string, price money.Money, cost *money.Money, unit string) {
	t.Helper()
	it := catalog.Item{SKU: sku, Name: "Item " + sku, UnitOfMeasure: unit, ListPrice: price}
	if err := catalog.PrepareNew(&it, cost); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateItem(context.Background(), it, ""); err != nil {
		t.Fatal(err)
	}
}
