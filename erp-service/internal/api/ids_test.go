package api_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/seamhq/seam/platform/auth"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
)

// An id in upper case is the same UUID: accepted wherever ids are, in paths
// and bodies, compared as the UUID it names, and answered in the canonical
// lower-case form, in responses and the feed.
func TestUpperCaseIDs(t *testing.T) {
	t.Parallel()
	e := start(t)
	cid := e.seed() // W-1 at 10.00, 5 on hand
	tok := token(t, auth.Admin)
	up := strings.ToUpper
	eur := func(s string) string { return `{"currency_code":"EUR","amount":"` + s + `"}` }

	o := e.must(200, "POST", "/v1/salesOrders", tok,
		`{"customer_id":"`+up(cid)+`","currency_code":"EUR","lines":[{"sku":"W-1","quantity":"3"}]}`)
	oid := str(o["id"])
	if o["customer_id"] != cid {
		t.Errorf("order's customer_id = %v, want %s", o["customer_id"], cid)
	}
	// A retried confirm finds the order named in upper case. (A retry
	// repeats the request exactly: spelt in lower case, it is another
	// request under the same request_id.)
	e.must(200, "POST", "/v1/salesOrders/"+up(oid)+":confirm", tok, `{"request_id":"conf-1"}`)
	if r := e.call("POST", "/v1/salesOrders/"+up(oid)+":confirm", tok, `{"request_id":"conf-1"}`); r.status != 200 || r.body["id"] != oid {
		t.Errorf("confirm retried = %d %v", r.status, r.body)
	}
	if r := e.call("POST", "/v1/salesOrders/"+oid+":confirm", tok, `{"request_id":"conf-2"}`); r.status != 200 || r.body["id"] != oid {
		t.Errorf("confirm in lower case = %d %v", r.status, r.body)
	}
	e.must(200, "POST", "/v1/shipments", tok, `{"sales_order_id":"`+up(oid)+`"}`)
	inv := e.must(200, "POST", "/v1/invoices", tok, `{"sales_order_id":"`+up(oid)+`"}`)
	iid := str(inv["id"])
	if inv["sales_order_id"] != oid || inv["customer_id"] != cid {
		t.Errorf("invoice = %v", inv)
	}

	// The same invoice twice, in two cases, is the same invoice twice.
	r := e.call("POST", "/v1/payments", tok, fmt.Sprintf(`{"customer_id":%q,"amount":%s,"allocations":[
		{"invoice_id":%q,"amount":%s},{"invoice_id":%q,"amount":%s}]}`, cid, eur("30"), iid, eur("10"), up(iid), eur("10")))
	if f := restFields(r.body); r.status != 400 || fmt.Sprint(f) != "[payment.allocations[1].invoice_id]" {
		t.Errorf("one invoice allocated twice = %d %v", r.status, r.body)
	}
	pm := e.must(200, "POST", "/v1/payments", tok, fmt.Sprintf(`{"customer_id":%q,"amount":%s,"allocations":[{"invoice_id":%q,"amount":%s}]}`,
		up(cid), eur("40"), up(iid), eur("20")))
	allocs, _ := pm["allocations"].([]any)
	if pm["customer_id"] != cid || len(allocs) != 1 || allocs[0].(map[string]any)["invoice_id"] != iid ||
		pm["unallocated_amount"].(map[string]any)["amount"] != "20.00" {
		t.Errorf("payment = %v", pm)
	}
	pid := str(pm["id"])
	cr := e.must(200, "POST", "/v1/payments/"+up(pid)+":applyCredit", tok,
		fmt.Sprintf(`{"allocations":[{"invoice_id":%q,"amount":%s}]}`, up(iid), eur("10")))
	if allocs, _ := cr["allocations"].([]any); len(allocs) != 1 || allocs[0].(map[string]any)["amount"].(map[string]any)["amount"] != "30.00" {
		t.Errorf("credit applied to the invoice it pays = %v", cr)
	}
	if got := e.must(200, "GET", "/v1/invoices/"+up(iid), tok, ""); got["status"] != "INVOICE_STATUS_PAID" || got["id"] != iid {
		t.Errorf("invoice after payment = %v", got)
	}
	if got := e.must(200, "GET", "/v1/salesOrders/"+up(oid), tok, ""); got["status"] != "SALES_ORDER_STATUS_PAID" {
		t.Errorf("order after payment = %v", got)
	}
	if b := e.must(200, "GET", "/v1/customers/"+up(cid)+"/balance", tok, ""); b["customer_id"] != cid {
		t.Errorf("balance = %v", b)
	}

	// The feed keys every event by the canonical id.
	list, err := e.events.ListEvents(as(t, auth.Integration), &erpv1.ListEventsRequest{PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range list.GetEvents() {
		if ev.GetKey() != strings.ToLower(ev.GetKey()) && ev.GetKey() != "W-1" {
			t.Errorf("event %s keyed %s", ev.GetType(), ev.GetKey())
		}
	}
}
