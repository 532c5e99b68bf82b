package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/erp-service/internal/customer"
	"github.com/seamhq/seam/erp-service/internal/invoicing"
	"github.com/seamhq/seam/erp-service/internal/ledger"
	"github.com/seamhq/seam/erp-service/internal/sales"
	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/feed"
	"github.com/seamhq/seam/platform/pg"
	"github.com/seamhq/seam/platform/requestid"
)

// Lock order of the money side: a customer row first (its balance
// version), then its orders, then its invoices. Shipments lock SKUs, then
// an order; they never lock a customer.

var invoiceFilter = map[string]column{
	"customer_id":    {expr: "customer_id", uuid: true},
	"sales_order_id": {expr: "order_id", uuid: true},
	"status":         {expr: "status"},
	"issue_date":     {expr: "issue_date", date: true},
	"due_date":       {expr: "due_date", date: true},
}

// invoiceNumberSQL draws the next invoice number: without gaps, the
// series held until the transaction ends (migration 0034).
const invoiceNumberSQL = `(SELECT 'INV-' || CASE WHEN n < 1000000 THEN lpad(n::text, 6, '0') ELSE n::text END
	FROM next_document_number('invoice') AS n)`

// invoiceCols selects an invoice and one of its lines, from "i", "o" and "l".
const invoiceCols = `i.id, i.number, i.order_id, o.number, i.customer_id, i.currency_code, i.status,
	i.subtotal, i.tax_total, i.total, i.paid_amount, i.credited_amount, i.issue_date, i.due_date, i.overdue, i.void_reason,
	i.revision, i.create_time, i.update_time,
	l.line_number, l.sku, l.quantity, l.unit_price, l.discount_percent, l.tax_rate, l.net_amount, l.tax_amount`

func scanInvoices(rows pgx.Rows) ([]invoicing.Invoice, error) {
	defer rows.Close()
	var out []invoicing.Invoice
	for rows.Next() {
		var i invoicing.Invoice
		var l invoicing.Line
		var status string
		if err := rows.Scan(&i.ID, &i.Number, &i.OrderID, &i.OrderNumber, &i.CustomerID, &i.Currency, &status,
			&i.Subtotal.Amount, &i.TaxTotal.Amount, &i.Total.Amount, &i.Paid.Amount, &i.Credited.Amount, &i.IssueDate, &i.DueDate, &i.Overdue, &i.VoidReason,
			&i.Revision, &i.CreateTime, &i.UpdateTime,
			&l.LineNumber, &l.SKU, &l.Quantity, &l.UnitPrice.Amount, &l.Discount, &l.TaxRate, &l.Net.Amount, &l.Tax.Amount); err != nil {
			return nil, err
		}
		l.UnitPrice.Currency, l.Net.Currency, l.Tax.Currency = i.Currency, i.Currency, i.Currency
		if n := len(out); n > 0 && out[n-1].ID == i.ID {
			out[n-1].Lines = append(out[n-1].Lines, l)
			continue
		}
		i.Status = invoicing.Status(status)
		i.Subtotal.Currency, i.TaxTotal.Currency, i.Total.Currency, i.Paid.Currency, i.Credited.Currency = i.Currency, i.Currency, i.Currency, i.Currency, i.Currency
		i.Lines = []invoicing.Line{l}
		out = append(out, i)
	}
	return out, rows.Err()
}

// queueReadOrder queues reading an order with its lines, locked FOR UPDATE
// when lock, into lk (no stock is read).
func queueReadOrder(b *pgx.Batch, lk *orderLock, id string, lock bool) {
	forUpdate := ""
	if lock {
		forUpdate = " FOR UPDATE OF o"
	}
	b.Queue(`SELECT `+orderCols+`, now()
		FROM sales_orders o JOIN sales_order_lines l ON l.order_id = o.id
		WHERE o.id = $1 ORDER BY l.line_number`+forUpdate, id).
		Query(func(rows pgx.Rows) error {
			orders, err := scanOrders(rows, &lk.now)
			if err != nil || len(orders) == 0 {
				return err
			}
			lk.order, lk.found = orders[0], true
			return nil
		})
}

