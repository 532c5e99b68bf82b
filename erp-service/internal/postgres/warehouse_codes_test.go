package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/seamhq/seam/erp-service/internal/purchasing"
	"github.com/seamhq/seam/erp-service/internal/stock"
	"github.com/seamhq/seam/platform/listing"
)

// The store reads a warehouse code in any case as the upper-case code it
// stores, wherever it takes one.
func TestWarehouseCodesAnyCase(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	w, err := s.CreateWarehouse(ctx, stock.Warehouse{Code: "west", Name: "West"}, "")
	if err != nil || w.Code != "WEST" {
		t.Fatalf("create west: %+v, %v", w, err)
	}
	if _, err := s.CreateWarehouse(ctx, stock.Warehouse{Code: "West", Name: "West"}, ""); err == nil {
		t.Fatal("West created next to WEST")
	}
	for _, code := range []string{"west", "WEST", "wEsT"} {
		if got, err := s.GetWarehouse(ctx, code); err != nil || got.Code != "WEST" {
			t.Fatalf("get %s: %+v, %v", code, got, err)
		}
	}
	mustItem(t, s, "WC-1", "10")
	adj, err := s.Adjust(ctx, stock.Adjustment{ID: newID(t), SKU: "WC-1", Warehouse: "west", Quantity: dec("5"), Reason: "count"}, "")
	if err != nil || adj.Warehouse != "WEST" {
		t.Fatalf("adjust in west: %+v, %v", adj, err)
	}
	tr, err := s.Transfer(ctx, stock.Transfer{ID: newID(t), SKU: "WC-1", FromWarehouse: "west", ToWarehouse: "main", Quantity: dec("2")}, "")
	if err != nil || tr.FromWarehouse != "WEST" || tr.ToWarehouse != "MAIN" {
		t.Fatalf("transfer west to main: %+v, %v", tr, err)
	}
	po := orderedPO(t, s, purchasing.Line{SKU: "WC-1", Quantity: dec("3"), UnitCost: dec("1"), ExpectedDate: adj.CreateTime.UTC().Truncate(24 * time.Hour)})
	if _, err := s.ReceivePurchaseOrder(ctx, po.ID, "West", []purchasing.ReceiptLine{rl(1, "3")}, ""); err != nil {
		t.Fatalf("receive into West: %v", err)
	}
	if _, err := s.ReturnPurchaseOrder(ctx, po.ID, "west", []purchasing.ReceiptLine{rl(1, "1")}, "", ""); err != nil {
		t.Fatalf("return from west: %v", err)
	}
	moves, _, err := s.ListMoves(ctx, stock.MoveQuery{PageSize: 50, Filter: []listing.Condition{
		{Field: "sku", Op: listing.Eq, Value: "WC-1"}, {Field: "warehouse", Op: listing.Eq, Value: "west"}}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range moves {
		got = append(got, fmt.Sprint(m.Warehouse, " ", m.Kind, " ", m.OnHandDelta))
	}
	if fmt.Sprint(got) != "[WEST adjustment 5 WEST transfer -2 WEST receipt 3 WEST return -1]" {
		t.Fatalf("moves of west: %v", got)
	}
}
