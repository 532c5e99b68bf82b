// Package ledger holds the general ledger: the chart of accounts, balanced
// double-entry journal entries in one currency each, the postings business
// events make, and the trial balance.
package ledger

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/platform/listing"
	"github.com/seamhq/seam/platform/money"
)

// Account codes of the chart of accounts (seeded by migration).
const (
	Cash               = "1000"
	AccountsReceivable = "1100"
	Inventory          = "1200"
	// InputTax is the tax suppliers charge on their bills, recoverable
	// from the tax authority.
	InputTax        = "1300"
	AccountsPayable = "2000"
	TaxPayable      = "2100"
	Revenue         = "4000"
	CostOfGoodsSold = "5000"
	// PurchasePriceVariance takes the difference between what goods cost
	// on their purchase order and their standard cost.
	PurchasePriceVariance = "5100"
	// InventoryAdjustments takes stock counted or lost (shrinkage) and
	// revaluations at a new standard cost: the other side of inventory
	// moves that are neither bought, sold nor received.
	InventoryAdjustments = "5200"
)

// Kinds of journal entries: what posted them.
const (
	KindShipment = "shipment" // Dr COGS / Cr Inventory at standard cost
	// KindReceipt: Dr Inventory at standard cost / Cr Accounts payable (at
	// the purchase order's cost for purchase order receipts, the difference
	// on Purchase price variance).
	KindReceipt = "receipt"
	// KindPurchaseReturn: goods received on a purchase order sent back to
	// the supplier, the opposite of their receipt: Dr Accounts payable at
	// the order's cost / Cr Inventory at standard cost, the difference on
	// Purchase price variance.
	KindPurchaseReturn = "purchase_return"
	// KindAdjustment: a stock adjustment that is no receipt (a count,
	// shrinkage): Dr Inventory / Cr Inventory adjustments at standard cost,
	// the other way round for a negative one.
	KindAdjustment = "adjustment"
	// KindRevaluation: a new standard cost of stock on hand, Dr Inventory /
	// Cr Inventory adjustments by the rise in its value (the other way
	// round for a fall).
	KindRevaluation = "revaluation"
	// KindInvoice: Dr Accounts receivable / Cr Revenue, Cr Tax payable.
	KindInvoice = "invoice"
	// KindInvoiceVoid reverses an invoice's entry.
	KindInvoiceVoid = "invoice_void"
	// KindPayment: Dr Cash / Cr Accounts receivable.
	KindPayment = "payment"
	// KindPaymentReversal reverses a payment's entry.
	KindPaymentReversal = "payment_reversal"
	// KindPaymentRefund: a payment's credit paid back, Dr Accounts
	// receivable / Cr Cash.
	KindPaymentRefund = "payment_refund"
	// KindSupplierBill: the tax on a supplier's bill, Dr Input tax / Cr
	// Accounts payable (the bill's net is in payables since the receipt).
	KindSupplierBill = "supplier_bill"
	// KindSupplierPayment: a bill paid, Dr Accounts payable / Cr Cash.
	KindSupplierPayment = "supplier_payment"
	// KindSupplierPaymentReversal reverses a supplier payment's entry: Dr
	// Cash / Cr Accounts payable, the bill owing it again.
	KindSupplierPaymentReversal = "supplier_payment_reversal"
	// KindManual: an entry finance posts by hand, with a memo, on any
	// account but the control accounts (ControlAccounts).
	KindManual = "manual"
	// KindManualReversal reverses a manual entry, with a reason as its
	// memo.
	KindManualReversal = "manual_reversal"
	// KindCreditNote: part of an invoice credited, Dr Revenue, Dr Tax
	// payable / Cr Accounts receivable; goods returned with it Dr
	// Inventory / Cr Cost of goods sold at their shipped cost (the
	// difference from their standard value on Inventory adjustments).
	KindCreditNote = "credit_note"
	// KindSupplierCreditNote: part of a supplier's bill credited, Dr
	// Accounts payable / Cr Input tax for its tax, Cr Purchase price
	// variance for price concessions (payables.BuildCreditNote).
	KindSupplierCreditNote = "supplier_credit_note"
)

// Line debits or credits one account; exactly one of Debit and Credit is
// positive, the other zero.
type Line struct {
	Account     string
	AccountName string // filled when read
	Debit       decimal.Decimal
	Credit      decimal.Decimal
}

