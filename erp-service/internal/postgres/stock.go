package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/erp-service/internal/catalog"
	"github.com/seamhq/seam/erp-service/internal/ledger"
	"github.com/seamhq/seam/erp-service/internal/stock"
	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/civil"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/feed"
	"github.com/seamhq/seam/platform/money"
	"github.com/seamhq/seam/platform/pg"
	"github.com/seamhq/seam/platform/requestid"
)

// stockLockSpace is the first key of the advisory locks on SKUs (the
// second is hashtext(sku)).
const stockLockSpace = "1001"

// levelKey names a stock level.
type levelKey struct{ sku, warehouse string }

// stockSet is the stock of some items, read under lock in a transaction.
type stockSet struct {
	items map[string]*stock.Availability
	// levels records which levels existed when read.
	levels map[levelKey]bool
	// now is the transaction's timestamp.
	now time.Time
	// locked records the SKUs whose locks the locking statement took. The
	// statements after it see what committed while it waited, so items
	// may hold SKUs that are not locked: callers whose SKUs come from rows
	// that may change (an order's lines) compare against locked.
	locked map[string]bool
	// schedules holds each item's promise schedule as read, to tell the
	// items whose schedule a transaction moves without moving their stock.
	schedules map[string][]stock.Promisable
}

func newStockSet() *stockSet {
	return &stockSet{items: map[string]*stock.Availability{}, levels: map[levelKey]bool{}, locked: map[string]bool{},
		schedules: map[string][]stock.Promisable{}}
}

// changedSKUs lists, sorted and once each, the SKUs whose availability a
// transaction makes a new version of: those changes (already applied to
// set) move, and those whose promise schedule moved without a change of
// their stock (a backorder placed, or released by a cancel, while stock is
// incoming, so on hand and reserved stay put).
func (set *stockSet) changedSKUs(changes []stock.Change) []string {
	var skus []string
	for _, c := range changes {
		if !slices.Contains(skus, c.SKU) {
			skus = append(skus, c.SKU)
		}
	}
	for sku, a := range set.items {
		if !slices.Contains(skus, sku) && !stock.SameSchedule(set.schedules[sku], a.Schedule()) {
			skus = append(skus, sku)
		}
	}
	slices.Sort(skus)
	return skus
}

// queueLockStock queues, into b, locking the stock of the SKUs that cond
// (a condition on a "sku" column, with args) selects, and then reading it
// into set.
//
// Every writer of stock locks through here, as the first thing its
// transaction does, so locks are always taken in one order (by lock key)
// and never deadlock. The locks are transaction-level advisory locks, one
// per SKU, which unlike row locks do not give the transaction an id: the
// transaction id, which orders the event feed, is only assigned after
// every SKU lock is held. So of two transactions changing one SKU, the one
// that changes it first also has the smaller id, and the feed serves each
// SKU's stock.changed events in version order. The stock is read by a later
// statement than the one that waited for the locks, so it is the latest
// committed. The CHECK constraints of the stock tables back the rules up.
//
// It also makes the rest of the transaction run with generic plans (see
// pg.QueueKeyedPlans): stock writers are the hot path.
func queueLockStock(b *pgx.Batch, set *stockSet, cond string, args ...any) {
	pg.QueueKeyedPlans(b)
	// One row per SKU: two SKUs with one hash take the same lock twice,
	// which a transaction may (advisory locks are reentrant).
	b.Queue(`SELECT count(pg_advisory_xact_lock(`+stockLockSpace+`, k)), coalesce(array_agg(sku), '{}')
		FROM (SELECT sku, hashtext(sku) AS k FROM stock_totals WHERE `+cond+` ORDER BY k) keys`, args...).
		QueryRow(func(row pgx.Row) error {
			var n int64
			var skus []string
			if err := row.Scan(&n, &skus); err != nil {
				return err
			}
			for _, sku := range skus {
				set.locked[sku] = true
			}
			return nil
		})
	queueReadStock(b, set, cond, args...)
}

