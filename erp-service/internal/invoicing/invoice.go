// Package invoicing holds invoices: billing what has shipped, with tax per
// line, their status as payments are allocated and credit notes issued
// (an invoice cancelled by credit alone is CREDITED, not PAID), voiding,
// overdue marking, and the balances customers owe.
package invoicing

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/erp-service/internal/ledger"
	"github.com/seamhq/seam/erp-service/internal/sales"
	"github.com/seamhq/seam/platform/civil"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/listing"
	"github.com/seamhq/seam/platform/money"
)

// Status is where an invoice is in its life.
type Status string

// The statuses of an invoice.
const (
	Open          Status = "OPEN"
	PartiallyPaid Status = "PARTIALLY_PAID"
	Paid          Status = "PAID"
	Overdue       Status = "OVERDUE"
	Void          Status = "VOID"
	// CancelledByCredit is an invoice whose credit notes cover the total
	// with no payment allocated to it any more: the customer paid
	// nothing of it, so it is not PAID.
	CancelledByCredit Status = "CREDITED"
)

// Statuses lists every status.
var Statuses = []Status{Open, PartiallyPaid, Paid, Overdue, Void, CancelledByCredit}

// Line bills a quantity of one order line.
type Line struct {
	LineNumber int32 // the order line
	SKU        string
	Quantity   decimal.Decimal
	UnitPrice  money.Money
	Discount   decimal.Decimal
	// TaxRate is a fraction: 0.19 for 19 %.
	TaxRate decimal.Decimal
	// Net is this invoice's share of the order line, rounded cumulatively:
	// money.LineAmount of everything invoiced of the line so far (this
	// invoice included) minus what earlier invoices of the line billed.
	Net money.Money
	// Tax is rounded cumulatively too: the line's tax base so far (each
	// invoice's net x its rate) rounded, minus the tax billed before.
	Tax money.Money
}

// Amount is net plus tax.
func (l Line) Amount() money.Money {
	return money.Money{Currency: l.Net.Currency, Amount: l.Net.Amount.Add(l.Tax.Amount)}
}

// Invoice bills a customer for shipped quantities of one order.
type Invoice struct {
	ID          string
	Number      string // "INV-000042"
	OrderID     string
	OrderNumber string
	CustomerID  string
	Currency    string
	Lines       []Line
	Status      Status
	Subtotal    money.Money
	TaxTotal    money.Money
	Total       money.Money
	// Paid is the sum of the payment allocations to the invoice.
	Paid money.Money
	// Credited is the sum of the invoice's credit notes' totals.
	Credited   money.Money
	IssueDate  time.Time // a date, UTC midnight
	DueDate    time.Time
	Overdue    bool // marked by MarkOverdue
	VoidReason string
	// Revision is the etag and event version.
	Revision   int64
	CreateTime time.Time
	UpdateTime time.Time
}

// Reference names the invoice in the journal.
func (i Invoice) Reference() string { return "invoices/" + i.ID }

// OpenAmount is what is left to pay: total minus paid minus credited,
// zero when void.
func (i Invoice) OpenAmount() money.Money {
	if i.Status == Void {
		return money.Zero(i.Currency)
	}
	return money.Money{Currency: i.Currency, Amount: i.Total.Amount.Sub(i.Paid.Amount).Sub(i.Credited.Amount)}
}

// Derive sets the status from the payments, credit notes and the overdue
// mark, in exact decimals: when allocations and credits cover the total,
// CREDITED if credit notes did it alone (nothing paid, something
// credited), else PAID (a zero total included); else OVERDUE when marked
// so, else PARTIALLY_PAID when something is paid, else OPEN. A void
// invoice stays void.
func (i *Invoice) Derive() {
	switch {
	case i.Status == Void:
	case i.Paid.Amount.Add(i.Credited.Amount).GreaterThanOrEqual(i.Total.Amount):
		if i.Paid.Amount.IsZero() && i.Credited.Amount.IsPositive() {
			i.Status = CancelledByCredit
		} else {
			i.Status = Paid
		}
	case i.Overdue:
		i.Status = Overdue
	case i.Paid.Amount.IsPositive():
		i.Status = PartiallyPaid
	default:
		i.Status = Open
	}
}

// Payable reports whether payments may be allocated to the invoice.
func (i Invoice) Payable() bool { return i.Status != Void }

