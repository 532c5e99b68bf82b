package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/seamhq/seam/platform/pg"
)

// inTx runs a transaction whose work starts with a batch of locks and
// reads, sent with BEGIN in one round trip (pg.InTxBatch).
func inTx(ctx context.Context, pool *pgxpool.Pool, first func(*pgx.Batch), fn func(pgx.Tx) error) error {
	return pg.InTxBatch(ctx, pool, first, fn)
}

// errLinesMoved is returned by a transaction that found an order's lines
// changed between locking their SKUs and reading them; it is run again.
var errLinesMoved = fmt.Errorf("order lines changed while their stock was being locked: %w", pg.ErrRetry)
