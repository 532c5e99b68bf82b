package postgres

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/erp-service/internal/ledger"
	"github.com/seamhq/seam/erp-service/internal/purchasing"
	"github.com/seamhq/seam/erp-service/internal/stock"
	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/feed"
	"github.com/seamhq/seam/platform/listing"
	"github.com/seamhq/seam/platform/money"
	"github.com/seamhq/seam/platform/pg"
	"github.com/seamhq/seam/platform/requestid"
)

var _ purchasing.Store = (*Store)(nil)

const supplierCols = `id, name, currency_code, version, create_time, update_time`

var supplierFilter = map[string]column{
	"name":          {expr: "name"},
	"currency_code": {expr: "currency_code"},
}

func scanSupplier(row pgx.Row) (purchasing.Supplier, error) {
	var s purchasing.Supplier
	err := row.Scan(&s.ID, &s.Name, &s.CurrencyCode, &s.Version, &s.CreateTime, &s.UpdateTime)
	return s, err
}

func (s *Store) appendSupplier(ctx context.Context, tx pgx.Tx, typ string, sup purchasing.Supplier) error {
	payload, err := s.enc.Supplier(sup)
	if err != nil {
		return fmt.Errorf("encode supplier %s: %w", sup.ID, err)
	}
	return feed.Append(ctx, tx, event(ctx, typ, sup.ID, payload))
}

// CreateSupplier implements purchasing.Store.
func (s *Store) CreateSupplier(ctx context.Context, sup purchasing.Supplier, requestID string) (purchasing.Supplier, error) {
	const method = "CreateSupplier"
	var cl claim
	err := inTx(ctx, s.pool, func(b *pgx.Batch) {
		cl = claim{requestID: requestID, method: method, resourceID: sup.ID, digest: requestid.FromContext(ctx)}
		cl.queue(b)
		b.Queue(`INSERT INTO suppliers (id, name, currency_code) VALUES ($1, $2, $3)
			RETURNING version, create_time, update_time`, sup.ID, sup.Name, sup.CurrencyCode).
			QueryRow(func(row pgx.Row) error { return row.Scan(&sup.Version, &sup.CreateTime, &sup.UpdateTime) })
	}, func(tx pgx.Tx) error {
		return s.appendSupplier(ctx, tx, purchasing.EventSupplierCreated, sup)
	})
	if claimLost(err) {
		id, err := s.previous(ctx, requestID, method)
		if err != nil {
			return purchasing.Supplier{}, err
		}
		return s.GetSupplier(ctx, id)
	}
	if err != nil {
		return purchasing.Supplier{}, fmt.Errorf("create supplier %s: %w", sup.ID, err)
	}
	return sup, nil
}

// GetSupplier implements purchasing.Store.
func (s *Store) GetSupplier(ctx context.Context, id string) (purchasing.Supplier, error) {
	if !canonicalID(&id) {
		return purchasing.Supplier{}, errs.NotFoundf("supplier %q", id)
	}
	sup, err := scanSupplier(s.pool.QueryRow(ctx, `SELECT `+supplierCols+` FROM suppliers WHERE id = $1`, id))
	if pg.IsNoRows(err) {
		return purchasing.Supplier{}, errs.NotFoundf("supplier %q", id)
	}
	if err != nil {
		return purchasing.Supplier{}, fmt.Errorf("get supplier %s: %w", id, err)
	}
	return sup, nil
}

