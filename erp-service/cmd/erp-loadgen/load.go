package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/erp-service/internal/stock"
	"github.com/seamhq/seam/platform/money"
)

// Size is how much data to load.
type Size struct {
	LedgerRows int     // stock_moves rows
	Invoices   int     // invoices, one per shipped order
	SKUs       int     // items
	Customers  int     // customers
	Warehouses int     // warehouses, MAIN included
	HotShare   float64 // share of order lines on the hot SKU
	Days       int     // history length, ending today
	Seed       uint64
}

// The generated data's fixed shape.
const (
	currency      = "EUR"
	actor         = "loadgen"
	hotSKU        = "SKU-000001"
	maxLines      = 6    // lines per order: 1 to maxLines
	cancelShare   = 0.08 // of the ledger: reservation and release pairs of cancelled orders
	receiptUnits  = 40   // mean units per receipt (hot SKU: x20)
	openPerOrders = 500  // one confirmed, unshipped order per this many invoiced ones
	openDays      = 10   // spread over this many last days
)

// copier streams rows into one table with COPY.
type copier struct {
	table string
	cols  []string
	ch    chan [][]any
	buf   [][]any
	rows  int64
}

const copyBatch = 2000

func (c *copier) add(row ...any) {
	c.buf = append(c.buf, row)
	c.rows++
	if len(c.buf) == copyBatch {
		c.ch <- c.buf
		c.buf = make([][]any, 0, copyBatch)
	}
}

func (c *copier) close() {
	if len(c.buf) > 0 {
		c.ch <- c.buf
	}
	close(c.ch)
}

// run copies everything sent to c on a connection of pool that skips
// triggers and foreign key checks (session_replication_role = replica,
// which needs a superuser): the generator keeps the invariants itself and
// Check verifies them afterwards.
func (c *copier) run(ctx context.Context, pool *pgxpool.Pool) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SET session_replication_role = replica"); err != nil {
		return fmt.Errorf("copy %s: %w", c.table, err)
	}
	defer func() { _, _ = conn.Exec(context.WithoutCancel(ctx), "RESET session_replication_role") }()
	var batch [][]any
	i := 0
	_, err = conn.CopyFrom(ctx, pgx.Identifier{c.table}, c.cols, pgx.CopyFromFunc(func() ([]any, error) {
		for i >= len(batch) {
			b, ok := <-c.ch
			if !ok {
				return nil, nil
			}
			batch, i = b, 0
		}
		i++
		return batch[i-1], nil
	}))
	if err != nil {
		// Drain so the generator does not block.
		for b := range c.ch {
			_ = b
		}
		return fmt.Errorf("copy %s: %w", c.table, err)
	}
	return nil
}

// level is the running stock of an item in a warehouse.
type level struct {
	onHand, reserved int64
	moves            int64
}

// item is an item with its price, cost and the running stock of each
// warehouse.
type item struct {
	sku     string
	price   money.Money
	cost    decimal.Decimal
	taxRate decimal.Decimal
	levels  []level
	moves   int64
}

// customerRow is a customer with the count of its balance changes (its
// balance_version).
type customerRow struct {
	id      uuid.UUID
	created time.Time
	terms   int
	changes int64
}

// generator builds a consistent history: items received as orders need
// them, orders reserved, shipped, invoiced and paid (or not yet), cancelled
// orders releasing what they reserved, cycle counts; with the journal
// entries of receipts, shipments, invoices and payments.
type generator struct {
	size      Size
	rng       *rand.Rand
	start     time.Time
	today     time.Time
	now       time.Time
	items     []item
	whs       []string
	customers []customerRow

	moves, orders, lines, shipments, shipmentLines, invoices, invoiceLines *copier
	payments, allocations, entries, journalLines                           *copier

	nMoves, nReceipts, nOrders, nPayments int64
}

// newID is a UUIDv7 of time t, as uuid.NewV7 makes at t: ids sort by
// creation time.
func newID(rng *rand.Rand, t time.Time) uuid.UUID {
	var u uuid.UUID
	binary.BigEndian.PutUint64(u[8:], rng.Uint64())
	binary.BigEndian.PutUint64(u[0:8], uint64(t.UnixMilli())<<16|rng.Uint64()&0xffff)
	u[6] = 0x70 | u[6]&0x0f
	u[8] = 0x80 | u[8]&0x3f
	return u
}

func cents(c int64) decimal.Decimal { return decimal.New(c, -2) }

func units(n int64) decimal.Decimal { return decimal.NewFromInt(n) }

