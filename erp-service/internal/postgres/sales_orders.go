package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/erp-service/internal/sales"
	"github.com/seamhq/seam/erp-service/internal/stock"
	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/feed"
	"github.com/seamhq/seam/platform/money"
	"github.com/seamhq/seam/platform/pg"
	"github.com/seamhq/seam/platform/requestid"
)

// orderCols selects an order and one of its lines, from "o" and "l".
const orderCols = `o.id, o.number, coalesce(o.external_ref, ''), o.customer_id, o.currency_code, o.status,
	o.total, o.backordered, o.cancel_reason, o.revision, o.create_time, o.update_time,
	o.credit_released_by, o.credit_release_time, o.credit_release_reason,
	l.line_number, l.sku, l.quantity, l.unit_price, l.discount_percent, l.amount,
	l.reserved_quantity, l.backordered_quantity, l.shipped_quantity, l.invoiced_quantity`

var orderFilter = map[string]column{
	"customer_id":  {expr: "customer_id", uuid: true},
	"status":       {expr: "status"},
	"external_ref": {expr: "external_ref", nullable: true},
}

// orderNumber renders a number drawn from sales_order_number_seq:
// "SO-000042", growing past six digits when it must. Numbers are unique,
// not gapless: a create that rolls back (or finds its external_ref taken)
// has used one up.
func orderNumber(n int64) string { return fmt.Sprintf("SO-%06d", n) }

// scanOrders reads rows of orderCols (plus extra destinations, read from
// the first row), grouping consecutive rows of one order.
func scanOrders(rows pgx.Rows, extra ...any) ([]sales.Order, error) {
	defer rows.Close()
	var out []sales.Order
	for rows.Next() {
		var o sales.Order
		var l sales.Line
		var status string
		var rel sales.CreditRelease
		var relTime *time.Time
		dest := []any{&o.ID, &o.Number, &o.ExternalRef, &o.CustomerID, &o.CurrencyCode, &status,
			&o.Total.Amount, &o.Backordered, &o.CancelReason, &o.Revision, &o.CreateTime, &o.UpdateTime,
			&rel.By, &relTime, &rel.Reason,
			&l.Number, &l.SKU, &l.Quantity, &l.UnitPrice.Amount, &l.Discount, &l.Amount.Amount,
			&l.Reserved, &l.Backordered, &l.Shipped, &l.Invoiced}
		if len(out) == 0 {
			dest = append(dest, extra...)
		} else {
			for range extra {
				dest = append(dest, nil)
			}
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		l.UnitPrice.Currency, l.Amount.Currency = o.CurrencyCode, o.CurrencyCode
		if n := len(out); n > 0 && out[n-1].ID == o.ID {
			out[n-1].Lines = append(out[n-1].Lines, l)
			continue
		}
		o.Status = sales.Status(status)
		if relTime != nil {
			rel.Time = *relTime
			o.CreditRelease = &rel
		}
		o.Total.Currency = o.CurrencyCode
		o.Lines = []sales.Line{l}
		out = append(out, o)
	}
	return out, rows.Err()
}

// getOrder reads an order through q (the pool or a transaction).
func getOrder(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, id string) (sales.Order, error) {
	if !canonicalID(&id) {
		return sales.Order{}, errs.NotFoundf("sales order %q", id)
	}
	rows, err := q.Query(ctx, `SELECT `+orderCols+`
		FROM sales_orders o JOIN sales_order_lines l ON l.order_id = o.id
		WHERE o.id = $1 ORDER BY l.line_number`, id)
	if err != nil {
		return sales.Order{}, fmt.Errorf("get sales order %s: %w", id, err)
	}
	orders, err := scanOrders(rows)
	if err != nil {
		return sales.Order{}, fmt.Errorf("get sales order %s: %w", id, err)
	}
	if len(orders) == 0 {
		return sales.Order{}, errs.NotFoundf("sales order %q", id)
	}
	return orders[0], nil
}

// GetOrder implements sales.Store.
func (s *Store) GetOrder(ctx context.Context, id string) (sales.Order, error) {
	return getOrder(ctx, s.pool, id)
}

// ListOrders implements sales.Store.
func (s *Store) ListOrders(ctx context.Context, q sales.ListQuery) ([]sales.Order, bool, error) {
	var args []any
	filter, err := where(q.Filter, orderFilter, &args)
	if err != nil {
		return nil, false, err
	}
	after, err := afterID(&args, q.After, `id > $after::uuid`)
	if err != nil {
		return nil, false, err
	}
	sql := `SELECT ` + orderCols + `
		FROM (SELECT * FROM sales_orders WHERE ` + and(filter, after) + ` ORDER BY id LIMIT ` + arg(&args, q.PageSize+1) + `) o
		JOIN sales_order_lines l ON l.order_id = o.id
		ORDER BY o.id, l.line_number`
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, false, fmt.Errorf("list sales orders: %w", err)
	}
	out, err := scanOrders(rows)
	if err != nil {
		return nil, false, fmt.Errorf("list sales orders: %w", err)
	}
	if len(out) > q.PageSize {
		return out[:q.PageSize], true, nil
	}
	return out, false, nil
}

