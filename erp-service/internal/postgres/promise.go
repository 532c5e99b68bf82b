package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/erp-service/internal/stock"
	"github.com/seamhq/seam/platform/errs"
)

// Promise implements stock.Store: the item's availability with the
// earliest date quantity can be promised, read in one snapshot.
func (s *Store) Promise(ctx context.Context, sku string, quantity decimal.Decimal) (stock.Availability, error) {
	set := newStockSet()
	var backordered decimal.Decimal
	var receipts []stock.IncomingReceipt
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var b pgx.Batch
		queueReadStock(&b, set, "sku = $1", sku)
		// Backorders of orders still waiting for stock (the partial index on
		// backordered lines by SKU).
		b.Queue(`SELECT coalesce(sum(l.backordered_quantity), 0)
			FROM sales_order_lines l JOIN sales_orders o ON o.id = l.order_id
			WHERE l.sku = $1 AND l.backordered_quantity > 0 AND o.status IN ('CONFIRMED', 'PARTIALLY_SHIPPED')`, sku).
			QueryRow(func(row pgx.Row) error { return row.Scan(&backordered) })
		// Open purchase order lines by expected date (the open-lines index).
		b.Queue(`SELECT pl.expected_date, pl.quantity - pl.received_quantity, po.number
			FROM purchase_order_lines pl JOIN purchase_orders po ON po.id = pl.order_id
			WHERE pl.sku = $1 AND pl.open AND pl.received_quantity < pl.quantity
			ORDER BY pl.expected_date, po.number, pl.line_number`, sku).
			Query(func(rows pgx.Rows) error {
				for rows.Next() {
					var r stock.IncomingReceipt
					if err := rows.Scan(&r.Date, &r.Quantity, &r.PurchaseOrder); err != nil {
						return err
					}
					r.Date = r.Date.UTC()
					receipts = append(receipts, r)
				}
				return rows.Err()
			})
		return tx.SendBatch(ctx, &b).Close()
	})
	if err != nil {
		return stock.Availability{}, fmt.Errorf("promise %s of %s: %w", quantity, sku, err)
	}
	a, ok := set.items[sku]
	if !ok {
		return stock.Availability{}, errs.NotFoundf("item %q", sku)
	}
	now := set.now.UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	p := stock.PromiseFor(*a, quantity, backordered, receipts, today)
	a.Promise = &p
	return *a, nil
}
