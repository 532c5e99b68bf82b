// Package reporting holds finance's reports: accounts receivable aging and
// stock valuation.
package reporting

import (
	"context"
	"time"

	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/platform/money"
)

// Bucket is a range of days past due.
type Bucket int

// The aging buckets.
const (
	Current Bucket = iota // not yet due
	Days1To30
	Days31To60
	Days61To90
	DaysOver90
	numBuckets
)

// BucketOf is the bucket of an amount due on due, seen on asOf (dates).
func BucketOf(due, asOf time.Time) Bucket {
	days := int(asOf.Sub(due).Hours() / 24)
	switch {
	case days <= 0:
		return Current
	case days <= 30:
		return Days1To30
	case days <= 60:
		return Days31To60
	case days <= 90:
		return Days61To90
	default:
		return DaysOver90
	}
}

// Open is an open amount of a customer due on a date.
type Open struct {
	CustomerID   string
	CustomerName string
	Currency     string
	Due          time.Time
	Amount       decimal.Decimal
}

// AgingRow is a customer's open amounts in one currency, by bucket.
type AgingRow struct {
	CustomerID   string
	CustomerName string
	Currency     string
	Buckets      [numBuckets]decimal.Decimal
}

// Total is the sum of the buckets.
func (r AgingRow) Total() decimal.Decimal {
	t := decimal.Zero
	for _, b := range r.Buckets {
		t = t.Add(b)
	}
	return t
}

// Age buckets open amounts (grouped by customer, then currency, in that
// order) into rows.
func Age(opens []Open, asOf time.Time) []AgingRow {
	var out []AgingRow
	for _, o := range opens {
		n := len(out)
		if n == 0 || out[n-1].CustomerID != o.CustomerID || out[n-1].Currency != o.Currency {
			r := AgingRow{CustomerID: o.CustomerID, CustomerName: o.CustomerName, Currency: o.Currency}
			for i := range r.Buckets {
				r.Buckets[i] = decimal.Zero
			}
			out = append(out, r)
			n++
		}
		b := BucketOf(o.Due, asOf)
		out[n-1].Buckets[b] = out[n-1].Buckets[b].Add(o.Amount)
	}
	return out
}

// ValuationRow is an item's stock on hand at standard cost.
type ValuationRow struct {
	SKU      string
	OnHand   decimal.Decimal
	UnitCost money.Money
}

// Value is on hand x unit cost, rounded to the currency's minor unit.
func (r ValuationRow) Value() money.Money {
	return money.Money{Currency: r.UnitCost.Currency, Amount: money.Round(r.OnHand.Mul(r.UnitCost.Amount), r.UnitCost.Currency)}
}

// Store reads what the reports need.
type Store interface {
	// OpenAmounts returns the open amounts of invoices as they were on
	// asOf: issued on or before it, not void by then, total - what
	// payments received on or before it (and not reversed by then) paid of
	// them, when that is positive; grouped by
	// customer id, currency and the bucket of their due date seen on asOf
	// (Due is the latest due date of the group), for up to pageSize
	// customers after after (by id); more tells whether customers follow.
	OpenAmounts(ctx context.Context, asOf time.Time, currency string, pageSize int, after string) (opens []Open, more bool, err error)
	// Valuation returns items with stock on hand, by SKU, after after:
	// now when asOf is zero, else at the end of day asOf (the stock
	// ledger's moves dated up to it), at today's standard costs.
	Valuation(ctx context.Context, asOf time.Time, pageSize int, after string) ([]ValuationRow, bool, error)
	// ValuationTotals returns the value of all stock on hand per currency,
	// by currency code, now or at the end of day asOf (as Valuation): the
	// sums of ValuationRow.Value over every item.
	ValuationTotals(ctx context.Context, asOf time.Time) ([]money.Money, error)
}