// errOrderExists carries the id of an order that already has the
// external_ref a create asked for.
type errOrderExists struct{ id string }

func (e errOrderExists) Error() string { return "sales order " + e.id + " has the external_ref" }

// CreateOrder implements sales.Store.
func (s *Store) CreateOrder(ctx context.Context, n sales.NewOrder, id, requestID string) (sales.Order, error) {
	const method = "CreateSalesOrder"
	if !canonicalID(&n.CustomerID) {
		return sales.Order{}, errs.Invalid("customer_id", "must be the id (a UUID) of a customer")
	}
	var skus []string
	for _, l := range n.Lines {
		if !slices.Contains(skus, l.SKU) {
			skus = append(skus, l.SKU)
		}
	}
	var out sales.Order
	var existing string
	var customerExists bool
	var prices map[string]money.Money
	var itemUnits units
	var set *stockSet
	var credit sales.Credit
	var number *int64
	var now time.Time
	// Two round trips: BEGIN with the locks and reads, then the writes
	// with COMMIT.
	err := pg.InTxBatchCommit(ctx, s.pool, func(b *pgx.Batch) {
		// Read what the order depends on, with BEGIN; to confirm it too,
		// first lock the stock of its SKUs and, when it has a credit
		// limit, the customer (in the order a confirm takes them).
		existing, customerExists, prices, itemUnits = "", false, map[string]money.Money{}, units{}
		set, credit = newStockSet(), sales.Credit{}
		if n.Confirm {
			queueLockStock(b, set, `sku = ANY($1::text[])`, skus)
			queueCreditOf(b, &credit, `$1::uuid`, n.CustomerID, id)
		}
		// The order's number is drawn now, so that the events can be
		// written with the order in one round trip; not for a create that
		// repeats an earlier one (by external_ref or request_id), so that
		// retries leave no gaps.
		b.Queue(`SELECT EXISTS (SELECT 1 FROM customers WHERE id = $1), e.id,
				CASE WHEN e.id IS NULL AND NOT EXISTS (SELECT 1 FROM idempotency_keys WHERE request_id = NULLIF($3, ''))
				THEN nextval('sales_order_number_seq') END,
				now()
			FROM (SELECT (SELECT id::text FROM sales_orders WHERE external_ref = NULLIF($2, '')) AS id) e`,
			n.CustomerID, n.ExternalRef, requestID).
			QueryRow(func(row pgx.Row) error {
				var ref *string
				if err := row.Scan(&customerExists, &ref, &number, &now); err != nil {
					return err
				}
				if ref != nil {
					existing = *ref
				}
				return nil
			})
		b.Queue(`SELECT sku, currency_code, list_price, unit_of_measure FROM items WHERE sku = ANY($1)`, skus).
			Query(func(rows pgx.Rows) error {
				for rows.Next() {
					var sku, unit string
					var m money.Money
					if err := rows.Scan(&sku, &m.Currency, &m.Amount, &unit); err != nil {
						return err
					}
					prices[sku], itemUnits[sku] = m, unit
				}
				return rows.Err()
			})
	}, func() (*pgx.Batch, error) {
		switch {
		case existing != "":
			return nil, errOrderExists{existing}
		case number == nil:
			return nil, errReplayed // the request_id is taken
		}
		var v errs.Violations
		if !customerExists {
			v.Add("customer_id", "no customer has id %q", n.CustomerID)
		}
		for i, l := range n.Lines {
			itemUnits.check(&v, fmt.Sprintf("lines[%d].quantity", i), l.SKU, l.Quantity)
		}
		o, err := sales.Build(id, n, prices)
		if merr := v.Merge("", err); merr != nil {
			return nil, merr
		}
		if err := v.Err(); err != nil {
			return nil, err
		}
		// To confirm, the draft is kept for the created event and the
		// order confirmed as ConfirmSalesOrder would.
		draft := o
		var changes []stock.Change
		confirmed := sales.EventConfirmed
		if n.Confirm {
			o.Lines = slices.Clone(o.Lines)
			var held bool
			changes, _, held, err = o.ConfirmWithCredit(0, credit, set.items)
			if err != nil {
				return nil, err
			}
			if held {
				confirmed = sales.EventCreditHold
			}
		}

		o.Number, o.CreateTime, o.UpdateTime = orderNumber(*number), now, now
		draft.Number, draft.CreateTime, draft.UpdateTime = o.Number, now, now
		payload, err := s.enc.SalesOrder(draft)
		if err != nil {
			return nil, fmt.Errorf("encode sales order %s: %w", id, err)
		}
		events := []feed.NewEvent{event(ctx, sales.EventCreated, o.ID, payload)}

		// Write the order and its lines in one statement, with the stock
		// changes of confirming it and the events; a concurrent create with
		// the same external_ref or request_id makes a statement fail, and
		// so the commit they go out with.
		cl := claim{requestID: requestID, method: method, resourceID: id, digest: requestid.FromContext(ctx)}
		var w pgx.Batch
		cl.queue(&w)
		k := len(o.Lines)
		numbers, lineSKUs := make([]int32, k), make([]string, k)
		qty, price, disc, amount := make([]decimal.Decimal, k), make([]decimal.Decimal, k), make([]decimal.Decimal, k), make([]decimal.Decimal, k)
		reserved, backordered := make([]decimal.Decimal, k), make([]decimal.Decimal, k)
		for i, l := range o.Lines {
			numbers[i], lineSKUs[i] = l.Number, l.SKU
			qty[i], price[i], disc[i], amount[i] = l.Quantity, l.UnitPrice.Amount, l.Discount, l.Amount.Amount
			reserved[i], backordered[i] = l.Reserved, l.Backordered
		}
		w.Queue(`WITH o AS (
				INSERT INTO sales_orders (id, number, external_ref, customer_id, currency_code, status, total, revision, backordered,
				  create_time, update_time)
				VALUES ($1, $17, NULLIF($2, ''), $3, $4, $5, $6, $7, $8, $18, $18)
				RETURNING id
			), l AS (
				INSERT INTO sales_order_lines (order_id, line_number, sku, quantity, unit_price, discount_percent, amount,
				  reserved_quantity, backordered_quantity)
				SELECT o.id, u.n, u.sku, u.q, u.p, u.d, u.a, u.r, u.b
				FROM o, unnest($9::int[], $10::text[], $11::numeric[], $12::numeric[], $13::numeric[], $14::numeric[],
				  $15::numeric[], $16::numeric[]) AS u(n, sku, q, p, d, a, r, b)
			)
			SELECT 1`,
			o.ID, o.ExternalRef, o.CustomerID, o.CurrencyCode, string(o.Status), o.Total.Amount, o.Revision, o.Backordered,
			numbers, lineSKUs, qty, price, disc, amount, reserved, backordered, o.Number, now)
		if err := queueChanges(&w, set, changes, auth.Actor(ctx)); err != nil {
			return nil, err
		}
		if n.Confirm {
			stockEvents, err := s.stockEvents(ctx, set, changes)
			if err != nil {
				return nil, err
			}
			payload, err := s.enc.SalesOrder(o)
			if err != nil {
				return nil, fmt.Errorf("encode sales order %s: %w", id, err)
			}
			events = append(append(events, stockEvents...), event(ctx, confirmed, o.ID, payload))
		}
		if err := feed.Queue(&w, events...); err != nil {
			return nil, err
		}
		out = o
		return &w, nil
	})
	switch {
	case claimLost(err):
		err = errReplayed
	case pg.IsUniqueViolation(err, "sales_orders_external_ref_key"):
		err = errOrderExists{} // lost the race for the external_ref
	}
	var exists errOrderExists
	switch {
	case errors.As(err, &exists):
		if exists.id == "" {
			// Lost the race for the external_ref: the winner has committed.
			err := s.pool.QueryRow(ctx, `SELECT id FROM sales_orders WHERE external_ref = $1`, n.ExternalRef).Scan(&exists.id)
			if err != nil {
				return sales.Order{}, fmt.Errorf("find sales order by external_ref %q: %w", n.ExternalRef, err)
			}
		}
		o, err := s.GetOrder(ctx, exists.id)
		if err != nil {
			return sales.Order{}, err
		}
		// The same reference from another customer is another order, not
		// a retry: answering with this one would drop it and hand one
		// customer's order to the caller of another.
		if o.CustomerID != n.CustomerID {
			return sales.Order{}, errs.AlreadyExistsf("external_ref %q is another customer's order; an order's external_ref is unique across customers", n.ExternalRef)
		}
		return o, nil
	case errors.Is(err, errReplayed):
		prev, err := s.previous(ctx, requestID, method)
		if err != nil {
			return sales.Order{}, err
		}
		return s.GetOrder(ctx, prev)
	case err != nil:
		return sales.Order{}, err
	}
	return out, nil
}

