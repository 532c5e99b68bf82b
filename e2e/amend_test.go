package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/seamhq/seam/e2e/internal/restclient"
	"github.com/seamhq/seam/e2e/internal/stack"
	"github.com/seamhq/seam/platform/auth"
)

// TestAmendedOrderChangesTheDeal wins a deal, amends its ERP order (more
// of one line, a new line) and sees the opportunity's lines, amount and
// order status follow in the CRM.
func TestAmendedOrderChangesTheDeal(t *testing.T) {
	st := startStack(t, nil)
	ctx := context.Background()
	warehouse := rest(st, stack.ERP, auth.Warehouse)
	sales := rest(st, stack.ERP, auth.Sales)
	crm := rest(st, stack.CRM, auth.Sales)

	for sku, price := range map[string]string{"AMEND-1": "5.00", "AMEND-2": "3.00"} {
		resp, err := warehouse.Do(ctx, "POST", "/v1/items", map[string]any{
			"sku": sku, "name": "Item " + sku, "list_price": map[string]any{"currency_code": "EUR", "amount": price},
		})
		must(t, resp, err, 200)
		resp, err = warehouse.Do(ctx, "POST", "/v1/stockAdjustments", map[string]any{"sku": sku, "quantity": "20", "reason": "receipt"})
		must(t, resp, err, 200)
		eventually(t, 10*time.Second, "product "+sku+" in CRM", func() (bool, string) {
			resp, err := crm.Do(ctx, "GET", "/v1/products/"+sku, nil)
			return err == nil && resp.Status == 200, string(resp.Raw)
		})
	}
	resp, err := crm.Do(ctx, "POST", "/v1/accounts", map[string]any{"name": "Amend GmbH"})
	accountID := restclient.Str(must(t, resp, err, 200).Body, "id")
	resp, err = crm.Do(ctx, "POST", "/v1/opportunities", map[string]any{
		"account_id": accountID, "name": "Grows", "currency_code": "EUR",
		"lines": []any{map[string]any{"sku": "AMEND-1", "quantity": "2"}},
	})
	id := restclient.Str(must(t, resp, err, 200).Body, "id")
	resp, err = crm.Do(ctx, "POST", "/v1/opportunities/"+id+":win", map[string]any{})
	must(t, resp, err, 200)

	var orderID string
	eventually(t, 10*time.Second, "order confirmed", func() (bool, string) {
		resp, err := crm.Do(ctx, "GET", "/v1/opportunities/"+id, nil)
		if err != nil {
			return false, err.Error()
		}
		orderID = restclient.Str(resp.Body, "order", "id")
		return restclient.Str(resp.Body, "order", "status") == "FULFILLMENT_STATUS_CONFIRMED", string(resp.Raw)
	})

	// In ERP: line 1 goes from 2 to 5, and 4 of AMEND-2 are added.
	resp, err = sales.Do(ctx, "POST", "/v1/salesOrders/"+orderID+":amend", map[string]any{
		"lines": []any{
			map[string]any{"line_number": 1, "quantity": "5"},
			map[string]any{"sku": "AMEND-2", "quantity": "4"},
		},
	})
	must(t, resp, err, 200)

	// 5 x 5.00 + 4 x 3.00 = 37.00.
	eventually(t, 10*time.Second, "amended lines and amount in CRM", func() (bool, string) {
		resp, err := crm.Do(ctx, "GET", "/v1/opportunities/"+id, nil)
		if err != nil {
			return false, err.Error()
		}
		b := resp.Body
		return restclient.Str(b, "amount", "amount") == "37.00" &&
			restclient.Str(b, "lines", 0, "sku") == "AMEND-1" && restclient.Str(b, "lines", 0, "quantity") == "5" &&
			restclient.Str(b, "lines", 1, "sku") == "AMEND-2" && restclient.Str(b, "lines", 1, "quantity") == "4" &&
			restclient.Str(b, "order", "status") == "FULFILLMENT_STATUS_CONFIRMED", string(resp.Raw)
	})
}
