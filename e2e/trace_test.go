package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seamhq/seam/e2e/internal/restclient"
	"github.com/seamhq/seam/e2e/internal/stack"
	"github.com/seamhq/seam/platform/auth"
)

// TestOneTraceFromWinToOrder checks that the trace of a CRM :win call
// continues through the bridge into the ERP call that creates and confirms
// the order and into the write-back of the order to the CRM: the trace
// context travels inside the event. The services log every call with its
// trace id at debug level.
func TestOneTraceFromWinToOrder(t *testing.T) {
	debug := map[string]string{"LOG_LEVEL": "debug"}
	st := startStack(t, map[string]map[string]string{stack.CRM: debug, stack.ERP: debug, stack.Bridge: debug})
	ctx := context.Background()
	crm := rest(st, stack.CRM, auth.Sales)
	accountID := itemForSale(t, st, map[string]any{
		"sku": "TRACE-1", "name": "Traced", "list_price": map[string]any{"currency_code": "EUR", "amount": "1.00"},
	}, "", "Traced Ltd")
	resp, err := crm.Do(ctx, "POST", "/v1/opportunities", map[string]any{
		"account_id": accountID, "name": "Traced deal", "currency_code": "EUR",
		"lines": []any{map[string]any{"sku": "TRACE-1", "quantity": "1"}},
	})
	id := restclient.Str(must(t, resp, err, 200).Body, "id")
	resp, err = crm.Do(ctx, "POST", "/v1/opportunities/"+id+":win", map[string]any{})
	must(t, resp, err, 200)
	eventually(t, 10*time.Second, "order on the opportunity", func() (bool, string) {
		resp, err := crm.Do(ctx, "GET", "/v1/opportunities/"+id, nil)
		return err == nil && restclient.Str(resp.Body, "order", "number") != "", string(resp.Raw)
	})

	// Log lines reach the files through pipes, a moment after the calls.
	logDir := filepath.Dir(st.Process(stack.CRM).LogPath)
	var winTrace string
	eventually(t, 5*time.Second, "the :win call logged", func() (bool, string) {
		winTrace = traceOf(t, filepath.Join(logDir, "crm-service.log"), "/crm.v1.OpportunityService/WinOpportunity")
		return winTrace != "", ""
	})
	for _, call := range []struct{ log, method string }{
		{"erp-service.log", "/erp.v1.SalesOrderService/CreateSalesOrder"},
		{"crm-service.log", "/crm.v1.SyncService/SetOpportunityOrder"},
	} {
		eventually(t, 5*time.Second, call.method+" in the :win call's trace", func() (bool, string) {
			got := traceOf(t, filepath.Join(logDir, call.log), call.method)
			return got == winTrace, "logged in trace " + got + ", want " + winTrace
		})
	}
}

// traceOf returns the trace id of the last logged call of method.
func traceOf(t *testing.T, path, method string) string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var trace string
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if !strings.Contains(sc.Text(), method) {
			continue
		}
		var rec map[string]any
		if json.Unmarshal(sc.Bytes(), &rec) == nil && rec["method"] == method {
			trace, _ = rec["trace_id"].(string)
		}
	}
	return trace
}
