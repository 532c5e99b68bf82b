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

		erpv1.ItemService_CreateItem_FullMethodName:      itemKeepers,
		erpv1.ItemService_GetItem_FullMethodName:         readers,
		erpv1.ItemService_ListItems_FullMethodName:       readers,
		erpv1.ItemService_UpdateItem_FullMethodName:      itemKeepers,
		erpv1.ItemService_GetAvailability_FullMethodName: readers,

		erpv1.WarehouseService_ListWarehouses_FullMethodName:    readers,
		erpv1.WarehouseService_GetWarehouse_FullMethodName:      readers,
		erpv1.WarehouseService_CreateWarehouse_FullMethodName:   {auth.Warehouse},
		erpv1.StockService_CreateStockAdjustment_FullMethodName: {auth.Warehouse},

		erpv1.SalesOrderService_CreateSalesOrder_FullMethodName:  orderTakers,
		erpv1.SalesOrderService_GetSalesOrder_FullMethodName:     readers,
		erpv1.SalesOrderService_ListSalesOrders_FullMethodName:   readers,
		erpv1.SalesOrderService_ConfirmSalesOrder_FullMethodName: orderTakers,
		erpv1.SalesOrderService_CancelSalesOrder_FullMethodName:  orderTakers,

		erpv1.EventService_ListEvents_FullMethodName:  {auth.Integration},
		erpv1.EventService_WatchEvents_FullMethodName: {auth.Integration},
	}
}
