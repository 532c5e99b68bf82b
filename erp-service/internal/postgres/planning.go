package postgres

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/erp-service/internal/planning"
	"github.com/seamhq/seam/platform/errs"
)

var _ planning.Store = (*Store)(nil)

// ReorderPositions implements planning.Store. It walks the items by SKU
// (keyset) and computes each one's projection; the filter is not
// index-backed, so a page may scan many items with nothing to suggest.
func (s *Store) ReorderPositions(ctx context.Context, after string, limit int) ([]planning.Position, bool, error) {
	rows, err := s.pool.Query(ctx, `SELECT * FROM (
		SELECT i.sku, t.on_hand - t.reserved AS available,
		       coalesce((SELECT sum(pl.quantity - pl.received_quantity) FROM purchase_order_lines pl
		                 WHERE pl.sku = i.sku AND pl.open), 0) AS incoming,
		       coalesce((SELECT sum(l.backordered_quantity) FROM sales_order_lines l JOIN sales_orders o ON o.id = l.order_id
		                 WHERE l.sku = i.sku AND l.backordered_quantity > 0 AND o.status IN ('CONFIRMED', 'PARTIALLY_SHIPPED')), 0) AS backordered,
		       coalesce(pd.quantity, 0) AS pipeline, i.reorder_point, i.reorder_quantity
		FROM items i JOIN stock_totals t ON t.sku = i.sku LEFT JOIN pipeline_demand pd ON pd.sku = i.sku
		WHERE i.sku > $1) x
		WHERE available + incoming - backordered - pipeline < reorder_point
		ORDER BY sku LIMIT $2`, after, limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("reorder positions: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (planning.Position, error) {
		var p planning.Position
		err := row.Scan(&p.SKU, &p.Available, &p.Incoming, &p.Backordered, &p.PipelineDemand, &p.ReorderPoint, &p.ReorderQuantity)
		return p, err
	})
	if err != nil {
		return nil, false, fmt.Errorf("reorder positions: %w", err)
	}
	if len(out) > limit {
		return out[:limit], true, nil
	}
	return out, false, nil
}

// SetPipelineDemand implements planning.Store.
func (s *Store) SetPipelineDemand(ctx context.Context, ds []planning.Demand, sourceVersion int64) (int, error) {
	if len(ds) == 0 {
		return 0, nil
	}
	skus, qty := make([]string, len(ds)), make([]decimal.Decimal, len(ds))
	for i, d := range ds {
		skus[i], qty[i] = d.SKU, d.Quantity
	}
	var applied int
	err := inTx(ctx, s.pool, func(b *pgx.Batch) {
		b.Queue(`SELECT sku FROM items WHERE sku = ANY($1)`, skus).Query(func(rows pgx.Rows) error {
			known, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				return err
			}
			var v errs.Violations
			for i, sku := range skus {
				if !slices.Contains(known, sku) {
					v.Add(fmt.Sprintf("demands[%d].sku", i), "no item has SKU %q", sku)
				}
			}
			return v.Err()
		})
	}, func(tx pgx.Tx) error {
		// Rows are written in SKU order, so concurrent snapshots do not
		// deadlock.
		ct, err := tx.Exec(ctx, `INSERT INTO pipeline_demand (sku, quantity, source_version)
			SELECT sku, q, $3 FROM unnest($1::text[], $2::numeric[]) AS d(sku, q) ORDER BY sku
			ON CONFLICT (sku) DO UPDATE SET quantity = excluded.quantity, source_version = excluded.source_version, update_time = now()
			WHERE pipeline_demand.source_version <= excluded.source_version`, skus, qty, sourceVersion)
		if err != nil {
			return fmt.Errorf("set pipeline demand: %w", err)
		}
		applied = int(ct.RowsAffected())
		return nil
	})
	return applied, err
}
