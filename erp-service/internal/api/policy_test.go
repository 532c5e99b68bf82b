package api_test

import (
	"context"
	"slices"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/seamhq/seam/erp-service/internal/api"
	"github.com/seamhq/seam/platform/auth"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
)

// Every RPC of every service the server registers has a policy entry, the
// policy names no other method, and every erp.v1 service is registered.
func TestPolicyCoversEveryRPC(t *testing.T) {
	t.Parallel()
	svc := api.Service(nil, nil, func(context.Context) error { return nil })
	s := grpc.NewServer()
	svc.Register(s)
	policy := api.Policy()
	var registered []string
	for name, info := range s.GetServiceInfo() {
		for _, m := range info.Methods {
			full := "/" + name + "/" + m.Name
			registered = append(registered, full)
			if len(policy[full]) == 0 {
				t.Errorf("%s has no policy entry", full)
			}
		}
	}
	for _, m := range policy.Methods() {
		if !slices.Contains(registered, m) {
			t.Errorf("policy names %s, which is not served", m)
		}
	}
	files := []protoreflect.FileDescriptor{
		erpv1.File_erp_v1_customer_proto, erpv1.File_erp_v1_item_proto, erpv1.File_erp_v1_stock_proto,
		erpv1.File_erp_v1_sales_order_proto, erpv1.File_erp_v1_event_proto,
		erpv1.File_erp_v1_shipment_proto, erpv1.File_erp_v1_ledger_proto, erpv1.File_erp_v1_invoice_proto,
		erpv1.File_erp_v1_payment_proto, erpv1.File_erp_v1_report_proto, erpv1.File_erp_v1_purchasing_proto, erpv1.File_erp_v1_planning_proto,
	}
	for _, f := range files {
		for i := range f.Services().Len() {
			sd := f.Services().Get(i)
			for j := range sd.Methods().Len() {
				full := "/" + string(sd.FullName()) + "/" + string(sd.Methods().Get(j).Name())
				if !slices.Contains(registered, full) {
					t.Errorf("%s is in the contract but not served", full)
				}
			}
		}
	}
}

