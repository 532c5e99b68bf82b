package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/crm-service/internal/overview"
	"github.com/seamhq/seam/crm-service/internal/postgres"
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

// The overview is one snapshot: what commits while its statements run
// shows in none of them. A writer holds the products table, which only the
// overview's last opportunity statement (the lines) reads, so the
// statements before it (the deals) have run when it waits; the writer then
// takes a line off a deal, with the deal's amount, and commits. Read
// statement by statement, the deal would show its old amount beside its
// new lines.
func TestAccountOverviewIsOneSnapshot(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	acc := newID(t)
	f.seedAccount(t, acc)
	f.seedProducts(t, "S1", "S2")
	deal := f.newOpportunity(t, newID(t), acc, "S1", "S2")

	// One connection, its statements prepared by a first overview: a
	// statement still to prepare would wait for the lock before any ran.
	cfg := f.pool.Config().Copy()
	cfg.MaxConns = 1
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	store := postgres.New(pool)
	if _, err := store.AccountOverview(ctx, acc, overview.DefaultLimits); err != nil {
		t.Fatal(err)
	}

	tx, err := f.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(context.Background()) }()
	if _, err := tx.Exec(ctx, `LOCK TABLE products IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	type result struct {
		ov  overview.Overview
		err error
	}
	done := make(chan result, 1)
	go func() {
		ov, err := store.AccountOverview(ctx, acc, overview.DefaultLimits)
		done <- result{ov, err}
	}()
	waitForLockWait(t, f.pool, "products")
	if _, err := tx.Exec(ctx, `DELETE FROM opportunity_lines WHERE opportunity_id = $1 AND sku = 'S2'`, deal.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `UPDATE opportunities SET amount = 20, version = version + 1 WHERE id = $1`, deal.ID); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	checkDeal := func(ov overview.Overview, amount string, lines int) {
		t.Helper()
		if len(ov.OpenOpportunities) != 1 {
			t.Fatalf("open opportunities %+v, want the deal", ov.OpenOpportunities)
		}
		o := ov.OpenOpportunities[0]
		sum := decimal.Zero
		for _, l := range o.Lines {
			sum = sum.Add(l.Amount.Amount)
		}
		if !o.Amount.Amount.Equal(decimal.RequireFromString(amount)) || len(o.Lines) != lines || !sum.Equal(o.Amount.Amount) {
			t.Errorf("deal of amount %s with %d lines summing to %s; want %s with %d lines", o.Amount.Amount, len(o.Lines), sum, amount, lines)
		}
	}
	checkDeal(r.ov, "40", 2)
	ov, err := store.AccountOverview(ctx, acc, overview.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	checkDeal(ov, "20", 1)
}

// waitForLockWait returns once a statement waits for a lock on table.
func waitForLockWait(t *testing.T, pool *pgxpool.Pool, table string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var waiting bool
		err := pool.QueryRow(t.Context(), `SELECT EXISTS (SELECT FROM pg_locks WHERE relation = $1::regclass AND NOT granted)`, table).Scan(&waiting)
		if err != nil {
			t.Fatal(err)
		}
		if waiting {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no statement waits for a lock on %s", table)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
