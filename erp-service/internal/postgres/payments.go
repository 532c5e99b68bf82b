package postgres

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/erp-service/internal/invoicing"
	"github.com/seamhq/seam/erp-service/internal/ledger"
	"github.com/seamhq/seam/erp-service/internal/payment"
	"github.com/seamhq/seam/erp-service/internal/sales"
	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/feed"
	"github.com/seamhq/seam/platform/money"
	"github.com/seamhq/seam/platform/requestid"
)

var paymentFilter = map[string]column{
	"customer_id":   {expr: "customer_id", uuid: true},
	"status":        {expr: "status"},
	"received_date": {expr: "received_date", date: true},
}

const paymentNumberSQL = `(SELECT 'PAY-' || CASE WHEN n < 1000000 THEN lpad(n::text, 6, '0') ELSE n::text END
	FROM nextval('payment_number_seq') AS n)`

// paymentCols selects a payment, one of its allocations (NULL when it
// has none) and its refunds from "p", "a" and "r" (paymentFrom).
const paymentCols = `p.id, p.number, p.customer_id, p.currency_code, p.amount, p.unallocated, p.status,
	p.received_date, p.reference, p.reverse_reason, p.revision, p.create_time, p.update_time,
	a.invoice_id::text, a.amount, r.amounts, r.dates, r.refs, r.times`

// paymentFrom joins the payments "p" (a table or a subquery) to their
// allocations "a" and their refunds "r" (arrays, oldest first; NULL when
// there are none), so that one statement, one snapshot, reads them.
func paymentFrom(p string) string {
	return p + ` LEFT JOIN payment_allocations a ON a.payment_id = p.id
		CROSS JOIN LATERAL (SELECT array_agg(x.amount ORDER BY x.refund_number) AS amounts,
			array_agg(x.refund_date ORDER BY x.refund_number) AS dates, array_agg(x.reference ORDER BY x.refund_number) AS refs,
			array_agg(x.create_time ORDER BY x.refund_number) AS times
			FROM payment_refunds x WHERE x.payment_id = p.id) r`
}

func scanPayments(rows pgx.Rows) ([]payment.Payment, error) {
	defer rows.Close()
	var out []payment.Payment
	for rows.Next() {
		var p payment.Payment
		var status string
		var inv *string
		var amount decimal.NullDecimal
		var refunded []decimal.Decimal
		var dates, times []time.Time
		var refs []string
		if err := rows.Scan(&p.ID, &p.Number, &p.CustomerID, &p.Amount.Currency, &p.Amount.Amount, &p.Unallocated.Amount, &status,
			&p.ReceivedDate, &p.Reference, &p.ReverseReason, &p.Revision, &p.CreateTime, &p.UpdateTime, &inv, &amount,
			&refunded, &dates, &refs, &times); err != nil {
			return nil, err
		}
		n := len(out)
		if n == 0 || out[n-1].ID != p.ID {
			p.Status = payment.Status(status)
			p.Unallocated.Currency = p.Amount.Currency
			for i := range refunded {
				p.Refunds = append(p.Refunds, payment.Refund{Amount: money.Money{Currency: p.Amount.Currency, Amount: refunded[i]},
					Date: dates[i], Reference: refs[i], CreateTime: times[i]})
			}
			out = append(out, p)
			n++
		}
		if inv != nil {
			a := payment.Allocation{InvoiceID: *inv}
			a.Amount.Currency, a.Amount.Amount = out[n-1].Amount.Currency, amount.Decimal
			out[n-1].Allocations = append(out[n-1].Allocations, a)
		}
	}
	return out, rows.Err()
}