// orderLock is what a transition of an order reads under lock.
type orderLock struct {
	order sales.Order
	found bool
	stock *stockSet
	held  []sales.Held
	now   time.Time
	// credit is read when withCredit; eventType, when set by an apply
	// function, replaces the transition's event type.
	credit    sales.Credit
	eventType string
}

// queueLockOrder queues, into b, locking the stock of the order's SKUs
// (see queueLockStock), then the order, and reading them; it also claims
// the request_id, and with heldToo reads what the order holds in the
// ledger. check tells what the batch found once it has run.
func queueLockOrder(b *pgx.Batch, lk *orderLock, cl *claim, id string, heldToo bool) {
	queueLockOrderCredit(b, lk, cl, id, heldToo, false)
}

// queueLockOrderCredit is queueLockOrder that, withCredit, also locks the
// order's customer (after the SKUs, before the order, so money writers,
// which lock the customer and then its orders, never wait in a cycle with
// it) and reads its credit exposure.
func queueLockOrderCredit(b *pgx.Batch, lk *orderLock, cl *claim, id string, heldToo, withCredit bool, extraSKUs ...string) {
	if len(extraSKUs) > 0 {
		queueLockStock(b, lk.stock, `sku IN (SELECT sku FROM sales_order_lines WHERE order_id = $1) OR sku = ANY($2::text[])`, id, extraSKUs)
	} else {
		queueLockStock(b, lk.stock, `sku IN (SELECT sku FROM sales_order_lines WHERE order_id = $1)`, id)
	}
	if withCredit {
		queueCredit(b, &lk.credit, id)
	}
	pg.QueueKeyLock(b, "salesOrders/"+id)
	b.Queue(`SELECT `+orderCols+`, now()
		FROM sales_orders o JOIN sales_order_lines l ON l.order_id = o.id
		WHERE o.id = $1 ORDER BY l.line_number FOR UPDATE OF o`, id).
		Query(func(rows pgx.Rows) error {
			orders, err := scanOrders(rows, &lk.now)
			if err != nil || len(orders) == 0 {
				return err
			}
			lk.order, lk.found = orders[0], true
			return nil
		})
	cl.queue(b)
	if heldToo {
		b.Queue(`SELECT sku, warehouse, sum(reserved_delta) FROM stock_moves
			WHERE reference = $1 GROUP BY sku, warehouse HAVING sum(reserved_delta) <> 0
			ORDER BY sku, warehouse`, "salesOrders/"+id).
			Query(func(rows pgx.Rows) error {
				for rows.Next() {
					var h sales.Held
					if err := rows.Scan(&h.SKU, &h.Warehouse, &h.Quantity); err != nil {
						return err
					}
					lk.held = append(lk.held, h)
				}
				return rows.Err()
			})
	}
}

