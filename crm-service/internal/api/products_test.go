package api_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	grpcstatus "google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/seamhq/seam/platform/auth"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

func TestUpsertProductsVersionGuard(t *testing.T) {
	e := newEnv(t)
	up := func(ps ...*crmv1.ProductUpsert) *crmv1.UpsertProductsResponse {
		t.Helper()
		resp, err := e.sync.UpsertProducts(e.bridge(), &crmv1.UpsertProductsRequest{Products: ps})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	v := func(sku, name string, version int64) *crmv1.ProductUpsert {
		return &crmv1.ProductUpsert{Sku: sku, Name: name, ListPrice: eur("1.00"), SourceVersion: version}
	}
	if r := up(v("A", "a3", 3), v("B", "b1", 1)); r.Applied != 2 || r.Stale != 0 {
		t.Fatalf("first: %v", r)
	}
	// Equal and lower versions are stale; within a request the newest wins.
	if r := up(v("A", "a3-again", 3), v("A", "a2", 2), v("B", "b5", 5), v("B", "b4", 4)); r.Applied != 1 || r.Stale != 3 {
		t.Fatalf("second: %v", r)
	}
	a, _ := e.products.GetProduct(e.sales(), &crmv1.GetProductRequest{Sku: "A"})
	b, _ := e.products.GetProduct(e.sales(), &crmv1.GetProductRequest{Sku: "B"})
	if a.GetName() != "a3" || b.GetName() != "b5" {
		t.Fatalf("A %v, B %v", a, b)
	}
	_, err := e.sync.UpsertProducts(e.bridge(), &crmv1.UpsertProductsRequest{Products: []*crmv1.ProductUpsert{
		{Sku: "", Name: "x", ListPrice: eur("1.00")},
		{Sku: "C", ListPrice: eur("1,00"), SourceVersion: -1},
		{Sku: "bad sku/", Name: "x", ListPrice: eur("1.00")}, // the ERP's rule: it could not be read back by its path
	}})
	want := []string{"products[0].sku", "products[1].name", "products[1].source_version", "products[1].list_price.amount", "products[2].sku"}
	if f := violations(t, err); !slices.Equal(f, want) {
		t.Fatalf("violations %v, want %v", f, want)
	}
	_, err = e.products.GetProduct(e.sales(), &crmv1.GetProductRequest{Sku: "C"})
	wantCode(t, err, codes.NotFound)
}

func TestSetAvailabilityVersionGuard(t *testing.T) {
	e := newEnv(t)
	e.seedProducts(product("SKU-1", "Widget", "10.00"))
	asOf := time.Date(2030, 5, 1, 12, 0, 0, 0, time.UTC)
	set := func(us ...*crmv1.AvailabilityUpdate) *crmv1.SetAvailabilityResponse {
		t.Helper()
		resp, err := e.sync.SetAvailability(e.bridge(), &crmv1.SetAvailabilityRequest{Updates: us})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	r := set(&crmv1.AvailabilityUpdate{Sku: "SKU-1", OnHand: "10", Reserved: "3", Available: "7", PromiseDate: "2030-06-01", SourceVersion: 5, AsOf: timestamppb.New(asOf)},
		&crmv1.AvailabilityUpdate{Sku: "GHOST", Available: "1", SourceVersion: 1})
	if r.Applied != 1 || r.Stale != 0 || !slices.Equal(r.UnknownSkus, []string{"GHOST"}) {
		t.Fatalf("first: %v", r)
	}
	// An older report after a newer one is ignored.
	r = set(&crmv1.AvailabilityUpdate{Sku: "SKU-1", Available: "0", SourceVersion: 4})
	if r.Applied != 0 || r.Stale != 1 {
		t.Fatalf("older: %v", r)
	}
	p, err := e.products.GetProduct(e.as(auth.Service), &crmv1.GetProductRequest{Sku: "SKU-1"})
	if err != nil {
		t.Fatal(err)
	}
	// While some is available the promise is today, whatever date came
	// with the stock level (the date more arrives).
	today := time.Now().UTC().Format(time.DateOnly)
	if p.AvailableQuantity != "7" || p.PromiseDate != today || !p.AsOf.AsTime().Equal(asOf) {
		t.Fatalf("product %v", p)
	}
	if _, err := e.products.GetProduct(e.sales(), &crmv1.GetProductRequest{Sku: "GHOST"}); grpcstatus.Code(err) != codes.NotFound {
		t.Fatalf("unknown SKU was created: %v", err)
	}
	r = set(&crmv1.AvailabilityUpdate{Sku: "SKU-1", Available: "2", SourceVersion: 6})
	if p, _ := e.products.GetProduct(e.sales(), &crmv1.GetProductRequest{Sku: "SKU-1"}); r.Applied != 1 || p.AvailableQuantity != "2" || p.PromiseDate != today {
		t.Fatalf("newer: %v %v", r, p)
	}
	if list, err := e.products.ListProducts(e.sales(), &crmv1.ListProductsRequest{}); err != nil || len(list.GetProducts()) != 1 ||
		list.GetProducts()[0].GetPromiseDate() != today {
		t.Fatalf("listed: %v %v", list, err)
	}
	// Nothing available: the date more arrives, or none.
	set(&crmv1.AvailabilityUpdate{Sku: "SKU-1", Available: "0", PromiseDate: "2030-06-01", SourceVersion: 7})
	if p, _ := e.products.GetProduct(e.sales(), &crmv1.GetProductRequest{Sku: "SKU-1"}); p.PromiseDate != "2030-06-01" {
		t.Fatalf("nothing available, more on 2030-06-01: %v", p)
	}
	set(&crmv1.AvailabilityUpdate{Sku: "SKU-1", Available: "0", SourceVersion: 8})
	if p, _ := e.products.GetProduct(e.sales(), &crmv1.GetProductRequest{Sku: "SKU-1"}); p.PromiseDate != "" {
		t.Fatalf("nothing available, none coming: %v", p)
	}
	_, err = e.sync.SetAvailability(e.bridge(), &crmv1.SetAvailabilityRequest{Updates: []*crmv1.AvailabilityUpdate{
		{Sku: "SKU-1", Available: "1e3", PromiseDate: "2030-13-01"},
		{Sku: "SKU-1"},
	}})
	want := []string{"updates[0].available", "updates[0].promise_date", "updates[1].available"}
	if f := violations(t, err); !slices.Equal(f, want) {
		t.Fatalf("violations %v, want %v", f, want)
	}
}

func TestListProducts(t *testing.T) {
	e := newEnv(t)
	var ups []*crmv1.ProductUpsert
	for i := range 12 {
		name := "Widget"
		if i%4 == 0 {
			name = "Gadget"
		}
		ups = append(ups, product(fmt.Sprintf("SKU-%02d", i), name, "1.00"))
	}
	e.seedProducts(ups...)
	var skus []string
	tok := ""
	for {
		resp, err := e.products.ListProducts(e.as(auth.Finance), &crmv1.ListProductsRequest{PageSize: 2, PageToken: tok, Filter: `name = "Gadget"`})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range resp.Products {
			skus = append(skus, p.Sku)
		}
		if tok = resp.NextPageToken; tok == "" {
			break
		}
	}
	if want := []string{"SKU-00", "SKU-04", "SKU-08"}; !slices.Equal(skus, want) {
		t.Fatalf("skus %v, want %v", skus, want)
	}
	resp, err := e.products.ListProducts(e.sales(), &crmv1.ListProductsRequest{Filter: `sku = "SKU-03"`})
	if err != nil || len(resp.Products) != 1 || resp.Products[0].ListPrice.Amount != "1.00" || resp.Products[0].UnitOfMeasure != "pcs" {
		t.Fatalf("by sku: %v %v", resp, err)
	}
}
