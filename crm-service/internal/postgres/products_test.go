package postgres_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/crm-service/internal/catalog"
	"github.com/seamhq/seam/platform/errs"
)

func TestUpsertProducts(t *testing.T) {
	f := newFixture(t)
	up := func(sku, name string, v int64) catalog.Upsert {
		return catalog.Upsert{SKU: sku, Name: name, ListPrice: eur("1.50"), UnitOfMeasure: "kg", SourceVersion: v}
	}
	n, err := f.store.UpsertProducts(t.Context(), []catalog.Upsert{up("B", "b2", 2), up("A", "a1", 1)})
	if err != nil || n != 2 {
		t.Fatalf("insert: %d %v", n, err)
	}
	// Same or older versions are left alone; a newer one is applied.
	n, err = f.store.UpsertProducts(t.Context(), []catalog.Upsert{up("A", "a1-again", 1), up("B", "b1", 1), up("C", "c0", 0)})
	if err != nil || n != 1 {
		t.Fatalf("stale: %d %v", n, err)
	}
	n, err = f.store.UpsertProducts(t.Context(), []catalog.Upsert{up("A", "a3", 3)})
	if err != nil || n != 1 {
		t.Fatalf("newer: %d %v", n, err)
	}
	a, _ := f.store.GetProduct(t.Context(), "A")
	b, _ := f.store.GetProduct(t.Context(), "B")
	if a.Name != "a3" || a.SourceVersion != 3 || b.Name != "b2" || a.ListPrice.String() != "1.50 EUR" || a.UnitOfMeasure != "kg" || a.Availability.Known {
		t.Fatalf("A %+v, B %+v", a, b)
	}
	if _, err := f.store.GetProduct(t.Context(), "Z"); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
	page, more, err := f.store.ListProducts(t.Context(), catalog.Query{Limit: 2})
	if err != nil || !more || page[0].SKU != "A" || page[1].SKU != "B" {
		t.Fatalf("page 1: %v %v %v", page, more, err)
	}
	page, more, err = f.store.ListProducts(t.Context(), catalog.Query{After: "B", Limit: 2})
	if err != nil || more || len(page) != 1 || page[0].SKU != "C" {
		t.Fatalf("page 2: %v %v %v", page, more, err)
	}
}

func TestSetAvailability(t *testing.T) {
	f := newFixture(t)
	f.seedProducts(t, "S1", "S2")
	asOf := time.Date(2030, 2, 3, 4, 5, 6, 0, time.UTC)
	promise := time.Date(2030, 3, 1, 0, 0, 0, 0, time.UTC)
	av := func(sku string, available string, v int64) catalog.AvailabilityUpdate {
		return catalog.AvailabilityUpdate{SKU: sku, OnHand: decimal.RequireFromString(available), Available: decimal.RequireFromString(available),
			PromiseDate: promise, AsOf: asOf, SourceVersion: v}
	}
	n, unknown, err := f.store.SetAvailability(t.Context(), []catalog.AvailabilityUpdate{av("S1", "5", 0), av("X", "1", 1), av("S2", "2.5", 3)})
	if err != nil || n != 2 || !slices.Equal(unknown, []string{"X"}) {
		t.Fatalf("first: %d %v %v", n, unknown, err)
	}
	n, unknown, err = f.store.SetAvailability(t.Context(), []catalog.AvailabilityUpdate{av("S1", "1", 0), av("S2", "0", 2)})
	if err != nil || n != 0 || len(unknown) != 0 {
		t.Fatalf("stale: %d %v %v", n, unknown, err)
	}
	p, _ := f.store.GetProduct(t.Context(), "S2")
	a := p.Availability
	if !a.Known || a.Available.String() != "2.5" || !a.PromiseDate.Equal(promise) || !a.AsOf.Equal(asOf) || a.SourceVersion != 3 {
		t.Fatalf("S2 %+v", a)
	}
	if _, err := f.store.GetProduct(t.Context(), "X"); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("unknown SKU created: %v", err)
	}
	// Without an as-of time the time of recording is used.
	if _, _, err := f.store.SetAvailability(t.Context(), []catalog.AvailabilityUpdate{{SKU: "S1", Available: decimal.NewFromInt(1), SourceVersion: 9}}); err != nil {
		t.Fatal(err)
	}
	if p, _ := f.store.GetProduct(t.Context(), "S1"); p.Availability.AsOf.IsZero() || !p.Availability.PromiseDate.IsZero() {
		t.Fatalf("S1 %+v", p.Availability)
	}
}
