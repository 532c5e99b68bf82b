package api_test

import (
	"slices"
	"testing"

	"google.golang.org/grpc/codes"

	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

// product reads a product as sales sees it.
func (e *env) product(sku string) *crmv1.Product {
	e.t.Helper()
	p, err := e.products.GetProduct(e.sales(), &crmv1.GetProductRequest{Sku: sku})
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// A product copy written with a version ahead of anything the ERP reached
// ignores every later write as stale; a reset with the product's etag
// replaces it, version and all, and later writes apply again. A reset with
// another etag fails its whole request and changes nothing.
func TestUpsertProductsReset(t *testing.T) {
	e := newEnv(t)
	e.seedProducts(product("SKU-1", "Widget", "10.00"))
	entry := func(sku, name string, version int64, reset string) *crmv1.ProductUpsert {
		return &crmv1.ProductUpsert{Sku: sku, Name: name, ListPrice: eur("10.00"), SourceVersion: version, ResetEtag: reset}
	}
	up := func(ps ...*crmv1.ProductUpsert) (*crmv1.UpsertProductsResponse, error) {
		return e.sync.UpsertProducts(e.bridge(), &crmv1.UpsertProductsRequest{Products: ps})
	}
	seeded := e.product("SKU-1")
	if r, err := up(entry("SKU-1", "Inflated", 9e18, "")); err != nil || r.Applied != 1 {
		t.Fatalf("inflated write: %v %v", r, err)
	}
	inflated := e.product("SKU-1")
	if inflated.Etag == "" || inflated.Etag == seeded.Etag {
		t.Fatalf("etag %q after a write that applied, %q before; want a new one", inflated.Etag, seeded.Etag)
	}
	if r, err := up(entry("SKU-1", "Widget", 5, "")); err != nil || r.Stale != 1 {
		t.Fatalf("versioned write after the inflated one: %v %v, want it stale", r, err)
	}
	if p := e.product("SKU-1"); p.Name != "Inflated" || p.Etag != inflated.Etag {
		t.Fatalf("after a stale write: %q etag %s, want the inflated copy with its etag %s", p.Name, p.Etag, inflated.Etag)
	}

	// A stale etag aborts the request, its other entries too.
	_, err := up(entry("SKU-1", "Widget", 5, seeded.Etag), entry("SKU-2", "Gadget", 1, ""))
	wantCode(t, err, codes.Aborted)
	_, err = e.products.GetProduct(e.sales(), &crmv1.GetProductRequest{Sku: "SKU-2"})
	wantCode(t, err, codes.NotFound)
	_, err = up(entry("GHOST", "Ghost", 5, "1"))
	wantCode(t, err, codes.NotFound)
	_, err = up(entry("SKU-1", "Widget", 5, "x"), entry("SKU-2", "Gadget", 1, "W/\"0\""))
	if f, want := violations(t, err), []string{"products[0].reset_etag", "products[1].reset_etag"}; !slices.Equal(f, want) {
		t.Errorf("violations %v, want %v", f, want)
	}
	_, err = up(entry("SKU-1", "Widget", 5, inflated.Etag), entry("SKU-1", "Widget", 6, ""))
	if f := violations(t, err); !slices.Equal(f, []string{"products[0].reset_etag"}) {
		t.Errorf("violations %v, want products[0].reset_etag (a reset beside another entry of its SKU)", f)
	}
	if p := e.product("SKU-1"); p.Name != "Inflated" || p.Etag != inflated.Etag {
		t.Fatalf("after refused resets: %q etag %s, want the inflated copy unchanged", p.Name, p.Etag)
	}

	if r, err := up(entry("SKU-1", "Widget", 5, inflated.Etag), entry("SKU-2", "Gadget", 1, "")); err != nil || r.Applied != 2 {
		t.Fatalf("reset: %v %v, want both entries applied", r, err)
	}
	reset := e.product("SKU-1")
	if reset.Name != "Widget" || reset.Etag == inflated.Etag {
		t.Fatalf("reset: %q etag %s; want Widget with a new etag", reset.Name, reset.Etag)
	}
	if v := e.count(`SELECT source_version FROM products WHERE sku = 'SKU-1'`); v != 5 {
		t.Errorf("source_version %d after the reset, want 5", v)
	}
	if r, err := up(entry("SKU-1", "Widget v6", 6, "")); err != nil || r.Applied != 1 || e.product("SKU-1").Name != "Widget v6" {
		t.Errorf("versioned write after the reset: %v %v, want it applied", r, err)
	}
}

// The same for availability, whose writes share the product's etag.
func TestSetAvailabilityReset(t *testing.T) {
	e := newEnv(t)
	e.seedProducts(product("SKU-1", "Widget", "10.00"), product("SKU-2", "Gadget", "5.00"))
	update := func(sku, available string, version int64, reset string) *crmv1.AvailabilityUpdate {
		return &crmv1.AvailabilityUpdate{Sku: sku, OnHand: available, Available: available, SourceVersion: version, ResetEtag: reset}
	}
	set := func(us ...*crmv1.AvailabilityUpdate) (*crmv1.SetAvailabilityResponse, error) {
		return e.sync.SetAvailability(e.bridge(), &crmv1.SetAvailabilityRequest{Updates: us})
	}
	seeded := e.product("SKU-1")
	if r, err := set(update("SKU-1", "999", 1000, "")); err != nil || r.Applied != 1 {
		t.Fatalf("inflated write: %v %v", r, err)
	}
	inflated := e.product("SKU-1")
	if inflated.Etag == seeded.Etag {
		t.Fatalf("etag %s after an availability write that applied, want a new one", inflated.Etag)
	}
	if r, err := set(update("SKU-1", "7", 5, "")); err != nil || r.Stale != 1 {
		t.Fatalf("versioned write after the inflated one: %v %v, want it stale", r, err)
	}
	if p := e.product("SKU-1"); p.AvailableQuantity != "999" || p.Etag != inflated.Etag {
		t.Fatalf("after a stale write: %s available, etag %s; want the inflated copy with its etag %s", p.AvailableQuantity, p.Etag, inflated.Etag)
	}

	_, err := set(update("SKU-1", "7", 5, seeded.Etag), update("SKU-2", "3", 1, ""))
	wantCode(t, err, codes.Aborted)
	if p := e.product("SKU-2"); p.AvailableQuantity != "" {
		t.Errorf("SKU-2 shows %q available after an aborted request, want nothing written", p.AvailableQuantity)
	}
	_, err = set(update("GHOST", "1", 5, "1"))
	wantCode(t, err, codes.NotFound)
	_, err = set(update("SKU-1", "7", 5, "-3"))
	if f := violations(t, err); !slices.Equal(f, []string{"updates[0].reset_etag"}) {
		t.Errorf("violations %v, want updates[0].reset_etag", f)
	}
	_, err = set(update("SKU-1", "8", 6, ""), update("SKU-1", "7", 5, inflated.Etag))
	if f := violations(t, err); !slices.Equal(f, []string{"updates[1].reset_etag"}) {
		t.Errorf("violations %v, want updates[1].reset_etag (a reset beside another update of its SKU)", f)
	}

	r, err := set(update("SKU-1", "7", 5, `"`+inflated.Etag+`"`), update("SKU-2", "3", 1, ""), update("GHOST", "1", 1, ""))
	if err != nil || r.Applied != 2 || !slices.Equal(r.UnknownSkus, []string{"GHOST"}) {
		t.Fatalf("reset: %v %v, want two applied and GHOST unknown", r, err)
	}
	reset := e.product("SKU-1")
	if reset.AvailableQuantity != "7" || reset.Etag == inflated.Etag {
		t.Fatalf("reset: %s available, etag %s; want 7 with a new etag", reset.AvailableQuantity, reset.Etag)
	}
	if v := e.count(`SELECT availability_version FROM products WHERE sku = 'SKU-1'`); v != 5 {
		t.Errorf("availability_version %d after the reset, want 5", v)
	}
	if r, err := set(update("SKU-1", "6", 6, "")); err != nil || r.Applied != 1 || e.product("SKU-1").AvailableQuantity != "6" {
		t.Errorf("versioned write after the reset: %v %v, want it applied", r, err)
	}
}
