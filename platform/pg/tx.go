package pg

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Retry policy for transactions that fail with a serialization failure or a
// deadlock: up to maxAttempts runs in all, with jittered exponential backoff
// between them.
const (
	maxAttempts = 5
	baseBackoff = 5 * time.Millisecond
	maxBackoff  = 200 * time.Millisecond
)

// InTx runs fn in a transaction with the server's default options; see
// InTxOptions.
func InTx(ctx context.Context, pool *pgxpool.Pool, fn func(pgx.Tx) error) error {
	return InTxOptions(ctx, pool, pgx.TxOptions{}, fn)
}

// InTxOptions begins a transaction with opts, runs fn in it and commits.
//
// If fn returns an error the transaction is rolled back and that error is
// returned as is. If fn panics the transaction is rolled back and the panic
// continues. A failed commit is returned, never dropped.
//
// When fn or the commit fails with serialization_failure (40001) or
// deadlock_detected (40P01), the whole transaction, fn included, runs again
// after a short jittered pause, up to a few times. fn must therefore be safe
// to repeat: it may only have effects through tx, and must not keep state
// from a previous attempt. fn must not commit or roll back tx itself.
func InTxOptions(ctx context.Context, pool *pgxpool.Pool, opts pgx.TxOptions, fn func(pgx.Tx) error) error {
	return retry(ctx, func() error { return runTx(ctx, pool, opts, fn) })
}

// ErrRetry, wrapped in the error a transaction function returns, asks for
// the whole transaction to run again, as after a serialization failure: for
// a transaction that finds what it locked no longer matches what it read.
var ErrRetry = errors.New("pg: run the transaction again")

// InTxBatch is InTx with the first round trip shared: BEGIN goes out in
// one batch with the statements first queues, so a transaction that starts
// with a batch of locks and reads spends one round trip less. fn then
// continues in the transaction. first's batch failing rolls back like fn
// failing; retries run first again too.
func InTxBatch(ctx context.Context, pool *pgxpool.Pool, first func(*pgx.Batch), fn func(pgx.Tx) error) error {
	return retry(ctx, func() error { return runBatchTx(ctx, pool, first, fn) })
}

// retry runs a transaction until it succeeds, fails for a reason a retry
// cannot fix, or has run maxAttempts times.
func retry(ctx context.Context, run func() error) error {
	for attempt := 1; ; attempt++ {
		err := run()
		if err == nil || !retryable(err) {
			return err
		}
		if attempt == maxAttempts {
			return fmt.Errorf("pg: transaction gave up after %d attempts: %w", attempt, err)
		}
		t := time.NewTimer(backoff(attempt))
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

func runBatchTx(ctx context.Context, pool *pgxpool.Pool, first func(*pgx.Batch), fn func(pgx.Tx) error) error {
	var b pgx.Batch
	b.BeginTx(pgx.TxOptions{})
	first(&b)
	br := pool.SendBatch(ctx, &b)
	tx := br.Tx()
	if tx == nil { // the pool is closed
		return fmt.Errorf("pg: begin: %w", br.Close())
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
		return fmt.Errorf("pg: commit: %w", err)
	}
	return nil
}

func runTx(ctx context.Context, pool *pgxpool.Pool, opts pgx.TxOptions, fn func(pgx.Tx) error) (err error) {
	tx, err := pool.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("pg: begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			// A failed rollback closes the connection, which ends the
			// transaction on the server just as well.
			_ = tx.Rollback(ctx)
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		_ = tx.Rollback(ctx)
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("pg: commit: %w", err)
	}
	return nil
}

// backoff returns the pause before retry number attempt (1-based): an
// exponentially growing cap, capped at maxBackoff, with the pause drawn
// uniformly from its upper half so that colliding transactions spread out.
func backoff(attempt int) time.Duration {
	d := baseBackoff << (attempt - 1)
	if d > maxBackoff || d <= 0 {
		d = maxBackoff
	}
	return d/2 + rand.N(d/2+1)
}
