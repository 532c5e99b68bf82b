package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"
)

// SentDemand returns the pipeline demand per SKU last sent to the ERP.
func (s *Store) SentDemand(ctx context.Context) (map[string]decimal.Decimal, error) {
	rows, err := s.pool.Query(ctx, `SELECT sku, quantity FROM pipeline_demand`)
	if err != nil {
		return nil, fmt.Errorf("read sent demand: %w", err)
	}
	out := map[string]decimal.Decimal{}
	defer rows.Close()
	for rows.Next() {
		var sku string
		var q decimal.Decimal
		if err := rows.Scan(&sku, &q); err != nil {
			return nil, fmt.Errorf("read sent demand: %w", err)
		}
		out[sku] = q
	}
	return out, rows.Err()
}

// RecordDemand stores what was sent: zero quantities are forgotten.
func (s *Store) RecordDemand(ctx context.Context, demand map[string]decimal.Decimal) error {
	batch := &pgx.Batch{}
	for sku, q := range demand {
		if q.IsZero() {
			batch.Queue(`DELETE FROM pipeline_demand WHERE sku = $1`, sku)
			continue
		}
		batch.Queue(`INSERT INTO pipeline_demand (sku, quantity) VALUES ($1, $2)
			ON CONFLICT (sku) DO UPDATE SET quantity = EXCLUDED.quantity, updated_at = now()`, sku, q)
	}
	if batch.Len() == 0 {
		return nil
	}
	if err := s.pool.SendBatch(ctx, batch).Close(); err != nil {
		return fmt.Errorf("record sent demand: %w", err)
	}
	return nil
}

// NextDemandVersion returns the source version for the next pipeline
// demand sent: now (the caller's clock, in microseconds) or, when that is
// not later than the last version handed out by any replica, that plus
// one. A replica whose clock is behind the previous leader's still sends
// a newer version, which the ERP does not ignore.
func (s *Store) NextDemandVersion(ctx context.Context, now int64) (int64, error) {
	var v int64
	err := s.pool.QueryRow(ctx, `INSERT INTO demand_version (version) VALUES ($1)
		ON CONFLICT (id) DO UPDATE SET version = greatest(demand_version.version + 1, excluded.version)
		RETURNING version`, now).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("next demand version: %w", err)
	}
	return v, nil
}
