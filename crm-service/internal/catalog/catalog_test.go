package catalog

import (
	"context"
	"slices"
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	for _, ok := range []string{"2030-01-31", "2024-02-29", "1900-01-01", "9999-12-31"} {
		if d, err := ParseDate(ok); err != nil || FormatDate(d) != ok || d.Location() != time.UTC {
			t.Errorf("%s: %v %v", ok, d, err)
		}
	}
	for _, bad := range []string{"", "2030-1-31", "2030-02-30", "31.01.2030", "2030-01-31T00:00:00Z", " 2030-01-31", "2023-02-29", "0001-01-01", "1899-12-31", "+2030-01-31"} {
		if _, err := ParseDate(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2030-01-31", "2030-1-1", "9999-12-31", "", "abcd-ef-gh"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			return
		}
		if FormatDate(d) != s {
			t.Fatalf("%q parsed to %v, which formats as %q", s, d, FormatDate(d))
		}
	})
}

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
	s := NewService(st)
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
