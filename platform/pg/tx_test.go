package pg_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/seamhq/seam/platform/pg"
)

func countAccounts(t *testing.T, pool *pgxpool.Pool) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM accounts").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func insertAccount(id int) func(pgx.Tx) error {
	return func(tx pgx.Tx) error {
		_, err := tx.Exec(context.Background(), "INSERT INTO accounts (id, name) VALUES ($1, $2)", id, fmt.Sprint("acct", id))
		return err
	}
}

func TestInTxCommitAndRollback(t *testing.T) {
	t.Parallel()
	pool := newDB(t)
	ctx := context.Background()

	if err := pg.InTx(ctx, pool, insertAccount(1)); err != nil {
		t.Fatalf("InTx: %v", err)
	}
	if n := countAccounts(t, pool); n != 1 {
		t.Fatalf("after commit: %d accounts, want 1", n)
	}

	sentinel := errors.New("business rule says no")
	err := pg.InTx(ctx, pool, func(tx pgx.Tx) error {
		if err := insertAccount(2)(tx); err != nil {
			return err
		}
		return fmt.Errorf("check: %w", sentinel)
	})
	if !errors.Is(err, sentinel) {
		t.Fatalf("InTx error = %v, want the closure's error", err)
	}
	if n := countAccounts(t, pool); n != 1 {
		t.Fatalf("after error: %d accounts, want 1 (rolled back)", n)
	}

	func() {
		defer func() {
			if p := recover(); p != "boom" {
				t.Errorf("recovered %v, want the closure's panic", p)
			}
		}()
		_ = pg.InTx(ctx, pool, func(tx pgx.Tx) error {
			if err := insertAccount(3)(tx); err != nil {
				return err
			}
			panic("boom")
		})
		t.Error("InTx swallowed the panic")
	}()
	if n := countAccounts(t, pool); n != 1 {
		t.Fatalf("after panic: %d accounts, want 1 (rolled back)", n)
	}
	// No connection was leaked in a broken state.
	if stat := pool.Stat(); stat.AcquiredConns() != 0 {
		t.Errorf("%d connections still acquired", stat.AcquiredConns())
	}

	err = pg.InTxOptions(ctx, pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, insertAccount(4))
	if err == nil {
		t.Error("insert in a read-only transaction succeeded")
	}
}

func TestInTxCommitErrorIsReturned(t *testing.T) {
	t.Parallel()
	pool := newDB(t)
	err := pg.InTx(context.Background(), pool, func(tx pgx.Tx) error {
		// The deferred unique constraint is checked only at commit.
		_, err := tx.Exec(context.Background(), "INSERT INTO tickets VALUES ('A'), ('A')")
		return err
	})
	if err == nil {
		t.Fatal("InTx dropped the commit error")
	}
	if !pg.IsUniqueViolation(err, "tickets_code_key") {
		t.Errorf("commit error = %v, want a unique violation on tickets_code_key", err)
	}

	// A closure that swallows a statement error leaves an aborted
	// transaction: the commit must not report success.
	err = pg.InTx(context.Background(), pool, func(tx pgx.Tx) error {
		_, _ = tx.Exec(context.Background(), "SELECT 1/0")
		return nil
	})
	if err == nil {
		t.Error("commit of an aborted transaction reported success")
	}
}

func pgError(code string) error {
	return fmt.Errorf("store: %w", &pgconn.PgError{Code: code, Message: "synthetic"})
}

