package pg_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/seamhq/seam/platform/pg"
	"github.com/seamhq/seam/platform/pgtest"
)

// tracedPool is a one-connection pool on pool's database that counts its
// round trips.
func tracedPool(t *testing.T, pool *pgxpool.Pool) (*pgxpool.Pool, *pgtest.RoundTrips) {
	t.Helper()
	cfg := pool.Config().Copy()
	rt := &pgtest.RoundTrips{}
	cfg.ConnConfig.Tracer = rt
	cfg.MaxConns = 1
	p, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p, rt
}

func names(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	rows, _ := pool.Query(context.Background(), `SELECT string_agg(name, ',' ORDER BY id) FROM accounts`)
	got, err := pgx.CollectExactlyOneRow(rows, pgx.RowTo[*string])
	if err != nil {
		t.Fatal(err)
	}
	if got == nil {
		return ""
	}
	return *got
}

// The writes InTxBatchCommit's decide returns go out with COMMIT: two
// round trips for the whole transaction, and its reads come first.
func TestInTxBatchCommit(t *testing.T) {
	t.Parallel()
	pool, rt := tracedPool(t, newDB(t))
	ctx := context.Background()

	var n int
	var err error
	trips := rt.Measure(func() {
		err = pg.InTxBatchCommit(ctx, pool, func(b *pgx.Batch) {
			b.Queue(`SELECT count(*) FROM accounts`).QueryRow(func(r pgx.Row) error { return r.Scan(&n) })
		}, func() (*pgx.Batch, error) {
			var w pgx.Batch
			w.Queue(`INSERT INTO accounts (id, name) VALUES ($1, $2)`, n+1, fmt.Sprint("acct", n+1))
			w.Queue(`INSERT INTO accounts (id, name) VALUES ($1, $2)`, n+2, fmt.Sprint("acct", n+2))
			return &w, nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if trips != 2 {
		t.Errorf("%d round trips, want 2", trips)
	}
	if got := names(t, pool); got != "acct1,acct2" {
		t.Fatalf("accounts %q, want acct1,acct2", got)
	}

	// Nothing to write: COMMIT alone.
	trips = rt.Measure(func() {
		err = pg.InTxBatchCommit(ctx, pool, func(b *pgx.Batch) { b.Queue(`SELECT 1`) },
			func() (*pgx.Batch, error) { return nil, nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	if trips != 2 {
		t.Errorf("read only: %d round trips, want 2", trips)
	}
}

// A failing statement, decide's error and a failing COMMIT each leave
// nothing written, and the connection is fit for the next transaction.
func TestInTxBatchCommitRollsBack(t *testing.T) {
	t.Parallel()
	pool, _ := tracedPool(t, newDB(t))
	ctx := context.Background()
	insertFirst := func(b *pgx.Batch) { b.Queue(`INSERT INTO accounts (id, name) VALUES (1, 'first')`) }
	sentinel := errors.New("business rule says no")
	for _, tc := range []struct {
		name   string
		decide func() (*pgx.Batch, error)
		want   func(error) bool
	}{
		{"statement fails", func() (*pgx.Batch, error) {
			var w pgx.Batch
			w.Queue(`INSERT INTO accounts (id, name) VALUES (2, 'second')`)
			w.Queue(`INSERT INTO accounts (id, name) VALUES (3, 'second')`) // unique name
			w.Queue(`INSERT INTO accounts (id, name) VALUES (4, 'fourth')`)
			return &w, nil
		}, func(err error) bool { return pg.IsUniqueViolation(err, "accounts_name_key") }},
		{"decide fails", func() (*pgx.Batch, error) { return nil, sentinel },
			func(err error) bool { return errors.Is(err, sentinel) }},
		{"commit fails", func() (*pgx.Batch, error) {
			var w pgx.Batch
			w.Queue(`INSERT INTO tickets VALUES ('a'), ('a')`) // checked at COMMIT
			return &w, nil
		}, func(err error) bool { return pg.IsUniqueViolation(err, "tickets_code_key") }},
	} {
		err := pg.InTxBatchCommit(ctx, pool, insertFirst, tc.decide)
		if !tc.want(err) {
			t.Errorf("%s: error %v", tc.name, err)
		}
		if got := names(t, pool); got != "" {
			t.Errorf("%s: accounts %q kept, want none", tc.name, got)
		}
	}
	if err := pg.InTxBatchCommit(ctx, pool, insertFirst, func() (*pgx.Batch, error) { return nil, nil }); err != nil {
		t.Fatal(err)
	}
	if got := names(t, pool); got != "first" {
		t.Fatalf("accounts %q after a clean transaction, want first", got)
	}
}

func TestInTxBatchCommitRetries(t *testing.T) {
	t.Parallel()
	pool := newDB(t)
	attempts := 0
	err := pg.InTxBatchCommit(context.Background(), pool, func(b *pgx.Batch) {
		b.Queue(`INSERT INTO accounts (id, name) VALUES (1, 'one')`)
	}, func() (*pgx.Batch, error) {
		if attempts++; attempts < 3 {
			return nil, fmt.Errorf("moved: %w", pg.ErrRetry)
		}
		return nil, nil
	})
	if err != nil || attempts != 3 {
		t.Fatalf("InTxBatchCommit = %v after %d attempts, want success on the third", err, attempts)
	}
	if got := names(t, pool); got != "one" {
		t.Fatalf("accounts %q, want the committed attempt's one", got)
	}
}

// SendTx is one round trip; a failing statement writes nothing.
func TestSendTx(t *testing.T) {
	t.Parallel()
	pool, rt := tracedPool(t, newDB(t))
	ctx := context.Background()
	var n int
	var err error
	trips := rt.Measure(func() {
		err = pg.SendTx(ctx, pool, func(b *pgx.Batch) {
			b.Queue(`INSERT INTO accounts (id, name) VALUES (1, 'one'), (2, 'two')`)
			b.Queue(`SELECT count(*) FROM accounts`).QueryRow(func(r pgx.Row) error { return r.Scan(&n) })
		})
	})
	if err != nil || n != 2 {
		t.Fatalf("SendTx = %v, saw %d accounts; want nil, 2", err, n)
	}
	if trips != 1 {
		t.Errorf("%d round trips, want 1", trips)
	}
	err = pg.SendTx(ctx, pool, func(b *pgx.Batch) {
		b.Queue(`INSERT INTO accounts (id, name) VALUES (3, 'three')`)
		b.Queue(`INSERT INTO accounts (id, name) VALUES (4, 'one')`)
	})
	if !pg.IsUniqueViolation(err, "accounts_name_key") {
		t.Fatalf("SendTx = %v, want the unique violation", err)
	}
	if got := names(t, pool); got != "one,two" {
		t.Fatalf("accounts %q, want one,two", got)
	}
}

// SendTxOptions begins its transaction with the options, in the same
// round trip as the statements and COMMIT.
func TestSendTxOptions(t *testing.T) {
	t.Parallel()
	pool, rt := tracedPool(t, newDB(t))
	ctx := context.Background()
	var iso, readOnly string
	var err error
	trips := rt.Measure(func() {
		err = pg.SendTxOptions(ctx, pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(b *pgx.Batch) {
			b.Queue(`SELECT current_setting('transaction_isolation'), current_setting('transaction_read_only')`).
				QueryRow(func(r pgx.Row) error { return r.Scan(&iso, &readOnly) })
		})
	})
	if err != nil || iso != "repeatable read" || readOnly != "on" {
		t.Fatalf("SendTxOptions = %v in %q, read only %q; want nil in repeatable read, read only on", err, iso, readOnly)
	}
	if trips != 1 {
		t.Errorf("%d round trips, want 1", trips)
	}
	err = pg.SendTxOptions(ctx, pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(b *pgx.Batch) {
		b.Queue(`INSERT INTO accounts (id, name) VALUES (1, 'one')`)
	})
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); !ok || pgErr.Code != "25006" {
		t.Fatalf("a write in a read-only SendTxOptions = %v, want read_only_sql_transaction", err)
	}
	if got := names(t, pool); got != "" {
		t.Fatalf("accounts %q, want none", got)
	}
	// The connection is usable again: the failed transaction was rolled back.
	if err := pg.SendTx(ctx, pool, func(b *pgx.Batch) { b.Queue(`INSERT INTO accounts (id, name) VALUES (1, 'one')`) }); err != nil {
		t.Fatal(err)
	}
}
