package postgres

import (
	"context"
	"time"

	"github.com/seamhq/seam/erp-service/internal/payables"
	"github.com/seamhq/seam/erp-service/internal/reporting"
)

// MovesSQL is the query of a ListMoves page, for the plan test.
var MovesSQL = movesSQL

// PurchaseOrdersSQL is the query of a ListPurchaseOrders page, for the
// plan test.
var PurchaseOrdersSQL = purchaseOrdersSQL

// EntriesSQL is the query of a ListEntries page, for the plan test.
var EntriesSQL = entriesSQL

// CutAtHorizon decides a page of a read-through list.
var CutAtHorizon = cutAtHorizon

// SupplierCreditNotesSQL is the query of a ListSupplierCreditNotes page,
// for the plan test.
var SupplierCreditNotesSQL = supplierCreditNotesSQL

// BillsSQL is the query of a ListSupplierBills page, for the plan test.
var BillsSQL = billsSQL

// SupplierPaymentsSQL is the query of a ListSupplierPayments page, for
// the plan test.
var SupplierPaymentsSQL = supplierPaymentsSQL

// PayablesSQL is the query of a page of the payables report, for the
// plan test.
var PayablesSQL = payablesSQL

// PayablesAsOfSQL is the query of a page of the payables report from the
// bills' history, for the plan test.
var PayablesAsOfSQL = payablesAsOfSQL

// DatedAfterSQL tells whether a supplier payment or credit note is dated
// after a day, for the plan test.
const DatedAfterSQL = datedAfterSQL

// AgingDatedAfterSQL tells whether a payment is dated after $1, or $1 is
// closed (OpenAmounts then reads the invoices' history).
const AgingDatedAfterSQL = agingDatedAfterSQL

// PayablesFromHistory is Payables read from the bills' history whatever
// the day, to compare with the read of today's open bills.
func PayablesFromHistory(s *Store, ctx context.Context, q payables.ReportQuery) ([]payables.ReportRow, error) {
	return s.payables(ctx, q, true)
}

// ValuationAsOfSQL is the query of a page of the stock valuation as of
// day asOf, for the plan test.
func ValuationAsOfSQL(asOf time.Time, after string, pageSize int) (string, []any, error) {
	return valuationAsOfSQL, []any{after, pageSize + 1, asOf}, nil
}

// OpenAmountsFromHistory is OpenAmounts read from the invoices' history
// whatever the day, to compare with the read of today's open invoices.
func OpenAmountsFromHistory(s *Store, ctx context.Context, asOf time.Time, currency string, pageSize int, after string) ([]reporting.Open, bool, error) {
	return s.openAmounts(ctx, asOf, currency, pageSize, after, true)
}

// ReversalSQL looks up an entry's reversal, for the plan test.
const ReversalSQL = reversalSQL

// CreditNotesSQL is the query of a ListCreditNotes page, for the plan
// test.
var CreditNotesSQL = creditNotesSQL
