package api_test

import (
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/seamhq/seam/platform/auth"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
)

// A quantity finer than six decimal places or above 10^12 is bad input on
// the field that carries it, and nothing is written; trailing zeros do
// not count as places.
func TestQuantityBounds(t *testing.T) {
	t.Parallel()
	e := start(t)
	cid := e.seed()
	before := e.counts()

	for _, q := range []string{"0.0000000000001", "1.1234567", "99999999999999999999999", "1000000000000.5"} {
		_, err := e.orders.CreateSalesOrder(as(t, auth.Sales), &erpv1.CreateSalesOrderRequest{Confirm: true, SalesOrder: &erpv1.SalesOrder{
			CustomerId: cid, CurrencyCode: "EUR", Lines: []*erpv1.SalesOrderLine{{Sku: "W-1", Quantity: q}},
		}})
		if got := grpcFields(t, err, codes.InvalidArgument); fmt.Sprint(got) != "[sales_order.lines[0].quantity]" {
			t.Errorf("sales order quantity %s: %v", q, got)
		}
		_, err = e.stock.CreateStockAdjustment(as(t, auth.Warehouse), &erpv1.CreateStockAdjustmentRequest{
			StockAdjustment: &erpv1.StockAdjustment{Sku: "W-1", Quantity: q, Reason: "count"},
		})
		if got := grpcFields(t, err, codes.InvalidArgument); fmt.Sprint(got) != "[stock_adjustment.quantity]" {
			t.Errorf("adjustment quantity %s: %v", q, got)
		}
		_, err = e.stock.CreateStockAdjustment(as(t, auth.Warehouse), &erpv1.CreateStockAdjustmentRequest{
			StockAdjustment: &erpv1.StockAdjustment{Sku: "W-1", Quantity: "-" + q, Reason: "count"},
		})
		if got := grpcFields(t, err, codes.InvalidArgument); fmt.Sprint(got) != "[stock_adjustment.quantity]" {
			t.Errorf("adjustment quantity -%s: %v", q, got)
		}
		_, err = e.items.GetAvailability(as(t, auth.Sales), &erpv1.GetAvailabilityRequest{Sku: "W-1", RequestedQuantity: q})
		if got := grpcFields(t, err, codes.InvalidArgument); fmt.Sprint(got) != "[requested_quantity]" {
			t.Errorf("requested quantity %s: %v", q, got)
		}
	}
	if after := e.counts(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("rows changed by rejected requests:\nbefore %v\nafter  %v", before, after)
	}

	// At the bounds: six places, trailing zeros beyond them, and 10^12.
	if _, err := e.orders.CreateSalesOrder(as(t, auth.Sales), &erpv1.CreateSalesOrderRequest{SalesOrder: &erpv1.SalesOrder{
		CustomerId: cid, CurrencyCode: "EUR", Lines: []*erpv1.SalesOrderLine{{Sku: "W-1", Quantity: "1.000001"}, {Sku: "W-1", Quantity: "2.500000000"}},
	}}); err != nil {
		t.Errorf("six places and trailing zeros: %v", err)
	}
	if _, err := e.items.GetAvailability(as(t, auth.Sales), &erpv1.GetAvailabilityRequest{Sku: "W-1", RequestedQuantity: "1000000000000"}); err != nil {
		t.Errorf("requested quantity 10^12: %v", err)
	}
}
