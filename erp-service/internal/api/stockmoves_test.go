package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"google.golang.org/grpc/codes"

	"github.com/seamhq/seam/platform/auth"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
)

// The stock ledger reads back through the API: an item's moves in the
// order they were written, page by page, summing to its levels; what one
// document moved; and only filters an index answers.
func TestStockMovesGRPC(t *testing.T) {
	t.Parallel()
	e := start(t)
	cid := e.seed() // W-1: 5 received in MAIN
	wh, sales := as(t, auth.Warehouse), as(t, auth.Sales)
	if _, err := e.warehouses.CreateWarehouse(wh, &erpv1.CreateWarehouseRequest{Warehouse: &erpv1.Warehouse{Code: "EAST", Name: "East"}}); err != nil {
		t.Fatal(err)
	}
	tr, err := e.stock.CreateStockTransfer(wh, &erpv1.CreateStockTransferRequest{StockTransfer: &erpv1.StockTransfer{
		Sku: "W-1", FromWarehouse: "MAIN", ToWarehouse: "EAST", Quantity: "2", Reason: "rebalance",
	}})
	if err != nil {
		t.Fatal(err)
	}
	o, err := e.orders.CreateSalesOrder(sales, &erpv1.CreateSalesOrderRequest{Confirm: true, SalesOrder: &erpv1.SalesOrder{
		CustomerId: cid, CurrencyCode: "EUR", Lines: []*erpv1.SalesOrderLine{{Sku: "W-1", Quantity: "1"}},
	}})
	if err != nil {
		t.Fatal(err)
	}

	if _, err := e.stock.ListStockMoves(context.Background(), &erpv1.ListStockMovesRequest{}); grpcCode(err) != codes.Unauthenticated {
		t.Errorf("no token: %v", err)
	}
	list := func(filter string, size int32) []*erpv1.StockMove {
		t.Helper()
		e.settle()
		var out []*erpv1.StockMove
		tok := ""
		for {
			resp, err := e.stock.ListStockMoves(sales, &erpv1.ListStockMovesRequest{Filter: filter, PageSize: size, PageToken: tok})
			if err != nil {
				t.Fatalf("ListStockMoves(%q): %v", filter, err)
			}
			out = append(out, resp.GetStockMoves()...)
			if tok = resp.GetNextPageToken(); tok == "" {
				return out
			}
		}
	}
	describe := func(moves []*erpv1.StockMove) string {
		s := ""
		for _, m := range moves {
			s += fmt.Sprintf("%s %s %s/%s %s; ", m.GetKind(), m.GetWarehouse(), m.GetOnHandDelta(), m.GetReservedDelta(), m.GetReference())
		}
		return s
	}

	// W-1's card, two moves a page.
	card := list(`sku = "W-1"`, 2)
	want := fmt.Sprintf("receipt MAIN 5/0 stockAdjustments/%s; transfer MAIN -2/0 stockTransfers/%s; transfer EAST 2/0 stockTransfers/%s; reservation MAIN 0/1 salesOrders/%s; ",
		card[0].GetId(), tr.GetId(), tr.GetId(), o.GetId())
	if got := describe(card); got != want {
		t.Errorf("card of W-1:\n got %s\nwant %s", got, want)
	}
	for _, m := range card {
		if m.GetActor() != "tester" || m.GetCreateTime() == nil || m.GetId() == "" {
			t.Errorf("move %v lacks its actor, time or id", m)
		}
	}
	// The card sums to the item's levels.
	av, err := e.items.GetAvailability(sales, &erpv1.GetAvailabilityRequest{Sku: "W-1"})
	if err != nil {
		t.Fatal(err)
	}
	onHand, reserved := map[string]decimal.Decimal{}, map[string]decimal.Decimal{}
	for _, m := range card {
		onHand[m.GetWarehouse()] = onHand[m.GetWarehouse()].Add(decimal.RequireFromString(m.GetOnHandDelta()))
		reserved[m.GetWarehouse()] = reserved[m.GetWarehouse()].Add(decimal.RequireFromString(m.GetReservedDelta()))
	}
	for _, l := range av.GetWarehouses() {
		if !onHand[l.GetWarehouse()].Equal(decimal.RequireFromString(l.GetOnHand())) ||
			!reserved[l.GetWarehouse()].Equal(decimal.RequireFromString(l.GetReserved())) {
			t.Errorf("%s: card sums to %s/%s, level is %s/%s", l.GetWarehouse(), onHand[l.GetWarehouse()], reserved[l.GetWarehouse()], l.GetOnHand(), l.GetReserved())
		}
	}

	// Narrowed to a warehouse; what one document moved; the whole ledger.
	if got := describe(list(`sku = "W-1" AND warehouse = "EAST"`, 0)); got != fmt.Sprintf("transfer EAST 2/0 stockTransfers/%s; ", tr.GetId()) {
		t.Errorf("W-1 in EAST: %s", got)
	}
	if got := list(`reference = "stockTransfers/`+tr.GetId()+`"`, 0); len(got) != 2 || got[0].GetReason() != "rebalance" {
		t.Errorf("moves of the transfer: %s", describe(got))
	}
	// An id in upper case is read as its UUID in a reference too.
	if got := list(`reference = "stockTransfers/`+strings.ToUpper(tr.GetId())+`"`, 0); len(got) != 2 {
		t.Errorf("moves of the transfer named in upper case: %s", describe(got))
	}
	if all := list("", 3); len(all) != e.counts()["stock_moves"] {
		t.Errorf("the whole ledger: %d moves, the table has %d", len(all), e.counts()["stock_moves"])
	}

	for _, tc := range []struct{ filter, token string }{
		{filter: `warehouse = "MAIN"`},
		{filter: `sku != "W-1"`},
		{filter: `price = "1"`},
		{filter: `sku = "W-1"`, token: "not-a-token"},
		{filter: `sku = "W-1" AND kind = "';select"`}, // no kind: refused, not "there are none"
		{filter: `sku = "W-1" AND kind = "Shipment"`},
	} {
		_, err := e.stock.ListStockMoves(sales, &erpv1.ListStockMovesRequest{Filter: tc.filter, PageToken: tc.token})
		if got := grpcFields(t, err, codes.InvalidArgument); len(got) != 1 {
			t.Errorf("filter %q token %q: fields %v", tc.filter, tc.token, got)
		}
	}
}

