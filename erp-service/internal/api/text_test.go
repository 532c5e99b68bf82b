package api_test

import (
	"maps"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/civil"
)

// A NUL character, which PostgreSQL's text cannot hold, is bad input
// naming its field on any route, in bodies, paths and query parameters;
// so is a reference that cannot be an id, a date before 1900, or lines
// whose total has more digits than an amount may, or an overdue pass as of
// a date after today. Nothing is written.
func TestBadInputAcrossRoutes(t *testing.T) {
	t.Parallel()
	e := start(t)
	cid := e.seed()
	tok := token(t, auth.Warehouse, auth.Sales, auth.Finance)
	sid := str(e.must(200, "POST", "/v1/suppliers", tok, `{"name":"Parts Inc"}`)["id"])
	before := e.counts()
	for _, tc := range []struct {
		method, path, body string
		fields             []string
	}{
		{"POST", "/v1/items", `{"sku":"N-1","name":"a\u0000b","list_price":{"currency_code":"EUR","amount":"1"}}`, []string{"item.name"}},
		{"GET", "/v1/items/a%00b", "", []string{"sku"}},
		{"GET", "/v1/warehouses/a%00b", "", []string{"code"}},
		{"POST", "/v1/stockAdjustments", `{"sku":"W-1","quantity":"1","reason":"count\u0000"}`, []string{"stock_adjustment.reason"}},
		{"GET", "/v1/stockMoves?filter=" + url.QueryEscape("reference = \"a\x00b\""), "", []string{"filter"}},
		{"POST", "/v1/purchaseOrders", `{"supplier_id":"nope","lines":[{"sku":"W-1","quantity":"1","unit_cost":{"currency_code":"EUR","amount":"1"},"expected_date":"2030-01-01"}]}`,
			[]string{"purchase_order.supplier_id"}},
		// Lines within 30 digits each whose total is not.
		{"POST", "/v1/salesOrders", `{"customer_id":"` + cid + `","currency_code":"EUR","lines":[{"sku":"W-1","quantity":"1","unit_price":{"currency_code":"EUR","amount":"9999999999999999999999999999.99"}},{"sku":"W-1","quantity":"1","unit_price":{"currency_code":"EUR","amount":"9999999999999999999999999999.99"}}]}`,
			[]string{"sales_order.lines"}},
		// A line amount past 30 digits, on a purchase order as on a sales order.
		{"POST", "/v1/purchaseOrders", `{"supplier_id":"` + sid + `","lines":[{"sku":"W-1","quantity":"1000000000000",
			"unit_cost":{"currency_code":"EUR","amount":"9999999999999999999999.99"},"expected_date":"2030-01-01"}]}`,
			[]string{"purchase_order.lines"}},
		// Filter values no record can have: an empty answer would mislead.
		{"GET", "/v1/journalEntries?filter=" + url.QueryEscape(`kind = "bogus"`), "", []string{"filter"}},
		{"GET", "/v1/customers?filter=" + url.QueryEscape(`currency_code = "eur"`), "", []string{"filter"}},
		{"GET", "/v1/suppliers?filter=" + url.QueryEscape(`currency_code = "XXX"`), "", []string{"filter"}},
		// The zero date reads as "no date"; no date given may be taken for it.
		{"GET", "/v1/reports/arAging?as_of_date=0001-01-01", "", []string{"as_of_date"}},
		// Invoices not yet due would be marked overdue for good.
		{"POST", "/v1/invoices:markOverdue", `{"as_of_date":"` + civil.FormatDate(civil.Today(time.Now()).AddDate(0, 0, 7)) + `"}`, []string{"as_of_date"}},
	} {
		r := e.call(tc.method, tc.path, tok, tc.body)
		if got := restFields(r.body); r.status != 400 || !slices.Equal(got, tc.fields) {
			t.Errorf("%s %s = %d %v, want 400 naming %v", tc.method, tc.path, r.status, r.body, tc.fields)
		}
	}
	if after := e.counts(); !maps.Equal(after, before) {
		t.Errorf("rejected requests wrote: %v -> %v", before, after)
	}
}
