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
	"github.com/seamhq/seam/erp-service/internal/stock"
	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/feed"
	"github.com/seamhq/seam/platform/money"
	"github.com/seamhq/seam/platform/requestid"
)

var _ invoicing.CreditStore = (*Store)(nil)

var creditNoteFilter = map[string]column{
	"invoice_id":  {expr: "invoice_id", uuid: true},
	"customer_id": {expr: "customer_id", uuid: true},
	"credit_date": {expr: "credit_date", date: true},
}

// creditNoteNumberSQL draws the next credit note number, as
// invoiceNumberSQL does.
const creditNoteNumberSQL = `(SELECT 'CN-' || CASE WHEN n < 1000000 THEN lpad(n::text, 6, '0') ELSE n::text END
	FROM next_document_number('credit_note') AS n)`

// creditNoteCols selects a credit note and one of its lines from "c",
// "i" (its invoice) and "l".
const creditNoteCols = `c.id, c.number, c.invoice_id, i.number, c.customer_id, c.currency_code, c.credit_date, c.reason,
	c.subtotal, c.tax_total, c.total, c.refunded_to_credit, c.create_time,
	l.invoice_line_number, l.sku, l.quantity, l.tax_rate, l.net_amount, l.tax_amount,
	coalesce(l.return_warehouse, ''), coalesce(l.return_cost, 0), coalesce(l.return_cost_currency, '')`

func scanCreditNotes(rows pgx.Rows) ([]invoicing.CreditNote, error) {
	defer rows.Close()
	var out []invoicing.CreditNote
	for rows.Next() {
		var c invoicing.CreditNote
		var l invoicing.CreditLine
		if err := rows.Scan(&c.ID, &c.Number, &c.InvoiceID, &c.InvoiceNumber, &c.CustomerID, &c.Currency, &c.CreditDate, &c.Reason,
			&c.Subtotal.Amount, &c.TaxTotal.Amount, &c.Total.Amount, &c.ToCredit.Amount, &c.CreateTime,
			&l.LineNumber, &l.SKU, &l.Quantity, &l.TaxRate, &l.Net.Amount, &l.Tax.Amount,
			&l.ReturnWarehouse, &l.ReturnCost.Amount, &l.ReturnCost.Currency); err != nil {
			return nil, err
		}
		l.Net.Currency, l.Tax.Currency = c.Currency, c.Currency
		if n := len(out); n > 0 && out[n-1].ID == c.ID {
			out[n-1].Lines = append(out[n-1].Lines, l)
			continue
		}
		c.Subtotal.Currency, c.TaxTotal.Currency, c.Total.Currency, c.ToCredit.Currency = c.Currency, c.Currency, c.Currency, c.Currency
		c.Lines = []invoicing.CreditLine{l}
		out = append(out, c)
	}
	return out, rows.Err()
}

// GetCreditNote implements invoicing.CreditStore.
func (s *Store) GetCreditNote(ctx context.Context, id string) (invoicing.CreditNote, error) {
	if !canonicalID(&id) {
		return invoicing.CreditNote{}, errs.NotFoundf("credit note %q", id)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+creditNoteCols+`
		FROM credit_notes c JOIN invoices i ON i.id = c.invoice_id JOIN credit_note_lines l ON l.credit_note_id = c.id
		WHERE c.id = $1 ORDER BY l.line_number`, id)
	if err != nil {
		return invoicing.CreditNote{}, fmt.Errorf("get credit note %s: %w", id, err)
	}
	list, err := scanCreditNotes(rows)
	if err != nil {
		return invoicing.CreditNote{}, fmt.Errorf("get credit note %s: %w", id, err)
	}
	if len(list) == 0 {
		return invoicing.CreditNote{}, errs.NotFoundf("credit note %q", id)
	}
	return list[0], nil
}

