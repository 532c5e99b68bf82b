package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/seamhq/seam/e2e/internal/restclient"
	"github.com/seamhq/seam/e2e/internal/stack"
	"github.com/seamhq/seam/platform/auth"
)

// TestReconciliationRepairsALostDelivery makes the bridge skip a won deal
// (its checkpoint is moved past the event while it is down) and shows that
// a reconciliation pass finds the won opportunity without an order and
// repairs it, and that a second pass finds nothing to do.
func TestReconciliationRepairsALostDelivery(t *testing.T) {
	st := startStack(t, nil)
	ctx := context.Background()
	warehouse := rest(st, stack.ERP, auth.Warehouse)
	crm := rest(st, stack.CRM, auth.Sales)
	bridge := rest(st, stack.Bridge, auth.Admin)

	resp, err := warehouse.Do(ctx, "POST", "/v1/items", map[string]any{
		"sku": "RECON-1", "name": "Reconciled item", "list_price": map[string]any{"currency_code": "EUR", "amount": "5.00"},
	})
	must(t, resp, err, 200)
	resp, err = warehouse.Do(ctx, "POST", "/v1/stockAdjustments", map[string]any{"sku": "RECON-1", "quantity": "50", "reason": "receipt"})
	must(t, resp, err, 200)
	resp, err = crm.Do(ctx, "POST", "/v1/accounts", map[string]any{"name": "Drift GmbH"})
	accountID := restclient.Str(must(t, resp, err, 200).Body, "id")
	eventually(t, 10*time.Second, "product in CRM", func() (bool, string) {
		resp, err := crm.Do(ctx, "GET", "/v1/products/RECON-1", nil)
		return err == nil && resp.Status == 200 && restclient.Str(resp.Body, "available_quantity") == "50", string(resp.Raw)
	})
	resp, err = crm.Do(ctx, "POST", "/v1/opportunities", map[string]any{
		"account_id": accountID, "name": "Lost delivery", "currency_code": "EUR",
		"lines": []any{map[string]any{"sku": "RECON-1", "quantity": "4"}},
	})
	id := restclient.Str(must(t, resp, err, 200).Body, "id")

	// With the bridge down, win the deal and move the bridge's CRM
	// checkpoint past every event: the won event is never delivered.
	st.Process(stack.Bridge).Stop(10 * time.Second)
	resp, err = crm.Do(ctx, "POST", "/v1/opportunities/"+id+":win", map[string]any{})
	must(t, resp, err, 200)
	skipDeliveries(t, st, stack.CRM, "opportunity.won")
	time.Sleep(500 * time.Millisecond)
	resp, err = crm.Do(ctx, "GET", "/v1/opportunities/"+id, nil)
	if n := restclient.Str(must(t, resp, err, 200).Body, "order", "number"); n != "" {
		t.Fatalf("the skipped deal has order %s before reconciliation; the setup did not lose the delivery", n)
	}

	report, raw := reconciled(t, bridge)
	found := false
	checks, _ := report["checks"].([]any)
	for _, c := range checks {
		m := c.(map[string]any)
		if restclient.Str(m, "name") == "won_opportunity_has_order" {
			found = true
			if restclient.Str(m, "drifted") != "1" || restclient.Str(m, "repaired") != "1" {
				t.Errorf("won_opportunity_has_order = %v, want 1 drifted, 1 repaired", m)
			}
		}
	}
	if !found {
		t.Fatalf("report without the won-order check: %s", raw)
	}
	resp, err = crm.Do(ctx, "GET", "/v1/opportunities/"+id, nil)
	if n := restclient.Str(must(t, resp, err, 200).Body, "order", "number"); n == "" {
		t.Fatalf("no order on the opportunity after the repair: %s", resp.Raw)
	}

	// Converged: the next pass repairs nothing, and the report is kept.
	eventually(t, 10*time.Second, "a clean pass", func() (bool, string) {
		report, raw := reconciled(t, bridge)
		return restclient.Len(report, "repairs") == 0, string(raw)
	})
	reportID := restclient.Str(report, "id")
	resp, err = bridge.Do(ctx, "GET", "/v1/reconciliations?page_size=10", nil)
	if got := restclient.Str(must(t, resp, err, 200).Body, "reconciliations", 1, "id"); got != reportID {
		t.Errorf("second newest report id = %s, want %s: %s", got, reportID, resp.Raw)
	}

	keptCopies(t, st, id, accountID)
	renamedCustomer(t, st, accountID)
	productWithoutItem(t, st)
}

