package api

import (
	"github.com/seamhq/seam/platform/auth"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
)

// Role sets of the policy. Admin may call everything (auth.Policy).
var (
	// readers may read every resource.
	readers = []auth.Role{auth.Sales, auth.Service, auth.Finance, auth.Warehouse, auth.Integration}
	// orderTakers create, confirm and cancel sales orders.
	orderTakers = []auth.Role{auth.Sales, auth.Finance, auth.Integration}
	// itemKeepers maintain the item master.
	itemKeepers = []auth.Role{auth.Warehouse, auth.Integration}
	// moneyReaders read invoices and payments: finance, sales and service
	// who answer customers' questions about them, and the bridge, which
	// reconciles payment status.
	moneyReaders = []auth.Role{auth.Finance, auth.Sales, auth.Service, auth.Integration}
	// ledgerReaders read the general ledger and its reports.
	ledgerReaders = []auth.Role{auth.Finance}
	// buyers maintain suppliers and purchase orders; purchaseReaders read
	// them (finance matches supplier invoices against them).
	buyers          = []auth.Role{auth.Warehouse}
	purchaseReaders = []auth.Role{auth.Warehouse, auth.Finance}
	// payablesKeepers record suppliers' bills and pay them: finance only
	// (admin too, as everywhere). The warehouse receives goods but has no
	// say in what is owed or paid for them.
	payablesKeepers = []auth.Role{auth.Finance}
)

