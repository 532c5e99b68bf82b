// Package payables holds accounts payable: suppliers' invoices (bills)
// recorded against purchase orders for what they received, payments made
// against those bills, and the open payables per supplier.
//
// The accounting follows from what a receipt posts. Receiving goods on a
// purchase order already credits 2000 Accounts payable at the order's
// unit costs, rounded cumulatively per line (purchasing.PayableChange):
// the liability is recognised when the goods arrive. A bill prices the
// quantities it bills at the same unit costs, rounded the same way, so
// once a line is fully billed its bills add up to exactly what its
// receipts credited, and a bill's net posts nothing (posting it again
// would count the liability twice). Tax the supplier charges is new: it
// posts Dr 1300 Input tax receivable / Cr 2000. A payment posts Dr 2000 /
// Cr 1000 Cash. So, per currency, 2000 equals the open bills plus the
// goods received and not yet billed, and equals the open bills once
// everything received is billed. Goods that are billed are not returned
// (purchasing.Return refuses them): a return would take off 2000 what
// an open bill still says is owed.
//
// A supplier credit note (BuildCreditNote) credits part of a bill that is
// still open. A returned-goods line takes a billed quantity off the bill
// and off its purchase order line's billed quantity, so the goods are
// received and not billed again and a purchase order return can send
// them back; its net leaves the open bills for received-not-billed, and
// only its tax posts (Dr 2000 / Cr 1300). A price concession takes an
// amount off a bill line, the goods kept: Dr 2000 / Cr 5100 Purchase
// price variance, and its tax Dr 2000 / Cr 1300. A bill's credits never
// exceed what it has open: a paid bill is not credited, there is no
// supplier refund or credit balance.
package payables

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/erp-service/internal/ledger"
	"github.com/seamhq/seam/erp-service/internal/purchasing"
	"github.com/seamhq/seam/platform/civil"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/listing"
	"github.com/seamhq/seam/platform/money"
)

// Limits of a bill and a payment.
const (
	MaxLines                     = 500
	MaxInvoiceNumberLength       = 100
	MaxReferenceLength           = 200
	MaxTaxRatePlaces       int32 = 4
	// MaxPaidDaysAhead bounds how far after today (UTC) a payment may be
	// dated, as for customer payments: a day for time zones ahead of UTC.
	MaxPaidDaysAhead = 1
)

// Status is where a bill stands.
type Status string

// Bill statuses.
const (
	Open          Status = "OPEN"
	PartiallyPaid Status = "PARTIALLY_PAID"
	Paid          Status = "PAID"
)

// Statuses lists every status.
var Statuses = []Status{Open, PartiallyPaid, Paid}

// BillLine bills a quantity of a purchase order line.
type BillLine struct {
	LineNumber int32
	Quantity   decimal.Decimal
	// Filled by Build from the order line.
	SKU      string
	UnitCost decimal.Decimal
	Amount   decimal.Decimal
	// CreditedQuantity is what credit notes returned of Quantity (returned
	// goods), CreditedAmount what they took off Amount (net, both kinds).
	CreditedQuantity decimal.Decimal
	CreditedAmount   decimal.Decimal
}

// Bill is a supplier's invoice for goods received on a purchase order.
type Bill struct {
	ID                    string
	Number                string // "BILL-000042"
	SupplierID            string
	PurchaseOrderID       string
	SupplierInvoiceNumber string
	Currency              string
	InvoiceDate           time.Time // a date, UTC midnight
	DueDate               time.Time // a date, UTC midnight
	TaxRate               decimal.Decimal
	Lines                 []BillLine
	Subtotal              decimal.Decimal
	Tax                   decimal.Decimal
	Total                 decimal.Decimal
	Paid                  decimal.Decimal
	// Credited is what the bill's credit notes credited (their totals),
	// CreditedTax the tax part of it.
	Credited    decimal.Decimal
	CreditedTax decimal.Decimal
	Status      Status
	Revision    int64
	CreateTime  time.Time
	UpdateTime  time.Time
}

// OpenAmount is what the bill still owes: its total less what is paid
// and what credit notes credited.
func (b Bill) OpenAmount() decimal.Decimal { return b.Total.Sub(b.Paid).Sub(b.Credited) }

// Overdue reports whether b is open and was due before today.
func (b Bill) Overdue(today time.Time) bool {
	return b.OpenAmount().IsPositive() && b.DueDate.Before(today)
}

// JournalReference names the bill in the journal.
func (b Bill) JournalReference() string { return "supplierBills/" + b.ID }

// Money is d in the bill's currency.
func (b Bill) Money(d decimal.Decimal) money.Money {
	return money.Money{Currency: b.Currency, Amount: d}
}

