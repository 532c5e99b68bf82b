package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/erp-service/internal/catalog"
	"github.com/seamhq/seam/erp-service/internal/ledger"
	"github.com/seamhq/seam/erp-service/internal/postgres"
	"github.com/seamhq/seam/erp-service/internal/stock"
)

// checkBalances checks that the trial balance (read from the kept
// per-account balances) equals the journal's lines summed per account and
// currency.
func checkBalances(t *testing.T, s *postgres.Store, pool *pgxpool.Pool) {
	t.Helper()
	ctx := context.Background()
	type sums struct{ debit, credit decimal.Decimal }
	want := map[string]sums{}
	rows, err := pool.Query(ctx, `SELECT l.account_code || ' ' || e.currency_code, sum(l.debit), sum(l.credit)
		FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id GROUP BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k string
		var v sums
		if err := rows.Scan(&k, &v.debit, &v.credit); err != nil {
			t.Fatal(err)
		}
		want[k] = v
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	got, err := s.TrialBalance(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Errorf("trial balance has %d rows, the journal %d accounts and currencies", len(got), len(want))
	}
	for _, r := range got {
		w := want[r.Account+" "+r.Currency]
		if !r.Debit.Equal(w.debit) || !r.Credit.Equal(w.credit) {
			t.Errorf("trial balance %s %s: debits %s credits %s, journal %s and %s", r.Account, r.Currency, r.Debit, r.Credit, w.debit, w.credit)
		}
	}
}

// Postings from concurrent transactions all reach the kept balances, and
// the trial balance filtered by currency keeps only that currency.
func TestAccountBalancesFollowJournal(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	if _, err := s.CreateWarehouse(ctx, stock.Warehouse{Code: "B", Name: "B"}, ""); err != nil {
		t.Fatal(err)
	}
	// One item per poster, so that the postings (which take only their
	// SKU's lock) really run at once and meet on the balance rows.
	const posters = 24
	cost := eur("1.25")
	for i := range posters {
		it := catalog.Item{SKU: fmt.Sprintf("BAL-%d", i), Name: "Balanced", ListPrice: eur("2.50")}
		if err := catalog.PrepareNew(&it, &cost); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateItem(ctx, it, ""); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for i := range posters {
		wg.Go(func() {
			wh := "MAIN"
			if i%2 == 1 {
				wh = "B"
			}
			mustAdjust(t, s, fmt.Sprintf("BAL-%d", i), wh, "3")
		})
	}
	wg.Wait()
	checkBalances(t, s, pool)
	rows, err := s.TrialBalance(ctx, "USD")
	if err != nil || len(rows) != 0 {
		t.Errorf("USD trial balance = %+v, %v; want no rows", rows, err)
	}
	rows, err = s.TrialBalance(ctx, "EUR")
	if err != nil {
		t.Fatal(err)
	}
	for _, tot := range ledger.Totals(rows) {
		if !tot.Debit.Equal(tot.Credit) || tot.Debit.IsZero() {
			t.Errorf("EUR totals %+v", tot)
		}
	}
}
