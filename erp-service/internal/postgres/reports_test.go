package postgres_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/erp-service/internal/reporting"
)

func TestReports(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	a := mustCustomer(t, s, "A")
	b := mustCustomer(t, s, "B")
	mustTaxedItem(t, s, "W-1", "10", "0")
	mustAdjust(t, s, "W-1", "MAIN", "20")
	// Two invoices of A (issued 2026-01-01, due 2026-01-31), one of B.
	_, a1 := invoicedOrder(t, s, a.ID, "W-1", "1")
	invoicedOrder(t, s, a.ID, "W-1", "2")
	invoicedOrder(t, s, b.ID, "W-1", "4")
	if _, err := s.CreatePayment(ctx, pay(t, a.ID, "4", a1.ID, "4"), ""); err != nil {
		t.Fatal(err)
	}

	// On 2026-03-15 the invoices are 43 days past due.
	opens, more, err := s.OpenAmounts(ctx, day("2026-03-15"), "", 1, "")
	if err != nil || !more {
		t.Fatalf("page 1: %v %v", more, err)
	}
	rows := reporting.Age(opens, day("2026-03-15"))
	first, second := a.ID, b.ID
	if first > second {
		first, second = second, first
	}
	if len(rows) != 1 || rows[0].CustomerID != first {
		t.Fatalf("page 1 = %+v", rows)
	}
	opens2, more, err := s.OpenAmounts(ctx, day("2026-03-15"), "EUR", 1, first)
	if err != nil || more || len(opens2) != 1 || opens2[0].CustomerID != second {
		t.Fatalf("page 2 = %+v %v %v", opens2, more, err)
	}
	all, _, err := s.OpenAmounts(ctx, day("2026-03-15"), "", 10, "")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range reporting.Age(all, day("2026-03-15")) {
		got[r.CustomerName] = r.Buckets[reporting.Days31To60].String() + "/" + r.Total().String()
	}
	if got["A"] != "26/26" || got["B"] != "40/40" {
		t.Errorf("aging = %v", got) // A: 10 - 4 + 20
	}
	// Invoices issued after as_of do not count; nothing is due before.
	if early, _, _ := s.OpenAmounts(ctx, day("2025-12-31"), "", 10, ""); len(early) != 0 {
		t.Errorf("aging before any invoice = %+v", early)
	}
	if cur, _, _ := s.OpenAmounts(ctx, day("2026-01-15"), "", 10, ""); len(cur) != 2 || reporting.BucketOf(cur[0].Due, day("2026-01-15")) != reporting.Current {
		t.Errorf("aging before the due date = %+v", cur)
	}
	if none, _, _ := s.OpenAmounts(ctx, day("2026-03-15"), "JPY", 10, ""); len(none) != 0 {
		t.Errorf("JPY aging = %+v", none)
	}

	val, more, err := s.Valuation(ctx, time.Time{}, 10, "")
	if err != nil || more || len(val) != 1 || val[0].OnHand.String() != "13" || val[0].Value().String() != "0.00 EUR" {
		t.Errorf("valuation = %+v %v %v", val, more, err)
	}
}

// Open amounts are summed per aging bucket in the database exactly as
// reporting.BucketOf buckets each invoice, at every boundary.
func TestOpenAmountsBuckets(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	c := mustCustomer(t, s, "Buckets")
	mustTaxedItem(t, s, "AB-1", "1", "0")
	mustAdjust(t, s, "AB-1", "MAIN", "2000")
	asOf := day("2026-06-30")
	var want [5]int64
	for i, past := range []int{-10, 0, 1, 30, 31, 60, 61, 90, 91, 400} {
		qty := int64(1) << i // each invoice's amount is its own bit
		_, inv := invoicedOrder(t, s, c.ID, "AB-1", strconv.FormatInt(qty, 10))
		due := asOf.AddDate(0, 0, -past)
		if _, err := pool.Exec(ctx, `UPDATE invoices SET due_date = $1, issue_date = $2 WHERE id = $3`,
			due, due.AddDate(0, 0, -30), inv.ID); err != nil {
			t.Fatal(err)
		}
		want[reporting.BucketOf(due, asOf)] += qty
	}
	opens, _, err := s.OpenAmounts(ctx, asOf, "", 10, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(opens) != 5 {
		t.Errorf("%d open amounts, want one per bucket: %+v", len(opens), opens)
	}
	rows := reporting.Age(opens, asOf)
	if len(rows) != 1 {
		t.Fatalf("aging rows = %+v", rows)
	}
	for b, w := range want {
		if got := rows[0].Buckets[b]; !got.Equal(decimal.NewFromInt(w)) {
			t.Errorf("bucket %d = %s, want %d", b, got, w)
		}
	}
}
