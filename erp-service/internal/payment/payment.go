// Package payment holds payments received from customers: allocating them
// to invoices (never more than the payment or an invoice's open amount),
// the credit an overpayment leaves, and reversals that reopen invoices.
package payment

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/erp-service/internal/invoicing"
	"github.com/seamhq/seam/erp-service/internal/ledger"
	"github.com/seamhq/seam/erp-service/internal/sales"
	"github.com/seamhq/seam/platform/civil"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/listing"
	"github.com/seamhq/seam/platform/money"
)

// Status is where a payment is in its life.
type Status string

// The statuses of a payment.
const (
	Posted   Status = "POSTED"
	Reversed Status = "REVERSED"
)

// Statuses lists every status.
var Statuses = []Status{Posted, Reversed}

// Limits of a payment.
const (
	MaxAllocations     = 500
	MaxReferenceLength = 200
)

// MaxReceivedDaysAhead bounds how far after today (UTC) a payment may
// say it was received: money arrives by today, and a day more leaves
// room for callers whose today, east of UTC, is tomorrow in UTC.
const MaxReceivedDaysAhead = 1

// CheckReceivedDate refuses a received date more than MaxReceivedDaysAhead
// days after today (civil.Today(now)): INVALID_ARGUMENT on received_date.
func CheckReceivedDate(received, now time.Time) error {
	return checkMoneyDate("received_date", "a payment is received", received, now)
}

// CheckRefundDate refuses a refund date more than MaxReceivedDaysAhead
// days after today (civil.Today(now)), as CheckReceivedDate:
// INVALID_ARGUMENT on refund_date.
func CheckRefundDate(refunded, now time.Time) error {
	return checkMoneyDate("refund_date", "a refund is paid out", refunded, now)
}

// checkMoneyDate refuses d, the date in field on which money moved, when
// it is more than MaxReceivedDaysAhead days after today; what names the
// move in the message.
func checkMoneyDate(field, what string, d, now time.Time) error {
	latest := civil.Today(now).AddDate(0, 0, MaxReceivedDaysAhead)
	if d.After(latest) {
		return errs.Invalid(field, "must not be after %s: %s by today (UTC, a day of grace for time zones ahead of it)",
			civil.FormatDate(latest), what)
	}
	return nil
}

// Allocation is the part of a payment applied to one invoice.
type Allocation struct {
	InvoiceID string
	Amount    money.Money
}

// Payment is money received from a customer.
type Payment struct {
	ID          string
	Number      string // "PAY-000042"
	CustomerID  string
	Amount      money.Money
	Allocations []Allocation
	// Refunds are the credit paid back to the customer, oldest first.
	Refunds []Refund
	// Unallocated is Amount minus the allocations and the refunds: the
	// customer's credit; zero once the payment is reversed.
	Unallocated   money.Money
	Status        Status
	ReceivedDate  time.Time // a date, UTC midnight
	Reference     string
	ReverseReason string
	Revision      int64
	CreateTime    time.Time
	UpdateTime    time.Time
}

// JournalReference names the payment in the journal.
func (p Payment) JournalReference() string { return "payments/" + p.ID }

// amount is d in the payment's currency.
func (p Payment) amount(d decimal.Decimal) money.Money {
	return money.Money{Currency: p.Amount.Currency, Amount: d}
}

// ValidateNew checks what can be checked of a new payment without looking
// anything up: a positive amount, positive allocations in its currency,
// each invoice once, and allocations that add up to at most the amount.
// Violations name fields relative to the payment.
func ValidateNew(p Payment) error {
	var v errs.Violations
	if p.CustomerID == "" {
		v.Add("customer_id", "is required")
	}
	checkAmountReference(&v, p.Amount, p.Reference)
	if len(p.Allocations) > MaxAllocations {
		v.Add("allocations", "at most %d allocations are allowed", MaxAllocations)
	}
	ok := checkAllocations(&v, p.Allocations, p.Amount.Currency)
	sum := decimal.Zero
	for i, a := range p.Allocations {
		if !ok[i] {
			continue
		}
		sum = sum.Add(a.Amount.Amount)
		if p.Amount.Amount.IsPositive() && sum.GreaterThan(p.Amount.Amount) {
			v.Add(fmt.Sprintf("allocations[%d].amount.amount", i), "allocations add up to %s, more than the payment's %s", p.amount(sum).Format(), p.Amount.Format())
		}
	}
	return v.Err()
}

// checkAmountReference adds to v what is wrong with the amount of money
// moving (positive, in the minor units of its currency) and with its
// reference (at most MaxReferenceLength characters).
func checkAmountReference(v *errs.Violations, amount money.Money, reference string) {
	switch {
	case !amount.Amount.IsPositive():
		v.Add("amount.amount", "must be positive")
	case amount.TooPrecise():
		v.Add("amount.amount", "%s allows at most %d decimal places", amount.Currency, money.MinorUnits(amount.Currency))
	}
	if utf8.RuneCountInString(reference) > MaxReferenceLength {
		v.Add("reference", "must be at most %d characters", MaxReferenceLength)
	}
}

