package api_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/seamhq/seam/platform/auth"
)

// routes reads the REST routes of erp_gateway.yaml as "METHOD /pattern".
func routes(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../../../proto/erp/v1/erp_gateway.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range regexp.MustCompile(`(?m)^\s+(get|post|patch|put|delete): (\S+)`).FindAllStringSubmatch(string(b), -1) {
		out = append(out, strings.ToUpper(m[1])+" "+m[2])
	}
	return out
}

// patternOf maps a concrete path back to its route pattern.
func patternOf(method, path string, patterns []string) string {
	path, _, _ = strings.Cut(path, "?")
	for _, p := range patterns {
		pm, pp, _ := strings.Cut(p, " ")
		if pm != method {
			continue
		}
		re := "^" + regexp.MustCompile(`\\\{[^}]+\\\}`).ReplaceAllString(regexp.QuoteMeta(pp), `[^/:]+`) + "$"
		if regexp.MustCompile(re).MatchString(path) {
			return p
		}
	}
	return ""
}

// csvGet GETs url with tok, answering the status, content type and body.
func csvGet(t *testing.T, url, tok string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

// Every REST route of the contract, exercised once in a realistic flow
// with the roles that would call it.
func TestRESTRoutes(t *testing.T) {
	t.Parallel()
	e := start(t)
	all := routes(t)
	if len(all) != 82 {
		t.Fatalf("read %d routes from erp_gateway.yaml: %v", len(all), all)
	}
	hit := map[string]bool{}
	call := func(want int, method, path, tok, body string) map[string]any {
		t.Helper()
		p := patternOf(method, path, all)
		if p == "" {
			t.Fatalf("%s %s matches no route of the contract", method, path)
		}
		hit[p] = true
		return e.must(want, method, path, tok, body)
	}
	sales, finance, wh, integ := token(t, auth.Sales), token(t, auth.Finance), token(t, auth.Warehouse), token(t, auth.Integration)

	// Customers.
	c := call(200, "POST", "/v1/customers?request_id=c-1", sales, `{"name":"Acme","crm_account_id":"acc-1","currency_code":"EUR"}`)
	id := str(c["id"])
	if c["payment_terms_days"] != float64(30) || c["etag"] != "1" {
		t.Errorf("created customer = %v", c)
	}
	if got := call(200, "GET", "/v1/customers/"+id, sales, ""); got["name"] != "Acme" {
		t.Errorf("get customer = %v", got)
	}
	list := call(200, "GET", "/v1/customers?filter="+url.QueryEscape(`crm_account_id = "acc-1"`), sales, "")
	if cs, _ := list["customers"].([]any); len(cs) != 1 {
		t.Errorf("list customers = %v", list)
	}
	upd := call(200, "PATCH", "/v1/customers/"+id, finance, `{"credit_limit":{"currency_code":"EUR","amount":"5000"},"etag":"1"}`)
	if upd["etag"] != "2" || upd["name"] != "Acme" || upd["credit_limit"].(map[string]any)["amount"] != "5000.00" {
		t.Errorf("patched customer = %v", upd)
	}
	synced := call(200, "POST", "/v1/customers:sync", integ, `{"crm_account_id":"acc-2","name":"Initech","source_version":"3"}`)
	if synced["currency_code"] != "EUR" || synced["crm_account_id"] != "acc-2" {
		t.Errorf("synced customer = %v", synced)
	}

	// Items and stock.
	it := call(200, "POST", "/v1/items", wh, `{"sku":"W-1","name":"Widget","list_price":{"currency_code":"EUR","amount":"19.99"},"tax_rate":"0.19"}`)
	if it["standard_cost"].(map[string]any)["amount"] != "0.00" || it["unit_of_measure"] != "ea" {
		t.Errorf("created item = %v", it)
	}
	call(200, "GET", "/v1/items/W-1", sales, "")
	if items := call(200, "GET", "/v1/items?page_size=10", sales, ""); len(items["items"].([]any)) != 1 {
		t.Errorf("list items = %v", items)
	}
	if got := call(200, "PATCH", "/v1/items/W-1", integ, `{"name":"Widget 2","standard_cost":{"currency_code":"EUR","amount":"8"}}`); got["name"] != "Widget 2" || got["etag"] != "2" {
		t.Errorf("patched item = %v", got)
	}
	call(200, "POST", "/v1/warehouses", wh, `{"code":"EAST","name":"East"}`)
	if ws := call(200, "GET", "/v1/warehouses", sales, ""); len(ws["warehouses"].([]any)) != 2 {
		t.Errorf("warehouses = %v", ws)
	}
	call(200, "GET", "/v1/warehouses/MAIN", sales, "")
	adj := call(200, "POST", "/v1/stockAdjustments?request_id=adj-1", wh, `{"sku":"W-1","quantity":"10","reason":"receipt"}`)
	if adj["warehouse"] != "MAIN" || adj["availability"].(map[string]any)["on_hand"] != "10" {
		t.Errorf("adjustment = %v", adj)
	}
	if got := call(200, "GET", "/v1/stockAdjustments/"+str(adj["id"]), sales, ""); got["sku"] != "W-1" || got["quantity"] != "10" ||
		got["reason"] != "receipt" || got["create_time"] != adj["create_time"] {
		t.Errorf("read adjustment = %v, created %v", got, adj)
	}
	if r := e.call("GET", "/v1/stockAdjustments/not-an-id", sales, ""); r.status != 400 || fmt.Sprint(restFields(r.body)) != "[id]" {
		t.Errorf("adjustment not-an-id = %d %v", r.status, r.body)
	}
	if r := e.call("GET", "/v1/stockAdjustments/01900000-0000-7000-8000-000000000001", sales, ""); r.status != 404 {
		t.Errorf("adjustment of nothing = %d %v", r.status, r.body)
	}

	// A sales order: create (twice by external_ref), confirm, cancel.
	body := fmt.Sprintf(`{"external_ref":"opp-1","customer_id":%q,"currency_code":"EUR",
		"lines":[{"sku":"W-1","quantity":"4"},{"sku":"W-1","quantity":"8","discount_percent":"10"}]}`, id)
	o := call(200, "POST", "/v1/salesOrders", integ, body)
	oid := str(o["id"])
	if o["number"] != "SO-000001" || o["status"] != "SALES_ORDER_STATUS_DRAFT" || o["total"].(map[string]any)["amount"] != "223.89" {
		t.Errorf("created order = %v", o) // 79.96 + 143.93 (8 x 19.99 x 0.9 = 143.928)
	}
	if again := call(200, "POST", "/v1/salesOrders", integ, body); again["id"] != oid {
		t.Errorf("same external_ref made another order: %v", again)
	}
	call(200, "GET", "/v1/salesOrders/"+oid, sales, "")
	if l := call(200, "GET", "/v1/salesOrders?filter="+url.QueryEscape(`external_ref = "opp-1" AND status = SALES_ORDER_STATUS_DRAFT`), sales, ""); len(l["sales_orders"].([]any)) != 1 {
		t.Errorf("filtered orders = %v", l)
	}
	conf := call(200, "POST", "/v1/salesOrders/"+oid+":confirm", sales, `{"etag":"1","request_id":"conf-1"}`)
	lines := conf["lines"].([]any)
	if conf["status"] != "SALES_ORDER_STATUS_CONFIRMED" || conf["backordered"] != true ||
		lines[0].(map[string]any)["reserved_quantity"] != "4" || lines[1].(map[string]any)["backordered_quantity"] != "2" {
		t.Errorf("confirmed order = %v", conf)
	}
	av := call(200, "GET", "/v1/items/W-1/availability", sales, "")
	if av["on_hand"] != "10" || av["reserved"] != "10" || av["available"] != "0" || av["incoming"] != "0" || av["version"] != "2" {
		t.Errorf("availability = %v", av)
	}
	canc := call(200, "POST", "/v1/salesOrders/"+oid+":cancel", finance, `{"reason":"lost deal"}`)
	if canc["status"] != "SALES_ORDER_STATUS_CANCELLED" || canc["etag"] != "3" {
		t.Errorf("cancelled order = %v", canc)
	}

	// Shipments: another order, confirmed, shipped in part by the
	// warehouse; the ledger shows the receipt and the cost of goods sold.
	o2 := call(200, "POST", "/v1/salesOrders", integ, fmt.Sprintf(`{"external_ref":"opp-2","customer_id":%q,"currency_code":"EUR","lines":[{"sku":"W-1","quantity":"3"}]}`, id))
	oid2 := str(o2["id"])
	call(200, "POST", "/v1/salesOrders/"+oid2+":confirm", integ, `{}`)
	if r := e.call("POST", "/v1/shipments", sales, `{"sales_order_id":"`+oid2+`"}`); r.status != 403 {
		t.Errorf("shipment by sales = %d", r.status)
	}
	r := e.call("POST", "/v1/shipments", wh, `{"sales_order_id":"`+oid2+`","lines":[{"line_number":1,"quantity":"4"}]}`)
	if f := restFields(r.body); r.status != 400 || len(f) != 1 || f[0] != "shipment.lines[0].quantity" {
		t.Errorf("over-shipping = %d %v", r.status, r.body)
	}
	sh := call(200, "POST", "/v1/shipments?request_id=ship-1", wh, `{"sales_order_id":"`+oid2+`","lines":[{"line_number":1,"quantity":"2"}]}`)
	shLines := sh["lines"].([]any)
	if sh["sales_order_number"] != "SO-000002" || len(shLines) != 1 || shLines[0].(map[string]any)["warehouse"] != "MAIN" ||
		shLines[0].(map[string]any)["cost"].(map[string]any)["amount"] != "16.00" {
		t.Errorf("shipment = %v", sh)
	}
	if again := call(200, "POST", "/v1/shipments?request_id=ship-1", wh, `{"sales_order_id":"`+oid2+`","lines":[{"line_number":1,"quantity":"2"}]}`); again["id"] != sh["id"] {
		t.Errorf("retried shipment = %v", again)
	}
	call(200, "GET", "/v1/shipments/"+str(sh["id"]), sales, "")
	if l := call(200, "GET", "/v1/shipments?filter="+url.QueryEscape(`sales_order_id = "`+oid2+`"`), sales, ""); len(l["shipments"].([]any)) != 1 {
		t.Errorf("shipments = %v", l)
	}
	if got := call(200, "GET", "/v1/salesOrders/"+oid2, sales, ""); got["status"] != "SALES_ORDER_STATUS_PARTIALLY_SHIPPED" ||
		got["lines"].([]any)[0].(map[string]any)["shipped_quantity"] != "2" {
		t.Errorf("shipped order = %v", got)
	}
	je := call(200, "GET", "/v1/journalEntries?filter="+url.QueryEscape(`kind = "shipment"`), finance, "")
	if es, _ := je["journal_entries"].([]any); len(es) != 1 || es[0].(map[string]any)["reference"] != "shipments/"+str(sh["id"]) {
		t.Errorf("journal entries = %v", je)
	}
	// The shipment's id in upper case names the same entry.
	byRef := call(200, "GET", "/v1/journalEntries?filter="+url.QueryEscape(`reference = "shipments/`+strings.ToUpper(str(sh["id"]))+`"`), finance, "")
	if es, _ := byRef["journal_entries"].([]any); len(es) != 1 {
		t.Errorf("journal entries of the shipment named in upper case = %v", byRef)
	}
	if r := e.call("GET", "/v1/journalEntries", sales, ""); r.status != 403 {
		t.Errorf("journal entries by sales = %d", r.status)
	}
	tb := call(200, "GET", "/v1/reports/trialBalance?currency_code=EUR", finance, "")
	// The same as CSV, and the journal's lines of today.
	today := time.Now().UTC().Format(time.DateOnly)
	for path, want := range map[string]string{
		"/v1/reports/trialBalance.csv?currency_code=EUR": "account_code,account_name,currency_code,debit,credit,balance\r\n" +
			"1200,Inventory,EUR,80.00,16.00,64.00\r\n",
		"/v1/reports/journal.csv?start_date=" + today + "&end_date=" + today: "entry_date,entry_id,kind,reference,",
	} {
		hit[patternOf("GET", path, all)] = true
		code, ctype, body := csvGet(t, e.base+path, finance)
		if code != 200 || ctype != "text/csv; charset=utf-8" || !strings.HasPrefix(body, want) {
			t.Errorf("GET %s = %d %s %q, want 200 text/csv starting %q", path, code, ctype, body, want)
		}
	}
	if code, _, body := csvGet(t, e.base+"/v1/reports/journal.csv?end_date="+today, finance); code != 400 || !strings.Contains(body, "start_date") {
		t.Errorf("journal.csv without start_date = %d %s", code, body)
	}
	var balances []string
	for _, row := range tb["rows"].([]any) {
		m := row.(map[string]any)
		balances = append(balances, str(m["account_code"])+"="+str(m["balance"].(map[string]any)["amount"]))
	}
	tot := tb["totals"].([]any)[0].(map[string]any)
	if fmt.Sprint(balances) != "[1200=64.00 2000=-80.00 5000=16.00]" || tot["debit"].(map[string]any)["amount"] != "96.00" ||
		tot["credit"].(map[string]any)["amount"] != "96.00" {
		t.Errorf("trial balance = %v", tb)
	}

	// Invoices: finance bills what shipped; sales may read it.
	if r := e.call("POST", "/v1/invoices", sales, `{"sales_order_id":"`+oid2+`"}`); r.status != 403 {
		t.Errorf("invoice by sales = %d", r.status)
	}
	if r := e.call("POST", "/v1/invoices", finance, `{"sales_order_id":"`+oid2+`","issue_date":"2026-13-01"}`); r.status != 400 || fmt.Sprint(restFields(r.body)) != "[invoice.issue_date]" {
		t.Errorf("bad issue date = %d %v", r.status, r.body)
	}
	inv := call(200, "POST", "/v1/invoices?request_id=inv-1", finance, `{"sales_order_id":"`+oid2+`","issue_date":"2026-03-01"}`)
	invID := str(inv["id"])
	if inv["status"] != "INVOICE_STATUS_OPEN" || inv["due_date"] != "2026-03-31" || inv["total"].(map[string]any)["amount"] != "47.58" ||
		inv["tax_total"].(map[string]any)["amount"] != "7.60" || inv["open_amount"].(map[string]any)["amount"] != "47.58" {
		t.Errorf("invoice = %v", inv) // 2 x 19.99 = 39.98, tax 7.5962
	}
	call(200, "GET", "/v1/invoices/"+invID, sales, "")
	if l := call(200, "GET", "/v1/invoices?filter="+url.QueryEscape(`sales_order_id = "`+oid2+`" AND status = OPEN`), sales, ""); len(l["invoices"].([]any)) != 1 {
		t.Errorf("invoices = %v", l)
	}
	if od := call(200, "POST", "/v1/invoices:markOverdue", finance, `{"as_of_date":"2026-04-01"}`); fmt.Sprint(od["invoice_ids"]) != "["+invID+"]" {
		t.Errorf("mark overdue = %v", od)
	}
	// It takes no request_id: marking again, a retry say, changes nothing.
	marked := e.counts()
	if od := call(200, "POST", "/v1/invoices:markOverdue", finance, `{"as_of_date":"2026-04-01"}`); fmt.Sprint(od["invoice_ids"]) != "[]" || od["more"] == true {
		t.Errorf("mark overdue again = %v", od)
	}
	if after := e.counts(); fmt.Sprint(after) != fmt.Sprint(marked) {
		t.Errorf("marking again wrote: %v -> %v", marked, after)
	}
	if r := e.call("POST", "/v1/invoices/"+invID+":void", finance, `{"etag":"1"}`); r.status != 409 {
		t.Errorf("void with a stale etag = %d", r.status)
	}
	if v := call(200, "POST", "/v1/invoices/"+invID+":void", finance, `{"etag":"2","reason":"duplicate"}`); v["status"] != "INVOICE_STATUS_VOID" {
		t.Errorf("voided invoice = %v", v)
	}

	// Payments: bill the shipped 2 again, pay it with 2.42 too much, reverse.
	inv = call(200, "POST", "/v1/invoices", finance, `{"sales_order_id":"`+oid2+`","issue_date":"2026-03-02"}`)
	invID = str(inv["id"])
	if r := e.call("POST", "/v1/payments", sales, `{}`); r.status != 403 {
		t.Errorf("payment by sales = %d", r.status)
	}
	r = e.call("POST", "/v1/payments", finance, fmt.Sprintf(`{"customer_id":%q,"amount":{"currency_code":"EUR","amount":"10"},
		"allocations":[{"invoice_id":%q,"amount":{"currency_code":"EUR","amount":"20"}}]}`, id, invID))
	if f := restFields(r.body); r.status != 400 || fmt.Sprint(f) != "[payment.allocations[0].amount.amount]" {
		t.Errorf("allocating more than the payment = %d %v", r.status, r.body)
	}
	pm := call(200, "POST", "/v1/payments?request_id=pay-1", finance, fmt.Sprintf(`{"customer_id":%q,"amount":{"currency_code":"EUR","amount":"50"},
		"reference":"bank 42","allocations":[{"invoice_id":%q,"amount":{"currency_code":"EUR","amount":"47.58"}}]}`, id, invID))
	if pm["status"] != "PAYMENT_STATUS_POSTED" || pm["unallocated_amount"].(map[string]any)["amount"] != "2.42" || pm["number"] != "PAY-000001" {
		t.Errorf("payment = %v", pm)
	}
	pid := str(pm["id"])
	amount := func(m map[string]any, field string) string { return str(m[field].(map[string]any)["amount"]) }
	if b := call(200, "GET", "/v1/customers/"+id+"/balance", sales, ""); amount(b, "open_balance") != "0.00" ||
		amount(b, "credit") != "2.42" || b["currency_code"] != "EUR" || b["version"] == nil {
		t.Errorf("balance after the payment = %v", b)
	}
	if r := e.call("GET", "/v1/customers/"+id+"/balance?currency_code=XXX", sales, ""); r.status != 400 || fmt.Sprint(restFields(r.body)) != "[currency_code]" {
		t.Errorf("balance in XXX = %d %v", r.status, r.body)
	}
	if r := e.call("GET", "/v1/customers/01900000-0000-7000-8000-000000000000/balance", sales, ""); r.status != 404 {
		t.Errorf("balance of no customer = %d %v", r.status, r.body)
	}
	if got := call(200, "GET", "/v1/invoices/"+invID, sales, ""); got["status"] != "INVOICE_STATUS_PAID" {
		t.Errorf("paid invoice = %v", got)
	}
	call(200, "GET", "/v1/payments/"+pid, sales, "")
	if l := call(200, "GET", "/v1/payments?filter="+url.QueryEscape(`customer_id = "`+id+`" AND status = POSTED`), finance, ""); len(l["payments"].([]any)) != 1 {
		t.Errorf("payments = %v", l)
	}
	if rev := call(200, "POST", "/v1/payments/"+pid+":reverse", finance, `{"etag":"1","reason":"bounced"}`); rev["status"] != "PAYMENT_STATUS_REVERSED" {
		t.Errorf("reversed payment = %v", rev)
	}
	if got := call(200, "GET", "/v1/invoices/"+invID, sales, ""); got["status"] != "INVOICE_STATUS_OPEN" || got["open_amount"].(map[string]any)["amount"] != "47.58" {
		t.Errorf("reopened invoice = %v", got)
	}
	b := call(200, "GET", "/v1/customers/"+id+"/balance?currency_code=EUR", sales, "")
	if amount(b, "open_balance") != "47.58" || amount(b, "credit") != "0.00" {
		t.Errorf("balance after the reversal = %v", b)
	}
	if l, _ := call(200, "GET", "/v1/customers/"+id+"/balances", sales, "")["balances"].([]any); len(l) != 1 || fmt.Sprint(l[0]) != fmt.Sprint(b) {
		t.Errorf("balances after the reversal = %v, want [%v]", l, b)
	}
	if r := e.call("GET", "/v1/customers/01900000-0000-7000-8000-000000000000/balances", sales, ""); r.status != 404 {
		t.Errorf("balances of no customer = %d %v", r.status, r.body)
	}

	// Reports: the open 47.58 is due 2026-04-01; 45 days past due on
	// 2026-05-16. The invoice of 2026-03-01, voided today, was open then
	// too (the aging shows the invoices as they were on the day).
	ag := call(200, "GET", "/v1/reports/arAging?as_of_date=2026-05-16", finance, "")
	if rows, _ := ag["rows"].([]any); len(rows) != 1 || rows[0].(map[string]any)["days_31_60"].(map[string]any)["amount"] != "95.16" ||
		rows[0].(map[string]any)["total"].(map[string]any)["amount"] != "95.16" || rows[0].(map[string]any)["customer_name"] != "Acme" {
		t.Errorf("ar aging = %v", ag)
	}
	if r := e.call("GET", "/v1/reports/arAging", sales, ""); r.status != 403 {
		t.Errorf("ar aging by sales = %d", r.status)
	}
	sv := call(200, "GET", "/v1/reports/stockValuation", finance, "")
	if rows, _ := sv["rows"].([]any); len(rows) != 1 || rows[0].(map[string]any)["value"].(map[string]any)["amount"] != "64.00" {
		t.Errorf("stock valuation = %v", sv) // 8 on hand x 8.00
	}
	if tot, _ := sv["totals"].([]any); len(tot) != 1 || fmt.Sprint(tot[0]) != "map[amount:64.00 currency_code:EUR]" {
		t.Errorf("stock valuation totals = %v", sv["totals"])
	}
	// The warehouse manager reads it too (not the journal or aging); sales does not.
	if got := call(200, "GET", "/v1/reports/stockValuation", wh, ""); fmt.Sprint(got) != fmt.Sprint(sv) {
		t.Errorf("stock valuation by warehouse = %v, want %v", got, sv)
	}
	for _, path := range []string{"/v1/reports/stockValuation", "/v1/reports/trialBalance", "/v1/reports/arAging"} {
		tok := wh
		if path == "/v1/reports/stockValuation" {
			tok = sales
		}
		if r := e.call("GET", path, tok, ""); r.status != 403 {
			t.Errorf("GET %s = %d, want 403", path, r.status)
		}
	}

	// The feed, paged. An event becomes readable once every older
	// transaction on the server has ended, so wait for the feed to catch up
	// with the table.
	var types []string
	after := ""
	total := e.counts()["outbox_events"]
	for deadline := time.Now().Add(10 * time.Second); len(types) < total && time.Now().Before(deadline); {
		page := call(200, "GET", "/v1/events?page_size=3&after="+url.QueryEscape(after), integ, "")
		evs, _ := page["events"].([]any)
		for _, ev := range evs {
			types = append(types, str(ev.(map[string]any)["type"]))
		}
		after = str(page["next_cursor"])
		if len(evs) < 3 {
			time.Sleep(20 * time.Millisecond)
		}
	}
	want := []string{"customer.created", "customer.updated", "customer.created", "item.created", "item.updated",
		"stock.changed", "sales_order.created", "stock.changed", "sales_order.confirmed", "stock.changed", "sales_order.cancelled",
		"sales_order.created", "stock.changed", "sales_order.confirmed", "stock.changed", "sales_order.shipped",
		"invoice.issued", "sales_order.invoiced", "customer.balance_changed", "invoice.overdue", "customer.balance_changed",
		"invoice.voided", "sales_order.invoiced", "customer.balance_changed",
		"invoice.issued", "sales_order.invoiced", "customer.balance_changed",
		"payment.received", "invoice.updated", "customer.balance_changed",
		"payment.reversed", "invoice.updated", "customer.balance_changed"}
	if fmt.Sprint(types) != fmt.Sprint(want) {
		t.Errorf("feed = %v\nwant %v", types, want)
	}

	restCreditNotes(t, call, invID, id)
	restPurchasing(t, e, call)
	restCreditHold(t, e, call)
	restPlanning(t, e, call)
	restTransfersCreditSales(t, e, call)
	restPeriodClose(t, e, call, id)
	restJournal(t, e, call)

	for _, r := range all {
		if !hit[r] {
			t.Errorf("route %s not exercised", r)
		}
	}
	if missing := slices.DeleteFunc(slices.Clone(all), func(r string) bool { return hit[r] }); len(missing) > 0 {
		t.Logf("missing routes: %v", missing)
	}
}

// restPurchasing exercises the purchasing routes: suppliers, a purchase
// order ordered and received in part, incoming stock, and a cancellation.
// It runs after the feed check of TestRESTRoutes.
func restPurchasing(t *testing.T, e *env, call func(want int, method, path, tok, body string) map[string]any) {
	t.Helper()
	sales, finance, wh := token(t, auth.Sales), token(t, auth.Finance), token(t, auth.Warehouse)

	sup := call(200, "POST", "/v1/suppliers?request_id=sup-1", wh, `{"name":"Parts Inc"}`)
	sid := str(sup["id"])
	if sup["currency_code"] != "EUR" || sup["etag"] != "1" {
		t.Errorf("created supplier = %v", sup)
	}
	if again := call(200, "POST", "/v1/suppliers?request_id=sup-1", wh, `{"name":"Parts Inc"}`); again["id"] != sid {
		t.Errorf("retried supplier = %v", again)
	}
	if r := e.call("POST", "/v1/suppliers", finance, `{"name":"X"}`); r.status != 403 {
		t.Errorf("supplier by finance = %d", r.status)
	}
	if r := e.call("POST", "/v1/suppliers", "", `{"name":"X"}`); r.status != 401 {
		t.Errorf("supplier without token = %d", r.status)
	}
	if r := e.call("POST", "/v1/suppliers", wh, `{"name":"","currency_code":"XXX"}`); r.status != 400 ||
		!hasAll(restFields(r.body), "supplier.name", "supplier.currency_code") {
		t.Errorf("bad supplier = %d %v", r.status, r.body)
	}
	call(200, "GET", "/v1/suppliers/"+sid, finance, "")
	if r := e.call("GET", "/v1/suppliers/"+sid, sales, ""); r.status != 403 {
		t.Errorf("supplier read by sales = %d", r.status)
	}
	if l := call(200, "GET", "/v1/suppliers?filter="+url.QueryEscape(`name = "Parts Inc"`), finance, ""); len(l["suppliers"].([]any)) != 1 {
		t.Errorf("suppliers = %v", l)
	}
	if r := e.call("PATCH", "/v1/suppliers/"+sid, wh, `{"name":"Parts Ltd","etag":"7"}`); r.status != 409 {
		t.Errorf("stale supplier update = %d", r.status)
	}
	if u := call(200, "PATCH", "/v1/suppliers/"+sid, wh, `{"name":"Parts Ltd","etag":"1"}`); u["name"] != "Parts Ltd" || u["etag"] != "2" {
		t.Errorf("updated supplier = %v", u)
	}
	// The currency is fixed on create: another one is refused, not
	// ignored; the supplier's own, echoed back, passes.
	if r := e.call("PATCH", "/v1/suppliers/"+sid, wh, `{"name":"Parts GmbH","currency_code":"USD"}`); r.status != 400 ||
		!hasAll(restFields(r.body), "supplier.currency_code") {
		t.Errorf("supplier currency change = %d %v", r.status, r.body)
	}
	if u := call(200, "PATCH", "/v1/suppliers/"+sid, wh, `{"name":"Parts Ltd","currency_code":"EUR"}`); u["currency_code"] != "EUR" || u["etag"] != "2" {
		t.Errorf("supplier with its own currency echoed = %v", u)
	}

	if r := e.call("POST", "/v1/purchaseOrders", wh, `{"supplier_id":"`+sid+`","lines":[{"sku":"W-1","quantity":"-1","unit_cost":{"currency_code":"EUR","amount":"1"}}]}`); r.status != 400 ||
		!hasAll(restFields(r.body), "purchase_order.lines[0].quantity", "purchase_order.lines[0].expected_date") {
		t.Errorf("bad purchase order = %d %v", r.status, r.body)
	}
	body := `{"supplier_id":"` + sid + `","lines":[
		{"sku":"W-1","quantity":"5","unit_cost":{"currency_code":"EUR","amount":"7.50"},"expected_date":"2030-01-15"},
		{"sku":"W-1","quantity":"2","unit_cost":{"currency_code":"EUR","amount":"7.50"},"expected_date":"2030-01-10"}]}`
	po := call(200, "POST", "/v1/purchaseOrders?request_id=po-1", wh, body)
	pid := str(po["id"])
	if po["number"] != "PO-000001" || po["status"] != "PURCHASE_ORDER_STATUS_DRAFT" || po["total"].(map[string]any)["amount"] != "52.50" {
		t.Errorf("created purchase order = %v", po)
	}
	if again := call(200, "POST", "/v1/purchaseOrders?request_id=po-1", wh, body); again["id"] != pid {
		t.Errorf("retried purchase order = %v", again)
	}
	if r := e.call("POST", "/v1/purchaseOrders", sales, body); r.status != 403 {
		t.Errorf("purchase order by sales = %d", r.status)
	}
	call(200, "GET", "/v1/purchaseOrders/"+pid, finance, "")
	if l := call(200, "GET", "/v1/purchaseOrders?filter="+url.QueryEscape(`status = DRAFT AND supplier_id = "`+sid+`"`), finance, ""); len(l["purchase_orders"].([]any)) != 1 {
		t.Errorf("purchase orders = %v", l)
	}
	before := call(200, "GET", "/v1/items/W-1/availability", sales, "")
	if r := e.call("POST", "/v1/purchaseOrders/"+pid+":order", wh, `{"etag":"5"}`); r.status != 409 {
		t.Errorf("stale order = %d", r.status)
	}
	if ord := call(200, "POST", "/v1/purchaseOrders/"+pid+":order", wh, `{"etag":"1"}`); ord["status"] != "PURCHASE_ORDER_STATUS_ORDERED" || ord["etag"] != "2" {
		t.Errorf("ordered = %v", ord)
	}
	// Ordering changes what is incoming: a new availability version.
	v, _ := strconv.Atoi(fmt.Sprint(before["version"]))
	if av := call(200, "GET", "/v1/items/W-1/availability", sales, ""); av["incoming"] != "7" || av["next_receipt_date"] != "2030-01-10" ||
		av["version"] != strconv.Itoa(v+1) {
		t.Errorf("availability with an open purchase order = %v (before: version %v)", av, before["version"])
	}
	if r := e.call("POST", "/v1/purchaseOrders/"+pid+":receive", finance, `{"lines":[{"line_number":2,"quantity":"2"}]}`); r.status != 403 {
		t.Errorf("receipt by finance = %d", r.status)
	}
	if r := e.call("POST", "/v1/purchaseOrders/"+pid+":receive", wh, `{"lines":[{"line_number":1,"quantity":"6"}]}`); r.status != 400 ||
		!hasAll(restFields(r.body), "lines[0].quantity") {
		t.Errorf("over-receiving = %d %v", r.status, r.body)
	}
	rec := call(200, "POST", "/v1/purchaseOrders/"+pid+":receive", wh, `{"lines":[{"line_number":2,"quantity":"2"}],"request_id":"rec-1"}`)
	if rec["status"] != "PURCHASE_ORDER_STATUS_PARTIALLY_RECEIVED" || rec["etag"] != "3" || rec["lines"].([]any)[1].(map[string]any)["received_quantity"] != "2" {
		t.Errorf("received = %v", rec)
	}
	if again := call(200, "POST", "/v1/purchaseOrders/"+pid+":receive", wh, `{"lines":[{"line_number":2,"quantity":"2"}],"request_id":"rec-1"}`); again["etag"] != "3" {
		t.Errorf("retried receipt = %v", again)
	}
	av := call(200, "GET", "/v1/items/W-1/availability", sales, "")
	if av["incoming"] != "5" || av["next_receipt_date"] != "2030-01-15" || av["on_hand"] == before["on_hand"] {
		t.Errorf("availability after the receipt = %v (before %v)", av, before)
	}
	je := call(200, "GET", "/v1/journalEntries?filter="+url.QueryEscape(`kind = "receipt"`), finance, "")
	found := false
	for _, en := range je["journal_entries"].([]any) {
		found = found || en.(map[string]any)["reference"] == "purchaseOrders/"+pid
	}
	if !found {
		t.Errorf("no receipt journal entry for the purchase order: %v", je)
	}
	// Goods sent back to the supplier come off what was received (see
	// TestPurchaseReturnREST).
	if r := e.call("POST", "/v1/purchaseOrders/"+pid+":return", finance, `{"lines":[{"line_number":2,"quantity":"1"}]}`); r.status != 403 {
		t.Errorf("return by finance = %d", r.status)
	}
	if ret := call(200, "POST", "/v1/purchaseOrders/"+pid+":return", wh, `{"lines":[{"line_number":2,"quantity":"1"}],"reason":"damaged"}`); ret["etag"] != "4" ||
		ret["lines"].([]any)[1].(map[string]any)["received_quantity"] != "1" {
		t.Errorf("returned = %v", ret)
	}
	// Cancelling a partially received order closes it short: nothing
	// more is incoming.
	if c := call(200, "POST", "/v1/purchaseOrders/"+pid+":cancel", wh, `{}`); c["status"] != "PURCHASE_ORDER_STATUS_CLOSED" {
		t.Errorf("closed = %v", c)
	}
	if av := call(200, "GET", "/v1/items/W-1/availability", wh, ""); av["incoming"] != "0" || av["next_receipt_date"] != nil {
		t.Errorf("availability after closing = %v", av)
	}
	restPayables(t, e, call, sid, pid)
	// The feed carries the purchase order and supplier payloads, versioned
	// by their etags.
	deadline := time.Now().Add(10 * time.Second)
	for {
		// An empty page ({}) while the feed waits for older
		// transactions on the server: read again.
		evs, _ := call(200, "GET", "/v1/events?page_size=1000", token(t, auth.Integration), "")["events"].([]any)
		var received, updated map[string]any
		for _, ev := range evs {
			m := ev.(map[string]any)
			switch m["type"] {
			case "purchase_order.received":
				received = m
			case "supplier.updated":
				updated = m
			}
		}
		if received != nil && updated != nil {
			if received["key"] != pid || received["version"] != "3" || received["purchase_order"].(map[string]any)["id"] != pid ||
				updated["version"] != "2" || updated["supplier"].(map[string]any)["name"] != "Parts Ltd" {
				t.Errorf("purchasing events = %v, %v", received, updated)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("purchasing events not in the feed: %v", evs)
		}
		time.Sleep(20 * time.Millisecond)
	}

	po2 := call(200, "POST", "/v1/purchaseOrders", wh, body)
	if c := call(200, "POST", "/v1/purchaseOrders/"+str(po2["id"])+":cancel", wh, `{"request_id":"can-1"}`); c["status"] != "PURCHASE_ORDER_STATUS_CANCELLED" {
		t.Errorf("cancelled = %v", c)
	}
}

// restCreditHold exercises a confirm over the credit limit and its release.
func restCreditHold(t *testing.T, e *env, call func(want int, method, path, tok, body string) map[string]any) {
	t.Helper()
	sales, finance, integ := token(t, auth.Sales), token(t, auth.Finance), token(t, auth.Integration)
	c := call(200, "POST", "/v1/customers", sales, `{"name":"Tight Ltd","currency_code":"EUR"}`)
	cid := str(c["id"])
	call(200, "PATCH", "/v1/customers/"+cid, finance, `{"credit_limit":{"currency_code":"EUR","amount":"10"},"etag":"1"}`)
	o := call(200, "POST", "/v1/salesOrders", integ, `{"customer_id":"`+cid+`","currency_code":"EUR","lines":[{"sku":"W-1","quantity":"2",
		"unit_price":{"currency_code":"EUR","amount":"10.00"}}]}`)
	oid := str(o["id"])
	held := call(200, "POST", "/v1/salesOrders/"+oid+":confirm", sales, `{}`)
	if held["status"] != "SALES_ORDER_STATUS_ON_CREDIT_HOLD" || held["lines"].([]any)[0].(map[string]any)["reserved_quantity"] != "0" || held["etag"] != "2" {
		t.Errorf("held order = %v", held)
	}
	if r := e.call("POST", "/v1/salesOrders/"+oid+":confirm", sales, `{}`); r.status != 400 {
		t.Errorf("confirming a held order = %d", r.status)
	}
	if r := e.call("POST", "/v1/salesOrders/"+oid+":releaseCreditHold", sales, `{"reason":"ok"}`); r.status != 403 {
		t.Errorf("release by sales = %d", r.status)
	}
	if r := e.call("POST", "/v1/salesOrders/"+oid+":releaseCreditHold", finance, `{"reason":" "}`); r.status != 400 || !hasAll(restFields(r.body), "reason") {
		t.Errorf("release without reason = %d %v", r.status, r.body)
	}
	if r := e.call("POST", "/v1/salesOrders/"+oid+":releaseCreditHold", finance, `{"reason":"ok","etag":"1"}`); r.status != 409 {
		t.Errorf("stale release = %d", r.status)
	}
	rel := call(200, "POST", "/v1/salesOrders/"+oid+":releaseCreditHold", finance, `{"reason":"paid in advance","etag":"2","request_id":"rel-1"}`)
	info, _ := rel["credit_hold_release"].(map[string]any)
	if rel["status"] != "SALES_ORDER_STATUS_CONFIRMED" || rel["etag"] != "3" || info["reason"] != "paid in advance" || info["released_by"] == "" || info["release_time"] == nil {
		t.Errorf("released order = %v", rel)
	}
	if again := call(200, "POST", "/v1/salesOrders/"+oid+":releaseCreditHold", finance, `{"reason":"paid in advance","etag":"2","request_id":"rel-1"}`); again["etag"] != "3" {
		t.Errorf("retried release = %v", again)
	}

	// Amend: down within the limit by integration; up over it holds the
	// order again; below what shipped is refused naming the line.
	if r := e.call("POST", "/v1/salesOrders/"+oid+":amend", token(t, auth.Warehouse), `{"lines":[{"line_number":1,"quantity":"1"}]}`); r.status != 403 {
		t.Errorf("amend by warehouse = %d", r.status)
	}
	if r := e.call("POST", "/v1/salesOrders/"+oid+":amend", integ, `{"lines":[{"line_number":1,"quantity":"0"},{"line_number":0,"quantity":"1"}]}`); r.status != 400 ||
		!hasAll(restFields(r.body), "lines[0].quantity", "lines[1].sku") {
		t.Errorf("bad amend = %d %v", r.status, r.body)
	}
	am := call(200, "POST", "/v1/salesOrders/"+oid+":amend", integ, `{"lines":[{"line_number":1,"quantity":"1"}],"etag":"3","request_id":"am-1"}`)
	if am["status"] != "SALES_ORDER_STATUS_CONFIRMED" || am["etag"] != "4" || am["total"].(map[string]any)["amount"] != "10.00" {
		t.Errorf("amended = %v", am)
	}
	up := call(200, "POST", "/v1/salesOrders/"+oid+":amend", sales, `{"lines":[{"sku":"W-1","quantity":"1"}]}`)
	if up["status"] != "SALES_ORDER_STATUS_ON_CREDIT_HOLD" || len(up["lines"].([]any)) != 2 {
		t.Errorf("amended over the limit = %v", up)
	}
}

// restPlanning exercises reorder suggestions and pipeline demand.
func restPlanning(t *testing.T, e *env, call func(want int, method, path, tok, body string) map[string]any) {
	t.Helper()
	wh, finance, integ, sales := token(t, auth.Warehouse), token(t, auth.Finance), token(t, auth.Integration), token(t, auth.Sales)
	it := call(200, "POST", "/v1/items", wh, `{"sku":"RP-1","name":"Reordered","list_price":{"currency_code":"EUR","amount":"1"},
		"reorder_point":"5","reorder_quantity":"12"}`)
	if it["reorder_point"] != "5" || it["reorder_quantity"] != "12" {
		t.Errorf("item = %v", it)
	}
	if r := e.call("PATCH", "/v1/items/RP-1", wh, `{"reorder_point":"-1"}`); r.status != 400 || !hasAll(restFields(r.body), "item.reorder_point") {
		t.Errorf("negative reorder point = %d %v", r.status, r.body)
	}
	// RP-1 is counted (ea, the default): whole reorder settings only.
	if r := e.call("PATCH", "/v1/items/RP-1", wh, `{"reorder_point":"2.5","reorder_quantity":"0.5"}`); r.status != 400 ||
		!hasAll(restFields(r.body), "item.reorder_point", "item.reorder_quantity") {
		t.Errorf("fractional reorder settings of an item in ea = %d %v", r.status, r.body)
	}
	if r := e.call("POST", "/v1/pipelineDemand:set", wh, `{"demands":[{"sku":"RP-1","quantity":"1"}],"source_version":"1"}`); r.status != 403 {
		t.Errorf("pipeline demand by warehouse = %d", r.status)
	}
	if r := e.call("POST", "/v1/pipelineDemand:set", integ, `{"demands":[{"sku":"RP-1","quantity":"-1"}],"source_version":"1"}`); r.status != 400 ||
		!hasAll(restFields(r.body), "demands[0].quantity") {
		t.Errorf("negative demand = %d %v", r.status, r.body)
	}
	// Reorder settings and demands follow the quantity rule (at most 10^12
	// and 6 decimal places).
	if r := e.call("PATCH", "/v1/items/RP-1", wh, `{"reorder_point":"1000000000001","reorder_quantity":"0.0000001"}`); r.status != 400 ||
		!hasAll(restFields(r.body), "item.reorder_point", "item.reorder_quantity") {
		t.Errorf("reorder settings beyond the quantity rule = %d %v", r.status, r.body)
	}
	if r := e.call("POST", "/v1/pipelineDemand:set", integ, `{"demands":[{"sku":"RP-1","quantity":"1000000000000.5"},{"sku":"RP-1","quantity":"0.0000001"}],"source_version":"1"}`); r.status != 400 ||
		!hasAll(restFields(r.body), "demands[0].quantity", "demands[1].quantity") {
		t.Errorf("demand beyond the quantity rule = %d %v", r.status, r.body)
	}
	if set := call(200, "POST", "/v1/pipelineDemand:set", integ, `{"demands":[{"sku":"RP-1","quantity":"20"}],"source_version":"3"}`); set["applied"] != float64(1) {
		t.Errorf("set = %v", set)
	}
	if set := call(200, "POST", "/v1/pipelineDemand:set", integ, `{"demands":[{"sku":"RP-1","quantity":"0"}],"source_version":"2"}`); set["applied"] != nil && set["applied"] != float64(0) {
		t.Errorf("stale set = %v", set)
	}
	if r := e.call("GET", "/v1/reorderSuggestions", sales, ""); r.status != 403 {
		t.Errorf("suggestions by sales = %d", r.status)
	}
	call(200, "GET", "/v1/reorderSuggestions", wh, "")
	var found map[string]any
	for tok := ""; ; {
		page := call(200, "GET", "/v1/reorderSuggestions?page_size=1&page_token="+url.QueryEscape(tok), finance, "")
		for _, s := range page["reorder_suggestions"].([]any) {
			if m := s.(map[string]any); m["sku"] == "RP-1" {
				found = m
			}
		}
		if tok = str(page["next_page_token"]); tok == "" {
			break
		}
	}
	// projected 0 + 0 - 0 - 20 = -20 < 5: suggest max(12, 25) = 25.
	if found == nil || found["projected"] != "-20" || found["suggested_quantity"] != "25" || found["pipeline_demand"] != "20" {
		t.Errorf("RP-1 suggestion = %v", found)
	}
}

// restPayables exercises the payables routes on purchase order pid of
// supplier sid, whose line 2 has received 1 at 7.50: a bill, payments,
// the report; finance's only.
func restPayables(t *testing.T, e *env, call func(want int, method, path, tok, body string) map[string]any, sid, pid string) {
	t.Helper()
	finance, wh := token(t, auth.Finance), token(t, auth.Warehouse)
	bill := func(number, qty string) string {
		return `{"purchase_order_id":"` + pid + `","supplier_invoice_number":"` + number + `","invoice_date":"2026-01-20",
			"due_date":"2026-02-19","tax_rate":"0.1","lines":[{"line_number":2,"quantity":"` + qty + `"}]}`
	}
	if r := e.call("POST", "/v1/supplierBills", wh, bill("S-100", "1")); r.status != 403 {
		t.Errorf("bill by the warehouse = %d", r.status)
	}
	if r := e.call("POST", "/v1/supplierBills", finance, `{"purchase_order_id":"`+pid+`","lines":[{"line_number":2,"quantity":"0"}]}`); r.status != 400 ||
		!hasAll(restFields(r.body), "bill.supplier_invoice_number", "bill.due_date", "bill.lines[0].quantity") {
		t.Errorf("bad bill = %d %v", r.status, r.body)
	}
	if r := e.call("POST", "/v1/supplierBills", finance, bill("S-100", "1.5")); r.status != 400 ||
		!hasAll(restFields(r.body), "bill.lines[0].quantity") {
		t.Errorf("over-billing = %d %v", r.status, r.body)
	}
	b := call(200, "POST", "/v1/supplierBills?request_id=bill-1", finance, bill(" S-100 ", "1"))
	bid := str(b["id"])
	if b["supplier_id"] != sid || b["supplier_invoice_number"] != "S-100" || b["status"] != "SUPPLIER_BILL_STATUS_OPEN" ||
		b["total"].(map[string]any)["amount"] != "8.25" || b["tax_amount"].(map[string]any)["amount"] != "0.75" || b["etag"] != "1" {
		t.Errorf("bill = %v", b)
	}
	if again := call(200, "POST", "/v1/supplierBills?request_id=bill-1", finance, bill(" S-100 ", "1")); again["id"] != bid {
		t.Errorf("retried bill = %v", again)
	}
	// The order's line shows what of it is billed.
	if po := call(200, "GET", "/v1/purchaseOrders/"+pid, finance, ""); po["lines"].([]any)[1].(map[string]any)["billed_quantity"] != "1" ||
		po["lines"].([]any)[0].(map[string]any)["billed_quantity"] != "0" {
		t.Errorf("billed purchase order = %v", po)
	}
	if r := e.call("POST", "/v1/supplierBills", finance, bill("S-100", "1")); r.status != 409 {
		t.Errorf("duplicate supplier invoice number = %d %v", r.status, r.body)
	}
	call(200, "GET", "/v1/supplierBills/"+bid, finance, "")
	if r := e.call("GET", "/v1/supplierBills/"+bid, wh, ""); r.status != 403 {
		t.Errorf("bill read by the warehouse = %d", r.status)
	}
	if l := call(200, "GET", "/v1/supplierBills?filter="+url.QueryEscape(`supplier_id = "`+sid+`" AND status = OPEN`), finance, ""); len(l["bills"].([]any)) != 1 {
		t.Errorf("open bills = %v", l)
	}
	pay := func(amount string) string {
		return `{"bill_id":"` + bid + `","amount":{"currency_code":"EUR","amount":"` + amount + `"},"reference":"TR-1"}`
	}
	if r := e.call("POST", "/v1/supplierPayments", finance, pay("9.00")); r.status != 400 || !hasAll(restFields(r.body), "payment.amount") {
		t.Errorf("overpaying = %d %v", r.status, r.body)
	}
	if r := e.call("POST", "/v1/supplierPayments", wh, pay("1.00")); r.status != 403 {
		t.Errorf("payment by the warehouse = %d", r.status)
	}
	p := call(200, "POST", "/v1/supplierPayments?request_id=spay-1", finance, pay("5.00"))
	if again := call(200, "POST", "/v1/supplierPayments?request_id=spay-1", finance, pay("5.00")); again["id"] != p["id"] {
		t.Errorf("retried payment = %v", again)
	}
	if got := call(200, "GET", "/v1/supplierPayments/"+str(p["id"]), finance, ""); got["supplier_id"] != sid || got["reference"] != "TR-1" {
		t.Errorf("payment = %v", got)
	}
	// Payments list by bill (and by supplier), a page at a time; finance's only.
	p2 := call(200, "POST", "/v1/supplierPayments", finance, pay("1.00"))
	var listed []any
	for tok := ""; ; {
		page := call(200, "GET", "/v1/supplierPayments?page_size=1&filter="+url.QueryEscape(`bill_id = "`+bid+`"`)+"&page_token="+url.QueryEscape(tok), finance, "")
		ps, _ := page["payments"].([]any)
		listed = append(listed, ps...)
		if tok = str(page["next_page_token"]); tok == "" {
			break
		}
	}
	if len(listed) != 2 || !(listed[0].(map[string]any)["id"] == p["id"] && listed[1].(map[string]any)["id"] == p2["id"] ||
		listed[0].(map[string]any)["id"] == p2["id"] && listed[1].(map[string]any)["id"] == p["id"]) {
		t.Errorf("the bill's payments = %v", listed)
	}
	if l := call(200, "GET", "/v1/supplierPayments?filter="+url.QueryEscape(`supplier_id = "`+sid+`"`), finance, ""); len(l["payments"].([]any)) != 2 {
		t.Errorf("the supplier's payments = %v", l)
	}
	if r := e.call("GET", "/v1/supplierPayments?filter="+url.QueryEscape(`amount = "1"`), finance, ""); r.status != 400 {
		t.Errorf("payments filtered by amount = %d %v", r.status, r.body)
	}
	if r := e.call("GET", "/v1/supplierPayments", wh, ""); r.status != 403 {
		t.Errorf("payments listed by the warehouse = %d", r.status)
	}
	rep := call(200, "GET", "/v1/reports/payables?as_of_date=2030-03-01&supplier_id="+sid, finance, "")
	rows, _ := rep["rows"].([]any)
	if len(rows) != 1 || rows[0].(map[string]any)["open_amount"].(map[string]any)["amount"] != "2.25" ||
		rows[0].(map[string]any)["overdue_amount"].(map[string]any)["amount"] != "2.25" {
		t.Errorf("payables report = %v", rep)
	}
	// A row a page; a token continues only the report it came from. Two
	// more suppliers owe something (written directly: the report only
	// reads open bills), so there are pages to continue to.
	if _, err := e.pool.Exec(t.Context(), `
		WITH s AS (INSERT INTO suppliers (id, name, currency_code)
		             SELECT gen_random_uuid(), 'Paged ' || g, 'EUR' FROM generate_series(1, 2) g RETURNING id, name),
		     o AS (INSERT INTO purchase_orders (id, number, supplier_id, currency_code, status, total)
		             SELECT gen_random_uuid(), 'PO-' || s.name, s.id, 'EUR', 'RECEIVED', 1 FROM s RETURNING id, supplier_id, number)
		INSERT INTO supplier_bills (id, number, supplier_id, purchase_order_id, supplier_invoice_number, currency_code,
		    invoice_date, due_date, subtotal, tax_amount, total, paid, status)
		  SELECT gen_random_uuid(), 'BILL-' || o.number, o.supplier_id, o.id, 'I-1', 'EUR', '2030-01-01', '2030-02-01', 1, 0, 1, 0, 'OPEN'
		  FROM o`); err != nil {
		t.Fatal(err)
	}
	seen, pages := 0, 0
	for tok := ""; ; pages++ {
		page := call(200, "GET", "/v1/reports/payables?as_of_date=2030-03-01&page_size=1&page_token="+url.QueryEscape(tok), finance, "")
		rs, _ := page["rows"].([]any)
		if len(rs) > 1 {
			t.Fatalf("payables page of size 1 = %v", page)
		}
		for _, r := range rs {
			if r.(map[string]any)["supplier_id"] == sid {
				seen++
			}
		}
		if tok = str(page["next_page_token"]); tok == "" {
			break
		}
		if r := e.call("GET", "/v1/reports/payables?as_of_date=2030-03-02&page_size=1&page_token="+url.QueryEscape(tok), finance, ""); r.status != 400 ||
			!hasAll(restFields(r.body), "page_token") {
			t.Errorf("a token of another as-of date = %d %v", r.status, r.body)
		}
	}
	if seen != 1 || pages < 2 {
		t.Errorf("supplier %s's row on %d of %d pages, want 1", sid, seen, pages+1)
	}
	if r := e.call("GET", "/v1/reports/payables", wh, ""); r.status != 403 {
		t.Errorf("payables report for the warehouse = %d", r.status)
	}

	// A payment reversed: once, by finance, with a reason; listed as
	// reversed, its bill owing it again.
	rev := "/v1/supplierPayments/" + str(p2["id"]) + ":reverse"
	if r := e.call("POST", rev, wh, `{"reason":"bounced"}`); r.status != 403 {
		t.Errorf("reversal by the warehouse = %d", r.status)
	}
	if r := e.call("POST", rev, finance, `{"reason":"  "}`); r.status != 400 || fmt.Sprint(restFields(r.body)) != "[reason]" {
		t.Errorf("reversal without a reason = %d %v", r.status, r.body)
	}
	if got := call(200, "POST", rev, finance, `{"reason":"bounced","request_id":"srev-1"}`); got["reversed"] != true || got["reverse_reason"] != "bounced" {
		t.Errorf("reversed payment = %v", got)
	}
	if again := call(200, "POST", rev, finance, `{"reason":"bounced","request_id":"srev-1"}`); again["reversed"] != true {
		t.Errorf("retried reversal = %v", again)
	}
	if r := e.call("POST", rev, finance, `{"reason":"bounced"}`); r.status != 400 || !strings.Contains(str(r.body["message"]), "reversed already") {
		t.Errorf("second reversal = %d %v", r.status, r.body)
	}
	page := call(200, "GET", "/v1/supplierPayments?filter="+url.QueryEscape(`bill_id = "`+bid+`"`), finance, "")
	for _, lp := range page["payments"].([]any) {
		if m := lp.(map[string]any); (m["reversed"] == true) != (m["id"] == p2["id"]) {
			t.Errorf("listed payment %v", m)
		}
	}
	if got := call(200, "GET", "/v1/supplierBills/"+bid, finance, ""); got["paid_amount"].(map[string]any)["amount"] != "5.00" {
		t.Errorf("bill after the reversal = %v", got)
	}

	// Credit notes: finance's; the bill has 3.25 of 8.25 open, so its
	// goods (7.50 + 0.75 tax) cannot all be credited, a concession of
	// 2.00 (+ 0.20 tax) can.
	scn := "/v1/supplierBills/" + bid + "/creditNotes"
	concession := `{"reason":"price dispute","credit_date":"2026-01-25","lines":[{"line_number":2,"amount":{"currency_code":"EUR","amount":"2.00"}}]}`
	if r := e.call("POST", scn, wh, concession); r.status != 403 {
		t.Errorf("credit note by the warehouse = %d", r.status)
	}
	if r := e.call("POST", scn, finance, `{"lines":[{"line_number":2,"quantity":"-1"}]}`); r.status != 400 ||
		!hasAll(restFields(r.body), "credit_note.reason", "credit_note.lines[0].quantity") {
		t.Errorf("bad credit note = %d %v", r.status, r.body)
	}
	if r := e.call("POST", scn, finance, `{"reason":"sent back","credit_date":"2026-01-25","lines":[{"line_number":2,"quantity":"1"}]}`); r.status != 400 ||
		r.body["code"] != float64(9) || !hasAll(restFields(r.body), "credit_note.lines") {
		t.Errorf("crediting more than is open = %d %v", r.status, r.body)
	}
	cn := call(200, "POST", scn+"?request_id=scn-1", finance, concession)
	if !strings.HasPrefix(str(cn["number"]), "SCN-") || cn["bill_id"] != bid || cn["supplier_id"] != sid ||
		cn["total"].(map[string]any)["amount"] != "2.20" || cn["tax_amount"].(map[string]any)["amount"] != "0.20" ||
		cn["lines"].([]any)[0].(map[string]any)["kind"] != "SUPPLIER_CREDIT_LINE_KIND_PRICE_CONCESSION" {
		t.Errorf("credit note = %v", cn)
	}
	if again := call(200, "POST", scn+"?request_id=scn-1", finance, concession); again["id"] != cn["id"] {
		t.Errorf("retried credit note = %v", again)
	}
	if got := call(200, "GET", "/v1/supplierBills/"+bid, finance, ""); got["credited_amount"].(map[string]any)["amount"] != "2.20" ||
		got["open_amount"].(map[string]any)["amount"] != "1.05" {
		t.Errorf("credited bill = %v", got)
	}
	if got := call(200, "GET", "/v1/supplierCreditNotes/"+str(cn["id"]), finance, ""); got["number"] != cn["number"] {
		t.Errorf("credit note read = %v", got)
	}
	if r := e.call("GET", "/v1/supplierCreditNotes/"+str(cn["id"]), wh, ""); r.status != 403 {
		t.Errorf("credit note read by the warehouse = %d", r.status)
	}
	for _, f := range []string{`bill_id = "` + bid + `"`, `supplier_id = "` + sid + `"`} {
		if l := call(200, "GET", "/v1/supplierCreditNotes?filter="+url.QueryEscape(f), finance, ""); len(l["credit_notes"].([]any)) != 1 {
			t.Errorf("credit notes %s = %v", f, l)
		}
	}
	if r := e.call("GET", "/v1/supplierCreditNotes?filter="+url.QueryEscape(`reason = "x"`), finance, ""); r.status != 400 {
		t.Errorf("credit notes filtered by reason = %d %v", r.status, r.body)
	}
}
