package postgres_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/seamhq/seam/erp-service/internal/stock"
	"github.com/seamhq/seam/platform/errs"
)

func TestWarehouses(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	main, err := s.GetWarehouse(ctx, "MAIN")
	if err != nil || main.Name == "" {
		t.Fatalf("default warehouse = %+v, %v", main, err)
	}
	w := stock.Warehouse{Code: "EAST", Name: "East"}
	if _, err := s.CreateWarehouse(ctx, w, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateWarehouse(ctx, w, ""); !errors.Is(err, errs.ErrAlreadyExists) {
		t.Errorf("duplicate warehouse: %v", err)
	}
	list, more, err := s.ListWarehouses(ctx, stock.ListQuery{PageSize: 1})
	if err != nil || !more || len(list) != 1 || list[0].Code != "EAST" {
		t.Fatalf("page 1 = %v, %v, %v", list, more, err)
	}
	list, more, err = s.ListWarehouses(ctx, stock.ListQuery{PageSize: 1, After: "EAST"})
	if err != nil || more || len(list) != 1 || list[0].Code != "MAIN" {
		t.Fatalf("page 2 = %v, %v, %v", list, more, err)
	}
	if _, err := s.GetWarehouse(ctx, "WEST"); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("missing warehouse: %v", err)
	}
}

func TestAdjust(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	mustKgItem(t, s, "W-1", "10")
	if _, err := s.CreateWarehouse(ctx, stock.Warehouse{Code: "EAST", Name: "East"}, ""); err != nil {
		t.Fatal(err)
	}

	got := mustAdjust(t, s, "W-1", "", "10")
	if got.Warehouse != "MAIN" || !got.Availability.OnHand.Equal(dec("10")) || got.Availability.Version != 1 {
		t.Errorf("adjustment = %+v", got)
	}
	mustAdjust(t, s, "W-1", "EAST", "2.5")
	mustAdjust(t, s, "W-1", "MAIN", "-3")
	a, err := s.Availability(ctx, "W-1")
	if err != nil {
		t.Fatal(err)
	}
	if !a.OnHand.Equal(dec("9.5")) || !a.Reserved.IsZero() || a.Version != 3 || len(a.Warehouses) != 2 ||
		a.Warehouses[0].Warehouse != "MAIN" || !a.Warehouses[0].OnHand.Equal(dec("7")) {
		t.Errorf("availability = %+v", a)
	}

	// Taking more than is on hand fails and writes nothing.
	before := rowCounts(t, pool)
	adj := stock.Adjustment{ID: newID(t), SKU: "W-1", Warehouse: "EAST", Quantity: dec("-3"), Reason: "damage"}
	if _, err := s.Adjust(ctx, adj, ""); !errors.Is(err, errs.ErrFailedPrecondition) {
		t.Errorf("adjustment below zero: %v, want FailedPrecondition", err)
	}
	// A quantity the API accepts may still make a stock level no API
	// can carry (30 digits): refused, rather than written and then
	// impossible to pass on to the CRM.
	adj = stock.Adjustment{ID: newID(t), SKU: "W-1", Warehouse: "MAIN", Quantity: dec(strings.Repeat("9", 30)), Reason: "count"}
	if _, err := s.Adjust(ctx, adj, ""); !errors.Is(err, errs.ErrFailedPrecondition) {
		t.Errorf("adjustment past 30 digits: %v, want FailedPrecondition", err)
	}
	// Unknown SKU and warehouse are bad input.
	adj = stock.Adjustment{ID: newID(t), SKU: "NOPE", Warehouse: "WEST", Quantity: dec("1"), Reason: "count"}
	err = func() error { _, err := s.Adjust(ctx, adj, ""); return err }()
	var e *errs.Error
	if !errors.As(err, &e) || e.Kind != errs.InvalidArgument || len(e.Violations) != 2 {
		t.Errorf("unknown SKU and warehouse: %v", err)
	}
	if after := rowCounts(t, pool); after["stock_moves"] != before["stock_moves"] || after["outbox_events"] != before["outbox_events"] {
		t.Errorf("failed adjustments wrote rows")
	}

	// request_id makes an adjustment idempotent.
	adj = stock.Adjustment{ID: newID(t), SKU: "W-1", Warehouse: "MAIN", Quantity: dec("1"), Reason: "count"}
	first, err := s.Adjust(ctx, adj, "adj-1")
	if err != nil {
		t.Fatal(err)
	}
	adj.ID = newID(t)
	second, err := s.Adjust(ctx, adj, "adj-1")
	if err != nil || second.ID != first.ID || !second.Quantity.Equal(dec("1")) {
		t.Errorf("retried adjustment = %+v, %v; want %s", second, err, first.ID)
	}
	if a, _ := s.Availability(ctx, "W-1"); !a.OnHand.Equal(dec("10.5")) {
		t.Errorf("on hand after retried adjustment = %s, want 10.5", a.OnHand)
	}
	var kinds []string
	rows, _ := pool.Query(ctx, `SELECT kind FROM stock_moves ORDER BY created_at, id`)
	for rows.Next() {
		var k string
		_ = rows.Scan(&k)
		kinds = append(kinds, k)
	}
	if len(kinds) != 4 || kinds[0] != "receipt" || kinds[3] != "adjustment" {
		t.Errorf("ledger kinds = %v", kinds)
	}
	checkLedger(t, pool)

	// The ledger is append-only.
	if _, err := pool.Exec(ctx, `UPDATE stock_moves SET on_hand_delta = 0`); err == nil {
		t.Error("updating the ledger succeeded")
	}
	if _, err := pool.Exec(ctx, `DELETE FROM stock_moves`); err == nil {
		t.Error("deleting from the ledger succeeded")
	}

	events := allEvents(t, pool)
	var versions []any
	for _, e := range events {
		if e.Type == stock.EventChanged {
			versions = append(versions, payload(t, e)["version"]) // int64 is a JSON string
		}
	}
	if len(versions) != 4 || versions[0] != "1" || versions[3] != "4" {
		t.Errorf("stock.changed versions = %v, want 1..4", versions)
	}
}