// derive sets the status from what is paid and open: PAID once nothing is
// open (paid, credited, or both).
func (b *Bill) derive() {
	switch {
	case !b.OpenAmount().IsPositive():
		b.Status = Paid
	case b.Paid.IsPositive():
		b.Status = PartiallyPaid
	default:
		b.Status = Open
	}
}

// ValidateNew checks what can be checked of a new bill without looking
// anything up (its supplier invoice number already trimmed). Violations
// name fields relative to the bill.
func ValidateNew(b Bill) error {
	var v errs.Violations
	if b.PurchaseOrderID == "" {
		v.Add("purchase_order_id", "is required")
	}
	if b.SupplierInvoiceNumber == "" || utf8.RuneCountInString(b.SupplierInvoiceNumber) > MaxInvoiceNumberLength {
		v.Add("supplier_invoice_number", "must be 1 to %d characters", MaxInvoiceNumberLength)
	}
	switch {
	case b.DueDate.IsZero():
		v.Add("due_date", "is required (YYYY-MM-DD)")
	case b.DueDate.Before(b.InvoiceDate):
		v.Add("due_date", "must not be before invoice_date %s", civil.FormatDate(b.InvoiceDate))
	}
	switch {
	case b.TaxRate.IsNegative() || b.TaxRate.GreaterThanOrEqual(decimal.NewFromInt(1)):
		v.Add("tax_rate", "must be a fraction from 0 up to 1, e.g. 0.19")
	case money.Places(b.TaxRate) > MaxTaxRatePlaces:
		v.Add("tax_rate", "allows at most %d decimal places", MaxTaxRatePlaces)
	}
	switch {
	case len(b.Lines) == 0:
		v.Add("lines", "at least one line is required")
	case len(b.Lines) > MaxLines:
		v.Add("lines", "at most %d lines", MaxLines)
	}
	seen := map[int32]bool{}
	for i, l := range b.Lines {
		f := fmt.Sprintf("lines[%d].", i)
		if seen[l.LineNumber] {
			v.Add(f+"line_number", "line %d is billed twice", l.LineNumber)
		}
		seen[l.LineNumber] = true
		if !l.Quantity.IsPositive() {
			v.Add(f+"quantity", "must be positive")
		} else if err := money.CheckQuantity(l.Quantity); err != nil {
			v.Add(f+"quantity", "%v", err)
		}
	}
	return v.Err()
}

// Build prices validated new bill b against its purchase order o (locked
// by the caller) and marks the quantities billed on o's lines. Each line
// bills at most what its order line has received and not yet billed
// (FAILED_PRECONDITION naming lines[i].quantity); a line number o lacks is
// INVALID_ARGUMENT. A line's amount is its quantity at the order's unit
// cost, rounded to the currency's minor unit (half away from zero)
// cumulatively: round(billed after x cost) - round(billed before x cost),
// as receipts credit payables, so a line's bills add up to what its
// receipts posted however it is split. Tax is the subtotal x the rate,
// rounded. The entry is the tax's (Dr Input tax / Cr Accounts payable);
// ok is false when there is none: the net is in payables already.
func Build(b *Bill, o *purchasing.Order) (e ledger.Entry, ok bool, err error) {
	var bad errs.Violations
	var over []errs.FieldViolation
	amounts := make([]money.Money, 0, len(b.Lines))
	for i := range b.Lines {
		bl := &b.Lines[i]
		if bl.LineNumber < 1 || int(bl.LineNumber) > len(o.Lines) {
			bad.Add(fmt.Sprintf("lines[%d].line_number", i), "purchase order %s has no line %d", o.Number, bl.LineNumber)
			continue
		}
		l := &o.Lines[bl.LineNumber-1]
		if billable := l.Received.Sub(l.Billed); bl.Quantity.GreaterThan(billable) {
			over = append(over, errs.FieldViolation{
				Field: fmt.Sprintf("lines[%d].quantity", i),
				Description: fmt.Sprintf("line %d (%s) has received %s and billed %s: %s is left to bill; cannot bill %s",
					l.Number, l.SKU, l.Received, l.Billed, billable, bl.Quantity),
			})
			continue
		}
		before := l.Billed
		l.Billed = l.Billed.Add(bl.Quantity)
		bl.SKU, bl.UnitCost = l.SKU, l.UnitCost
		bl.Amount = money.Round(l.Billed.Mul(l.UnitCost), o.Currency).Sub(money.Round(before.Mul(l.UnitCost), o.Currency))
		amounts = append(amounts, money.Money{Currency: o.Currency, Amount: bl.Amount})
	}
	if err := bad.Err(); err != nil {
		return ledger.Entry{}, false, err
	}
	if len(over) > 0 {
		return ledger.Entry{}, false, &errs.Error{Kind: errs.FailedPrecondition, Violations: over,
			Message: fmt.Sprintf("purchase order %s: %s: %s", o.Number, over[0].Field, over[0].Description)}
	}
	sub, err := money.Sum(o.Currency, amounts...)
	if err != nil {
		return ledger.Entry{}, false, errs.Invalid("lines", "%v", err)
	}
	b.SupplierID, b.Currency = o.SupplierID, o.Currency
	b.Subtotal = sub.Amount
	b.Tax = money.Round(b.Subtotal.Mul(b.TaxRate), o.Currency)
	b.Total = b.Subtotal.Add(b.Tax)
	if !money.Fits(b.Total) {
		return ledger.Entry{}, false, errs.Invalid("lines", "the bill's total %s has too many digits", b.Total)
	}
	b.Paid, b.Credited, b.CreditedTax = decimal.Zero, decimal.Zero, decimal.Zero
	for i := range b.Lines {
		b.Lines[i].CreditedQuantity, b.Lines[i].CreditedAmount = decimal.Zero, decimal.Zero
	}
	b.Revision = 1
	b.derive()
	e, ok = ledger.Transfer(ledger.KindSupplierBill, b.JournalReference(), b.Currency, ledger.InputTax, ledger.AccountsPayable, b.Tax)
	return e, ok, nil
}