// ListSuppliers implements purchasing.Store.
func (s *Store) ListSuppliers(ctx context.Context, q purchasing.ListQuery) ([]purchasing.Supplier, bool, error) {
	var args []any
	filter, err := where(q.Filter, supplierFilter, &args)
	if err != nil {
		return nil, false, err
	}
	after, err := afterID(&args, q.After, `id > $after::uuid`)
	if err != nil {
		return nil, false, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+supplierCols+` FROM suppliers WHERE `+and(filter, after)+
		` ORDER BY id LIMIT `+arg(&args, q.PageSize+1), args...)
	if err != nil {
		return nil, false, fmt.Errorf("list suppliers: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (purchasing.Supplier, error) { return scanSupplier(row) })
	if err != nil {
		return nil, false, fmt.Errorf("list suppliers: %w", err)
	}
	if len(out) > q.PageSize {
		return out[:q.PageSize], true, nil
	}
	return out, false, nil
}

// UpdateSupplier implements purchasing.Store.
func (s *Store) UpdateSupplier(ctx context.Context, id string, etag int64, change func(purchasing.Supplier) (purchasing.Supplier, error)) (purchasing.Supplier, error) {
	if !canonicalID(&id) {
		return purchasing.Supplier{}, errs.NotFoundf("supplier %q", id)
	}
	var out purchasing.Supplier
	err := pg.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		if err := pg.LockKey(ctx, tx, "suppliers/"+id); err != nil {
			return err
		}
		cur, err := scanSupplier(tx.QueryRow(ctx, `SELECT `+supplierCols+` FROM suppliers WHERE id = $1 FOR UPDATE`, id))
		if pg.IsNoRows(err) {
			return errs.NotFoundf("supplier %q", id)
		}
		if err != nil {
			return fmt.Errorf("lock supplier %s: %w", id, err)
		}
		if etag != 0 && etag != cur.Version {
			return errs.StaleEtag("supplier " + id)
		}
		next, err := change(cur)
		if err != nil {
			return err
		}
		next.ID, next.CurrencyCode, next.CreateTime = cur.ID, cur.CurrencyCode, cur.CreateTime
		if next.Same(cur) {
			out = cur // no change: no new version, no event
			return nil
		}
		next.Version = cur.Version + 1
		if err := tx.QueryRow(ctx, `UPDATE suppliers SET name = $2, version = $3, update_time = now()
			WHERE id = $1 RETURNING update_time`, id, next.Name, next.Version).Scan(&next.UpdateTime); err != nil {
			return fmt.Errorf("update supplier %s: %w", id, err)
		}
		out = next
		return s.appendSupplier(ctx, tx, purchasing.EventSupplierUpdated, next)
	})
	return out, err
}

// Purchase orders.

const purchaseOrderCols = `o.id, o.number, o.supplier_id, o.currency_code, o.status, o.total, o.revision,
	o.create_time, o.update_time,
	l.line_number, l.sku, l.quantity, l.unit_cost, l.expected_date, l.received_quantity, l.amount,
	l.billed_quantity`

var purchaseOrderFilter = map[string]column{
	"supplier_id": {expr: "supplier_id", uuid: true},
	"status":      {expr: "status"},
}

// purchaseOrdersSQL is the query of a ListPurchaseOrders page and its
// arguments: the orders after the token's id, by id, with their lines.
// A filter on sku ("=" only) selects the orders with a line of the SKU,
// read from purchase_order_lines (sku, order_id) from the token's id on,
// in id order, so a page of an item's orders costs the same however
// many orders there are; the other conditions narrow them.
func purchaseOrdersSQL(q purchasing.ListQuery) (string, []any, error) {
	var args []any
	var rest []listing.Condition
	var sku *string
	for _, c := range q.Filter {
		if c.Field != "sku" {
			rest = append(rest, c)
			continue
		}
		switch {
		case c.Op != listing.Eq:
			return "", nil, errs.Invalid("filter", `sku must be compared with "=", e.g. sku = "A-100"`)
		case sku != nil && *sku != c.Value:
			return "", nil, errs.Invalid("filter", "sku is compared with two values; an order line has one")
		}
		sku = &c.Value
	}
	filter, err := where(rest, purchaseOrderFilter, &args)
	if err != nil {
		return "", nil, err
	}
	after, lineAfter := "", ""
	if q.After != "" {
		if !canonicalID(&q.After) {
			return "", nil, errs.Invalid("page_token", "is not a token returned by this list")
		}
		p := arg(&args, q.After)
		after, lineAfter = "id > "+p+"::uuid", "order_id > "+p+"::uuid"
	}
	page := `SELECT * FROM purchase_orders WHERE ` + and(filter, after) + ` ORDER BY id`
	if sku != nil {
		// The item's order ids in order, each order looked up by its key
		// and kept if the other conditions hold. The fences keep the
		// planner from hashing every order of a status or supplier and
		// sorting what matches instead: the lateral lookup is a nested
		// loop, which keeps the ids' order.
		page = `SELECT p.* FROM (SELECT DISTINCT order_id FROM purchase_order_lines
				WHERE ` + and("sku = "+arg(&args, *sku), lineAfter) + ` ORDER BY order_id OFFSET 0) k
			CROSS JOIN LATERAL (SELECT * FROM purchase_orders
				WHERE ` + and("id = k.order_id", filter) + ` OFFSET 0) p
			ORDER BY k.order_id`
	}
	return `SELECT ` + purchaseOrderCols + `
		FROM (` + page + ` LIMIT ` + arg(&args, q.PageSize+1) + `) o
		JOIN purchase_order_lines l ON l.order_id = o.id
		ORDER BY o.id, l.line_number`, args, nil
}