// queueLockSKU queues, into b, taking the advisory lock of one SKU, the
// lock stock writers take (queueLockStock), for a writer of the item
// itself: the feed then serves a SKU's item and stock events in the order
// of their changes.
func queueLockSKU(b *pgx.Batch, sku string) {
	b.Queue(`SELECT pg_advisory_xact_lock(`+stockLockSpace+`, hashtext($1))`, sku)
}

// queueReadStock queues, into b, reading the stock of the SKUs cond
// selects into set.
func queueReadStock(b *pgx.Batch, set *stockSet, cond string, args ...any) {
	b.Queue(`SELECT t.sku, t.on_hand, t.reserved, t.version, t.update_time, now(), l.warehouse, l.on_hand, l.reserved,
			coalesce(p.incoming, 0), p.next_date, p.dates, p.quantities, bo.backordered
		FROM (SELECT * FROM stock_totals WHERE `+cond+`) t
		LEFT JOIN stock_levels l ON l.sku = t.sku
		`+incomingJoin+`
		`+backorderedJoin, args...).
		Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var a stock.Availability
				var wh *string
				var onHand, reserved decimal.NullDecimal
				var in incomingRow
				if err := rows.Scan(&a.SKU, &a.OnHand, &a.Reserved, &a.Version, &a.UpdateTime, &set.now, &wh, &onHand, &reserved,
					&in.incoming, &in.next, &in.dates, &in.quantities, &a.Backordered); err != nil {
					return err
				}
				in.apply(&a)
				cur, ok := set.items[a.SKU]
				if !ok {
					cur = &a
					set.items[a.SKU] = cur
					set.schedules[a.SKU] = a.Schedule()
				}
				if wh != nil {
					cur.Warehouses = append(cur.Warehouses, stock.Level{Warehouse: *wh, OnHand: onHand.Decimal, Reserved: reserved.Decimal})
					set.levels[levelKey{a.SKU, *wh}] = true
				}
			}
			for _, a := range set.items {
				stock.SortLevels(a.Warehouses)
			}
			return rows.Err()
		})
}

// incomingJoin joins, to rows with a t.sku, what is incoming of the SKU
// (p.incoming, NULL for nothing), the earliest date it is expected
// (p.next_date) and the open quantity per expected date (p.dates and
// p.quantities, by date): the open quantities of lines of ORDERED and
// PARTIALLY_RECEIVED purchase orders.
const incomingJoin = `LEFT JOIN LATERAL (SELECT sum(d.quantity) AS incoming, min(d.expected_date) AS next_date,
			array_agg(d.expected_date ORDER BY d.expected_date) AS dates, array_agg(d.quantity ORDER BY d.expected_date) AS quantities
			FROM (SELECT pl.expected_date, sum(pl.quantity - pl.received_quantity) AS quantity
				FROM purchase_order_lines pl WHERE pl.sku = t.sku AND pl.open AND pl.received_quantity < pl.quantity
				GROUP BY pl.expected_date) d) p ON true`

// backorderedJoin joins, to rows with a t.sku, the backordered quantity
// of the SKU's confirmed and partially shipped orders (bo.backordered),
// through the partial index on backordered lines by SKU.
const backorderedJoin = `CROSS JOIN LATERAL (SELECT coalesce(sum(bl.backordered_quantity), 0) AS backordered
			FROM sales_order_lines bl JOIN sales_orders bso ON bso.id = bl.order_id
			WHERE bl.sku = t.sku AND bl.backordered_quantity > 0 AND bso.status IN ('CONFIRMED', 'PARTIALLY_SHIPPED')) bo`

// incomingRow is what incomingJoin reads.
type incomingRow struct {
	incoming   decimal.Decimal
	next       *time.Time
	dates      []time.Time
	quantities []decimal.Decimal
}

// apply sets a's incoming stock to what was read.
func (in incomingRow) apply(a *stock.Availability) {
	a.Incoming, a.NextReceiptDate, a.Receipts = in.incoming, time.Time{}, nil
	if in.next != nil {
		a.NextReceiptDate = in.next.UTC()
	}
	for i, d := range in.dates {
		a.Receipts = append(a.Receipts, stock.IncomingReceipt{Date: d.UTC(), Quantity: in.quantities[i]})
	}
}

