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
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/feed"
	"github.com/seamhq/seam/platform/pg"
	"github.com/seamhq/seam/platform/requestid"
)

var _ payables.CreditStore = (*Store)(nil)

const supplierCreditNoteNumberSQL = `(SELECT 'SCN-' || CASE WHEN n < 1000000 THEN lpad(n::text, 6, '0') ELSE n::text END
	FROM nextval('supplier_credit_note_number_seq') AS n)`

var supplierCreditNoteFilter = map[string]column{
	"bill_id":     {expr: "bill_id", uuid: true},
	"supplier_id": {expr: "supplier_id", uuid: true},
}

// supplierCreditNoteCols selects a credit note "c", its bill "b" and one
// of its lines "l".
const supplierCreditNoteCols = `c.id, c.number, c.bill_id, b.number, c.supplier_id, c.purchase_order_id, c.currency_code,
	c.credit_date, c.reason, c.subtotal, c.tax_amount, c.total, c.create_time,
	l.order_line_number, l.kind, l.sku, l.quantity, l.net_amount, l.tax_amount`

func scanSupplierCreditNotes(rows pgx.Rows) ([]payables.CreditNote, error) {
	defer rows.Close()
	var out []payables.CreditNote
	for rows.Next() {
		var c payables.CreditNote
		var l payables.CreditLine
		var kind string
		if err := rows.Scan(&c.ID, &c.Number, &c.BillID, &c.BillNumber, &c.SupplierID, &c.PurchaseOrderID, &c.Currency,
			&c.CreditDate, &c.Reason, &c.Subtotal, &c.Tax, &c.Total, &c.CreateTime,
			&l.LineNumber, &kind, &l.SKU, &l.Quantity, &l.Net, &l.Tax); err != nil {
			return nil, err
		}
		l.Kind = payables.CreditKind(kind)
		if n := len(out); n > 0 && out[n-1].ID == c.ID {
			out[n-1].Lines = append(out[n-1].Lines, l)
			continue
		}
		c.CreditDate = c.CreditDate.UTC()
		c.Lines = []payables.CreditLine{l}
		out = append(out, c)
	}
	return out, rows.Err()
}

// GetSupplierCreditNote implements payables.CreditStore.
func (s *Store) GetSupplierCreditNote(ctx context.Context, id string) (payables.CreditNote, error) {
	if !canonicalID(&id) {
		return payables.CreditNote{}, errs.NotFoundf("supplier credit note %q", id)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+supplierCreditNoteCols+`
		FROM supplier_credit_notes c JOIN supplier_bills b ON b.id = c.bill_id
		JOIN supplier_credit_note_lines l ON l.credit_note_id = c.id
		WHERE c.id = $1 ORDER BY l.line_number`, id)
	if err != nil {
		return payables.CreditNote{}, fmt.Errorf("get supplier credit note %s: %w", id, err)
	}
	list, err := scanSupplierCreditNotes(rows)
	if err != nil {
		return payables.CreditNote{}, fmt.Errorf("get supplier credit note %s: %w", id, err)
	}
	if len(list) == 0 {
		return payables.CreditNote{}, errs.NotFoundf("supplier credit note %q", id)
	}
	return list[0], nil
}

// supplierCreditNotesSQL is the query of a ListSupplierCreditNotes page
// and its arguments: the credit notes after the token's id, by id, with
// their lines. A filter by bill or supplier reads from its (column, id)
// index in id order, none from the primary key.
func supplierCreditNotesSQL(q payables.ListQuery) (string, []any, error) {
	var args []any
	filter, err := where(q.Filter, supplierCreditNoteFilter, &args)
	if err != nil {
		return "", nil, err
	}
	after, err := afterID(&args, q.After, `id > $after::uuid`)
	if err != nil {
		return "", nil, err
	}
	return `SELECT ` + supplierCreditNoteCols + `
		FROM (SELECT * FROM supplier_credit_notes WHERE ` + and(filter, after) + ` ORDER BY id LIMIT ` + arg(&args, q.PageSize+1) + `) c
		JOIN supplier_bills b ON b.id = c.bill_id JOIN supplier_credit_note_lines l ON l.credit_note_id = c.id
		ORDER BY c.id, l.line_number`, args, nil
}

