package postgres

// MovesSQL is the query of a ListMoves page, for the plan test.
var MovesSQL = movesSQL

// PurchaseOrdersSQL is the query of a ListPurchaseOrders page, for the
// plan test.
var PurchaseOrdersSQL = purchaseOrdersSQL

// EntriesSQL is the query of a ListEntries page, for the plan test.
var EntriesSQL = entriesSQL

// CutAtHorizon decides a page of a read-through list.
var CutAtHorizon = cutAtHorizon

// BillsSQL is the query of a ListSupplierBills page, for the plan test.
var BillsSQL = billsSQL

// SupplierPaymentsSQL is the query of a ListSupplierPayments page, for
// the plan test.
var SupplierPaymentsSQL = supplierPaymentsSQL

// PayablesSQL is the query of a page of the payables report, for the
// plan test.
var PayablesSQL = payablesSQL

// CreditNotesSQL is the query of a ListCreditNotes page, for the plan
// test.
var CreditNotesSQL = creditNotesSQL
