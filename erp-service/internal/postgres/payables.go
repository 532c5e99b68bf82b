package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/erp-service/internal/ledger"
	"github.com/seamhq/seam/erp-service/internal/payables"
	"github.com/seamhq/seam/erp-service/internal/purchasing"
	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/civil"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/feed"
	"github.com/seamhq/seam/platform/pg"
	"github.com/seamhq/seam/platform/requestid"
)

var _ payables.Store = (*Store)(nil)

const billNumberSQL = `(SELECT 'BILL-' || CASE WHEN n < 1000000 THEN lpad(n::text, 6, '0') ELSE n::text END
	FROM nextval('supplier_bill_number_seq') AS n)`

const supplierPaymentNumberSQL = `(SELECT 'SPAY-' || CASE WHEN n < 1000000 THEN lpad(n::text, 6, '0') ELSE n::text END
	FROM nextval('supplier_payment_number_seq') AS n)`

// billCols selects a bill "b" and one of its lines "l".
const billCols = `b.id, b.number, b.supplier_id, b.purchase_order_id, b.supplier_invoice_number, b.currency_code,
	b.invoice_date, b.due_date, b.tax_rate, b.subtotal, b.tax_amount, b.total, b.paid, b.status, b.revision,
	b.create_time, b.update_time, b.credited, b.credited_tax,
	l.line_number, l.sku, l.quantity, l.unit_cost, l.amount, l.credited_quantity, l.credited_amount`

var billFilter = map[string]column{
	"supplier_id":       {expr: "supplier_id", uuid: true},
	"purchase_order_id": {expr: "purchase_order_id", uuid: true},
	"status":            {expr: "status"},
}

// scanBills reads rows of billCols, ordered by bill then line.
func scanBills(rows pgx.Rows) ([]payables.Bill, error) {
	defer rows.Close()
	var out []payables.Bill
	for rows.Next() {
		var b payables.Bill
		var l payables.BillLine
		var status string
		if err := rows.Scan(&b.ID, &b.Number, &b.SupplierID, &b.PurchaseOrderID, &b.SupplierInvoiceNumber, &b.Currency,
			&b.InvoiceDate, &b.DueDate, &b.TaxRate, &b.Subtotal, &b.Tax, &b.Total, &b.Paid, &status, &b.Revision,
			&b.CreateTime, &b.UpdateTime, &b.Credited, &b.CreditedTax,
			&l.LineNumber, &l.SKU, &l.Quantity, &l.UnitCost, &l.Amount, &l.CreditedQuantity, &l.CreditedAmount); err != nil {
			return nil, err
		}
		if n := len(out); n > 0 && out[n-1].ID == b.ID {
			out[n-1].Lines = append(out[n-1].Lines, l)
			continue
		}
		b.InvoiceDate, b.DueDate = b.InvoiceDate.UTC(), b.DueDate.UTC()
		b.Status = payables.Status(status)
		b.Lines = []payables.BillLine{l}
		out = append(out, b)
	}
	return out, rows.Err()
}

func getBill(ctx context.Context, q querier, id string, lock bool) (payables.Bill, error) {
	if !canonicalID(&id) {
		return payables.Bill{}, errs.NotFoundf("supplier bill %q", id)
	}
	sql := `SELECT ` + billCols + ` FROM supplier_bills b JOIN supplier_bill_lines l ON l.bill_id = b.id
		WHERE b.id = $1 ORDER BY l.line_number`
	if lock {
		sql += ` FOR UPDATE OF b`
	}
	rows, err := q.Query(ctx, sql, id)
	if err != nil {
		return payables.Bill{}, fmt.Errorf("get supplier bill %s: %w", id, err)
	}
	list, err := scanBills(rows)
	if err != nil {
		return payables.Bill{}, fmt.Errorf("get supplier bill %s: %w", id, err)
	}
	if len(list) == 0 {
		return payables.Bill{}, errs.NotFoundf("supplier bill %q", id)
	}
	return list[0], nil
}

