package pg

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Purge describes rows to forget once they are older than a retention
// period, such as the request ids kept for idempotent retries.
type Purge struct {
	Table     string
	Column    string // a timestamptz column, indexed
	Retention time.Duration
	// Every is how often the purge runs; Batch bounds one DELETE so that a
	// large backlog never holds locks for long.
	Every time.Duration
	Batch int
}

// PurgeOnce deletes the rows of p.Table whose p.Column is before cutoff, in
// batches, and returns how many it deleted.
func PurgeOnce(ctx context.Context, pool *pgxpool.Pool, p Purge, cutoff time.Time) (int64, error) {
	batch := p.Batch
	if batch <= 0 {
		batch = 5000
	}
	table, column := pgx.Identifier{p.Table}.Sanitize(), pgx.Identifier{p.Column}.Sanitize()
	sql := fmt.Sprintf(`DELETE FROM %s WHERE ctid IN (SELECT ctid FROM %s WHERE %s < $1 LIMIT $2)`, table, table, column)
	var total int64
	for {
		tag, err := pool.Exec(ctx, sql, cutoff, batch)
		if err != nil {
			return total, fmt.Errorf("purge %s: %w", p.Table, err)
		}
		total += tag.RowsAffected()
		if tag.RowsAffected() < int64(batch) {
			return total, nil
		}
	}
}

// RunPurge purges every p.Every until ctx ends. A retention of zero turns
// it off.
func RunPurge(ctx context.Context, pool *pgxpool.Pool, p Purge, log *slog.Logger) {
	if p.Retention <= 0 {
		return
	}
	every := p.Every
	if every <= 0 {
		every = time.Hour
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		n, err := PurgeOnce(ctx, pool, p, time.Now().Add(-p.Retention))
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("purge", "table", p.Table, "err", err)
		case n > 0:
			log.Info("purged", "table", p.Table, "rows", n, "older_than", p.Retention.String())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
