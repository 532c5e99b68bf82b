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

// TestOrderedStockPromisesADate: an item without stock has no promise
// date in the CRM; ordering a purchase order for it makes the CRM product
// and an open opportunity's line promise the order's expected date,
// cancelling it takes the date away again, and a second order promises
// its own date until its receipt makes the stock available today. A line
// of 150 is promised only the date the orders together cover it (and no
// date while they do not). No other stock change of the item is needed
// for any of it.
func TestOrderedStockPromisesADate(t *testing.T) {
	st := startStack(t, nil)
	ctx := context.Background()
	warehouse := rest(st, stack.ERP, auth.Warehouse)
	crm := rest(st, stack.CRM, auth.Sales)

	resp, err := warehouse.Do(ctx, "POST", "/v1/items", map[string]any{
		"sku": "INBOUND-1", "name": "Inbound item", "list_price": map[string]any{"currency_code": "EUR", "amount": "12.00"},
	})
	must(t, resp, err, 200)
	resp, err = warehouse.Do(ctx, "POST", "/v1/suppliers", map[string]any{"name": "Inbound Supply"})
	supplierID := restclient.Str(must(t, resp, err, 200).Body, "id")
	resp, err = crm.Do(ctx, "POST", "/v1/accounts", map[string]any{"name": "Waiting Buyer GmbH"})
	accountID := restclient.Str(must(t, resp, err, 200).Body, "id")
	eventually(t, 10*time.Second, "product in CRM", func() (bool, string) {
		resp, err := crm.Do(ctx, "GET", "/v1/products/INBOUND-1", nil)
		return err == nil && resp.Status == 200, string(resp.Raw)
	})
	resp, err = crm.Do(ctx, "POST", "/v1/opportunities", map[string]any{
		"account_id": accountID, "name": "Needs inbound stock", "currency_code": "EUR",
		"lines": []any{map[string]any{"sku": "INBOUND-1", "quantity": "5"}, map[string]any{"sku": "INBOUND-1", "quantity": "150"}},
	})
	oppID := restclient.Str(must(t, resp, err, 200).Body, "id")

	// promises waits until the product and the opportunity's line of 5
	// show the date (empty for none) and the available quantity, and the
	// line of 150 shows large.
	promises := func(what, date, available, large string) {
		t.Helper()
		eventually(t, 10*time.Second, what, func() (bool, string) {
			p, err := crm.Do(ctx, "GET", "/v1/products/INBOUND-1", nil)
			if err != nil || p.Status != 200 {
				return false, fmt.Sprint(err)
			}
			o, err := crm.Do(ctx, "GET", "/v1/opportunities/"+oppID, nil)
			if err != nil || o.Status != 200 {
				return false, fmt.Sprint(err)
			}
			return restclient.Str(p.Body, "promise_date") == date && restclient.Str(p.Body, "available_quantity") == available &&
				restclient.Str(o.Body, "lines", 0, "promise_date") == date &&
				restclient.Str(o.Body, "lines", 1, "promise_date") == large, string(p.Raw) + "\n" + string(o.Raw)
		})
	}
	order := func(date string) string {
		t.Helper()
		resp, err := warehouse.Do(ctx, "POST", "/v1/purchaseOrders", map[string]any{
			"supplier_id": supplierID,
			"lines": []any{map[string]any{
				"sku": "INBOUND-1", "quantity": "100", "expected_date": date,
				"unit_cost": map[string]any{"currency_code": "EUR", "amount": "7.00"},
			}},
		})
		id := restclient.Str(must(t, resp, err, 200).Body, "id")
		resp, err = warehouse.Do(ctx, "POST", "/v1/purchaseOrders/"+id+":order", map[string]any{})
		must(t, resp, err, 200)
		return id
	}
	now := time.Now().UTC()
	first, second := now.AddDate(0, 0, 30).Format(time.DateOnly), now.AddDate(0, 0, 45).Format(time.DateOnly)

	id := order(first)
	resp, err = warehouse.Do(ctx, "GET", "/v1/items/INBOUND-1/availability", nil)
	if b := must(t, resp, err, 200).Body; restclient.Str(b, "incoming") != "100" || restclient.Str(b, "next_receipt_date") != first {
		t.Fatalf("ERP availability after ordering: %s", resp.Raw)
	}
	promises("the ordered date promised", first, "0", "")

	resp, err = warehouse.Do(ctx, "POST", "/v1/purchaseOrders/"+id+":cancel", map[string]any{})
	must(t, resp, err, 200)
	promises("no date once the order is cancelled", "", "0", "")

	id = order(second)
	promises("the second order's date promised", second, "0", "")
	// Another 100 before it: 5 are promised on the earlier date, 150 only
	// once both have arrived.
	order(first)
	promises("the earlier order's date promised", first, "0", second)
	resp, err = warehouse.Do(ctx, "POST", "/v1/purchaseOrders/"+id+":receive", map[string]any{
		"lines": []any{map[string]any{"line_number": 1, "quantity": "100"}},
	})
	must(t, resp, err, 200)
	promises("received stock promised today", time.Now().UTC().Format(time.DateOnly), "100", first)
	caughtUp(t, st, "")
}

