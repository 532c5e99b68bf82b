package api_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/seamhq/seam/platform/auth"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
)

// trialBalances reads the EUR trial balance as "account=balance".
func trialBalances(t *testing.T, e *env, tok string) []string {
	t.Helper()
	var out []string
	for _, row := range e.must(200, "GET", "/v1/reports/trialBalance?currency_code=EUR", tok, "")["rows"].([]any) {
		m := row.(map[string]any)
		out = append(out, str(m["account_code"])+"="+amountOf(m, "balance"))
	}
	return out
}

// POST /v1/purchaseOrders/{id}:return: warehouse only; bad input is 400
// naming each field; more than received is FAILED_PRECONDITION naming
// the line; a return lowers on hand, the line's received quantity and
// payables, posts a purchase_return entry and a purchase_order.returned
// event; a retry answers the same order and posts nothing more.
func TestPurchaseReturnREST(t *testing.T) {
	t.Parallel()
	e := start(t)
	wh, finance, integ := token(t, auth.Warehouse), token(t, auth.Finance), token(t, auth.Integration)

	e.must(200, "POST", "/v1/items", wh, `{"sku":"RET-1","name":"Widget","list_price":{"currency_code":"EUR","amount":"20"},
		"standard_cost":{"currency_code":"EUR","amount":"8.00"}}`)
	sid := str(e.must(200, "POST", "/v1/suppliers", wh, `{"name":"Parts"}`)["id"])
	pid := str(e.must(200, "POST", "/v1/purchaseOrders", wh, `{"supplier_id":"`+sid+`","lines":[
		{"sku":"RET-1","quantity":"10","unit_cost":{"currency_code":"EUR","amount":"8.125"},"expected_date":"2030-01-15"}]}`)["id"])
	e.must(200, "POST", "/v1/purchaseOrders/"+pid+":order", wh, `{}`)
	e.must(200, "POST", "/v1/purchaseOrders/"+pid+":receive", wh, `{"lines":[{"line_number":1,"quantity":"10"}]}`)
	// 10 x 8.00 in inventory, 10 x 8.125 = 81.25 owed, 1.25 variance.
	if tb := trialBalances(t, e, finance); fmt.Sprint(tb) != "[1200=80.00 2000=-81.25 5100=1.25]" {
		t.Fatalf("trial balance after the receipt = %v", tb)
	}
	path := "/v1/purchaseOrders/" + pid + ":return"

	if r := e.call("POST", path, finance, `{"lines":[{"line_number":1,"quantity":"1"}]}`); r.status != 403 {
		t.Errorf("return by finance = %d", r.status)
	}
	bad := []struct{ body, fields string }{
		{`{}`, "[lines]"},
		{`{"lines":[{"line_number":1,"quantity":"-1"},{"line_number":1,"quantity":"0.0000001"}],"reason":"` + strings.Repeat("x", 201) + `"}`,
			"[lines[0].quantity lines[1].quantity lines[1].line_number reason]"},
		{`{"lines":[{"line_number":1,"quantity":"ten"}]}`, "[lines[0].quantity]"},
		{`{"lines":[{"line_number":2,"quantity":"1"}]}`, "[lines[0].line_number]"},
		{`{"lines":[{"line_number":1,"quantity":"1"}],"warehouse":"NOWHERE"}`, "[warehouse]"},
	}
	for _, b := range bad {
		if r := e.call("POST", path, wh, b.body); r.status != 400 || !hasAll(restFields(r.body), strings.Fields(strings.Trim(b.fields, "[]"))...) ||
			len(restFields(r.body)) != len(strings.Fields(b.fields)) {
			t.Errorf("%s = %d %v, want 400 naming %s", b.body, r.status, r.body, b.fields)
		}
	}
	// More than received: FAILED_PRECONDITION naming the line's quantity.
	if r := e.call("POST", path, wh, `{"lines":[{"line_number":1,"quantity":"11"}]}`); r.status != 400 ||
		fmt.Sprint(restFields(r.body)) != "[lines[0].quantity]" || !strings.Contains(str(r.body["message"]), "received 10") {
		t.Errorf("over-return = %d %v", r.status, r.body)
	}
	_, err := erpv1.NewPurchaseOrderServiceClient(e.conn).ReturnPurchaseOrder(as(t, auth.Warehouse),
		&erpv1.ReturnPurchaseOrderRequest{Id: pid, Lines: []*erpv1.ReturnLine{{LineNumber: 1, Quantity: "11"}}})
	if f := grpcFields(t, err, codes.FailedPrecondition); fmt.Sprint(f) != "[lines[0].quantity]" {
		t.Errorf("over-return on gRPC: %v", f)
	}
	if tb := trialBalances(t, e, finance); fmt.Sprint(tb) != "[1200=80.00 2000=-81.25 5100=1.25]" {
		t.Errorf("refused returns posted: %v", tb)
	}

	body := `{"lines":[{"line_number":1,"quantity":"3"}],"reason":" damaged ","request_id":"ret-1"}`
	ret := e.must(200, "POST", path, wh, body)
	if ret["status"] != "PURCHASE_ORDER_STATUS_PARTIALLY_RECEIVED" || ret["etag"] != "4" ||
		ret["lines"].([]any)[0].(map[string]any)["received_quantity"] != "7" {
		t.Errorf("returned = %v", ret)
	}
	// Payables 81.25 -> round(7 x 8.125) = 56.88: 24.37 less; inventory
	// 80.00 -> 56.00; the variance 1.25 -> 0.88.
	want := "[1200=56.00 2000=-56.88 5100=0.88]"
	if tb := trialBalances(t, e, finance); fmt.Sprint(tb) != want {
		t.Errorf("trial balance after the return = %v, want %s", tb, want)
	}
	if again := e.must(200, "POST", path, wh, body); again["etag"] != "4" {
		t.Errorf("retried return = %v", again)
	}
	if r := e.call("POST", path, wh, `{"lines":[{"line_number":1,"quantity":"2"}],"request_id":"ret-1"}`); r.status != 400 ||
		fmt.Sprint(restFields(r.body)) != "[request_id]" {
		t.Errorf("request_id reused with another body = %d %v", r.status, r.body)
	}
	if tb := trialBalances(t, e, finance); fmt.Sprint(tb) != want {
		t.Errorf("trial balance after the retry = %v, want %s", tb, want)
	}
	av := e.must(200, "GET", "/v1/items/RET-1/availability", wh, "")
	if av["on_hand"] != "7" || av["incoming"] != "3" {
		t.Errorf("availability after the return = %v", av)
	}

	// The journal and the stock ledger name the return by its kinds.
	e.settle()
	je := e.must(200, "GET", "/v1/journalEntries?filter="+url.QueryEscape(`kind = "purchase_return"`), finance, "")["journal_entries"].([]any)
	if len(je) != 1 || je[0].(map[string]any)["reference"] != "purchaseOrders/"+pid {
		t.Errorf("purchase_return entries = %v", je)
	}
	moves := e.must(200, "GET", "/v1/stockMoves?filter="+url.QueryEscape(`reference = "purchaseOrders/`+pid+`" AND kind = "return"`), wh, "")["stock_moves"].([]any)
	if len(moves) != 1 {
		t.Fatalf("return moves = %v", moves)
	}
	if m := moves[0].(map[string]any); m["on_hand_delta"] != "-3" || m["reason"] != "damaged" || m["warehouse"] != "MAIN" {
		t.Errorf("return move = %v", m)
	}

	// The feed carries the order after the return.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var returned map[string]any
		// An empty page ({}) while the feed waits for older
		// transactions on the server: read again.
		evs, _ := e.must(200, "GET", "/v1/events?page_size=1000", integ, "")["events"].([]any)
		for _, ev := range evs {
			if m := ev.(map[string]any); m["type"] == "purchase_order.returned" {
				returned = m
			}
		}
		if returned != nil {
			if returned["key"] != pid || returned["version"] != "4" || returned["purchase_order"].(map[string]any)["status"] != "PURCHASE_ORDER_STATUS_PARTIALLY_RECEIVED" {
				t.Errorf("purchase_order.returned = %v", returned)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no purchase_order.returned in the feed")
		}
		time.Sleep(20 * time.Millisecond)
	}

	// What went back can be closed short.
	if c := e.must(200, "POST", "/v1/purchaseOrders/"+pid+":cancel", wh, `{}`); c["status"] != "PURCHASE_ORDER_STATUS_CLOSED" {
		t.Errorf("closed after the return = %v", c)
	}
}
