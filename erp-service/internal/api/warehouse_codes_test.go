package api_test

import (
	"fmt"
	"net/url"
	"testing"

	"github.com/seamhq/seam/platform/auth"
)

// Warehouse codes are stored in upper case and read in any case: in the
// body of a new warehouse, in the path, in adjustments, transfers,
// purchase order receipts and returns, and in the stock ledger's filter;
// responses carry the stored code.
func TestWarehouseCodesAnyCaseREST(t *testing.T) {
	t.Parallel()
	e := start(t)
	wh := token(t, auth.Warehouse)

	if w := e.must(200, "POST", "/v1/warehouses", wh, `{"code":"east-1","name":"East"}`); w["code"] != "EAST-1" {
		t.Fatalf("new warehouse east-1: %v", w)
	}
	r := e.call("POST", "/v1/warehouses", wh, `{"code":"East-1","name":"East again"}`)
	if r.status != 409 {
		t.Fatalf("East-1 again: %d %v, want 409", r.status, r.body)
	}
	for _, code := range []string{"east-1", "EAST-1", "East-1"} {
		if w := e.must(200, "GET", "/v1/warehouses/"+code, wh, ""); w["code"] != "EAST-1" || w["name"] != "East" {
			t.Fatalf("GET /v1/warehouses/%s: %v", code, w)
		}
	}
	if w := e.must(200, "GET", "/v1/warehouses/main", wh, ""); w["code"] != "MAIN" {
		t.Fatalf("GET /v1/warehouses/main: %v", w)
	}

	e.must(200, "POST", "/v1/items", wh, `{"sku":"WC-1","name":"Widget","list_price":{"currency_code":"EUR","amount":"20"}}`)
	a := e.must(200, "POST", "/v1/stockAdjustments", wh, `{"sku":"WC-1","warehouse":"east-1","quantity":"5","reason":"count"}`)
	if a["warehouse"] != "EAST-1" {
		t.Fatalf("adjustment in east-1: %v", a)
	}
	tr := e.must(200, "POST", "/v1/stockTransfers", wh, `{"sku":"WC-1","from_warehouse":"east-1","to_warehouse":"Main","quantity":"2"}`)
	if tr["from_warehouse"] != "EAST-1" || tr["to_warehouse"] != "MAIN" {
		t.Fatalf("transfer from east-1 to Main: %v", tr)
	}
	r = e.call("POST", "/v1/stockTransfers", wh, `{"sku":"WC-1","from_warehouse":"main","to_warehouse":"MAIN","quantity":"1"}`)
	if r.status != 400 || fmt.Sprint(fields(restViolations(r.body))) != "[stock_transfer.to_warehouse]" {
		t.Fatalf("transfer from main to MAIN: %d %v", r.status, r.body)
	}

	sid := str(e.must(200, "POST", "/v1/suppliers", wh, `{"name":"Parts"}`)["id"])
	pid := str(e.must(200, "POST", "/v1/purchaseOrders", wh, `{"supplier_id":"`+sid+`","lines":[
		{"sku":"WC-1","quantity":"10","unit_cost":{"currency_code":"EUR","amount":"8"},"expected_date":"2030-01-15"}]}`)["id"])
	e.must(200, "POST", "/v1/purchaseOrders/"+pid+":order", wh, `{}`)
	e.must(200, "POST", "/v1/purchaseOrders/"+pid+":receive", wh, `{"warehouse":"east-1","lines":[{"line_number":1,"quantity":"4"}]}`)
	e.must(200, "POST", "/v1/purchaseOrders/"+pid+":return", wh, `{"warehouse":"East-1","lines":[{"line_number":1,"quantity":"1"}]}`)

	// adjustment +5, transfer -2, receipt +4, return -1: all in EAST-1.
	moves := e.must(200, "GET", "/v1/stockMoves?filter="+url.QueryEscape(`sku = "WC-1" AND warehouse = "east-1"`), wh, "")
	list, _ := moves["stock_moves"].([]any)
	var got []string
	for _, m := range list {
		m := m.(map[string]any)
		got = append(got, fmt.Sprint(m["warehouse"], " ", m["kind"], " ", m["on_hand_delta"]))
	}
	if fmt.Sprint(got) != "[EAST-1 adjustment 5 EAST-1 transfer -2 EAST-1 receipt 4 EAST-1 return -1]" {
		t.Fatalf("moves of east-1: %v", got)
	}
	av := e.must(200, "GET", "/v1/items/WC-1/availability", wh, "")
	if fmt.Sprint(av["warehouses"]) != "[map[available:2 on_hand:2 reserved:0 warehouse:MAIN] map[available:6 on_hand:6 reserved:0 warehouse:EAST-1]]" {
		t.Fatalf("availability: %v", av["warehouses"])
	}
}