// purchaseOrderNumberSQL draws the next number: "PO-000042".
const purchaseOrderNumberSQL = `(SELECT 'PO-' || CASE WHEN n < 1000000 THEN lpad(n::text, 6, '0') ELSE n::text END
	FROM nextval('purchase_order_number_seq') AS n)`

// scanPurchaseOrders reads rows of purchaseOrderCols, ordered by order
// then line.
func scanPurchaseOrders(rows pgx.Rows) ([]purchasing.Order, error) {
	defer rows.Close()
	var out []purchasing.Order
	for rows.Next() {
		var o purchasing.Order
		var l purchasing.Line
		var status string
		if err := rows.Scan(&o.ID, &o.Number, &o.SupplierID, &o.Currency, &status, &o.Total, &o.Revision,
			&o.CreateTime, &o.UpdateTime,
			&l.Number, &l.SKU, &l.Quantity, &l.UnitCost, &l.ExpectedDate, &l.Received, &l.Amount, &l.Billed); err != nil {
			return nil, err
		}
		l.ExpectedDate = l.ExpectedDate.UTC()
		if n := len(out); n > 0 && out[n-1].ID == o.ID {
			out[n-1].Lines = append(out[n-1].Lines, l)
			continue
		}
		o.Status = purchasing.Status(status)
		o.Lines = []purchasing.Line{l}
		out = append(out, o)
	}
	return out, rows.Err()
}

type querier interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}

func getPurchaseOrder(ctx context.Context, q querier, id string, lock bool) (purchasing.Order, error) {
	if !canonicalID(&id) {
		return purchasing.Order{}, errs.NotFoundf("purchase order %q", id)
	}
	sql := `SELECT ` + purchaseOrderCols + `
		FROM purchase_orders o JOIN purchase_order_lines l ON l.order_id = o.id
		WHERE o.id = $1 ORDER BY l.line_number`
	if lock {
		sql += ` FOR UPDATE OF o`
	}
	rows, err := q.Query(ctx, sql, id)
	if err != nil {
		return purchasing.Order{}, fmt.Errorf("get purchase order %s: %w", id, err)
	}
	orders, err := scanPurchaseOrders(rows)
	if err != nil {
		return purchasing.Order{}, fmt.Errorf("get purchase order %s: %w", id, err)
	}
	if len(orders) == 0 {
		return purchasing.Order{}, errs.NotFoundf("purchase order %q", id)
	}
	return orders[0], nil
}

// GetPurchaseOrder implements purchasing.Store.
func (s *Store) GetPurchaseOrder(ctx context.Context, id string) (purchasing.Order, error) {
	return getPurchaseOrder(ctx, s.pool, id, false)
}

// ListPurchaseOrders implements purchasing.Store.
func (s *Store) ListPurchaseOrders(ctx context.Context, q purchasing.ListQuery) ([]purchasing.Order, bool, error) {
	// Planned as the read-through lists are (generic, at SSD page costs):
	// a probe per order of the item, not a hash of every order of a status.
	return readList(ctx, s, "purchase orders", q.PageSize, scanPurchaseOrders)(purchaseOrdersSQL(q))
}

func (s *Store) appendPurchaseOrder(ctx context.Context, tx pgx.Tx, typ string, o purchasing.Order, more ...feed.NewEvent) error {
	payload, err := s.enc.PurchaseOrder(o)
	if err != nil {
		return fmt.Errorf("encode purchase order %s: %w", o.ID, err)
	}
	return feed.Append(ctx, tx, append(more, event(ctx, typ, o.ID, payload))...)
}

