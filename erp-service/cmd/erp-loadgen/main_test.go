package main

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/seamhq/seam/erp-service/migrations"
	"github.com/seamhq/seam/platform/pg"
	"github.com/seamhq/seam/platform/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func migrate(ctx context.Context, url string) error {
	pool, err := pg.Connect(ctx, pg.Config{URL: url, MaxConns: 2})
	if err != nil {
		return err
	}
	defer pool.Close()
	return pg.Migrate(ctx, pool, migrations.FS)
}

// A small load keeps every invariant, is loaded only once, and the
// measurements run against it through the API.
func TestLoadAndMeasureSmall(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, err := pg.Connect(ctx, pg.Config{URL: pgtest.NewDB(t, "erp", migrate), MaxConns: 24})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	size := Size{LedgerRows: 8_000, Invoices: 600, SKUs: 40, Customers: 80, Warehouses: 3, HotShare: 0.1, Days: 30, Seed: 3}
	if err := Prepare(ctx, pool, size, t.Logf); err != nil {
		t.Fatal(err)
	}
	var moves, invoices, paid, open int64
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM stock_moves), (SELECT count(*) FROM invoices),
		(SELECT count(*) FROM invoices WHERE status = 'PAID'), (SELECT count(*) FROM invoices WHERE status <> 'PAID')`).
		Scan(&moves, &invoices, &paid, &open); err != nil {
		t.Fatal(err)
	}
	if moves != int64(size.LedgerRows) || invoices != int64(size.Invoices) || paid == 0 || open == 0 {
		t.Errorf("loaded %d ledger rows, %d invoices (%d paid, %d not); want %d and %d, some paid and some not",
			moves, invoices, paid, open, size.LedgerRows, size.Invoices)
	}
	// Loaded already: a second run keeps the data.
	logged := ""
	if err := Prepare(ctx, pool, size, func(f string, a ...any) { logged += f }); err != nil || !strings.Contains(logged, "already") {
		t.Errorf("second prepare: %v, logged %q", err, logged)
	}
	res, err := Measure(ctx, pool, size.SKUs, Samples{Availability: 5, Reports: 3, FullAging: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 12 {
		t.Fatalf("%d results, want 12", len(res))
	}
	for _, r := range res {
		if r.Calls == 0 || r.P50 <= 0 || r.P99 < r.P50 || r.Max < r.P99 {
			t.Errorf("result %+v", r)
		}
	}
	var b strings.Builder
	Print(&b, res)
	if !strings.Contains(b.String(), "GetTrialBalance") {
		t.Errorf("printed %q", b.String())
	}

	// Check notices a level that no longer matches the ledger.
	if _, err := pool.Exec(ctx, `UPDATE stock_levels SET on_hand = on_hand + 1
		WHERE (sku, warehouse) = (SELECT sku, warehouse FROM stock_levels LIMIT 1)`); err != nil {
		t.Fatal(err)
	}
	if err := Check(ctx, pool); err == nil || !strings.Contains(err.Error(), "1 stock levels differing from the ledger") {
		t.Errorf("check after breaking a level = %v", err)
	}
}
