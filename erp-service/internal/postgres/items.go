package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/erp-service/internal/catalog"
	"github.com/seamhq/seam/erp-service/internal/ledger"
	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/feed"
	"github.com/seamhq/seam/platform/pg"
	"github.com/seamhq/seam/platform/requestid"
)

const itemCols = `sku, name, unit_of_measure, currency_code, list_price, standard_cost, tax_rate,
	version, create_time, update_time, reorder_point, reorder_quantity`

var itemFilter = map[string]column{
	"sku":  {expr: "sku"},
	"name": {expr: "name"},
}

func scanItem(row pgx.Row) (catalog.Item, error) {
	var it catalog.Item
	var currency string
	err := row.Scan(&it.SKU, &it.Name, &it.UnitOfMeasure, &currency, &it.ListPrice.Amount, &it.StandardCost.Amount,
		&it.TaxRate, &it.Version, &it.CreateTime, &it.UpdateTime, &it.ReorderPoint, &it.ReorderQuantity)
	it.ListPrice.Currency, it.StandardCost.Currency = currency, currency
	return it, err
}

// CreateItem implements catalog.Store.
func (s *Store) CreateItem(ctx context.Context, it catalog.Item, requestID string) (catalog.Item, error) {
	const method = "CreateItem"
	var cl claim
	err := inTx(ctx, s.pool, func(b *pgx.Batch) {
		cl = claim{requestID: requestID, method: method, resourceID: it.SKU, digest: requestid.FromContext(ctx)}
		cl.queue(b)
		b.Queue(`INSERT INTO items (sku, name, unit_of_measure, currency_code, list_price, standard_cost, tax_rate,
				reorder_point, reorder_quantity)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
			RETURNING version, create_time, update_time`,
			it.SKU, it.Name, it.UnitOfMeasure, it.ListPrice.Currency, it.ListPrice.Amount, it.StandardCost.Amount, it.TaxRate,
			it.ReorderPoint, it.ReorderQuantity).
			QueryRow(func(row pgx.Row) error { return row.Scan(&it.Version, &it.CreateTime, &it.UpdateTime) })
		b.Queue(`INSERT INTO stock_totals (sku) VALUES ($1)`, it.SKU)
	}, func(tx pgx.Tx) error {
		return s.appendItem(ctx, tx, catalog.EventCreated, it)
	})
	switch {
	case claimLost(err):
		sku, err := s.previous(ctx, requestID, method)
		if err != nil {
			return catalog.Item{}, err
		}
		return s.GetItem(ctx, sku)
	case pg.IsUniqueViolation(err, "items_pkey"):
		return catalog.Item{}, errs.AlreadyExistsf("item %q already exists", it.SKU)
	case err != nil:
		return catalog.Item{}, fmt.Errorf("create item %s: %w", it.SKU, err)
	}
	return it, nil
}

func (s *Store) appendItem(ctx context.Context, tx pgx.Tx, typ string, it catalog.Item) error {
	payload, err := s.enc.Item(it)
	if err != nil {
		return fmt.Errorf("encode item %s: %w", it.SKU, err)
	}
	return feed.Append(ctx, tx, event(ctx, typ, it.SKU, payload))
}

// GetItem implements catalog.Store.
func (s *Store) GetItem(ctx context.Context, sku string) (catalog.Item, error) {
	it, err := scanItem(s.pool.QueryRow(ctx, `SELECT `+itemCols+` FROM items WHERE sku = $1`, sku))
	if pg.IsNoRows(err) {
		return catalog.Item{}, errs.NotFoundf("item %q", sku)
	}
	if err != nil {
		return catalog.Item{}, fmt.Errorf("get item %s: %w", sku, err)
	}
	return it, nil
}