// CreatePurchaseOrder implements purchasing.Store.
func (s *Store) CreatePurchaseOrder(ctx context.Context, o purchasing.Order, requestID string) (purchasing.Order, error) {
	const method = "CreatePurchaseOrder"
	if !canonicalID(&o.SupplierID) {
		return purchasing.Order{}, errs.Invalid("supplier_id", "no supplier has id %q", o.SupplierID)
	}
	var cl claim
	var supplierCurrency *string
	var known units
	err := inTx(ctx, s.pool, func(b *pgx.Batch) {
		cl = claim{requestID: requestID, method: method, resourceID: o.ID, digest: requestid.FromContext(ctx)}
		supplierCurrency, known = nil, units{}
		cl.queue(b)
		b.Queue(`SELECT currency_code FROM suppliers WHERE id = $1`, o.SupplierID).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var c string
				if err := rows.Scan(&c); err != nil {
					return err
				}
				supplierCurrency = &c
			}
			return rows.Err()
		})
		skus := make([]string, len(o.Lines))
		for i, l := range o.Lines {
			skus[i] = l.SKU
		}
		queueUnits(b, known, `sku = ANY($1)`, skus)
	}, func(tx pgx.Tx) error {
		var v errs.Violations
		if supplierCurrency == nil {
			v.Add("supplier_id", "no supplier has id %q", o.SupplierID)
		}
		for i, l := range o.Lines {
			if _, found := known[l.SKU]; !found {
				v.Add(fmt.Sprintf("lines[%d].sku", i), "no item has SKU %q", l.SKU)
			}
			known.check(&v, fmt.Sprintf("lines[%d].quantity", i), l.SKU, l.Quantity)
		}
		if err := v.Err(); err != nil {
			return err
		}
		if err := purchasing.SettleCurrency(&o, *supplierCurrency); err != nil {
			return err
		}
		if err := purchasing.Price(&o); err != nil {
			return err
		}
		o.Status, o.Revision = purchasing.Draft, 1
		if err := tx.QueryRow(ctx, `INSERT INTO purchase_orders (id, number, supplier_id, currency_code, status, total, revision)
			VALUES ($1, `+purchaseOrderNumberSQL+`, $2, $3, $4, $5, 1) RETURNING number, create_time, update_time`,
			o.ID, o.SupplierID, o.Currency, string(o.Status), o.Total).Scan(&o.Number, &o.CreateTime, &o.UpdateTime); err != nil {
			return fmt.Errorf("insert purchase order: %w", err)
		}
		k := len(o.Lines)
		nums, skus, dates := make([]int32, k), make([]string, k), make([]time.Time, k)
		qty, cost, amt := make([]decimal.Decimal, k), make([]decimal.Decimal, k), make([]decimal.Decimal, k)
		for i, l := range o.Lines {
			nums[i], skus[i], dates[i], qty[i], cost[i], amt[i] = l.Number, l.SKU, l.ExpectedDate, l.Quantity, l.UnitCost, l.Amount
		}
		if _, err := tx.Exec(ctx, `INSERT INTO purchase_order_lines (order_id, line_number, sku, quantity, unit_cost, expected_date, amount)
			SELECT $1, n, sku, q, c, d, a FROM unnest($2::int[], $3::text[], $4::numeric[], $5::numeric[], $6::date[], $7::numeric[]) AS u(n, sku, q, c, d, a)`,
			o.ID, nums, skus, qty, cost, dates, amt); err != nil {
			return fmt.Errorf("insert purchase order lines: %w", err)
		}
		return s.appendPurchaseOrder(ctx, tx, purchasing.EventCreated, o)
	})
	if claimLost(err) {
		id, err := s.previous(ctx, requestID, method)
		if err != nil {
			return purchasing.Order{}, err
		}
		return s.GetPurchaseOrder(ctx, id)
	}
	if err != nil {
		return purchasing.Order{}, err
	}
	return o, nil
}

// poReplay answers a retried custom method on a purchase order.
func (s *Store) poReplay(ctx context.Context, requestID, method, id string) (purchasing.Order, error) {
	if err := s.replayOf(ctx, requestID, method, id, "purchase order"); err != nil {
		return purchasing.Order{}, err
	}
	return s.GetPurchaseOrder(ctx, id)
}

