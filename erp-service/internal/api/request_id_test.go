package api_test

import (
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/requestid"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
)

// A request_id already used by another request is bad input naming
// request_id, a field of the request beside the resource it carries, on
// every create and custom method; nothing is written.
func TestRequestIDReusedNamesRequestID(t *testing.T) {
	t.Parallel()
	e := start(t)
	cid := e.seed()
	tok := token(t, auth.Admin)
	e.must(200, "POST", "/v1/warehouses", tok, `{"code":"EAST","name":"East"}`)
	sid := str(e.must(200, "POST", "/v1/suppliers", tok, `{"name":"Parts Inc"}`)["id"])
	order := fmt.Sprintf(`{"customer_id":%q,"currency_code":"EUR","lines":[{"sku":"W-1","quantity":"1"}]}`, cid)
	oid := str(e.must(200, "POST", "/v1/salesOrders?request_id=taken", tok, order)["id"])
	other := str(e.must(200, "POST", "/v1/salesOrders", tok, order)["id"])
	po := str(e.must(200, "POST", "/v1/purchaseOrders", tok, `{"supplier_id":"`+sid+`","lines":[{"sku":"W-1","quantity":"1",
		"unit_cost":{"currency_code":"EUR","amount":"1"},"expected_date":"2030-01-01"}]}`)["id"])
	e.must(200, "POST", "/v1/salesOrders/"+oid+":confirm", tok, `{}`)
	e.must(200, "POST", "/v1/shipments", tok, `{"sales_order_id":"`+oid+`"}`)
	e.must(200, "POST", "/v1/customers?request_id=cust-taken", tok, `{"name":"Globex"}`)

	before := e.counts()
	for _, tc := range []struct{ path, body string }{
		{"/v1/customers?request_id=taken", `{"name":"Initech"}`},
		{"/v1/salesOrders?request_id=cust-taken", order},
		{"/v1/items?request_id=taken", `{"sku":"N-1","name":"New","list_price":{"currency_code":"EUR","amount":"1"}}`},
		{"/v1/suppliers?request_id=taken", `{"name":"Other Parts"}`},
		{"/v1/warehouses?request_id=taken", `{"code":"WEST","name":"West"}`},
		{"/v1/purchaseOrders?request_id=taken", `{"supplier_id":"` + sid + `","lines":[{"sku":"W-1","quantity":"1",
			"unit_cost":{"currency_code":"EUR","amount":"1"},"expected_date":"2030-01-01"}]}`},
		{"/v1/stockAdjustments?request_id=taken", `{"sku":"W-1","quantity":"1","reason":"count"}`},
		{"/v1/stockTransfers?request_id=taken", `{"sku":"W-1","from_warehouse":"MAIN","to_warehouse":"EAST","quantity":"1"}`},
		{"/v1/shipments?request_id=taken", `{"sales_order_id":"` + other + `"}`},
		{"/v1/invoices?request_id=taken", `{"sales_order_id":"` + oid + `"}`},
		{"/v1/payments?request_id=taken", `{"customer_id":"` + cid + `","amount":{"currency_code":"EUR","amount":"1"}}`},
		{"/v1/salesOrders/" + other + ":confirm", `{"request_id":"taken"}`},
		{"/v1/purchaseOrders/" + po + ":order", `{"request_id":"taken"}`},
	} {
		r := e.call("POST", tc.path, tok, tc.body)
		if f := restFields(r.body); r.status != 400 || fmt.Sprint(f) != "[request_id]" {
			t.Errorf("POST %s = %d %v, want 400 naming [request_id]", tc.path, r.status, r.body)
		}
	}
	if after := e.counts(); !maps.Equal(after, before) {
		t.Errorf("refused requests wrote: %v -> %v", before, after)
	}
}

