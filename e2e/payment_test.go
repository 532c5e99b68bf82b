package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/seamhq/seam/e2e/internal/restclient"
	"github.com/seamhq/seam/e2e/internal/stack"
	"github.com/seamhq/seam/platform/auth"
)

// TestWholeLoopToPayment closes the loop the business wants: a won deal's
// order is shipped, invoiced and paid in the ERP, and at every step the
// opportunity in the CRM shows the order status and payment status, and
// the account its open balance; a reversed payment rolls them back.
func TestWholeLoopToPayment(t *testing.T) {
	st := startStack(t, nil)
	ctx := context.Background()
	warehouse := rest(st, stack.ERP, auth.Warehouse)
	finance := rest(st, stack.ERP, auth.Finance)
	crm := rest(st, stack.CRM, auth.Sales)

	accountID := itemForSale(t, st, map[string]any{
		"sku": "LOOP-1", "name": "Loop item", "tax_rate": "0.19",
		"list_price": map[string]any{"currency_code": "EUR", "amount": "100.00"},
	}, "10", "Closing Loop Ltd")
	resp, err := crm.Do(ctx, "POST", "/v1/opportunities", map[string]any{
		"account_id": accountID, "name": "Full loop", "currency_code": "EUR",
		"lines": []any{map[string]any{"sku": "LOOP-1", "quantity": "3"}},
	})
	oppID := restclient.Str(must(t, resp, err, 200).Body, "id")
	resp, err = crm.Do(ctx, "POST", "/v1/opportunities/"+oppID+":win", map[string]any{})
	must(t, resp, err, 200)

	shows := func(what string, check func(opp, acc map[string]any) bool) {
		t.Helper()
		eventually(t, 10*time.Second, what, func() (bool, string) {
			o, err := crm.Do(ctx, "GET", "/v1/opportunities/"+oppID, nil)
			if err != nil || o.Status != 200 {
				return false, fmt.Sprint(err)
			}
			a, err := crm.Do(ctx, "GET", "/v1/accounts/"+accountID, nil)
			if err != nil || a.Status != 200 {
				return false, fmt.Sprint(err)
			}
			return check(o.Body, a.Body), string(o.Raw) + "\n" + string(a.Raw)
		})
	}
	var orderID string
	shows("order confirmed", func(opp, _ map[string]any) bool {
		orderID = restclient.Str(opp, "order", "id")
		return restclient.Str(opp, "order", "status") == "FULFILLMENT_STATUS_CONFIRMED"
	})

	resp, err = warehouse.Do(ctx, "POST", "/v1/shipments", map[string]any{"sales_order_id": orderID})
	must(t, resp, err, 200)
	shows("order shipped", func(opp, _ map[string]any) bool {
		return restclient.Str(opp, "order", "status") == "FULFILLMENT_STATUS_SHIPPED"
	})

	resp, err = finance.Do(ctx, "POST", "/v1/invoices", map[string]any{"sales_order_id": orderID})
	invoice := must(t, resp, err, 200).Body
	// 3 x 100.00 + 19 % tax
	if got := restclient.Str(invoice, "total", "amount"); got != "357.00" {
		t.Fatalf("invoice total = %s, want 357.00", got)
	}
	shows("invoiced and open", func(opp, acc map[string]any) bool {
		return restclient.Str(opp, "order", "status") == "FULFILLMENT_STATUS_INVOICED" &&
			restclient.Str(opp, "payment_status") == "PAYMENT_STATUS_OPEN" &&
			restclient.Str(acc, "payment_status") == "PAYMENT_STATUS_OPEN" &&
			restclient.Str(acc, "open_balance", "amount") == "357.00"
	})

	resp, err = finance.Do(ctx, "POST", "/v1/payments", map[string]any{
		"customer_id": restclient.Str(invoice, "customer_id"),
		"amount":      map[string]any{"currency_code": "EUR", "amount": "357.00"},
		"allocations": []any{map[string]any{
			"invoice_id": restclient.Str(invoice, "id"),
			"amount":     map[string]any{"currency_code": "EUR", "amount": "357.00"},
		}},
	})
	payment := must(t, resp, err, 200).Body
	shows("paid", func(opp, acc map[string]any) bool {
		return restclient.Str(opp, "order", "status") == "FULFILLMENT_STATUS_PAID" &&
			restclient.Str(opp, "payment_status") == "PAYMENT_STATUS_PAID" &&
			restclient.Str(acc, "payment_status") == "PAYMENT_STATUS_PAID" &&
			restclient.Str(acc, "open_balance", "amount") == "0.00"
	})

	resp, err = finance.Do(ctx, "POST", "/v1/payments/"+restclient.Str(payment, "id")+":reverse", map[string]any{"reason": "bounced"})
	must(t, resp, err, 200)
	shows("payment reversed", func(opp, acc map[string]any) bool {
		return restclient.Str(opp, "payment_status") == "PAYMENT_STATUS_OPEN" &&
			restclient.Str(acc, "open_balance", "amount") == "357.00"
	})

	leftAlone(t, st, crm, warehouse, finance)
}