// productWithoutItem gives the CRM a product no ERP item has and checks
// that a pass lists it for a person and leaves it be.
func productWithoutItem(t *testing.T, st *stack.Stack) {
	t.Helper()
	ctx := context.Background()
	resp, err := rest(st, stack.CRM, auth.Integration).Do(ctx, "POST", "/v1/products:upsert", map[string]any{"products": []any{map[string]any{
		"sku": "NO-ITEM", "name": "Not an ERP item", "list_price": map[string]any{"currency_code": "EUR", "amount": "1.00"}, "source_version": "1",
	}}})
	must(t, resp, err, 200)

	report, raw := reconciled(t, rest(st, stack.Bridge, auth.Admin))
	found := false
	repairs, _ := report["repairs"].([]any)
	for _, r := range repairs {
		m := r.(map[string]any)
		found = found || restclient.Str(m, "check") == "item_in_catalog" && restclient.Str(m, "key") == "NO-ITEM" &&
			strings.Contains(restclient.Str(m, "detail"), "without an ERP item: left for a person")
	}
	if !found {
		t.Errorf("the product without an item is not listed for a person: %s", raw)
	}
	resp, err = rest(st, stack.CRM, auth.Sales).Do(ctx, "GET", "/v1/products/NO-ITEM", nil)
	must(t, resp, err, 200)
}

// renamedCustomer renames an account's customer in the ERP, which no flow
// carries back, and checks that a pass gives it its account's name again:
// the CRM owns it.
func renamedCustomer(t *testing.T, st *stack.Stack, accountID string) {
	t.Helper()
	ctx := context.Background()
	resp, err := rest(st, stack.CRM, auth.Sales).Do(ctx, "GET", "/v1/accounts/"+accountID, nil)
	acc := must(t, resp, err, 200).Body
	customerID := restclient.Str(acc, "erp_customer_id")
	finance := rest(st, stack.ERP, auth.Finance)
	resp, err = finance.Do(ctx, "PATCH", "/v1/customers/"+customerID, map[string]any{"name": "Renamed in the ERP"})
	must(t, resp, err, 200)

	report, raw := reconciled(t, rest(st, stack.Bridge, auth.Admin))
	found := false
	repairs, _ := report["repairs"].([]any)
	for _, r := range repairs {
		m := r.(map[string]any)
		found = found || restclient.Str(m, "check") == "account_has_customer" && restclient.Str(m, "key") == accountID &&
			strings.HasSuffix(restclient.Str(m, "detail"), ": repaired")
	}
	if !found {
		t.Errorf("no repair of the renamed customer listed: %s", raw)
	}
	resp, err = finance.Do(ctx, "GET", "/v1/customers/"+customerID, nil)
	if got, want := restclient.Str(must(t, resp, err, 200).Body, "name"), restclient.Str(acc, "name"); got != want {
		t.Errorf("customer named %q after the pass, want its account's name %q", got, want)
	}
}