// Apply allocates new payment p to invoices (every invoice p allocates to,
// by id, locked by the caller): each must be the customer's, in the
// payment's currency, not void, with an open amount covering the
// allocation. It adds the allocations to the invoices' paid amounts and
// re-derives their statuses, sets p's unallocated amount and status, and
// returns the journal entry: Dr Cash / Cr Accounts receivable for the
// whole amount (credit included).
func Apply(p *Payment, invoices map[string]*invoicing.Invoice) (ledger.Entry, error) {
	_, v, void := checkInvoices(p, p.Allocations, invoices)
	if err := invoiceError(v, void); err != nil {
		return ledger.Entry{}, err
	}
	allocated := decimal.Zero
	for _, a := range p.Allocations {
		allocate(a, invoices)
		allocated = allocated.Add(a.Amount.Amount)
	}
	p.Unallocated = money.Money{Currency: p.Amount.Currency, Amount: p.Amount.Amount.Sub(allocated)}
	p.Status = Posted
	p.Revision = 1
	e, _ := ledger.Transfer(ledger.KindPayment, p.JournalReference(), p.Amount.Currency, ledger.Cash, ledger.AccountsReceivable, p.Amount.Amount)
	return e, nil
}

// Reverse reverses p: its allocations come off the invoices (which reopen
// and re-derive their statuses), and the entries it posted are reversed.
// The payment keeps its allocations, as a record of what it had paid
// (Payment.Reversed says they no longer count), and has nothing
// unallocated: none of it is the customer's credit any more. Reversing a
// reversed payment changes nothing. A payment with refunds is not
// reversed (FAILED_PRECONDITION): the refunded money cannot be taken
// back, and reversing the rest alone would leave in receivables what the
// refunds took out.
func Reverse(p *Payment, etag int64, reason string, invoices map[string]*invoicing.Invoice, posted []ledger.Entry) ([]ledger.Entry, bool, error) {
	if p.Status == Reversed {
		return nil, false, nil
	}
	if etag != 0 && etag != p.Revision {
		return nil, false, errs.StaleEtag("payment " + p.ID)
	}
	if len(p.Refunds) > 0 {
		return nil, false, refundsError(p)
	}
	for _, a := range p.Allocations {
		inv, ok := invoices[a.InvoiceID]
		if !ok {
			return nil, false, fmt.Errorf("reverse payment %s: invoice %s not loaded", p.ID, a.InvoiceID)
		}
		inv.Paid.Amount = inv.Paid.Amount.Sub(a.Amount.Amount)
		inv.Derive()
		inv.Revision++
	}
	p.Status = Reversed
	p.ReverseReason = reason
	p.Unallocated = money.Zero(p.Amount.Currency)
	p.Revision++
	var out []ledger.Entry
	for _, e := range posted {
		out = append(out, e.Reverse(ledger.KindPaymentReversal, p.JournalReference()))
	}
	return out, true, nil
}

// SettleOrder sets the status of order o from the payment state of its
// invoices (allPaid: every invoice of it that is not void is PAID or
// CREDITED, and at least one is PAID): PAID
// when it is fully invoiced and all paid, back to INVOICED when a PAID
// order no longer is. It reports whether the status changed.
func SettleOrder(o *sales.Order, allPaid bool) bool {
	full := true
	for _, l := range o.Lines {
		full = full && l.Invoiced.Equal(l.Quantity)
	}
	switch {
	case o.Status == sales.Invoiced && full && allPaid:
		o.Status = sales.Paid
	case o.Status == sales.Paid && !(full && allPaid):
		o.Status = sales.Invoiced
	default:
		return false
	}
	o.Revision++
	return true
}

// FilterFields may appear in a ListPayments filter.
var FilterFields = []string{"customer_id", "status", "received_date"}

// ListQuery selects a page of payments.
type ListQuery struct {
	Filter   []listing.Condition
	PageSize int
	After    string
}

// Store keeps payments. Every change writes the invoices and orders it
// moves, the journal entries and the events (payment.*, invoice.updated,
// sales_order.updated, customer.balance_changed) in one transaction.
type Store interface {
	// CreatePayment locks the customer, the orders and the invoices
	// allocated to, applies Apply to p (validated, with its ID) and writes
	// it all. A requestID seen before returns its payment.
	CreatePayment(ctx context.Context, p Payment, requestID string) (Payment, error)
	GetPayment(ctx context.Context, id string) (Payment, error)
	ListPayments(ctx context.Context, q ListQuery) ([]Payment, bool, error)
	ReversePayment(ctx context.Context, id string, etag int64, reason, requestID string) (Payment, error)
	// ApplyCredit locks the customer, the payment, the orders and the
	// invoices allocated to, applies ApplyCredit (allocs validated) and
	// writes it all. A requestID seen before returns the payment.
	ApplyCredit(ctx context.Context, id string, etag int64, allocs []Allocation, requestID string) (Payment, error)
	// RefundCredit locks the customer and the payment, applies
	// RefundCredit (r validated and dated) and writes it all with the
	// journal entry. A requestID seen before returns the payment.
	RefundCredit(ctx context.Context, id string, etag int64, r Refund, requestID string) (Payment, error)
}

// Event types; the key is the payment id.
const (
	EventReceived = "payment.received"
	EventReversed = "payment.reversed"
	// EventUpdated: a credit note took part of the payment's allocation
	// to an invoice back onto its unallocated amount (credit).
	EventUpdated = "payment.updated"
	// EventInvoiceUpdated follows a change of an invoice's paid amount; the
	// key is the invoice id.
	EventInvoiceUpdated = "invoice.updated"
	// EventOrderUpdated follows an order becoming PAID or ceasing to be.
	EventOrderUpdated = "sales_order.updated"
)