// check reports what a lock batch found wrong.
func (lk *orderLock) check(cl *claim, id string) error {
	if !lk.found {
		return errs.NotFoundf("sales order %q", id)
	}
	// The SKUs were locked from the lines the locking statement saw; a
	// line added by an amendment that committed while it waited is read
	// here (and its stock by the statement after the locks) without its
	// SKU locked. Run again then.
	for _, l := range lk.order.Lines {
		if !lk.stock.locked[l.SKU] {
			return errLinesMoved
		}
	}
	return nil
}

// saveTransition writes a changed order (status, lines' reservations) with
// its stock changes and events.
func (s *Store) saveTransition(ctx context.Context, tx pgx.Tx, lk *orderLock, changes []stock.Change, eventType string) error {
	o := &lk.order
	o.UpdateTime = lk.now
	var b pgx.Batch
	if err := queueChanges(&b, lk.stock, changes, auth.Actor(ctx)); err != nil {
		return err
	}
	k := len(o.Lines)
	numbers := make([]int32, k)
	reserved, backordered, shipped := make([]decimal.Decimal, k), make([]decimal.Decimal, k), make([]decimal.Decimal, k)
	for i, l := range o.Lines {
		numbers[i], reserved[i], backordered[i], shipped[i] = l.Number, l.Reserved, l.Backordered, l.Shipped
	}
	b.Queue(`UPDATE sales_order_lines l SET reserved_quantity = u.r, backordered_quantity = u.b, shipped_quantity = u.s
		FROM unnest($2::int[], $3::numeric[], $4::numeric[], $5::numeric[]) AS u(n, r, b, s)
		WHERE l.order_id = $1 AND l.line_number = u.n`, o.ID, numbers, reserved, backordered, shipped)
	if r := o.CreditRelease; r != nil {
		b.Queue(`UPDATE sales_orders SET credit_released_by = $2, credit_release_time = $3, credit_release_reason = $4
			WHERE id = $1`, o.ID, r.By, r.Time, r.Reason)
	}
	b.Queue(`UPDATE sales_orders SET status = $2, backordered = $3, cancel_reason = $4, revision = $5, update_time = now()
		WHERE id = $1`, o.ID, string(o.Status), o.Backordered, o.CancelReason, o.Revision)
	if err := tx.SendBatch(ctx, &b).Close(); err != nil {
		if pg.IsCheckViolation(err, "") {
			return errs.FailedPreconditionf("sales order %s: the change would break a stock rule; read it again and retry", o.Number)
		}
		return fmt.Errorf("save sales order %s: %w", o.ID, err)
	}
	events, err := s.stockEvents(ctx, lk.stock, changes)
	if err != nil {
		return err
	}
	payload, err := s.enc.SalesOrder(*o)
	if err != nil {
		return fmt.Errorf("encode sales order %s: %w", o.ID, err)
	}
	events = append(events, event(ctx, eventType, o.ID, payload))
	return feed.Append(ctx, tx, events...)
}

