package api_test

import (
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/seamhq/seam/platform/auth"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
	moneyv1 "github.com/seamhq/seam/proto/money/v1"
)

// receive adds qty of sku to the default warehouse's stock.
func (e *env) receive(sku, qty string) {
	e.t.Helper()
	if _, err := e.stock.CreateStockAdjustment(asB(e.t, auth.Warehouse), &erpv1.CreateStockAdjustmentRequest{
		StockAdjustment: &erpv1.StockAdjustment{Sku: sku, Quantity: qty, Reason: "receipt"},
	}); err != nil {
		e.t.Fatal(err)
	}
}

// seed creates a customer and an item with stock, returning the customer id.
func (e *env) seed() string {
	e.t.Helper()
	c, err := e.customers.CreateCustomer(asB(e.t, auth.Sales), &erpv1.CreateCustomerRequest{Customer: &erpv1.Customer{Name: "Acme"}})
	if err != nil {
		e.t.Fatal(err)
	}
	_, err = e.items.CreateItem(asB(e.t, auth.Warehouse), &erpv1.CreateItemRequest{Item: &erpv1.Item{
		Sku: "W-1", Name: "Widget", UnitOfMeasure: "kg", ListPrice: &moneyv1.Money{CurrencyCode: "EUR", Amount: "10.00"},
	}})
	if err != nil {
		e.t.Fatal(err)
	}
	e.receive("W-1", "5")
	return c.GetId()
}

