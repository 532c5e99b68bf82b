package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/e2e/internal/restclient"
	"github.com/seamhq/seam/e2e/internal/stack"
	"github.com/seamhq/seam/platform/auth"
)

// TestPipelineDemandReachesReorderSuggestions: an open opportunity at the
// proposal stage adds its probability-weighted quantity to the ERP's
// reorder suggestion for the SKU, and losing it takes the demand away.
func TestPipelineDemandReachesReorderSuggestions(t *testing.T) {
	st := startStack(t, map[string]map[string]string{stack.Bridge: {"PIPELINE_DEMAND_INTERVAL": "1s"}})
	ctx := context.Background()
	warehouse := rest(st, stack.ERP, auth.Warehouse)
	crm := rest(st, stack.CRM, auth.Sales)

	resp, err := warehouse.Do(ctx, "POST", "/v1/items", map[string]any{
		"sku": "DEMAND-1", "name": "Planned item", "reorder_point": "10", "reorder_quantity": "20",
		"list_price": map[string]any{"currency_code": "EUR", "amount": "3.00"},
	})
	must(t, resp, err, 200)
	resp, err = warehouse.Do(ctx, "POST", "/v1/stockAdjustments", map[string]any{"sku": "DEMAND-1", "quantity": "8", "reason": "receipt"})
	must(t, resp, err, 200)
	resp, err = crm.Do(ctx, "POST", "/v1/accounts", map[string]any{"name": "Planning AG"})
	accountID := restclient.Str(must(t, resp, err, 200).Body, "id")
	eventually(t, 10*time.Second, "product in CRM", func() (bool, string) {
		resp, err := crm.Do(ctx, "GET", "/v1/products/DEMAND-1", nil)
		return err == nil && resp.Status == 200, string(resp.Raw)
	})
	resp, err = crm.Do(ctx, "POST", "/v1/opportunities", map[string]any{
		"account_id": accountID, "name": "Planned deal", "currency_code": "EUR", "stage": "STAGE_PROPOSAL",
		"lines": []any{map[string]any{"sku": "DEMAND-1", "quantity": "10"}},
	})
	opp := must(t, resp, err, 200).Body
	if restclient.Str(opp, "probability") != "50" {
		t.Fatalf("proposal probability = %s, want the default 50", restclient.Str(opp, "probability"))
	}

	demandIs := func(what, want string) {
		t.Helper()
		eventually(t, 10*time.Second, what, func() (bool, string) {
			resp, err := warehouse.Do(ctx, "GET", "/v1/reorderSuggestions", nil)
			if err != nil || resp.Status != 200 {
				return false, string(resp.Raw)
			}
			for i := range restclient.Len(resp.Body, "reorder_suggestions") {
				if restclient.Str(resp.Body, "reorder_suggestions", i, "sku") != "DEMAND-1" {
					continue
				}
				got, err := decimal.NewFromString(restclient.Str(resp.Body, "reorder_suggestions", i, "pipeline_demand"))
				return err == nil && got.Equal(decimal.RequireFromString(want)), string(resp.Raw)
			}
			return false, string(resp.Raw)
		})
	}
	demandIs("weighted pipeline demand of 10 x 50 %", "5")

	resp, err = crm.Do(ctx, "POST", "/v1/opportunities/"+restclient.Str(opp, "id")+":lose", map[string]any{"lost_reason": "no budget"})
	must(t, resp, err, 200)
	demandIs("no demand once the deal is lost", "0")
}