// transition runs a locked read-modify-write of an order.
func (s *Store) transition(ctx context.Context, method, id, requestID string, heldToo bool,
	apply func(lk *orderLock) ([]stock.Change, bool, error), eventType string) (sales.Order, error) {
	if !canonicalID(&id) {
		return sales.Order{}, errs.NotFoundf("sales order %q", id)
	}
	var out sales.Order
	var lk *orderLock
	var cl claim
	withCredit := method == "ConfirmSalesOrder"
	err := inTx(ctx, s.pool, func(b *pgx.Batch) {
		lk = &orderLock{stock: newStockSet()}
		cl = claim{requestID: requestID, method: method, resourceID: id, digest: requestid.FromContext(ctx)}
		queueLockOrderCredit(b, lk, &cl, id, heldToo, withCredit)
	}, func(tx pgx.Tx) error {
		if err := lk.check(&cl, id); err != nil {
			return err
		}
		changes, changed, err := apply(lk)
		if err != nil {
			return err
		}
		out = lk.order
		if !changed {
			return nil
		}
		typ := eventType
		if lk.eventType != "" {
			typ = lk.eventType
		}
		if err := s.saveTransition(ctx, tx, lk, changes, typ); err != nil {
			return err
		}
		out = lk.order
		return nil
	})
	if claimLost(err) {
		if err := s.replayOf(ctx, requestID, method, id, "sales order"); err != nil {
			return sales.Order{}, err
		}
		return s.GetOrder(ctx, id)
	}
	if err != nil {
		return sales.Order{}, err
	}
	return out, nil
}

// ConfirmOrder implements sales.Store.
func (s *Store) ConfirmOrder(ctx context.Context, id string, etag int64, requestID string) (sales.Order, error) {
	return s.transition(ctx, "ConfirmSalesOrder", id, requestID, false,
		func(lk *orderLock) ([]stock.Change, bool, error) {
			changes, changed, held, err := lk.order.ConfirmWithCredit(etag, lk.credit, lk.stock.items)
			if held {
				lk.eventType = sales.EventCreditHold
			}
			return changes, changed, err
		}, sales.EventConfirmed)
}