// queueReadBilled queues reading what the order's invoices that are not
// void billed of each of its lines into billed, after the order is locked
// (no invoice of it changes then).
func queueReadBilled(b *pgx.Batch, orderID string, billed map[int32]invoicing.Billed) {
	b.Queue(`SELECT l.line_number, sum(l.net_amount), sum(l.tax_amount), sum(l.net_amount * l.tax_rate)
		FROM invoices i JOIN invoice_lines l ON l.invoice_id = i.id
		WHERE i.order_id = $1 AND i.status <> 'VOID'
		GROUP BY l.line_number`, orderID).
		Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var n int32
				var x invoicing.Billed
				if err := rows.Scan(&n, &x.Net, &x.Tax, &x.TaxBase); err != nil {
					return err
				}
				billed[n] = x
			}
			return rows.Err()
		})
}

// queueSaveInvoicing queues writing what invoicing changed on an order:
// its lines' invoiced quantities, status and revision.
func queueSaveInvoicing(b *pgx.Batch, o sales.Order) {
	k := len(o.Lines)
	numbers, invoiced := make([]int32, k), make([]decimal.Decimal, k)
	for i, l := range o.Lines {
		numbers[i], invoiced[i] = l.Number, l.Invoiced
	}
	b.Queue(`UPDATE sales_order_lines l SET invoiced_quantity = u.q
		FROM unnest($2::int[], $3::numeric[]) AS u(n, q)
		WHERE l.order_id = $1 AND l.line_number = u.n`, o.ID, numbers, invoiced)
	b.Queue(`UPDATE sales_orders SET status = $2, revision = $3, update_time = now() WHERE id = $1`,
		o.ID, string(o.Status), o.Revision)
}

// balanceSums is what a customer owes in currency $2 ($1 the customer):
// open (total less payments and credit notes, of the invoices neither
// void, paid nor credited), overdue and unapplied credit.
const balanceSums = `coalesce(sum(i.total - i.paid_amount - i.credited_amount) FILTER (WHERE i.status NOT IN ('VOID', 'PAID', 'CREDITED')), 0),
	coalesce(sum(i.total - i.paid_amount - i.credited_amount) FILTER (WHERE i.status = 'OVERDUE'), 0),
	(SELECT coalesce(sum(unallocated), 0) FROM payments
	 WHERE customer_id = $1 AND currency_code = $2 AND status = 'POSTED')`

// Balance implements invoicing.Store.
func (s *Store) Balance(ctx context.Context, customerID, currency string) (invoicing.Balance, error) {
	c, err := s.GetCustomer(ctx, customerID)
	if err != nil {
		return invoicing.Balance{}, err
	}
	if currency == "" {
		currency = c.CurrencyCode
	}
	b := invoicing.Balance{CustomerID: c.ID, Currency: currency}
	err = s.pool.QueryRow(ctx, `SELECT c.balance_version, `+balanceSums+`
		FROM customers c LEFT JOIN invoices i ON i.customer_id = c.id AND i.currency_code = $2
		WHERE c.id = $1
		GROUP BY c.balance_version`, customerID, currency).
		Scan(&b.Version, &b.Open.Amount, &b.Overdue.Amount, &b.Credit.Amount)
	if err != nil {
		return invoicing.Balance{}, fmt.Errorf("balance of customer %s: %w", customerID, err)
	}
	b.Open.Currency, b.Overdue.Currency, b.Credit.Currency = b.Currency, b.Currency, b.Currency
	return b, nil
}