// Billed is what the invoices of an order line that are not void billed
// so far: their nets, their taxes and their tax base (the sum of each
// invoice's net x its tax rate, unrounded).
type Billed struct {
	Net, Tax, TaxBase decimal.Decimal
}

// share is the cumulative rounding rule: the part of a running total
// (rounded in currency) not billed yet. It is never negative: an earlier
// invoice rounded on its own (before the rule) may have billed a little
// more than its share, which later invoices then bill less of, down to 0.
func share(cumulative, billed decimal.Decimal, currency string) decimal.Decimal {
	d := money.Round(cumulative, currency).Sub(billed)
	if d.IsNegative() {
		return decimal.Zero
	}
	return d
}

// Build bills every shipped but not invoiced quantity of order o (with
// wholeOrder, every ordered but not invoiced quantity, from confirmation
// on): one line per order line with some, tax at taxRates (per SKU).
// Amounts are rounded cumulatively per order line, given what earlier
// invoices billed of each line (billed, by line number): a line's net is
// money.LineAmount of all invoiced so far minus the nets billed before,
// its tax the rounded tax base so far minus the taxes billed before, so
// the invoices of a line add up to the order line's amount however it is
// split (three invoices of a 20.00 line bill 6.67, 6.66 and 6.67). It
// records the quantities on o's lines, moves o to
// INVOICED when every line is shipped and invoiced in full (an order
// invoiced before it shipped keeps its shipping status), and returns the
// invoice's journal entry
// (Dr Accounts receivable total / Cr Revenue subtotal, Cr Tax payable tax;
// none for a zero invoice). Number, times and revision are the store's.
func Build(id string, o *sales.Order, billed map[int32]Billed, taxRates map[string]decimal.Decimal, issue time.Time, termsDays int, wholeOrder bool) (Invoice, []ledger.Entry, error) {
	inv := Invoice{
		ID: id, OrderID: o.ID, OrderNumber: o.Number, CustomerID: o.CustomerID, Currency: o.CurrencyCode,
		IssueDate: issue, DueDate: issue.AddDate(0, 0, termsDays), Revision: 1,
		Paid: money.Zero(o.CurrencyCode), Credited: money.Zero(o.CurrencyCode),
	}
	if inv.DueDate.After(lastDate) {
		return Invoice{}, nil, errs.Invalid("issue_date", "%s with %d days of payment terms is due after %s, the last date there is",
			civil.FormatDate(issue), termsDays, civil.FormatDate(lastDate))
	}
	switch {
	case o.Status == sales.PartiallyShipped, o.Status == sales.Shipped:
	case wholeOrder && o.Status == sales.Confirmed:
	case wholeOrder:
		return Invoice{}, nil, errs.FailedPreconditionf("sales order %s is %s; only a confirmed, partially shipped or shipped order can be invoiced", o.Number, o.Status)
	default:
		return Invoice{}, nil, errs.FailedPreconditionf("sales order %s is %s; only shipped quantities can be invoiced", o.Number, o.Status)
	}
	var nets, taxes []money.Money
	for k := range o.Lines {
		l := &o.Lines[k]
		qty := l.Shipped.Sub(l.Invoiced)
		if wholeOrder {
			qty = l.Quantity.Sub(l.Invoiced)
		}
		if !qty.IsPositive() {
			continue
		}
		rate, ok := taxRates[l.SKU]
		if !ok {
			return Invoice{}, nil, fmt.Errorf("invoice order %s: no tax rate for %s", o.ID, l.SKU)
		}
		before := billed[l.Number]
		cur := o.CurrencyCode
		upTo := money.LineAmount(l.Invoiced.Add(qty), l.UnitPrice, l.Discount)
		net := money.Money{Currency: cur, Amount: share(upTo.Amount, before.Net, cur)}
		tax := money.Money{Currency: cur, Amount: share(before.TaxBase.Add(net.Amount.Mul(rate)), before.Tax, cur)}
		inv.Lines = append(inv.Lines, Line{LineNumber: l.Number, SKU: l.SKU, Quantity: qty, UnitPrice: l.UnitPrice,
			Discount: l.Discount, TaxRate: rate, Net: net, Tax: tax})
		nets, taxes = append(nets, net), append(taxes, tax)
		l.Invoiced = l.Invoiced.Add(qty)
	}
	if len(inv.Lines) == 0 && wholeOrder {
		return Invoice{}, nil, errs.FailedPreconditionf("sales order %s is invoiced in full already (its customer is invoiced for whole orders)", o.Number)
	}
	if len(inv.Lines) == 0 {
		return Invoice{}, nil, errs.FailedPreconditionf("sales order %s has nothing shipped that is not invoiced", o.Number)
	}
	var err error
	if inv.Subtotal, err = money.Sum(o.CurrencyCode, nets...); err != nil {
		return Invoice{}, nil, fmt.Errorf("invoice order %s: %w", o.ID, err)
	}
	if inv.TaxTotal, err = money.Sum(o.CurrencyCode, taxes...); err != nil {
		return Invoice{}, nil, fmt.Errorf("invoice order %s: %w", o.ID, err)
	}
	inv.Total = money.Money{Currency: o.CurrencyCode, Amount: inv.Subtotal.Amount.Add(inv.TaxTotal.Amount)}
	if !money.Fits(inv.Total.Amount) {
		return Invoice{}, nil, errs.FailedPreconditionf("invoicing sales order %s would make a total of %s, more than %d digits",
			o.Number, inv.Total.Amount, money.MaxDigits)
	}
	inv.Derive()
	o.Progress()
	o.Revision++
	return inv, inv.entries(), nil
}