// ReleaseCreditHold implements sales.Store.
func (s *Store) ReleaseCreditHold(ctx context.Context, id string, etag int64, reason, requestID string) (sales.Order, error) {
	actor := auth.Actor(ctx)
	return s.transition(ctx, "ReleaseCreditHold", id, requestID, false,
		func(lk *orderLock) ([]stock.Change, bool, error) {
			return lk.order.ReleaseCreditHold(etag, sales.CreditRelease{By: actor, Time: lk.now, Reason: reason}, lk.stock.items)
		}, sales.EventReleased)
}

// queueCredit queues locking the customer of order id and reading its
// credit limit and exposure in its currency without the order: open
// amounts of invoices that are not void, plus the value (money.LineAmount)
// of the uninvoiced quantities of its other confirmed, partially shipped
// or shipped orders. A customer without a limit has nothing to check: it
// is neither locked (so its orders confirm in parallel) nor is its
// exposure read.
func queueCredit(b *pgx.Batch, c *sales.Credit, id string) {
	queueCreditOf(b, c, `(SELECT customer_id FROM sales_orders WHERE id = $1::uuid)`, id, id)
}

// queueCreditOf is queueCredit for the customer that the SQL expression
// customer names with $1 = arg, leaving out order id.
func queueCreditOf(b *pgx.Batch, c *sales.Credit, customer string, arg any, id string) {
	queueLockCustomers(b, `id = `+customer+` AND credit_limit IS NOT NULL`, arg)
	b.Queue(`SELECT currency_code, credit_limit FROM customers
		WHERE id = `+customer+` AND credit_limit IS NOT NULL
		FOR UPDATE`, arg).
		Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var limit decimal.NullDecimal
				if err := rows.Scan(&c.Currency, &limit); err != nil {
					return err
				}
				if limit.Valid {
					c.Limit = &limit.Decimal
				}
			}
			return rows.Err()
		})
	// Both exposure reads start with a one-time check (an uncorrelated
	// EXISTS, which PostgreSQL evaluates once before anything else) that
	// the customer has a limit, so for one without they read nothing else.
	limited := `EXISTS (SELECT 1 FROM customers WHERE id = ` + customer + ` AND credit_limit IS NOT NULL)`
	b.Queue(`SELECT coalesce(sum(i.total - i.paid_amount - i.credited_amount), 0) FROM invoices i
		WHERE `+limited+` AND i.customer_id = `+customer+`
		  AND i.currency_code = (SELECT currency_code FROM customers WHERE id = `+customer+`) AND i.status <> 'VOID'`, arg).
		QueryRow(func(row pgx.Row) error { return row.Scan(&c.Exposure) })
	b.Queue(`SELECT l.quantity - l.invoiced_quantity, l.unit_price, l.discount_percent
		FROM sales_orders o JOIN sales_order_lines l ON l.order_id = o.id
		WHERE `+limited+` AND o.customer_id = `+customer+` AND o.id <> $2
		  AND o.currency_code = (SELECT currency_code FROM customers WHERE id = `+customer+`)
		  AND o.status IN ('CONFIRMED', 'PARTIALLY_SHIPPED', 'SHIPPED') AND l.quantity > l.invoiced_quantity`, arg, id).
		Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var q, price, discount decimal.Decimal
				if err := rows.Scan(&q, &price, &discount); err != nil {
					return err
				}
				c.Exposure = c.Exposure.Add(money.LineAmount(q, money.Money{Currency: c.Currency, Amount: price}, discount).Amount)
			}
			return rows.Err()
		})
}

// CancelOrder implements sales.Store.
func (s *Store) CancelOrder(ctx context.Context, id string, etag int64, reason, requestID string) (sales.Order, error) {
	return s.transition(ctx, "CancelSalesOrder", id, requestID, true,
		func(lk *orderLock) ([]stock.Change, bool, error) {
			return lk.order.Cancel(etag, reason, lk.held, lk.stock.items)
		}, sales.EventCancelled)
}