// GetBill implements payables.Store.
func (s *Store) GetSupplierBill(ctx context.Context, id string) (payables.Bill, error) {
	return getBill(ctx, s.pool, id, false)
}

// billsSQL is the query of a ListSupplierBills page and its arguments:
// the bills after the token's id, by id, with their lines. Each filter
// reads from its (column, id) index in id order.
func billsSQL(q payables.ListQuery) (string, []any, error) {
	var args []any
	filter, err := where(q.Filter, billFilter, &args)
	if err != nil {
		return "", nil, err
	}
	after, err := afterID(&args, q.After, `id > $after::uuid`)
	if err != nil {
		return "", nil, err
	}
	return `SELECT ` + billCols + `
		FROM (SELECT * FROM supplier_bills WHERE ` + and(filter, after) + ` ORDER BY id LIMIT ` + arg(&args, q.PageSize+1) + `) b
		JOIN supplier_bill_lines l ON l.bill_id = b.id
		ORDER BY b.id, l.line_number`, args, nil
}

// ListSupplierBills implements payables.Store.
func (s *Store) ListSupplierBills(ctx context.Context, q payables.ListQuery) ([]payables.Bill, bool, error) {
	return readList(ctx, s, "supplier bills", q.PageSize, scanBills)(billsSQL(q))
}