// ListCreditNotes implements invoicing.CreditStore: pages in id order,
// read from credit_notes_invoice_idx or credit_notes_customer_idx when
// filtered by invoice or customer.
func (s *Store) ListCreditNotes(ctx context.Context, q invoicing.CreditListQuery) ([]invoicing.CreditNote, bool, error) {
	sql, args, err := creditNotesSQL(q)
	if err != nil {
		return nil, false, err
	}
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, false, fmt.Errorf("list credit notes: %w", err)
	}
	out, err := scanCreditNotes(rows)
	if err != nil {
		return nil, false, fmt.Errorf("list credit notes: %w", err)
	}
	if len(out) > q.PageSize {
		return out[:q.PageSize], true, nil
	}
	return out, false, nil
}

// creditNotesSQL is the statement reading a page of credit notes.
func creditNotesSQL(q invoicing.CreditListQuery) (string, []any, error) {
	var args []any
	filter, err := where(q.Filter, creditNoteFilter, &args)
	if err != nil {
		return "", nil, err
	}
	after, err := afterID(&args, q.After, `id > $after::uuid`)
	if err != nil {
		return "", nil, err
	}
	return `SELECT ` + creditNoteCols + `
		FROM (SELECT * FROM credit_notes WHERE ` + and(filter, after) + ` ORDER BY id LIMIT ` + arg(&args, q.PageSize+1) + `) c
		JOIN invoices i ON i.id = c.invoice_id JOIN credit_note_lines l ON l.credit_note_id = c.id
		ORDER BY c.id, l.line_number`, args, nil
}

// itemCost is an item's unit of measure and standard cost.
type itemCost struct {
	unit string
	cost money.Money
}

// shippedCost is what an order line shipped (quantity and cost) and what
// credit notes returned of it so far.
type shippedCost struct {
	quantity, cost, returned, returnedCost decimal.Decimal
	currency                               string
}

// CreateCreditNote implements invoicing.CreditStore. Lock order: the
// returned SKUs' stock (as every stock writer, first), then the money
// side's: the customer, the invoice's order, the invoice, the payments
// whose allocations it takes back.
// A posting dated in the closed period is FAILED_PRECONDITION naming
// credit_date.
func (s *Store) CreateCreditNote(ctx context.Context, n invoicing.NewCreditNote, requestID string) (invoicing.CreditNote, error) {
	out, err := s.createCreditNote(ctx, n, requestID)
	return out, closedPeriodAt(err, "credit_date")
}

