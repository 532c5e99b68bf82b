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

// heldFor lists the bridge's held events of a key: "type state: error".
func heldFor(t *testing.T, st *stack.Stack, key string) []string {
	t.Helper()
	resp, err := rest(st, stack.Bridge, auth.Integration).Do(context.Background(), "GET", "/v1/failures", nil)
	body := must(t, resp, err, 200).Body
	var out []string
	for i := range restclient.Len(body, "failures") {
		if restclient.Str(body, "failures", i, "event_key") == key {
			out = append(out, fmt.Sprintf("%s %s: %s", restclient.Str(body, "failures", i, "event_type"),
				restclient.Str(body, "failures", i, "state"), restclient.Str(body, "failures", i, "error")))
		}
	}
	return out
}

// A deal won with a SKU the ERP does not know fails for good, and parks
// the opportunity. The salesperson reopens it, corrects the line and wins
// it again: the order comes from the corrected lines within seconds, the
// stale win is skipped rather than failing ahead of the fix, and no order
// is placed only to be cancelled.
func TestCorrectedDealGetsItsOrder(t *testing.T) {
	st := startStack(t, nil)
	ctx := context.Background()
	crm := rest(st, stack.CRM, auth.Sales)
	accountID := itemForSale(t, st, map[string]any{
		"sku": "REAL-1", "name": "Real item", "list_price": map[string]any{"currency_code": "EUR", "amount": "5.00"},
	}, "10", "Careful GmbH")
	// A catalog entry the ERP has no item for.
	resp, err := rest(st, stack.CRM, auth.Integration).Do(ctx, "POST", "/v1/products:upsert", map[string]any{
		"products": []any{map[string]any{"sku": "GHOST-1", "name": "Ghost", "source_version": "1",
			"list_price": map[string]any{"currency_code": "EUR", "amount": "5.00"}}},
	})
	must(t, resp, err, 200)
	resp, err = crm.Do(ctx, "POST", "/v1/opportunities", map[string]any{
		"account_id": accountID, "name": "Typo", "currency_code": "EUR",
		"lines": []any{map[string]any{"sku": "GHOST-1", "quantity": "2"}},
	})
	id := restclient.Str(must(t, resp, err, 200).Body, "id")
	resp, err = crm.Do(ctx, "POST", "/v1/opportunities/"+id+":win", map[string]any{})
	must(t, resp, err, 200)
	eventually(t, 15*time.Second, "the win parked", func() (bool, string) {
		held := heldFor(t, st, id)
		return len(held) == 1 && strings.Contains(held[0], "GHOST-1"), fmt.Sprint(held)
	})

	resp, err = crm.Do(ctx, "POST", "/v1/opportunities/"+id+":reopen", map[string]any{"stage": "STAGE_NEGOTIATION"})
	must(t, resp, err, 200)
	resp, err = crm.Do(ctx, "PATCH", "/v1/opportunities/"+id+"?update_mask=lines", map[string]any{
		"lines": []any{map[string]any{"sku": "REAL-1", "quantity": "2"}},
	})
	must(t, resp, err, 200)
	resp, err = crm.Do(ctx, "POST", "/v1/opportunities/"+id+":win", map[string]any{})
	must(t, resp, err, 200)
	eventually(t, 10*time.Second, "the order from the corrected lines", func() (bool, string) {
		resp, err := crm.Do(ctx, "GET", "/v1/opportunities/"+id, nil)
		if err != nil {
			return false, err.Error()
		}
		return restclient.Str(resp.Body, "order", "status") == "FULFILLMENT_STATUS_CONFIRMED" &&
			restclient.Str(resp.Body, "lines", 0, "sku") == "REAL-1", string(resp.Raw)
	})
	eventually(t, 10*time.Second, "nothing held for the deal", func() (bool, string) {
		held := heldFor(t, st, id)
		return len(held) == 0, fmt.Sprint(held)
	})
	resp, err = rest(st, stack.ERP, auth.Sales).Do(ctx, "GET", "/v1/salesOrders?filter="+
		urlQuery(fmt.Sprintf("external_ref = %q", id+"/2")), nil)
	if n := restclient.Len(must(t, resp, err, 200).Body, "sales_orders"); n != 0 {
		t.Errorf("a second order was placed (%d): the first was made from the stale win and cancelled", n)
	}
}

