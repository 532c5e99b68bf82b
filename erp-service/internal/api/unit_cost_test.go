package api_test

import (
	"fmt"
	"net/url"
	"testing"

	"github.com/seamhq/seam/platform/auth"
)

// amountOf reads the amount of a Money field of a REST body.
func amountOf(m map[string]any, field string) string {
	v, _ := m[field].(map[string]any)
	return str(v["amount"])
}

// Unit costs (a purchase order line's, an item's standard cost) may be
// finer than the currency's minor unit, up to 6 places; every amount that
// moves (line amounts, totals, receipts' journal entries, the valuation)
// is quantity x unit cost rounded once per line, half away from zero, to
// the minor unit, and the ledger balances.
func TestFineUnitCostsREST(t *testing.T) {
	t.Parallel()
	e := start(t)
	wh, finance := token(t, auth.Warehouse), token(t, auth.Finance)

	item := func(sku, price, cost string) map[string]any {
		return e.must(200, "POST", "/v1/items", wh, fmt.Sprintf(`{"sku":%q,"name":"Item %s","list_price":{"currency_code":"EUR","amount":%q},
			"standard_cost":{"currency_code":"EUR","amount":%q}}`, sku, sku, price, cost))
	}
	if it := item("SCREW-1", "0.05", "0.0125"); amountOf(it, "standard_cost") != "0.0125" {
		t.Errorf("screw = %v, want standard cost 0.0125", it)
	}
	if it := item("NUT-1", "1", "0.333300"); amountOf(it, "standard_cost") != "0.3333" {
		t.Errorf("nut = %v, want standard cost 0.3333", it)
	}
	if it := item("BOLT-1", "10", "2"); amountOf(it, "standard_cost") != "2.00" {
		t.Errorf("bolt = %v, want standard cost 2.00 as ever", it)
	}
	msg, field, desc := restViolation(t, e.call("POST", "/v1/items", wh, `{"sku":"FINE-1","name":"Too fine","list_price":{"currency_code":"EUR","amount":"1"},
		"standard_cost":{"currency_code":"EUR","amount":"0.0000001"}}`), 400)
	if field != "item.standard_cost.amount" {
		t.Errorf("standard cost of 7 places: violation of %s (%q)", field, msg)
	}
	checkPaths(t, "standard cost of 7 places", msg, field, desc)
	// Money that moves keeps the minor unit: a list price is no unit cost.
	if r := e.call("POST", "/v1/items", wh, `{"sku":"FINE-2","name":"x","list_price":{"currency_code":"EUR","amount":"0.0125"}}`); r.status != 400 ||
		fmt.Sprint(restFields(r.body)) != "[item.list_price.amount]" {
		t.Errorf("list price of 4 places = %d %v", r.status, r.body)
	}

	sid := str(e.must(200, "POST", "/v1/suppliers", wh, `{"name":"Fasteners"}`)["id"])
	line := func(sku, qty, cost string) string {
		return fmt.Sprintf(`{"sku":%q,"quantity":%q,"unit_cost":{"currency_code":"EUR","amount":%q},"expected_date":"2030-01-15"}`, sku, qty, cost)
	}
	msg, field, desc = restViolation(t, e.call("POST", "/v1/purchaseOrders", wh,
		`{"supplier_id":"`+sid+`","lines":[`+line("SCREW-1", "10000", "0.0125")+`,`+line("SCREW-1", "1", "0.0125001")+`]}`), 400)
	if field != "purchase_order.lines[1].unit_cost.amount" {
		t.Errorf("unit cost of 7 places: violation of %s (%q)", field, msg)
	}
	checkPaths(t, "unit cost of 7 places", msg, field, desc)

	po := e.must(200, "POST", "/v1/purchaseOrders", wh, `{"supplier_id":"`+sid+`","lines":[`+
		line("SCREW-1", "10000", "0.0125")+`,`+line("NUT-1", "3", "0.3333")+`,`+line("BOLT-1", "2", "7.5")+`]}`)
	pid := str(po["id"])
	var got []string
	for _, l := range po["lines"].([]any) {
		m := l.(map[string]any)
		got = append(got, amountOf(m, "unit_cost")+" "+amountOf(m, "amount"))
	}
	// 10000 x 0.0125 = 125.00; 3 x 0.3333 = 0.9999, rounded once: 1.00.
	if fmt.Sprint(got) != "[0.0125 125.00 0.3333 1.00 7.50 15.00]" || amountOf(po, "total") != "141.00" {
		t.Errorf("purchase order lines (unit cost, amount) = %v, total %s; want 125.00 + 1.00 + 15.00 = 141.00", got, amountOf(po, "total"))
	}
	e.must(200, "POST", "/v1/purchaseOrders/"+pid+":order", wh, `{}`)
	e.must(200, "POST", "/v1/purchaseOrders/"+pid+":receive", wh, `{"lines":[{"line_number":1,"quantity":"10000"},{"line_number":3,"quantity":"2"}]}`)
	for range 3 {
		e.must(200, "POST", "/v1/purchaseOrders/"+pid+":receive", wh, `{"lines":[{"line_number":2,"quantity":"1"}]}`)
	}

	// Each receipt's entry balances; the nuts, received one at a time,
	// owe 0.33, 0.34 and 0.33: their line's 1.00.
	je := e.must(200, "GET", "/v1/journalEntries?filter="+url.QueryEscape(`reference = "purchaseOrders/`+pid+`"`), finance, "")
	var entries []string
	for _, en := range je["journal_entries"].([]any) {
		var lines []string
		for _, l := range en.(map[string]any)["lines"].([]any) {
			m := l.(map[string]any)
			lines = append(lines, str(m["account_code"])+" "+amountOf(m, "debit")+"/"+amountOf(m, "credit"))
		}
		entries = append(entries, fmt.Sprint(lines))
	}
	want := []string{
		"[1200 129.00/0.00 5100 11.00/0.00 2000 0.00/140.00]",
		"[1200 0.33/0.00 2000 0.00/0.33]",
		"[1200 0.34/0.00 2000 0.00/0.34]",
		"[1200 0.33/0.00 2000 0.00/0.33]",
	}
	if fmt.Sprint(entries) != fmt.Sprint(want) {
		t.Errorf("receipt entries =\n%v\nwant\n%v", entries, want)
	}

	tb := e.must(200, "GET", "/v1/reports/trialBalance?currency_code=EUR", finance, "")
	var balances []string
	for _, row := range tb["rows"].([]any) {
		m := row.(map[string]any)
		balances = append(balances, str(m["account_code"])+"="+amountOf(m, "balance"))
	}
	tot := tb["totals"].([]any)[0].(map[string]any)
	if fmt.Sprint(balances) != "[1200=130.00 2000=-141.00 5100=11.00]" || amountOf(tot, "debit") != "141.00" || amountOf(tot, "credit") != "141.00" {
		t.Errorf("trial balance = %v, totals %v", balances, tot)
	}

	// The valuation shows the costs as they are, and its values are what
	// 1200 holds.
	sv := e.must(200, "GET", "/v1/reports/stockValuation", finance, "")
	var rows []string
	for _, r := range sv["rows"].([]any) {
		m := r.(map[string]any)
		rows = append(rows, str(m["sku"])+" "+str(m["on_hand"])+" x "+amountOf(m, "unit_cost")+" = "+amountOf(m, "value"))
	}
	if fmt.Sprint(rows) != "[BOLT-1 2 x 2.00 = 4.00 NUT-1 3 x 0.3333 = 1.00 SCREW-1 10000 x 0.0125 = 125.00]" ||
		fmt.Sprint(sv["totals"]) != "[map[amount:130.00 currency_code:EUR]]" {
		t.Errorf("stock valuation = %v, totals %v", rows, sv["totals"])
	}

	// A finer standard cost revalues the stock on hand by the rounded
	// difference of its value: 10000 x 0.0126 - 125.00 = 1.00.
	it := e.must(200, "PATCH", "/v1/items/SCREW-1?update_mask=standard_cost", wh, `{"standard_cost":{"currency_code":"EUR","amount":"0.0126"}}`)
	if amountOf(it, "standard_cost") != "0.0126" {
		t.Errorf("screw after the update = %v", it)
	}
	tb = e.must(200, "GET", "/v1/reports/trialBalance?currency_code=EUR", finance, "")
	balances = nil
	for _, row := range tb["rows"].([]any) {
		m := row.(map[string]any)
		balances = append(balances, str(m["account_code"])+"="+amountOf(m, "balance"))
	}
	if fmt.Sprint(balances) != "[1200=131.00 2000=-141.00 5100=11.00 5200=-1.00]" {
		t.Errorf("trial balance after the revaluation = %v", balances)
	}
}
