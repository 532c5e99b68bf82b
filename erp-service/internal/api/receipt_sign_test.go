package api_test

import (
	"maps"
	"strings"
	"testing"

	"github.com/seamhq/seam/platform/auth"
)

// A stock adjustment with reason receipt is stock arriving: a negative
// one (which would post a negative receipt against payables) is
// INVALID_ARGUMENT naming the quantity and the reason, and writes
// nothing; a negative correction takes stock out.
func TestNegativeReceiptREST(t *testing.T) {
	t.Parallel()
	e := start(t)
	e.seed() // W-1, 5 on hand
	wh := token(t, auth.Warehouse)
	before := e.counts()
	msg, field, desc := restViolation(t, e.call("POST", "/v1/stockAdjustments", wh, `{"sku":"W-1","quantity":"-1","reason":"Receipt"}`), 400)
	if field != "stock_adjustment.quantity" || !strings.Contains(desc, `reason "Receipt"`) {
		t.Errorf("negative receipt: violation of %s: %q", field, desc)
	}
	checkPaths(t, "negative receipt", msg, field, desc)
	if after := e.counts(); !maps.Equal(after, before) {
		t.Errorf("a refused receipt wrote rows: %v, before %v", after, before)
	}
	adj := e.must(200, "POST", "/v1/stockAdjustments", wh, `{"sku":"W-1","quantity":"-1","reason":"correction"}`)
	if av, _ := adj["availability"].(map[string]any); av["on_hand"] != "4" {
		t.Errorf("correction of -1 = %v", adj)
	}
}