func getPayment(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, id string, lock bool) (payment.Payment, error) {
	if !canonicalID(&id) {
		return payment.Payment{}, errs.NotFoundf("payment %q", id)
	}
	forUpdate := ""
	if lock {
		forUpdate = " FOR UPDATE OF p"
	}
	rows, err := q.Query(ctx, `SELECT `+paymentCols+`
		FROM `+paymentFrom("payments p")+`
		WHERE p.id = $1 ORDER BY a.invoice_id`+forUpdate, id)
	if err != nil {
		return payment.Payment{}, fmt.Errorf("get payment %s: %w", id, err)
	}
	list, err := scanPayments(rows)
	if err != nil {
		return payment.Payment{}, fmt.Errorf("get payment %s: %w", id, err)
	}
	if len(list) == 0 {
		return payment.Payment{}, errs.NotFoundf("payment %q", id)
	}
	return list[0], nil
}

// GetPayment implements payment.Store.
func (s *Store) GetPayment(ctx context.Context, id string) (payment.Payment, error) {
	return getPayment(ctx, s.pool, id, false)
}

// ListPayments implements payment.Store.
func (s *Store) ListPayments(ctx context.Context, q payment.ListQuery) ([]payment.Payment, bool, error) {
	var args []any
	filter, err := where(q.Filter, paymentFilter, &args)
	if err != nil {
		return nil, false, err
	}
	after, err := afterID(&args, q.After, `id > $after::uuid`)
	if err != nil {
		return nil, false, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+paymentCols+`
		FROM `+paymentFrom(`(SELECT * FROM payments WHERE `+and(filter, after)+` ORDER BY id LIMIT `+arg(&args, q.PageSize+1)+`) p`)+`
		ORDER BY p.id, a.invoice_id`, args...)
	if err != nil {
		return nil, false, fmt.Errorf("list payments: %w", err)
	}
	out, err := scanPayments(rows)
	if err != nil {
		return nil, false, fmt.Errorf("list payments: %w", err)
	}
	if len(out) > q.PageSize {
		return out[:q.PageSize], true, nil
	}
	return out, false, nil
}

// lockInvoices locks the orders of the invoices ids (in id order), then
// the invoices, and reads them.
func lockInvoices(ctx context.Context, tx pgx.Tx, ids []string) (map[string]*invoicing.Invoice, error) {
	out := map[string]*invoicing.Invoice{}
	if len(ids) == 0 {
		return out, nil
	}
	if _, err := tx.Exec(ctx, `SELECT 1 FROM sales_orders WHERE id IN (SELECT order_id FROM invoices WHERE id = ANY($1::uuid[]))
		ORDER BY id FOR UPDATE`, ids); err != nil {
		return nil, fmt.Errorf("lock orders of invoices: %w", err)
	}
	rows, err := tx.Query(ctx, `SELECT `+invoiceCols+`
		FROM invoices i JOIN sales_orders o ON o.id = i.order_id JOIN invoice_lines l ON l.invoice_id = i.id
		WHERE i.id = ANY($1::uuid[]) ORDER BY i.id, l.line_number FOR UPDATE OF i`, ids)
	if err != nil {
		return nil, fmt.Errorf("lock invoices: %w", err)
	}
	list, err := scanInvoices(rows)
	if err != nil {
		return nil, fmt.Errorf("lock invoices: %w", err)
	}
	for i := range list {
		out[list[i].ID] = &list[i]
	}
	return out, nil
}