func TestInTxRetries(t *testing.T) {
	t.Parallel()
	pool := newDB(t)
	ctx := context.Background()

	for _, code := range []string{"40001", "40P01"} {
		var attempts int
		err := pg.InTx(ctx, pool, func(tx pgx.Tx) error {
			attempts++
			if err := insertAccount(100 + attempts)(tx); err != nil {
				return err
			}
			if attempts < 3 {
				return pgError(code)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("%s: InTx: %v", code, err)
		}
		if attempts != 3 {
			t.Errorf("%s: %d attempts, want 3", code, attempts)
		}
		// Only the last attempt's write survives.
		var ids []int
		rows, _ := pool.Query(ctx, "SELECT id FROM accounts ORDER BY id")
		ids, err = pgx.CollectRows(rows, pgx.RowTo[int])
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) != 1 || ids[0] != 103 {
			t.Errorf("%s: accounts %v, want [103]", code, ids)
		}
		if _, err := pool.Exec(ctx, "DELETE FROM accounts"); err != nil {
			t.Fatal(err)
		}
	}

	var attempts int
	err := pg.InTx(ctx, pool, func(tx pgx.Tx) error {
		attempts++
		return pgError("40001")
	})
	if err == nil || attempts != 5 {
		t.Errorf("always failing: err %v after %d attempts, want an error after 5", err, attempts)
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "40001" {
		t.Errorf("give-up error %v does not wrap the last failure", err)
	}

	attempts = 0
	err = pg.InTx(ctx, pool, func(tx pgx.Tx) error {
		attempts++
		return pgError("23505")
	})
	if err == nil || attempts != 1 {
		t.Errorf("non-retryable: err %v after %d attempts, want an error after 1", err, attempts)
	}

	cctx, cancel := context.WithCancel(ctx)
	attempts = 0
	err = pg.InTx(cctx, pool, func(tx pgx.Tx) error {
		attempts++
		cancel()
		return pgError("40001")
	})
	if err == nil || attempts != 1 {
		t.Errorf("cancelled: err %v after %d attempts, want an error after 1", err, attempts)
	}
}

// Two serializable transactions that each read what the other writes: one
// of them fails with a real serialization failure and InTx retries it.
func TestInTxRetriesRealSerializationFailure(t *testing.T) {
	t.Parallel()
	pool := newDB(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if _, err := pool.Exec(ctx, "INSERT INTO accounts (id, name, balance) VALUES (1, 'a', 100), (2, 'b', 100)"); err != nil {
		t.Fatal(err)
	}

	// Each transaction moves the combined balance into its own account,
	// a classic write-skew pair. The barrier makes both read before either
	// writes on the first attempt.
	var barrier sync.WaitGroup
	barrier.Add(2)
	var attempts atomic.Int32
	opts := pgx.TxOptions{IsoLevel: pgx.Serializable}
	run := func(target int) error {
		first := true
		return pg.InTxOptions(ctx, pool, opts, func(tx pgx.Tx) error {
			attempts.Add(1)
			var total int
			if err := tx.QueryRow(ctx, "SELECT sum(balance)::int FROM accounts").Scan(&total); err != nil {
				return err
			}
			if first {
				first = false
				barrier.Done()
				barrier.Wait()
			}
			_, err := tx.Exec(ctx, "UPDATE accounts SET balance = $1 WHERE id = $2", total, target)
			return err
		})
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range 2 {
		wg.Go(func() { errs[i] = run(i + 1) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("transaction %d: %v", i+1, err)
		}
	}
	if got := attempts.Load(); got < 3 {
		t.Errorf("%d attempts in all, want at least 3 (one retry)", got)
	}
	// Serial outcome: the second one to commit saw the first one's write.
	var a, b int
	if err := pool.QueryRow(ctx, "SELECT (SELECT balance::int FROM accounts WHERE id = 1), (SELECT balance::int FROM accounts WHERE id = 2)").Scan(&a, &b); err != nil {
		t.Fatal(err)
	}
	if !(a == 200 && b == 300) && !(a == 300 && b == 200) {
		t.Errorf("balances (%d, %d), want a serial outcome (200, 300) or (300, 200)", a, b)
	}
}

// A transaction asking for ErrRetry runs again; InTxBatch sends its first
// batch in the transaction and runs it again with fn.
func TestInTxBatchRetriesOnErrRetry(t *testing.T) {
	t.Parallel()
	pool := newDB(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `CREATE TABLE runs (n int)`); err != nil {
		t.Fatal(err)
	}
	attempts := 0
	var seen int
	err := pg.InTxBatch(ctx, pool, func(b *pgx.Batch) {
		b.Queue(`INSERT INTO runs VALUES (1)`)
		b.Queue(`SELECT count(*) FROM runs`).QueryRow(func(r pgx.Row) error { return r.Scan(&seen) })
	}, func(pgx.Tx) error {
		attempts++
		if attempts < 3 {
			return fmt.Errorf("lines moved: %w", pg.ErrRetry)
		}
		return nil
	})
	if err != nil || attempts != 3 {
		t.Fatalf("InTxBatch = %v after %d attempts, want success on the third", err, attempts)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM runs`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 || seen != 1 {
		t.Fatalf("%d rows kept (first batch saw %d), want the one of the committed attempt", n, seen)
	}
}
