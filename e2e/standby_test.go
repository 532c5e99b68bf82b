package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seamhq/seam/e2e/internal/restclient"
	"github.com/seamhq/seam/e2e/internal/stack"
	"github.com/seamhq/seam/platform/auth"
)

// TestStandbyBridgeTakesOver runs two bridge processes on one bridge
// database: exactly one leads. Deals are won, the leader is killed with
// SIGKILL while more are won, and the standby takes over within seconds;
// every deal gets exactly one ERP order. The killed bridge, started again,
// stays standby.
func TestStandbyBridgeTakesOver(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the whole stack")
	}
	st := startStack(t, nil)
	ctx := context.Background()
	bridges := []*stack.Process{st.Process(stack.Bridge), startSecondBridge(t, st)}
	admin := func(p *stack.Process) *restclient.Client {
		c := rest(st, stack.Bridge, auth.Admin)
		c.Base = strings.TrimSuffix(p.Ready, "/readyz")
		return c
	}
	leading := func(p *stack.Process) bool {
		resp, err := admin(p).Do(ctx, "GET", "/v1/status", nil)
		return err == nil && resp.Status == 200 && restclient.Str(resp.Body, "leader") == "true"
	}
	var leader int
	eventually(t, 10*time.Second, "exactly one bridge leading", func() (bool, string) {
		a, b := leading(bridges[0]), leading(bridges[1])
		if b {
			leader = 1
		}
		return a != b, fmt.Sprintf("leading: %v, %v", a, b)
	})
	standby := 1 - leader

	warehouse := rest(st, stack.ERP, auth.Warehouse)
	crm := rest(st, stack.CRM, auth.Sales)
	resp, err := warehouse.Do(ctx, "POST", "/v1/items", map[string]any{
		"sku": "STANDBY-1", "name": "Standby item", "list_price": map[string]any{"currency_code": "EUR", "amount": "10.00"},
	})
	must(t, resp, err, 200)
	resp, err = warehouse.Do(ctx, "POST", "/v1/stockAdjustments", map[string]any{"sku": "STANDBY-1", "quantity": "1000", "reason": "receipt"})
	must(t, resp, err, 200)
	resp, err = crm.Do(ctx, "POST", "/v1/accounts", map[string]any{"name": "Standby Test Ltd"})
	accountID := restclient.Str(must(t, resp, err, 200).Body, "id")
	eventually(t, 10*time.Second, "product in CRM", func() (bool, string) {
		resp, err := crm.Do(ctx, "GET", "/v1/products/STANDBY-1", nil)
		return err == nil && resp.Status == 200, fmt.Sprint(err)
	})
	var won []string
	win := func(n int) {
		for range n {
			resp, err := crm.Do(ctx, "POST", "/v1/opportunities", map[string]any{
				"account_id": accountID, "name": fmt.Sprintf("Deal %d", len(won)), "currency_code": "EUR",
				"lines": []any{map[string]any{"sku": "STANDBY-1", "quantity": "1"}},
			})
			id := restclient.Str(must(t, resp, err, 200).Body, "id")
			resp, err = crm.Do(ctx, "POST", "/v1/opportunities/"+id+":win", map[string]any{})
			must(t, resp, err, 200)
			won = append(won, id)
		}
	}
	ordered := func(what string) {
		for _, id := range won {
			eventually(t, 30*time.Second, what+": order number on "+id, func() (bool, string) {
				resp, err := crm.Do(ctx, "GET", "/v1/opportunities/"+id, nil)
				return err == nil && restclient.Str(resp.Body, "order", "number") != "", fmt.Sprint(err)
			})
		}
	}
	win(5)
	ordered("before the takeover")

	// Kill the leader and win more deals while nobody leads.
	bridges[leader].Kill()
	killed := time.Now()
	win(10)
	took := eventually(t, 15*time.Second, "the standby leading", func() (bool, string) {
		return leading(bridges[standby]), ""
	})
	t.Logf("the standby leads %s after the leader was killed", time.Since(killed).Round(time.Millisecond))
	if took > 10*time.Second {
		t.Errorf("takeover took %s, want within 10 s", took)
	}
	ordered("after the takeover")

	erp := rest(st, stack.ERP, auth.Sales)
	resp, err = erp.Do(ctx, "GET", "/v1/salesOrders?page_size=1000", nil)
	orders := must(t, resp, err, 200).Body
	perOpportunity := map[string]int{}
	for i := range restclient.Len(orders, "sales_orders") {
		perOpportunity[restclient.Str(orders, "sales_orders", i, "external_ref")]++
	}
	for _, id := range won {
		if perOpportunity[id] != 1 {
			t.Errorf("opportunity %s has %d ERP orders, want 1", id, perOpportunity[id])
		}
	}

	// The killed bridge comes back as the standby.
	if err := bridges[leader].Start(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second) // more than a standby's lease retry
	if leading(bridges[leader]) || !leading(bridges[standby]) {
		t.Errorf("after the restart: old leader leading %v, new leader leading %v; want only the new one",
			leading(bridges[leader]), leading(bridges[standby]))
	}
}

// startSecondBridge starts another bridge process like the stack's, on
// ports of its own and the same databases.
func startSecondBridge(t *testing.T, st *stack.Stack) *stack.Process {
	t.Helper()
	first := st.Process(stack.Bridge)
	env := slices.DeleteFunc(slices.Clone(first.Env), func(kv string) bool {
		return strings.HasPrefix(kv, "GRPC_ADDR=") || strings.HasPrefix(kv, "HTTP_ADDR=") || strings.HasPrefix(kv, "BRIDGE_INSTANCE=")
	})
	ports := make([]int, 2)
	for i := range ports {
		var err error
		if ports[i], err = stack.FreePort(); err != nil {
			t.Fatal(err)
		}
	}
	env = append(env, fmt.Sprintf("GRPC_ADDR=127.0.0.1:%d", ports[0]), fmt.Sprintf("HTTP_ADDR=127.0.0.1:%d", ports[1]),
		"BRIDGE_INSTANCE=bridge-standby")
	p := &stack.Process{
		Name: "bridge-standby", Bin: first.Bin, Env: env,
		LogPath: filepath.Join(t.TempDir(), "bridge-standby.log"),
		Ready:   fmt.Sprintf("http://127.0.0.1:%d/readyz", ports[1]),
	}
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Stop(10 * time.Second) })
	return p
}