// saveInvoicePayments writes the paid amounts and statuses of invoices,
// settles their orders, and returns the events: invoice.updated per
// invoice, sales_order.updated per order whose status changed.
func (s *Store) saveInvoicePayments(ctx context.Context, tx pgx.Tx, invoices map[string]*invoicing.Invoice) ([]feed.NewEvent, error) {
	ids := make([]string, 0, len(invoices))
	for id := range invoices {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	if len(ids) == 0 {
		return nil, nil
	}
	paid, statuses, revisions := make([]decimal.Decimal, len(ids)), make([]string, len(ids)), make([]int64, len(ids))
	var orderIDs []string
	for i, id := range ids {
		inv := invoices[id]
		paid[i], statuses[i], revisions[i] = inv.Paid.Amount, string(inv.Status), inv.Revision
		if !slices.Contains(orderIDs, inv.OrderID) {
			orderIDs = append(orderIDs, inv.OrderID)
		}
	}
	rows, err := tx.Query(ctx, `UPDATE invoices i SET paid_amount = u.p, status = u.s, revision = u.r, update_time = now()
		FROM unnest($1::uuid[], $2::numeric[], $3::text[], $4::bigint[]) AS u(id, p, s, r)
		WHERE i.id = u.id RETURNING i.update_time`, ids, paid, statuses, revisions)
	if err != nil {
		return nil, fmt.Errorf("update invoices: %w", err)
	}
	now, err := pgx.CollectRows(rows, pgx.RowTo[time.Time])
	if err != nil {
		return nil, fmt.Errorf("update invoices: %w", err)
	}
	var events []feed.NewEvent
	for _, id := range ids {
		inv := invoices[id]
		if len(now) > 0 {
			inv.UpdateTime = now[0]
		}
		payload, err := s.enc.Invoice(*inv)
		if err != nil {
			return nil, fmt.Errorf("encode invoice %s: %w", id, err)
		}
		events = append(events, event(ctx, payment.EventInvoiceUpdated, id, payload))
	}
	slices.Sort(orderIDs)
	for _, oid := range orderIDs {
		o, err := getOrder(ctx, tx, oid)
		if err != nil {
			return nil, err
		}
		settled, err := settle(ctx, tx, &o)
		if err != nil {
			return nil, err
		}
		if !settled {
			continue
		}
		if err := tx.QueryRow(ctx, `UPDATE sales_orders SET status = $2, revision = $3, update_time = now() WHERE id = $1
			RETURNING update_time`, o.ID, string(o.Status), o.Revision).Scan(&o.UpdateTime); err != nil {
			return nil, fmt.Errorf("settle order %s: %w", oid, err)
		}
		payload, err := s.enc.SalesOrder(o)
		if err != nil {
			return nil, fmt.Errorf("encode sales order %s: %w", oid, err)
		}
		events = append(events, event(ctx, payment.EventOrderUpdated, oid, payload))
	}
	return events, nil
}

// CreatePayment implements payment.Store.
// A posting dated in the closed period is FAILED_PRECONDITION naming
// received_date.
func (s *Store) CreatePayment(ctx context.Context, p payment.Payment, requestID string) (payment.Payment, error) {
	out, err := s.createPayment(ctx, p, requestID)
	return out, closedPeriodAt(err, "received_date")
}

// createPayment is CreatePayment but for naming the date of a posting refused
// for the closed period.
func (s *Store) createPayment(ctx context.Context, p payment.Payment, requestID string) (payment.Payment, error) {
	const method = "CreatePayment"
	var v errs.Violations
	if !canonicalID(&p.CustomerID) {
		v.Add("customer_id", "no customer has id %q", p.CustomerID)
	}
	p.Allocations = slices.Clone(p.Allocations)
	ids := make([]string, len(p.Allocations))
	for i := range p.Allocations {
		if !canonicalID(&p.Allocations[i].InvoiceID) {
			v.Add(fmt.Sprintf("allocations[%d].invoice_id", i), "no invoice has id %q", p.Allocations[i].InvoiceID)
		}
		ids[i] = p.Allocations[i].InvoiceID
	}
	if err := v.Err(); err != nil {
		return payment.Payment{}, err
	}
	actor := auth.Actor(ctx)
	var out payment.Payment
	var cl claim
	var customerFound bool
	err := inTx(ctx, s.pool, func(b *pgx.Batch) {
		cl = claim{requestID: requestID, method: method, resourceID: p.ID, digest: requestid.FromContext(ctx)}
		customerFound = false
		queueLockCustomers(b, `id = $1`, p.CustomerID)
		queueLockOrdersOf(b, `id = ANY($1::uuid[])`, ids)
		b.Queue(`SELECT 1 FROM customers WHERE id = $1 FOR UPDATE`, p.CustomerID).
			Query(func(rows pgx.Rows) error {
				for rows.Next() {
					customerFound = true
				}
				return rows.Err()
			})
		cl.queue(b)
	}, func(tx pgx.Tx) error {
		if !customerFound {
			return errs.Invalid("customer_id", "no customer has id %q", p.CustomerID)
		}
		invoices, err := lockInvoices(ctx, tx, ids)
		if err != nil {
			return err
		}
		pay := p
		entry, err := payment.Apply(&pay, invoices)
		if err != nil {
			return err
		}
		entry.Date = pay.ReceivedDate // in the period the money arrived in
		var b pgx.Batch
		b.Queue(`INSERT INTO payments (id, number, customer_id, currency_code, amount, unallocated, status, received_date, reference, revision)
			VALUES ($1, `+paymentNumberSQL+`, $2, $3, $4, $5, $6, $7, $8, $9)
			RETURNING number, create_time, update_time`,
			pay.ID, pay.CustomerID, pay.Amount.Currency, pay.Amount.Amount, pay.Unallocated.Amount, string(pay.Status),
			pay.ReceivedDate, pay.Reference, pay.Revision).
			QueryRow(func(row pgx.Row) error { return row.Scan(&pay.Number, &pay.CreateTime, &pay.UpdateTime) })
		if len(pay.Allocations) > 0 {
			amounts := make([]decimal.Decimal, len(pay.Allocations))
			for i, a := range pay.Allocations {
				amounts[i] = a.Amount.Amount
			}
			b.Queue(`INSERT INTO payment_allocations (payment_id, invoice_id, amount, received_date)
				SELECT $1, inv, amt, $4 FROM unnest($2::uuid[], $3::numeric[]) AS u(inv, amt)`, pay.ID, ids, amounts, pay.ReceivedDate)
		}
		if err := queueJournal(&b, []ledger.Entry{entry}, actor); err != nil {
			return err
		}
		if err := tx.SendBatch(ctx, &b).Close(); err != nil {
			return fmt.Errorf("insert payment %s: %w", pay.ID, err)
		}
		slices.SortFunc(pay.Allocations, func(a, b payment.Allocation) int { return compareUUID(a.InvoiceID, b.InvoiceID) })
		events, err := s.paymentEvents(ctx, tx, pay, payment.EventReceived, invoices)
		if err != nil {
			return err
		}
		out = pay
		return feed.Append(ctx, tx, events...)
	})
	switch {
	case claimLost(err):
		prev, err := s.previous(ctx, requestID, method)
		if err != nil {
			return payment.Payment{}, err
		}
		return s.GetPayment(ctx, prev)
	case err != nil:
		return payment.Payment{}, err
	}
	return out, nil
}

// compareUUID orders ids as Postgres orders uuids (their canonical text
// form compares the same way).
func compareUUID(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// paymentEvents writes the invoices a payment change moved and returns
// every event of the change: the payment's, the invoices' and orders', and
// the customer's balance.
func (s *Store) paymentEvents(ctx context.Context, tx pgx.Tx, p payment.Payment, typ string, invoices map[string]*invoicing.Invoice) ([]feed.NewEvent, error) {
	payload, err := s.enc.Payment(p)
	if err != nil {
		return nil, fmt.Errorf("encode payment %s: %w", p.ID, err)
	}
	events := []feed.NewEvent{event(ctx, typ, p.ID, payload)}
	more, err := s.saveInvoicePayments(ctx, tx, invoices)
	if err != nil {
		return nil, err
	}
	events = append(events, more...)
	bal, err := s.balanceEvent(ctx, tx, p.CustomerID, p.Amount.Currency)
	if err != nil {
		return nil, err
	}
	return append(events, bal), nil
}

// writePaymentChange sends b, the writes of a change of payment p (which
// may fill in p, its update time say), and appends the change's events
// (typ for the payment; paymentEvents) with the invoices it moved. op
// names the change in errors.
func (s *Store) writePaymentChange(ctx context.Context, tx pgx.Tx, b *pgx.Batch, p *payment.Payment, typ string,
	invoices map[string]*invoicing.Invoice, op string) error {
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("%s of payment %s: %w", op, p.ID, err)
	}
	events, err := s.paymentEvents(ctx, tx, *p, typ, invoices)
	if err != nil {
		return err
	}
	return feed.Append(ctx, tx, events...)
}

// paymentChanged answers a change of payment id by method whose
// transaction ended with err: out when it committed, the payment as it is
// now when the change lost its requestID to an earlier request of the
// same change (a retry), else err.
func (s *Store) paymentChanged(ctx context.Context, out payment.Payment, err error, method, id, requestID string) (payment.Payment, error) {
	switch {
	case claimLost(err):
		if err := s.replayOf(ctx, requestID, method, id, "payment"); err != nil {
			return payment.Payment{}, err
		}
		return s.GetPayment(ctx, id)
	case err != nil:
		return payment.Payment{}, err
	}
	return out, nil
}

// ReversePayment implements payment.Store.
func (s *Store) ReversePayment(ctx context.Context, id string, etag int64, reason, requestID string) (payment.Payment, error) {
	const method = "ReversePayment"
	if !canonicalID(&id) {
		return payment.Payment{}, errs.NotFoundf("payment %q", id)
	}
	actor := auth.Actor(ctx)
	var out payment.Payment
	var cl claim
	err := inTx(ctx, s.pool, func(b *pgx.Batch) {
		cl = claim{requestID: requestID, method: method, resourceID: id, digest: requestid.FromContext(ctx)}
		queueLockCustomers(b, `id = (SELECT customer_id FROM payments WHERE id = $1)`, id)
		queueLockOrdersOf(b, `id IN (SELECT invoice_id FROM payment_allocations WHERE payment_id = $1)`, id)
		b.Queue(`SELECT 1 FROM customers WHERE id = (SELECT customer_id FROM payments WHERE id = $1) FOR UPDATE`, id)
		cl.queue(b)
	}, func(tx pgx.Tx) error {
		p, err := getPayment(ctx, tx, id, true)
		if err != nil {
			return err
		}
		ids := make([]string, len(p.Allocations))
		for i, a := range p.Allocations {
			ids[i] = a.InvoiceID
		}
		invoices, err := lockInvoices(ctx, tx, ids)
		if err != nil {
			return err
		}
		posted, err := s.entriesOf(ctx, tx, p.JournalReference(), ledger.KindPayment)
		if err != nil {
			return err
		}
		entries, changed, err := payment.Reverse(&p, etag, reason, invoices, posted)
		if err != nil || !changed {
			out = p
			return err
		}
		var b pgx.Batch
		b.Queue(`UPDATE payments SET status = $2, reverse_reason = $3, revision = $4, unallocated = $5, update_time = now() WHERE id = $1
			RETURNING update_time`, p.ID, string(p.Status), p.ReverseReason, p.Revision, p.Unallocated.Amount).
			QueryRow(func(row pgx.Row) error { return row.Scan(&p.UpdateTime) })
		if err := queueJournal(&b, entries, actor); err != nil {
			return err
		}
		err = s.writePaymentChange(ctx, tx, &b, &p, payment.EventReversed, invoices, "reversal")
		out = p
		return err
	})
	return s.paymentChanged(ctx, out, err, method, id, requestID)
}

// settle sets an invoiced or paid order's status from its invoices
// (payment.SettleOrder): PAID when it is fully invoiced and every invoice
// of it that is not void is paid or credited, at least one paid (an order
// whose invoices were all cancelled by credit was not paid: it stays
// INVOICED), INVOICED again when a paid one no longer is. It reports
// whether the status changed. The caller holds the order's row lock,
// which payments take before its invoices'.
func settle(ctx context.Context, tx pgx.Tx, o *sales.Order) (bool, error) {
	if o.Status != sales.Invoiced && o.Status != sales.Paid {
		return false, nil
	}
	var allPaid bool
	if err := tx.QueryRow(ctx, `SELECT coalesce(bool_and(status IN ('PAID', 'CREDITED')) AND bool_or(status = 'PAID'), false)
		FROM invoices WHERE order_id = $1 AND status <> 'VOID'`, o.ID).Scan(&allPaid); err != nil {
		return false, fmt.Errorf("invoices of order %s: %w", o.ID, err)
	}
	return payment.SettleOrder(o, allPaid), nil
}