// entries is the journal entry of issuing the invoice.
func (i Invoice) entries() []ledger.Entry {
	if !i.Total.Amount.IsPositive() {
		return nil
	}
	e := ledger.Entry{Kind: ledger.KindInvoice, Reference: i.Reference(), Currency: i.Currency,
		Lines: []ledger.Line{{Account: ledger.AccountsReceivable, Debit: i.Total.Amount, Credit: decimal.Zero}}}
	if i.Subtotal.Amount.IsPositive() {
		e.Lines = append(e.Lines, ledger.Line{Account: ledger.Revenue, Debit: decimal.Zero, Credit: i.Subtotal.Amount})
	}
	if i.TaxTotal.Amount.IsPositive() {
		e.Lines = append(e.Lines, ledger.Line{Account: ledger.TaxPayable, Debit: decimal.Zero, Credit: i.TaxTotal.Amount})
	}
	return []ledger.Entry{e}
}

// VoidInvoice voids inv, giving its quantities back to o's lines, and
// returns the entries reversing issued (the invoice's journal entries).
// Voiding a void invoice changes nothing (changed false); an invoice with
// payments allocated cannot be voided.
func VoidInvoice(inv *Invoice, etag int64, reason string, o *sales.Order, issued []ledger.Entry) (entries []ledger.Entry, changed bool, err error) {
	if inv.Status == Void {
		return nil, false, nil
	}
	if etag != 0 && etag != inv.Revision {
		return nil, false, errs.StaleEtag("invoice " + inv.ID)
	}
	if inv.Paid.Amount.IsPositive() {
		return nil, false, errs.FailedPreconditionf("invoice %s has %s paid; reverse its payments before voiding it", inv.Number, inv.Paid)
	}
	if inv.Status == CancelledByCredit {
		return nil, false, errs.FailedPreconditionf("invoice %s is CREDITED: credit notes of %s cancelled it, and they are final; it cannot be voided",
			inv.Number, inv.Credited)
	}
	if inv.Credited.Amount.IsPositive() {
		return nil, false, errs.FailedPreconditionf("invoice %s has %s credited by credit notes, which are final; credit the rest of it instead of voiding it",
			inv.Number, inv.Credited)
	}
	index := map[int32]int{}
	for k, l := range o.Lines {
		index[l.Number] = k
	}
	for _, l := range inv.Lines {
		k, ok := index[l.LineNumber]
		if !ok {
			return nil, false, fmt.Errorf("void invoice %s: order %s has no line %d", inv.ID, o.ID, l.LineNumber)
		}
		o.Lines[k].Invoiced = o.Lines[k].Invoiced.Sub(l.Quantity)
	}
	o.Progress()
	o.Revision++
	inv.Status = Void
	inv.VoidReason = reason
	inv.Revision++
	for _, e := range issued {
		entries = append(entries, e.Reverse(ledger.KindInvoiceVoid, inv.Reference()))
	}
	return entries, true, nil
}