// createCreditNote is CreateCreditNote but for naming the date of a posting refused
// for the closed period.
func (s *Store) createCreditNote(ctx context.Context, n invoicing.NewCreditNote, requestID string) (invoicing.CreditNote, error) {
	const method = "CreateCreditNote"
	if !canonicalID(&n.InvoiceID) {
		return invoicing.CreditNote{}, errs.NotFoundf("invoice %q", n.InvoiceID)
	}
	if err := invoicing.ValidateCreditNote(n); err != nil {
		return invoicing.CreditNote{}, err
	}
	n.Lines = slices.Clone(n.Lines)
	var returned []int32
	for i := range n.Lines {
		if n.Lines[i].ReturnWarehouse != "" {
			n.Lines[i].ReturnWarehouse = stock.CanonicalCode(n.Lines[i].ReturnWarehouse)
			returned = append(returned, n.Lines[i].LineNumber)
		}
	}
	actor := auth.Actor(ctx)
	var out invoicing.CreditNote
	var cl claim
	var set *stockSet
	var now time.Time
	err := inTx(ctx, s.pool, func(b *pgx.Batch) {
		cl = claim{requestID: requestID, method: method, resourceID: n.ID, digest: requestid.FromContext(ctx)}
		set = newStockSet()
		if len(returned) > 0 {
			queueLockStock(b, set, `sku IN (SELECT sku FROM invoice_lines WHERE invoice_id = $1 AND line_number = ANY($2::int[]))`,
				n.InvoiceID, returned)
		}
		queueLockCustomers(b, `id = (SELECT customer_id FROM invoices WHERE id = $1)`, n.InvoiceID)
		queueLockOrdersOf(b, `id = $1`, n.InvoiceID)
		b.Queue(`SELECT 1 FROM customers WHERE id = (SELECT customer_id FROM invoices WHERE id = $1) FOR UPDATE`, n.InvoiceID)
		cl.queue(b)
		b.Queue(`SELECT now()`).QueryRow(func(row pgx.Row) error { return row.Scan(&now) })
	}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT 1 FROM sales_orders WHERE id = (SELECT order_id FROM invoices WHERE id = $1) FOR UPDATE`,
			n.InvoiceID); err != nil {
			return fmt.Errorf("lock order of invoice %s: %w", n.InvoiceID, err)
		}
		inv, err := getInvoice(ctx, tx, n.InvoiceID, true)
		if err != nil {
			return err
		}
		credited, items, shipped, err := readCreditBasis(ctx, tx, inv)
		if err != nil {
			return err
		}
		units := map[string]string{}
		for sku, it := range items {
			units[sku] = it.unit
		}
		cn, entry, err := invoicing.BuildCreditNote(&inv, n, credited, units, now)
		if err != nil {
			return err
		}
		cn.CreateTime = now
		entries := []ledger.Entry{entry}

		// Goods returned: back into stock at what they cost when shipped.
		var changes []stock.Change
		var v errs.Violations
		var short []errs.FieldViolation
		for i := range cn.Lines {
			l := &cn.Lines[i]
			if l.ReturnWarehouse == "" {
				continue
			}
			f := fmt.Sprintf("lines[%d]", i)
			var exists bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM warehouses WHERE code = $1)`, l.ReturnWarehouse).Scan(&exists); err != nil {
				return fmt.Errorf("warehouse %s: %w", l.ReturnWarehouse, err)
			}
			if !exists {
				v.Add(f+".return_to_warehouse", "no warehouse has code %q", l.ReturnWarehouse)
				continue
			}
			sh := shipped[l.LineNumber]
			left := decimal.Zero
			if sh != nil {
				left = sh.quantity.Sub(sh.returned)
			}
			if sh == nil || l.Quantity.GreaterThan(left) {
				short = append(short, errs.FieldViolation{Field: f + ".quantity", Description: fmt.Sprintf(
					"only %s of line %d shipped and not returned yet; %s cannot come back into stock", left, l.LineNumber, l.Quantity)})
				continue
			}
			cost := sh.cost.Sub(sh.returnedCost)
			if !l.Quantity.Equal(left) {
				cost = decimal.Min(money.Round(l.Quantity.Mul(sh.cost).Div(sh.quantity), sh.currency), cost)
			}
			l.ReturnCost = money.Money{Currency: sh.currency, Amount: cost}
			sh.returned, sh.returnedCost = sh.returned.Add(l.Quantity), sh.returnedCost.Add(cost)
			a := set.items[l.SKU]
			if a == nil || !set.locked[l.SKU] {
				return fmt.Errorf("credit note %s: stock of %s not locked", cn.ID, l.SKU)
			}
			c := stock.Change{SKU: l.SKU, Warehouse: l.ReturnWarehouse, Kind: stock.Returned, OnHandDelta: l.Quantity,
				Reason: "customer return", Reference: cn.Reference(), Date: cn.CreditDate}
			before := a.OnHand
			a.Apply(c)
			it := items[l.SKU]
			value := money.Money{Currency: it.cost.Currency, Amount: ledger.StockValueChange(before, a.OnHand, it.cost)}
			entries = append(entries, invoicing.ReturnEntry(cn.Reference(), value, l.ReturnCost, cn.CreditDate)...)
			changes = append(changes, c)
		}
		if err := v.Err(); err != nil {
			return err
		}
		if len(short) > 0 {
			return &errs.Error{Kind: errs.FailedPrecondition, Violations: short, Message: short[0].Field + ": " + short[0].Description}
		}

		// What the credit takes beyond the open amount comes off the
		// invoice's allocations, latest payment first, back to credit.
		payments, taken, err := takeBackAllocations(ctx, tx, inv.ID, cn.ToCredit.Amount)
		if err != nil {
			return err
		}

		var b pgx.Batch
		k := len(cn.Lines)
		invLines, skus := make([]int32, k), make([]string, k)
		qty, rate, net, tax := make([]decimal.Decimal, k), make([]decimal.Decimal, k), make([]decimal.Decimal, k), make([]decimal.Decimal, k)
		whs, costs, costCur := make([]*string, k), make([]*decimal.Decimal, k), make([]*string, k)
		for i, l := range cn.Lines {
			invLines[i], skus[i], qty[i], rate[i], net[i], tax[i] = l.LineNumber, l.SKU, l.Quantity, l.TaxRate, l.Net.Amount, l.Tax.Amount
			if l.ReturnWarehouse != "" {
				wh, c, cc := l.ReturnWarehouse, l.ReturnCost.Amount, l.ReturnCost.Currency
				whs[i], costs[i], costCur[i] = &wh, &c, &cc
			}
		}
		b.Queue(`INSERT INTO credit_notes (id, number, invoice_id, customer_id, currency_code, credit_date, reason,
				subtotal, tax_total, total, refunded_to_credit, actor, create_time)
			VALUES ($1, `+creditNoteNumberSQL+`, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
			RETURNING number`,
			cn.ID, cn.InvoiceID, cn.CustomerID, cn.Currency, cn.CreditDate, cn.Reason,
			cn.Subtotal.Amount, cn.TaxTotal.Amount, cn.Total.Amount, cn.ToCredit.Amount, actor, cn.CreateTime).
			QueryRow(func(row pgx.Row) error { return row.Scan(&cn.Number) })
		b.Queue(`INSERT INTO credit_note_lines (credit_note_id, line_number, invoice_line_number, sku, quantity, tax_rate,
				net_amount, tax_amount, return_warehouse, return_cost, return_cost_currency)
			SELECT $1, ord, n, sku, q, r, na, ta, wh, c, cc
			FROM unnest($2::int[], $3::text[], $4::numeric[], $5::numeric[], $6::numeric[], $7::numeric[], $8::text[], $9::numeric[], $10::text[])
			  WITH ORDINALITY AS u(n, sku, q, r, na, ta, wh, c, cc, ord)`,
			cn.ID, invLines, skus, qty, rate, net, tax, whs, costs, costCur)
		if len(taken.payments) > 0 {
			b.Queue(`INSERT INTO credit_note_takebacks (credit_note_id, payment_id, amount, received_date)
				SELECT $1, p, t, d FROM unnest($2::uuid[], $3::numeric[], $4::date[]) AS u(p, t, d)`,
				cn.ID, taken.payments, taken.amounts, taken.received)
		}
		b.Queue(`UPDATE invoices SET paid_amount = $2, credited_amount = $3, status = $4, revision = $5, update_time = now()
			WHERE id = $1 RETURNING update_time`, inv.ID, inv.Paid.Amount, inv.Credited.Amount, string(inv.Status), inv.Revision).
			QueryRow(func(row pgx.Row) error { return row.Scan(&inv.UpdateTime) })
		if err := queueChanges(&b, set, changes, actor); err != nil {
			return err
		}
		if err := queueJournal(&b, entries, actor); err != nil {
			return err
		}
		if err := tx.SendBatch(ctx, &b).Close(); err != nil {
			return fmt.Errorf("insert credit note %s: %w", cn.ID, err)
		}

		payload, err := s.enc.CreditNote(cn)
		if err != nil {
			return fmt.Errorf("encode credit note %s: %w", cn.ID, err)
		}
		events := []feed.NewEvent{event(ctx, invoicing.EventCreditNoteCreated, cn.ID, payload)}
		if payload, err = s.enc.Invoice(inv); err != nil {
			return fmt.Errorf("encode invoice %s: %w", inv.ID, err)
		}
		events = append(events, event(ctx, payment.EventInvoiceUpdated, inv.ID, payload))
		for _, p := range payments {
			if payload, err = s.enc.Payment(p); err != nil {
				return fmt.Errorf("encode payment %s: %w", p.ID, err)
			}
			events = append(events, event(ctx, payment.EventUpdated, p.ID, payload))
		}
		o, err := getOrder(ctx, tx, inv.OrderID)
		if err != nil {
			return err
		}
		settled, err := settle(ctx, tx, &o)
		if err != nil {
			return err
		}
		if settled {
			if err := tx.QueryRow(ctx, `UPDATE sales_orders SET status = $2, revision = $3, update_time = now() WHERE id = $1
				RETURNING update_time`, o.ID, string(o.Status), o.Revision).Scan(&o.UpdateTime); err != nil {
				return fmt.Errorf("settle order %s: %w", o.ID, err)
			}
			if payload, err = s.enc.SalesOrder(o); err != nil {
				return fmt.Errorf("encode sales order %s: %w", o.ID, err)
			}
			events = append(events, event(ctx, payment.EventOrderUpdated, o.ID, payload))
		}
		bal, err := s.balanceEvent(ctx, tx, inv.CustomerID, inv.Currency)
		if err != nil {
			return err
		}
		events = append(events, bal)
		stockEvents, err := s.stockEvents(ctx, set, changes)
		if err != nil {
			return err
		}
		events = append(events, stockEvents...)
		out = cn
		return feed.Append(ctx, tx, events...)
	})
	switch {
	case claimLost(err):
		prev, err := s.previous(ctx, requestID, method)
		if err != nil {
			return invoicing.CreditNote{}, err
		}
		return s.GetCreditNote(ctx, prev)
	case err != nil:
		return invoicing.CreditNote{}, err
	}
	return out, nil
}

