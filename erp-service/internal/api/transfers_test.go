package api_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/seamhq/seam/platform/auth"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
)

func TestStockTransfersGRPC(t *testing.T) {
	t.Parallel()
	e := start(t)
	e.seed() // W-1: 5 on hand in MAIN
	wh := as(t, auth.Warehouse)
	if _, err := e.warehouses.CreateWarehouse(wh, &erpv1.CreateWarehouseRequest{Warehouse: &erpv1.Warehouse{Code: "EAST", Name: "East"}}); err != nil {
		t.Fatal(err)
	}
	ok := &erpv1.StockTransfer{Sku: "W-1", FromWarehouse: "MAIN", ToWarehouse: "EAST", Quantity: "2"}
	if _, err := e.stock.CreateStockTransfer(context.Background(), &erpv1.CreateStockTransferRequest{StockTransfer: ok}); grpcCode(err) != codes.Unauthenticated {
		t.Errorf("no token: %v", err)
	}
	if _, err := e.stock.CreateStockTransfer(as(t, auth.Sales), &erpv1.CreateStockTransferRequest{StockTransfer: ok}); grpcCode(err) != codes.PermissionDenied {
		t.Errorf("sales transfers: %v", err)
	}

	before := e.counts()
	for _, tc := range []struct {
		tr   *erpv1.StockTransfer
		code codes.Code
		want string
	}{
		{&erpv1.StockTransfer{}, codes.InvalidArgument,
			"[stock_transfer.quantity stock_transfer.sku stock_transfer.from_warehouse stock_transfer.to_warehouse]"},
		{&erpv1.StockTransfer{Sku: "W-1", FromWarehouse: "MAIN", ToWarehouse: "MAIN", Quantity: "-1"}, codes.InvalidArgument,
			"[stock_transfer.to_warehouse stock_transfer.quantity]"},
		{&erpv1.StockTransfer{Sku: "W-1", FromWarehouse: "MAIN", ToWarehouse: "EAST", Quantity: "1e3"}, codes.InvalidArgument, "[stock_transfer.quantity]"},
		{&erpv1.StockTransfer{Sku: "NOPE", FromWarehouse: "MAIN", ToWarehouse: "WEST", Quantity: "1"}, codes.InvalidArgument,
			"[stock_transfer.sku stock_transfer.to_warehouse]"},
		{&erpv1.StockTransfer{Sku: "W-1", FromWarehouse: "MAIN", ToWarehouse: "EAST", Quantity: "5.5"}, codes.FailedPrecondition, "[stock_transfer.quantity]"},
	} {
		_, err := e.stock.CreateStockTransfer(wh, &erpv1.CreateStockTransferRequest{StockTransfer: tc.tr})
		if got := fmt.Sprint(grpcFields(t, err, tc.code)); got != tc.want {
			t.Errorf("CreateStockTransfer(%v): fields %s, want %s", tc.tr, got, tc.want)
		}
	}
	if after := e.counts(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("rejected transfers wrote: %v -> %v", before, after)
	}

	var first *erpv1.StockTransfer
	for range 2 {
		tr, err := e.stock.CreateStockTransfer(wh, &erpv1.CreateStockTransferRequest{RequestId: "tr-1", StockTransfer: ok})
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = tr
		}
		ws := tr.GetAvailability().GetWarehouses()
		if tr.GetId() != first.GetId() || tr.GetQuantity() != "2" || len(ws) != 2 || ws[0].GetOnHand() != "3" || ws[1].GetWarehouse() != "EAST" || ws[1].GetOnHand() != "2" {
			t.Errorf("transfer = %v", tr)
		}
	}
	if n := e.counts()["stock_moves"] - before["stock_moves"]; n != 2 {
		t.Errorf("%d ledger rows for one transfer", n)
	}
}

func TestPromiseGRPC(t *testing.T) {
	t.Parallel()
	e := start(t)
	cid := e.seed() // W-1: 5 on hand
	sales := as(t, auth.Sales)
	today := time.Now().UTC().Format(time.DateOnly)

	// Without a requested quantity there is no promise.
	a, err := e.items.GetAvailability(sales, &erpv1.GetAvailabilityRequest{Sku: "W-1"})
	if err != nil || a.GetPromise() != nil {
		t.Fatalf("availability = %v, %v", a, err)
	}
	a, err = e.items.GetAvailability(sales, &erpv1.GetAvailabilityRequest{Sku: "W-1", RequestedQuantity: "5"})
	if err != nil || a.GetPromise().GetPromiseDate() != today || a.GetPromise().GetRequestedQuantity() != "5" {
		t.Errorf("promise of 5 = %v, %v", a.GetPromise(), err)
	}
	a, err = e.items.GetAvailability(sales, &erpv1.GetAvailabilityRequest{Sku: "W-1", RequestedQuantity: "5.5"})
	if err != nil || a.GetPromise().GetPromiseDate() != "" || a.GetPromise().GetReason() == "" {
		t.Errorf("promise of 5.5 = %v, %v", a.GetPromise(), err)
	}
	for _, q := range []string{"0", "-1", "abc", "1.5e2"} {
		_, err := e.items.GetAvailability(sales, &erpv1.GetAvailabilityRequest{Sku: "W-1", RequestedQuantity: q})
		if got := fmt.Sprint(grpcFields(t, err, codes.InvalidArgument)); got != "[requested_quantity]" {
			t.Errorf("requested %q: %s", q, got)
		}
	}
	if _, err := e.items.GetAvailability(sales, &erpv1.GetAvailabilityRequest{Sku: "NOPE", RequestedQuantity: "1"}); grpcCode(err) != codes.NotFound {
		t.Errorf("unknown SKU: %v", err)
	}
	_ = cid
}
