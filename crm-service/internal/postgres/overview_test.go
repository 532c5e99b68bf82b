package postgres_test

import (
	"errors"
	"testing"

	"github.com/seamhq/seam/crm-service/internal/overview"
	"github.com/seamhq/seam/platform/errs"
)

// The overview is one round trip however much the account holds.
func TestAccountOverviewRoundTrips(t *testing.T) {
	f := newFixture(t)
	acc := newID(t)
	f.seedAccount(t, acc)
	f.seedProducts(t, "S1", "S2")
	for range 5 {
		f.newOpportunity(t, newID(t), acc, "S1", "S2")
	}
	var ov overview.Overview
	if n := f.trips.Measure(func() {
		var err error
		ov, err = f.store.AccountOverview(t.Context(), acc, overview.DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
	}); n != 1 {
		t.Errorf("overview took %d round trips, want 1", n)
	}
	if ov.Account.ID != acc || len(ov.OpenOpportunities) != 5 || len(ov.OpenOpportunities[4].Lines) != 2 {
		t.Fatalf("overview %+v", ov)
	}
	_, err := f.store.AccountOverview(t.Context(), newID(t), overview.DefaultLimits)
	if !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("missing account: %v", err)
	}
}