// poStatusChange locks an order, applies change and saves the status with
// its event. Ordering or cancelling moves no stock, but what is incoming:
// when the order becomes incoming stock or stops being it, each of its
// SKUs gets a new availability version and a stock.changed event with its
// incoming quantity and next receipt date, so the SKUs' locks are taken
// first, as every stock writer does.
func (s *Store) poStatusChange(ctx context.Context, method, id string, etag int64, requestID string,
	change func(*purchasing.Order) (bool, error), eventType string) (purchasing.Order, error) {
	if !canonicalID(&id) {
		return purchasing.Order{}, errs.NotFoundf("purchase order %q", id)
	}
	var out purchasing.Order
	var cl claim
	var set *stockSet
	err := inTx(ctx, s.pool, func(b *pgx.Batch) {
		cl = claim{requestID: requestID, method: method, resourceID: id, digest: requestid.FromContext(ctx)}
		set = newStockSet()
		// The lines never change, so the SKUs locked are the order's.
		queueLockStock(b, set, `sku IN (SELECT sku FROM purchase_order_lines WHERE order_id = $1)`, id)
		pg.QueueKeyLock(b, "purchaseOrders/"+id) // before the claim, which gives the transaction its id
		cl.queue(b)
	}, func(tx pgx.Tx) error {
		o, err := getPurchaseOrder(ctx, tx, id, true)
		if err != nil {
			return err
		}
		out = o
		wasIncoming := o.Status.Open()
		changed, err := change(&o)
		if err != nil || !changed {
			return err
		}
		if etag != 0 && etag != o.Revision {
			return errs.StaleEtag("purchase order " + id)
		}
		o.Revision++
		if err := tx.QueryRow(ctx, `UPDATE purchase_orders SET status = $2, revision = $3, update_time = now()
			WHERE id = $1 RETURNING update_time`, id, string(o.Status), o.Revision).Scan(&o.UpdateTime); err != nil {
			return fmt.Errorf("save purchase order %s: %w", id, err)
		}
		if _, err := tx.Exec(ctx, `UPDATE purchase_order_lines SET open = $2 WHERE order_id = $1`, id, o.Status.Open()); err != nil {
			return fmt.Errorf("save purchase order %s lines: %w", id, err)
		}
		var stockEvents []feed.NewEvent
		if o.Status.Open() != wasIncoming {
			skus := make([]string, len(o.Lines))
			for i, l := range o.Lines {
				skus[i] = l.SKU
			}
			if stockEvents, err = s.incomingEvents(ctx, tx, set, skus); err != nil {
				return err
			}
		}
		out = o
		if o.Status == purchasing.Closed {
			eventType = purchasing.EventClosed // a cancel of what was not received
		}
		return s.appendPurchaseOrder(ctx, tx, eventType, o, stockEvents...)
	})
	if claimLost(err) {
		return s.poReplay(ctx, requestID, method, id)
	}
	if err != nil {
		return purchasing.Order{}, err
	}
	return out, nil
}

// OrderPurchaseOrder implements purchasing.Store.
func (s *Store) OrderPurchaseOrder(ctx context.Context, id string, etag int64, requestID string) (purchasing.Order, error) {
	return s.poStatusChange(ctx, "OrderPurchaseOrder", id, etag, requestID, purchasing.PlaceOrder, purchasing.EventOrdered)
}

// CancelPurchaseOrder implements purchasing.Store.
func (s *Store) CancelPurchaseOrder(ctx context.Context, id string, etag int64, requestID string) (purchasing.Order, error) {
	return s.poStatusChange(ctx, "CancelPurchaseOrder", id, etag, requestID, purchasing.Cancel, purchasing.EventCancelled)
}