// keptCopies overwrites CRM copies with versions the ERP never had, which
// no versioned sync can correct, and checks that a reconciliation pass
// resets the order shown on the deal (with its lines' fulfilment), the
// payment status, the balance and the availability to the ERP's, and reports a balance no ERP version can replace as drift it
// could not repair instead of counting it repaired.
func keptCopies(t *testing.T, st *stack.Stack, oppID, accountID string) {
	t.Helper()
	ctx := context.Background()
	crm := rest(st, stack.CRM, auth.Sales)
	resp, err := crm.Do(ctx, "GET", "/v1/opportunities/"+oppID, nil)
	orderID := restclient.Str(must(t, resp, err, 200).Body, "order", "id")
	resp, err = rest(st, stack.ERP, auth.Warehouse).Do(ctx, "POST", "/v1/shipments", map[string]any{"sales_order_id": orderID})
	must(t, resp, err, 200)
	resp, err = rest(st, stack.ERP, auth.Finance).Do(ctx, "POST", "/v1/invoices", map[string]any{"sales_order_id": orderID})
	must(t, resp, err, 200)
	eventually(t, 10*time.Second, "the account's open balance", func() (bool, string) {
		resp, err := crm.Do(ctx, "GET", "/v1/accounts/"+accountID, nil)
		return err == nil && restclient.Str(resp.Body, "open_balance", "amount") == "20.00", string(resp.Raw)
	})
	caughtUp(t, st, "")

	sync := rest(st, stack.CRM, auth.Integration)
	resp, err = sync.Do(ctx, "POST", "/v1/accounts/"+accountID+":setPaymentStatus", map[string]any{
		"payment_status": "PAYMENT_STATUS_OVERDUE", "source_version": "1000",
		"open_balance":    map[string]any{"currency_code": "EUR", "amount": "12345.00"},
		"overdue_balance": map[string]any{"currency_code": "EUR", "amount": "12345.00"},
	})
	must(t, resp, err, 200)
	resp, err = crm.Do(ctx, "GET", "/v1/opportunities/"+oppID, nil)
	order := must(t, resp, err, 200).Body
	resp, err = sync.Do(ctx, "POST", "/v1/opportunities/"+oppID+":setOrder", map[string]any{
		"order_id": orderID, "order_number": "SO-FROM-ELSEWHERE", "status": "FULFILLMENT_STATUS_CANCELLED",
		"source_version": "9000000000000000000",
	})
	must(t, resp, err, 200)
	resp, err = sync.Do(ctx, "POST", "/v1/opportunities/"+oppID+":setPaymentStatus", map[string]any{
		"payment_status": "PAYMENT_STATUS_PAID", "source_version": "9000000000000000000",
	})
	must(t, resp, err, 200)
	resp, err = sync.Do(ctx, "POST", "/v1/products:setAvailability", map[string]any{"updates": []any{map[string]any{
		"sku": "RECON-1", "on_hand": "999", "reserved": "0", "available": "999", "source_version": "1000",
	}}})
	must(t, resp, err, 200)

	// An account whose customer was never invoiced, shown a balance that
	// came from elsewhere: no ERP version can replace it.
	resp, err = crm.Do(ctx, "POST", "/v1/accounts", map[string]any{"name": "Never Invoiced GmbH"})
	fresh := restclient.Str(must(t, resp, err, 200).Body, "id")
	eventually(t, 10*time.Second, "the new account's customer", func() (bool, string) {
		resp, err := crm.Do(ctx, "GET", "/v1/accounts/"+fresh, nil)
		return err == nil && restclient.Str(resp.Body, "erp_customer_id") != "", string(resp.Raw)
	})
	resp, err = sync.Do(ctx, "POST", "/v1/accounts/"+fresh+":setPaymentStatus", map[string]any{
		"payment_status": "PAYMENT_STATUS_OPEN", "source_version": "1030",
		"open_balance":    map[string]any{"currency_code": "EUR", "amount": "30.00"},
		"overdue_balance": map[string]any{"currency_code": "EUR", "amount": "0"},
	})
	must(t, resp, err, 200)

	report, raw := reconciled(t, rest(st, stack.Bridge, auth.Admin))
	for _, want := range []struct {
		check, key, detail string
		drifted, repaired  string
	}{
		{"account_balance_matches_invoices", accountID, ": repaired", "2", "1"},
		{"account_balance_matches_invoices", fresh, "never reported a balance", "2", "1"},
		{"order_shown_on_opportunity", oppID, "reset to the ERP's): repaired", "1", "1"},
		{"payment_status_matches_invoices", oppID, ": repaired", "1", "1"},
		{"availability_matches_stock", "RECON-1", "reset to the ERP's): repaired", "1", "1"},
	} {
		var counts map[string]any
		checks, _ := report["checks"].([]any)
		for _, c := range checks {
			if m := c.(map[string]any); restclient.Str(m, "name") == want.check {
				counts = m
			}
		}
		if restclient.Str(counts, "checked") == "" || restclient.Str(counts, "drifted") != want.drifted || restclient.Str(counts, "repaired") != want.repaired {
			t.Errorf("%s = %v, want %s drifted, %q repaired", want.check, counts, want.drifted, want.repaired)
		}
		found := false
		repairs, _ := report["repairs"].([]any)
		for _, r := range repairs {
			m := r.(map[string]any)
			found = found || restclient.Str(m, "key") == want.key && strings.Contains(restclient.Str(m, "detail"), want.detail)
		}
		if !found {
			t.Errorf("no %q reported for %s: %s", want.detail, want.key, raw)
		}
	}
	resp, err = crm.Do(ctx, "GET", "/v1/accounts/"+accountID, nil)
	if got := restclient.Str(must(t, resp, err, 200).Body, "open_balance", "amount"); got != "20.00" {
		t.Errorf("account's open balance %s after the pass, want the ERP's 20.00: %s", got, resp.Raw)
	}
	resp, err = crm.Do(ctx, "GET", "/v1/opportunities/"+oppID, nil)
	opp := must(t, resp, err, 200).Body
	if got := restclient.Str(opp, "payment_status"); got != "PAYMENT_STATUS_OPEN" {
		t.Errorf("opportunity's payment status %s after the pass, want the ERP's OPEN: %s", got, resp.Raw)
	}
	for _, field := range [][]any{{"order", "number"}, {"order", "status"}, {"lines", 0, "shipped_quantity"}} {
		if got, want := restclient.Str(opp, field...), restclient.Str(order, field...); got != want {
			t.Errorf("opportunity's %v is %q after the pass, want the ERP's %q: %s", field, got, want, resp.Raw)
		}
	}
	resp, err = crm.Do(ctx, "GET", "/v1/products/RECON-1", nil)
	shown := restclient.Str(must(t, resp, err, 200).Body, "available_quantity")
	resp, err = rest(st, stack.ERP, auth.Warehouse).Do(ctx, "GET", "/v1/items/RECON-1/availability", nil)
	if erp := restclient.Str(must(t, resp, err, 200).Body, "available"); shown != erp {
		t.Errorf("product shows %s available after the pass, want the ERP's %s", shown, erp)
	}
}

