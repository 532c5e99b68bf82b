// Package api serves the erp.v1 gRPC services (and through the gateway
// their REST routes): it converts between the wire and the domain, checks
// requests, and calls the domain's stores. The permission policy of every
// RPC lives here too.
package api

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/seamhq/seam/erp-service/internal/catalog"
	"github.com/seamhq/seam/erp-service/internal/customer"
	"github.com/seamhq/seam/erp-service/internal/invoicing"
	"github.com/seamhq/seam/erp-service/internal/ledger"
	"github.com/seamhq/seam/erp-service/internal/payables"
	"github.com/seamhq/seam/erp-service/internal/payment"
	"github.com/seamhq/seam/erp-service/internal/planning"
	"github.com/seamhq/seam/erp-service/internal/purchasing"
	"github.com/seamhq/seam/erp-service/internal/reporting"
	"github.com/seamhq/seam/erp-service/internal/sales"
	"github.com/seamhq/seam/erp-service/internal/shipping"
	"github.com/seamhq/seam/erp-service/internal/stock"
	"github.com/seamhq/seam/platform/feed"
	"github.com/seamhq/seam/platform/listing"
	"github.com/seamhq/seam/platform/server"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
	"github.com/seamhq/seam/proto/openapi"
)

// Stores is the storage the API needs.
type Stores interface {
	customer.Store
	catalog.Store
	stock.Store
	sales.Store
	shipping.Store
	ledger.Store
	invoicing.Store
	invoicing.CreditStore
	payment.Store
	reporting.Store
	reporting.SalesStore
	purchasing.Store
	planning.Store
	payables.Store
	payables.CreditStore
}

// Service describes the ERP API for server.New. ready reports readiness.
func Service(st Stores, events feed.Source, ready func(context.Context) error) server.Service {
	return server.Service{
		Name: "erp",
		Register: func(s grpc.ServiceRegistrar) {
			erpv1.RegisterCustomerServiceServer(s, &Customers{store: st, balances: st})
			erpv1.RegisterItemServiceServer(s, &Items{store: st, stock: st})
			erpv1.RegisterWarehouseServiceServer(s, &Warehouses{store: st})
			erpv1.RegisterStockServiceServer(s, &Stock{store: st})
			erpv1.RegisterSalesOrderServiceServer(s, &SalesOrders{store: st})
			erpv1.RegisterShipmentServiceServer(s, &Shipments{store: st})
			erpv1.RegisterInvoiceServiceServer(s, &Invoices{store: st, credits: st})
			erpv1.RegisterPaymentServiceServer(s, &Payments{store: st})
			erpv1.RegisterLedgerServiceServer(s, &Ledger{store: st})
			erpv1.RegisterReportServiceServer(s, &Reports{store: st, sales: st})
			erpv1.RegisterEventServiceServer(s, &Events{feed: events})
			erpv1.RegisterSupplierServiceServer(s, &Suppliers{store: st})
			erpv1.RegisterPurchaseOrderServiceServer(s, &PurchaseOrders{store: st})
			erpv1.RegisterPlanningServiceServer(s, &Planning{store: st})
			erpv1.RegisterPayablesServiceServer(s, &Payables{store: st, credits: st})
		},
		Gateways: []server.GatewayRegistrar{
			erpv1.RegisterCustomerServiceHandler,
			erpv1.RegisterItemServiceHandler,
			erpv1.RegisterWarehouseServiceHandler,
			erpv1.RegisterStockServiceHandler,
			erpv1.RegisterSalesOrderServiceHandler,
			erpv1.RegisterShipmentServiceHandler,
			erpv1.RegisterInvoiceServiceHandler,
			erpv1.RegisterPaymentServiceHandler,
			erpv1.RegisterLedgerServiceHandler,
			erpv1.RegisterReportServiceHandler,
			erpv1.RegisterEventServiceHandler,
			erpv1.RegisterSupplierServiceHandler,
			erpv1.RegisterPurchaseOrderServiceHandler,
			erpv1.RegisterPlanningServiceHandler,
			erpv1.RegisterPayablesServiceHandler,
		},
		OpenAPI:  openapi.ERP,
		OpenAPI3: openapi.ERP3,
		Policy:   Policy(),
		Ready:    ready,
	}
}

// newID returns a new resource id: a UUIDv7, so ids (and keyset pages)
// follow creation order.
func newID() (string, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return "", fmt.Errorf("new id: %w", err)
	}
	return id.String(), nil
}

// listRequest is the request of a list method.
type listRequest interface {
	proto.Message
	GetPageSize() int32
	GetPageToken() string
}

// listQuery is the query digest of a list's page tokens: the whole
// request but its paging fields (listing.RequestDigest: the list, its
// filter and parameters), and bound, what else the list was read by (a
// report's as-of date when the request left it to today), so that a
// token only continues the list and the query it came from.
func listQuery(req proto.Message, bound []string) string {
	return listing.QueryDigest(append([]string{listing.RequestDigest(req)}, bound...)...)
}

// page reads the paging fields of a list request.
func page(req listRequest, bound ...string) (n int, after string, err error) {
	n, err = listing.PageSize(req.GetPageSize())
	if err != nil {
		return 0, "", err
	}
	t, err := listing.DecodeToken(req.GetPageToken(), listQuery(req, bound))
	if err != nil {
		return 0, "", err
	}
	if t != nil {
		after = t.After[0]
	}
	return n, after, nil
}

// nextToken is the token of the page of req's list after the one ending
// with last.
func nextToken(req proto.Message, more bool, last string, bound ...string) string {
	if !more {
		return ""
	}
	return listing.Token{After: []string{last}, Query: listQuery(req, bound)}.Encode()
}