// An item counted in ea takes whole quantities; a fraction is 400 naming
// the field, on REST as on gRPC. One measured in kg (W-1) takes fractions.
func TestCountUnitQuantitiesREST(t *testing.T) {
	t.Parallel()
	e := start(t)
	cid := e.seed()
	tok := token(t, auth.Warehouse, auth.Sales)
	e.must(200, "POST", "/v1/items", tok, `{"sku":"EA-1","name":"Widget","list_price":{"currency_code":"EUR","amount":"20"}}`)
	for _, tc := range []struct{ path, body, field string }{
		{"/v1/salesOrders", `{"customer_id":"` + cid + `","currency_code":"EUR","lines":[{"sku":"W-1","quantity":"0.5"},{"sku":"EA-1","quantity":"0.5"}]}`,
			"sales_order.lines[1].quantity"},
		{"/v1/stockAdjustments", `{"sku":"EA-1","quantity":"0.5","reason":"receipt"}`, "stock_adjustment.quantity"},
	} {
		r := e.call("POST", tc.path, tok, tc.body)
		if r.status != 400 || fmt.Sprint(fields(restViolations(r.body))) != "["+tc.field+"]" {
			t.Errorf("POST %s %s: %d %v, want 400 naming %s", tc.path, tc.body, r.status, r.body, tc.field)
		}
	}
}

// fields lists the fields of violations.
func fields(vs []map[string]any) []string {
	var out []string
	for _, v := range vs {
		out = append(out, str(v["field"]))
	}
	return out
}

// GET /v1/purchaseOrders?filter=sku = "..." lists the orders with a line
// of the item; another comparison of sku is 400 naming filter.
func TestPurchaseOrdersBySKUREST(t *testing.T) {
	t.Parallel()
	e := start(t)
	wh := token(t, auth.Warehouse)
	for _, sku := range []string{"PS-1", "PS-2"} {
		e.must(200, "POST", "/v1/items", wh, `{"sku":"`+sku+`","name":"Widget","list_price":{"currency_code":"EUR","amount":"20"}}`)
	}
	sid := str(e.must(200, "POST", "/v1/suppliers", wh, `{"name":"Parts"}`)["id"])
	line := func(sku string) string {
		return `{"sku":"` + sku + `","quantity":"1","unit_cost":{"currency_code":"EUR","amount":"1"},"expected_date":"2030-01-15"}`
	}
	var want []string
	for i, lines := range []string{line("PS-1"), line("PS-2"), line("PS-2") + "," + line("PS-1")} {
		o := e.must(200, "POST", "/v1/purchaseOrders", wh, `{"supplier_id":"`+sid+`","lines":[`+lines+`]}`)
		if i != 1 { // the orders with a line of PS-1
			want = append(want, str(o["number"]))
		}
	}
	var got []string
	tok := ""
	for {
		page := e.must(200, "GET", "/v1/purchaseOrders?page_size=1&filter="+url.QueryEscape(`sku = "PS-1"`)+"&page_token="+url.QueryEscape(tok), wh, "")
		list, _ := page["purchase_orders"].([]any)
		for _, o := range list {
			got = append(got, str(o.(map[string]any)["number"]))
		}
		if tok = str(page["next_page_token"]); tok == "" {
			break
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("orders of PS-1: %v, want %v", got, want)
	}
	r := e.call("GET", "/v1/purchaseOrders?filter="+url.QueryEscape(`sku != "PS-1"`), wh, "")
	if r.status != 400 || fmt.Sprint(fields(restViolations(r.body))) != "[filter]" {
		t.Fatalf("sku != PS-1: %d %v", r.status, r.body)
	}
}