// CreateSupplierBill implements payables.Store. It takes the purchase order's key
// lock and row lock, as receipts and returns do, so a bill and a return of
// the same line queue behind each other: together they never bill what
// was returned nor return what was billed; two bills never bill a
// quantity twice.
func (s *Store) CreateSupplierBill(ctx context.Context, b payables.Bill, requestID string) (payables.Bill, error) {
	const method = "CreateSupplierBill"
	if !canonicalID(&b.PurchaseOrderID) {
		return payables.Bill{}, errs.Invalid("purchase_order_id", "no purchase order has id %q", b.PurchaseOrderID)
	}
	actor := auth.Actor(ctx)
	var out payables.Bill
	var cl claim
	err := inTx(ctx, s.pool, func(batch *pgx.Batch) {
		cl = claim{requestID: requestID, method: method, resourceID: b.ID, digest: requestid.FromContext(ctx)}
		pg.QueueKeyLock(batch, "purchaseOrders/"+b.PurchaseOrderID)
		cl.queue(batch)
	}, func(tx pgx.Tx) error {
		o, err := getPurchaseOrder(ctx, tx, b.PurchaseOrderID, true)
		if errs.KindOf(err) == errs.NotFound {
			return errs.Invalid("purchase_order_id", "no purchase order has id %q", b.PurchaseOrderID)
		}
		if err != nil {
			return err
		}
		// A supplier's invoice entered twice is the same invoice, whatever
		// its lines: say so before looking at them. The unique constraint
		// backs this up against a concurrent bill.
		var existing string
		err = tx.QueryRow(ctx, `SELECT number FROM supplier_bills WHERE supplier_id = $1 AND supplier_invoice_number = $2`,
			o.SupplierID, b.SupplierInvoiceNumber).Scan(&existing)
		switch {
		case err == nil:
			return duplicateInvoice(o.SupplierID, b.SupplierInvoiceNumber, existing)
		case !pg.IsNoRows(err):
			return fmt.Errorf("look up supplier invoice %q: %w", b.SupplierInvoiceNumber, err)
		}
		bill := b
		bill.Lines = append([]payables.BillLine(nil), b.Lines...)
		entry, post, err := payables.Build(&bill, &o)
		if err != nil {
			return err
		}
		var w pgx.Batch
		w.Queue(`INSERT INTO supplier_bills (id, number, supplier_id, purchase_order_id, supplier_invoice_number, currency_code,
				invoice_date, due_date, tax_rate, subtotal, tax_amount, total, paid, status, revision)
			VALUES ($1, `+billNumberSQL+`, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
			RETURNING number, create_time, update_time`,
			bill.ID, bill.SupplierID, bill.PurchaseOrderID, bill.SupplierInvoiceNumber, bill.Currency,
			bill.InvoiceDate, bill.DueDate, bill.TaxRate, bill.Subtotal, bill.Tax, bill.Total, bill.Paid, string(bill.Status), bill.Revision).
			QueryRow(func(row pgx.Row) error { return row.Scan(&bill.Number, &bill.CreateTime, &bill.UpdateTime) })
		k := len(bill.Lines)
		nums, skus := make([]int32, k), make([]string, k)
		qtys, costs, amounts := make([]decimal.Decimal, k), make([]decimal.Decimal, k), make([]decimal.Decimal, k)
		for i, l := range bill.Lines {
			nums[i], skus[i], qtys[i], costs[i], amounts[i] = l.LineNumber, l.SKU, l.Quantity, l.UnitCost, l.Amount
		}
		w.Queue(`INSERT INTO supplier_bill_lines (bill_id, line_number, sku, quantity, unit_cost, amount)
			SELECT $1, n, s, q, c, a FROM unnest($2::int[], $3::text[], $4::numeric[], $5::numeric[], $6::numeric[]) AS u(n, s, q, c, a)`,
			bill.ID, nums, skus, qtys, costs, amounts)
		billed := make([]decimal.Decimal, len(o.Lines))
		lineNums := make([]int32, len(o.Lines))
		for i, l := range o.Lines {
			lineNums[i], billed[i] = l.Number, l.Billed
		}
		w.Queue(`UPDATE purchase_order_lines l SET billed_quantity = u.b
			FROM unnest($2::int[], $3::numeric[]) AS u(n, b)
			WHERE l.order_id = $1 AND l.line_number = u.n`, o.ID, lineNums, billed)
		// The order shows what is billed of its lines: a new version of
		// it, with its event.
		o.Revision++
		w.Queue(`UPDATE purchase_orders SET revision = $2, update_time = now() WHERE id = $1 RETURNING update_time`, o.ID, o.Revision).
			QueryRow(func(row pgx.Row) error { return row.Scan(&o.UpdateTime) })
		if post {
			entry.Date = bill.InvoiceDate // in the period the supplier invoiced in
			if err := queueJournal(&w, []ledger.Entry{entry}, actor); err != nil {
				return err
			}
		}
		err = tx.SendBatch(ctx, &w).Close()
		if pg.IsUniqueViolation(err, "supplier_bills_invoice_number_key") {
			return duplicateInvoice(bill.SupplierID, bill.SupplierInvoiceNumber, "")
		}
		if err != nil {
			return fmt.Errorf("insert supplier bill %s: %w", bill.ID, err)
		}
		payload, err := s.enc.SupplierBill(bill)
		if err != nil {
			return fmt.Errorf("encode supplier bill %s: %w", bill.ID, err)
		}
		out = bill
		return s.appendPurchaseOrder(ctx, tx, purchasing.EventBilled, o, event(ctx, payables.EventBillCreated, bill.ID, payload))
	})
	if claimLost(err) {
		prev, err := s.previous(ctx, requestID, method)
		if err != nil {
			return payables.Bill{}, err
		}
		return s.GetSupplierBill(ctx, prev)
	}
	if err != nil {
		return payables.Bill{}, err
	}
	return out, nil
}

// duplicateInvoice is ALREADY_EXISTS on supplier_invoice_number: the
// supplier's invoice number is billed already (by bill, when known).
func duplicateInvoice(supplier, number, bill string) error {
	by := ""
	if bill != "" {
		by = " (" + bill + ")"
	}
	return &errs.Error{Kind: errs.AlreadyExists,
		Violations: []errs.FieldViolation{{Field: "supplier_invoice_number", Description: "the supplier's invoice " + number + " is billed already" + by}},
		Message:    fmt.Sprintf("supplier %s's invoice %q is billed already%s", supplier, number, by)}
}

const supplierPaymentCols = `id, number, bill_id, supplier_id, currency_code, amount, paid_date, reference, create_time,
	reversed, reverse_reason, reverse_time`