// Payment is money paid to a supplier against one of its bills.
type Payment struct {
	ID         string
	Number     string // "SPAY-000042"
	BillID     string
	SupplierID string
	Amount     money.Money
	PaidDate   time.Time // a date, UTC midnight
	Reference  string
	CreateTime time.Time
	// Reversed says the payment was taken back (ReversePayment): its bill
	// owes it again. ReverseReason says why, ReverseTime when.
	Reversed      bool
	ReverseReason string
	ReverseTime   time.Time
}

// JournalReference names the payment in the journal.
func (p Payment) JournalReference() string { return "supplierPayments/" + p.ID }

// ValidatePayment checks a new payment's shape (reference trimmed) and
// its date against now. Violations name fields relative to the payment.
func ValidatePayment(p Payment, now time.Time) error {
	var v errs.Violations
	if p.BillID == "" {
		v.Add("bill_id", "is required")
	}
	switch {
	case !p.Amount.Amount.IsPositive():
		v.Add("amount.amount", "must be positive")
	case p.Amount.TooPrecise():
		v.Add("amount.amount", "%s allows at most %d decimal places", p.Amount.Currency, money.MinorUnits(p.Amount.Currency))
	}
	if utf8.RuneCountInString(p.Reference) > MaxReferenceLength {
		v.Add("reference", "must be at most %d characters", MaxReferenceLength)
	}
	if latest := civil.Today(now).AddDate(0, 0, MaxPaidDaysAhead); p.PaidDate.After(latest) {
		v.Add("paid_date", "must not be after %s: a payment is made by today (UTC, a day of grace for time zones ahead of it)",
			civil.FormatDate(latest))
	}
	return v.Err()
}

// Pay applies validated payment p to bill b (locked by the caller): in
// b's currency (INVALID_ARGUMENT on amount.currency_code), at most its
// open amount (FAILED_PRECONDITION on amount). The bill's paid amount,
// status and revision follow; the entry is Dr Accounts payable / Cr Cash.
func Pay(p *Payment, b *Bill) (ledger.Entry, error) {
	if p.Amount.Currency != b.Currency {
		return ledger.Entry{}, errs.Invalid("amount.currency_code", "must be the bill's currency %s", b.Currency)
	}
	if open := b.OpenAmount(); p.Amount.Amount.GreaterThan(open) {
		return ledger.Entry{}, &errs.Error{Kind: errs.FailedPrecondition,
			Violations: []errs.FieldViolation{{Field: "amount", Description: fmt.Sprintf("bill %s has %s open; cannot pay %s", b.Number, b.Money(open).Format(), p.Amount.Format())}},
			Message:    fmt.Sprintf("bill %s has %s %s open; cannot pay %s", b.Number, b.Money(open).Format(), b.Currency, p.Amount.Format())}
	}
	p.SupplierID = b.SupplierID
	b.Paid = b.Paid.Add(p.Amount.Amount)
	b.derive()
	b.Revision++
	e, _ := ledger.Transfer(ledger.KindSupplierPayment, p.JournalReference(), b.Currency, ledger.AccountsPayable, ledger.Cash, p.Amount.Amount)
	e.Date = p.PaidDate
	return e, nil
}

// MaxReverseReasonLength bounds a payment reversal's reason, in
// characters.
const MaxReverseReasonLength = 500