// Balances implements invoicing.Store. One statement reads every
// currency, so all carry the balance version of one moment.
func (s *Store) Balances(ctx context.Context, customerID string) ([]invoicing.Balance, error) {
	c, err := s.GetCustomer(ctx, customerID)
	if err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `WITH cur AS (
			SELECT currency_code FROM invoices WHERE customer_id = $1
			UNION SELECT currency_code FROM payments WHERE customer_id = $1
		)
		SELECT c.balance_version, cur.currency_code,
			coalesce((SELECT sum(i.total - i.paid_amount - i.credited_amount) FROM invoices i
				WHERE i.customer_id = $1 AND i.currency_code = cur.currency_code AND i.status NOT IN ('VOID', 'PAID', 'CREDITED')), 0),
			coalesce((SELECT sum(i.total - i.paid_amount - i.credited_amount) FROM invoices i
				WHERE i.customer_id = $1 AND i.currency_code = cur.currency_code AND i.status = 'OVERDUE'), 0),
			coalesce((SELECT sum(p.unallocated) FROM payments p
				WHERE p.customer_id = $1 AND p.currency_code = cur.currency_code AND p.status = 'POSTED'), 0)
		FROM customers c CROSS JOIN cur
		WHERE c.id = $1
		ORDER BY cur.currency_code`, c.ID)
	if err != nil {
		return nil, fmt.Errorf("balances of customer %s: %w", c.ID, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (invoicing.Balance, error) {
		b := invoicing.Balance{CustomerID: c.ID}
		err := row.Scan(&b.Version, &b.Currency, &b.Open.Amount, &b.Overdue.Amount, &b.Credit.Amount)
		b.Open.Currency, b.Overdue.Currency, b.Credit.Currency = b.Currency, b.Currency, b.Currency
		return b, err
	})
	if err != nil {
		return nil, fmt.Errorf("balances of customer %s: %w", c.ID, err)
	}
	return out, nil
}

// balanceEvent bumps the customer's balance version and returns the
// customer.balance_changed event of its balance in currency, read after
// this transaction's writes.
func (s *Store) balanceEvent(ctx context.Context, tx pgx.Tx, customerID, currency string) (feed.NewEvent, error) {
	b := invoicing.Balance{CustomerID: customerID, Currency: currency}
	b.Open.Currency, b.Overdue.Currency, b.Credit.Currency = currency, currency, currency
	err := tx.QueryRow(ctx, `WITH v AS (
			UPDATE customers SET balance_version = balance_version + 1 WHERE id = $1 RETURNING balance_version
		)
		SELECT v.balance_version, `+balanceSums+`
		FROM v LEFT JOIN invoices i ON i.customer_id = $1 AND i.currency_code = $2
		GROUP BY v.balance_version`, customerID, currency).Scan(&b.Version, &b.Open.Amount, &b.Overdue.Amount, &b.Credit.Amount)
	if err != nil {
		return feed.NewEvent{}, fmt.Errorf("balance of customer %s: %w", customerID, err)
	}
	payload, err := s.enc.CustomerBalance(b)
	if err != nil {
		return feed.NewEvent{}, fmt.Errorf("encode balance of customer %s: %w", customerID, err)
	}
	return event(ctx, invoicing.EventBalanceChanged, customerID, payload), nil
}

// CreateInvoice implements invoicing.Store.
// A posting dated in the closed period is FAILED_PRECONDITION naming
// issue_date.
func (s *Store) CreateInvoice(ctx context.Context, orderID string, issue time.Time, id, requestID string) (invoicing.Invoice, error) {
	out, err := s.createInvoice(ctx, orderID, issue, id, requestID)
	return out, closedPeriodAt(err, "issue_date")
}