func scanSupplierPayment(row pgx.Row) (payables.Payment, error) {
	var p payables.Payment
	var reversed *time.Time
	err := row.Scan(&p.ID, &p.Number, &p.BillID, &p.SupplierID, &p.Amount.Currency, &p.Amount.Amount, &p.PaidDate,
		&p.Reference, &p.CreateTime, &p.Reversed, &p.ReverseReason, &reversed)
	p.PaidDate = p.PaidDate.UTC()
	if reversed != nil {
		p.ReverseTime = *reversed
	}
	return p, err
}

// GetPayment implements payables.Store.
func (s *Store) GetSupplierPayment(ctx context.Context, id string) (payables.Payment, error) {
	if !canonicalID(&id) {
		return payables.Payment{}, errs.NotFoundf("supplier payment %q", id)
	}
	p, err := scanSupplierPayment(s.pool.QueryRow(ctx, `SELECT `+supplierPaymentCols+` FROM supplier_payments WHERE id = $1`, id))
	if pg.IsNoRows(err) {
		return payables.Payment{}, errs.NotFoundf("supplier payment %q", id)
	}
	if err != nil {
		return payables.Payment{}, fmt.Errorf("get supplier payment %s: %w", id, err)
	}
	return p, nil
}

var supplierPaymentFilter = map[string]column{
	"supplier_id": {expr: "supplier_id", uuid: true},
	"bill_id":     {expr: "bill_id", uuid: true},
}

// supplierPaymentsSQL is the query of a ListSupplierPayments page and its
// arguments: the payments after the token's id, by id. A filter by
// supplier or bill reads from its (column, id) index in id order.
func supplierPaymentsSQL(q payables.ListQuery) (string, []any, error) {
	var args []any
	filter, err := where(q.Filter, supplierPaymentFilter, &args)
	if err != nil {
		return "", nil, err
	}
	after, err := afterID(&args, q.After, `id > $after::uuid`)
	if err != nil {
		return "", nil, err
	}
	return `SELECT ` + supplierPaymentCols + ` FROM supplier_payments WHERE ` + and(filter, after) +
		` ORDER BY id LIMIT ` + arg(&args, q.PageSize+1), args, nil
}

// ListSupplierPayments implements payables.Store.
func (s *Store) ListSupplierPayments(ctx context.Context, q payables.ListQuery) ([]payables.Payment, bool, error) {
	return readList(ctx, s, "supplier payments", q.PageSize, func(rows pgx.Rows) ([]payables.Payment, error) {
		return pgx.CollectRows(rows, func(row pgx.CollectableRow) (payables.Payment, error) { return scanSupplierPayment(row) })
	})(supplierPaymentsSQL(q))
}