// ReversePayment takes payment p back for reason (trimmed, not empty): its
// bill b (locked by the caller) owes the amount again, its paid amount,
// status and revision follow, and posted, the payment's entries (one, of
// kind supplier_payment), are reversed: Dr Cash / Cr Accounts payable,
// dated when the reversal posts (the first open day when that is later).
// A payment is reversed once: a reversed one is FAILED_PRECONDITION.
func ReversePayment(p *Payment, b *Bill, reason string, posted []ledger.Entry) ([]ledger.Entry, error) {
	if p.Reversed {
		return nil, errs.FailedPreconditionf("supplier payment %s was reversed already (%s): a payment is reversed once", p.Number, p.ReverseReason)
	}
	if p.BillID != b.ID {
		return nil, fmt.Errorf("reverse supplier payment %s: bill %s loaded, not its bill %s", p.ID, b.ID, p.BillID)
	}
	if b.Paid.LessThan(p.Amount.Amount) {
		return nil, fmt.Errorf("reverse supplier payment %s: bill %s has paid %s, less than the payment's %s", p.ID, b.Number, b.Paid, p.Amount.Amount)
	}
	p.Reversed, p.ReverseReason = true, reason
	b.Paid = b.Paid.Sub(p.Amount.Amount)
	b.derive()
	b.Revision++
	out := make([]ledger.Entry, len(posted))
	for i, e := range posted {
		out[i] = e.Reverse(ledger.KindSupplierPaymentReversal, p.JournalReference())
	}
	return out, nil
}

// NormalizeInvoiceNumber trims a supplier's invoice number.
func NormalizeInvoiceNumber(s string) string { return strings.TrimSpace(s) }

// BillFilterFields may appear in a ListSupplierBills filter.
var BillFilterFields = []string{"supplier_id", "purchase_order_id", "status"}

// ListQuery selects a page of bills or of payments.
type ListQuery struct {
	Filter   []listing.Condition
	PageSize int
	After    string
}

// PaymentFilterFields may appear in a ListSupplierPayments filter.
var PaymentFilterFields = []string{"supplier_id", "bill_id"}

// ReportQuery selects a page of the payables report.
type ReportQuery struct {
	// AsOf is the day the report is as of, at its end: bills, payments,
	// payment reversals and credit notes after it do not count. Bills
	// due before it are overdue.
	AsOf       time.Time
	SupplierID string // only this supplier's rows when set
	Limit      int
	// After is the key of the last row of the page before, nil on the
	// first page.
	After *ReportKey
}

// ReportKey orders the report's rows: by supplier id, then currency.
type ReportKey struct {
	SupplierID string
	Currency   string
}

// ReportRow is what a supplier's open bills in one currency owe.
type ReportRow struct {
	SupplierID   string
	SupplierName string
	Currency     string
	Open         decimal.Decimal
	Overdue      decimal.Decimal
	OpenBills    int32
}

// Key is the row's place in the report.
func (r ReportRow) Key() ReportKey { return ReportKey{SupplierID: r.SupplierID, Currency: r.Currency} }

// Store keeps bills and supplier payments. Every change writes its
// journal entries and events in one transaction.
type Store interface {
	// CreateSupplierBill locks the purchase order, applies Build to b (validated,
	// with its ID) and writes it all; a supplier invoice number the
	// supplier already has is ALREADY_EXISTS. A requestID seen before
	// returns its bill.
	CreateSupplierBill(ctx context.Context, b Bill, requestID string) (Bill, error)
	GetSupplierBill(ctx context.Context, id string) (Bill, error)
	ListSupplierBills(ctx context.Context, q ListQuery) ([]Bill, bool, error)
	// CreateSupplierPayment locks the bill, applies Pay and writes it all. A
	// requestID seen before returns its payment.
	CreateSupplierPayment(ctx context.Context, p Payment, requestID string) (Payment, error)
	GetSupplierPayment(ctx context.Context, id string) (Payment, error)
	// ReverseSupplierPayment locks the payment's bill and the payment,
	// applies ReversePayment and writes it all; of two concurrent
	// reversals one posts, the other is FAILED_PRECONDITION. A requestID
	// seen before returns its payment.
	ReverseSupplierPayment(ctx context.Context, id, reason, requestID string) (Payment, error)
	// ListSupplierPayments pages through payments by id (q.Filter of
	// PaymentFilterFields); more reports whether another page follows.
	ListSupplierPayments(ctx context.Context, q ListQuery) (list []Payment, more bool, err error)
	// Payables sums the bills open at the end of q.AsOf per supplier and
	// currency (one supplier's when q.SupplierID is set), overdue before
	// q.AsOf: the
	// rows after q.After, in key order, at most q.Limit+1 (one more tells
	// that another page follows).
	Payables(ctx context.Context, q ReportQuery) ([]ReportRow, error)
}

// Event types; the key is the resource id, the payload the resource.
const (
	EventBillCreated    = "supplier_bill.created"
	EventBillUpdated    = "supplier_bill.updated"
	EventPaymentCreated = "supplier_payment.created"
	// EventPaymentReversed: a payment taken back; its bill's
	// supplier_bill.updated follows in the same transaction.
	EventPaymentReversed = "supplier_payment.reversed"
)
