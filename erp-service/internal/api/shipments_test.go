package api_test

import (
	"context"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/seamhq/seam/platform/auth"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
)

func TestShipmentsGRPC(t *testing.T) {
	t.Parallel()
	e := start(t)
	cid := e.seed() // W-1: 5 on hand, standard cost 0
	integ, wh := as(t, auth.Integration), as(t, auth.Warehouse)
	o, err := e.orders.CreateSalesOrder(integ, &erpv1.CreateSalesOrderRequest{SalesOrder: &erpv1.SalesOrder{
		CustomerId: cid, CurrencyCode: "EUR", Lines: []*erpv1.SalesOrderLine{{Sku: "W-1", Quantity: "2"}, {Sku: "W-1", Quantity: "4"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.orders.ConfirmSalesOrder(integ, &erpv1.ConfirmSalesOrderRequest{Id: o.GetId()}); err != nil {
		t.Fatal(err)
	}
	// Line 1 has 2 reserved, line 2 has 3 (1 backordered).

	_, err = e.shipments.CreateShipment(context.Background(), &erpv1.CreateShipmentRequest{Shipment: &erpv1.Shipment{SalesOrderId: o.GetId()}})
	if grpcCode(err) != codes.Unauthenticated {
		t.Errorf("no token: %v", err)
	}
	_, err = e.shipments.CreateShipment(integ, &erpv1.CreateShipmentRequest{Shipment: &erpv1.Shipment{SalesOrderId: o.GetId()}})
	if grpcCode(err) != codes.PermissionDenied {
		t.Errorf("integration ships: %v", err)
	}

	before := e.counts()
	for _, tc := range []struct {
		sh   *erpv1.Shipment
		code codes.Code
		want string
	}{
		{&erpv1.Shipment{}, codes.InvalidArgument, "[shipment.sales_order_id]"},
		{&erpv1.Shipment{SalesOrderId: "nope"}, codes.InvalidArgument, "[shipment.sales_order_id]"},
		{&erpv1.Shipment{SalesOrderId: o.GetId(), Lines: []*erpv1.ShipmentLine{{LineNumber: 1, Quantity: "x"}, {LineNumber: 1, Quantity: "1"}, {Quantity: "0"}}},
			codes.InvalidArgument, "[shipment.lines[0].quantity shipment.lines[1].line_number shipment.lines[2].line_number shipment.lines[2].quantity]"},
		{&erpv1.Shipment{SalesOrderId: o.GetId(), Lines: []*erpv1.ShipmentLine{{LineNumber: 3, Quantity: "1"}}}, codes.InvalidArgument, "[shipment.lines[0].line_number]"},
		{&erpv1.Shipment{SalesOrderId: o.GetId(), Lines: []*erpv1.ShipmentLine{{LineNumber: 1, Quantity: "1"}, {LineNumber: 2, Quantity: "3.5"}}},
			codes.FailedPrecondition, "[shipment.lines[1].quantity]"},
	} {
		_, err := e.shipments.CreateShipment(wh, &erpv1.CreateShipmentRequest{Shipment: tc.sh})
		if got := fmt.Sprint(grpcFields(t, err, tc.code)); got != tc.want {
			t.Errorf("CreateShipment(%v): fields %s, want %s", tc.sh, got, tc.want)
		}
	}
	if after := e.counts(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("rejected shipments wrote: %v -> %v", before, after)
	}

	// Everything reserved, twice with one request_id: one shipment.
	var first *erpv1.Shipment
	for range 2 {
		sh, err := e.shipments.CreateShipment(wh, &erpv1.CreateShipmentRequest{RequestId: "s-1", Shipment: &erpv1.Shipment{SalesOrderId: o.GetId()}})
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = sh
		}
		if sh.GetId() != first.GetId() || len(sh.GetLines()) != 2 || sh.GetLines()[1].GetQuantity() != "3" || sh.GetLines()[0].GetCost().GetAmount() != "0.00" {
			t.Errorf("shipment = %v", sh)
		}
	}
	got, err := e.orders.GetSalesOrder(integ, &erpv1.GetSalesOrderRequest{Id: o.GetId()})
	if err != nil || got.GetStatus() != erpv1.SalesOrderStatus_SALES_ORDER_STATUS_PARTIALLY_SHIPPED || got.GetLines()[1].GetShippedQuantity() != "3" {
		t.Errorf("order = %v, %v", got, err)
	}
	av, _ := e.items.GetAvailability(integ, &erpv1.GetAvailabilityRequest{Sku: "W-1"})
	if av.GetOnHand() != "0" || av.GetReserved() != "0" {
		t.Errorf("availability = %v", av)
	}
	// Nothing left reserved.
	_, err = e.shipments.CreateShipment(wh, &erpv1.CreateShipmentRequest{Shipment: &erpv1.Shipment{SalesOrderId: o.GetId()}})
	if grpcCode(err) != codes.FailedPrecondition {
		t.Errorf("shipping again: %v", err)
	}
	if _, err := e.shipments.GetShipment(as(t, auth.Service), &erpv1.GetShipmentRequest{Id: "01900000-0000-7000-8000-000000000001"}); grpcCode(err) != codes.NotFound {
		t.Errorf("get unknown: %v", err)
	}
	if _, err := e.shipments.GetShipment(as(t, auth.Service), &erpv1.GetShipmentRequest{Id: "x"}); fmt.Sprint(grpcFields(t, err, codes.InvalidArgument)) != "[id]" {
		t.Errorf("get malformed: %v", err)
	}
	list, err := e.shipments.ListShipments(as(t, auth.Sales), &erpv1.ListShipmentsRequest{Filter: `sales_order_id = "x"`})
	if grpcCode(err) != codes.InvalidArgument {
		t.Errorf("list by a bad id: %v, %v", list, err)
	}
	if _, err := e.ledger.GetTrialBalance(as(t, auth.Finance), &erpv1.GetTrialBalanceRequest{CurrencyCode: "XXX"}); grpcCode(err) != codes.InvalidArgument {
		t.Errorf("trial balance in XXX: %v", err)
	}
	// Standard cost 0: nothing posted.
	je, err := e.ledger.ListJournalEntries(as(t, auth.Finance), &erpv1.ListJournalEntriesRequest{})
	if err != nil || len(je.GetJournalEntries()) != 0 {
		t.Errorf("journal = %v, %v", je, err)
	}
}