// CreateSupplierPayment implements payables.Store. The bill's key and row locks
// serialise its payments: each sees what the one before it paid, so
// together they never pay more than the bill's total.
func (s *Store) CreateSupplierPayment(ctx context.Context, p payables.Payment, requestID string) (payables.Payment, error) {
	const method = "CreateSupplierPayment"
	if !canonicalID(&p.BillID) {
		return payables.Payment{}, errs.Invalid("bill_id", "no supplier bill has id %q", p.BillID)
	}
	actor := auth.Actor(ctx)
	var out payables.Payment
	var cl claim
	err := inTx(ctx, s.pool, func(b *pgx.Batch) {
		cl = claim{requestID: requestID, method: method, resourceID: p.ID, digest: requestid.FromContext(ctx)}
		pg.QueueKeyLock(b, "supplierBills/"+p.BillID)
		cl.queue(b)
	}, func(tx pgx.Tx) error {
		bill, err := getBill(ctx, tx, p.BillID, true)
		if errs.KindOf(err) == errs.NotFound {
			return errs.Invalid("bill_id", "no supplier bill has id %q", p.BillID)
		}
		if err != nil {
			return err
		}
		pay := p
		entry, err := payables.Pay(&pay, &bill)
		if err != nil {
			return err
		}
		var w pgx.Batch
		w.Queue(`INSERT INTO supplier_payments (id, number, bill_id, supplier_id, currency_code, amount, paid_date, reference)
			VALUES ($1, `+supplierPaymentNumberSQL+`, $2, $3, $4, $5, $6, $7)
			RETURNING number, create_time`,
			pay.ID, pay.BillID, pay.SupplierID, pay.Amount.Currency, pay.Amount.Amount, pay.PaidDate, pay.Reference).
			QueryRow(func(row pgx.Row) error { return row.Scan(&pay.Number, &pay.CreateTime) })
		w.Queue(`UPDATE supplier_bills SET paid = $2, status = $3, revision = $4, update_time = now()
			WHERE id = $1 RETURNING update_time`, bill.ID, bill.Paid, string(bill.Status), bill.Revision).
			QueryRow(func(row pgx.Row) error { return row.Scan(&bill.UpdateTime) })
		if err := queueJournal(&w, []ledger.Entry{entry}, actor); err != nil {
			return err
		}
		if err := tx.SendBatch(ctx, &w).Close(); err != nil {
			return fmt.Errorf("insert supplier payment %s: %w", pay.ID, err)
		}
		payPayload, err := s.enc.SupplierPayment(pay)
		if err != nil {
			return fmt.Errorf("encode supplier payment %s: %w", pay.ID, err)
		}
		billPayload, err := s.enc.SupplierBill(bill)
		if err != nil {
			return fmt.Errorf("encode supplier bill %s: %w", bill.ID, err)
		}
		out = pay
		return feed.Append(ctx, tx, event(ctx, payables.EventPaymentCreated, pay.ID, payPayload),
			event(ctx, payables.EventBillUpdated, bill.ID, billPayload))
	})
	if claimLost(err) {
		prev, err := s.previous(ctx, requestID, method)
		if err != nil {
			return payables.Payment{}, err
		}
		return s.GetSupplierPayment(ctx, prev)
	}
	if err != nil {
		return payables.Payment{}, err
	}
	return out, nil
}