// createInvoice is CreateInvoice but for naming the date of a posting refused
// for the closed period.
func (s *Store) createInvoice(ctx context.Context, orderID string, issue time.Time, id, requestID string) (invoicing.Invoice, error) {
	const method = "CreateInvoice"
	if !canonicalID(&orderID) {
		return invoicing.Invoice{}, errs.Invalid("sales_order_id", "no sales order has id %q", orderID)
	}
	actor := auth.Actor(ctx)
	var out invoicing.Invoice
	var lk *orderLock
	var cl claim
	var terms int
	var policy string
	var rates map[string]decimal.Decimal
	var billed map[int32]invoicing.Billed
	err := inTx(ctx, s.pool, func(b *pgx.Batch) {
		lk = &orderLock{}
		cl = claim{requestID: requestID, method: method, resourceID: id, digest: requestid.FromContext(ctx)}
		rates = map[string]decimal.Decimal{}
		billed = map[int32]invoicing.Billed{}
		// The key locks, the customer's then the order's, before any row
		// lock gives the transaction its id.
		queueLockCustomers(b, `id = (SELECT customer_id FROM sales_orders WHERE id = $1)`, orderID)
		pg.QueueKeyLock(b, "salesOrders/"+orderID)
		b.Queue(`SELECT payment_terms_days, invoice_policy FROM customers
			WHERE id = (SELECT customer_id FROM sales_orders WHERE id = $1) FOR UPDATE`, orderID).
			Query(func(rows pgx.Rows) error {
				for rows.Next() {
					if err := rows.Scan(&terms, &policy); err != nil {
						return err
					}
				}
				return rows.Err()
			})
		queueReadOrder(b, lk, orderID, true)
		cl.queue(b)
		queueReadBilled(b, orderID, billed)
		b.Queue(`SELECT sku, tax_rate FROM items WHERE sku IN (SELECT sku FROM sales_order_lines WHERE order_id = $1)`, orderID).
			Query(func(rows pgx.Rows) error {
				for rows.Next() {
					var sku string
					var r decimal.Decimal
					if err := rows.Scan(&sku, &r); err != nil {
						return err
					}
					rates[sku] = r
				}
				return rows.Err()
			})
	}, func(tx pgx.Tx) error {
		if !lk.found {
			return errs.Invalid("sales_order_id", "no sales order has id %q", orderID)
		}
		day := issue
		if day.IsZero() {
			day = lk.now.UTC()
		}
		day = time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
		if err := invoicing.CheckIssueDate(day, lk.now); err != nil {
			return err
		}
		o := &lk.order
		inv, entries, err := invoicing.Build(id, o, billed, rates, day, terms, customer.InvoicePolicy(policy) == customer.WholeOrder)
		if err != nil {
			return err
		}
		inv.CreateTime, inv.UpdateTime, o.UpdateTime = lk.now, lk.now, lk.now
		for i := range entries {
			entries[i].Date = inv.IssueDate // in the period the invoice is issued in
		}

		var b pgx.Batch
		k := len(inv.Lines)
		numbers, skus := make([]int32, k), make([]string, k)
		qty, price, disc, rate, net, tax := make([]decimal.Decimal, k), make([]decimal.Decimal, k), make([]decimal.Decimal, k),
			make([]decimal.Decimal, k), make([]decimal.Decimal, k), make([]decimal.Decimal, k)
		for i, l := range inv.Lines {
			numbers[i], skus[i] = l.LineNumber, l.SKU
			qty[i], price[i], disc[i], rate[i], net[i], tax[i] = l.Quantity, l.UnitPrice.Amount, l.Discount, l.TaxRate, l.Net.Amount, l.Tax.Amount
		}
		b.Queue(`INSERT INTO invoices (id, number, order_id, customer_id, currency_code, status, subtotal, tax_total, total,
				issue_date, due_date, revision, create_time, update_time)
			VALUES ($1, `+invoiceNumberSQL+`, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)
			RETURNING number`,
			inv.ID, inv.OrderID, inv.CustomerID, inv.Currency, string(inv.Status), inv.Subtotal.Amount, inv.TaxTotal.Amount, inv.Total.Amount,
			inv.IssueDate, inv.DueDate, inv.Revision, inv.CreateTime).
			QueryRow(func(row pgx.Row) error { return row.Scan(&inv.Number) })
		b.Queue(`INSERT INTO invoice_lines (invoice_id, line_number, sku, quantity, unit_price, discount_percent, tax_rate, net_amount, tax_amount)
			SELECT $1, n, sku, q, p, d, r, na, ta
			FROM unnest($2::int[], $3::text[], $4::numeric[], $5::numeric[], $6::numeric[], $7::numeric[], $8::numeric[], $9::numeric[])
			  AS u(n, sku, q, p, d, r, na, ta)`, inv.ID, numbers, skus, qty, price, disc, rate, net, tax)
		queueSaveInvoicing(&b, *o)
		if err := queueJournal(&b, entries, actor); err != nil {
			return err
		}
		if err := tx.SendBatch(ctx, &b).Close(); err != nil {
			return fmt.Errorf("insert invoice %s: %w", id, err)
		}
		// The invoice that makes the order INVOICED may be paid already (a
		// zero total is PAID at once): then the order is PAID, as payments,
		// shipments and amendments settle it.
		settled, err := settle(ctx, tx, o)
		if err != nil {
			return err
		}
		if settled {
			if _, err := tx.Exec(ctx, `UPDATE sales_orders SET status = $2, revision = $3 WHERE id = $1`,
				o.ID, string(o.Status), o.Revision); err != nil {
				return fmt.Errorf("settle order %s: %w", o.ID, err)
			}
		}
		events, err := s.invoiceEvents(ctx, tx, inv, *o, invoicing.EventIssued)
		if err != nil {
			return err
		}
		out = inv
		return feed.Append(ctx, tx, events...)
	})
	switch {
	case claimLost(err):
		prev, err := s.previous(ctx, requestID, method)
		if err != nil {
			return invoicing.Invoice{}, err
		}
		return s.GetInvoice(ctx, prev)
	case err != nil:
		return invoicing.Invoice{}, err
	}
	return out, nil
}