// readIncoming reads again what is incoming of skus (read into set
// before), as this transaction's writes left it.
func readIncoming(ctx context.Context, tx pgx.Tx, set *stockSet, skus []string) error {
	rows, err := tx.Query(ctx, `SELECT t.sku, coalesce(p.incoming, 0), p.next_date, p.dates, p.quantities
		FROM unnest($1::text[]) AS t(sku) `+incomingJoin, skus)
	if err != nil {
		return fmt.Errorf("read incoming stock: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sku string
		var in incomingRow
		if err := rows.Scan(&sku, &in.incoming, &in.next, &in.dates, &in.quantities); err != nil {
			return fmt.Errorf("read incoming stock: %w", err)
		}
		if a := set.items[sku]; a != nil {
			in.apply(a)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read incoming stock: %w", err)
	}
	return nil
}

// incomingEvents records a change of what is incoming of skus (a purchase
// order placed or cancelled), whose locks the transaction holds
// (queueLockStock into set): it reads their incoming stock as the
// transaction's writes left it, gives each SKU a new availability version
// and returns their stock.changed events, in SKU order.
func (s *Store) incomingEvents(ctx context.Context, tx pgx.Tx, set *stockSet, skus []string) ([]feed.NewEvent, error) {
	skus = slices.Clone(skus)
	slices.Sort(skus)
	skus = slices.Compact(skus)
	if err := readIncoming(ctx, tx, set, skus); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `UPDATE stock_totals SET version = version + 1, update_time = now() WHERE sku = ANY($1)`, skus); err != nil {
		return nil, fmt.Errorf("new availability versions: %w", err)
	}
	return s.stockEventsOf(ctx, set, skus)
}

// queueChanges queues the writes of changes (already applied to set's
// availabilities): the ledger rows, the stock levels and the per-item
// totals, each kind with one statement. Every SKU of set.changedSKUs gets
// a new version, a SKU whose promise schedule alone moved too.
func queueChanges(b *pgx.Batch, set *stockSet, changes []stock.Change, actor string) error {
	changed := set.changedSKUs(changes)
	if len(changed) == 0 {
		return nil
	}
	for _, c := range changes {
		if a := set.items[c.SKU]; a != nil {
			if err := a.CheckFits(); err != nil {
				return err
			}
		}
	}
	n := len(changes)
	ids, skus, whs, kinds := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	onHand, reserved := make([]decimal.Decimal, n), make([]decimal.Decimal, n)
	reasons, refs, actors, dates := make([]string, n), make([]string, n), make([]string, n), make([]string, n)

	type delta struct{ onHand, reserved decimal.Decimal }
	levels := map[levelKey]*delta{}
	var levelOrder []levelKey
	totals := map[string]*delta{}
	var totalOrder []string
	for i, c := range changes {
		if c.ID == "" {
			id, err := uuid.NewV7()
			if err != nil {
				return fmt.Errorf("stock move id: %w", err)
			}
			c.ID = id.String()
		}
		ids[i], skus[i], whs[i], kinds[i] = c.ID, c.SKU, c.Warehouse, string(c.Kind)
		onHand[i], reserved[i] = c.OnHandDelta, c.ReservedDelta
		reasons[i], refs[i], actors[i] = c.Reason, c.Reference, actor
		if !c.Date.IsZero() {
			dates[i] = civil.FormatDate(c.Date)
		}

		k := levelKey{c.SKU, c.Warehouse}
		if levels[k] == nil {
			levels[k] = &delta{decimal.Zero, decimal.Zero}
			levelOrder = append(levelOrder, k)
		}
		levels[k].onHand = levels[k].onHand.Add(c.OnHandDelta)
		levels[k].reserved = levels[k].reserved.Add(c.ReservedDelta)
		if totals[c.SKU] == nil {
			totals[c.SKU] = &delta{decimal.Zero, decimal.Zero}
			totalOrder = append(totalOrder, c.SKU)
		}
		totals[c.SKU].onHand = totals[c.SKU].onHand.Add(c.OnHandDelta)
		totals[c.SKU].reserved = totals[c.SKU].reserved.Add(c.ReservedDelta)
	}
	for _, sku := range changed {
		if totals[sku] == nil {
			totals[sku] = &delta{decimal.Zero, decimal.Zero}
			totalOrder = append(totalOrder, sku)
		}
	}

	// Levels: new ones are inserted, existing ones updated. (Row lock order
	// does not matter here: every writer holds the SKUs' advisory locks.)
	slices.SortFunc(levelOrder, func(a, b levelKey) int {
		if a.sku != b.sku {
			return strings.Compare(a.sku, b.sku)
		}
		return strings.Compare(a.warehouse, b.warehouse)
	})
	var newSKU, newWH, oldSKU, oldWH []string
	var newOnHand, newReserved, oldOnHand, oldReserved []decimal.Decimal
	for _, k := range levelOrder {
		d := levels[k]
		if set.levels[k] {
			oldSKU, oldWH = append(oldSKU, k.sku), append(oldWH, k.warehouse)
			oldOnHand, oldReserved = append(oldOnHand, d.onHand), append(oldReserved, d.reserved)
		} else {
			newSKU, newWH = append(newSKU, k.sku), append(newWH, k.warehouse)
			newOnHand, newReserved = append(newOnHand, d.onHand), append(newReserved, d.reserved)
		}
	}
	if len(oldSKU) > 0 {
		b.Queue(`UPDATE stock_levels l
			SET on_hand = l.on_hand + d.on_hand, reserved = l.reserved + d.reserved,
			    version = l.version + 1, update_time = now()
			FROM unnest($1::text[], $2::text[], $3::numeric[], $4::numeric[]) AS d(sku, warehouse, on_hand, reserved)
			WHERE l.sku = d.sku AND l.warehouse = d.warehouse`, oldSKU, oldWH, oldOnHand, oldReserved)
	}
	if len(newSKU) > 0 {
		b.Queue(`INSERT INTO stock_levels (sku, warehouse, on_hand, reserved, version)
			SELECT sku, warehouse, on_hand, reserved, 1
			FROM unnest($1::text[], $2::text[], $3::numeric[], $4::numeric[]) AS d(sku, warehouse, on_hand, reserved)`,
			newSKU, newWH, newOnHand, newReserved)
	}

	slices.Sort(totalOrder)
	tOnHand, tReserved := make([]decimal.Decimal, len(totalOrder)), make([]decimal.Decimal, len(totalOrder))
	for i, sku := range totalOrder {
		tOnHand[i], tReserved[i] = totals[sku].onHand, totals[sku].reserved
	}
	b.Queue(`UPDATE stock_totals t
		SET on_hand = t.on_hand + d.on_hand, reserved = t.reserved + d.reserved,
		    version = t.version + 1, update_time = now()
		FROM unnest($1::text[], $2::numeric[], $3::numeric[]) AS d(sku, on_hand, reserved)
		WHERE t.sku = d.sku`, totalOrder, tOnHand, tReserved)

	if n == 0 {
		return nil
	}
	b.Queue(`INSERT INTO stock_moves (id, sku, warehouse, kind, on_hand_delta, reserved_delta, reason, reference, actor, move_date)
		SELECT id::uuid, sku, warehouse, kind, on_hand_delta, reserved_delta, reason, reference, actor,
		  coalesce(NULLIF(move_date, '')::date, `+postingDaySQL+`)
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::numeric[], $6::numeric[], $7::text[], $8::text[], $9::text[], $10::text[])
		  AS m(id, sku, warehouse, kind, on_hand_delta, reserved_delta, reason, reference, actor, move_date)`,
		ids, skus, whs, kinds, onHand, reserved, reasons, refs, actors, dates)
	return nil
}

// stockEvents bumps the version of every item of set.changedSKUs (the
// items changes touch and those whose promise schedule moved, as
// queueChanges wrote them) and returns their stock.changed events, in SKU
// order.
func (s *Store) stockEvents(ctx context.Context, set *stockSet, changes []stock.Change) ([]feed.NewEvent, error) {
	return s.stockEventsOf(ctx, set, set.changedSKUs(changes))
}

// stockEventsOf bumps the version of the items skus (sorted, distinct)
// name in set and returns their stock.changed events.
func (s *Store) stockEventsOf(ctx context.Context, set *stockSet, skus []string) ([]feed.NewEvent, error) {
	events := make([]feed.NewEvent, 0, len(skus))
	for _, sku := range skus {
		a := set.items[sku]
		a.Version++
		a.UpdateTime = set.now
		payload, err := s.enc.Availability(*a)
		if err != nil {
			return nil, fmt.Errorf("encode availability of %s: %w", sku, err)
		}
		events = append(events, event(ctx, stock.EventChanged, sku, payload))
	}
	return events, nil
}

// CreateWarehouse implements stock.Store: the request_id is claimed in
// the warehouse's transaction, with the code as its resource.
func (s *Store) CreateWarehouse(ctx context.Context, w stock.Warehouse, requestID string) (stock.Warehouse, error) {
	const method = "CreateWarehouse"
	w.Code = stock.CanonicalCode(w.Code)
	err := pg.SendTx(ctx, s.pool, func(b *pgx.Batch) {
		cl := claim{requestID: requestID, method: method, resourceID: w.Code, digest: requestid.FromContext(ctx)}
		cl.queue(b)
		b.Queue(`INSERT INTO warehouses (code, name) VALUES ($1, $2) RETURNING create_time`, w.Code, w.Name).
			QueryRow(func(row pgx.Row) error { return row.Scan(&w.CreateTime) })
	})
	switch {
	case claimLost(err):
		code, err := s.previous(ctx, requestID, method)
		if err != nil {
			return stock.Warehouse{}, err
		}
		return s.GetWarehouse(ctx, code)
	case pg.IsUniqueViolation(err, "warehouses_pkey"):
		return stock.Warehouse{}, errs.AlreadyExistsf("warehouse %q already exists", w.Code)
	case err != nil:
		return stock.Warehouse{}, fmt.Errorf("insert warehouse %s: %w", w.Code, err)
	}
	return w, nil
}

// GetWarehouse implements stock.Store.
func (s *Store) GetWarehouse(ctx context.Context, code string) (stock.Warehouse, error) {
	code = stock.CanonicalCode(code)
	w := stock.Warehouse{Code: code}
	err := s.pool.QueryRow(ctx, `SELECT name, create_time FROM warehouses WHERE code = $1`, code).Scan(&w.Name, &w.CreateTime)
	if pg.IsNoRows(err) {
		return stock.Warehouse{}, errs.NotFoundf("warehouse %q", code)
	}
	if err != nil {
		return stock.Warehouse{}, fmt.Errorf("get warehouse %s: %w", code, err)
	}
	return w, nil
}

// ListWarehouses implements stock.Store.
func (s *Store) ListWarehouses(ctx context.Context, q stock.ListQuery) ([]stock.Warehouse, bool, error) {
	rows, err := s.pool.Query(ctx, `SELECT code, name, create_time FROM warehouses
		WHERE code > $1 ORDER BY code LIMIT $2`, q.After, q.PageSize+1)
	if err != nil {
		return nil, false, fmt.Errorf("list warehouses: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (stock.Warehouse, error) {
		var w stock.Warehouse
		err := row.Scan(&w.Code, &w.Name, &w.CreateTime)
		return w, err
	})
	if err != nil {
		return nil, false, fmt.Errorf("list warehouses: %w", err)
	}
	if len(out) > q.PageSize {
		return out[:q.PageSize], true, nil
	}
	return out, false, nil
}

// Availability implements stock.Store.
func (s *Store) Availability(ctx context.Context, sku string) (stock.Availability, error) {
	set := newStockSet()
	var b pgx.Batch
	queueReadStock(&b, set, "sku = $1", sku)
	if err := s.pool.SendBatch(ctx, &b).Close(); err != nil {
		return stock.Availability{}, fmt.Errorf("availability of %s: %w", sku, err)
	}
	a, ok := set.items[sku]
	if !ok {
		return stock.Availability{}, errs.NotFoundf("item %q", sku)
	}
	return *a, nil
}

// Adjust implements stock.Store.
func (s *Store) Adjust(ctx context.Context, adj stock.Adjustment, requestID string) (stock.Adjustment, error) {
	const method = "CreateStockAdjustment"
	adj.Warehouse = stock.CanonicalCode(adj.Warehouse)
	actor := auth.Actor(ctx)
	var cl claim
	var set *stockSet
	var warehouseExists bool
	var cost money.Money
	var unit string
	err := inTx(ctx, s.pool, func(b *pgx.Batch) {
		cl = claim{requestID: requestID, method: method, resourceID: adj.ID, digest: requestid.FromContext(ctx)}
		set = newStockSet()
		queueLockStock(b, set, "sku = $1", adj.SKU)
		queueLockBackordered(b, "sku = $1", adj.SKU)
		cl.queue(b)
		queueWarehouseExists(b, adj.Warehouse, &warehouseExists)
		cost = money.Money{}
		unit = ""
		b.Queue(`SELECT currency_code, standard_cost, unit_of_measure FROM items WHERE sku = $1`, adj.SKU).
			Query(func(rows pgx.Rows) error {
				for rows.Next() {
					if err := rows.Scan(&cost.Currency, &cost.Amount, &unit); err != nil {
						return err
					}
				}
				return rows.Err()
			})
	}, func(tx pgx.Tx) error {
		var v errs.Violations
		a, ok := set.items[adj.SKU]
		if !ok {
			v.Add("sku", "no item has SKU %q", adj.SKU)
		}
		if !warehouseExists {
			v.Add("warehouse", "no warehouse has code %q", adj.Warehouse)
		}
		if msg := catalog.QuantityViolation(unit, adj.Quantity); msg != "" {
			v.Add("quantity", "%s", msg)
		}
		if err := v.Err(); err != nil {
			return err
		}
		var current stock.Level
		for _, l := range a.Warehouses {
			if l.Warehouse == adj.Warehouse {
				current = l
			}
		}
		if err := stock.CheckAdjustment(current, adj); err != nil {
			return err
		}
		change := adj.Change()
		onHandBefore := a.OnHand
		a.Apply(change)
		value := ledger.StockValueChange(onHandBefore, a.OnHand, cost)
		changes := []stock.Change{change}
		// Stock that arrives goes to backorders first.
		var f filled
		if change.Kind == stock.Receipt {
			var err error
			if f, err = fillBackorders(ctx, tx, set, receivedSKUs(changes)); err != nil {
				return err
			}
			changes = append(changes, f.changes...)
		}

		var w pgx.Batch
		if err := queueChanges(&w, set, changes, actor); err != nil {
			return err
		}
		queueFilled(&w, f)
		// Adjustments are valued at the item's standard cost, by what they
		// change the item's stock value (ledger.StockValueChange): a
		// receipt (always positive) Dr Inventory / Cr Accounts payable,
		// any other (a count, shrinkage, a correction) Dr Inventory / Cr
		// Inventory adjustments, the other way round for a negative one.
		kind, other := ledger.KindAdjustment, ledger.InventoryAdjustments
		if change.Kind == stock.Receipt {
			kind, other = ledger.KindReceipt, ledger.AccountsPayable
		}
		if e, ok := ledger.Transfer(kind, adj.Reference(), cost.Currency, ledger.Inventory, other, value); ok {
			if err := queueJournal(&w, []ledger.Entry{e}, actor); err != nil {
				return err
			}
		}
		err := tx.SendBatch(ctx, &w).Close()
		if pg.IsCheckViolation(err, "") {
			return errs.FailedPreconditionf("adjusting %s in %s by %s would take stock below what is reserved", adj.SKU, adj.Warehouse, adj.Quantity)
		}
		if err != nil {
			return fmt.Errorf("adjust stock of %s: %w", adj.SKU, err)
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
		adj.CreateTime = set.now
		adj.Availability = *a
		return feed.Append(ctx, tx, events...)
	})
	if claimLost(err) {
		id, err := s.previous(ctx, requestID, method)
		if err != nil {
			return stock.Adjustment{}, err
		}
		return s.GetAdjustment(ctx, id)
	}
	if err != nil {
		return stock.Adjustment{}, err
	}
	return adj, nil
}

// GetAdjustment implements stock.Store: the adjustment's ledger row has
// its id and names it.
func (s *Store) GetAdjustment(ctx context.Context, id string) (stock.Adjustment, error) {
	if !canonicalID(&id) {
		return stock.Adjustment{}, errs.NotFoundf("stock adjustment %q", id)
	}
	adj := stock.Adjustment{ID: id}
	err := s.pool.QueryRow(ctx, `SELECT sku, warehouse, on_hand_delta, reason, created_at
		FROM stock_moves WHERE id = $1 AND reference = $2`, id, adj.Reference()).
		Scan(&adj.SKU, &adj.Warehouse, &adj.Quantity, &adj.Reason, &adj.CreateTime)
	if pg.IsNoRows(err) {
		return stock.Adjustment{}, errs.NotFoundf("stock adjustment %q", id)
	}
	if err != nil {
		return stock.Adjustment{}, fmt.Errorf("get stock adjustment %s: %w", id, err)
	}
	if adj.Availability, err = s.Availability(ctx, adj.SKU); err != nil {
		return stock.Adjustment{}, err
	}
	return adj, nil
}

var moveFilter = map[string]column{
	"sku":       {expr: "sku"},
	"warehouse": {expr: "warehouse"},
	"kind":      {expr: "kind"},
	"reference": {expr: "reference", reference: true},
}

// ListMoves implements stock.Store: a keyset page in the ledger's order,
// by writing transaction and then id, ended with a token only where no
// move can commit behind it (see cutAtHorizon).
func (s *Store) ListMoves(ctx context.Context, q stock.MoveQuery) ([]stock.Move, bool, error) {
	q.Filter = stock.CanonicalMoveFilter(q.Filter)
	sql, args, err := movesSQL(q)
	if err != nil {
		return nil, false, err
	}
	var out []stock.Move
	var more bool
	err = readThrough(ctx, func() (bool, error) {
		var settled []bool
		err := s.readPage(ctx, sql, args, func(rows pgx.Rows) error {
			var err error
			settled = settled[:0]
			out, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (stock.Move, error) {
				var m stock.Move
				var ok bool
				err := row.Scan(&m.ID, &m.SKU, &m.Warehouse, &m.Kind, &m.OnHandDelta, &m.ReservedDelta, &m.Reason, &m.Reference, &m.Actor, &m.CreateTime, &ok)
				settled = append(settled, ok)
				return m, err
			})
			return err
		})
		if err != nil {
			return false, err
		}
		keep, m, cut := cutAtHorizon(settled, q.PageSize)
		out, more = out[:keep], m
		return cut, nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("list stock moves: %w", err)
	}
	return out, more, nil
}

// movesSQL is the query of a ListMoves page and its arguments: the moves
// after the token's move in (xid, id) order, each with whether it is
// settled, from the same snapshot as the scan. The token is a move's id;
// its place in the order is looked up by the primary key, in the same
// statement.
func movesSQL(q stock.MoveQuery) (string, []any, error) {
	var args []any
	filter, err := where(q.Filter, moveFilter, &args)
	if err != nil {
		return "", nil, err
	}
	after, err := afterID(&args, q.After, `(m.xid, m.id) > (SELECT xid, id FROM stock_moves WHERE id = $after::uuid)`)
	if err != nil {
		return "", nil, err
	}
	return `SELECT m.id::text, sku, warehouse, kind, on_hand_delta, reserved_delta, reason, reference, actor, created_at,
		m.xid < pg_snapshot_xmin(pg_current_snapshot())
		FROM stock_moves m WHERE ` + and(filter, after) + ` ORDER BY m.xid, m.id LIMIT ` + arg(&args, q.PageSize+1), args, nil
}

// queueWarehouseExists queues whether a warehouse has code, into *exists.
func queueWarehouseExists(b *pgx.Batch, code string, exists *bool) {
	b.Queue(`SELECT EXISTS (SELECT 1 FROM warehouses WHERE code = $1)`, code).
		QueryRow(func(row pgx.Row) error { return row.Scan(exists) })
}