// A request_id is at most requestid.MaxLen bytes, in every method that
// takes one (the rule the CRM follows too): a longer one is bad input
// naming request_id, refused before anything is read or written.
func TestRequestIDLength(t *testing.T) {
	t.Parallel()
	e := start(t)
	ctx := as(t, auth.Admin)
	long := strings.Repeat("r", requestid.MaxLen+1)
	methods := 0
	protoregistry.GlobalFiles.RangeFilesByPackage("erp.v1", func(f protoreflect.FileDescriptor) bool {
		for i := range f.Services().Len() {
			svc := f.Services().Get(i)
			for j := range svc.Methods().Len() {
				m := svc.Methods().Get(j)
				fd := m.Input().Fields().ByName("request_id")
				if fd == nil || m.IsStreamingServer() {
					continue
				}
				methods++
				req := dynamicpb.NewMessage(m.Input())
				req.Set(fd, protoreflect.ValueOfString(long))
				name := "/" + string(svc.FullName()) + "/" + string(m.Name())
				err := e.conn.Invoke(ctx, name, req, dynamicpb.NewMessage(m.Output()))
				if f := grpcFields(t, err, codes.InvalidArgument); fmt.Sprint(f) != "[request_id]" {
					t.Errorf("%s with a request_id of %d bytes names %v", name, len(long), f)
				}
			}
		}
		return true
	})
	if methods < 20 {
		t.Errorf("only %d methods take a request_id", methods)
	}
	if n := e.counts()["idempotency_keys"]; n != 0 {
		t.Errorf("%d keys recorded", n)
	}

	// A good request with too long a request_id is refused all the same.
	tok := token(t, auth.Admin)
	if r := e.call("POST", "/v1/customers?request_id="+strings.Repeat("r", 5000), tok, `{"name":"Acme"}`); r.status != 400 ||
		fmt.Sprint(restFields(r.body)) != "[request_id]" {
		t.Errorf("create with a request_id of 5000 bytes = %d %v", r.status, r.body)
	}

	// The longest one works, and a retry with it returns the first result.
	max := strings.Repeat("r", requestid.MaxLen)
	first := e.must(200, "POST", "/v1/customers?request_id="+max, tok, `{"name":"Acme"}`)
	if again := e.must(200, "POST", "/v1/customers?request_id="+max, tok, `{"name":"Acme"}`); again["id"] != first["id"] {
		t.Errorf("retry = %v, first %v", again, first)
	}
}

// CreateWarehouse takes a request_id like every create: a retry returns
// the warehouse the first call created instead of ALREADY_EXISTS.
func TestCreateWarehouseRetry(t *testing.T) {
	t.Parallel()
	e := start(t)
	tok := token(t, auth.Warehouse)
	first := e.must(200, "POST", "/v1/warehouses?request_id=wh-1", tok, `{"code":"EAST","name":"East"}`)
	before := e.counts()
	if again := e.must(200, "POST", "/v1/warehouses?request_id=wh-1", tok, `{"code":"EAST","name":"East"}`); !maps.Equal(again, first) {
		t.Errorf("retry = %v, first %v", again, first)
	}
	if after := e.counts(); !maps.Equal(after, before) {
		t.Errorf("retry wrote: %v -> %v", before, after)
	}
	// Over gRPC the same.
	w, err := e.warehouses.CreateWarehouse(as(t, auth.Warehouse), &erpv1.CreateWarehouseRequest{
		RequestId: "wh-1", Warehouse: &erpv1.Warehouse{Code: "EAST", Name: "East"}})
	created, _ := time.Parse(time.RFC3339Nano, str(first["create_time"]))
	if err != nil || w.GetCode() != "EAST" || !w.GetCreateTime().AsTime().Equal(created) {
		t.Errorf("gRPC retry = %v, %v", w, err)
	}
	// Another warehouse under the same request_id is not a retry.
	if r := e.call("POST", "/v1/warehouses?request_id=wh-1", tok, `{"code":"WEST","name":"West"}`); r.status != 400 ||
		fmt.Sprint(restFields(r.body)) != "[request_id]" {
		t.Errorf("another warehouse under wh-1 = %d %v", r.status, r.body)
	}
	// The same code without the request_id, or under another, is a second
	// create of a taken code.
	for _, path := range []string{"/v1/warehouses", "/v1/warehouses?request_id=wh-2"} {
		if r := e.call("POST", path, tok, `{"code":"EAST","name":"East"}`); r.status != 409 {
			t.Errorf("POST %s of a taken code = %d %v", path, r.status, r.body)
		}
	}
	if after := e.counts(); !maps.Equal(after, before) {
		t.Errorf("refused creates wrote: %v -> %v", before, after)
	}
}