// reconciled starts a reconciliation pass, which answers at once with the
// pass running, and follows it by id to its report.
func reconciled(t *testing.T, bridge *restclient.Client) (map[string]any, []byte) {
	t.Helper()
	ctx := context.Background()
	resp, err := bridge.Do(ctx, "POST", "/v1/reconciliations", map[string]any{})
	started := must(t, resp, err, 200).Body
	if state := restclient.Str(started, "state"); state != "RECONCILIATION_STATE_RUNNING" || restclient.Str(started, "end_time") != "" {
		t.Fatalf("started pass in state %s: %s", state, resp.Raw)
	}
	id := restclient.Str(started, "id")
	var report map[string]any
	var raw []byte
	eventually(t, 60*time.Second, "reconciliation "+id+" ends", func() (bool, string) {
		resp, err := bridge.Do(ctx, "GET", "/v1/reconciliations/"+id, nil)
		if err != nil || resp.Status != 200 {
			return false, string(resp.Raw)
		}
		report, raw = resp.Body, resp.Raw
		return restclient.Str(report, "state") != "RECONCILIATION_STATE_RUNNING", string(resp.Raw)
	})
	if state := restclient.Str(report, "state"); state != "RECONCILIATION_STATE_SUCCEEDED" {
		t.Fatalf("pass %s ended in state %s: %s", id, state, raw)
	}
	return report, raw
}

// skipDeliveries loses the deliveries of the bridge, which is stopped:
// once the last event of service's feed is of type last, it moves the
// bridge's checkpoint of that feed past every event, then starts the
// bridge and waits for it to lead.
func skipDeliveries(t *testing.T, st *stack.Stack, service, last string) {
	t.Helper()
	ctx := context.Background()
	feed := rest(st, service, auth.Integration)
	var head string
	eventually(t, 10*time.Second, "a "+last+" event last in the feed", func() (bool, string) {
		resp, err := feed.Do(ctx, "GET", "/v1/events?page_size=1000", nil)
		if err != nil || resp.Status != 200 {
			return false, string(resp.Raw)
		}
		head = restclient.Str(resp.Body, "next_cursor")
		n := restclient.Len(resp.Body, "events")
		return n > 0 && restclient.Str(resp.Body, "events", n-1, "type") == last, string(resp.Raw)
	})
	conn, err := pgx.Connect(ctx, bridgeDatabase(st))
	if err != nil {
		t.Fatal(err)
	}
	_, err = conn.Exec(ctx, `INSERT INTO checkpoints (feed, cursor) VALUES ($1, $2)
		ON CONFLICT (feed) DO UPDATE SET cursor = EXCLUDED.cursor`, map[string]string{stack.CRM: "crm", stack.ERP: "erp"}[service], head)
	conn.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Process(stack.Bridge).Start(ctx); err != nil {
		t.Fatal(err)
	}
	bridge := rest(st, stack.Bridge, auth.Admin)
	eventually(t, 10*time.Second, "bridge leading", func() (bool, string) {
		resp, err := bridge.Do(ctx, "GET", "/v1/status", nil)
		return err == nil && restclient.Str(resp.Body, "leader") == "true", string(resp.Raw)
	})
}
