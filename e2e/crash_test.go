package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/seamhq/seam/e2e/internal/restclient"
	"github.com/seamhq/seam/e2e/internal/stack"
	"github.com/seamhq/seam/platform/auth"
)

// TestBridgeKilledWhileDealsAreWon wins deals while the bridge is killed
// with SIGKILL at random moments and restarted. Afterwards every won
// opportunity has exactly one ERP order, and its number shows in the CRM:
// nothing lost, nothing duplicated.
func TestBridgeKilledWhileDealsAreWon(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the whole stack")
	}
	st := startStack(t, nil)
	ctx := context.Background()
	warehouse := rest(st, stack.ERP, auth.Warehouse)
	erp := rest(st, stack.ERP, auth.Sales)
	crm := rest(st, stack.CRM, auth.Sales)

	resp, err := warehouse.Do(ctx, "POST", "/v1/items", map[string]any{
		"sku": "CRASH-1", "name": "Crash test item", "list_price": map[string]any{"currency_code": "EUR", "amount": "10.00"},
	})
	must(t, resp, err, 200)
	resp, err = warehouse.Do(ctx, "POST", "/v1/stockAdjustments", map[string]any{"sku": "CRASH-1", "quantity": "100000", "reason": "receipt"})
	must(t, resp, err, 200)
	resp, err = crm.Do(ctx, "POST", "/v1/accounts", map[string]any{"name": "Crash Test Ltd"})
	accountID := restclient.Str(must(t, resp, err, 200).Body, "id")
	eventually(t, 10*time.Second, "product in CRM", func() (bool, string) {
		resp, err := crm.Do(ctx, "GET", "/v1/products/CRASH-1", nil)
		return err == nil && resp.Status == 200, fmt.Sprint(err)
	})

	const deals = 60
	ids := make([]string, deals)
	for i := range ids {
		resp, err := crm.Do(ctx, "POST", "/v1/opportunities", map[string]any{
			"account_id": accountID, "name": fmt.Sprintf("Deal %d", i), "currency_code": "EUR",
			"lines": []any{map[string]any{"sku": "CRASH-1", "quantity": fmt.Sprint(1 + i%5)}},
		})
		ids[i] = restclient.Str(must(t, resp, err, 200).Body, "id")
	}

	// Win the deals from four clients while the bridge is killed and restarted.
	var wg sync.WaitGroup
	work := make(chan string)
	for range 4 {
		wg.Go(func() {
			for id := range work {
				resp, err := crm.Do(ctx, "POST", "/v1/opportunities/"+id+":win", map[string]any{})
				if err != nil || resp.Status != 200 {
					t.Errorf("win %s: %v %s", id, err, resp.Raw)
				}
				time.Sleep(time.Duration(rand.IntN(20)) * time.Millisecond)
			}
		})
	}
	killer := make(chan struct{})
	go func() {
		defer close(killer)
		bridge := st.Process(stack.Bridge)
		for range 3 {
			time.Sleep(time.Duration(100+rand.IntN(300)) * time.Millisecond)
			bridge.Kill()
			if err := bridge.Start(ctx); err != nil {
				t.Errorf("restart bridge: %v", err)
				return
			}
		}
	}()
	for _, id := range ids {
		work <- id
	}
	close(work)
	wg.Wait()
	<-killer

	for _, id := range ids {
		eventually(t, 30*time.Second, "order number on "+id, func() (bool, string) {
			resp, err := crm.Do(ctx, "GET", "/v1/opportunities/"+id, nil)
			if err != nil {
				return false, err.Error()
			}
			return restclient.Str(resp.Body, "order", "number") != "", string(resp.Raw)
		})
	}
	resp, err = erp.Do(ctx, "GET", "/v1/salesOrders?page_size=1000", nil)
	orders := must(t, resp, err, 200).Body
	perOpportunity := map[string]int{}
	for i := range restclient.Len(orders, "sales_orders") {
		perOpportunity[restclient.Str(orders, "sales_orders", i, "external_ref")]++
	}
	for _, id := range ids {
		if perOpportunity[id] != 1 {
			t.Errorf("opportunity %s has %d ERP orders, want 1", id, perOpportunity[id])
		}
	}
	if len(perOpportunity) != deals {
		t.Errorf("%d ERP orders reference %d opportunities, want %d", restclient.Len(orders, "sales_orders"), len(perOpportunity), deals)
	}
}