// Policy lists the roles allowed to call each RPC of the ERP.
func Policy() auth.Policy {
	return auth.Policy{
		erpv1.CustomerService_CreateCustomer_FullMethodName: {auth.Sales, auth.Finance, auth.Integration},
		erpv1.CustomerService_GetCustomer_FullMethodName:    readers,
		erpv1.CustomerService_ListCustomers_FullMethodName:  readers,
		// Credit limits and payment terms are finance's business.
		erpv1.CustomerService_UpdateCustomer_FullMethodName: {auth.Finance},
		// Only the bridge mirrors CRM accounts.
		erpv1.CustomerService_SyncCustomer_FullMethodName: {auth.Integration},
		// A balance is what the customer's invoices and payments add up
		// to: whoever may not read those may not read it either.
		erpv1.CustomerService_GetCustomerBalance_FullMethodName:   moneyReaders,
		erpv1.CustomerService_ListCustomerBalances_FullMethodName: moneyReaders,

		erpv1.ItemService_CreateItem_FullMethodName:      itemKeepers,
		erpv1.ItemService_GetItem_FullMethodName:         readers,
		erpv1.ItemService_ListItems_FullMethodName:       readers,
		erpv1.ItemService_UpdateItem_FullMethodName:      itemKeepers,
		erpv1.ItemService_GetAvailability_FullMethodName: readers,

		erpv1.WarehouseService_ListWarehouses_FullMethodName:    readers,
		erpv1.WarehouseService_GetWarehouse_FullMethodName:      readers,
		erpv1.WarehouseService_CreateWarehouse_FullMethodName:   {auth.Warehouse},
		erpv1.StockService_CreateStockAdjustment_FullMethodName: {auth.Warehouse},
		erpv1.StockService_CreateStockTransfer_FullMethodName:   {auth.Warehouse},
		erpv1.StockService_GetStockAdjustment_FullMethodName:    readers,
		erpv1.StockService_GetStockTransfer_FullMethodName:      readers,
		erpv1.StockService_ListStockMoves_FullMethodName:        readers,

		erpv1.SalesOrderService_CreateSalesOrder_FullMethodName:  orderTakers,
		erpv1.SalesOrderService_GetSalesOrder_FullMethodName:     readers,
		erpv1.SalesOrderService_ListSalesOrders_FullMethodName:   readers,
		erpv1.SalesOrderService_ConfirmSalesOrder_FullMethodName: orderTakers,
		erpv1.SalesOrderService_CancelSalesOrder_FullMethodName:  orderTakers,
		erpv1.SalesOrderService_AmendSalesOrder_FullMethodName:   orderTakers,
		// Only finance lifts a credit hold.
		erpv1.SalesOrderService_ReleaseCreditHold_FullMethodName: {auth.Finance},

		// The warehouse ships; everyone who reads orders may read shipments.
		erpv1.ShipmentService_CreateShipment_FullMethodName: {auth.Warehouse},
		erpv1.ShipmentService_GetShipment_FullMethodName:    readers,
		erpv1.ShipmentService_ListShipments_FullMethodName:  readers,

		erpv1.InvoiceService_CreateInvoice_FullMethodName:       {auth.Finance},
		erpv1.InvoiceService_GetInvoice_FullMethodName:          moneyReaders,
		erpv1.InvoiceService_ListInvoices_FullMethodName:        moneyReaders,
		erpv1.InvoiceService_VoidInvoice_FullMethodName:         {auth.Finance},
		erpv1.InvoiceService_MarkOverdueInvoices_FullMethodName: {auth.Finance},
		// Credit notes are finance's; sales reads them to answer customers.
		erpv1.InvoiceService_CreateCreditNote_FullMethodName: {auth.Finance},
		erpv1.InvoiceService_GetCreditNote_FullMethodName:    {auth.Finance, auth.Sales},
		erpv1.InvoiceService_ListCreditNotes_FullMethodName:  {auth.Finance, auth.Sales},

		erpv1.PaymentService_CreatePayment_FullMethodName:  {auth.Finance},
		erpv1.PaymentService_GetPayment_FullMethodName:     moneyReaders,
		erpv1.PaymentService_ListPayments_FullMethodName:   moneyReaders,
		erpv1.PaymentService_ReversePayment_FullMethodName: {auth.Finance},
		// Applying and refunding credit move receivables: finance's.
		erpv1.PaymentService_ApplyPaymentCredit_FullMethodName:  {auth.Finance},
		erpv1.PaymentService_RefundPaymentCredit_FullMethodName: {auth.Finance},

		erpv1.LedgerService_ListJournalEntries_FullMethodName: ledgerReaders,
		erpv1.LedgerService_GetTrialBalance_FullMethodName:    ledgerReaders,
		erpv1.LedgerService_ExportTrialBalance_FullMethodName: ledgerReaders,
		erpv1.LedgerService_ExportJournal_FullMethodName:      ledgerReaders,
		// Everyone whose postings a closed period refuses may see how
		// far the books are closed.
		erpv1.LedgerService_GetLedgerPeriod_FullMethodName:         readers,
		erpv1.LedgerService_ListLedgerPeriodChanges_FullMethodName: ledgerReaders,
		// Finance closes periods; only admin reopens one.
		erpv1.LedgerService_CloseLedgerPeriod_FullMethodName:  {auth.Finance},
		erpv1.LedgerService_ReopenLedgerPeriod_FullMethodName: {auth.Admin},
		// Manual entries and their reversals are finance's (admin too).
		erpv1.LedgerService_CreateJournalEntry_FullMethodName:  {auth.Finance},
		erpv1.LedgerService_ReverseJournalEntry_FullMethodName: {auth.Finance},
		erpv1.ReportService_GetArAging_FullMethodName:          ledgerReaders,
		// The value of the stock on hand, per item: the warehouse manager
		// answers for it as finance does (the journal stays finance's).
		erpv1.ReportService_GetStockValuation_FullMethodName: {auth.Finance, auth.Warehouse},
		// Sales management reads sales by customer and item too.
		erpv1.ReportService_GetSalesReport_FullMethodName: {auth.Finance, auth.Sales},

		erpv1.SupplierService_CreateSupplier_FullMethodName: buyers,
		erpv1.SupplierService_GetSupplier_FullMethodName:    purchaseReaders,
		erpv1.SupplierService_ListSuppliers_FullMethodName:  purchaseReaders,
		erpv1.SupplierService_UpdateSupplier_FullMethodName: buyers,

		erpv1.PurchaseOrderService_CreatePurchaseOrder_FullMethodName:  buyers,
		erpv1.PurchaseOrderService_GetPurchaseOrder_FullMethodName:     purchaseReaders,
		erpv1.PurchaseOrderService_ListPurchaseOrders_FullMethodName:   purchaseReaders,
		erpv1.PurchaseOrderService_OrderPurchaseOrder_FullMethodName:   buyers,
		erpv1.PurchaseOrderService_CancelPurchaseOrder_FullMethodName:  buyers,
		erpv1.PurchaseOrderService_ReceivePurchaseOrder_FullMethodName: {auth.Warehouse},
		// Goods go back to the supplier out of the warehouse, as they came in.
		erpv1.PurchaseOrderService_ReturnPurchaseOrder_FullMethodName: {auth.Warehouse},

		erpv1.PayablesService_CreateSupplierBill_FullMethodName:       payablesKeepers,
		erpv1.PayablesService_ReverseSupplierPayment_FullMethodName:   payablesKeepers,
		erpv1.PayablesService_GetSupplierBill_FullMethodName:          payablesKeepers,
		erpv1.PayablesService_ListSupplierBills_FullMethodName:        payablesKeepers,
		erpv1.PayablesService_CreateSupplierPayment_FullMethodName:    payablesKeepers,
		erpv1.PayablesService_GetSupplierPayment_FullMethodName:       payablesKeepers,
		erpv1.PayablesService_ListSupplierPayments_FullMethodName:     payablesKeepers,
		erpv1.PayablesService_GetPayablesReport_FullMethodName:        payablesKeepers,
		erpv1.PayablesService_CreateSupplierCreditNote_FullMethodName: payablesKeepers,
		erpv1.PayablesService_GetSupplierCreditNote_FullMethodName:    payablesKeepers,
		erpv1.PayablesService_ListSupplierCreditNotes_FullMethodName:  payablesKeepers,

		erpv1.PlanningService_ListReorderSuggestions_FullMethodName: {auth.Warehouse, auth.Finance},
		// Only the bridge sends pipeline demand.
		erpv1.PlanningService_SetPipelineDemand_FullMethodName: {auth.Integration},

		erpv1.EventService_ListEvents_FullMethodName:  {auth.Integration},
		erpv1.EventService_WatchEvents_FullMethodName: {auth.Integration},
	}
}
