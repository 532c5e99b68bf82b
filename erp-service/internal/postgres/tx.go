package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Retry policy of inTx, the same as pg.InTx's.
const (
	maxAttempts = 5
	baseBackoff = 5 * time.Millisecond
	maxBackoff  = 200 * time.Millisecond
)

// inTx is pg.InTx with the transaction's first round trip shared: BEGIN
// goes out in one batch with the statements first queues, so a transaction
// whose work starts with a batch of reads and locks (most of ours) spends
// one round trip less. fn then continues in the transaction, which inTx
// commits, or rolls back when first's batch or fn fails or panics.
//
// Like pg.InTx it runs the whole transaction again, first included, after
// a serialization failure or a deadlock, so first and fn must keep no
// state across attempts other than what they rebuild.
func inTx(ctx context.Context, pool *pgxpool.Pool, first func(*pgx.Batch), fn func(pgx.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := runTx(ctx, pool, first, fn)
		if err == nil || !retryable(err) {
			return err
		}
		if attempt == maxAttempts {
			return fmt.Errorf("transaction gave up after %d attempts: %w", attempt, err)
		}
		d := min(baseBackoff<<(attempt-1), maxBackoff)
		t := time.NewTimer(d/2 + rand.N(d/2+1))
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

func runTx(ctx context.Context, pool *pgxpool.Pool, first func(*pgx.Batch), fn func(pgx.Tx) error) error {
	var b pgx.Batch
	b.BeginTx(pgx.TxOptions{})
	first(&b)
	br := pool.SendBatch(ctx, &b)
	tx := br.Tx()
	if tx == nil { // the pool is closed
		return fmt.Errorf("begin: %w", br.Close())
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback(ctx)
			panic(p)
		}
	}()
	if err := br.Close(); err != nil {
		_ = tx.Rollback(ctx)
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback(ctx)
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// retryable reports whether a transaction that failed with err may succeed
// when run again: a serialization failure, a deadlock, or errLinesMoved.
func retryable(err error) bool {
	if errors.Is(err, errLinesMoved) {
		return true
	}
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40001" || pgErr.Code == "40P01")
}

// errLinesMoved is returned by a transaction that found an order's lines
// changed between locking their SKUs and reading them; it is run again.
var errLinesMoved = errors.New("order lines changed while their stock was being locked")