// A deal lost after its order shipped cannot have the order cancelled:
// the owner gets a task on the opportunity, the event stays held, and
// winning the deal again settles it without an operator, though the owner
// retitled the task.
func TestLostShippedDealRaisesTask(t *testing.T) {
	st := startStack(t, nil)
	ctx := context.Background()
	warehouse := rest(st, stack.ERP, auth.Warehouse)
	crm := rest(st, stack.CRM, auth.Sales)
	accountID := itemForSale(t, st, map[string]any{
		"sku": "SHIP-1", "name": "Item", "list_price": map[string]any{"currency_code": "EUR", "amount": "5.00"},
	}, "10", "Shipped Too Soon AG")
	resp, err := crm.Do(ctx, "POST", "/v1/opportunities", map[string]any{
		"account_id": accountID, "name": "Shipped deal", "currency_code": "EUR", "owner": "ana",
		"lines": []any{map[string]any{"sku": "SHIP-1", "quantity": "3"}},
	})
	opp := must(t, resp, err, 200).Body
	id, owner := restclient.Str(opp, "id"), restclient.Str(opp, "owner")
	resp, err = crm.Do(ctx, "POST", "/v1/opportunities/"+id+":win", map[string]any{})
	must(t, resp, err, 200)
	var orderID, number string
	eventually(t, 10*time.Second, "order confirmed", func() (bool, string) {
		resp, err := crm.Do(ctx, "GET", "/v1/opportunities/"+id, nil)
		if err != nil {
			return false, err.Error()
		}
		orderID, number = restclient.Str(resp.Body, "order", "id"), restclient.Str(resp.Body, "order", "number")
		return restclient.Str(resp.Body, "order", "status") == "FULFILLMENT_STATUS_CONFIRMED", string(resp.Raw)
	})
	resp, err = warehouse.Do(ctx, "POST", "/v1/shipments", map[string]any{"sales_order_id": orderID})
	must(t, resp, err, 200)
	resp, err = crm.Do(ctx, "POST", "/v1/opportunities/"+id+":lose", map[string]any{"lost_reason": "changed their mind"})
	must(t, resp, err, 200)

	filter := urlQuery(fmt.Sprintf("opportunity_id = %q", id))
	eventually(t, 15*time.Second, "a task for the owner", func() (bool, string) {
		resp, err := crm.Do(ctx, "GET", "/v1/activities?filter="+filter, nil)
		if err != nil {
			return false, err.Error()
		}
		return restclient.Len(resp.Body, "activities") == 1 &&
			strings.Contains(restclient.Str(resp.Body, "activities", 0, "subject"), number) &&
			restclient.Str(resp.Body, "activities", 0, "owner") == owner &&
			restclient.Str(resp.Body, "activities", 0, "type") == "ACTIVITY_TYPE_TASK", string(resp.Raw)
	})
	eventually(t, 10*time.Second, "the loss held, saying so", func() (bool, string) {
		held := heldFor(t, st, id)
		return len(held) == 1 && strings.Contains(held[0], "a task was raised in the CRM for "+owner), fmt.Sprint(held)
	})
	// Retries raise no second task.
	time.Sleep(2 * time.Second)
	resp, err = crm.Do(ctx, "GET", "/v1/activities?filter="+filter, nil)
	body := must(t, resp, err, 200).Body
	if n := restclient.Len(body, "activities"); n != 1 {
		t.Errorf("%d tasks after retries, want 1", n)
	}
	// The owner retitles the task: the bridge still knows it as its own.
	resp, err = crm.Do(ctx, "PATCH", "/v1/activities/"+restclient.Str(body, "activities", 0, "id")+"?update_mask=subject",
		map[string]any{"subject": "Call them about the shipped goods"})
	must(t, resp, err, 200)

	// Keep the order: win the deal again.
	resp, err = crm.Do(ctx, "POST", "/v1/opportunities/"+id+":reopen", map[string]any{"stage": "STAGE_NEGOTIATION"})
	must(t, resp, err, 200)
	resp, err = crm.Do(ctx, "POST", "/v1/opportunities/"+id+":win", map[string]any{})
	must(t, resp, err, 200)
	eventually(t, 10*time.Second, "nothing held once the deal is won again", func() (bool, string) {
		held := heldFor(t, st, id)
		return len(held) == 0, fmt.Sprint(held)
	})
	// The deal shows the shipped order again, at once with its status and,
	// once the bridge wrote it back, with what its line shipped; the task
	// is done.
	eventually(t, 10*time.Second, "the shipped order shown again", func() (bool, string) {
		resp, err := crm.Do(ctx, "GET", "/v1/opportunities/"+id, nil)
		if err != nil {
			return false, err.Error()
		}
		return restclient.Str(resp.Body, "order", "number") == number &&
			restclient.Str(resp.Body, "order", "status") == "FULFILLMENT_STATUS_SHIPPED" &&
			restclient.Str(resp.Body, "lines", 0, "shipped_quantity") == "3", string(resp.Raw)
	})
	eventually(t, 10*time.Second, "the task done", func() (bool, string) {
		resp, err := crm.Do(ctx, "GET", "/v1/activities?filter="+filter, nil)
		if err != nil {
			return false, err.Error()
		}
		return restclient.Len(resp.Body, "activities") == 1 && restclient.Str(resp.Body, "activities", 0, "done") == "true" &&
			restclient.Str(resp.Body, "activities", 0, "subject") == "Call them about the shipped goods" &&
			strings.Contains(restclient.Str(resp.Body, "activities", 0, "description"), "won again"), string(resp.Raw)
	})
}
