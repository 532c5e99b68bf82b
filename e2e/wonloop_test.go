package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/seamhq/seam/e2e/internal/restclient"
	"github.com/seamhq/seam/e2e/internal/stack"
	"github.com/seamhq/seam/platform/auth"
)

func must(t *testing.T, resp restclient.Response, err error, want int) restclient.Response {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != want {
		t.Fatalf("status %d, want %d: %s", resp.Status, want, resp.Raw)
	}
	return resp
}

// TestWonDealLoop walks the business loop over REST: items with stock in
// the ERP appear in the CRM catalog, a won opportunity becomes a confirmed
// ERP order whose number and the lines' availability show in the CRM, and
// neither winning again nor replaying the bridge from the start creates a
// second order. The won deal's lines show what its order reserved, and
// then shipped.
func TestWonDealLoop(t *testing.T) {
	st := startStack(t, nil)
	ctx := context.Background()
	warehouse := rest(st, stack.ERP, auth.Warehouse)
	erpSales := rest(st, stack.ERP, auth.Sales)
	crm := rest(st, stack.CRM, auth.Sales)

	for _, it := range []struct{ sku, price, stock string }{{"E2E-PUMP", "1290.00", "25"}, {"E2E-VALVE", "34.90", "100"}} {
		resp, err := warehouse.Do(ctx, "POST", "/v1/items", map[string]any{
			"sku": it.sku, "name": "Item " + it.sku,
			"list_price": map[string]any{"currency_code": "EUR", "amount": it.price},
		})
		must(t, resp, err, 200)
		resp, err = warehouse.Do(ctx, "POST", "/v1/stockAdjustments", map[string]any{
			"sku": it.sku, "warehouse": "MAIN", "quantity": it.stock, "reason": "receipt",
		})
		must(t, resp, err, 200)
	}
	resp, err := crm.Do(ctx, "POST", "/v1/accounts", map[string]any{"name": "Nordwind Bau GmbH", "website": "nordwind.example"})
	account := must(t, resp, err, 200).Body

	// The bridge mirrors items and stock into the CRM catalog.
	for sku, want := range map[string]string{"E2E-PUMP": "25", "E2E-VALVE": "100"} {
		eventually(t, 10*time.Second, "product "+sku+" with availability in CRM", func() (bool, string) {
			resp, err := crm.Do(ctx, "GET", "/v1/products/"+sku, nil)
			if err != nil || resp.Status != 200 {
				return false, fmt.Sprint(resp.Status, err)
			}
			return restclient.Str(resp.Body, "available_quantity") == want, string(resp.Raw)
		})
	}

	resp, err = crm.Do(ctx, "POST", "/v1/opportunities", map[string]any{
		"account_id": restclient.Str(account, "id"), "name": "Dewatering pumps", "currency_code": "EUR",
		"lines": []any{
			map[string]any{"sku": "E2E-PUMP", "quantity": "10", "discount_percent": "5"},
			map[string]any{"sku": "E2E-VALVE", "quantity": "20", "unit_price": map[string]any{"currency_code": "EUR", "amount": "30.00"}},
		},
	})
	opp := must(t, resp, err, 200).Body
	id := restclient.Str(opp, "id")
	// 10 x 1290.00 x 0.95 + 20 x 30.00
	if got := restclient.Str(opp, "amount", "amount"); got != "12855.00" {
		t.Errorf("opportunity amount = %s, want 12855.00", got)
	}

	// A frontend watches the opportunity over REST while the deal is won.
	next := watchREST(t, crm, "/v1/opportunities/"+id+":watch")
	if first := next(); restclient.Str(first, "id") != id || restclient.Str(first, "stage") != "STAGE_PROSPECTING" {
		t.Fatalf("first version watched: %v", first)
	}

	resp, err = crm.Do(ctx, "POST", "/v1/opportunities/"+id+":win", map[string]any{})
	must(t, resp, err, 200)
	var number string
	took := eventually(t, 10*time.Second, "ERP order number on the opportunity", func() (bool, string) {
		resp, err := crm.Do(ctx, "GET", "/v1/opportunities/"+id, nil)
		if err != nil {
			return false, err.Error()
		}
		number = restclient.Str(resp.Body, "order", "number")
		return number != "", string(resp.Raw)
	})
	t.Logf("order %s visible in CRM %s after :win", number, took)
	if took > 2*time.Second {
		t.Errorf("order number took %s to show, want within 2s", took)
	}
	// The watcher saw the win, then the order number, as they came.
	var stages []string
	for {
		v := next()
		stages = append(stages, restclient.Str(v, "stage"))
		if restclient.Str(v, "order", "number") != "" {
			if got := restclient.Str(v, "order", "number"); got != number {
				t.Errorf("watched order number %s, GetOpportunity says %s", got, number)
			}
			break
		}
	}
	if len(stages) == 0 || stages[0] != "STAGE_CLOSED_WON" {
		t.Errorf("watched stages %v, want the win first", stages)
	}

	// The reservation flows back as availability on the catalog and lines,
	// and as what the deal's own order holds for each of its lines.
	fulfilment := func(what string, want ...[3]string) {
		t.Helper()
		eventually(t, 10*time.Second, what, func() (bool, string) {
			resp, err := crm.Do(ctx, "GET", "/v1/opportunities/"+id, nil)
			if err != nil {
				return false, err.Error()
			}
			for i, w := range want {
				if restclient.Str(resp.Body, "lines", i, "reserved_quantity") != w[0] ||
					restclient.Str(resp.Body, "lines", i, "backordered_quantity") != w[1] ||
					restclient.Str(resp.Body, "lines", i, "shipped_quantity") != w[2] {
					return false, string(resp.Raw)
				}
			}
			return true, ""
		})
	}
	eventually(t, 10*time.Second, "availability after the reservation", func() (bool, string) {
		resp, err := crm.Do(ctx, "GET", "/v1/opportunities/"+id, nil)
		if err != nil {
			return false, err.Error()
		}
		return restclient.Str(resp.Body, "lines", 0, "available_quantity") == "15" &&
			restclient.Str(resp.Body, "order", "status") == "FULFILLMENT_STATUS_CONFIRMED", string(resp.Raw)
	})
	// All of each line is reserved for the deal, whatever the catalog has
	// left for others.
	fulfilment("the order's reservation on the won deal's lines", [3]string{"10", "0", "0"}, [3]string{"20", "0", "0"})

	countOrders := func() int {
		resp, err := erpSales.Do(ctx, "GET", "/v1/salesOrders?page_size=1000", nil)
		must(t, resp, err, 200)
		return restclient.Len(resp.Body, "sales_orders")
	}
	resp, err = erpSales.Do(ctx, "GET", fmt.Sprintf("/v1/salesOrders?filter=%s", urlQuery(`external_ref = "`+id+`"`)), nil)
	orders := must(t, resp, err, 200).Body
	if n := restclient.Len(orders, "sales_orders"); n != 1 {
		t.Fatalf("orders for the opportunity = %d, want 1", n)
	}
	if got := restclient.Str(orders, "sales_orders", 0, "lines", 0, "reserved_quantity"); got != "10" {
		t.Errorf("reserved on the pump line = %s, want 10", got)
	}

	// Winning again changes nothing.
	resp, err = crm.Do(ctx, "POST", "/v1/opportunities/"+id+":win", map[string]any{})
	must(t, resp, err, 200)

	// Replaying both feeds from the beginning creates no second order.
	st.Process(stack.Bridge).Stop(10 * time.Second)
	resetCheckpoints(t, st)
	if err := st.Process(stack.Bridge).Start(ctx); err != nil {
		t.Fatal(err)
	}
	caughtUp(t, st, "after replay")
	if n := countOrders(); n != 1 {
		t.Fatalf("orders after replay = %d, want 1", n)
	}
	resp, err = crm.Do(ctx, "GET", "/v1/opportunities/"+id, nil)
	if got := restclient.Str(must(t, resp, err, 200).Body, "order", "number"); got != number {
		t.Errorf("order number after replay = %s, want %s", got, number)
	}
	fulfilment("the reservation after replay", [3]string{"10", "0", "0"}, [3]string{"20", "0", "0"})

	// Shipments move what the order holds to what it shipped: four pumps
	// first, then the rest.
	orderID := restclient.Str(orders, "sales_orders", 0, "id")
	resp, err = warehouse.Do(ctx, "POST", "/v1/shipments", map[string]any{
		"sales_order_id": orderID, "lines": []any{map[string]any{"line_number": 1, "quantity": "4"}},
	})
	must(t, resp, err, 200)
	fulfilment("a partial shipment on the won deal's lines", [3]string{"6", "0", "4"}, [3]string{"20", "0", "0"})
	resp, err = warehouse.Do(ctx, "POST", "/v1/shipments", map[string]any{"sales_order_id": orderID})
	must(t, resp, err, 200)
	fulfilment("the whole order shipped, on the won deal's lines", [3]string{"0", "0", "10"}, [3]string{"0", "0", "20"})
}