// ReverseSupplierPayment implements payables.Store. It takes the bill's
// key lock (found through the payment) and row lock, as payments of the
// bill do, then the payment's row: reversals of one payment queue behind
// each other, and each sees whether the one before it reversed it.
func (s *Store) ReverseSupplierPayment(ctx context.Context, id, reason, requestID string) (payables.Payment, error) {
	const method = "ReverseSupplierPayment"
	if !canonicalID(&id) {
		return payables.Payment{}, errs.NotFoundf("supplier payment %q", id)
	}
	actor := auth.Actor(ctx)
	var out payables.Payment
	var cl claim
	err := inTx(ctx, s.pool, func(b *pgx.Batch) {
		cl = claim{requestID: requestID, method: method, resourceID: id, digest: requestid.FromContext(ctx)}
		b.Queue(`SELECT pg_advisory_xact_lock(hashtextextended('supplierBills/' || bill_id::text, 0))
			FROM supplier_payments WHERE id = $1`, id)
		cl.queue(b)
	}, func(tx pgx.Tx) error {
		var billID string
		if err := tx.QueryRow(ctx, `SELECT bill_id::text FROM supplier_payments WHERE id = $1`, id).Scan(&billID); err != nil {
			if pg.IsNoRows(err) {
				return errs.NotFoundf("supplier payment %q", id)
			}
			return fmt.Errorf("reverse supplier payment %s: %w", id, err)
		}
		bill, err := getBill(ctx, tx, billID, true)
		if err != nil {
			return err
		}
		pay, err := scanSupplierPayment(tx.QueryRow(ctx, `SELECT `+supplierPaymentCols+` FROM supplier_payments WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return fmt.Errorf("reverse supplier payment %s: %w", id, err)
		}
		posted, err := s.entriesOf(ctx, tx, pay.JournalReference(), ledger.KindSupplierPayment)
		if err != nil {
			return err
		}
		entries, err := payables.ReversePayment(&pay, &bill, reason, posted)
		if err != nil {
			return err
		}
		var w pgx.Batch
		w.Queue(`UPDATE supplier_payments SET reversed = true, reverse_reason = $2, reverse_time = now()
			WHERE id = $1 RETURNING reverse_time`, pay.ID, pay.ReverseReason).
			QueryRow(func(row pgx.Row) error { return row.Scan(&pay.ReverseTime) })
		w.Queue(`UPDATE supplier_bills SET paid = $2, status = $3, revision = $4, update_time = now()
			WHERE id = $1 RETURNING update_time`, bill.ID, bill.Paid, string(bill.Status), bill.Revision).
			QueryRow(func(row pgx.Row) error { return row.Scan(&bill.UpdateTime) })
		if err := queueJournal(&w, entries, actor); err != nil {
			return err
		}
		err = tx.SendBatch(ctx, &w).Close()
		if pg.IsUniqueViolation(err, "journal_entries_reversed_once") {
			return errs.FailedPreconditionf("supplier payment %s was reversed already: a payment is reversed once", pay.Number)
		}
		if err != nil {
			return fmt.Errorf("reverse supplier payment %s: %w", pay.ID, err)
		}
		payPayload, err := s.enc.SupplierPayment(pay)
		if err != nil {
			return fmt.Errorf("encode supplier payment %s: %w", pay.ID, err)
		}
		billPayload, err := s.enc.SupplierBill(bill)
		if err != nil {
			return fmt.Errorf("encode supplier bill %s: %w", bill.ID, err)
		}
		out = pay
		return feed.Append(ctx, tx, event(ctx, payables.EventPaymentReversed, pay.ID, payPayload),
			event(ctx, payables.EventBillUpdated, bill.ID, billPayload))
	})
	switch {
	case claimLost(err):
		if _, err := s.previous(ctx, requestID, method); err != nil {
			return payables.Payment{}, err
		}
		return s.GetSupplierPayment(ctx, id)
	case err != nil:
		return payables.Payment{}, err
	}
	return out, nil
}

// payablesSQL is the query of a page of the payables report as of today
// or later and its arguments: the open bills dated by q.AsOf, from their
// partial index in (supplier, currency) order, summed per group after
// q.After, at most q.Limit+1 groups, then named. Their paid and credited
// amounts are the bills' own: Payables reads them only when no payment
// or credit note is dated after q.AsOf, and a payment reversed by now was
// reversed by then.
func payablesSQL(q payables.ReportQuery) (string, []any, error) {
	args, conds, err := payablesConds(q)
	if err != nil {
		return "", nil, err
	}
	return `SELECT b.supplier_id, s.name, b.currency_code, b.open, b.overdue, b.bills
		FROM (SELECT supplier_id, currency_code, sum(total - paid - credited) AS open,
		             sum(CASE WHEN due_date < $1::date THEN total - paid - credited ELSE 0 END) AS overdue, count(*) AS bills
		      FROM supplier_bills WHERE status <> 'PAID' AND invoice_date <= $1::date AND ` + and(conds...) + `
		      GROUP BY supplier_id, currency_code
		      ORDER BY supplier_id, currency_code LIMIT ` + arg(&args, q.Limit+1) + `) b
		JOIN suppliers s ON s.id = b.supplier_id
		ORDER BY b.supplier_id, b.currency_code`, args, nil
}

// supplierPaymentReversedDaySQL is the day the reversal of supplier
// payment "p" posts on (postedDaySQL; the day of its reverse_time for one
// that posted nothing).
var supplierPaymentReversedDaySQL = postedDay("supplier_payment_reversal", `'supplierPayments/' || p.id`,
	`(p.reverse_time AT TIME ZONE 'UTC')::date`)

// payablesAsOfSQL is payablesSQL from the bills' history: every bill
// dated by q.AsOf (supplier_bills_supplier_currency_idx, in (supplier,
// currency) order, whatever its status now), less the payments dated by
// then and not reversed by then (the day their reversal posts on in the
// journal, so that the report adds up with 2000 through that day),
// and the credit notes dated by then, each read from its bill index;
// the bills with something open then count.
func payablesAsOfSQL(q payables.ReportQuery) (string, []any, error) {
	args, conds, err := payablesConds(q)
	if err != nil {
		return "", nil, err
	}
	return `SELECT b.supplier_id, s.name, b.currency_code, b.open, b.overdue, b.bills
		FROM (SELECT supplier_id, currency_code, sum(pd.open) AS open,
		             sum(CASE WHEN due_date < $1::date THEN pd.open ELSE 0 END) AS overdue, count(*) AS bills
		      FROM supplier_bills bl
		      CROSS JOIN LATERAL (SELECT bl.total
		          - coalesce((SELECT sum(p.amount) FROM supplier_payments p WHERE p.bill_id = bl.id AND p.paid_date <= $1::date
		              AND NOT (p.reversed AND ` + supplierPaymentReversedDaySQL + ` <= $1::date)), 0)
		          - coalesce((SELECT sum(n.total) FROM supplier_credit_notes n WHERE n.bill_id = bl.id AND n.credit_date <= $1::date), 0)
		          AS open) pd
		      WHERE invoice_date <= $1::date AND pd.open > 0 AND ` + and(conds...) + `
		      GROUP BY supplier_id, currency_code
		      ORDER BY supplier_id, currency_code LIMIT ` + arg(&args, q.Limit+1) + `) b
		JOIN suppliers s ON s.id = b.supplier_id
		ORDER BY b.supplier_id, b.currency_code`, args, nil
}

// payablesConds are the arguments ($1 the as-of day) and the conditions
// on a bill's columns of a page of the payables report.
func payablesConds(q payables.ReportQuery) ([]any, []string, error) {
	args := []any{q.AsOf}
	var conds []string
	if q.SupplierID != "" {
		if !canonicalID(&q.SupplierID) {
			return nil, nil, errs.Invalid("supplier_id", "must be a UUID, got %q", q.SupplierID)
		}
		conds = append(conds, "supplier_id = "+arg(&args, q.SupplierID)+"::uuid")
	}
	if q.After != nil {
		k := *q.After
		if !canonicalID(&k.SupplierID) {
			return nil, nil, errs.Invalid("page_token", "is not a token returned by this report")
		}
		conds = append(conds, "(supplier_id, currency_code) > ("+arg(&args, k.SupplierID)+"::uuid, "+arg(&args, k.Currency)+")")
	}
	return args, conds, nil
}

// datedAfterSQL tells whether a supplier payment or credit note is dated
// after $1 (their date indexes, migration 0036), or the books are closed
// through $1, so that a payment reversed now posts after it: as of that
// day the bills' paid and credited amounts are not what they are now.
const datedAfterSQL = `SELECT EXISTS (SELECT 1 FROM supplier_payments WHERE paid_date > $1::date)
	OR EXISTS (SELECT 1 FROM supplier_credit_notes WHERE credit_date > $1::date)
	OR EXISTS (SELECT 1 FROM ledger_period WHERE closed_through >= $1::date)`

// Payables implements payables.Store: the bills as they were at the end
// of q.AsOf. As of today or later, with nothing dated after it, from the
// open bills (payablesSQL); otherwise from the bills' history
// (payablesAsOfSQL).
func (s *Store) Payables(ctx context.Context, q payables.ReportQuery) ([]payables.ReportRow, error) {
	history := q.AsOf.Before(civil.Today(time.Now()))
	if !history {
		if err := s.pool.QueryRow(ctx, datedAfterSQL, q.AsOf).Scan(&history); err != nil {
			return nil, fmt.Errorf("payables report: %w", err)
		}
	}
	return s.payables(ctx, q, history)
}

// payables is Payables from the open bills or from the bills' history.
func (s *Store) payables(ctx context.Context, q payables.ReportQuery, history bool) ([]payables.ReportRow, error) {
	read := payablesSQL
	if history {
		read = payablesAsOfSQL
	}
	sql, args, err := read(q)
	if err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("payables report: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (payables.ReportRow, error) {
		var r payables.ReportRow
		err := row.Scan(&r.SupplierID, &r.SupplierName, &r.Currency, &r.Open, &r.Overdue, &r.OpenBills)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("payables report: %w", err)
	}
	return out, nil
}
