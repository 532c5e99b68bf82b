package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/seamhq/seam/erp-service/internal/ledger"
	"github.com/seamhq/seam/erp-service/internal/payment"
	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/requestid"
)

// RefundCredit implements payment.Store. Lock order as for payments: the
// customer, then the payment. The payment's row lock serializes refunds
// of one credit, so that together they never pay back more than it.
// A posting dated in the closed period is FAILED_PRECONDITION naming
// refund_date.
func (s *Store) RefundCredit(ctx context.Context, id string, etag int64, r payment.Refund, requestID string) (payment.Payment, error) {
	out, err := s.refundCredit(ctx, id, etag, r, requestID)
	return out, closedPeriodAt(err, "refund_date")
}

// refundCredit is RefundCredit but for naming the date of a posting refused
// for the closed period.
func (s *Store) refundCredit(ctx context.Context, id string, etag int64, r payment.Refund, requestID string) (payment.Payment, error) {
	const method = "RefundPaymentCredit"
	if !canonicalID(&id) {
		return payment.Payment{}, errs.NotFoundf("payment %q", id)
	}
	actor := auth.Actor(ctx)
	var out payment.Payment
	var cl claim
	err := inTx(ctx, s.pool, func(b *pgx.Batch) {
		cl = claim{requestID: requestID, method: method, resourceID: id, digest: requestid.FromContext(ctx)}
		queueLockCustomers(b, `id = (SELECT customer_id FROM payments WHERE id = $1)`, id)
		b.Queue(`SELECT 1 FROM customers WHERE id = (SELECT customer_id FROM payments WHERE id = $1) FOR UPDATE`, id)
		cl.queue(b)
	}, func(tx pgx.Tx) error {
		p, err := getPayment(ctx, tx, id, true)
		if err != nil {
			return err
		}
		entry, err := payment.RefundCredit(&p, etag, r)
		if err != nil {
			return err
		}
		refund := &p.Refunds[len(p.Refunds)-1]
		entry.Date = refund.Date // in the period the money left in
		var b pgx.Batch
		b.Queue(`INSERT INTO payment_refunds (payment_id, refund_number, amount, refund_date, reference)
			VALUES ($1, $2, $3, $4, $5) RETURNING create_time`, p.ID, len(p.Refunds), refund.Amount.Amount, refund.Date, refund.Reference).
			QueryRow(func(row pgx.Row) error { return row.Scan(&refund.CreateTime) })
		b.Queue(`UPDATE payments SET unallocated = $2, revision = $3, update_time = now() WHERE id = $1
			RETURNING update_time`, p.ID, p.Unallocated.Amount, p.Revision).
			QueryRow(func(row pgx.Row) error { return row.Scan(&p.UpdateTime) })
		if err := queueJournal(&b, []ledger.Entry{entry}, actor); err != nil {
			return err
		}
		err = s.writePaymentChange(ctx, tx, &b, &p, payment.EventRefunded, nil, "refund")
		out = p
		return err
	})
	return s.paymentChanged(ctx, out, err, method, id, requestID)
}
