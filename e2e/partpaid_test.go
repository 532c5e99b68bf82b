package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/seamhq/seam/e2e/internal/restclient"
	"github.com/seamhq/seam/e2e/internal/stack"
	"github.com/seamhq/seam/platform/auth"
)

// TestPartlyInvoicedDealIsPartlyPaid pays the invoice of a partial
// shipment and sees the opportunity PARTIALLY_PAID, not PAID, while part
// of the order is not invoiced; it becomes PAID once the rest is
// invoiced and paid. A whole-order customer who paid the whole order
// before it shipped is PAID, and an amendment that adds to the order
// makes the deal partly paid again.
func TestPartlyInvoicedDealIsPartlyPaid(t *testing.T) {
	st := startStack(t, nil)
	ctx := context.Background()
	warehouse := rest(st, stack.ERP, auth.Warehouse)
	finance := rest(st, stack.ERP, auth.Finance)
	erpSales := rest(st, stack.ERP, auth.Sales)
	crm := rest(st, stack.CRM, auth.Sales)

	for sku, price := range map[string]string{"PART-1": "10.00", "PART-2": "5.00"} {
		resp, err := warehouse.Do(ctx, "POST", "/v1/items", map[string]any{
			"sku": sku, "name": "Item " + sku, "list_price": map[string]any{"currency_code": "EUR", "amount": price},
		})
		must(t, resp, err, 200)
		resp, err = warehouse.Do(ctx, "POST", "/v1/stockAdjustments", map[string]any{"sku": sku, "quantity": "50", "reason": "receipt"})
		must(t, resp, err, 200)
		eventually(t, 10*time.Second, "product "+sku+" in CRM", func() (bool, string) {
			resp, err := crm.Do(ctx, "GET", "/v1/products/"+sku, nil)
			return err == nil && resp.Status == 200, string(resp.Raw)
		})
	}
	resp, err := crm.Do(ctx, "POST", "/v1/accounts", map[string]any{"name": "Part Payer AG"})
	accountID := restclient.Str(must(t, resp, err, 200).Body, "id")

	// win wins a deal of 2 x PART-1 and 3 x PART-2 (35.00) and returns
	// the opportunity and its confirmed order.
	win := func(name string) (string, string) {
		t.Helper()
		resp, err := crm.Do(ctx, "POST", "/v1/opportunities", map[string]any{
			"account_id": accountID, "name": name, "currency_code": "EUR",
			"lines": []any{
				map[string]any{"sku": "PART-1", "quantity": "2"},
				map[string]any{"sku": "PART-2", "quantity": "3"},
			},
		})
		oppID := restclient.Str(must(t, resp, err, 200).Body, "id")
		resp, err = crm.Do(ctx, "POST", "/v1/opportunities/"+oppID+":win", map[string]any{})
		must(t, resp, err, 200)
		var orderID string
		eventually(t, 10*time.Second, "order of "+name+" confirmed", func() (bool, string) {
			resp, err := crm.Do(ctx, "GET", "/v1/opportunities/"+oppID, nil)
			if err != nil {
				return false, err.Error()
			}
			orderID = restclient.Str(resp.Body, "order", "id")
			return restclient.Str(resp.Body, "order", "status") == "FULFILLMENT_STATUS_CONFIRMED", string(resp.Raw)
		})
		return oppID, orderID
	}
	shows := func(oppID, what, payment, fulfillment string) {
		t.Helper()
		eventually(t, 10*time.Second, what, func() (bool, string) {
			resp, err := crm.Do(ctx, "GET", "/v1/opportunities/"+oppID, nil)
			if err != nil || resp.Status != 200 {
				return false, fmt.Sprint(err)
			}
			return restclient.Str(resp.Body, "payment_status") == payment &&
				restclient.Str(resp.Body, "order", "status") == fulfillment, string(resp.Raw)
		})
	}
	invoice := func(orderID string) (id, customerID, total string) {
		t.Helper()
		resp, err := finance.Do(ctx, "POST", "/v1/invoices", map[string]any{"sales_order_id": orderID})
		inv := must(t, resp, err, 200).Body
		return restclient.Str(inv, "id"), restclient.Str(inv, "customer_id"), restclient.Str(inv, "total", "amount")
	}
	pay := func(invoiceID, customerID, amount string) {
		t.Helper()
		eur := map[string]any{"currency_code": "EUR", "amount": amount}
		resp, err := finance.Do(ctx, "POST", "/v1/payments", map[string]any{
			"customer_id": customerID, "amount": eur,
			"allocations": []any{map[string]any{"invoice_id": invoiceID, "amount": eur}},
		})
		must(t, resp, err, 200)
	}

	oppID, orderID := win("Shipped in parts")
	// One of line 2 ships and is invoiced (5.00) and paid: 30.00 of the
	// order is not invoiced yet.
	resp, err = warehouse.Do(ctx, "POST", "/v1/shipments", map[string]any{
		"sales_order_id": orderID, "lines": []any{map[string]any{"line_number": 2, "quantity": "1"}},
	})
	must(t, resp, err, 200)
	first, customerID, total := invoice(orderID)
	if total != "5.00" {
		t.Fatalf("first invoice total = %s, want 5.00", total)
	}
	shows(oppID, "first invoice open", "PAYMENT_STATUS_OPEN", "FULFILLMENT_STATUS_PARTIALLY_SHIPPED")
	pay(first, customerID, "5.00")
	shows(oppID, "partial invoice paid", "PAYMENT_STATUS_PARTIALLY_PAID", "FULFILLMENT_STATUS_PARTIALLY_SHIPPED")
	caughtUp(t, st, "after the first payment")
	resp, err = crm.Do(ctx, "GET", "/v1/opportunities/"+oppID, nil)
	if got := restclient.Str(must(t, resp, err, 200).Body, "payment_status"); got != "PAYMENT_STATUS_PARTIALLY_PAID" {
		t.Fatalf("payment status once the bridge caught up = %s, want PAYMENT_STATUS_PARTIALLY_PAID", got)
	}

	// The rest ships and is invoiced: one invoice paid, one open.
	resp, err = warehouse.Do(ctx, "POST", "/v1/shipments", map[string]any{"sales_order_id": orderID})
	must(t, resp, err, 200)
	second, _, total := invoice(orderID)
	if total != "30.00" {
		t.Fatalf("second invoice total = %s, want 30.00", total)
	}
	shows(oppID, "second invoice open", "PAYMENT_STATUS_PARTIALLY_PAID", "FULFILLMENT_STATUS_INVOICED")
	pay(second, customerID, "30.00")
	shows(oppID, "everything paid", "PAYMENT_STATUS_PAID", "FULFILLMENT_STATUS_PAID")

	// A whole-order customer is invoiced for everything before anything
	// ships: paid in full, the deal is paid, though the ERP order waits
	// for its shipment to be PAID.
	resp, err = finance.Do(ctx, "PATCH", "/v1/customers/"+customerID, map[string]any{"invoice_policy": "INVOICE_POLICY_WHOLE_ORDER"})
	must(t, resp, err, 200)
	oppID, orderID = win("Paid up front")
	whole, _, total := invoice(orderID)
	if total != "35.00" {
		t.Fatalf("whole-order invoice total = %s, want 35.00", total)
	}
	pay(whole, customerID, "35.00")
	shows(oppID, "whole order paid before shipping", "PAYMENT_STATUS_PAID", "FULFILLMENT_STATUS_CONFIRMED")
	// More is ordered: the paid invoice no longer covers the order.
	resp, err = erpSales.Do(ctx, "POST", "/v1/salesOrders/"+orderID+":amend", map[string]any{
		"lines": []any{map[string]any{"line_number": 1, "quantity": "3"}},
	})
	must(t, resp, err, 200)
	shows(oppID, "amended beyond what is invoiced", "PAYMENT_STATUS_PARTIALLY_PAID", "FULFILLMENT_STATUS_CONFIRMED")
}
