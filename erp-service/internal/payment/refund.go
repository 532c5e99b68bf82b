package payment

import (
	"fmt"
	"strings"
	"time"

	"github.com/seamhq/seam/erp-service/internal/ledger"
	"github.com/seamhq/seam/platform/civil"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/money"
)

// Refund is part of a payment's credit paid back to the customer. A
// refund is final: the money has left.
type Refund struct {
	Amount     money.Money
	Date       time.Time // a date, UTC midnight
	Reference  string    // the payee's reference
	CreateTime time.Time
}

// ValidateRefund checks what can be checked of refund r without the
// payment: a positive amount in the minor units of its currency and a
// reference of at most MaxReferenceLength characters. Violations name
// fields of the request ("amount.amount").
func ValidateRefund(r Refund) error {
	var v errs.Violations
	checkAmountReference(&v, r.Amount, r.Reference)
	return v.Err()
}

// RefundCredit pays r.Amount of posted payment p's unallocated amount
// (the customer's credit) back to the customer: r (validated, dated) is
// added to p's refunds, the unallocated amount falls by it and the
// revision increments. The refund must be in the payment's currency, at
// most its unallocated amount, and not dated before the payment was
// received (INVALID_ARGUMENT naming amount or refund_date). It returns
// the journal entry: Dr Accounts receivable / Cr Cash for the amount,
// taking the credit out of receivables as the cash leaves.
func RefundCredit(p *Payment, etag int64, r Refund) (ledger.Entry, error) {
	if p.Status != Posted {
		return ledger.Entry{}, errs.FailedPreconditionf("payment %s is %s; only a posted payment's credit can be refunded", p.Number, p.Status)
	}
	if etag != 0 && etag != p.Revision {
		return ledger.Entry{}, errs.StaleEtag("payment " + p.ID)
	}
	var v errs.Violations
	switch {
	case r.Amount.Currency != p.Amount.Currency:
		v.Add("amount.currency_code", "must be the payment's currency %s", p.Amount.Currency)
	case r.Amount.Amount.GreaterThan(p.Unallocated.Amount):
		v.Add("amount.amount", "%s is more than the %s of credit left on payment %s", r.Amount.Format(), p.Unallocated.Format(), p.Number)
	}
	if r.Date.Before(p.ReceivedDate) {
		v.Add("refund_date", "must not be before %s, when payment %s was received", civil.FormatDate(p.ReceivedDate), p.Number)
	}
	if err := v.Err(); err != nil {
		return ledger.Entry{}, err
	}
	p.Refunds = append(p.Refunds, r)
	p.Unallocated.Amount = p.Unallocated.Amount.Sub(r.Amount.Amount)
	p.Revision++
	e, _ := ledger.Transfer(ledger.KindPaymentRefund, p.JournalReference(), p.Amount.Currency, ledger.AccountsReceivable, ledger.Cash, r.Amount.Amount)
	return e, nil
}

// refundsError is the FAILED_PRECONDITION of reversing payment p, which
// has refunds: the refunded money has left and cannot be taken back, and
// reversing the payment alone would leave receivables no invoice
// explains.
func refundsError(p *Payment) error {
	const shown = 5
	var list []string
	for i, r := range p.Refunds {
		if i == shown {
			list = append(list, fmt.Sprintf("%d more", len(p.Refunds)-shown))
			break
		}
		list = append(list, r.Amount.String()+" on "+civil.FormatDate(r.Date))
	}
	refunds := fmt.Sprintf("%d refunds", len(p.Refunds))
	if len(p.Refunds) == 1 {
		refunds = "1 refund"
	}
	return &errs.Error{Kind: errs.FailedPrecondition,
		Message: fmt.Sprintf("payment %s has %s (%s); the refunded money has left and cannot be taken back, so the payment cannot be reversed: "+
			"correct it forward, invoicing what the customer owes because of it", p.Number, refunds, strings.Join(list, ", ")),
		Violations: []errs.FieldViolation{{Field: "id", Description: fmt.Sprintf("payment %s has %s", p.Number, refunds)}}}
}

// EventRefunded follows refunding a payment's credit; the key is the
// payment id.
const EventRefunded = "payment.refunded"
