package invoicing

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/erp-service/internal/catalog"
	"github.com/seamhq/seam/erp-service/internal/ledger"
	"github.com/seamhq/seam/platform/civil"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/listing"
	"github.com/seamhq/seam/platform/money"
)

// CreditLine credits part or all of one invoice line: a quantity (goods
// returned, a damaged line), or with no quantity an amount alone (a price
// concession).
type CreditLine struct {
	// LineNumber is the invoice line's (the order line's) number.
	LineNumber int32
	SKU        string
	// Quantity credited; zero for an amount-only line.
	Quantity decimal.Decimal
	// TaxRate is the invoice line's.
	TaxRate decimal.Decimal
	Net     money.Money
	Tax     money.Money
	// ReturnWarehouse, when set, is where the goods came back into stock,
	// at ReturnCost: what they cost when they shipped.
	ReturnWarehouse string
	ReturnCost      money.Money
}

// Amount is net plus tax.
func (l CreditLine) Amount() money.Money {
	return money.Money{Currency: l.Net.Currency, Amount: l.Net.Amount.Add(l.Tax.Amount)}
}

// CreditNote credits a customer part or all of an issued invoice. It is
// final: a credit note is never changed or voided.
type CreditNote struct {
	ID            string
	Number        string // "CN-000042"
	InvoiceID     string
	InvoiceNumber string
	CustomerID    string
	Currency      string
	CreditDate    time.Time // a date, UTC midnight
	Reason        string
	Lines         []CreditLine
	Subtotal      money.Money
	TaxTotal      money.Money
	Total         money.Money
	// ToCredit is the part of Total beyond what the invoice had open,
	// taken off its payments' allocations and left on those payments as
	// the customer's unallocated credit (to refund or apply).
	ToCredit   money.Money
	CreateTime time.Time
}

// Reference names the credit note in the journal and the stock ledger.
func (c CreditNote) Reference() string { return "creditNotes/" + c.ID }

// NewCreditLine is a line of a credit note asked for: a positive Quantity,
// or (Quantity zero) a positive net Amount. ReturnWarehouse takes the
// quantity back into stock there.
type NewCreditLine struct {
	LineNumber      int32
	Quantity        decimal.Decimal
	Amount          *money.Money
	ReturnWarehouse string
}

// NewCreditNote is a credit note asked for. A zero CreditDate means today.
type NewCreditNote struct {
	ID         string
	InvoiceID  string
	CreditDate time.Time
	Reason     string
	Lines      []NewCreditLine
}

// MaxCreditReasonLength bounds a credit note's reason.
const MaxCreditReasonLength = 500

// Credited is what the credit notes of one invoice line credited so far.
type Credited struct {
	Quantity, Net, Tax, TaxBase decimal.Decimal
}