// Bad input is a 400 / INVALID_ARGUMENT naming every bad field, and
// nothing is written.
func TestBadInput(t *testing.T) {
	t.Parallel()
	e := start(t)
	cid := e.seed()
	wh, integ := token(t, auth.Warehouse), token(t, auth.Integration)
	before := e.counts()

	for _, amount := range []string{"12,5", "1e3", "1.999", "", "-1"} {
		r := e.call("POST", "/v1/items", wh, fmt.Sprintf(`{"sku":"X-%d","name":"x","list_price":{"currency_code":"EUR","amount":%q}}`, len(amount), amount))
		if r.status != 400 || !slices.Contains(restFields(r.body), "item.list_price.amount") {
			t.Errorf("list price %q: %d %v", amount, r.status, r.body)
		}
	}
	r := e.call("POST", "/v1/items", wh, `{"sku":"bad sku","list_price":{"currency_code":"EURO","amount":"1"},"tax_rate":"19"}`)
	if r.status != 400 || !hasAll(restFields(r.body), "item.sku", "item.name", "item.list_price.currency_code", "item.tax_rate") {
		t.Errorf("bad item: %d %v", r.status, restFields(r.body))
	}

	order := fmt.Sprintf(`{"customer_id":%q,"currency_code":"EUR","lines":[
		{"sku":"NOPE","quantity":"1"},
		{"sku":"W-1","quantity":"-2"},
		{"sku":"W-1","quantity":"1","unit_price":{"currency_code":"EUR","amount":"1.999"}},
		{"sku":"W-1","quantity":"1e3","unit_price":{"currency_code":"EUR","amount":"12,5"}},
		{"sku":"W-1","quantity":"1","discount_percent":"150"}]}`, cid)
	r = e.call("POST", "/v1/salesOrders", integ, order)
	want := []string{"sales_order.lines[1].quantity", "sales_order.lines[2].unit_price.amount",
		"sales_order.lines[3].quantity", "sales_order.lines[3].unit_price.amount", "sales_order.lines[4].discount_percent"}
	if r.status != 400 || !hasAll(restFields(r.body), want...) {
		t.Errorf("bad order lines: %d %v", r.status, restFields(r.body))
	}
	// The unknown SKU is found once the rest is well-formed.
	r = e.call("POST", "/v1/salesOrders", integ, fmt.Sprintf(`{"customer_id":%q,"currency_code":"EUR","lines":[
		{"sku":"W-1","quantity":"1"},{"sku":"NOPE","quantity":"1"}]}`, cid))
	if r.status != 400 || fmt.Sprint(restFields(r.body)) != "[sales_order.lines[1].sku]" {
		t.Errorf("unknown SKU: %d %v", r.status, r.body)
	}
	_, err := e.orders.CreateSalesOrder(as(t, auth.Sales), &erpv1.CreateSalesOrderRequest{SalesOrder: &erpv1.SalesOrder{
		CustomerId: cid, CurrencyCode: "EUR", Lines: []*erpv1.SalesOrderLine{{Sku: "W-1", Quantity: "-1"}, {Sku: "GONE", Quantity: "1"}},
	}})
	if got := grpcFields(t, err, codes.InvalidArgument); !hasAll(got, "sales_order.lines[0].quantity") {
		t.Errorf("gRPC negative quantity: %v", got)
	}
	_, err = e.orders.CreateSalesOrder(as(t, auth.Sales), &erpv1.CreateSalesOrderRequest{SalesOrder: &erpv1.SalesOrder{
		CustomerId: "not-a-uuid", CurrencyCode: "EUR", Lines: []*erpv1.SalesOrderLine{{Sku: "W-1", Quantity: "1"}},
	}})
	if got := grpcFields(t, err, codes.InvalidArgument); fmt.Sprint(got) != "[sales_order.customer_id]" {
		t.Errorf("gRPC bad customer id: %v", got)
	}
	r = e.call("POST", "/v1/stockAdjustments", wh, `{"sku":"W-1","quantity":"0"}`)
	if r.status != 400 || !hasAll(restFields(r.body), "stock_adjustment.quantity", "stock_adjustment.reason") {
		t.Errorf("bad adjustment: %d %v", r.status, r.body)
	}
	r = e.call("POST", "/v1/customers", token(t, auth.Sales), `{"name":"","credit_limit":{"currency_code":"EUR","amount":"1.999"}}`)
	if r.status != 400 || !hasAll(restFields(r.body), "customer.name", "customer.credit_limit.amount") {
		t.Errorf("bad customer: %d %v", r.status, r.body)
	}
	// Unknown JSON fields are rejected, not dropped.
	if r := e.call("POST", "/v1/customers", token(t, auth.Sales), `{"name":"x","colour":"y"}`); r.status != 400 {
		t.Errorf("unknown field: %d %v", r.status, r.body)
	}
	// A value the body cannot hold is named by its path in the request.
	if r := e.call("POST", "/v1/salesOrders", token(t, auth.Sales), `{"customer_id":"C-1","currency_code":"EUR","lines":[{"sku":"W-1","quantity":1}]}`); r.status != 400 || fmt.Sprint(restFields(r.body)) != "[sales_order.lines[0].quantity]" {
		t.Errorf("number for a quantity: %d %v", r.status, r.body)
	}
	if r := e.call("GET", "/v1/customers?filter="+"nope%3D1", token(t, auth.Sales), ""); r.status != 400 || fmt.Sprint(restFields(r.body)) != "[filter]" {
		t.Errorf("bad filter: %d %v", r.status, r.body)
	}
	if r := e.call("GET", "/v1/events?after=garbage", integ, ""); r.status != 400 || fmt.Sprint(restFields(r.body)) != "[after]" {
		t.Errorf("bad cursor: %d %v", r.status, r.body)
	}
	// A business rule is a precondition, not bad input.
	if r := e.call("POST", "/v1/stockAdjustments", wh, `{"sku":"W-1","quantity":"-6","reason":"damage"}`); r.status != 400 || r.body["code"] != float64(9) {
		t.Errorf("adjustment below zero: %d %v", r.status, r.body)
	}
	// So is a new cost currency while stock is on hand (5 of W-1).
	r = e.call("PATCH", "/v1/items/W-1", wh, `{"list_price":{"currency_code":"USD","amount":"12"},"standard_cost":{"currency_code":"USD","amount":"2"}}`)
	if r.status != 400 || r.body["code"] != float64(9) || fmt.Sprint(restFields(r.body)) != "[item.standard_cost]" {
		t.Errorf("new cost currency with stock on hand: %d %v", r.status, r.body)
	}

	if after := e.counts(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("rows changed by rejected requests:\nbefore %v\nafter  %v", before, after)
	}
}