// leftAlone checks that what the bridge has no business with passes by
// without holding anything up: a CRM campaign (whose event once stopped
// the CRM feed), and a customer and an order typed into the ERP with
// references of their own, shipped and invoiced.
func leftAlone(t *testing.T, st *stack.Stack, crm, warehouse, finance *restclient.Client) {
	t.Helper()
	ctx := context.Background()
	sales := rest(st, stack.ERP, auth.Sales)
	resp, err := rest(st, stack.CRM, auth.Admin).Do(ctx, "POST", "/v1/campaigns", map[string]any{"name": "Spring fair"})
	must(t, resp, err, 200)
	resp, err = sales.Do(ctx, "POST", "/v1/customers", map[string]any{"name": "Walk-in", "crm_account_id": "legacy-42"})
	customerID := restclient.Str(must(t, resp, err, 200).Body, "id")
	resp, err = sales.Do(ctx, "POST", "/v1/salesOrders", map[string]any{
		"customer_id": customerID, "external_ref": "PO-4711", "currency_code": "EUR",
		"lines": []any{map[string]any{"sku": "LOOP-1", "quantity": "1"}},
	})
	orderID := restclient.Str(must(t, resp, err, 200).Body, "id")
	resp, err = sales.Do(ctx, "POST", "/v1/salesOrders/"+orderID+":confirm", map[string]any{})
	must(t, resp, err, 200)
	resp, err = warehouse.Do(ctx, "POST", "/v1/shipments", map[string]any{"sales_order_id": orderID})
	must(t, resp, err, 200)
	resp, err = finance.Do(ctx, "POST", "/v1/invoices", map[string]any{"sales_order_id": orderID})
	must(t, resp, err, 200)

	// The CRM feed goes on past the campaign: a new account gets its ERP
	// customer.
	resp, err = crm.Do(ctx, "POST", "/v1/accounts", map[string]any{"name": "After the fair"})
	accountID := restclient.Str(must(t, resp, err, 200).Body, "id")
	eventually(t, 10*time.Second, "ERP customer of an account created after a campaign", func() (bool, string) {
		resp, err := crm.Do(ctx, "GET", "/v1/accounts/"+accountID, nil)
		return err == nil && restclient.Str(resp.Body, "erp_customer_id") != "", string(resp.Raw)
	})
	// Both feeds caught up, with nothing held as a failure.
	caughtUp(t, st, "")
	resp, err = rest(st, stack.Bridge, auth.Admin).Do(ctx, "GET", "/v1/failures", nil)
	if n := restclient.Len(must(t, resp, err, 200).Body, "failures"); n != 0 {
		t.Errorf("%d failures held: %s", n, resp.Raw)
	}

	// Both services share the database server here, so the CRM's cursors
	// look like positions in the ERP's feed: each feed refuses the other's.
	resp, err = rest(st, stack.CRM, auth.Integration).Do(ctx, "GET", "/v1/events?page_size=1000", nil)
	crmCursor := restclient.Str(must(t, resp, err, 200).Body, "next_cursor")
	resp, err = rest(st, stack.ERP, auth.Integration).Do(ctx, "GET", "/v1/events?page_size=1&after="+crmCursor, nil)
	if err != nil || resp.Status != 400 || !strings.Contains(string(resp.Raw), "after") {
		t.Errorf("the ERP feed after a CRM cursor = %d %s, %v", resp.Status, resp.Raw, err)
	}
}