// ReceivePurchaseOrder implements purchasing.Store.
func (s *Store) ReceivePurchaseOrder(ctx context.Context, id, warehouse string, lines []purchasing.ReceiptLine, requestID string) (purchasing.Order, error) {
	const method = "ReceivePurchaseOrder"
	if !canonicalID(&id) {
		return purchasing.Order{}, errs.NotFoundf("purchase order %q", id)
	}
	if warehouse == "" {
		warehouse = stock.DefaultWarehouse
	}
	warehouse = stock.CanonicalCode(warehouse)
	actor := auth.Actor(ctx)
	var out purchasing.Order
	var cl claim
	var set *stockSet
	var warehouseExists bool
	var costs map[string]money.Money
	var itemUnits units
	err := inTx(ctx, s.pool, func(b *pgx.Batch) {
		cl = claim{requestID: requestID, method: method, resourceID: id, digest: requestid.FromContext(ctx)}
		set = newStockSet()
		costs, itemUnits = map[string]money.Money{}, units{}
		// SKU locks first, like every stock writer, then the keys of the
		// sales orders the receipt may fill and of this order, then its row.
		queueLockStock(b, set, `sku IN (SELECT sku FROM purchase_order_lines WHERE order_id = $1)`, id)
		queueLockBackordered(b, `sku IN (SELECT sku FROM purchase_order_lines WHERE order_id = $1)`, id)
		pg.QueueKeyLock(b, "purchaseOrders/"+id)
		cl.queue(b)
		queueWarehouseExists(b, warehouse, &warehouseExists)
		queueStandardCosts(b, id, costs, itemUnits)
	}, func(tx pgx.Tx) error {
		o, err := getPurchaseOrder(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if !warehouseExists {
			return errs.Invalid("warehouse", "no warehouse has code %q", warehouse)
		}
		if err := checkLineUnits(o, lines, itemUnits); err != nil {
			return err
		}
		before := receivedQuantities(o)
		if err := purchasing.Receive(&o, lines); err != nil {
			return err
		}
		// One receipt move per line received. The journal puts them in
		// inventory at the items' standard costs, in the items' currencies
		// (by what they add to the stock's value), and in payables at the
		// order's unit costs, in the order's currency: what is owed the
		// supplier, rounded cumulatively per line. Each currency's entry balances on
		// purchase price variance. An item costed in another currency than
		// the order's has no rate to compare at, so its variance shows in
		// both currencies (credited its standard value in the item's, debited
		// its purchase cost in the order's) until finance converts them.
		var changes []stock.Change
		p := newPostings(o.Currency)
		for i, l := range o.Lines {
			q := l.Received.Sub(before[i])
			if !q.IsPositive() {
				continue
			}
			c := stock.Change{SKU: l.SKU, Warehouse: warehouse, Kind: stock.Receipt, OnHandDelta: q,
				ReservedDelta: decimal.Zero, Reason: "receipt", Reference: "purchaseOrders/" + id}
			a := set.items[l.SKU]
			onHandBefore := a.OnHand
			a.Apply(c)
			changes = append(changes, c)
			cost := costs[l.SKU]
			p.addStandard(cost.Currency, ledger.StockValueChange(onHandBefore, a.OnHand, cost))
			p.addPurchase(o.Currency, purchasing.PayableChange(l, before[i], o.Currency))
		}
		o.Revision++
		// Stock that arrives goes to backorders first.
		f, err := fillBackorders(ctx, tx, set, receivedSKUs(changes))
		if err != nil {
			return err
		}
		changes = append(changes, f.changes...)
		var w pgx.Batch
		if err := queueChanges(&w, set, changes, actor); err != nil {
			return err
		}
		queueFilled(&w, f)
		if err := queueJournal(&w, p.entries("purchaseOrders/"+id, ledger.PurchaseReceipt), actor); err != nil {
			return err
		}
		queueReceived(&w, &o)
		if err := tx.SendBatch(ctx, &w).Close(); err != nil {
			return fmt.Errorf("receive purchase order %s: %w", id, err)
		}
		// The stock.changed events carry what is still incoming after
		// this receipt.
		if err := readIncoming(ctx, tx, set, receivedSKUs(changes)); err != nil {
			return err
		}
		events, err := s.stockEvents(ctx, set, changes)
		if err != nil {
			return err
		}
		orderEvents, err := s.filledEvents(ctx, set, f)
		if err != nil {
			return err
		}
		events = append(events, orderEvents...)
		out = o
		return s.appendPurchaseOrder(ctx, tx, purchasing.EventReceived, o, events...)
	})
	if claimLost(err) {
		return s.poReplay(ctx, requestID, method, id)
	}
	if err != nil {
		return purchasing.Order{}, err
	}
	return out, nil
}

// ReturnPurchaseOrder implements purchasing.Store: received goods sent
// back to the supplier, the mirror of ReceivePurchaseOrder. It takes the
// same locks in the same order (the SKUs, then the order's key and row),
// so a return and a receipt of one order, or two returns, queue behind
// each other and each sees what the other left: together they never
// return more than was received, nor take more than is available.
func (s *Store) ReturnPurchaseOrder(ctx context.Context, id, warehouse string, lines []purchasing.ReceiptLine, reason, requestID string) (purchasing.Order, error) {
	const method = "ReturnPurchaseOrder"
	if !canonicalID(&id) {
		return purchasing.Order{}, errs.NotFoundf("purchase order %q", id)
	}
	if warehouse == "" {
		warehouse = stock.DefaultWarehouse
	}
	warehouse = stock.CanonicalCode(warehouse)
	if reason == "" {
		reason = purchasing.ReturnReason
	}
	actor := auth.Actor(ctx)
	reference := "purchaseOrders/" + id
	var out purchasing.Order
	var cl claim
	var set *stockSet
	var warehouseExists bool
	var costs map[string]money.Money
	var itemUnits units
	err := inTx(ctx, s.pool, func(b *pgx.Batch) {
		cl = claim{requestID: requestID, method: method, resourceID: id, digest: requestid.FromContext(ctx)}
		set = newStockSet()
		costs, itemUnits = map[string]money.Money{}, units{}
		// The lines never change, so the SKUs locked are the order's. A
		// return fills no backorders: no sales order is locked.
		queueLockStock(b, set, `sku IN (SELECT sku FROM purchase_order_lines WHERE order_id = $1)`, id)
		pg.QueueKeyLock(b, reference)
		cl.queue(b)
		queueWarehouseExists(b, warehouse, &warehouseExists)
		queueStandardCosts(b, id, costs, itemUnits)
	}, func(tx pgx.Tx) error {
		o, err := getPurchaseOrder(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if !warehouseExists {
			return errs.Invalid("warehouse", "no warehouse has code %q", warehouse)
		}
		if err := checkLineUnits(o, lines, itemUnits); err != nil {
			return err
		}
		before := receivedQuantities(o)
		if err := purchasing.Return(&o, lines); err != nil {
			return err
		}
		// One return move per line, out of the warehouse, never more than
		// is available there (on hand - reserved: reserved stock is
		// promised to customers and stays). The journal mirrors the
		// receipt's: inventory down by what the moves take off the stock's
		// value at standard cost, in the items' currencies, payables down
		// at the order's unit costs in the order's currency, rounded
		// cumulatively per line (PayableChange), the difference on
		// purchase price variance. So receiving and returning all of it
		// nets to zero on every account.
		var changes []stock.Change
		var short []errs.FieldViolation
		p := newPostings(o.Currency)
		for i, r := range lines {
			l := o.Lines[r.LineNumber-1]
			a := set.items[l.SKU]
			var level stock.Level
			for _, lv := range a.Warehouses {
				if lv.Warehouse == warehouse {
					level = lv
				}
			}
			if r.Quantity.GreaterThan(level.Available()) {
				short = append(short, errs.FieldViolation{
					Field: fmt.Sprintf("lines[%d].quantity", i),
					Description: fmt.Sprintf("%s of %s is available in %s (%s on hand, %s reserved); cannot return %s",
						level.Available(), l.SKU, warehouse, level.OnHand, level.Reserved, r.Quantity),
				})
				continue
			}
			c := stock.Change{SKU: l.SKU, Warehouse: warehouse, Kind: stock.Returned, OnHandDelta: r.Quantity.Neg(),
				ReservedDelta: decimal.Zero, Reason: reason, Reference: reference}
			onHandBefore := a.OnHand
			a.Apply(c)
			changes = append(changes, c)
			cost := costs[l.SKU]
			p.addStandard(cost.Currency, ledger.StockValueChange(onHandBefore, a.OnHand, cost).Neg())
			p.addPurchase(o.Currency, purchasing.PayableChange(l, before[r.LineNumber-1], o.Currency).Neg())
		}
		if len(short) > 0 {
			return &errs.Error{Kind: errs.FailedPrecondition, Violations: short,
				Message: fmt.Sprintf("purchase order %s: %s: %s", o.Number, short[0].Field, short[0].Description)}
		}
		o.Revision++
		var w pgx.Batch
		if err := queueChanges(&w, set, changes, actor); err != nil {
			return err
		}
		if err := queueJournal(&w, p.entries(reference, ledger.PurchaseReturn), actor); err != nil {
			return err
		}
		queueReceived(&w, &o)
		err = tx.SendBatch(ctx, &w).Close()
		if pg.IsCheckViolation(err, "") {
			// The checks above ran under the SKUs' locks; the constraints
			// (on hand >= reserved >= 0, received >= 0) back them up.
			return errs.FailedPreconditionf("returning to the supplier of purchase order %s would take stock below what is reserved", o.Number)
		}
		if err != nil {
			return fmt.Errorf("return purchase order %s: %w", id, err)
		}
		// What went back is incoming again while the order is open: the
		// stock.changed events carry what is incoming after the return.
		var returned []string
		for _, c := range changes {
			if !slices.Contains(returned, c.SKU) {
				returned = append(returned, c.SKU)
			}
		}
		if err := readIncoming(ctx, tx, set, returned); err != nil {
			return err
		}
		events, err := s.stockEvents(ctx, set, changes)
		if err != nil {
			return err
		}
		out = o
		return s.appendPurchaseOrder(ctx, tx, purchasing.EventReturned, o, events...)
	})
	if claimLost(err) {
		return s.poReplay(ctx, requestID, method, id)
	}
	if err != nil {
		return purchasing.Order{}, err
	}
	return out, nil
}

// queueStandardCosts queues the read of the standard costs and units of
// the items on purchase order id into costs and u, by SKU.
func queueStandardCosts(b *pgx.Batch, id string, costs map[string]money.Money, u units) {
	b.Queue(`SELECT sku, currency_code, standard_cost, unit_of_measure FROM items
		WHERE sku IN (SELECT sku FROM purchase_order_lines WHERE order_id = $1)`, id).
		Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var sku, unit string
				var m money.Money
				if err := rows.Scan(&sku, &m.Currency, &m.Amount, &unit); err != nil {
					return err
				}
				costs[sku], u[sku] = m, unit
			}
			return rows.Err()
		})
}