func TestAuth(t *testing.T) {
	t.Parallel()
	e := start(t)
	cid := e.seed()

	if r := e.call("GET", "/v1/customers", "", ""); r.status != 401 {
		t.Errorf("no token: %d", r.status)
	}
	if r := e.call("GET", "/v1/customers", "garbage", ""); r.status != 401 {
		t.Errorf("bad token: %d", r.status)
	}
	if _, err := e.customers.ListCustomers(t.Context(), &erpv1.ListCustomersRequest{}); grpcCode(err) != codes.Unauthenticated {
		t.Errorf("gRPC without token: %v", err)
	}
	// Updating a customer is finance's.
	r := e.call("PATCH", "/v1/customers/"+cid, token(t, auth.Sales), `{"payment_terms_days":14}`)
	if r.status != 403 {
		t.Errorf("sales PATCH customer: %d %v", r.status, r.body)
	}
	_, err := e.customers.UpdateCustomer(as(t, auth.Sales), &erpv1.UpdateCustomerRequest{Customer: &erpv1.Customer{Id: cid, PaymentTermsDays: 14}})
	if grpcCode(err) != codes.PermissionDenied {
		t.Errorf("gRPC sales UpdateCustomer: %v", err)
	}
	if r := e.call("PATCH", "/v1/customers/"+cid, token(t, auth.Finance), `{"payment_terms_days":14}`); r.status != 200 || r.body["payment_terms_days"] != float64(14) {
		t.Errorf("finance PATCH customer: %d %v", r.status, r.body)
	}
	for _, c := range []struct {
		role         auth.Role
		method, path string
	}{
		{auth.Warehouse, "POST", "/v1/salesOrders"},
		{auth.Integration, "POST", "/v1/stockAdjustments"},
		{auth.Sales, "POST", "/v1/items"},
		{auth.Finance, "POST", "/v1/customers:sync"},
		{auth.Sales, "GET", "/v1/events"},
		{auth.Integration, "POST", "/v1/warehouses"},
	} {
		if r := e.call(c.method, c.path, token(t, c.role), `{}`); r.status != 403 {
			t.Errorf("%s %s as %s: %d", c.method, c.path, c.role, r.status)
		}
	}
	if r := e.call("GET", "/v1/customers", token(t, auth.Service), ""); r.status != 200 {
		t.Errorf("service reads customers: %d", r.status)
	}
	if r := e.call("GET", "/v1/events", token(t, auth.Admin), ""); r.status != 200 {
		t.Errorf("admin reads events: %d", r.status)
	}
}

