package api_test

import (
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/seamhq/seam/platform/auth"
)

// restTransfersCreditSales exercises stock transfers, promise dates,
// whole-order invoicing, applying customer credit and the sales report
// through the gateway.
func restTransfersCreditSales(t *testing.T, e *env, call func(want int, method, path, tok, body string) map[string]any) {
	t.Helper()
	wh, finance, sales, integ := token(t, auth.Warehouse), token(t, auth.Finance), token(t, auth.Sales), token(t, auth.Integration)
	call(200, "POST", "/v1/items", wh, `{"sku":"RT-1","name":"Moved","unit_of_measure":"kg","list_price":{"currency_code":"EUR","amount":"10"}}`)
	call(200, "POST", "/v1/stockAdjustments", wh, `{"sku":"RT-1","quantity":"6","reason":"receipt"}`)
	call(200, "POST", "/v1/warehouses", wh, `{"code":"SOUTH","name":"South"}`)

	// Transfers.
	if r := e.call("POST", "/v1/stockTransfers", "", `{}`); r.status != 401 {
		t.Errorf("transfer without a token = %d", r.status)
	}
	if r := e.call("POST", "/v1/stockTransfers", sales, `{"sku":"RT-1","from_warehouse":"MAIN","to_warehouse":"SOUTH","quantity":"1"}`); r.status != 403 {
		t.Errorf("transfer by sales = %d", r.status)
	}
	before := e.counts()
	if r := e.call("POST", "/v1/stockTransfers", wh, `{"sku":"RT-1","from_warehouse":"MAIN","to_warehouse":"MAIN","quantity":"0"}`); r.status != 400 ||
		!hasAll(restFields(r.body), "stock_transfer.to_warehouse", "stock_transfer.quantity") {
		t.Errorf("bad transfer = %d %v", r.status, r.body)
	}
	if r := e.call("POST", "/v1/stockTransfers", wh, `{"sku":"RT-1","from_warehouse":"MAIN","to_warehouse":"SOUTH","quantity":"7"}`); r.status != 400 ||
		fmt.Sprint(restFields(r.body)) != "[stock_transfer.quantity]" || r.body["code"] != float64(9) {
		t.Errorf("transferring more than is available = %d %v", r.status, r.body)
	}
	if after := e.counts(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("rejected transfers wrote: %v -> %v", before, after)
	}
	tr := call(200, "POST", "/v1/stockTransfers?request_id=rt-1", wh, `{"sku":"RT-1","from_warehouse":"MAIN","to_warehouse":"SOUTH","quantity":"2.5","reason":"rebalance"}`)
	again := call(200, "POST", "/v1/stockTransfers?request_id=rt-1", wh, `{"sku":"RT-1","from_warehouse":"MAIN","to_warehouse":"SOUTH","quantity":"2.5","reason":"rebalance"}`)
	if tr["id"] == nil || again["id"] != tr["id"] || tr["quantity"] != "2.5" || tr["availability"].(map[string]any)["on_hand"] != "6" {
		t.Errorf("transfer = %v, retried = %v", tr, again)
	}

	// Read back: the transfer as recorded, the item's availability now.
	if got := call(200, "GET", "/v1/stockTransfers/"+str(tr["id"]), sales, ""); got["from_warehouse"] != "MAIN" ||
		got["to_warehouse"] != "SOUTH" || got["quantity"] != "2.5" || got["reason"] != "rebalance" || got["create_time"] != tr["create_time"] {
		t.Errorf("read transfer = %v, created %v", got, tr)
	}

	// The transfer's two ledger rows, and the item's card, page by page.
	moves := call(200, "GET", "/v1/stockMoves?filter="+url.QueryEscape(`reference = "stockTransfers/`+fmt.Sprint(tr["id"])+`"`), sales, "")
	if list, _ := moves["stock_moves"].([]any); len(list) != 2 || list[0].(map[string]any)["on_hand_delta"] != "-2.5" {
		t.Errorf("moves of the transfer = %v", moves)
	}
	card := call(200, "GET", "/v1/stockMoves?page_size=1&filter="+url.QueryEscape(`sku = "RT-1"`), sales, "")
	if list, _ := card["stock_moves"].([]any); len(list) != 1 || card["next_page_token"] == "" || list[0].(map[string]any)["kind"] != "receipt" {
		t.Errorf("first page of the card = %v", card)
	}
	if r := e.call("GET", "/v1/stockMoves?filter="+url.QueryEscape(`warehouse = "SOUTH"`), sales, ""); r.status != 400 || fmt.Sprint(restFields(r.body)) != "[filter]" {
		t.Errorf("moves of a warehouse alone = %d %v", r.status, r.body)
	}

	// Availability with a promise date.
	today := time.Now().UTC().Format(time.DateOnly)
	av := call(200, "GET", "/v1/items/RT-1/availability?requested_quantity=6", sales, "")
	if p, _ := av["promise"].(map[string]any); p["promise_date"] != today || p["requested_quantity"] != "6" {
		t.Errorf("availability = %v", av)
	}
	av = call(200, "GET", "/v1/items/RT-1/availability?requested_quantity=6.5", sales, "")
	if p, _ := av["promise"].(map[string]any); p["promise_date"] != nil || p["reason"] == nil {
		t.Errorf("availability beyond stock = %v", av)
	}
	if r := e.call("GET", "/v1/items/RT-1/availability?requested_quantity=-1", sales, ""); r.status != 400 || fmt.Sprint(restFields(r.body)) != "[requested_quantity]" {
		t.Errorf("negative requested quantity = %d %v", r.status, r.body)
	}

	// A customer invoiced for whole orders; an order invoiced before it
	// ships; an overpayment whose credit pays a second one.
	c := call(200, "POST", "/v1/customers", sales, `{"name":"Whole GmbH","currency_code":"EUR"}`)
	cid := str(c["id"])
	if c["invoice_policy"] != "INVOICE_POLICY_SHIPPED_QUANTITIES" {
		t.Errorf("default policy = %v", c["invoice_policy"])
	}
	if r := e.call("PATCH", "/v1/customers/"+cid, finance, `{"invoice_policy":"MONTHLY"}`); r.status != 400 {
		t.Errorf("unknown policy = %d %v", r.status, r.body)
	}
	if got := call(200, "PATCH", "/v1/customers/"+cid, finance, `{"invoice_policy":"INVOICE_POLICY_WHOLE_ORDER","etag":"1"}`); got["invoice_policy"] != "INVOICE_POLICY_WHOLE_ORDER" {
		t.Errorf("patched = %v", got)
	}
	var invIDs []string
	for _, q := range []string{"2", "1"} {
		o := call(200, "POST", "/v1/salesOrders", integ, `{"customer_id":"`+cid+`","currency_code":"EUR","lines":[{"sku":"RT-1","quantity":"`+q+`"}]}`)
		oid := str(o["id"])
		call(200, "POST", "/v1/salesOrders/"+oid+":confirm", integ, `{}`)
		inv := call(200, "POST", "/v1/invoices?request_id=whole-"+q, finance, `{"sales_order_id":"`+oid+`","issue_date":"2026-06-15"}`)
		if inv["total"].(map[string]any)["amount"] != q+"0.00" {
			t.Errorf("whole invoice = %v", inv)
		}
		if r := e.call("POST", "/v1/invoices", finance, `{"sales_order_id":"`+oid+`"}`); r.status != 400 || r.body["code"] != float64(9) {
			t.Errorf("second whole invoice = %d %v", r.status, r.body)
		}
		if got := call(200, "GET", "/v1/salesOrders/"+oid, sales, ""); got["status"] != "SALES_ORDER_STATUS_CONFIRMED" {
			t.Errorf("order invoiced before shipping = %v", got["status"])
		}
		invIDs = append(invIDs, str(inv["id"]))
	}
	pm := call(200, "POST", "/v1/payments", finance, fmt.Sprintf(`{"customer_id":%q,"amount":{"currency_code":"EUR","amount":"30"},
		"allocations":[{"invoice_id":%q,"amount":{"currency_code":"EUR","amount":"20"}}]}`, cid, invIDs[0]))
	pid := str(pm["id"])
	if r := e.call("POST", "/v1/payments/"+pid+":applyCredit", sales, `{}`); r.status != 403 {
		t.Errorf("apply credit by sales = %d", r.status)
	}
	before = e.counts()
	if r := e.call("POST", "/v1/payments/"+pid+":applyCredit", finance, `{"allocations":[{"invoice_id":"`+invIDs[1]+`","amount":{"currency_code":"EUR","amount":"10.01"}}]}`); r.status != 400 ||
		fmt.Sprint(restFields(r.body)) != "[allocations[0].amount.amount]" {
		t.Errorf("applying more than the credit = %d %v", r.status, r.body)
	}
	if r := e.call("POST", "/v1/payments/"+pid+":applyCredit", finance, `{"etag":"7","allocations":[{"invoice_id":"`+invIDs[1]+`","amount":{"currency_code":"EUR","amount":"1"}}]}`); r.status != 409 {
		t.Errorf("stale etag = %d %v", r.status, r.body)
	}
	if after := e.counts(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("rejected applications wrote: %v -> %v", before, after)
	}
	body := `{"etag":"1","request_id":"cr-rest","allocations":[{"invoice_id":"` + invIDs[1] + `","amount":{"currency_code":"EUR","amount":"10"}}]}`
	applied := call(200, "POST", "/v1/payments/"+pid+":applyCredit", finance, body)
	if applied["unallocated_amount"].(map[string]any)["amount"] != "0.00" || applied["etag"] != "2" {
		t.Errorf("applied = %v", applied)
	}
	if again := call(200, "POST", "/v1/payments/"+pid+":applyCredit", finance, body); again["etag"] != "2" {
		t.Errorf("retried application = %v", again)
	}
	if got := call(200, "GET", "/v1/invoices/"+invIDs[1], finance, ""); got["status"] != "INVOICE_STATUS_PAID" {
		t.Errorf("invoice paid from credit = %v", got["status"])
	}
	// A prepayment paid back in full.
	pre := call(200, "POST", "/v1/payments", finance, `{"customer_id":"`+cid+`","amount":{"currency_code":"EUR","amount":"12.5"}}`)
	refunded := call(200, "POST", "/v1/payments/"+str(pre["id"])+":refundCredit", finance,
		`{"amount":{"currency_code":"EUR","amount":"12.50"},"reference":"SEPA-9","request_id":"rf-routes"}`)
	if refunds, _ := refunded["refunds"].([]any); refunded["unallocated_amount"].(map[string]any)["amount"] != "0.00" || len(refunds) != 1 {
		t.Errorf("refunded prepayment = %v", refunded)
	}

	// The sales report of June: the two whole invoices.
	rep := call(200, "GET", "/v1/reports/sales?start_date=2026-06-01&end_date=2026-06-30&customer_id="+cid, sales, "")
	rows, _ := rep["rows"].([]any)
	if len(rows) != 1 || rows[0].(map[string]any)["net_amount"].(map[string]any)["amount"] != "30.00" || rows[0].(map[string]any)["quantity"] != "3" {
		t.Errorf("sales report = %v", rep)
	}
	if r := e.call("GET", "/v1/reports/sales?start_date=2026-06-30&end_date=2026-06-01", finance, ""); r.status != 400 || fmt.Sprint(restFields(r.body)) != "[end_date]" {
		t.Errorf("reversed range = %d %v", r.status, r.body)
	}
	if r := e.call("GET", "/v1/reports/sales?start_date=2026-06-01&end_date=2026-06-30", wh, ""); r.status != 403 {
		t.Errorf("sales report by the warehouse = %d", r.status)
	}
}