// postings sums what a receipt or a return of a purchase order changes,
// per currency: the stock's value at standard cost (in the items'
// currencies) and what is owed the supplier (in the order's).
type postings struct {
	currencies         []string
	standard, purchase map[string]decimal.Decimal
}

func newPostings(orderCurrency string) *postings {
	return &postings{currencies: []string{orderCurrency},
		standard: map[string]decimal.Decimal{}, purchase: map[string]decimal.Decimal{}}
}

func (p *postings) addStandard(currency string, amount decimal.Decimal) {
	p.add(p.standard, currency, amount)
}

func (p *postings) addPurchase(currency string, amount decimal.Decimal) {
	p.add(p.purchase, currency, amount)
}

func (p *postings) add(to map[string]decimal.Decimal, currency string, amount decimal.Decimal) {
	if !slices.Contains(p.currencies, currency) {
		p.currencies = append(p.currencies, currency)
	}
	to[currency] = to[currency].Add(amount)
}

// entries makes the journal entries of the sums, one per currency that
// has any (entry is ledger.PurchaseReceipt or ledger.PurchaseReturn).
func (p *postings) entries(reference string, entry func(reference, currency string, standard, purchase decimal.Decimal) (ledger.Entry, bool)) []ledger.Entry {
	var out []ledger.Entry
	for _, cur := range p.currencies {
		if e, ok := entry(reference, cur, p.standard[cur], p.purchase[cur]); ok {
			out = append(out, e)
		}
	}
	return out
}