// Entry is one balanced posting in one currency. Entries are immutable; a
// correction is an entry reversing another.
type Entry struct {
	ID         string
	Kind       string
	Reference  string
	Currency   string
	Lines      []Line
	ReversesID string
	PostTime   time.Time
	// Date is the day the entry belongs to (UTC midnight), which puts it
	// in a period: the document's date (an invoice's issue date, a
	// payment's received date, a refund's date); zero when posted means
	// the day of posting (UTC). Read back, it is always set.
	Date time.Time
	// Memo says what a manual entry is for, or why it was reversed; empty
	// for the entries business documents post.
	Memo string
}

// Check reports whether e is well formed: lines with one positive side
// each, total debits equal to total credits.
func (e Entry) Check() error {
	if len(e.Lines) < 2 {
		return fmt.Errorf("journal entry %s has %d lines, want at least 2", e.Reference, len(e.Lines))
	}
	d, c := decimal.Zero, decimal.Zero
	for _, l := range e.Lines {
		if l.Debit.IsNegative() || l.Credit.IsNegative() || l.Debit.IsPositive() == l.Credit.IsPositive() {
			return fmt.Errorf("journal entry %s: line on %s must have exactly one positive side", e.Reference, l.Account)
		}
		d, c = d.Add(l.Debit), c.Add(l.Credit)
	}
	if !d.Equal(c) {
		return fmt.Errorf("journal entry %s does not balance: debits %s, credits %s", e.Reference, d, c)
	}
	return nil
}

// Transfer is an entry of amount from credit to debit (a negative amount
// swaps the sides); ok is false for a zero amount, which posts nothing.
func Transfer(kind, reference, currency, debit, credit string, amount decimal.Decimal) (e Entry, ok bool) {
	if amount.IsZero() {
		return Entry{}, false
	}
	if amount.IsNegative() {
		debit, credit, amount = credit, debit, amount.Neg()
	}
	return Entry{
		Kind: kind, Reference: reference, Currency: currency,
		Lines: []Line{
			{Account: debit, Debit: amount, Credit: decimal.Zero},
			{Account: credit, Debit: decimal.Zero, Credit: amount},
		},
	}, true
}

// PurchaseReceipt is the entry of goods received: Dr Inventory at their
// standard value, Cr Accounts payable at their purchase cost, and the
// difference on Purchase price variance (a debit when they cost more than
// standard, a credit when less), all in one currency. Goods costed in
// another currency than they were bought in make two such entries, one with
// a zero purchase cost and one with a zero standard value, each balanced on
// the variance. Both amounts are rounded by the caller and not negative; ok
// is false when both are zero.
func PurchaseReceipt(reference, currency string, standard, purchase decimal.Decimal) (e Entry, ok bool) {
	if standard.IsZero() && purchase.IsZero() {
		return Entry{}, false
	}
	e = Entry{Kind: KindReceipt, Reference: reference, Currency: currency}
	if standard.IsPositive() {
		e.Lines = append(e.Lines, Line{Account: Inventory, Debit: standard, Credit: decimal.Zero})
	}
	switch diff := purchase.Sub(standard); {
	case diff.IsPositive():
		e.Lines = append(e.Lines, Line{Account: PurchasePriceVariance, Debit: diff, Credit: decimal.Zero})
	case diff.IsNegative():
		e.Lines = append(e.Lines, Line{Account: PurchasePriceVariance, Debit: decimal.Zero, Credit: diff.Neg()})
	}
	if purchase.IsPositive() {
		e.Lines = append(e.Lines, Line{Account: AccountsPayable, Debit: decimal.Zero, Credit: purchase})
	}
	return e, true
}

// PurchaseReturn is the entry of received goods sent back to the
// supplier: the receipt's entry of the same amounts with the sides
// swapped, Dr Accounts payable at their purchase cost (what the supplier
// is no longer owed), Cr Inventory at their standard value, the
// difference on Purchase price variance (a credit when they had cost more
// than standard, a debit when less). So a receipt and the return of all
// of it net to zero on every account. Both amounts are rounded by the
// caller and not negative (what the return takes off); ok is false when
// both are zero.
func PurchaseReturn(reference, currency string, standard, purchase decimal.Decimal) (e Entry, ok bool) {
	r, ok := PurchaseReceipt(reference, currency, standard, purchase)
	if !ok {
		return Entry{}, false
	}
	return r.Reverse(KindPurchaseReturn, reference), true
}

