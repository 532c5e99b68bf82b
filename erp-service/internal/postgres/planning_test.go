package postgres_test

import (
	"context"
	"errors"
	"testing"

	"github.com/seamhq/seam/erp-service/internal/catalog"
	"github.com/seamhq/seam/erp-service/internal/planning"
	"github.com/seamhq/seam/erp-service/internal/purchasing"
	"github.com/seamhq/seam/platform/errs"
)

func TestReorderSuggestions(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	for _, sku := range []string{"R-1", "R-2", "R-3"} {
		it := catalog.Item{SKU: sku, Name: sku, ListPrice: eur("10"), ReorderPoint: dec("5"), ReorderQuantity: dec("20")}
		if err := catalog.PrepareNew(&it, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateItem(ctx, it, ""); err != nil {
			t.Fatal(err)
		}
	}
	mustItem(t, s, "R-0", "1") // no reorder settings, no demand: never suggested
	mustAdjust(t, s, "R-2", "MAIN", "10")
	mustAdjust(t, s, "R-3", "MAIN", "10")
	c := mustCustomer(t, s, "Acme")
	// a backorder of 3: projected -3, suggest max(20, 8) = 20.
	o := mustOrder(t, s, newOrder(c.ID, "", line("R-1", "3")))
	if _, err := s.ConfirmOrder(ctx, o.ID, 0, ""); err != nil {
		t.Fatal(err)
	}
	// 10 on hand, pipeline 40: projected -30, suggest 35. An incoming
	// purchase order of 30 brings it to 0: suggest 20.
	if n, err := s.SetPipelineDemand(ctx, []planning.Demand{{SKU: "R-3", Quantity: dec("40")}, {SKU: "R-2", Quantity: dec("1")}}, 5); err != nil || n != 2 {
		t.Fatalf("set = %d %v", n, err)
	}
	// A stale snapshot changes nothing.
	if n, err := s.SetPipelineDemand(ctx, []planning.Demand{{SKU: "R-3", Quantity: dec("0")}}, 4); err != nil || n != 0 {
		t.Fatalf("stale set = %d %v", n, err)
	}
	if _, err := s.SetPipelineDemand(ctx, []planning.Demand{{SKU: "NOPE", Quantity: dec("1")}}, 6); !errors.Is(err, errs.ErrInvalidArgument) {
		t.Errorf("unknown SKU: %v", err)
	}
	got := func() map[string]string {
		out := map[string]string{}
		var after string
		for {
			list, more, err := s.ReorderPositions(ctx, after, 1)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range list {
				out[p.SKU] = p.Projected().String() + "/" + p.Suggested().String()
				after = p.SKU
			}
			if !more {
				return out
			}
		}
	}
	if g := got(); len(g) != 2 || g["R-1"] != "-3/20" || g["R-3"] != "-30/35" {
		t.Errorf("suggestions = %v", g)
	}
	sup := mustSupplier(t, s, "Parts")
	po, err := s.CreatePurchaseOrder(ctx, purchasing.Order{ID: newID(t), SupplierID: sup.ID,
		Lines: []purchasing.Line{poLine("R-3", "30", "1", "2030-01-01")}}, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.OrderPurchaseOrder(ctx, po.ID, 0, ""); err != nil {
		t.Fatal(err)
	}
	// Pipeline demand for R-2 of 6 more (newer version) takes it to 4 < 5.
	if _, err := s.SetPipelineDemand(ctx, []planning.Demand{{SKU: "R-2", Quantity: dec("6")}}, 6); err != nil {
		t.Fatal(err)
	}
	if g := got(); len(g) != 3 || g["R-3"] != "0/20" || g["R-2"] != "4/20" {
		t.Errorf("suggestions = %v", g)
	}
}