// queueReceived queues the write of what purchase order o's lines have
// received, whether each is open, and the order's status and revision,
// reading back its update time.
func queueReceived(w *pgx.Batch, o *purchasing.Order) {
	k := len(o.Lines)
	nums, rec := make([]int32, k), make([]decimal.Decimal, k)
	for i, l := range o.Lines {
		nums[i], rec[i] = l.Number, l.Received
	}
	w.Queue(`UPDATE purchase_order_lines l SET received_quantity = u.r, open = $3
		FROM unnest($2::int[], $4::numeric[]) AS u(n, r)
		WHERE l.order_id = $1 AND l.line_number = u.n`, o.ID, nums, o.Status.Open(), rec)
	w.Queue(`UPDATE purchase_orders SET status = $2, revision = $3, update_time = now()
		WHERE id = $1 RETURNING update_time`, o.ID, string(o.Status), o.Revision).
		QueryRow(func(row pgx.Row) error { return row.Scan(&o.UpdateTime) })
}

// receivedQuantities is what each line of purchase order o has received,
// by line, before a receipt or a return changes it.
func receivedQuantities(o purchasing.Order) []decimal.Decimal {
	out := make([]decimal.Decimal, len(o.Lines))
	for i, l := range o.Lines {
		out[i] = l.Received
	}
	return out
}

// checkLineUnits holds the quantities of a receipt or return of o to
// their items' units (no fraction of a count unit); violations name
// "lines[i].quantity". A line number o lacks is left to Receive and
// Return.
func checkLineUnits(o purchasing.Order, lines []purchasing.ReceiptLine, u units) error {
	var v errs.Violations
	for i, r := range lines {
		for _, l := range o.Lines {
			if l.Number == r.LineNumber {
				u.check(&v, fmt.Sprintf("lines[%d].quantity", i), l.SKU, r.Quantity)
			}
		}
	}
	return v.Err()
}
