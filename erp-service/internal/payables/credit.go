package payables

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/erp-service/internal/ledger"
	"github.com/seamhq/seam/erp-service/internal/purchasing"
	"github.com/seamhq/seam/platform/civil"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/money"
)

// CreditKind is what a supplier credit note line credits.
type CreditKind string

// Kinds of credit note line.
const (
	// ReturnedGoods takes a quantity of a billed purchase order line off
	// the bill: the line's billed quantity falls by it, so the goods can
	// be sent back to the supplier (a purchase order return), which moves
	// stock and payables as a return of unbilled goods does.
	ReturnedGoods CreditKind = "RETURNED_GOODS"
	// PriceConcession takes an amount off a bill line; the goods stay.
	PriceConcession CreditKind = "PRICE_CONCESSION"
)

// Limits of a supplier credit note.
const (
	MaxCreditLines        = 500
	MaxCreditReasonLength = 500
)

// CreditLine credits part of one bill line.
type CreditLine struct {
	// LineNumber is the purchase order line's number (the bill line's).
	LineNumber int32
	Kind       CreditKind
	SKU        string
	// Quantity returned; zero on a price concession.
	Quantity decimal.Decimal
	Net      decimal.Decimal
	Tax      decimal.Decimal
}

// CreditNote credits a supplier's bill. It is final: never changed or
// voided.
type CreditNote struct {
	ID              string
	Number          string // "SCN-000042"
	BillID          string
	BillNumber      string
	SupplierID      string
	PurchaseOrderID string
	Currency        string
	CreditDate      time.Time // a date, UTC midnight
	Reason          string
	Lines           []CreditLine
	Subtotal        decimal.Decimal
	Tax             decimal.Decimal
	Total           decimal.Decimal
	CreateTime      time.Time
}

// JournalReference names the credit note in the journal.
func (c CreditNote) JournalReference() string { return "supplierCreditNotes/" + c.ID }

// Money is d in the credit note's currency.
func (c CreditNote) Money(d decimal.Decimal) money.Money {
	return money.Money{Currency: c.Currency, Amount: d}
}

// NewCreditLine is a line asked for: a positive Quantity (returned goods)
// or, with no quantity, a positive net Amount (a price concession).
type NewCreditLine struct {
	LineNumber int32
	Quantity   decimal.Decimal
	Amount     *money.Money
}

// NewCreditNote is a credit note asked for. A zero CreditDate is today.
type NewCreditNote struct {
	ID         string
	BillID     string
	CreditDate time.Time
	Reason     string // trimmed
	Lines      []NewCreditLine
}

// ValidateCreditNote checks what can be checked of n without its bill.
// Violations name fields of the credit note ("lines[0].quantity").
func ValidateCreditNote(n NewCreditNote) error {
	var v errs.Violations
	switch {
	case n.Reason == "":
		v.Add("reason", "is required: say why the bill is credited")
	case utf8.RuneCountInString(n.Reason) > MaxCreditReasonLength:
		v.Add("reason", "must be at most %d characters", MaxCreditReasonLength)
	}
	switch {
	case len(n.Lines) == 0:
		v.Add("lines", "at least one line is required")
	case len(n.Lines) > MaxCreditLines:
		v.Add("lines", "at most %d lines", MaxCreditLines)
	}
	seen := map[int32]bool{}
	for i, l := range n.Lines {
		f := fmt.Sprintf("lines[%d]", i)
		if l.LineNumber <= 0 {
			v.Add(f+".line_number", "must name a billed purchase order line (1, 2, ...)")
		} else if seen[l.LineNumber] {
			v.Add(f+".line_number", "line %d is credited by an earlier line of this credit note", l.LineNumber)
		}
		seen[l.LineNumber] = true
		switch {
		case l.Amount != nil && !l.Quantity.IsZero():
			v.Add(f+".amount", "give a quantity (returned goods) or an amount (a price concession), not both")
		case l.Amount != nil:
			switch {
			case !l.Amount.Amount.IsPositive():
				v.Add(f+".amount.amount", "must be positive")
			case l.Amount.TooPrecise():
				v.Add(f+".amount.amount", "%s has more decimal places than %s has (%d)", l.Amount.Amount, l.Amount.Currency, money.MinorUnits(l.Amount.Currency))
			}
		case !l.Quantity.IsPositive():
			v.Add(f+".quantity", "must be positive (or give an amount alone for a price concession)")
		default:
			if err := money.CheckQuantity(l.Quantity); err != nil {
				v.Add(f+".quantity", "%v", err)
			}
		}
	}
	return v.Err()
}

