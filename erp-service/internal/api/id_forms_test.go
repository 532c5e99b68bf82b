package api_test

import (
	"fmt"
	"net/url"
	"testing"

	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/ids/idstest"
)

// An id is a UUID in its 36-character form (either case). Any other
// spelling, also of an id that exists, is INVALID_ARGUMENT naming the
// field it came in, in bodies, filters and query parameters: never read
// as the UUID it might be, and never a database error.
func TestOddIDForms(t *testing.T) {
	t.Parallel()
	e := start(t)
	cid := e.seed() // W-1 at 10.00, 5 on hand
	tok := token(t, auth.Admin)
	eur := func(s string) string { return `{"currency_code":"EUR","amount":"` + s + `"}` }

	oid := str(e.must(200, "POST", "/v1/salesOrders", tok,
		`{"customer_id":"`+cid+`","currency_code":"EUR","lines":[{"sku":"W-1","quantity":"3"}]}`)["id"])
	e.must(200, "POST", "/v1/salesOrders/"+oid+":confirm", tok, `{}`)
	e.must(200, "POST", "/v1/shipments", tok, `{"sales_order_id":"`+oid+`"}`)
	iid := str(e.must(200, "POST", "/v1/invoices", tok, `{"sales_order_id":"`+oid+`"}`)["id"])
	pid := str(e.must(200, "POST", "/v1/payments", tok,
		`{"customer_id":"`+cid+`","amount":`+eur("50")+`,"allocations":[{"invoice_id":"`+iid+`","amount":`+eur("10")+`}]}`)["id"])
	supID := str(e.must(200, "POST", "/v1/suppliers", tok, `{"name":"Parts Inc"}`)["id"])
	poLines := `"lines":[{"sku":"W-1","quantity":"1","unit_cost":` + eur("1") + `,"expected_date":"2030-01-01"}]`
	before := e.counts()

	// Each case calls with the id spelt as given; field is what the error
	// names.
	type call struct{ method, path, body, field string }
	cases := []struct {
		name  string
		id    string // an existing id, spelt oddly by the test
		build func(id string) call
	}{
		// Ids in bodies.
		{"CreateSalesOrder.customer_id", cid, func(id string) call {
			return call{"POST", "/v1/salesOrders", `{"customer_id":` + q(id) + `,"currency_code":"EUR","lines":[{"sku":"W-1","quantity":"1"}]}`, "sales_order.customer_id"}
		}},
		{"CreateShipment.sales_order_id", oid, func(id string) call {
			return call{"POST", "/v1/shipments", `{"sales_order_id":` + q(id) + `}`, "shipment.sales_order_id"}
		}},
		{"CreateInvoice.sales_order_id", oid, func(id string) call {
			return call{"POST", "/v1/invoices", `{"sales_order_id":` + q(id) + `}`, "invoice.sales_order_id"}
		}},
		{"CreatePayment.customer_id", cid, func(id string) call {
			return call{"POST", "/v1/payments", `{"customer_id":` + q(id) + `,"amount":` + eur("1") + `}`, "payment.customer_id"}
		}},
		{"CreatePayment.allocations.invoice_id", iid, func(id string) call {
			return call{"POST", "/v1/payments", `{"customer_id":"` + cid + `","amount":` + eur("1") +
				`,"allocations":[{"invoice_id":` + q(id) + `,"amount":` + eur("1") + `}]}`, "payment.allocations[0].invoice_id"}
		}},
		{"ApplyPaymentCredit.allocations.invoice_id", iid, func(id string) call {
			return call{"POST", "/v1/payments/" + pid + ":applyCredit", `{"allocations":[{"invoice_id":` + q(id) + `,"amount":` + eur("1") + `}]}`,
				"allocations[0].invoice_id"}
		}},
		{"CreatePurchaseOrder.supplier_id", supID, func(id string) call {
			return call{"POST", "/v1/purchaseOrders", `{"supplier_id":` + q(id) + `,` + poLines + `}`, "purchase_order.supplier_id"}
		}},

		// Ids in filters and query parameters.
		{"ListSalesOrders.customer_id", cid, func(id string) call {
			return call{"GET", "/v1/salesOrders?filter=" + filter("customer_id", id), "", "filter"}
		}},
		{"ListShipments.sales_order_id", oid, func(id string) call {
			return call{"GET", "/v1/shipments?filter=" + filter("sales_order_id", id), "", "filter"}
		}},
		{"ListInvoices.customer_id", cid, func(id string) call {
			return call{"GET", "/v1/invoices?filter=" + filter("customer_id", id), "", "filter"}
		}},
		{"ListInvoices.sales_order_id", oid, func(id string) call {
			return call{"GET", "/v1/invoices?filter=" + filter("sales_order_id", id), "", "filter"}
		}},
		{"ListPayments.customer_id", cid, func(id string) call {
			return call{"GET", "/v1/payments?filter=" + filter("customer_id", id), "", "filter"}
		}},
		{"ListPurchaseOrders.supplier_id", supID, func(id string) call {
			return call{"GET", "/v1/purchaseOrders?filter=" + filter("supplier_id", id), "", "filter"}
		}},
		{"GetSalesReport.customer_id", cid, func(id string) call {
			return call{"GET", "/v1/reports/sales?start_date=2020-01-01&end_date=2029-12-31&customer_id=" + url.QueryEscape(id), "", "customer_id"}
		}},
	}
	for _, tc := range cases {
		for _, form := range idstest.OddForms(tc.id) {
			c := tc.build(form)
			r := e.call(c.method, c.path, tok, c.body)
			if f := restFields(r.body); r.status != 400 || fmt.Sprint(f) != "["+c.field+"]" {
				t.Errorf("%s with %q: %d %v, want 400 naming %s", tc.name, form, r.status, r.body, c.field)
			}
		}
	}
	if after := e.counts(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("refused calls wrote: %v -> %v", before, after)
	}
}

// q quotes s as a JSON string.
func q(s string) string { return fmt.Sprintf("%q", s) }

// filter is the URL-encoded filter `field = "value"`.
func filter(field, value string) string { return url.QueryEscape(field + ` = ` + q(value)) }
