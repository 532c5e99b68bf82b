package postgres

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/erp-service/internal/sales"
	"github.com/seamhq/seam/erp-service/internal/stock"
	"github.com/seamhq/seam/platform/feed"
)

// filled is the outcome of fillBackorders: reservations to write with the
// transaction's other stock changes, and the orders they changed.
type filled struct {
	changes []stock.Change
	orders  []sales.Order
}

// queueLockBackordered queues, into b, taking the key locks of the orders
// waiting for stock of the SKUs that skuCond (on a sku column, with args)
// selects, in id order: stock that arrives fills them. It goes right
// after the SKU locks, which keep that set of orders as it is, and before
// anything gives the transaction its id, so that those orders' events
// stay in version order against money writers, which take order keys
// without SKU locks.
func queueLockBackordered(b *pgx.Batch, skuCond string, args ...any) {
	b.Queue(`SELECT count(pg_advisory_xact_lock(hashtextextended('salesOrders/' || o, 0)))
		FROM (SELECT DISTINCT l.order_id::text AS o FROM sales_order_lines l JOIN sales_orders so ON so.id = l.order_id
			WHERE l.`+skuCond+` AND l.backordered_quantity > 0 AND so.status IN ('CONFIRMED', 'PARTIALLY_SHIPPED')
			ORDER BY 1) x`, args...)
}

// fillBackorders reserves, for stock that just arrived (already applied to
// set, whose SKUs' advisory locks the transaction holds), the backordered
// quantities of confirmed and partially shipped orders for skus, oldest
// order first (UUIDv7 ids follow creation), never more than is available.
//
// Lock order: the SKU locks are held; the orders are locked in id order, as
// every other writer of orders does after its SKU locks. The orders are read
// by a statement after the one that locked them, so what is read is the
// latest committed.
func fillBackorders(ctx context.Context, tx pgx.Tx, set *stockSet, skus []string) (filled, error) {
	var out filled
	if len(skus) == 0 {
		return out, nil
	}
	rows, err := tx.Query(ctx, `SELECT o.id FROM sales_orders o
		WHERE o.id IN (SELECT order_id FROM sales_order_lines WHERE sku = ANY($1) AND backordered_quantity > 0)
		  AND o.status IN ('CONFIRMED', 'PARTIALLY_SHIPPED')
		ORDER BY o.id FOR UPDATE`, skus)
	if err != nil {
		return out, fmt.Errorf("lock backordered orders: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(ids) == 0 {
		return out, err
	}
	rows, err = tx.Query(ctx, `SELECT `+orderCols+`
		FROM sales_orders o JOIN sales_order_lines l ON l.order_id = o.id
		WHERE o.id = ANY($1::uuid[]) ORDER BY o.id, l.line_number`, ids)
	if err != nil {
		return out, fmt.Errorf("read backordered orders: %w", err)
	}
	orders, err := scanOrders(rows)
	if err != nil {
		return out, fmt.Errorf("read backordered orders: %w", err)
	}
	for _, o := range orders {
		cs, changed := o.FillBackorders(skus, set.items)
		if !changed {
			continue
		}
		out.changes = append(out.changes, cs...)
		out.orders = append(out.orders, o)
	}
	return out, nil
}

// queueFilled queues the writes of the orders fillBackorders changed (their
// stock changes are written by the caller with the rest).
func queueFilled(b *pgx.Batch, f filled) {
	for _, o := range f.orders {
		k := len(o.Lines)
		numbers := make([]int32, k)
		reserved, backordered := make([]decimal.Decimal, k), make([]decimal.Decimal, k)
		for i, l := range o.Lines {
			numbers[i], reserved[i], backordered[i] = l.Number, l.Reserved, l.Backordered
		}
		b.Queue(`UPDATE sales_order_lines l SET reserved_quantity = u.r, backordered_quantity = u.b
			FROM unnest($2::int[], $3::numeric[], $4::numeric[]) AS u(n, r, b)
			WHERE l.order_id = $1 AND l.line_number = u.n`, o.ID, numbers, reserved, backordered)
		b.Queue(`UPDATE sales_orders SET backordered = $2, revision = $3, update_time = now() WHERE id = $1`,
			o.ID, o.Backordered, o.Revision)
	}
}

// filledEvents returns the sales_order.updated events of the changed
// orders, stamped with the transaction's time.
func (s *Store) filledEvents(ctx context.Context, set *stockSet, f filled) ([]feed.NewEvent, error) {
	events := make([]feed.NewEvent, 0, len(f.orders))
	for _, o := range f.orders {
		o.UpdateTime = set.now
		payload, err := s.enc.SalesOrder(o)
		if err != nil {
			return nil, fmt.Errorf("encode sales order %s: %w", o.ID, err)
		}
		events = append(events, event(ctx, sales.EventUpdated, o.ID, payload))
	}
	return events, nil
}

// receivedSKUs lists, sorted and once each, the SKUs of changes that add
// stock on hand.
func receivedSKUs(changes []stock.Change) []string {
	var out []string
	for _, c := range changes {
		if c.OnHandDelta.IsPositive() && !slices.Contains(out, c.SKU) {
			out = append(out, c.SKU)
		}
	}
	slices.Sort(out)
	return out
}