// ValidateCreditNote checks what can be checked of n without the invoice.
// Violations name fields of the credit note ("lines[0].quantity").
func ValidateCreditNote(n NewCreditNote) error {
	var v errs.Violations
	if n.Reason == "" {
		v.Add("reason", "is required: say why the invoice is credited")
	} else if len(n.Reason) > MaxCreditReasonLength {
		v.Add("reason", "must be at most %d bytes", MaxCreditReasonLength)
	}
	if len(n.Lines) == 0 {
		v.Add("lines", "at least one line is required")
	}
	seen := map[int32]bool{}
	for i, l := range n.Lines {
		f := fmt.Sprintf("lines[%d]", i)
		if l.LineNumber <= 0 {
			v.Add(f+".line_number", "must name a line of the invoice (1, 2, ...)")
		} else if seen[l.LineNumber] {
			v.Add(f+".line_number", "line %d is credited by an earlier line of this credit note", l.LineNumber)
		}
		seen[l.LineNumber] = true
		switch {
		case l.Amount != nil && !l.Quantity.IsZero():
			v.Add(f+".amount", "give a quantity or an amount, not both")
		case l.Amount != nil:
			switch {
			case !l.Amount.Amount.IsPositive():
				v.Add(f+".amount.amount", "must be positive")
			case l.Amount.TooPrecise():
				v.Add(f+".amount.amount", "%s has more decimal places than %s has (%d)", l.Amount.Amount, l.Amount.Currency, money.MinorUnits(l.Amount.Currency))
			}
			if l.ReturnWarehouse != "" {
				v.Add(f+".return_to_warehouse", "an amount-only line returns no goods; give a quantity to take goods back")
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

// BuildCreditNote credits inv as n asks (validated by ValidateCreditNote),
// given what earlier credit notes credited of each invoice line (by line
// number), the unit of measure of each SKU and today's date. It returns
// the credit note, with its lines' amounts, and changes inv: its credited
// amount rises by the total, and the part of the total beyond what was
// open (ToCredit) comes off its paid amount, to be taken off its payments'
// allocations by the caller. The status is derived again and the revision
// increments.
//
// A quantity line credits money.LineAmount of the quantity at the invoice
// line's price and discount, at most what is left of the line's net (all
// of it when the rest of the quantity is credited); its tax is rounded
// cumulatively as invoices round theirs: the line's credited tax base so
// far (each credit's net x the line's rate) rounded to the currency's
// minor unit, minus the tax credited before, never more than the line's
// tax (all of it when the whole net is credited). An amount-only line
// credits that net, at most what is left of the line's. Quantities are
// at most the invoiced minus the credited quantity, whole for count
// units.
//
// It returns the journal entry: Dr Revenue subtotal, Dr Tax payable tax,
// Cr Accounts receivable total, dated on the credit date.
func BuildCreditNote(inv *Invoice, n NewCreditNote, credited map[int32]Credited, units map[string]string, today time.Time) (CreditNote, ledger.Entry, error) {
	if inv.Status == Void {
		return CreditNote{}, ledger.Entry{}, errs.FailedPreconditionf("invoice %s is void; there is nothing to credit", inv.Number)
	}
	day := n.CreditDate
	if day.IsZero() {
		day = civil.Today(today)
	}
	var v errs.Violations
	switch {
	case day.Before(inv.IssueDate):
		v.Add("credit_date", "must not be before %s, when invoice %s was issued", civil.FormatDate(inv.IssueDate), inv.Number)
	case day.After(civil.Today(today)):
		v.Add("credit_date", "must not be after today (%s)", civil.FormatDate(civil.Today(today)))
	}
	lines := map[int32]Line{}
	for _, l := range inv.Lines {
		lines[l.LineNumber] = l
	}
	cur := inv.Currency
	c := CreditNote{ID: n.ID, InvoiceID: inv.ID, InvoiceNumber: inv.Number, CustomerID: inv.CustomerID, Currency: cur,
		CreditDate: day, Reason: n.Reason}
	var beyond []errs.FieldViolation
	var nets, taxes []money.Money
	for i, nl := range n.Lines {
		f := fmt.Sprintf("lines[%d]", i)
		il, ok := lines[nl.LineNumber]
		if !ok {
			v.Add(f+".line_number", "invoice %s has no line %d", inv.Number, nl.LineNumber)
			continue
		}
		before := credited[nl.LineNumber]
		leftNet := il.Net.Amount.Sub(before.Net)
		var net decimal.Decimal
		if nl.Amount != nil {
			if nl.Amount.Currency != cur {
				v.Add(f+".amount.currency_code", "must be the invoice's currency %s", cur)
				continue
			}
			if nl.Amount.Amount.GreaterThan(leftNet) {
				beyond = append(beyond, errs.FieldViolation{Field: f + ".amount.amount", Description: fmt.Sprintf("%s is more than the %s left to credit of line %d of invoice %s",
					nl.Amount.Format(), money.Money{Currency: cur, Amount: leftNet}.Format(), il.LineNumber, inv.Number)})
				continue
			}
			net = nl.Amount.Amount
		} else {
			if msg := catalog.QuantityViolation(units[il.SKU], nl.Quantity); msg != "" {
				v.Add(f+".quantity", "%s", msg)
				continue
			}
			leftQty := il.Quantity.Sub(before.Quantity)
			if nl.Quantity.GreaterThan(leftQty) {
				beyond = append(beyond, errs.FieldViolation{Field: f + ".quantity", Description: fmt.Sprintf("%s is more than the %s left to credit of line %d of invoice %s (%s invoiced, %s credited)",
					nl.Quantity, leftQty, il.LineNumber, inv.Number, il.Quantity, before.Quantity)})
				continue
			}
			if nl.Quantity.Equal(leftQty) {
				net = leftNet
			} else {
				net = decimal.Min(money.LineAmount(nl.Quantity, il.UnitPrice, il.Discount).Amount, leftNet)
			}
		}
		var tax decimal.Decimal
		if net.Equal(leftNet) {
			tax = il.Tax.Amount.Sub(before.Tax)
		} else {
			upTo := decimal.Min(money.Round(before.TaxBase.Add(net.Mul(il.TaxRate)), cur), il.Tax.Amount)
			tax = decimal.Max(upTo.Sub(before.Tax), decimal.Zero)
		}
		tax = decimal.Max(tax, decimal.Zero)
		cl := CreditLine{LineNumber: il.LineNumber, SKU: il.SKU, Quantity: nl.Quantity, TaxRate: il.TaxRate,
			Net: money.Money{Currency: cur, Amount: net}, Tax: money.Money{Currency: cur, Amount: tax},
			ReturnWarehouse: nl.ReturnWarehouse}
		c.Lines = append(c.Lines, cl)
		nets, taxes = append(nets, cl.Net), append(taxes, cl.Tax)
	}
	if err := v.Err(); err != nil {
		return CreditNote{}, ledger.Entry{}, err
	}
	if len(beyond) > 0 {
		return CreditNote{}, ledger.Entry{}, &errs.Error{Kind: errs.FailedPrecondition, Violations: beyond,
			Message: beyond[0].Field + ": " + beyond[0].Description}
	}
	var err error
	if c.Subtotal, err = money.Sum(cur, nets...); err != nil {
		return CreditNote{}, ledger.Entry{}, fmt.Errorf("credit invoice %s: %w", inv.ID, err)
	}
	if c.TaxTotal, err = money.Sum(cur, taxes...); err != nil {
		return CreditNote{}, ledger.Entry{}, fmt.Errorf("credit invoice %s: %w", inv.ID, err)
	}
	c.Total = money.Money{Currency: cur, Amount: c.Subtotal.Amount.Add(c.TaxTotal.Amount)}
	if !c.Total.Amount.IsPositive() {
		return CreditNote{}, ledger.Entry{}, errs.FailedPreconditionf("the credit note credits nothing: what is left of those lines of invoice %s is 0", inv.Number)
	}
	open := inv.OpenAmount().Amount
	excess := decimal.Max(c.Total.Amount.Sub(decimal.Max(open, decimal.Zero)), decimal.Zero)
	c.ToCredit = money.Money{Currency: cur, Amount: excess}
	inv.Credited.Amount = inv.Credited.Amount.Add(c.Total.Amount)
	inv.Paid.Amount = inv.Paid.Amount.Sub(excess)
	inv.Derive()
	inv.Revision++

	e := ledger.Entry{Kind: ledger.KindCreditNote, Reference: c.Reference(), Currency: cur, Date: day}
	if c.Subtotal.Amount.IsPositive() {
		e.Lines = append(e.Lines, ledger.Line{Account: ledger.Revenue, Debit: c.Subtotal.Amount, Credit: decimal.Zero})
	}
	if c.TaxTotal.Amount.IsPositive() {
		e.Lines = append(e.Lines, ledger.Line{Account: ledger.TaxPayable, Debit: c.TaxTotal.Amount, Credit: decimal.Zero})
	}
	e.Lines = append(e.Lines, ledger.Line{Account: ledger.AccountsReceivable, Debit: decimal.Zero, Credit: c.Total.Amount})
	return c, e, nil
}

// ReturnEntry is the journal entry of goods a customer returned into
// stock: Dr Inventory by what they add to the item's stock value at its
// standard cost now (value, in its cost currency), Cr Cost of goods sold
// by what they cost when they shipped (shipped), the difference (a
// standard cost changed since, or rounding) on Inventory adjustments. In
// two currencies (the item's cost currency changed since), each side is
// its own entry balanced on Inventory adjustments. ok is false when both
// are zero.
func ReturnEntry(reference string, value, shipped money.Money, date time.Time) []ledger.Entry {
	if value.Currency != shipped.Currency {
		var out []ledger.Entry
		if e, ok := ledger.Transfer(ledger.KindCreditNote, reference, value.Currency, ledger.Inventory, ledger.InventoryAdjustments, value.Amount); ok {
			out = append(out, e)
		}
		if e, ok := ledger.Transfer(ledger.KindCreditNote, reference, shipped.Currency, ledger.InventoryAdjustments, ledger.CostOfGoodsSold, shipped.Amount); ok {
			out = append(out, e)
		}
		for i := range out {
			out[i].Date = date
		}
		return out
	}
	if value.Amount.IsZero() && shipped.Amount.IsZero() {
		return nil
	}
	e := ledger.Entry{Kind: ledger.KindCreditNote, Reference: reference, Currency: value.Currency, Date: date}
	add := func(account string, amount decimal.Decimal) {
		switch {
		case amount.IsPositive():
			e.Lines = append(e.Lines, ledger.Line{Account: account, Debit: amount, Credit: decimal.Zero})
		case amount.IsNegative():
			e.Lines = append(e.Lines, ledger.Line{Account: account, Debit: decimal.Zero, Credit: amount.Neg()})
		}
	}
	add(ledger.Inventory, value.Amount)
	add(ledger.InventoryAdjustments, shipped.Amount.Sub(value.Amount))
	add(ledger.CostOfGoodsSold, shipped.Amount.Neg())
	if len(e.Lines) < 2 {
		return nil
	}
	return []ledger.Entry{e}
}

// CreditFilterFields may appear in a ListCreditNotes filter: the ids
// with "=", credit_date (YYYY-MM-DD) with any comparison.
var CreditFilterFields = []string{"invoice_id", "customer_id", "credit_date"}

// CreditListQuery selects a page of credit notes.
type CreditListQuery struct {
	Filter   []listing.Condition
	PageSize int
	After    string
}

// CreditStore keeps credit notes.
type CreditStore interface {
	// CreateCreditNote locks the invoice's customer, its order and the
	// invoice (and, for goods returned, their SKUs' stock first), applies
	// BuildCreditNote and writes it all: the credit note, the invoice,
	// the allocations it takes back onto payments, stock returned, the
	// journal entries and the events. A requestID seen before returns its
	// credit note.
	CreateCreditNote(ctx context.Context, n NewCreditNote, requestID string) (CreditNote, error)
	GetCreditNote(ctx context.Context, id string) (CreditNote, error)
	ListCreditNotes(ctx context.Context, q CreditListQuery) ([]CreditNote, bool, error)
}

// EventCreditNoteCreated is the event of a new credit note (key: its id).
const EventCreditNoteCreated = "credit_note.created"
