package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/erp-service/internal/sales"
	"github.com/seamhq/seam/erp-service/internal/shipping"
	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/civil"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/money"
	"github.com/seamhq/seam/platform/requestid"
)

var shipmentFilter = map[string]column{
	"sales_order_id": {expr: "order_id", uuid: true},
}

// CreateShipment implements shipping.Store.
func (s *Store) CreateShipment(ctx context.Context, n shipping.NewShipment, id, requestID string) (shipping.Shipment, error) {
	const method = "CreateShipment"
	if !canonicalID(&n.OrderID) {
		return shipping.Shipment{}, errs.Invalid("sales_order_id", "no sales order has id %q", n.OrderID)
	}
	actor := auth.Actor(ctx)
	var out shipping.Shipment
	var lk *orderLock
	var cl claim
	var costs map[string]shipping.Cost
	var itemUnits units
	err := inTx(ctx, s.pool, func(b *pgx.Batch) {
		lk = &orderLock{stock: newStockSet()}
		cl = claim{requestID: requestID, method: method, resourceID: id, digest: requestid.FromContext(ctx)}
		costs, itemUnits = map[string]shipping.Cost{}, units{}
		queueLockOrder(b, lk, &cl, n.OrderID, true)
		b.Queue(`SELECT sku, currency_code, standard_cost, unit_of_measure FROM items
			WHERE sku IN (SELECT sku FROM sales_order_lines WHERE order_id = $1)`, n.OrderID).
			Query(func(rows pgx.Rows) error {
				for rows.Next() {
					var sku, unit string
					var c money.Money
					if err := rows.Scan(&sku, &c.Currency, &c.Amount, &unit); err != nil {
						return err
					}
					costs[sku], itemUnits[sku] = c, unit
				}
				return rows.Err()
			})
	}, func(tx pgx.Tx) error {
		if !lk.found {
			return errs.Invalid("sales_order_id", "no sales order has id %q", n.OrderID)
		}
		if err := lk.check(&cl, n.OrderID); err != nil {
			return err // lines changed while their SKUs were being locked
		}
		var v errs.Violations
		for i, l := range n.Lines {
			for _, ol := range lk.order.Lines {
				if ol.Number == l.LineNumber {
					itemUnits.check(&v, fmt.Sprintf("lines[%d].quantity", i), ol.SKU, l.Quantity)
				}
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		day := n.ShipDate
		if day.IsZero() {
			day = civil.Today(lk.now)
		}
		if err := shipping.CheckShipDate(day, lk.now); err != nil {
			return err
		}
		sh := shipping.Shipment{ID: id, ShipDate: day}
		changes, entries, err := shipping.Ship(&sh, n, &lk.order, lk.held, lk.stock.items, costs)
		if err != nil {
			return err
		}
		// Invoiced as a whole before it shipped: PAID when its invoices are.
		if _, err := settle(ctx, tx, &lk.order); err != nil {
			return err
		}
		sh.CreateTime = lk.now

		var b pgx.Batch
		queuePeriodOpen(&b, day, "shipment "+sh.Reference(), "ship_date")
		k := len(sh.Lines)
		numbers, whs, skus, curs := make([]int32, k), make([]string, k), make([]string, k), make([]string, k)
		qty, cost := make([]decimal.Decimal, k), make([]decimal.Decimal, k)
		for i, l := range sh.Lines {
			numbers[i], whs[i], skus[i], curs[i] = l.LineNumber, l.Warehouse, l.SKU, l.Cost.Currency
			qty[i], cost[i] = l.Quantity, l.Cost.Amount
		}
		b.Queue(`INSERT INTO shipments (id, order_id, actor, create_time, ship_date) VALUES ($1, $2, $3, $4, $5)`,
			sh.ID, sh.OrderID, actor, sh.CreateTime, sh.ShipDate)
		b.Queue(`INSERT INTO shipment_lines (shipment_id, line_number, warehouse, sku, quantity, cost, cost_currency)
			SELECT $1, n, wh, sku, q, c, cur
			FROM unnest($2::int[], $3::text[], $4::text[], $5::numeric[], $6::numeric[], $7::text[]) AS u(n, wh, sku, q, c, cur)`,
			sh.ID, numbers, whs, skus, qty, cost, curs)
		if err := queueJournal(&b, entries, actor); err != nil {
			return err
		}
		if err := tx.SendBatch(ctx, &b).Close(); err != nil {
			return fmt.Errorf("insert shipment %s: %w", id, err)
		}
		if err := s.saveTransition(ctx, tx, lk, changes, sales.EventShipped); err != nil {
			return err
		}
		out = sh
		return nil
	})
	switch {
	case claimLost(err):
		prev, err := s.previous(ctx, requestID, method)
		if err != nil {
			return shipping.Shipment{}, err
		}
		return s.GetShipment(ctx, prev)
	case err != nil:
		return shipping.Shipment{}, err
	}
	return out, nil
}

// queuePeriodOpen queues, into b, the refusal of a document dated day in
// the closed period (FAILED_PRECONDITION, worded as the journal's trigger
// words it), whether or not it posts a journal line (a shipment of items
// without a standard cost posts none). It takes the period's lock shared
// first, as every posting does, so a close waits for the transaction.
// field, when set, is named by the error's violation.
func queuePeriodOpen(b *pgx.Batch, day time.Time, what, field string) {
	b.Queue(`SELECT pg_advisory_xact_lock_shared(` + periodLockSpace + `, 0)`)
	b.Queue(`SELECT closed_through FROM ledger_period`).QueryRow(func(row pgx.Row) error {
		var closed *time.Time
		if err := row.Scan(&closed); err != nil {
			return err
		}
		if closed != nil && !day.After(*closed) {
			msg := fmt.Sprintf("the books are closed through %s: %s would post on %s, in the closed period; date it on %s or later, or have an admin reopen the period",
				civil.FormatDate(*closed), what, civil.FormatDate(day), civil.FormatDate(closed.AddDate(0, 0, 1)))
			e := &errs.Error{Kind: errs.FailedPrecondition, Message: msg}
			if field != "" {
				e.Violations = []errs.FieldViolation{{Field: field, Description: msg}}
			}
			return e
		}
		return nil
	})
}

// shipmentCols selects a shipment and one of its lines from "s", "o" and "l".
const shipmentCols = `s.id, s.order_id, o.number, s.create_time, s.ship_date,
	l.line_number, l.sku, l.warehouse, l.quantity, l.cost, l.cost_currency`

func scanShipments(rows pgx.Rows) ([]shipping.Shipment, error) {
	defer rows.Close()
	var out []shipping.Shipment
	for rows.Next() {
		var sh shipping.Shipment
		var l shipping.Line
		if err := rows.Scan(&sh.ID, &sh.OrderID, &sh.OrderNumber, &sh.CreateTime, &sh.ShipDate,
			&l.LineNumber, &l.SKU, &l.Warehouse, &l.Quantity, &l.Cost.Amount, &l.Cost.Currency); err != nil {
			return nil, err
		}
		if n := len(out); n > 0 && out[n-1].ID == sh.ID {
			out[n-1].Lines = append(out[n-1].Lines, l)
			continue
		}
		sh.Lines = []shipping.Line{l}
		out = append(out, sh)
	}
	return out, rows.Err()
}

// GetShipment implements shipping.Store.
func (s *Store) GetShipment(ctx context.Context, id string) (shipping.Shipment, error) {
	if !canonicalID(&id) {
		return shipping.Shipment{}, errs.NotFoundf("shipment %q", id)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+shipmentCols+`
		FROM shipments s JOIN sales_orders o ON o.id = s.order_id
		JOIN shipment_lines l ON l.shipment_id = s.id
		WHERE s.id = $1 ORDER BY l.line_number, l.warehouse`, id)
	if err != nil {
		return shipping.Shipment{}, fmt.Errorf("get shipment %s: %w", id, err)
	}
	list, err := scanShipments(rows)
	if err != nil {
		return shipping.Shipment{}, fmt.Errorf("get shipment %s: %w", id, err)
	}
	if len(list) == 0 {
		return shipping.Shipment{}, errs.NotFoundf("shipment %q", id)
	}
	return list[0], nil
}

// ListShipments implements shipping.Store.
func (s *Store) ListShipments(ctx context.Context, q shipping.ListQuery) ([]shipping.Shipment, bool, error) {
	var args []any
	filter, err := where(q.Filter, shipmentFilter, &args)
	if err != nil {
		return nil, false, err
	}
	after, err := afterID(&args, q.After, `id > $after::uuid`)
	if err != nil {
		return nil, false, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+shipmentCols+`
		FROM (SELECT * FROM shipments WHERE `+and(filter, after)+` ORDER BY id LIMIT `+arg(&args, q.PageSize+1)+`) s
		JOIN sales_orders o ON o.id = s.order_id
		JOIN shipment_lines l ON l.shipment_id = s.id
		ORDER BY s.id, l.line_number, l.warehouse`, args...)
	if err != nil {
		return nil, false, fmt.Errorf("list shipments: %w", err)
	}
	out, err := scanShipments(rows)
	if err != nil {
		return nil, false, fmt.Errorf("list shipments: %w", err)
	}
	if len(out) > q.PageSize {
		return out[:q.PageSize], true, nil
	}
	return out, false, nil
}