// ListItems implements catalog.Store.
func (s *Store) ListItems(ctx context.Context, q catalog.ListQuery) ([]catalog.Item, bool, error) {
	var args []any
	filter, err := where(q.Filter, itemFilter, &args)
	if err != nil {
		return nil, false, err
	}
	after := ""
	if q.After != "" {
		after = "sku > " + arg(&args, q.After)
	}
	sql := `SELECT ` + itemCols + ` FROM items WHERE ` + and(filter, after) +
		` ORDER BY sku LIMIT ` + arg(&args, q.PageSize+1)
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, false, fmt.Errorf("list items: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (catalog.Item, error) { return scanItem(row) })
	if err != nil {
		return nil, false, fmt.Errorf("list items: %w", err)
	}
	if len(out) > q.PageSize {
		return out[:q.PageSize], true, nil
	}
	return out, false, nil
}

// revaluation is the journal entry of item cur becoming next with onHand
// in stock: what the new standard cost changes of its stock's value,
// Dr Inventory / Cr Inventory adjustments (the other way round for a
// fall); ok is false when it changes nothing.
func revaluation(cur, next catalog.Item, onHand decimal.Decimal) (ledger.Entry, bool) {
	if next.StandardCost.Currency != cur.StandardCost.Currency || next.StandardCost.Amount.Equal(cur.StandardCost.Amount) {
		return ledger.Entry{}, false
	}
	value := ledger.StockValueChange(decimal.Zero, onHand, next.StandardCost).Sub(ledger.StockValueChange(decimal.Zero, onHand, cur.StandardCost))
	return ledger.Transfer(ledger.KindRevaluation, "items/"+cur.SKU, cur.StandardCost.Currency,
		ledger.Inventory, ledger.InventoryAdjustments, value)
}

// UpdateItem implements catalog.Store.
func (s *Store) UpdateItem(ctx context.Context, sku string, etag int64, change func(catalog.Item) (catalog.Item, error)) (catalog.Item, error) {
	var out, cur catalog.Item
	var lockErr error
	var set *stockSet
	err := inTx(ctx, s.pool, func(b *pgx.Batch) {
		// The SKU's stock lock first, as every stock writer takes it: a
		// receipt or shipment values stock at the cost it reads under that
		// lock, so the stock on hand read here stays what it is until the
		// new cost has committed.
		// (queueLockSKU takes it also for an item with no stock row yet.)
		queueLockSKU(b, sku)
		set = newStockSet()
		queueLockStock(b, set, "sku = $1", sku)
		b.Queue(`SELECT `+itemCols+` FROM items WHERE sku = $1 FOR UPDATE`, sku).
			QueryRow(func(row pgx.Row) error {
				cur, lockErr = scanItem(row)
				return nil
			})
	}, func(tx pgx.Tx) error {
		if pg.IsNoRows(lockErr) {
			return errs.NotFoundf("item %q", sku)
		}
		if lockErr != nil {
			return fmt.Errorf("lock item %s: %w", sku, lockErr)
		}
		if etag != 0 && etag != cur.Version {
			return errs.StaleEtag("item " + sku)
		}
		next, err := change(cur)
		if err != nil {
			return err
		}
		next.SKU, next.CreateTime = cur.SKU, cur.CreateTime
		onHand := decimal.Zero
		if a := set.items[sku]; a != nil {
			onHand = a.OnHand
		}
		if err := catalog.CheckCostCurrency(cur, next, onHand); err != nil {
			return err
		}
		if catalog.UnitChanged(cur, next) {
			// Read under the SKU's stock lock, which every writer that
			// reserves, ships or receives it takes too (a draft order
			// created meanwhile is not held off).
			use := catalog.UnitUse{OnHand: onHand}
			if err := tx.QueryRow(ctx, `SELECT
					(SELECT count(*) FROM purchase_order_lines l JOIN purchase_orders o ON o.id = l.order_id
					 WHERE l.sku = $1 AND l.received_quantity < l.quantity AND o.status IN ('DRAFT', 'ORDERED', 'PARTIALLY_RECEIVED')),
					(SELECT count(*) FROM sales_order_lines l JOIN sales_orders o ON o.id = l.order_id
					 WHERE l.sku = $1 AND l.shipped_quantity < l.quantity AND o.status IN ('DRAFT', 'CONFIRMED', 'ON_CREDIT_HOLD', 'PARTIALLY_SHIPPED'))`,
				sku).Scan(&use.OpenPurchaseLines, &use.OpenSalesLines); err != nil {
				return fmt.Errorf("read open orders of %s: %w", sku, err)
			}
			if err := catalog.CheckUnitOfMeasure(cur, next, use); err != nil {
				return err
			}
		}
		if next.Same(cur) {
			out = cur // no change: no new version, no event
			return nil
		}
		next.Version = cur.Version + 1
		err = tx.QueryRow(ctx, `UPDATE items SET name = $2, unit_of_measure = $3, currency_code = $4, list_price = $5,
				standard_cost = $6, tax_rate = $7, version = $8, reorder_point = $9, reorder_quantity = $10, update_time = now()
			WHERE sku = $1 RETURNING update_time`,
			sku, next.Name, next.UnitOfMeasure, next.ListPrice.Currency, next.ListPrice.Amount, next.StandardCost.Amount,
			next.TaxRate, next.Version, next.ReorderPoint, next.ReorderQuantity).Scan(&next.UpdateTime)
		if err != nil {
			return fmt.Errorf("update item %s: %w", sku, err)
		}
		// A new standard cost revalues the stock on hand, so the inventory
		// account stays the stock valuation (the currency cannot change
		// while there is stock, CheckCostCurrency).
		if e, ok := revaluation(cur, next, onHand); ok {
			var b pgx.Batch
			if err := queueJournal(&b, []ledger.Entry{e}, auth.Actor(ctx)); err != nil {
				return err
			}
			if err := tx.SendBatch(ctx, &b).Close(); err != nil {
				return fmt.Errorf("revalue item %s: %w", sku, err)
			}
		}
		out = next
		return s.appendItem(ctx, tx, catalog.EventUpdated, next)
	})
	return out, err
}

// units maps SKUs to their units of measure, to hold new quantities to
// catalog.QuantityViolation.
type units map[string]string

// queueUnits queues, into b, the read of the units of the items cond
// selects into u.
func queueUnits(b *pgx.Batch, u units, cond string, args ...any) {
	b.Queue(`SELECT sku, unit_of_measure FROM items WHERE `+cond, args...).
		Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var sku, unit string
				if err := rows.Scan(&sku, &unit); err != nil {
					return err
				}
				u[sku] = unit
			}
			return rows.Err()
		})
}

// check adds a violation naming field when q is no quantity of sku's
// unit (a fraction of a count unit); an unknown SKU is left to the caller.
func (u units) check(v *errs.Violations, field, sku string, q decimal.Decimal) {
	if unit, ok := u[sku]; ok {
		if msg := catalog.QuantityViolation(unit, q); msg != "" {
			v.Add(field, "%s", msg)
		}
	}
}