func urlQuery(s string) string {
	r := strings.NewReplacer(" ", "%20", `"`, "%22", "=", "%3D")
	return r.Replace(s)
}

// resetCheckpoints makes the bridge start both feeds from the beginning.
func resetCheckpoints(t *testing.T, st *stack.Stack) {
	t.Helper()
	ctx := context.Background()
	url := bridgeDatabase(st)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `DELETE FROM checkpoints`); err != nil {
		t.Fatal(err)
	}
}

func bridgeDatabase(st *stack.Stack) string {
	for _, kv := range st.Process(stack.Bridge).Env {
		if v, ok := strings.CutPrefix(kv, "DATABASE_URL="); ok {
			return v
		}
	}
	return ""
}

// TestAuthAcrossServices checks tokens and roles on the real binaries.
func TestAuthAcrossServices(t *testing.T) {
	st := startStack(t, nil)
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		client *restclient.Client
		method string
		path   string
		body   any
		status int
	}{
		{"CRM without token", rest(st, stack.CRM), "GET", "/v1/accounts", nil, http.StatusUnauthorized},
		{"ERP without token", rest(st, stack.ERP), "GET", "/v1/items", nil, http.StatusUnauthorized},
		{"bridge without token", rest(st, stack.Bridge), "GET", "/v1/status", nil, http.StatusUnauthorized},
		{"sales on a finance-only RPC", rest(st, stack.ERP, auth.Sales), "PATCH", "/v1/customers/00000000-0000-0000-0000-000000000000",
			map[string]any{"name": "x"}, http.StatusForbidden},
		{"sales on the bridge's write-back", rest(st, stack.CRM, auth.Sales), "POST", "/v1/accounts/x:linkCustomer",
			map[string]any{"erp_customer_id": "y"}, http.StatusForbidden},
		{"health needs no token", rest(st, stack.CRM), "GET", "/healthz", nil, http.StatusOK},
	} {
		resp, err := tc.client.Do(ctx, tc.method, tc.path, tc.body)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if resp.Status != tc.status {
			t.Errorf("%s: %s %s = %d %s, want %d", tc.name, tc.method, tc.path, resp.Status, resp.Raw, tc.status)
		}
	}
}

// watchREST opens a REST watch stream at path and returns a function
// that waits up to 10 s for its next version (one JSON line each,
// {"result": {...}}), failing the test when none comes.
func watchREST(t *testing.T, c *restclient.Client, path string) func() map[string]any {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.Base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("watch %s: status %d", path, resp.StatusCode)
	}
	versions := make(chan map[string]any, 64)
	go func() {
		defer close(versions)
		dec := json.NewDecoder(resp.Body)
		for {
			var msg struct {
				Result map[string]any `json:"result"`
			}
			if err := dec.Decode(&msg); err != nil {
				return
			}
			select {
			case versions <- msg.Result:
			case <-ctx.Done():
				return
			}
		}
	}()
	return func() map[string]any {
		t.Helper()
		select {
		case v, ok := <-versions:
			if !ok {
				t.Fatalf("watch %s: the stream ended", path)
			}
			return v
		case <-time.After(10 * time.Second):
			t.Fatalf("watch %s: no version within 10 s", path)
			return nil
		}
	}
}