// readCreditBasis reads, for crediting inv (locked with its order), what
// its credit notes credited of each line, its items' units and standard
// costs, and per order line what shipped (quantity, cost) and what credit
// notes of the order's invoices returned of it.
func readCreditBasis(ctx context.Context, tx pgx.Tx, inv invoicing.Invoice) (map[int32]invoicing.Credited, map[string]itemCost, map[int32]*shippedCost, error) {
	credited := map[int32]invoicing.Credited{}
	items := map[string]itemCost{}
	shipped := map[int32]*shippedCost{}
	var b pgx.Batch
	b.Queue(`SELECT l.invoice_line_number, sum(l.quantity), sum(l.net_amount), sum(l.tax_amount), sum(l.net_amount * l.tax_rate)
		FROM credit_notes c JOIN credit_note_lines l ON l.credit_note_id = c.id
		WHERE c.invoice_id = $1 GROUP BY 1`, inv.ID).
		Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var n int32
				var c invoicing.Credited
				if err := rows.Scan(&n, &c.Quantity, &c.Net, &c.Tax, &c.TaxBase); err != nil {
					return err
				}
				credited[n] = c
			}
			return rows.Err()
		})
	b.Queue(`SELECT sku, unit_of_measure, currency_code, standard_cost FROM items
		WHERE sku IN (SELECT sku FROM invoice_lines WHERE invoice_id = $1)`, inv.ID).
		Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var sku string
				var it itemCost
				if err := rows.Scan(&sku, &it.unit, &it.cost.Currency, &it.cost.Amount); err != nil {
					return err
				}
				items[sku] = it
			}
			return rows.Err()
		})
	b.Queue(`SELECT l.line_number, min(l.cost_currency), sum(l.quantity), sum(l.cost)
		FROM shipments s JOIN shipment_lines l ON l.shipment_id = s.id
		WHERE s.order_id = $1 GROUP BY 1`, inv.OrderID).
		Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var n int32
				sh := &shippedCost{returned: decimal.Zero, returnedCost: decimal.Zero}
				if err := rows.Scan(&n, &sh.currency, &sh.quantity, &sh.cost); err != nil {
					return err
				}
				shipped[n] = sh
			}
			return rows.Err()
		})
	b.Queue(`SELECT l.invoice_line_number, sum(l.quantity), sum(l.return_cost)
		FROM credit_notes c JOIN invoices i ON i.id = c.invoice_id JOIN credit_note_lines l ON l.credit_note_id = c.id
		WHERE i.order_id = $1 AND l.return_warehouse IS NOT NULL GROUP BY 1`, inv.OrderID).
		Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var n int32
				var q, c decimal.Decimal
				if err := rows.Scan(&n, &q, &c); err != nil {
					return err
				}
				if sh := shipped[n]; sh != nil {
					sh.returned, sh.returnedCost = q, c
				}
			}
			return rows.Err()
		})
	if err := tx.SendBatch(ctx, &b).Close(); err != nil {
		return nil, nil, nil, fmt.Errorf("credit basis of invoice %s: %w", inv.ID, err)
	}
	return credited, items, shipped, nil
}