// AmendOrder implements sales.Store.
func (s *Store) AmendOrder(ctx context.Context, id string, etag int64, a sales.Amendment, requestID string) (sales.Order, error) {
	const method = "AmendSalesOrder"
	if !canonicalID(&id) {
		return sales.Order{}, errs.NotFoundf("sales order %q", id)
	}
	newSKUs := a.NewSKUs()
	var out sales.Order
	var lk *orderLock
	var cl claim
	var prices map[string]money.Money
	var itemUnits units
	err := inTx(ctx, s.pool, func(b *pgx.Batch) {
		lk = &orderLock{stock: newStockSet()}
		cl = claim{requestID: requestID, method: method, resourceID: id, digest: requestid.FromContext(ctx)}
		prices, itemUnits = map[string]money.Money{}, units{}
		queueLockOrderCredit(b, lk, &cl, id, true, true, newSKUs...)
		queueUnits(b, itemUnits, `sku IN (SELECT sku FROM sales_order_lines WHERE order_id = $1) OR sku = ANY($2)`, id, newSKUs)
		if len(newSKUs) > 0 {
			b.Queue(`SELECT sku, currency_code, list_price FROM items WHERE sku = ANY($1)`, newSKUs).
				Query(func(rows pgx.Rows) error {
					for rows.Next() {
						var sku string
						var m money.Money
						if err := rows.Scan(&sku, &m.Currency, &m.Amount); err != nil {
							return err
						}
						prices[sku] = m
					}
					return rows.Err()
				})
		}
	}, func(tx pgx.Tx) error {
		if err := lk.check(&cl, id); err != nil {
			return err
		}
		var v errs.Violations
		for i, l := range a.Lines {
			sku := l.SKU
			for _, ol := range lk.order.Lines {
				if l.Number != 0 && ol.Number == l.Number {
					sku = ol.SKU
				}
			}
			itemUnits.check(&v, fmt.Sprintf("lines[%d].quantity", i), sku, l.Quantity)
		}
		if err := v.Err(); err != nil {
			return err
		}
		before := len(lk.order.Lines)
		changes, onHold, err := lk.order.Amend(etag, a, prices, lk.held, lk.stock.items, lk.credit)
		if err != nil {
			return err
		}
		o := &lk.order
		// Quantities, amounts and reservations of the existing lines in one
		// statement (so the lines' CHECKs hold at every step), the new lines,
		// the total; saveTransition writes the rest.
		var b pgx.Batch
		var nums []int32
		var qty, amt, res, back []decimal.Decimal
		for _, l := range o.Lines[:before] {
			nums, qty, amt = append(nums, l.Number), append(qty, l.Quantity), append(amt, l.Amount.Amount)
			res, back = append(res, l.Reserved), append(back, l.Backordered)
		}
		b.Queue(`UPDATE sales_order_lines l SET quantity = u.q, amount = u.a, reserved_quantity = u.r, backordered_quantity = u.b
			FROM unnest($2::int[], $3::numeric[], $4::numeric[], $5::numeric[], $6::numeric[]) AS u(n, q, a, r, b)
			WHERE l.order_id = $1 AND l.line_number = u.n`, o.ID, nums, qty, amt, res, back)
		for _, l := range o.Lines[before:] {
			b.Queue(`INSERT INTO sales_order_lines (order_id, line_number, sku, quantity, unit_price, discount_percent, amount,
					reserved_quantity, backordered_quantity)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
				o.ID, l.Number, l.SKU, l.Quantity, l.UnitPrice.Amount, l.Discount, l.Amount.Amount, l.Reserved, l.Backordered)
		}
		b.Queue(`UPDATE sales_orders SET total = $2 WHERE id = $1`, o.ID, o.Total.Amount)
		if err := tx.SendBatch(ctx, &b).Close(); err != nil {
			if pg.IsCheckViolation(err, "") {
				return errs.FailedPreconditionf("sales order %s: the amendment would break a line rule; read it again and retry", o.Number)
			}
			return fmt.Errorf("amend sales order %s: %w", o.ID, err)
		}
		// Amended down to what shipped and was invoiced: PAID when its
		// invoices are.
		if _, err := settle(ctx, tx, o); err != nil {
			return err
		}
		typ := sales.EventAmended
		if onHold {
			typ = sales.EventCreditHold
		}
		if err := s.saveTransition(ctx, tx, lk, changes, typ); err != nil {
			return err
		}
		out = lk.order
		return nil
	})
	if claimLost(err) {
		if err := s.replayOf(ctx, requestID, method, id, "sales order"); err != nil {
			return sales.Order{}, err
		}
		return s.GetOrder(ctx, id)
	}
	if err != nil {
		return sales.Order{}, err
	}
	return out, nil
}