// BuildCreditNote credits bill b (locked by the caller, with its lines'
// credited quantities and amounts) as n asks (validated), its purchase
// order o locked too, today being now's date. It changes b (credited,
// credited tax, its lines' credited quantity and amount, status,
// revision) and, for returned goods, o's lines' billed quantities; billed
// reports whether it did.
//
// A returned-goods line takes a quantity of at most the bill line's
// quantity less what earlier credit notes returned of it; its net is what
// the purchase order line's payable that is received and not billed grows
// by, round(billed x cost) - round((billed - quantity) x cost), at most
// what is left of the bill line's amount (all of it when the rest of the
// quantity is returned). A price concession's net is its amount, at most
// what is left of the line's amount. Tax is rounded cumulatively over the
// bill: its credited net so far x its tax rate, rounded, less the tax
// credited before, never more than the bill's tax (all of it once the
// whole subtotal is credited). The total is at most the bill's open
// amount: a paid bill is not credited (FAILED_PRECONDITION), there is no
// supplier refund or credit balance.
//
// The entry, dated on the credit date (ok false when it has no lines):
// Dr 2000 Accounts payable / Cr 1300 Input tax for the tax, Dr 2000 / Cr
// 5100 Purchase price variance for concessions, and for returned goods
// whose net differs from what the received-not-billed payable grows by
// (rounding, or a concession on the line before) the difference between
// 5100 and 2000, so 2000 stays the open bills plus the received and not
// billed goods.
func BuildCreditNote(b *Bill, o *purchasing.Order, n NewCreditNote, now time.Time) (c CreditNote, e ledger.Entry, ok, billed bool, err error) {
	if b.PurchaseOrderID != o.ID {
		return CreditNote{}, ledger.Entry{}, false, false, fmt.Errorf("credit supplier bill %s: order %s loaded, not its order %s", b.ID, o.ID, b.PurchaseOrderID)
	}
	day := n.CreditDate
	if day.IsZero() {
		day = civil.Today(now)
	}
	// Not after today, as a customer credit note's date: a credit dated
	// ahead would take what the bill owes off the payables report and
	// 2000 before the supplier has credited it.
	var v errs.Violations
	switch {
	case day.Before(b.InvoiceDate):
		v.Add("credit_date", "must not be before %s, the date of bill %s", civil.FormatDate(b.InvoiceDate), b.Number)
	case day.After(civil.Today(now)):
		v.Add("credit_date", "must not be after today (%s)", civil.FormatDate(civil.Today(now)))
	}
	lines := map[int32]*BillLine{}
	for i := range b.Lines {
		lines[b.Lines[i].LineNumber] = &b.Lines[i]
	}
	cur := b.Currency
	c = CreditNote{ID: n.ID, BillID: b.ID, BillNumber: b.Number, SupplierID: b.SupplierID, PurchaseOrderID: b.PurchaseOrderID,
		Currency: cur, CreditDate: day, Reason: n.Reason, Subtotal: decimal.Zero, Tax: decimal.Zero}
	var beyond []errs.FieldViolation
	variance := decimal.Zero // Dr 5100 (positive) or Cr 5100 (negative), against 2000
	creditedNet := b.Credited.Sub(b.CreditedTax)
	taxSoFar := b.CreditedTax
	for i, nl := range n.Lines {
		f := fmt.Sprintf("lines[%d]", i)
		bl, found := lines[nl.LineNumber]
		if !found {
			v.Add(f+".line_number", "bill %s bills no line %d of purchase order %s", b.Number, nl.LineNumber, o.Number)
			continue
		}
		leftAmount := bl.Amount.Sub(bl.CreditedAmount)
		cl := CreditLine{LineNumber: bl.LineNumber, SKU: bl.SKU, Quantity: decimal.Zero}
		if nl.Amount != nil {
			if nl.Amount.Currency != cur {
				v.Add(f+".amount.currency_code", "must be the bill's currency %s", cur)
				continue
			}
			if nl.Amount.Amount.GreaterThan(leftAmount) {
				beyond = append(beyond, errs.FieldViolation{Field: f + ".amount.amount", Description: fmt.Sprintf(
					"%s is more than the %s left to credit of line %d of bill %s", nl.Amount.Format(), b.Money(leftAmount).Format(), bl.LineNumber, b.Number)})
				continue
			}
			cl.Kind, cl.Net = PriceConcession, nl.Amount.Amount
			variance = variance.Sub(cl.Net)
		} else {
			leftQty := bl.Quantity.Sub(bl.CreditedQuantity)
			if nl.Quantity.GreaterThan(leftQty) {
				beyond = append(beyond, errs.FieldViolation{Field: f + ".quantity", Description: fmt.Sprintf(
					"%s is more than the %s left to credit of line %d of bill %s (%s billed, %s returned on credit notes)",
					nl.Quantity, leftQty, bl.LineNumber, b.Number, bl.Quantity, bl.CreditedQuantity)})
				continue
			}
			ol := &o.Lines[bl.LineNumber-1]
			if ol.Billed.LessThan(nl.Quantity) {
				return CreditNote{}, ledger.Entry{}, false, false, fmt.Errorf("credit supplier bill %s: purchase order %s line %d has billed %s, less than %s left on the bill",
					b.ID, o.ID, ol.Number, ol.Billed, leftQty)
			}
			after := ol.Billed.Sub(nl.Quantity)
			unbilled := money.Round(ol.Billed.Mul(ol.UnitCost), cur).Sub(money.Round(after.Mul(ol.UnitCost), cur))
			ol.Billed = after
			billed = true
			net := decimal.Min(unbilled, leftAmount)
			if nl.Quantity.Equal(leftQty) {
				net = leftAmount
			}
			cl.Kind, cl.Quantity, cl.Net = ReturnedGoods, nl.Quantity, net
			variance = variance.Add(unbilled.Sub(net))
			bl.CreditedQuantity = bl.CreditedQuantity.Add(nl.Quantity)
		}
		bl.CreditedAmount = bl.CreditedAmount.Add(cl.Net)
		creditedNet = creditedNet.Add(cl.Net)
		upTo := b.Tax
		if creditedNet.LessThan(b.Subtotal) {
			upTo = decimal.Min(money.Round(creditedNet.Mul(b.TaxRate), cur), b.Tax)
		}
		cl.Tax = decimal.Max(upTo.Sub(taxSoFar), decimal.Zero)
		taxSoFar = taxSoFar.Add(cl.Tax)
		c.Lines = append(c.Lines, cl)
		c.Subtotal, c.Tax = c.Subtotal.Add(cl.Net), c.Tax.Add(cl.Tax)
	}
	if err := v.Err(); err != nil {
		return CreditNote{}, ledger.Entry{}, false, false, err
	}
	if len(beyond) > 0 {
		return CreditNote{}, ledger.Entry{}, false, false, &errs.Error{Kind: errs.FailedPrecondition, Violations: beyond,
			Message: beyond[0].Field + ": " + beyond[0].Description}
	}
	c.Total = c.Subtotal.Add(c.Tax)
	if !c.Total.IsPositive() {
		return CreditNote{}, ledger.Entry{}, false, false, errs.FailedPreconditionf("the credit note credits nothing: what is left of those lines of bill %s is 0", b.Number)
	}
	if open := b.OpenAmount(); c.Total.GreaterThan(open) {
		msg := fmt.Sprintf("bill %s has %s open (%s paid, %s credited); a credit note of %s would take more than is open: a paid bill is not credited (reverse its payment first; supplier refunds are not recorded)",
			b.Number, b.Money(open).Format(), b.Money(b.Paid).Format(), b.Money(b.Credited).Format(), c.Money(c.Total).Format())
		return CreditNote{}, ledger.Entry{}, false, false, &errs.Error{Kind: errs.FailedPrecondition,
			Violations: []errs.FieldViolation{{Field: "lines", Description: msg}}, Message: msg}
	}
	b.Credited = b.Credited.Add(c.Total)
	b.CreditedTax = b.CreditedTax.Add(c.Tax)
	b.derive()
	b.Revision++

	e = ledger.Entry{Kind: ledger.KindSupplierCreditNote, Reference: c.JournalReference(), Currency: cur, Date: day}
	// Debits positive, credits negative, per account.
	add := func(account string, amount decimal.Decimal) {
		switch {
		case amount.IsPositive():
			e.Lines = append(e.Lines, ledger.Line{Account: account, Debit: amount, Credit: decimal.Zero})
		case amount.IsNegative():
			e.Lines = append(e.Lines, ledger.Line{Account: account, Debit: decimal.Zero, Credit: amount.Neg()})
		}
	}
	add(ledger.AccountsPayable, c.Tax.Sub(variance))
	add(ledger.InputTax, c.Tax.Neg())
	add(ledger.PurchasePriceVariance, variance)
	return c, e, len(e.Lines) > 0, billed, nil
}

// CreditFilterFields may appear in a ListSupplierCreditNotes filter.
var CreditFilterFields = []string{"bill_id", "supplier_id"}

// CreditStore keeps supplier credit notes.
type CreditStore interface {
	// CreateSupplierCreditNote locks the bill's purchase order and the
	// bill, applies BuildCreditNote to n (validated, with its ID) and
	// writes it all, refusing a credit date in the closed period. A
	// requestID seen before returns its credit note.
	CreateSupplierCreditNote(ctx context.Context, n NewCreditNote, requestID string) (CreditNote, error)
	GetSupplierCreditNote(ctx context.Context, id string) (CreditNote, error)
	// ListSupplierCreditNotes pages through credit notes by id (q.Filter
	// of CreditFilterFields); more reports whether another page follows.
	ListSupplierCreditNotes(ctx context.Context, q ListQuery) (list []CreditNote, more bool, err error)
}

// EventCreditNoteCreated: a supplier credit note; its bill's
// supplier_bill.updated (and, for returned goods, its purchase order's
// purchase_order.billed) follow in the same transaction.
const EventCreditNoteCreated = "supplier_credit_note.created"