// An adjustment and a transfer read back from their ledger rows by id; an
// id of any other row, or of the other kind, is not one.
func TestGetAdjustmentAndTransfer(t *testing.T) {
	t.Parallel()
	e := start(t)
	e.seed()
	wh, sales := as(t, auth.Warehouse), as(t, auth.Sales)
	if _, err := e.warehouses.CreateWarehouse(wh, &erpv1.CreateWarehouseRequest{Warehouse: &erpv1.Warehouse{Code: "EAST", Name: "East"}}); err != nil {
		t.Fatal(err)
	}
	adj, err := e.stock.CreateStockAdjustment(wh, &erpv1.CreateStockAdjustmentRequest{StockAdjustment: &erpv1.StockAdjustment{
		Sku: "W-1", Quantity: "-1.5", Reason: "damage",
	}})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := e.stock.CreateStockTransfer(wh, &erpv1.CreateStockTransferRequest{StockTransfer: &erpv1.StockTransfer{
		Sku: "W-1", FromWarehouse: "MAIN", ToWarehouse: "EAST", Quantity: "2", Reason: "rebalance",
	}})
	if err != nil {
		t.Fatal(err)
	}

	got, err := e.stock.GetStockAdjustment(sales, &erpv1.GetStockAdjustmentRequest{Id: adj.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	if got.GetSku() != "W-1" || got.GetWarehouse() != "MAIN" || got.GetQuantity() != "-1.5" || got.GetReason() != "damage" ||
		!got.GetCreateTime().AsTime().Equal(adj.GetCreateTime().AsTime()) {
		t.Errorf("adjustment = %v, created %v", got, adj)
	}
	// Read now, after the transfer: 5 - 1.5 - 2 on hand in MAIN.
	main := ""
	for _, l := range got.GetAvailability().GetWarehouses() {
		if l.GetWarehouse() == "MAIN" {
			main = l.GetOnHand()
		}
	}
	if main != "1.5" {
		t.Errorf("availability read with the adjustment = %v", got.GetAvailability())
	}
	gt, err := e.stock.GetStockTransfer(sales, &erpv1.GetStockTransferRequest{Id: tr.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	if gt.GetFromWarehouse() != "MAIN" || gt.GetToWarehouse() != "EAST" || gt.GetQuantity() != "2" || gt.GetReason() != "rebalance" {
		t.Errorf("transfer = %v", gt)
	}
	moves, err := e.stock.ListStockMoves(sales, &erpv1.ListStockMovesRequest{Filter: `reference = "stockAdjustments/` + adj.GetId() + `"`})
	if err != nil || len(moves.GetStockMoves()) != 1 || moves.GetStockMoves()[0].GetId() != adj.GetId() {
		t.Errorf("moves of the adjustment = %v, %v", moves, err)
	}

	// The transfer's row into EAST, the seed's receipt and a reservation
	// are not transfers; the adjustment is not one either, and so on.
	all, err := e.stock.ListStockMoves(sales, &erpv1.ListStockMovesRequest{Filter: `sku = "W-1"`})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range all.GetStockMoves() {
		if m.GetId() != tr.GetId() {
			if _, err := e.stock.GetStockTransfer(sales, &erpv1.GetStockTransferRequest{Id: m.GetId()}); grpcCode(err) != codes.NotFound {
				t.Errorf("GetStockTransfer(%s move %s) = %v", m.GetKind(), m.GetReference(), err)
			}
		}
		if m.GetKind() == "transfer" || m.GetKind() == "reservation" {
			if _, err := e.stock.GetStockAdjustment(sales, &erpv1.GetStockAdjustmentRequest{Id: m.GetId()}); grpcCode(err) != codes.NotFound {
				t.Errorf("GetStockAdjustment(%s move %s) = %v", m.GetKind(), m.GetReference(), err)
			}
		}
	}
	if _, err := e.stock.GetStockAdjustment(sales, &erpv1.GetStockAdjustmentRequest{Id: "00000000-0000-0000-0000-000000000000"}); grpcCode(err) != codes.NotFound {
		t.Errorf("GetStockAdjustment(nil UUID) = %v", err)
	}
	if _, err := e.stock.GetStockTransfer(sales, &erpv1.GetStockTransferRequest{Id: "00000000-0000-0000-0000-000000000000"}); grpcCode(err) != codes.NotFound {
		t.Errorf("GetStockTransfer(nil UUID) = %v", err)
	}
	for _, id := range []string{"", "not-a-uuid"} {
		_, err := e.stock.GetStockAdjustment(sales, &erpv1.GetStockAdjustmentRequest{Id: id})
		if f := grpcFields(t, err, codes.InvalidArgument); fmt.Sprint(f) != "[id]" {
			t.Errorf("GetStockAdjustment(%q) names %v", id, f)
		}
		_, err = e.stock.GetStockTransfer(sales, &erpv1.GetStockTransferRequest{Id: id})
		if f := grpcFields(t, err, codes.InvalidArgument); fmt.Sprint(f) != "[id]" {
			t.Errorf("GetStockTransfer(%q) names %v", id, f)
		}
	}
}
