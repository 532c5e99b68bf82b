package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/seamhq/seam/e2e/internal/restclient"
	"github.com/seamhq/seam/e2e/internal/stack"
	"github.com/seamhq/seam/platform/auth"
)

// TestLostDealCancelsItsOrder wins a deal, loses it (the unshipped order is
// cancelled and its stock released), reopens and wins it again (a second
// order is placed), all visible from the CRM.
func TestLostDealCancelsItsOrder(t *testing.T) {
	st := startStack(t, nil)
	ctx := context.Background()
	crm := rest(st, stack.CRM, auth.Sales)
	accountID := itemForSale(t, st, map[string]any{
		"sku": "LOST-1", "name": "Item", "list_price": map[string]any{"currency_code": "EUR", "amount": "5.00"},
	}, "10", "Fickle AG")
	resp, err := crm.Do(ctx, "POST", "/v1/opportunities", map[string]any{
		"account_id": accountID, "name": "Maybe", "currency_code": "EUR",
		"lines": []any{map[string]any{"sku": "LOST-1", "quantity": "6"}},
	})
	id := restclient.Str(must(t, resp, err, 200).Body, "id")

	orderIs := func(what, status string, available string) string {
		var number string
		eventually(t, 10*time.Second, what, func() (bool, string) {
			resp, err := crm.Do(ctx, "GET", "/v1/opportunities/"+id, nil)
			if err != nil {
				return false, err.Error()
			}
			number = restclient.Str(resp.Body, "order", "number")
			return restclient.Str(resp.Body, "order", "status") == status &&
				restclient.Str(resp.Body, "lines", 0, "available_quantity") == available, string(resp.Raw)
		})
		return number
	}

	resp, err = crm.Do(ctx, "POST", "/v1/opportunities/"+id+":win", map[string]any{})
	must(t, resp, err, 200)
	first := orderIs("order confirmed", "FULFILLMENT_STATUS_CONFIRMED", "4")

	resp, err = crm.Do(ctx, "POST", "/v1/opportunities/"+id+":lose", map[string]any{"lost_reason": "budget cut"})
	must(t, resp, err, 200)
	if got := orderIs("order cancelled, stock released", "FULFILLMENT_STATUS_CANCELLED", "10"); got != first {
		t.Errorf("cancelled order shown as %s, want %s", got, first)
	}

	resp, err = crm.Do(ctx, "POST", "/v1/opportunities/"+id+":reopen", map[string]any{})
	must(t, resp, err, 200)
	resp, err = crm.Do(ctx, "POST", "/v1/opportunities/"+id+":win", map[string]any{})
	must(t, resp, err, 200)
	second := orderIs("a new order for the second win", "FULFILLMENT_STATUS_CONFIRMED", "4")
	if second == first {
		t.Errorf("the second win shows the cancelled order %s", first)
	}
}