// ListSupplierCreditNotes implements payables.CreditStore.
func (s *Store) ListSupplierCreditNotes(ctx context.Context, q payables.ListQuery) ([]payables.CreditNote, bool, error) {
	return readList(ctx, s, "supplier credit notes", q.PageSize, scanSupplierCreditNotes)(supplierCreditNotesSQL(q))
}

// CreateSupplierCreditNote implements payables.CreditStore. Lock order:
// the bill's purchase order (key, found through the bill, then row), as
// bills, receipts and returns of the order take it, then the bill (key
// and row), as its payments take it. So a credit note and a return of
// the same line queue behind each other (the return sees the billed
// quantity the credit note lowered), and a credit note and a payment of
// the bill each see what the other left open.
func (s *Store) CreateSupplierCreditNote(ctx context.Context, n payables.NewCreditNote, requestID string) (payables.CreditNote, error) {
	const method = "CreateSupplierCreditNote"
	if !canonicalID(&n.BillID) {
		return payables.CreditNote{}, errs.NotFoundf("supplier bill %q", n.BillID)
	}
	actor := auth.Actor(ctx)
	var out payables.CreditNote
	var cl claim
	var now time.Time
	err := inTx(ctx, s.pool, func(b *pgx.Batch) {
		cl = claim{requestID: requestID, method: method, resourceID: n.ID, digest: requestid.FromContext(ctx)}
		b.Queue(`SELECT pg_advisory_xact_lock(hashtextextended('purchaseOrders/' || purchase_order_id::text, 0))
			FROM supplier_bills WHERE id = $1`, n.BillID)
		b.Queue(`SELECT pg_advisory_xact_lock(hashtextextended('supplierBills/' || $1::text, 0))`, n.BillID)
		cl.queue(b)
		b.Queue(`SELECT now()`).QueryRow(func(row pgx.Row) error { return row.Scan(&now) })
	}, func(tx pgx.Tx) error {
		var orderID string
		err := tx.QueryRow(ctx, `SELECT purchase_order_id::text FROM supplier_bills WHERE id = $1`, n.BillID).Scan(&orderID)
		if err != nil {
			if pg.IsNoRows(err) {
				return errs.NotFoundf("supplier bill %q", n.BillID)
			}
			return fmt.Errorf("credit supplier bill %s: %w", n.BillID, err)
		}
		o, err := getPurchaseOrder(ctx, tx, orderID, true)
		if err != nil {
			return err
		}
		bill, err := getBill(ctx, tx, n.BillID, true)
		if err != nil {
			return err
		}
		cn, entry, post, billed, err := payables.BuildCreditNote(&bill, &o, n, now)
		if err != nil {
			return err
		}
		cn.CreateTime = now

		var w pgx.Batch
		queuePeriodOpen(&w, cn.CreditDate, "supplier credit note supplierCreditNotes/"+cn.ID, "credit_date")
		w.Queue(`INSERT INTO supplier_credit_notes (id, number, bill_id, supplier_id, purchase_order_id, currency_code,
				credit_date, reason, subtotal, tax_amount, total, actor, create_time)
			VALUES ($1, `+supplierCreditNoteNumberSQL+`, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
			RETURNING number`,
			cn.ID, cn.BillID, cn.SupplierID, cn.PurchaseOrderID, cn.Currency, cn.CreditDate, cn.Reason,
			cn.Subtotal, cn.Tax, cn.Total, actor, cn.CreateTime).
			QueryRow(func(row pgx.Row) error { return row.Scan(&cn.Number) })
		k := len(cn.Lines)
		nums, kinds, skus := make([]int32, k), make([]string, k), make([]string, k)
		qty, net, tax := make([]decimal.Decimal, k), make([]decimal.Decimal, k), make([]decimal.Decimal, k)
		for i, l := range cn.Lines {
			nums[i], kinds[i], skus[i], qty[i], net[i], tax[i] = l.LineNumber, string(l.Kind), l.SKU, l.Quantity, l.Net, l.Tax
		}
		w.Queue(`INSERT INTO supplier_credit_note_lines (credit_note_id, line_number, order_line_number, kind, sku, quantity,
				net_amount, tax_amount)
			SELECT $1, ord, n, k, s, q, na, ta
			FROM unnest($2::int[], $3::text[], $4::text[], $5::numeric[], $6::numeric[], $7::numeric[])
			  WITH ORDINALITY AS u(n, k, s, q, na, ta, ord)`,
			cn.ID, nums, kinds, skus, qty, net, tax)
		bn := len(bill.Lines)
		billNums, credQty, credAmt := make([]int32, bn), make([]decimal.Decimal, bn), make([]decimal.Decimal, bn)
		for i, l := range bill.Lines {
			billNums[i], credQty[i], credAmt[i] = l.LineNumber, l.CreditedQuantity, l.CreditedAmount
		}
		w.Queue(`UPDATE supplier_bill_lines l SET credited_quantity = u.q, credited_amount = u.a
			FROM unnest($2::int[], $3::numeric[], $4::numeric[]) AS u(n, q, a)
			WHERE l.bill_id = $1 AND l.line_number = u.n AND (l.credited_quantity, l.credited_amount) IS DISTINCT FROM (u.q, u.a)`,
			bill.ID, billNums, credQty, credAmt)
		w.Queue(`UPDATE supplier_bills SET credited = $2, credited_tax = $3, status = $4, revision = $5, update_time = now()
			WHERE id = $1 RETURNING update_time`, bill.ID, bill.Credited, bill.CreditedTax, string(bill.Status), bill.Revision).
			QueryRow(func(row pgx.Row) error { return row.Scan(&bill.UpdateTime) })
		if billed {
			lineNums, billedQty := make([]int32, len(o.Lines)), make([]decimal.Decimal, len(o.Lines))
			for i, l := range o.Lines {
				lineNums[i], billedQty[i] = l.Number, l.Billed
			}
			w.Queue(`UPDATE purchase_order_lines l SET billed_quantity = u.b
				FROM unnest($2::int[], $3::numeric[]) AS u(n, b)
				WHERE l.order_id = $1 AND l.line_number = u.n AND l.billed_quantity <> u.b`, o.ID, lineNums, billedQty)
			o.Revision++
			w.Queue(`UPDATE purchase_orders SET revision = $2, update_time = now() WHERE id = $1 RETURNING update_time`, o.ID, o.Revision).
				QueryRow(func(row pgx.Row) error { return row.Scan(&o.UpdateTime) })
		}
		if post {
			if err := queueJournal(&w, []ledger.Entry{entry}, actor); err != nil {
				return err
			}
		}
		if err := tx.SendBatch(ctx, &w).Close(); err != nil {
			return fmt.Errorf("insert supplier credit note %s: %w", cn.ID, err)
		}
		payload, err := s.enc.SupplierCreditNote(cn)
		if err != nil {
			return fmt.Errorf("encode supplier credit note %s: %w", cn.ID, err)
		}
		billPayload, err := s.enc.SupplierBill(bill)
		if err != nil {
			return fmt.Errorf("encode supplier bill %s: %w", bill.ID, err)
		}
		out = cn
		events := []feed.NewEvent{event(ctx, payables.EventCreditNoteCreated, cn.ID, payload),
			event(ctx, payables.EventBillUpdated, bill.ID, billPayload)}
		if billed {
			return s.appendPurchaseOrder(ctx, tx, purchasing.EventBilled, o, events...)
		}
		return feed.Append(ctx, tx, events...)
	})
	switch {
	case claimLost(err):
		prev, err := s.previous(ctx, requestID, method)
		if err != nil {
			return payables.CreditNote{}, err
		}
		return s.GetSupplierCreditNote(ctx, prev)
	case err != nil:
		return payables.CreditNote{}, err
	}
	return out, nil
}
