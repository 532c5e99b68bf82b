package reporting

import (
	"context"
	"time"

	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/platform/errs"
)

// SalesQuery selects the invoices of a sales report: not void, issued from
// Start to End (dates, both included), optionally of one currency and one
// customer.
type SalesQuery struct {
	Start, End time.Time
	Currency   string
	CustomerID string
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

// SalesRow sums invoice lines of one group in one currency: its customer
// (empty for ByItem and ByCurrency) and SKU (empty for ByCustomer and
// ByCurrency).
type SalesRow struct {
	Group        SalesGroup
	CustomerID   string
	CustomerName string
	SKU          string
	Currency     string
	Quantity     decimal.Decimal
	Net          decimal.Decimal
	Invoices     int64
}

// SalesStore reads what the sales report sums.
type SalesStore interface {
	// SalesReport returns every group's rows: by customer id, SKU and
	// currency within a group.
	SalesReport(ctx context.Context, q SalesQuery) ([]SalesRow, error)
}