// Load fills the (migrated, empty) database behind pool and returns the
// rows written per table.
func Load(ctx context.Context, pool *pgxpool.Pool, size Size, logf func(string, ...any)) (map[string]int64, error) {
	if size.LedgerRows < 10*size.Invoices {
		return nil, fmt.Errorf("ledger rows (%d) must be at least 10 x invoices (%d)", size.LedgerRows, size.Invoices)
	}
	now := time.Now().UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	g := &generator{
		size: size, rng: rand.New(rand.NewPCG(size.Seed, 0x5eab)),
		start: today.AddDate(0, 0, -size.Days), today: today, now: now,
	}
	mk := func(table string, cols ...string) *copier {
		return &copier{table: table, cols: cols, ch: make(chan [][]any, 8)}
	}
	custs := mk("customers", "id", "name", "currency_code", "payment_terms_days", "balance_version", "create_time", "update_time")
	items := mk("items", "sku", "name", "unit_of_measure", "currency_code", "list_price", "standard_cost", "tax_rate", "create_time", "update_time")
	totals := mk("stock_totals", "sku", "on_hand", "reserved", "version", "update_time")
	levels := mk("stock_levels", "sku", "warehouse", "on_hand", "reserved", "version", "update_time")
	g.moves = mk("stock_moves", "id", "sku", "warehouse", "kind", "on_hand_delta", "reserved_delta", "reason", "reference", "actor", "created_at")
	g.orders = mk("sales_orders", "id", "number", "customer_id", "currency_code", "status", "total", "cancel_reason", "revision", "create_time", "update_time")
	g.lines = mk("sales_order_lines", "order_id", "line_number", "sku", "quantity", "unit_price", "discount_percent", "amount",
		"reserved_quantity", "backordered_quantity", "shipped_quantity", "invoiced_quantity")
	g.shipments = mk("shipments", "id", "order_id", "actor", "create_time")
	g.shipmentLines = mk("shipment_lines", "shipment_id", "line_number", "warehouse", "sku", "quantity", "cost", "cost_currency")
	g.invoices = mk("invoices", "id", "number", "order_id", "customer_id", "currency_code", "status", "subtotal", "tax_total", "total",
		"paid_amount", "issue_date", "due_date", "overdue", "revision", "create_time", "update_time")
	g.invoiceLines = mk("invoice_lines", "invoice_id", "line_number", "sku", "quantity", "unit_price", "discount_percent", "tax_rate",
		"net_amount", "tax_amount")
	g.payments = mk("payments", "id", "number", "customer_id", "currency_code", "amount", "unallocated", "status", "received_date",
		"reference", "revision", "create_time", "update_time")
	g.allocations = mk("payment_allocations", "payment_id", "invoice_id", "amount", "received_date")
	g.entries = mk("journal_entries", "id", "kind", "reference", "currency_code", "actor", "post_time")
	g.journalLines = mk("journal_lines", "entry_id", "line_number", "account_code", "debit", "credit")
	suppliers := mk("suppliers", "id", "name", "currency_code", "create_time", "update_time")
	pos := mk("purchase_orders", "id", "number", "supplier_id", "currency_code", "status", "total", "revision", "create_time", "update_time")
	poLines := mk("purchase_order_lines", "order_id", "line_number", "sku", "quantity", "unit_cost", "expected_date", "amount", "open")
	all := []*copier{custs, items, totals, levels, g.moves, g.orders, g.lines, g.shipments, g.shipmentLines, g.invoices, g.invoiceLines,
		g.payments, g.allocations, g.entries, g.journalLines, suppliers, pos, poLines}

	for w := 1; w < size.Warehouses; w++ {
		code := fmt.Sprintf("WH%d", w+1)
		if _, err := pool.Exec(ctx, `INSERT INTO warehouses (code, name) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
			code, "Warehouse "+code); err != nil {
			return nil, fmt.Errorf("warehouse %s: %w", code, err)
		}
	}
	g.whs = []string{"MAIN"}
	for w := 1; w < size.Warehouses; w++ {
		g.whs = append(g.whs, fmt.Sprintf("WH%d", w+1))
	}

	gctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	fail := func(err error) {
		if err == nil {
			return
		}
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
		cancel(err)
	}
	for _, c := range all {
		wg.Go(func() { fail(c.run(gctx, pool)) })
	}
	wg.Go(func() {
		defer func() {
			for _, c := range all {
				c.close()
			}
		}()
		g.masterData(items, suppliers, pos, poLines)
		if err := g.history(gctx, logf); err != nil {
			fail(err)
			return
		}
		g.stockRows(totals, levels)
		for i, c := range g.customers {
			custs.add(c.id, fmt.Sprintf("Customer %06d", i+1), currency, int32(c.terms), c.changes, c.created, c.created)
		}
	})
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	counts := map[string]int64{}
	for _, c := range all {
		counts[c.table] = c.rows
	}
	for _, q := range []string{
		fmt.Sprintf(`SELECT setval('sales_order_number_seq', %d)`, g.nOrders),
		fmt.Sprintf(`SELECT setval('invoice_number_seq', %d)`, max(1, size.Invoices)),
		fmt.Sprintf(`SELECT setval('payment_number_seq', %d)`, max(1, g.nPayments)),
		fmt.Sprintf(`SELECT setval('purchase_order_number_seq', %d)`, max(1, pos.rows)),
		// The kept balances, from the journal just loaded.
		`DELETE FROM account_balances`,
		`INSERT INTO account_balances (account_code, currency_code, slot, debit, credit)
		 SELECT l.account_code, e.currency_code, 0, sum(l.debit), sum(l.credit)
		 FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id GROUP BY 1, 2`,
	} {
		if _, err := pool.Exec(ctx, q); err != nil {
			return nil, fmt.Errorf("after load: %w", err)
		}
	}
	return counts, nil
}

func (g *generator) masterData(items, suppliers, pos, poLines *copier) {
	t0 := g.start.Add(-24 * time.Hour)
	// Customers joined over the year before the history starts, so their
	// ids (time-ordered) follow the order the rows are written in, as
	// they would have been created.
	joined := g.start.AddDate(-1, 0, 0)
	step := g.start.Sub(joined) / time.Duration(g.size.Customers+1)
	for i := range g.size.Customers {
		at := joined.Add(time.Duration(i+1) * step)
		c := customerRow{id: newID(g.rng, at), created: at, terms: 30}
		switch r := g.rng.IntN(10); {
		case r == 0:
			c.terms = 14
		case r == 1:
			c.terms = 60
		}
		g.customers = append(g.customers, c)
	}
	for i := range g.size.SKUs {
		price := int64(100 + g.rng.IntN(20000))
		if g.rng.IntN(10) == 0 {
			price *= 10
		}
		costCents := price * int64(40+g.rng.IntN(30)) / 100
		rate := decimal.RequireFromString("0.19")
		if g.rng.IntN(5) == 0 {
			rate = decimal.RequireFromString("0.07")
		}
		it := item{sku: fmt.Sprintf("SKU-%06d", i+1), price: money.Money{Currency: currency, Amount: cents(price)},
			cost: cents(costCents), taxRate: rate, levels: make([]level, g.size.Warehouses)}
		g.items = append(g.items, it)
		items.add(it.sku, "Item "+it.sku, "EA", currency, it.price.Amount, it.cost, rate, t0, t0)
	}
	nSup := max(1, g.size.SKUs/1000)
	var supIDs []uuid.UUID
	for i := range nSup {
		id := newID(g.rng, t0)
		supIDs = append(supIDs, id)
		suppliers.add(id, fmt.Sprintf("Supplier %d", i+1), currency, t0, t0)
	}
	// Open purchase orders: incoming stock for a tenth of the items and
	// the hot one.
	nPO := max(1, g.size.SKUs/10/3)
	for i := range nPO {
		id := newID(g.rng, g.today)
		n := 1 + g.rng.IntN(5)
		total := decimal.Zero
		for l := 1; l <= n; l++ {
			it := &g.items[g.rng.IntN(len(g.items))]
			if l == 1 && i < 5 {
				it = &g.items[0]
			}
			qty := units(int64(50 + g.rng.IntN(500)))
			amount := money.Round(qty.Mul(it.cost), currency)
			total = total.Add(amount)
			poLines.add(id, int32(l), it.sku, qty, it.cost, g.today.AddDate(0, 0, 3+g.rng.IntN(60)), amount, true)
		}
		pos.add(id, fmt.Sprintf("PO-%06d", i+1), supIDs[g.rng.IntN(len(supIDs))], currency, "ORDERED", total, int64(2), g.today, g.today)
	}
}

// pickItem draws an order line's item: the hot one with HotShare, else
// uniformly.
func (g *generator) pickItem() int {
	if g.rng.Float64() < g.size.HotShare || len(g.items) == 1 {
		return 0
	}
	return 1 + g.rng.IntN(len(g.items)-1)
}

// pickWarehouse draws a warehouse, MAIN most often.
func (g *generator) pickWarehouse() int {
	if len(g.whs) == 1 || g.rng.IntN(2) == 0 {
		return 0
	}
	return 1 + g.rng.IntN(len(g.whs)-1)
}

// move writes a ledger row; one with no reference is a stock adjustment,
// and names itself.
func (g *generator) move(t time.Time, it *item, wh int, kind string, onHand, reserved int64, reason, reference string) uuid.UUID {
	id := newID(g.rng, t)
	if reference == "" {
		reference = stock.Adjustment{ID: id.String()}.Reference()
	}
	g.moves.add(id, it.sku, g.whs[wh], kind, units(onHand), units(reserved), reason, reference, actor, t)
	l := &it.levels[wh]
	l.onHand += onHand
	l.reserved += reserved
	l.moves++
	it.moves++
	g.nMoves++
	return id
}

// journal writes an entry from its lines, given as (account, debit,
// credit) triples that balance.
func (g *generator) journal(t time.Time, kind, reference string, lines ...any) {
	id := newID(g.rng, t)
	g.entries.add(id, kind, reference, currency, actor, t)
	for i := 0; i+3 <= len(lines); i += 3 {
		g.journalLines.add(id, int32(i/3+1), lines[i], lines[i+1], lines[i+2])
	}
}

// ensure receives stock into a level when what is available there is
// short of qty, as replenishment would.
func (g *generator) ensure(t time.Time, it *item, wh int, qty int64) {
	l := &it.levels[wh]
	if l.onHand-l.reserved >= qty {
		return
	}
	size := int64(receiptUnits/2 + g.rng.IntN(receiptUnits))
	if it.sku == hotSKU {
		size *= 20
	}
	size = max(size, qty)
	at := t.Add(-time.Minute)
	g.nReceipts++
	id := g.move(at, it, wh, "receipt", size, 0, "receipt", "")
	value := money.Round(units(size).Mul(it.cost), currency)
	if value.IsPositive() {
		g.journal(at, "receipt", "stockAdjustments/"+id.String(),
			"1200", value, decimal.Zero, "2000", decimal.Zero, value)
	}
}

// orderLine is a drawn order line: item and warehouse indexes, quantity,
// discount and amount.
type orderLine struct {
	item     int
	wh       int
	qty      int64
	discount decimal.Decimal
	amount   money.Money
}

func (g *generator) newLines() []orderLine {
	n := 1 + g.rng.IntN(maxLines)
	out := make([]orderLine, n)
	for i := range out {
		l := &out[i]
		l.item, l.wh, l.qty = g.pickItem(), g.pickWarehouse(), int64(1+g.rng.IntN(10))
		l.discount = decimal.Zero
		if g.rng.IntN(5) == 0 {
			l.discount = decimal.NewFromInt(int64(5 * (1 + g.rng.IntN(3))))
		}
		it := &g.items[l.item]
		l.amount = money.LineAmount(units(l.qty), it.price, l.discount)
	}
	return out
}

func (g *generator) customer() *customerRow {
	u := g.rng.Float64()
	return &g.customers[int(u*u*float64(len(g.customers)))]
}

// history writes the days from start to today.
func (g *generator) history(ctx context.Context, logf func(string, ...any)) error {
	days := g.size.Days
	nInvoice := int64(0)
	for d := range days {
		if err := ctx.Err(); err != nil {
			return err
		}
		day := g.start.AddDate(0, 0, d)
		orders := g.size.Invoices / days
		if d < g.size.Invoices%days {
			orders++
		}
		cancels := int(float64(g.size.LedgerRows) * cancelShare / 2 / 3.5 / float64(days))
		for range orders {
			nInvoice++
			g.invoicedOrder(day, nInvoice)
		}
		for range cancels {
			g.cancelledOrder(day)
		}
		// Orders of the last days, confirmed and not shipped yet.
		if d >= days-openDays {
			open := max(1, g.size.Invoices/openPerOrders)
			for range open/openDays + btoi(d-(days-openDays) < open%openDays) {
				g.openOrder(day)
			}
		}
		// Cycle counts fill the day up to its share of the ledger.
		target := int64(g.size.LedgerRows) * int64(d+1) / int64(days)
		for g.nMoves < target {
			it := &g.items[g.rng.IntN(len(g.items))]
			wh := g.rng.IntN(len(g.whs))
			l := &it.levels[wh]
			delta := int64(1 + g.rng.IntN(3))
			if g.rng.IntN(2) == 0 && l.onHand-l.reserved >= delta {
				delta = -delta
			}
			g.move(day.Add(time.Duration(g.rng.Int64N(int64(24*time.Hour)))), it, wh, "adjustment", delta, 0, "count", "")
		}
		if logf != nil && (d+1)%max(1, days/10) == 0 {
			logf("generated %d of %d days: %d ledger rows (%d receipts), %d invoices", d+1, days, g.nMoves, g.nReceipts, nInvoice)
		}
	}
	if g.nMoves != int64(g.size.LedgerRows) {
		return fmt.Errorf("generated %d ledger rows, want %d (raise ledger rows or lower invoices)", g.nMoves, g.size.LedgerRows)
	}
	return nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (g *generator) at(day time.Time) time.Time {
	t := day.Add(time.Duration(g.rng.Int64N(int64(24 * time.Hour))))
	if t.After(g.now) {
		t = g.now.Add(-time.Second)
	}
	return t
}

func (g *generator) orderNumber() string {
	g.nOrders++
	return fmt.Sprintf("SO-%06d", g.nOrders)
}

// invoicedOrder writes an order confirmed on day, shipped in full,
// invoiced, and paid in full, in part or not yet.
func (g *generator) invoicedOrder(day time.Time, invoiceNo int64) {
	t0 := g.at(day)
	c := g.customer()
	id := newID(g.rng, t0)
	ref := "salesOrders/" + id.String()
	lines := g.newLines()
	t1 := t0.Add(time.Duration(g.rng.Int64N(int64(48 * time.Hour))))
	if t1.After(g.now) {
		t1 = g.now
	}
	shipID := newID(g.rng, t1)
	issue := time.Date(t1.Year(), t1.Month(), t1.Day(), 0, 0, 0, 0, time.UTC)
	due := issue.AddDate(0, 0, c.terms)
	invID := newID(g.rng, t1)

	var total, subtotal, taxTotal, shipCost decimal.Decimal
	for i := range lines {
		l := &lines[i]
		it := &g.items[l.item]
		g.ensure(t0, it, l.wh, l.qty)
		g.move(t0, it, l.wh, "reservation", 0, l.qty, "", ref)
		g.move(t1, it, l.wh, "shipment", -l.qty, -l.qty, "shipments/"+shipID.String(), ref)
		cost := money.Round(units(l.qty).Mul(it.cost), currency)
		shipCost = shipCost.Add(cost)
		g.shipmentLines.add(shipID, int32(i+1), g.whs[l.wh], it.sku, units(l.qty), cost, currency)
		net := l.amount.Amount
		tax := money.Round(net.Mul(it.taxRate), currency)
		subtotal, taxTotal = subtotal.Add(net), taxTotal.Add(tax)
		total = total.Add(net)
		g.invoiceLines.add(invID, int32(i+1), it.sku, units(l.qty), it.price.Amount, l.discount, it.taxRate, net, tax)
	}
	g.shipments.add(shipID, id, actor, t1)
	if shipCost.IsPositive() {
		g.journal(t1, "shipment", "shipments/"+shipID.String(), "5000", shipCost, decimal.Zero, "1200", decimal.Zero, shipCost)
	}
	invTotal := subtotal.Add(taxTotal)
	invRef := "invoices/" + invID.String()
	jl := []any{"1100", invTotal, decimal.Zero}
	if subtotal.IsPositive() {
		jl = append(jl, "4000", decimal.Zero, subtotal)
	}
	if taxTotal.IsPositive() {
		jl = append(jl, "2100", decimal.Zero, taxTotal)
	}
	if invTotal.IsPositive() {
		g.journal(t1, "invoice", invRef, jl...)
	}

	// Payment: most invoices due long ago are paid, fewer of the recent.
	age := int(g.today.Sub(due).Hours() / 24)
	full, part := 0.35, 0.10
	switch {
	case age > 30:
		full, part = 0.93, 0.03
	case age > 0:
		full, part = 0.70, 0.10
	}
	paid := decimal.Zero
	revision := int64(1)
	r := g.rng.Float64()
	if invTotal.IsPositive() && r < full+part {
		amount := invTotal
		if r >= full {
			amount = money.Round(invTotal.Mul(decimal.NewFromFloat(0.2+0.6*g.rng.Float64())), currency)
			if !amount.IsPositive() || amount.GreaterThanOrEqual(invTotal) {
				amount = decimal.Zero
			}
		}
		span := max(1, c.terms+10)
		received := issue.AddDate(0, 0, g.rng.IntN(span))
		if amount.IsPositive() && received.Before(g.today) {
			pt := received.Add(time.Duration(g.rng.Int64N(int64(20 * time.Hour))))
			payID := newID(g.rng, pt)
			g.nPayments++
			g.payments.add(payID, fmt.Sprintf("PAY-%06d", g.nPayments), c.id, currency, amount, decimal.Zero, "POSTED", received,
				"bank transfer", int64(1), pt, pt)
			g.allocations.add(payID, invID, amount, received)
			g.journal(pt, "payment", "payments/"+payID.String(), "1000", amount, decimal.Zero, "1100", decimal.Zero, amount)
			paid = amount
			revision++
			c.changes++
		}
	}
	status, overdue := "OPEN", false
	switch {
	case paid.GreaterThanOrEqual(invTotal):
		status = "PAID"
	case due.Before(g.today):
		status, overdue = "OVERDUE", true
		revision++
	case paid.IsPositive():
		status = "PARTIALLY_PAID"
	}
	orderStatus := "INVOICED"
	if status == "PAID" {
		orderStatus = "PAID"
	}
	c.changes++
	g.invoices.add(invID, fmt.Sprintf("INV-%06d", invoiceNo), id, c.id, currency, status, subtotal, taxTotal, invTotal,
		paid, issue, due, overdue, revision, t1, t1)
	for i, l := range lines {
		g.lines.add(id, int32(i+1), g.items[l.item].sku, units(l.qty), g.items[l.item].price.Amount, l.discount, l.amount.Amount,
			decimal.Zero, decimal.Zero, units(l.qty), units(l.qty))
	}
	g.orders.add(id, g.orderNumber(), c.id, currency, orderStatus, total, "", int64(4), t0, t1)
}

// cancelledOrder writes an order confirmed on day and cancelled later
// that day, its reservations released.
func (g *generator) cancelledOrder(day time.Time) {
	t0 := g.at(day)
	t1 := t0.Add(time.Duration(g.rng.Int64N(int64(6 * time.Hour))))
	if t1.After(g.now) {
		t1 = g.now
	}
	c := g.customer()
	id := newID(g.rng, t0)
	ref := "salesOrders/" + id.String()
	lines := g.newLines()
	total := decimal.Zero
	for i, l := range lines {
		it := &g.items[l.item]
		g.ensure(t0, it, l.wh, l.qty)
		g.move(t0, it, l.wh, "reservation", 0, l.qty, "", ref)
		g.move(t1, it, l.wh, "release", 0, -l.qty, "", ref)
		total = total.Add(l.amount.Amount)
		g.lines.add(id, int32(i+1), it.sku, units(l.qty), it.price.Amount, l.discount, l.amount.Amount,
			decimal.Zero, decimal.Zero, decimal.Zero, decimal.Zero)
	}
	g.orders.add(id, g.orderNumber(), c.id, currency, "CANCELLED", total, "customer request", int64(3), t0, t1)
}

// openOrder writes an order confirmed on day, its stock still reserved.
func (g *generator) openOrder(day time.Time) {
	t0 := g.at(day)
	c := g.customer()
	id := newID(g.rng, t0)
	ref := "salesOrders/" + id.String()
	lines := g.newLines()
	total := decimal.Zero
	for i, l := range lines {
		it := &g.items[l.item]
		g.ensure(t0, it, l.wh, l.qty)
		g.move(t0, it, l.wh, "reservation", 0, l.qty, "", ref)
		total = total.Add(l.amount.Amount)
		g.lines.add(id, int32(i+1), it.sku, units(l.qty), it.price.Amount, l.discount, l.amount.Amount,
			units(l.qty), decimal.Zero, decimal.Zero, decimal.Zero)
	}
	g.orders.add(id, g.orderNumber(), c.id, currency, "CONFIRMED", total, "", int64(2), t0, t0)
}

// stockRows writes the levels and totals the ledger sums to.
func (g *generator) stockRows(totals, levels *copier) {
	for _, it := range g.items {
		var onHand, reserved int64
		for w, l := range it.levels {
			if l.moves == 0 {
				continue
			}
			levels.add(it.sku, g.whs[w], units(l.onHand), units(l.reserved), l.moves, g.now)
			onHand += l.onHand
			reserved += l.reserved
		}
		totals.add(it.sku, units(onHand), units(reserved), it.moves, g.now)
	}
}