// A stale etag is ABORTED / 409 and writes nothing.
func TestStaleEtag(t *testing.T) {
	t.Parallel()
	e := start(t)
	cid := e.seed()
	fin := token(t, auth.Finance)
	e.must(200, "PATCH", "/v1/customers/"+cid, fin, `{"name":"Acme 2","etag":"1"}`)
	r := e.call("PATCH", "/v1/customers/"+cid, fin, `{"name":"Acme 3","etag":"1"}`)
	if r.status != 409 {
		t.Errorf("stale customer etag: %d %v", r.status, r.body)
	}
	_, err := e.items.UpdateItem(as(t, auth.Warehouse), &erpv1.UpdateItemRequest{
		Item: &erpv1.Item{Sku: "W-1", Name: "New", Etag: "7"}, UpdateMask: mask("name"),
	})
	if grpcCode(err) != codes.Aborted {
		t.Errorf("stale item etag: %v", err)
	}
	o, err := e.orders.CreateSalesOrder(as(t, auth.Sales), &erpv1.CreateSalesOrderRequest{SalesOrder: &erpv1.SalesOrder{
		CustomerId: cid, CurrencyCode: "EUR", Lines: []*erpv1.SalesOrderLine{{Sku: "W-1", Quantity: "1"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	before := e.counts()
	if r := e.call("POST", "/v1/salesOrders/"+o.GetId()+":confirm", token(t, auth.Sales), `{"etag":"9"}`); r.status != 409 {
		t.Errorf("stale order etag: %d %v", r.status, r.body)
	}
	if after := e.counts(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("stale writes changed rows: %v -> %v", before, after)
	}
	if got, _ := e.customers.GetCustomer(as(t, auth.Sales), &erpv1.GetCustomerRequest{Id: cid}); got.GetName() != "Acme 2" || got.GetEtag() != "2" {
		t.Errorf("customer after stale update = %v", got)
	}
	// The ETag header carries the etag.
	if r := e.call("GET", "/v1/customers/"+cid, fin, ""); r.header.Get("ETag") != `"2"` {
		t.Errorf("ETag header = %q", r.header.Get("ETag"))
	}
}

// An empty update_mask is as if absent (the body's fields); "*" replaces
// every updatable field, so what the body leaves out takes its empty or
// default value.
func TestUpdateMaskForms(t *testing.T) {
	t.Parallel()
	e := start(t)
	e.seed()
	wh := token(t, auth.Warehouse)
	if r := e.call("PATCH", "/v1/items/W-1?update_mask=", wh, `{"tax_rate":"0.2","reorder_point":"3"}`); r.status != 200 || r.body["tax_rate"] != "0.2" || r.body["name"] != "Widget" {
		t.Errorf("empty mask: %d %v", r.status, r.body)
	}
	r := e.call("PATCH", "/v1/items/W-1?update_mask=*", wh, `{"name":"Widget 2","unit_of_measure":"kg","list_price":{"currency_code":"EUR","amount":"11.00"}}`)
	if r.status != 200 || r.body["name"] != "Widget 2" || r.body["tax_rate"] != "0" || r.body["reorder_point"] != "0" {
		t.Errorf("mask *: %d %v", r.status, r.body)
	}
	if r := e.call("PATCH", "/v1/items/W-1?update_mask=*,name", wh, `{"name":"Widget 3"}`); r.status != 400 || fmt.Sprint(restFields(r.body)) != "[update_mask]" {
		t.Errorf("mask *,name: %d %v", r.status, r.body)
	}
}

// A PATCH whose body has no fields names no field (the mask is the
// body's fields): it answers the current record unchanged, with no new
// version and no event, and a stale etag is still refused. A field is
// still written, "*" still replaces every field, and over gRPC an update
// without a mask is still a full replacement.
func TestEmptyPatch(t *testing.T) {
	t.Parallel()
	e := start(t)
	cid := e.seed()
	tok := token(t, auth.Warehouse, auth.Finance, auth.Sales)
	sid := str(e.must(200, "POST", "/v1/suppliers", tok, `{"name":"Parts Inc"}`)["id"])
	for _, path := range []string{"/v1/customers/" + cid, "/v1/items/W-1", "/v1/suppliers/" + sid} {
		want := e.must(200, "GET", path, tok, "")
		before := e.counts()
		for _, body := range []string{"{}", ""} {
			if r := e.call("PATCH", path, tok, body); r.status != 200 || !reflect.DeepEqual(r.body, want) {
				t.Errorf("PATCH %s %q = %d %v, want 200 %v", path, body, r.status, r.body, want)
			}
		}
		for ifMatch, status := range map[string]int{`"` + str(want["etag"]) + `"`: 200, `"99"`: 409} {
			req, _ := http.NewRequest("PATCH", e.base+path, strings.NewReader("{}"))
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("If-Match", ifMatch)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != status {
				t.Errorf("PATCH %s {} with If-Match %s = %d, want %d", path, ifMatch, resp.StatusCode, status)
			}
		}
		if after := e.counts(); !maps.Equal(after, before) {
			t.Errorf("PATCH %s {} wrote: %v, was %v", path, after, before)
		}
		if got := e.must(200, "GET", path, tok, ""); got["etag"] != want["etag"] {
			t.Errorf("PATCH %s {}: etag %v, was %v", path, got["etag"], want["etag"])
		}
	}
	if got := e.must(200, "PATCH", "/v1/customers/"+cid, tok, `{"name":"Acme 2"}`); got["name"] != "Acme 2" || got["etag"] != "2" {
		t.Errorf("PATCH name: %v", got)
	}
	if r := e.call("PATCH", "/v1/suppliers/"+sid+"?update_mask=*", tok, "{}"); r.status != 400 || !slices.Contains(restFields(r.body), "supplier.name") {
		t.Errorf("PATCH {} with mask *: %d %v", r.status, r.body)
	}
	for _, mask := range []*fieldmaskpb.FieldMask{nil, {}} {
		_, err := e.customers.UpdateCustomer(as(t, auth.Finance), &erpv1.UpdateCustomerRequest{Customer: &erpv1.Customer{Id: cid}, UpdateMask: mask})
		if f := grpcFields(t, err, codes.InvalidArgument); !slices.Contains(f, "customer.name") {
			t.Errorf("gRPC update of nothing, mask %v: %v, want name required", mask, f)
		}
	}
}
