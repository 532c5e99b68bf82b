package postgres

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/seamhq/seam/erp-service/internal/stock"
	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/feed"
	"github.com/seamhq/seam/platform/pg"
	"github.com/seamhq/seam/platform/requestid"
)

// Transfer implements stock.Store. It locks the SKU like every stock
// writer, so the available stock it checks cannot be reserved or shipped
// away before it commits. No journal entry: the stock stays in inventory.
func (s *Store) Transfer(ctx context.Context, t stock.Transfer, requestID string) (stock.Transfer, error) {
	const method = "CreateStockTransfer"
	t.FromWarehouse, t.ToWarehouse = stock.CanonicalCode(t.FromWarehouse), stock.CanonicalCode(t.ToWarehouse)
	actor := auth.Actor(ctx)
	var cl claim
	var set *stockSet
	var found []string
	var itemUnits units
	var out stock.Transfer
	err := inTx(ctx, s.pool, func(b *pgx.Batch) {
		cl = claim{requestID: requestID, method: method, resourceID: t.ID, digest: requestid.FromContext(ctx)}
		set = newStockSet()
		found = nil
		queueLockStock(b, set, "sku = $1", t.SKU)
		cl.queue(b)
		itemUnits = units{}
		queueUnits(b, itemUnits, "sku = $1", t.SKU)
		b.Queue(`SELECT code FROM warehouses WHERE code IN ($1, $2)`, t.FromWarehouse, t.ToWarehouse).
			Query(func(rows pgx.Rows) error {
				for rows.Next() {
					var code string
					if err := rows.Scan(&code); err != nil {
						return err
					}
					found = append(found, code)
				}
				return rows.Err()
			})
	}, func(tx pgx.Tx) error {
		var v errs.Violations
		a, ok := set.items[t.SKU]
		if !ok {
			v.Add("sku", "no item has SKU %q", t.SKU)
		}
		if !slices.Contains(found, t.FromWarehouse) {
			v.Add("from_warehouse", "no warehouse has code %q", t.FromWarehouse)
		}
		if !slices.Contains(found, t.ToWarehouse) {
			v.Add("to_warehouse", "no warehouse has code %q", t.ToWarehouse)
		}
		itemUnits.check(&v, "quantity", t.SKU, t.Quantity)
		if err := v.Err(); err != nil {
			return err
		}
		var from stock.Level
		for _, l := range a.Warehouses {
			if l.Warehouse == t.FromWarehouse {
				from = l
			}
		}
		changes, err := t.Changes(from)
		if err != nil {
			return err
		}
		for _, c := range changes {
			a.Apply(c)
		}
		var w pgx.Batch
		if err := queueChanges(&w, set, changes, actor); err != nil {
			return err
		}
		err = tx.SendBatch(ctx, &w).Close()
		if pg.IsCheckViolation(err, "") {
			return errs.FailedPreconditionf("transferring %s of %s out of %s would take its stock below what is reserved", t.Quantity, t.SKU, t.FromWarehouse)
		}
		if err != nil {
			return fmt.Errorf("transfer %s: %w", t.SKU, err)
		}
		events, err := s.stockEvents(ctx, set, changes)
		if err != nil {
			return err
		}
		out = t
		out.CreateTime = set.now
		out.Availability = *a
		return feed.Append(ctx, tx, events...)
	})
	if claimLost(err) {
		id, err := s.previous(ctx, requestID, method)
		if err != nil {
			return stock.Transfer{}, err
		}
		return s.GetTransfer(ctx, id)
	}
	if err != nil {
		return stock.Transfer{}, err
	}
	return out, nil
}

// GetTransfer implements stock.Store: the row out of the source has the
// transfer's id, and both rows name it.
func (s *Store) GetTransfer(ctx context.Context, id string) (stock.Transfer, error) {
	if !canonicalID(&id) {
		return stock.Transfer{}, errs.NotFoundf("stock transfer %q", id)
	}
	t := stock.Transfer{ID: id}
	err := s.pool.QueryRow(ctx, `SELECT o.sku, o.warehouse, i.warehouse, i.on_hand_delta, o.reason, o.created_at
		FROM stock_moves o JOIN stock_moves i ON i.reference = o.reference AND i.on_hand_delta > 0
		WHERE o.id = $1 AND o.reference = $2`, id, t.Reference()).
		Scan(&t.SKU, &t.FromWarehouse, &t.ToWarehouse, &t.Quantity, &t.Reason, &t.CreateTime)
	if pg.IsNoRows(err) {
		return stock.Transfer{}, errs.NotFoundf("stock transfer %q", id)
	}
	if err != nil {
		return stock.Transfer{}, fmt.Errorf("get stock transfer %s: %w", id, err)
	}
	if t.Availability, err = s.Availability(ctx, t.SKU); err != nil {
		return stock.Transfer{}, err
	}
	return t, nil
}