// StockValueChange is what a change of an item's stock on hand (over all
// warehouses) from before to after moves on the inventory account, at
// unit cost: round(after x cost) - round(before x cost), in the cost's
// currency. Posting every move so, the inventory account's postings of an
// item add up to round(on hand x cost), the stock valuation, however
// fractional the moves were (ten receipts of 0.1 at 0.05 post 0.01 once,
// not 0.01 ten times).
func StockValueChange(before, after decimal.Decimal, cost money.Money) decimal.Decimal {
	return money.Round(after.Mul(cost.Amount), cost.Currency).Sub(money.Round(before.Mul(cost.Amount), cost.Currency))
}

// Reverse is the entry undoing e: the same lines with the sides swapped.
func (e Entry) Reverse(kind, reference string) Entry {
	out := Entry{Kind: kind, Reference: reference, Currency: e.Currency, ReversesID: e.ID, Lines: make([]Line, len(e.Lines))}
	for i, l := range e.Lines {
		out.Lines[i] = Line{Account: l.Account, Debit: l.Credit, Credit: l.Debit}
	}
	return out
}

// BalanceRow is an account's postings in one currency.
type BalanceRow struct {
	Account     string
	AccountName string
	Currency    string
	Debit       decimal.Decimal
	Credit      decimal.Decimal
}

// Balance is debit minus credit.
func (r BalanceRow) Balance() decimal.Decimal { return r.Debit.Sub(r.Credit) }

// Total is the sum of a trial balance in one currency.
type Total struct {
	Currency string
	Debit    decimal.Decimal
	Credit   decimal.Decimal
}

// Totals sums rows per currency, in currency order.
func Totals(rows []BalanceRow) []Total {
	var out []Total
	idx := map[string]int{}
	for _, r := range rows {
		i, ok := idx[r.Currency]
		if !ok {
			i = len(out)
			idx[r.Currency] = i
			out = append(out, Total{Currency: r.Currency, Debit: decimal.Zero, Credit: decimal.Zero})
		}
		out[i].Debit = out[i].Debit.Add(r.Debit)
		out[i].Credit = out[i].Credit.Add(r.Credit)
	}
	slices.SortFunc(out, func(a, b Total) int { return strings.Compare(a.Currency, b.Currency) })
	return out
}

// Kinds lists every kind of journal entry.
var Kinds = []string{KindShipment, KindReceipt, KindPurchaseReturn, KindAdjustment, KindRevaluation, KindInvoice, KindInvoiceVoid,
	KindPayment, KindPaymentReversal, KindPaymentRefund, KindSupplierBill, KindSupplierPayment, KindSupplierPaymentReversal,
	KindManual, KindManualReversal, KindCreditNote, KindSupplierCreditNote}

// FilterFields may appear in a ListJournalEntries filter.
var FilterFields = []string{"kind", "reference", "currency_code"}

// ListQuery selects a page of entries, in posting order (by the
// transaction that wrote them, then id). A page ends with a next token
// only where no entry can commit behind it, so a reader that pages to the
// end and continues later from its last token misses none.
type ListQuery struct {
	Filter   []listing.Condition
	PageSize int
	After    string // id of the last entry of the previous page
}

// Store reads the journal. Entries are written by the stores of the
// business events that post them, in the same transaction, and manual
// ones by ManualStore.
type Store interface {
	ListEntries(ctx context.Context, q ListQuery) ([]Entry, bool, error)
	// TrialBalance sums the journal per account and currency (all
	// currencies when currency is ""), by account code then currency.
	TrialBalance(ctx context.Context, currency string) ([]BalanceRow, error)
	// PeriodBalance sums, as TrialBalance, only the entries dated from
	// start to end, both days included (from the first entry when start is
	// zero).
	PeriodBalance(ctx context.Context, currency string, start, end time.Time) ([]BalanceRow, error)
	// PeriodLines returns the journal lines dated from start to end, both
	// included (currency "" for all), by date, then the order their
	// entries committed in, then line number: at most limit of them.
	PeriodLines(ctx context.Context, currency string, start, end time.Time, limit int) ([]DatedLine, error)
	PeriodStore
	ManualStore
}

// DatedLine is a journal line with its entry, as the journal's export
// writes it.
type DatedLine struct {
	Date        time.Time // the entry's date
	EntryID     string
	Kind        string
	Reference   string
	Currency    string
	LineNumber  int32
	Account     string
	AccountName string
	Debit       decimal.Decimal
	Credit      decimal.Decimal
	ReversesID  string
	PostTime    time.Time
	Memo        string // a manual entry's memo, a reversal's reason
}
