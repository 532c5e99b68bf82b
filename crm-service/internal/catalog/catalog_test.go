package catalog

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seamhq/seam/platform/errs"
)

func TestNewestPerSKU(t *testing.T) {
	type e struct {
		sku string
		v   int64
	}
	got := newestPerSKU([]e{{"a", 1}, {"b", 5}, {"a", 3}, {"b", 4}, {"a", 3}, {"c", 0}}, func(x e) (string, int64) { return x.sku, x.v })
	if want := []e{{"a", 3}, {"b", 5}, {"c", 0}}; !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

type fakeStore struct {
	Store
	ups []Upsert
	av  []AvailabilityUpdate
}

func (f *fakeStore) UpsertProducts(_ context.Context, ups []Upsert) (int, error) {
	f.ups = ups
	return len(ups), nil
}

func (f *fakeStore) SetAvailability(_ context.Context, ups []AvailabilityUpdate) (int, []string, error) {
	f.av = ups
	return len(ups) - 1, []string{"X"}, nil
}

func TestServiceCountsStale(t *testing.T) {
	st := &fakeStore{}
	s := NewService(st, time.Now)
	res, err := s.Upsert(context.Background(), []UpsertInput{
		{SKU: "A", Name: "a", ListPrice: &MoneyInput{"EUR", "1.00"}, SourceVersion: 1},
		{SKU: "A", Name: "a", ListPrice: &MoneyInput{"EUR", "2.00"}, SourceVersion: 2},
	})
	if err != nil || res.Applied != 1 || res.Stale != 1 || len(st.ups) != 1 || st.ups[0].ListPrice.Amount.String() != "2" {
		t.Fatalf("%+v %v %+v", res, err, st.ups)
	}
	res, err = s.SetAvailability(context.Background(), []AvailabilityInput{
		{SKU: "A", Available: "1", SourceVersion: 1}, {SKU: "X", Available: "1", SourceVersion: 1}, {SKU: "A", Available: "2", SourceVersion: 0},
	})
	if err != nil || res.Applied != 1 || res.Stale != 1 || !slices.Equal(res.Unknown, []string{"X"}) {
		t.Fatalf("%+v %v", res, err)
	}
}

// A product's SKU is the ERP's to shape; the CRM refuses only what it
// could not key a product by or read back by its path.
func TestCheckSKU(t *testing.T) {
	for s, ok := range map[string]bool{
		"W-1": true, "A.b_c": true, "Ä-1": true, strings.Repeat("x", 100): true,
		"": false, "a b": false, "a/b": false, "a?b": false, "a#b": false, "a%b": false, `a\b`: false, "a\tb": false,
		strings.Repeat("x", 101): false,
	} {
		var v errs.Violations
		checkSKU(&v, "sku", s)
		if (v.Err() == nil) != ok {
			t.Errorf("checkSKU(%q) = %v, want valid %v", s, v.Err(), ok)
		}
	}
}
