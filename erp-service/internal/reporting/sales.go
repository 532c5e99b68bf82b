package reporting

import (
	"context"
	"time"

	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/platform/errs"
)

// SalesQuery selects the invoices of a sales report: those issued from
// Start to End (dates, both included), void or not, those voided in that
// range (the day of the void), and the customer credit notes dated
// (credit date) in that range, optionally of one currency and one
// customer; and a page of the rows of one grouping.
type SalesQuery struct {
	Start, End time.Time
	Currency   string
	CustomerID string
	// Group is what each row sums.
	Group SalesGroup
	// After is the key of the last row of the previous page; nil starts
	// at the first row.
	After *SalesKey
	// Limit is the page size; 0 means every row.
	Limit int
}

// SalesKey orders the rows of a grouping: customer id, SKU, currency, each
// empty where the grouping does not have it.
type SalesKey struct {
	CustomerID, SKU, Currency string
}

// MaxSalesDays bounds a sales report's date range.
const MaxSalesDays = 3660

// Validate checks the range. Violations name the request's fields.
func (q SalesQuery) Validate() error {
	var v errs.Violations
	if q.Start.IsZero() {
		v.Add("start_date", "is required")
	}
	if q.End.IsZero() {
		v.Add("end_date", "is required")
	}
	if !q.Start.IsZero() && !q.End.IsZero() {
		switch {
		case q.End.Before(q.Start):
			v.Add("end_date", "must not be before start_date")
		case q.End.Sub(q.Start) > MaxSalesDays*24*time.Hour:
			v.Add("end_date", "the range must be at most %d days", MaxSalesDays)
		}
	}
	return v.Err()
}

// SalesGroup says what a sales row sums.
type SalesGroup int

// The groupings of a sales report.
const (
	ByCustomerAndItem SalesGroup = iota
	ByCustomer
	ByItem
	ByCurrency
)

// SalesRow sums the invoice lines and the credit note lines of one group
// in one currency: its customer (empty for ByItem and ByCurrency) and SKU
// (empty for ByCustomer and ByCurrency). Quantity and Net are the sales
// net of voids and credits, what 4000 Revenue moved by: what was invoiced
// in the range (on the issue date, whether voided later or not) less the
// lines of the invoices voided in the range (on the day the ledger
// reverses them) and less what was credited (returned goods and price
// concessions) in the range.
type SalesRow struct {
	Group        SalesGroup
	CustomerID   string
	CustomerName string
	SKU          string
	Currency     string
	// Quantity is InvoicedQuantity - VoidedQuantity - CreditedQuantity.
	Quantity decimal.Decimal
	// Net is InvoicedNet - VoidedNet - CreditedNet (amounts before tax).
	Net decimal.Decimal
	// Invoices counts the invoices issued in the range with lines in the
	// group, void or not.
	Invoices         int64
	InvoicedQuantity decimal.Decimal
	InvoicedNet      decimal.Decimal
	// VoidedQuantity and VoidedNet are the lines of the invoices voided in
	// the range (whenever they were issued).
	VoidedQuantity decimal.Decimal
	VoidedNet      decimal.Decimal
	// Voids counts the invoices voided in the range with lines in the
	// group.
	Voids int64
	// CreditedQuantity is what the credit note lines credited of the
	// quantity (none for a price concession).
	CreditedQuantity decimal.Decimal
	CreditedNet      decimal.Decimal
	// CreditNotes counts the credit notes with lines in the group.
	CreditNotes int64
}

// Key is the row's position in its grouping.
func (r SalesRow) Key() SalesKey {
	return SalesKey{CustomerID: r.CustomerID, SKU: r.SKU, Currency: r.Currency}
}

// SalesStore reads what the sales report sums.
type SalesStore interface {
	// SalesReport returns the rows of q.Group after q.After in key order:
	// up to q.Limit+1 of them, the one more telling that more follow.
	SalesReport(ctx context.Context, q SalesQuery) ([]SalesRow, error)
}
