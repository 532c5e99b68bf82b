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
// field it came in, in paths, bodies, filters and query parameters alike:
// never a lookup that finds nothing, and never a database error. A
// well-formed id that names nothing is NOT_FOUND.
func TestOddIDForms(t *testing.T) {
	t.Parallel()
	e := start(t)
	cid := e.seed() // W-1 at 10.00, 5 on hand
	tok := token(t, auth.Admin)
	eur := func(s string) string { return `{"currency_code":"EUR","amount":"` + s + `"}` }

	e.must(200, "POST", "/v1/warehouses", tok, `{"code":"EAST","name":"East"}`)
	adj := str(e.must(200, "POST", "/v1/stockAdjustments", tok, `{"sku":"W-1","quantity":"5","reason":"receipt"}`)["id"])
	tr := str(e.must(200, "POST", "/v1/stockTransfers", tok, `{"sku":"W-1","from_warehouse":"MAIN","to_warehouse":"EAST","quantity":"1"}`)["id"])
	oid := str(e.must(200, "POST", "/v1/salesOrders", tok,
		`{"customer_id":"`+cid+`","currency_code":"EUR","lines":[{"sku":"W-1","quantity":"3"}]}`)["id"])
	e.must(200, "POST", "/v1/salesOrders/"+oid+":confirm", tok, `{}`)
	sid := str(e.must(200, "POST", "/v1/shipments", tok, `{"sales_order_id":"`+oid+`"}`)["id"])
	iid := str(e.must(200, "POST", "/v1/invoices", tok, `{"sales_order_id":"`+oid+`"}`)["id"])
	pid := str(e.must(200, "POST", "/v1/payments", tok,
		`{"customer_id":"`+cid+`","amount":`+eur("50")+`,"allocations":[{"invoice_id":"`+iid+`","amount":`+eur("10")+`}]}`)["id"])
	supID := str(e.must(200, "POST", "/v1/suppliers", tok, `{"name":"Parts Inc"}`)["id"])
	poLines := `"lines":[{"sku":"W-1","quantity":"1","unit_cost":` + eur("1") + `,"expected_date":"2030-01-01"}]`
	poID := str(e.must(200, "POST", "/v1/purchaseOrders", tok, `{"supplier_id":"`+supID+`",`+poLines+`}`)["id"])
	before := e.counts()

	// Each case calls with the id spelt as given; field is what the error
	// names.
	type call struct{ method, path, body, field string }
	cases := []struct {
		name  string
		id    string // an existing id, spelt oddly by the test
		build func(id string) call
	}{
		// Ids in the path.
		{"GetCustomer", cid, func(id string) call { return call{"GET", "/v1/customers/" + seg(id), "", "id"} }},
		{"UpdateCustomer", cid, func(id string) call {
			return call{"PATCH", "/v1/customers/" + seg(id), `{"name":"Acme 2"}`, "customer.id"}
		}},
		{"GetCustomerBalance", cid, func(id string) call { return call{"GET", "/v1/customers/" + seg(id) + "/balance", "", "customer_id"} }},
		{"GetStockAdjustment", adj, func(id string) call { return call{"GET", "/v1/stockAdjustments/" + seg(id), "", "id"} }},
		{"GetStockTransfer", tr, func(id string) call { return call{"GET", "/v1/stockTransfers/" + seg(id), "", "id"} }},
		{"GetSalesOrder", oid, func(id string) call { return call{"GET", "/v1/salesOrders/" + seg(id), "", "id"} }},
		{"ConfirmSalesOrder", oid, func(id string) call { return call{"POST", "/v1/salesOrders/" + seg(id) + ":confirm", `{}`, "id"} }},
		{"CancelSalesOrder", oid, func(id string) call { return call{"POST", "/v1/salesOrders/" + seg(id) + ":cancel", `{}`, "id"} }},
		{"ReleaseCreditHold", oid, func(id string) call {
			return call{"POST", "/v1/salesOrders/" + seg(id) + ":releaseCreditHold", `{"reason":"ok"}`, "id"}
		}},
		{"AmendSalesOrder", oid, func(id string) call {
			return call{"POST", "/v1/salesOrders/" + seg(id) + ":amend", `{"lines":[{"line_number":1,"quantity":"4"}]}`, "id"}
		}},
		{"GetShipment", sid, func(id string) call { return call{"GET", "/v1/shipments/" + seg(id), "", "id"} }},
		{"GetInvoice", iid, func(id string) call { return call{"GET", "/v1/invoices/" + seg(id), "", "id"} }},
		{"VoidInvoice", iid, func(id string) call { return call{"POST", "/v1/invoices/" + seg(id) + ":void", `{}`, "id"} }},
		{"GetPayment", pid, func(id string) call { return call{"GET", "/v1/payments/" + seg(id), "", "id"} }},
		{"ReversePayment", pid, func(id string) call { return call{"POST", "/v1/payments/" + seg(id) + ":reverse", `{}`, "id"} }},
		{"ApplyPaymentCredit", pid, func(id string) call {
			return call{"POST", "/v1/payments/" + seg(id) + ":applyCredit", `{"allocations":[{"invoice_id":"` + iid + `","amount":` + eur("1") + `}]}`, "id"}
		}},
		{"RefundPaymentCredit", pid, func(id string) call {
			return call{"POST", "/v1/payments/" + seg(id) + ":refundCredit", `{"amount":` + eur("1") + `}`, "id"}
		}},
		{"GetSupplier", supID, func(id string) call { return call{"GET", "/v1/suppliers/" + seg(id), "", "id"} }},
		{"UpdateSupplier", supID, func(id string) call {
			return call{"PATCH", "/v1/suppliers/" + seg(id), `{"name":"Parts 2"}`, "supplier.id"}
		}},
		{"GetPurchaseOrder", poID, func(id string) call { return call{"GET", "/v1/purchaseOrders/" + seg(id), "", "id"} }},
		{"OrderPurchaseOrder", poID, func(id string) call { return call{"POST", "/v1/purchaseOrders/" + seg(id) + ":order", `{}`, "id"} }},
		{"ReceivePurchaseOrder", poID, func(id string) call {
			return call{"POST", "/v1/purchaseOrders/" + seg(id) + ":receive", `{"lines":[{"line_number":1,"quantity":"1"}]}`, "id"}
		}},
		{"ReturnPurchaseOrder", poID, func(id string) call {
			return call{"POST", "/v1/purchaseOrders/" + seg(id) + ":return", `{"lines":[{"line_number":1,"quantity":"1"}]}`, "id"}
		}},
		{"CancelPurchaseOrder", poID, func(id string) call { return call{"POST", "/v1/purchaseOrders/" + seg(id) + ":cancel", `{}`, "id"} }},

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

	// A well-formed id that names nothing is NOT_FOUND.
	const none = "01900000-0000-7000-8000-000000000001"
	for _, tc := range cases[:24] { // the ids in paths
		c := tc.build(none)
		if r := e.call(c.method, c.path, tok, c.body); r.status != 404 {
			t.Errorf("%s of nothing: %d %v, want 404", tc.name, r.status, r.body)
		}
	}
}

// q quotes s as a JSON string.
func q(s string) string { return fmt.Sprintf("%q", s) }

// filter is the URL-encoded filter `field = "value"`.
func filter(field, value string) string { return url.QueryEscape(field + ` = ` + q(value)) }

// seg escapes s as one path segment.
func seg(s string) string { return url.PathEscape(s) }