// Balance is what a customer owes in one currency.
type Balance struct {
	CustomerID string
	Currency   string
	// Open is the open amount of every invoice that is not void, paid or
	// credited.
	Open money.Money
	// Overdue is the part of Open on overdue invoices.
	Overdue money.Money
	// Credit is the unallocated amount of the customer's posted payments.
	Credit  money.Money
	Version int64
}

// FilterFields may appear in a ListInvoices filter.
var FilterFields = []string{"customer_id", "sales_order_id", "status", "issue_date", "due_date"}

// ListQuery selects a page of invoices. Status conditions carry Status
// values.
type ListQuery struct {
	Filter   []listing.Condition
	PageSize int
	After    string
}

// MaxIssueDaysAhead bounds how far after today an invoice may be dated:
// a year and a day, enough to prepare the invoices of a billing date
// ahead, and so that every due date (at most customer.MaxPaymentTermsDays
// later) stays a date of the API (up to 9999-12-31).
const MaxIssueDaysAhead = 366

// CheckIssueDate refuses an issue date more than MaxIssueDaysAhead days
// after today (civil.Today(now)): INVALID_ARGUMENT on issue_date.
func CheckIssueDate(issue, now time.Time) error {
	latest := civil.Today(now).AddDate(0, 0, MaxIssueDaysAhead)
	if issue.After(latest) {
		return errs.Invalid("issue_date", "must be at most %d days after today (%s)", MaxIssueDaysAhead, civil.FormatDate(latest))
	}
	return nil
}

// lastDate is the last date the API carries (civil.ParseDate reads years
// up to 9999).
var lastDate = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// MaxOverduePerCall bounds the invoices one MarkOverdue call marks.
const MaxOverduePerCall = 1000

// OverdueAsOf returns the date an overdue pass marks from, given the date
// asked for (the zero time for today) and the time now: today is
// civil.Today(now). A date after today is INVALID_ARGUMENT on as_of_date:
// it would mark invoices that are not yet due, and nothing takes the mark
// back.
func OverdueAsOf(asOf, now time.Time) (time.Time, error) {
	today := civil.Today(now)
	if asOf.IsZero() {
		return today, nil
	}
	if asOf.After(today) {
		return time.Time{}, errs.Invalid("as_of_date",
			"must not be after today (%s): invoices not yet due would be marked overdue, and the mark is never taken back",
			civil.FormatDate(today))
	}
	return asOf, nil
}

// Store keeps invoices. Every change appends its events (invoice.*,
// sales_order.invoiced, customer.balance_changed) and journal entries in
// the same transaction.
type Store interface {
	// CreateInvoice locks the order's customer and the order, applies Build
	// with the customer's payment terms (issue: the zero time means today,
	// UTC) and writes it all. A requestID seen before returns its invoice.
	CreateInvoice(ctx context.Context, orderID string, issue time.Time, id, requestID string) (Invoice, error)
	GetInvoice(ctx context.Context, id string) (Invoice, error)
	ListInvoices(ctx context.Context, q ListQuery) ([]Invoice, bool, error)
	VoidInvoice(ctx context.Context, id string, etag int64, reason, requestID string) (Invoice, error)
	// MarkOverdue marks up to MaxOverduePerCall OPEN and PARTIALLY_PAID
	// invoices due before asOf (a date; the zero time means today, by the
	// database's clock, as for CreateInvoice's issue date) OVERDUE; it
	// returns their ids and whether more remain. A date after today is
	// refused (OverdueAsOf).
	MarkOverdue(ctx context.Context, asOf time.Time) ([]string, bool, error)
	// Balance returns what a customer owes in currency ("" for the
	// customer's own currency).
	Balance(ctx context.Context, customerID, currency string) (Balance, error)
	// Balances returns what a customer owes in every currency it has
	// invoices or payments in, by currency code, read at one moment.
	Balances(ctx context.Context, customerID string) ([]Balance, error)
}

// Event types; the key is the invoice id (customer id for balances).
const (
	EventIssued         = "invoice.issued"
	EventVoided         = "invoice.voided"
	EventOverdue        = "invoice.overdue"
	EventBalanceChanged = "customer.balance_changed"
)