// TestReconciliationRepairsAPromiseDate makes the bridge miss the stock
// event of an ordered purchase order (its ERP checkpoint is moved past it
// while it is down): the CRM product of an item without stock promises
// nothing, and a reconciliation pass finds the missing date and writes it.
func TestReconciliationRepairsAPromiseDate(t *testing.T) {
	st := startStack(t, nil)
	ctx := context.Background()
	warehouse := rest(st, stack.ERP, auth.Warehouse)
	crm := rest(st, stack.CRM, auth.Sales)
	bridge := rest(st, stack.Bridge, auth.Admin)

	resp, err := warehouse.Do(ctx, "POST", "/v1/items", map[string]any{
		"sku": "REPROMISE-1", "name": "Late news", "list_price": map[string]any{"currency_code": "EUR", "amount": "3.00"},
	})
	must(t, resp, err, 200)
	resp, err = warehouse.Do(ctx, "POST", "/v1/suppliers", map[string]any{"name": "Quiet Supply"})
	supplierID := restclient.Str(must(t, resp, err, 200).Body, "id")
	// Stock came and went: the CRM knows none is available.
	for _, a := range []struct{ quantity, reason string }{{"5", "receipt"}, {"-5", "correction"}} {
		resp, err = warehouse.Do(ctx, "POST", "/v1/stockAdjustments", map[string]any{"sku": "REPROMISE-1", "quantity": a.quantity, "reason": a.reason})
		must(t, resp, err, 200)
	}
	eventually(t, 10*time.Second, "product without stock in CRM", func() (bool, string) {
		resp, err := crm.Do(ctx, "GET", "/v1/products/REPROMISE-1", nil)
		return err == nil && resp.Status == 200 && restclient.Str(resp.Body, "available_quantity") == "0", string(resp.Raw)
	})
	resp, err = crm.Do(ctx, "POST", "/v1/accounts", map[string]any{"name": "Some Account"}) // a CRM event, for a CRM cursor
	must(t, resp, err, 200)
	caughtUp(t, st, "before the bridge stops")

	st.Process(stack.Bridge).Stop(10 * time.Second)
	date := time.Now().UTC().AddDate(0, 0, 20).Format(time.DateOnly)
	resp, err = warehouse.Do(ctx, "POST", "/v1/purchaseOrders", map[string]any{
		"supplier_id": supplierID,
		"lines": []any{map[string]any{
			"sku": "REPROMISE-1", "quantity": "40", "expected_date": date,
			"unit_cost": map[string]any{"currency_code": "EUR", "amount": "2.00"},
		}},
	})
	id := restclient.Str(must(t, resp, err, 200).Body, "id")
	resp, err = warehouse.Do(ctx, "POST", "/v1/purchaseOrders/"+id+":order", map[string]any{})
	must(t, resp, err, 200)
	skipDeliveries(t, st, stack.ERP, "purchase_order.ordered")
	time.Sleep(500 * time.Millisecond)
	resp, err = crm.Do(ctx, "GET", "/v1/products/REPROMISE-1", nil)
	if d := restclient.Str(must(t, resp, err, 200).Body, "promise_date"); d != "" {
		t.Fatalf("the product promises %s before reconciliation; the setup did not lose the delivery", d)
	}

	report, raw := reconciled(t, bridge)
	checks, _ := report["checks"].([]any)
	for _, c := range checks {
		if m := c.(map[string]any); restclient.Str(m, "name") == "availability_matches_stock" &&
			(restclient.Str(m, "drifted") != "1" || restclient.Str(m, "repaired") != "1") {
			t.Errorf("availability_matches_stock = %v, want 1 drifted, 1 repaired: %s", m, raw)
		}
	}
	resp, err = crm.Do(ctx, "GET", "/v1/products/REPROMISE-1", nil)
	if b := must(t, resp, err, 200).Body; restclient.Str(b, "promise_date") != date || restclient.Str(b, "available_quantity") != "0" {
		t.Errorf("product after the repair: %s, want promise date %s", resp.Raw, date)
	}
}