// takebacks are what a credit note took back from payment allocations:
// per payment, the amount and the allocation's received date.
type takebacks struct {
	payments []string
	amounts  []decimal.Decimal
	received []time.Time
}

// takeBackAllocations takes amount off the allocations of posted
// payments to invoice id, the latest payment first (by received date,
// then number), putting it back on those payments' unallocated amounts
// (an allocation taken back in full is removed). It locks the payments
// and returns them as they are after, revision + 1, and what it took
// from which allocation.
func takeBackAllocations(ctx context.Context, tx pgx.Tx, invoiceID string, amount decimal.Decimal) ([]payment.Payment, takebacks, error) {
	if !amount.IsPositive() {
		return nil, takebacks{}, nil
	}
	rows, err := tx.Query(ctx, `SELECT a.payment_id::text, a.amount, a.received_date FROM payment_allocations a JOIN payments p ON p.id = a.payment_id
		WHERE a.invoice_id = $1 AND p.status = 'POSTED'
		ORDER BY p.received_date DESC, p.number DESC FOR UPDATE OF p, a`, invoiceID)
	if err != nil {
		return nil, takebacks{}, fmt.Errorf("allocations to invoice %s: %w", invoiceID, err)
	}
	type alloc struct {
		payment  string
		amount   decimal.Decimal
		received time.Time
	}
	allocs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (alloc, error) {
		var a alloc
		err := row.Scan(&a.payment, &a.amount, &a.received)
		return a, err
	})
	if err != nil {
		return nil, takebacks{}, fmt.Errorf("allocations to invoice %s: %w", invoiceID, err)
	}
	left := amount
	var taken takebacks
	for _, a := range allocs {
		if !left.IsPositive() {
			break
		}
		take := decimal.Min(a.amount, left)
		taken.payments, taken.amounts = append(taken.payments, a.payment), append(taken.amounts, take)
		taken.received = append(taken.received, a.received)
		left = left.Sub(take)
	}
	if left.IsPositive() {
		return nil, takebacks{}, fmt.Errorf("invoice %s: %s of its credit has no allocation to take back", invoiceID, left)
	}
	ids, takes := slices.Clone(taken.payments), taken.amounts
	var b pgx.Batch
	b.Queue(`DELETE FROM payment_allocations a USING unnest($2::uuid[], $3::numeric[]) AS u(p, t)
		WHERE a.invoice_id = $1 AND a.payment_id = u.p AND a.amount = u.t`, invoiceID, ids, takes)
	b.Queue(`UPDATE payment_allocations a SET amount = a.amount - u.t
		FROM unnest($2::uuid[], $3::numeric[]) AS u(p, t)
		WHERE a.invoice_id = $1 AND a.payment_id = u.p AND a.amount > u.t`, invoiceID, ids, takes)
	b.Queue(`UPDATE payments p SET unallocated = p.unallocated + u.t, revision = p.revision + 1, update_time = now()
		FROM unnest($1::uuid[], $2::numeric[]) AS u(p, t) WHERE p.id = u.p`, ids, takes)
	if err := tx.SendBatch(ctx, &b).Close(); err != nil {
		return nil, takebacks{}, fmt.Errorf("take back allocations to invoice %s: %w", invoiceID, err)
	}
	out := make([]payment.Payment, 0, len(ids))
	slices.SortFunc(ids, compareUUID)
	for _, id := range ids {
		p, err := getPayment(ctx, tx, id, false)
		if err != nil {
			return nil, takebacks{}, err
		}
		out = append(out, p)
	}
	return out, taken, nil
}
