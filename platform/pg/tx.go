package pg

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

// InTxBatchCommit is InTxBatch for a transaction whose writes need no
// reads but those of first: decide builds them from what first read, and
// they go out in one batch with COMMIT, so the transaction takes two
// round trips in all. decide may return nil to write nothing (COMMIT then
// goes alone) or an error to roll back. The batch it returns is used up.
//
// The writes commit unless one of their statements fails in the server.
// Callbacks queued on them (QueuedQuery.Exec, Query, QueryRow) run after
// the commit and cannot undo it, so a condition that must stop the commit
// has to be a statement's error (a constraint, say), not a check of its
// result. Retries are as for InTx, and run first and decide again.
func InTxBatchCommit(ctx context.Context, pool *pgxpool.Pool, first func(*pgx.Batch), decide func() (*pgx.Batch, error)) error {
	return retry(ctx, func() error {
		return onConn(ctx, pool, func(c *pgx.Conn) error {
			var b pgx.Batch
			b.Queue("begin")
			first(&b)
			if err := c.SendBatch(ctx, &b).Close(); err != nil {
				return err
			}
			w, err := decide()
			if err != nil {
				return err
			}
			if w == nil {
				w = &pgx.Batch{}
			}
			queueCommit(w)
			return c.SendBatch(ctx, w).Close()
		})
	})
}

// SendTx runs the statements queue puts in a batch as one transaction in
// one round trip: BEGIN, the statements, COMMIT. As with InTxBatchCommit,
// only a statement's error stops the commit. queue runs again for each
// retry, so it must reset whatever its callbacks fill in.
func SendTx(ctx context.Context, pool *pgxpool.Pool, queue func(*pgx.Batch)) error {
	return SendTxOptions(ctx, pool, pgx.TxOptions{}, queue)
}

// SendTxOptions is SendTx with a transaction begun with opts. With
// IsoLevel RepeatableRead and AccessMode ReadOnly it reads several
// statements' worth of rows in one round trip from one snapshot, taken by
// the first statement: what commits meanwhile shows in none of them.
func SendTxOptions(ctx context.Context, pool *pgxpool.Pool, opts pgx.TxOptions, queue func(*pgx.Batch)) error {
	return retry(ctx, func() error {
		return onConn(ctx, pool, func(c *pgx.Conn) error {
			var b pgx.Batch
			b.BeginTx(opts)
			queue(&b)
			queueCommit(&b)
			return c.SendBatch(ctx, &b).Close()
		})
	})
}

// queueCommit queues COMMIT, which reports a transaction an earlier error
// aborted as rolled back (as pgx.Tx.Commit does).
func queueCommit(b *pgx.Batch) {
	b.Queue("commit").Exec(func(tag pgconn.CommandTag) error {
		if tag.String() == "ROLLBACK" {
			return pgx.ErrTxCommitRollback
		}
		return nil
	})
}

// onConn runs a transaction that sends its own BEGIN and COMMIT on a
// connection of the pool. When run fails or panics with the transaction
// still open (a statement failed, so the rest of its batch, COMMIT
// included, was skipped), it is rolled back; a connection that cannot be
// rolled back is closed by the pool on release.
func onConn(ctx context.Context, pool *pgxpool.Pool, run func(*pgx.Conn) error) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("pg: begin: %w", err)
	}
	defer conn.Release()
	c := conn.Conn()
	abort := func() {
		if c.PgConn().TxStatus() != 'I' {
			ctx, cancel := rollbackContext(ctx)
			defer cancel()
			_, _ = c.Exec(ctx, "rollback")
		}
	}
	defer func() {
		if p := recover(); p != nil {
			abort()
			panic(p)
		}
	}()
	if err := run(c); err != nil {
		abort()
		return err
	}
	return nil
}

// rollbackTimeout bounds a rollback. A rollback runs even when the
// caller's context has ended (a client that went away, a deadline passed),
// which is when most happen: skipping it would leave the transaction open,
// and the pool would close the connection on release.
const rollbackTimeout = 5 * time.Second

func rollbackContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
}

// rollback rolls tx back; one that fails closes its connection, which ends
// the transaction on the server just as well.
func rollback(ctx context.Context, tx pgx.Tx) {
	ctx, cancel := rollbackContext(ctx)
	defer cancel()
	_ = tx.Rollback(ctx)
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
			rollback(ctx, tx)
			panic(p)
		}
	}()
	if err := br.Close(); err != nil {
		rollback(ctx, tx)
		return err
	}
	if err := fn(tx); err != nil {
		rollback(ctx, tx)
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
			rollback(ctx, tx)
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		rollback(ctx, tx)
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