// invoiceEvents returns the events of a change of inv that also changed
// order o: the invoice's, the order's (when given) and the customer's
// balance.
func (s *Store) invoiceEvents(ctx context.Context, tx pgx.Tx, inv invoicing.Invoice, o sales.Order, typ string) ([]feed.NewEvent, error) {
	payload, err := s.enc.Invoice(inv)
	if err != nil {
		return nil, fmt.Errorf("encode invoice %s: %w", inv.ID, err)
	}
	events := []feed.NewEvent{event(ctx, typ, inv.ID, payload)}
	if o.ID != "" {
		op, err := s.enc.SalesOrder(o)
		if err != nil {
			return nil, fmt.Errorf("encode sales order %s: %w", o.ID, err)
		}
		events = append(events, event(ctx, sales.EventInvoiced, o.ID, op))
	}
	bal, err := s.balanceEvent(ctx, tx, inv.CustomerID, inv.Currency)
	if err != nil {
		return nil, err
	}
	return append(events, bal), nil
}

// GetInvoice implements invoicing.Store.
func (s *Store) GetInvoice(ctx context.Context, id string) (invoicing.Invoice, error) {
	return getInvoice(ctx, s.pool, id, false)
}

func getInvoice(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, id string, lock bool) (invoicing.Invoice, error) {
	if !canonicalID(&id) {
		return invoicing.Invoice{}, errs.NotFoundf("invoice %q", id)
	}
	forUpdate := ""
	if lock {
		forUpdate = " FOR UPDATE OF i"
	}
	rows, err := q.Query(ctx, `SELECT `+invoiceCols+`
		FROM invoices i JOIN sales_orders o ON o.id = i.order_id JOIN invoice_lines l ON l.invoice_id = i.id
		WHERE i.id = $1 ORDER BY l.line_number`+forUpdate, id)
	if err != nil {
		return invoicing.Invoice{}, fmt.Errorf("get invoice %s: %w", id, err)
	}
	list, err := scanInvoices(rows)
	if err != nil {
		return invoicing.Invoice{}, fmt.Errorf("get invoice %s: %w", id, err)
	}
	if len(list) == 0 {
		return invoicing.Invoice{}, errs.NotFoundf("invoice %q", id)
	}
	return list[0], nil
}

// ListInvoices implements invoicing.Store.
func (s *Store) ListInvoices(ctx context.Context, q invoicing.ListQuery) ([]invoicing.Invoice, bool, error) {
	var args []any
	filter, err := where(q.Filter, invoiceFilter, &args)
	if err != nil {
		return nil, false, err
	}
	after, err := afterID(&args, q.After, `id > $after::uuid`)
	if err != nil {
		return nil, false, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+invoiceCols+`
		FROM (SELECT * FROM invoices WHERE `+and(filter, after)+` ORDER BY id LIMIT `+arg(&args, q.PageSize+1)+`) i
		JOIN sales_orders o ON o.id = i.order_id JOIN invoice_lines l ON l.invoice_id = i.id
		ORDER BY i.id, l.line_number`, args...)
	if err != nil {
		return nil, false, fmt.Errorf("list invoices: %w", err)
	}
	out, err := scanInvoices(rows)
	if err != nil {
		return nil, false, fmt.Errorf("list invoices: %w", err)
	}
	if len(out) > q.PageSize {
		return out[:q.PageSize], true, nil
	}
	return out, false, nil
}