func TestPolicyTable(t *testing.T) {
	t.Parallel()
	p := api.Policy()
	tests := []struct {
		method string
		role   auth.Role
		want   bool
	}{
		{erpv1.CustomerService_UpdateCustomer_FullMethodName, auth.Finance, true},
		{erpv1.CustomerService_UpdateCustomer_FullMethodName, auth.Sales, false},
		{erpv1.CustomerService_CreateCustomer_FullMethodName, auth.Sales, true},
		{erpv1.CustomerService_CreateCustomer_FullMethodName, auth.Warehouse, false},
		{erpv1.CustomerService_SyncCustomer_FullMethodName, auth.Integration, true},
		{erpv1.CustomerService_SyncCustomer_FullMethodName, auth.Finance, false},
		{erpv1.CustomerService_GetCustomer_FullMethodName, auth.Service, true},
		{erpv1.ItemService_CreateItem_FullMethodName, auth.Integration, true},
		{erpv1.ItemService_UpdateItem_FullMethodName, auth.Sales, false},
		{erpv1.StockService_CreateStockAdjustment_FullMethodName, auth.Warehouse, true},
		{erpv1.StockService_CreateStockAdjustment_FullMethodName, auth.Sales, false},
		{erpv1.WarehouseService_CreateWarehouse_FullMethodName, auth.Integration, false},
		{erpv1.SalesOrderService_ConfirmSalesOrder_FullMethodName, auth.Sales, true},
		{erpv1.SalesOrderService_CancelSalesOrder_FullMethodName, auth.Warehouse, false},
		{erpv1.SalesOrderService_ListSalesOrders_FullMethodName, auth.Warehouse, true},
		{erpv1.ShipmentService_CreateShipment_FullMethodName, auth.Warehouse, true},
		{erpv1.ShipmentService_CreateShipment_FullMethodName, auth.Sales, false},
		{erpv1.ShipmentService_CreateShipment_FullMethodName, auth.Integration, false},
		{erpv1.ShipmentService_ListShipments_FullMethodName, auth.Service, true},
		{erpv1.InvoiceService_CreateInvoice_FullMethodName, auth.Finance, true},
		{erpv1.InvoiceService_CreateInvoice_FullMethodName, auth.Sales, false},
		{erpv1.InvoiceService_GetInvoice_FullMethodName, auth.Service, true},
		{erpv1.InvoiceService_ListInvoices_FullMethodName, auth.Warehouse, false},
		{erpv1.InvoiceService_MarkOverdueInvoices_FullMethodName, auth.Integration, false},
		{erpv1.InvoiceService_VoidInvoice_FullMethodName, auth.Finance, true},
		{erpv1.PaymentService_CreatePayment_FullMethodName, auth.Finance, true},
		{erpv1.PaymentService_CreatePayment_FullMethodName, auth.Integration, false},
		{erpv1.PaymentService_ReversePayment_FullMethodName, auth.Sales, false},
		{erpv1.PaymentService_GetPayment_FullMethodName, auth.Service, true},
		{erpv1.PaymentService_ListPayments_FullMethodName, auth.Warehouse, false},
		{erpv1.CustomerService_GetCustomerBalance_FullMethodName, auth.Warehouse, false},
		{erpv1.CustomerService_ListCustomerBalances_FullMethodName, auth.Warehouse, false},
		{erpv1.CustomerService_GetCustomerBalance_FullMethodName, auth.Sales, true},
		{erpv1.CustomerService_ListCustomerBalances_FullMethodName, auth.Integration, true},
		{erpv1.ReportService_GetArAging_FullMethodName, auth.Finance, true},
		{erpv1.ReportService_GetArAging_FullMethodName, auth.Sales, false},
		{erpv1.LedgerService_ListJournalEntries_FullMethodName, auth.Finance, true},
		{erpv1.LedgerService_ListJournalEntries_FullMethodName, auth.Sales, false},
		{erpv1.LedgerService_GetTrialBalance_FullMethodName, auth.Warehouse, false},
		{erpv1.ReportService_GetStockValuation_FullMethodName, auth.Warehouse, true},
		{erpv1.ReportService_GetStockValuation_FullMethodName, auth.Finance, true},
		{erpv1.ReportService_GetStockValuation_FullMethodName, auth.Sales, false},
		{erpv1.ReportService_GetStockValuation_FullMethodName, auth.Integration, false},
		{erpv1.ReportService_GetArAging_FullMethodName, auth.Warehouse, false},
		{erpv1.LedgerService_ListJournalEntries_FullMethodName, auth.Warehouse, false},
		{erpv1.EventService_WatchEvents_FullMethodName, auth.Integration, true},
		{erpv1.EventService_ListEvents_FullMethodName, auth.Sales, false},
		{erpv1.EventService_ListEvents_FullMethodName, auth.Admin, true},
		{erpv1.SalesOrderService_ReleaseCreditHold_FullMethodName, auth.Finance, true},
		{erpv1.SalesOrderService_ReleaseCreditHold_FullMethodName, auth.Sales, false},
		{erpv1.SalesOrderService_ReleaseCreditHold_FullMethodName, auth.Integration, false},
		{erpv1.SalesOrderService_AmendSalesOrder_FullMethodName, auth.Integration, true},
		{erpv1.SalesOrderService_AmendSalesOrder_FullMethodName, auth.Finance, true},
		{erpv1.SalesOrderService_AmendSalesOrder_FullMethodName, auth.Warehouse, false},
		{erpv1.PlanningService_ListReorderSuggestions_FullMethodName, auth.Warehouse, true},
		{erpv1.PlanningService_ListReorderSuggestions_FullMethodName, auth.Finance, true},
		{erpv1.PlanningService_ListReorderSuggestions_FullMethodName, auth.Sales, false},
		{erpv1.PlanningService_SetPipelineDemand_FullMethodName, auth.Integration, true},
		{erpv1.PlanningService_SetPipelineDemand_FullMethodName, auth.Warehouse, false},
		// Payables are finance's (and admin's): the warehouse receives the
		// goods but neither records nor reads what is owed for them.
		{erpv1.PayablesService_CreateSupplierBill_FullMethodName, auth.Finance, true},
		{erpv1.PayablesService_CreateSupplierBill_FullMethodName, auth.Admin, true},
		{erpv1.PayablesService_CreateSupplierBill_FullMethodName, auth.Warehouse, false},
		{erpv1.PayablesService_CreateSupplierBill_FullMethodName, auth.Sales, false},
		{erpv1.PayablesService_CreateSupplierPayment_FullMethodName, auth.Finance, true},
		{erpv1.PayablesService_CreateSupplierPayment_FullMethodName, auth.Warehouse, false},
		{erpv1.PayablesService_CreateSupplierPayment_FullMethodName, auth.Integration, false},
		{erpv1.PayablesService_GetSupplierBill_FullMethodName, auth.Warehouse, false},
		{erpv1.PayablesService_ListSupplierBills_FullMethodName, auth.Finance, true},
		{erpv1.PayablesService_ListSupplierBills_FullMethodName, auth.Warehouse, false},
		{erpv1.PayablesService_GetSupplierPayment_FullMethodName, auth.Warehouse, false},
		{erpv1.PayablesService_ListSupplierPayments_FullMethodName, auth.Finance, true},
		{erpv1.PayablesService_ListSupplierPayments_FullMethodName, auth.Admin, true},
		{erpv1.PayablesService_ListSupplierPayments_FullMethodName, auth.Warehouse, false},
		{erpv1.PayablesService_ListSupplierPayments_FullMethodName, auth.Sales, false},
		{erpv1.PayablesService_GetPayablesReport_FullMethodName, auth.Finance, true},
		{erpv1.PayablesService_GetPayablesReport_FullMethodName, auth.Warehouse, false},
		{erpv1.SupplierService_CreateSupplier_FullMethodName, auth.Warehouse, true},
		{erpv1.SupplierService_CreateSupplier_FullMethodName, auth.Finance, false},
		{erpv1.SupplierService_ListSuppliers_FullMethodName, auth.Finance, true},
		{erpv1.SupplierService_GetSupplier_FullMethodName, auth.Sales, false},
		{erpv1.PurchaseOrderService_CreatePurchaseOrder_FullMethodName, auth.Warehouse, true},
		{erpv1.PurchaseOrderService_CreatePurchaseOrder_FullMethodName, auth.Sales, false},
		{erpv1.PurchaseOrderService_GetPurchaseOrder_FullMethodName, auth.Finance, true},
		{erpv1.PurchaseOrderService_ReceivePurchaseOrder_FullMethodName, auth.Warehouse, true},
		{erpv1.PurchaseOrderService_ReceivePurchaseOrder_FullMethodName, auth.Finance, false},
		{erpv1.PurchaseOrderService_ReceivePurchaseOrder_FullMethodName, auth.Integration, false},
		{erpv1.PurchaseOrderService_ReturnPurchaseOrder_FullMethodName, auth.Warehouse, true},
		{erpv1.PurchaseOrderService_ReturnPurchaseOrder_FullMethodName, auth.Finance, false},
		{erpv1.PurchaseOrderService_ReturnPurchaseOrder_FullMethodName, auth.Integration, false},
	}
	for _, tt := range tests {
		if got := p.Allow(tt.method, []auth.Role{tt.role}); got != tt.want {
			t.Errorf("%s by %s: allowed %v, want %v", tt.method, tt.role, got, tt.want)
		}
	}
}
