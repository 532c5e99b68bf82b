package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/seamhq/seam/e2e/internal/restclient"
	"github.com/seamhq/seam/e2e/internal/stack"
	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/pgtest"
)

// TestFaults wins deals while, one after another, the bridge is killed with
// SIGKILL and restarted, the ERP is stopped and started, and the ERP's
// PostgreSQL server is restarted. Afterwards every won opportunity has
// exactly one ERP order and shows its status and availability, and no
// event is left held. SEAM_FAULT_DEALS sets the number of deals (default
// 120; the soak uses 500).
func TestFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the whole stack")
	}
	deals := 120
	if n, err := strconv.Atoi(os.Getenv("SEAM_FAULT_DEALS")); err == nil && n > 0 {
		deals = n
	}
	ctx := context.Background()
	// The ERP gets a PostgreSQL server of its own, so that it can be
	// restarted without touching the CRM's and the bridge's.
	port, err := stack.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	erpPG, err := stack.StartPostgres(ctx, filepath.Join(t.TempDir(), "erp-pg"), port)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = erpPG.Stop() }()

	bin := binaries(t)
	logDir := filepath.Join(t.TempDir(), "logs")
	st, err := stack.Start(ctx, stack.Config{
		BinDir: bin, LogDir: logDir, AdminURL: erpPG.AdminURL(),
		Databases: map[string]string{
			stack.CRM: pgtest.CreateDatabase(t, "crm"), stack.ERP: "erp", stack.Bridge: pgtest.CreateDatabase(t, "bridge"),
		},
		Secret: "e2e-secret-for-the-test-stacks-only",
	})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Stop()
	t.Cleanup(func() {
		if t.Failed() {
			for _, name := range stack.Names {
				if b, err := os.ReadFile(filepath.Join(logDir, name+".log")); err == nil {
					_ = os.WriteFile(filepath.Join(os.TempDir(), "seam-fault-"+name+".log"), b, 0o644)
				}
			}
			t.Logf("service logs copied to %s/seam-fault-*.log", os.TempDir())
		}
	})

	warehouse := rest(st, stack.ERP, auth.Warehouse)
	erp := rest(st, stack.ERP, auth.Sales)
	crm := rest(st, stack.CRM, auth.Sales)
	bridge := rest(st, stack.Bridge, auth.Admin)
	skus := []string{"FAULT-1", "FAULT-2", "FAULT-3"}
	for _, sku := range skus {
		resp, err := warehouse.Do(ctx, "POST", "/v1/items", map[string]any{
			"sku": sku, "name": "Fault item", "list_price": map[string]any{"currency_code": "EUR", "amount": "10.00"},
		})
		must(t, resp, err, 200)
		resp, err = warehouse.Do(ctx, "POST", "/v1/stockAdjustments", map[string]any{"sku": sku, "quantity": "100000", "reason": "receipt"})
		must(t, resp, err, 200)
	}
	resp, err := crm.Do(ctx, "POST", "/v1/accounts", map[string]any{"name": "Fault Tolerant Inc"})
	accountID := restclient.Str(must(t, resp, err, 200).Body, "id")
	for _, sku := range skus {
		eventually(t, 10*time.Second, "product "+sku, func() (bool, string) {
			resp, err := crm.Do(ctx, "GET", "/v1/products/"+sku, nil)
			return err == nil && resp.Status == 200, fmt.Sprint(err)
		})
	}
	ids := make([]string, deals)
	for i := range ids {
		resp, err := crm.Do(ctx, "POST", "/v1/opportunities", map[string]any{
			"account_id": accountID, "name": fmt.Sprintf("Deal %d", i), "currency_code": "EUR",
			"lines": []any{map[string]any{"sku": skus[i%3], "quantity": fmt.Sprint(1 + i%4)}},
		})
		ids[i] = restclient.Str(must(t, resp, err, 200).Body, "id")
	}

	// Faults, one after another, while four clients win the deals.
	faults := make(chan struct{})
	go func() {
		defer close(faults)
		pause := func() { time.Sleep(time.Duration(150+rand.IntN(250)) * time.Millisecond) }
		b := st.Process(stack.Bridge)
		pause()
		b.Kill()
		if err := b.Start(ctx); err != nil {
			t.Errorf("restart bridge: %v", err)
		}
		pause()
		st.Process(stack.ERP).Stop(10 * time.Second)
		time.Sleep(time.Second)
		if err := st.Process(stack.ERP).Start(ctx); err != nil {
			t.Errorf("restart ERP: %v", err)
		}
		pause()
		if err := erpPG.Stop(); err != nil {
			t.Errorf("stop ERP PostgreSQL: %v", err)
		}
		time.Sleep(time.Second)
		if _, err := stack.StartPostgres(ctx, erpPG.Dir, erpPG.Port); err != nil {
			t.Errorf("start ERP PostgreSQL: %v", err)
		}
		pause()
		b.Kill()
		if err := b.Start(ctx); err != nil {
			t.Errorf("restart bridge: %v", err)
		}
	}()
	var wg sync.WaitGroup
	work := make(chan string)
	for range 4 {
		wg.Go(func() {
			for id := range work {
				resp, err := crm.Do(ctx, "POST", "/v1/opportunities/"+id+":win", map[string]any{})
				if err != nil || resp.Status != 200 {
					t.Errorf("win %s: %v %s", id, err, resp.Raw)
				}
				time.Sleep(time.Duration(rand.IntN(30)) * time.Millisecond)
			}
		})
	}
	for _, id := range ids {
		work <- id
	}
	close(work)
	wg.Wait()
	<-faults
	recovered := time.Now()

	for _, id := range ids {
		eventually(t, 30*time.Second, "confirmed order on "+id, func() (bool, string) {
			resp, err := crm.Do(ctx, "GET", "/v1/opportunities/"+id, nil)
			if err != nil {
				return false, err.Error()
			}
			return restclient.Str(resp.Body, "order", "number") != "" &&
				restclient.Str(resp.Body, "order", "status") == "FULFILLMENT_STATUS_CONFIRMED", string(resp.Raw)
		})
	}
	t.Logf("every deal shows its order %s after the last fault", time.Since(recovered).Round(time.Millisecond))

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
	// Availability in the CRM matches the ERP.
	for _, sku := range skus {
		eventually(t, 30*time.Second, "availability of "+sku, func() (bool, string) {
			a, err := erp.Do(ctx, "GET", "/v1/items/"+sku+"/availability", nil)
			if err != nil {
				return false, err.Error()
			}
			p, err := crm.Do(ctx, "GET", "/v1/products/"+sku, nil)
			if err != nil {
				return false, err.Error()
			}
			return restclient.Str(a.Body, "available") == restclient.Str(p.Body, "available_quantity"), string(a.Raw) + string(p.Raw)
		})
	}
	eventually(t, 30*time.Second, "no held events", func() (bool, string) {
		resp, err := bridge.Do(ctx, "GET", "/v1/failures", nil)
		return err == nil && resp.Status == 200 && restclient.Len(resp.Body, "failures") == 0, string(resp.Raw)
	})
}
