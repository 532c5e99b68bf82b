package postgres

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/erp-service/internal/payment"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/requestid"
)

// ApplyCredit implements payment.Store. Lock order as for payments: the
// customer, then the payment, then the invoices' orders and the invoices.
func (s *Store) ApplyCredit(ctx context.Context, id string, etag int64, allocs []payment.Allocation, requestID string) (payment.Payment, error) {
	const method = "ApplyPaymentCredit"
	if !canonicalID(&id) {
		return payment.Payment{}, errs.NotFoundf("payment %q", id)
	}
	var v errs.Violations
	allocs = slices.Clone(allocs)
	ids := make([]string, len(allocs))
	for i := range allocs {
		if !canonicalID(&allocs[i].InvoiceID) {
			v.Add(fmt.Sprintf("allocations[%d].invoice_id", i), "no invoice has id %q", allocs[i].InvoiceID)
		}
		ids[i] = allocs[i].InvoiceID
	}
	if err := v.Err(); err != nil {
		return payment.Payment{}, err
	}
	var out payment.Payment
	var cl claim
	err := inTx(ctx, s.pool, func(b *pgx.Batch) {
		cl = claim{requestID: requestID, method: method, resourceID: id, digest: requestid.FromContext(ctx)}
		queueLockCustomers(b, `id = (SELECT customer_id FROM payments WHERE id = $1)`, id)
		queueLockOrdersOf(b, `id = ANY($1::uuid[])`, ids)
		b.Queue(`SELECT 1 FROM customers WHERE id = (SELECT customer_id FROM payments WHERE id = $1) FOR UPDATE`, id)
		cl.queue(b)
	}, func(tx pgx.Tx) error {
		p, err := getPayment(ctx, tx, id, true)
		if err != nil {
			return err
		}
		invoices, err := lockInvoices(ctx, tx, ids)
		if err != nil {
			return err
		}
		if err := payment.ApplyCredit(&p, etag, allocs, invoices); err != nil {
			return err
		}
		amounts := make([]decimal.Decimal, len(allocs))
		for i, a := range allocs {
			amounts[i] = a.Amount.Amount
		}
		var b pgx.Batch
		// Dated, as the payment's other allocations, on its received date:
		// the money was the customer's credit against its receivables from
		// then on (the aging as of a date nets it from the invoice).
		b.Queue(`INSERT INTO payment_allocations (payment_id, invoice_id, amount, received_date)
			SELECT $1, inv, amt, $4 FROM unnest($2::uuid[], $3::numeric[]) AS u(inv, amt)
			ON CONFLICT (payment_id, invoice_id) DO UPDATE SET amount = payment_allocations.amount + excluded.amount`,
			p.ID, ids, amounts, p.ReceivedDate)
		b.Queue(`UPDATE payments SET unallocated = $2, revision = $3, update_time = now() WHERE id = $1
			RETURNING update_time`, p.ID, p.Unallocated.Amount, p.Revision).
			QueryRow(func(row pgx.Row) error { return row.Scan(&p.UpdateTime) })
		slices.SortFunc(p.Allocations, func(a, b payment.Allocation) int { return compareUUID(a.InvoiceID, b.InvoiceID) })
		err = s.writePaymentChange(ctx, tx, &b, &p, payment.EventCreditApplied, invoices, "credit application")
		out = p
		return err
	})
	return s.paymentChanged(ctx, out, err, method, id, requestID)
}