// VoidInvoice implements invoicing.Store.
func (s *Store) VoidInvoice(ctx context.Context, id string, etag int64, reason, requestID string) (invoicing.Invoice, error) {
	const method = "VoidInvoice"
	if !canonicalID(&id) {
		return invoicing.Invoice{}, errs.NotFoundf("invoice %q", id)
	}
	actor := auth.Actor(ctx)
	var out invoicing.Invoice
	var cl claim
	var lk *orderLock
	var issued []ledger.Entry
	var inv invoicing.Invoice
	err := inTx(ctx, s.pool, func(b *pgx.Batch) {
		lk = &orderLock{}
		cl = claim{requestID: requestID, method: method, resourceID: id, digest: requestid.FromContext(ctx)}
		issued = nil
		queueLockCustomers(b, `id = (SELECT customer_id FROM invoices WHERE id = $1)`, id)
		queueLockOrdersOf(b, `id = $1`, id)
		b.Queue(`SELECT 1 FROM customers WHERE id = (SELECT customer_id FROM invoices WHERE id = $1) FOR UPDATE`, id)
		cl.queue(b)
	}, func(tx pgx.Tx) error {
		// Then the order and the invoice, in that order.
		var orderID string
		err := tx.QueryRow(ctx, `SELECT order_id FROM invoices WHERE id = $1`, id).Scan(&orderID)
		if pg.IsNoRows(err) {
			return errs.NotFoundf("invoice %q", id)
		}
		if err != nil {
			return fmt.Errorf("void invoice %s: %w", id, err)
		}
		var b pgx.Batch
		queueReadOrder(&b, lk, orderID, true)
		if err := tx.SendBatch(ctx, &b).Close(); err != nil {
			return fmt.Errorf("void invoice %s: %w", id, err)
		}
		if inv, err = getInvoice(ctx, tx, id, true); err != nil {
			return err
		}
		if issued, err = s.entriesOf(ctx, tx, inv.Reference(), ledger.KindInvoice); err != nil {
			return err
		}
		o := &lk.order
		entries, changed, err := invoicing.VoidInvoice(&inv, etag, reason, o, issued)
		if err != nil || !changed {
			out = inv
			return err
		}
		inv.UpdateTime, o.UpdateTime = lk.now, lk.now
		var w pgx.Batch
		w.Queue(`UPDATE invoices SET status = $2, void_reason = $3, revision = $4, update_time = now() WHERE id = $1`,
			inv.ID, string(inv.Status), inv.VoidReason, inv.Revision)
		queueSaveInvoicing(&w, *o)
		if err := queueJournal(&w, entries, actor); err != nil {
			return err
		}
		if err := tx.SendBatch(ctx, &w).Close(); err != nil {
			return fmt.Errorf("void invoice %s: %w", id, err)
		}
		events, err := s.invoiceEvents(ctx, tx, inv, *o, invoicing.EventVoided)
		if err != nil {
			return err
		}
		out = inv
		return feed.Append(ctx, tx, events...)
	})
	switch {
	case claimLost(err):
		if err := s.replayOf(ctx, requestID, method, id, "invoice"); err != nil {
			return invoicing.Invoice{}, err
		}
		return s.GetInvoice(ctx, id)
	case err != nil:
		return invoicing.Invoice{}, err
	}
	return out, nil
}

// entriesOf reads the journal entries of a kind posted for reference.
func (s *Store) entriesOf(ctx context.Context, tx pgx.Tx, reference, kind string) ([]ledger.Entry, error) {
	rows, err := tx.Query(ctx, `SELECT e.id, e.currency_code, l.account_code, l.debit, l.credit
		FROM journal_entries e JOIN journal_lines l ON l.entry_id = e.id
		WHERE e.reference = $1 AND e.kind = $2 ORDER BY e.id, l.line_number`, reference, kind)
	if err != nil {
		return nil, fmt.Errorf("journal entries of %s: %w", reference, err)
	}
	defer rows.Close()
	var out []ledger.Entry
	for rows.Next() {
		var e ledger.Entry
		var l ledger.Line
		if err := rows.Scan(&e.ID, &e.Currency, &l.Account, &l.Debit, &l.Credit); err != nil {
			return nil, fmt.Errorf("journal entries of %s: %w", reference, err)
		}
		if n := len(out); n > 0 && out[n-1].ID == e.ID {
			out[n-1].Lines = append(out[n-1].Lines, l)
			continue
		}
		e.Kind, e.Reference, e.Lines = kind, reference, []ledger.Line{l}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("journal entries of %s: %w", reference, err)
	}
	return out, nil
}

// MarkOverdue implements invoicing.Store.
//
// The invoices it marks are one fixed set, picked by the statement that
// takes their customers' key locks: a payment settling one of them while
// the pass waits for a lock only leaves it out, and can never move the
// batch onto a customer whose key the pass does not hold.
func (s *Store) MarkOverdue(ctx context.Context, asOf time.Time) ([]string, bool, error) {
	var ids, picked []string
	var more bool
	var now time.Time
	var asked any // NULL for today
	if !asOf.IsZero() {
		asked = asOf
	}
	err := inTx(ctx, s.pool, func(b *pgx.Batch) {
		ids, picked, more = nil, nil, false
		b.Queue(`SELECT now()`).QueryRow(func(row pgx.Row) error { return row.Scan(&now) })
		// The first MaxOverduePerCall invoices due before the day (none
		// for a day after today, which is refused below), one more to
		// tell whether there are more, and their customers' keys in id
		// order, in one statement and so from one snapshot.
		const today = `(now() AT TIME ZONE 'UTC')::date`
		b.Queue(`WITH picked AS MATERIALIZED (
				SELECT id, customer_id, row_number() OVER (ORDER BY due_date, id) AS n FROM invoices
				WHERE status IN ('OPEN', 'PARTIALLY_PAID') AND due_date < coalesce($1::date, `+today+`)
				  AND coalesce($1::date, `+today+`) <= `+today+`
				ORDER BY due_date, id LIMIT $2 + 1)
			SELECT (SELECT count(pg_advisory_xact_lock(hashtextextended('customers/' || c::text, 0)))
					FROM (SELECT DISTINCT customer_id AS c FROM picked WHERE n <= $2 ORDER BY 1) x),
				coalesce((SELECT array_agg(id::text ORDER BY n) FROM picked), '{}')`,
			asked, invoicing.MaxOverduePerCall).QueryRow(func(row pgx.Row) error {
			var locked int64
			return row.Scan(&locked, &picked)
		})
	}, func(tx pgx.Tx) error {
		day, err := invoicing.OverdueAsOf(asOf, now)
		if err != nil {
			return err
		}
		if len(picked) > invoicing.MaxOverduePerCall {
			picked, more = picked[:invoicing.MaxOverduePerCall], true
		}
		if len(picked) == 0 {
			return nil
		}
		if _, err := tx.Exec(ctx, `SELECT 1 FROM customers
			WHERE id IN (SELECT customer_id FROM invoices WHERE id = ANY($1::uuid[])) ORDER BY id FOR UPDATE`, picked); err != nil {
			return fmt.Errorf("lock customers of overdue invoices: %w", err)
		}
		// Those still unpaid once locked: a payment may have settled one
		// meanwhile.
		rows, err := tx.Query(ctx, `SELECT id FROM invoices
			WHERE id = ANY($1::uuid[]) AND status IN ('OPEN', 'PARTIALLY_PAID') AND due_date < $2
			ORDER BY due_date, id FOR UPDATE`, picked, day)
		if err != nil {
			return fmt.Errorf("overdue invoices: %w", err)
		}
		if ids, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			return fmt.Errorf("overdue invoices: %w", err)
		}
		if len(ids) == 0 {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE invoices SET overdue = true, status = 'OVERDUE', revision = revision + 1, update_time = now()
			WHERE id = ANY($1::uuid[])`, ids); err != nil {
			return fmt.Errorf("mark invoices overdue: %w", err)
		}
		var events []feed.NewEvent
		type key struct{ customer, currency string }
		var keys []key
		seen := map[key]bool{}
		for _, id := range ids {
			inv, err := getInvoice(ctx, tx, id, false)
			if err != nil {
				return err
			}
			payload, err := s.enc.Invoice(inv)
			if err != nil {
				return fmt.Errorf("encode invoice %s: %w", id, err)
			}
			events = append(events, event(ctx, invoicing.EventOverdue, id, payload))
			if k := (key{inv.CustomerID, inv.Currency}); !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
		for _, k := range keys {
			ev, err := s.balanceEvent(ctx, tx, k.customer, k.currency)
			if err != nil {
				return err
			}
			events = append(events, ev)
		}
		return feed.Append(ctx, tx, events...)
	})
	if err != nil {
		return nil, false, err
	}
	return ids, more, nil
}
