package api_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/seamhq/seam/erp-service/internal/catalog"
	"github.com/seamhq/seam/erp-service/internal/customer"
	"github.com/seamhq/seam/erp-service/internal/payment"
	"github.com/seamhq/seam/erp-service/internal/purchasing"
	"github.com/seamhq/seam/erp-service/internal/sales"
	"github.com/seamhq/seam/erp-service/internal/shipping"
	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/listing/listingtest"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
	moneyv1 "github.com/seamhq/seam/proto/money/v1"
)

// Orders and invoices of hundreds of lines at the largest page size would
// make a page above the 4 MiB a gRPC client accepts by default, which it
// refuses (RESOURCE_EXHAUSTED) however often it asks: the lists end such a
// page early instead, and their tokens continue after their last item, so
// every page arrives and every order and invoice comes once.
func TestLargeOrderPagesFitDefaultClients(t *testing.T) {
	t.Parallel()
	e := start(t)
	e.seed()
	ctx := as(t, auth.Integration)
	// The longest SKU makes each line, so each order and invoice, as
	// large as it gets: fewer of them fill the pages.
	sku := "W-" + strings.Repeat("9", catalog.MaxSKULength-2)
	if _, err := e.items.CreateItem(as(t, auth.Warehouse), &erpv1.CreateItemRequest{Item: &erpv1.Item{
		Sku: sku, Name: "Long widget", ListPrice: &moneyv1.Money{CurrencyCode: "EUR", Amount: "10.00"},
	}}); err != nil {
		t.Fatal(err)
	}
	lines := make([]*erpv1.SalesOrderLine, sales.MaxLines)
	for i := range lines {
		lines[i] = &erpv1.SalesOrderLine{Sku: sku, Quantity: fmt.Sprint(i + 1)}
	}
	// Invoiced as a whole on confirm, with nothing shipped.
	c, err := e.customers.CreateCustomer(ctx, &erpv1.CreateCustomerRequest{Customer: &erpv1.Customer{
		Name: "Whole orders", InvoicePolicy: erpv1.InvoicePolicy_INVOICE_POLICY_WHOLE_ORDER,
	}})
	if err != nil {
		t.Fatal(err)
	}
	cid := c.GetId()
	create := func() error {
		o, err := e.orders.CreateSalesOrder(ctx, &erpv1.CreateSalesOrderRequest{Confirm: true, SalesOrder: &erpv1.SalesOrder{
			CustomerId: cid, CurrencyCode: "EUR", Lines: lines,
		}})
		if err != nil {
			return err
		}
		_, err = e.invoices.CreateInvoice(as(t, auth.Finance), &erpv1.CreateInvoiceRequest{Invoice: &erpv1.Invoice{SalesOrderId: o.GetId()}})
		return err
	}
	one, err := e.orders.CreateSalesOrder(ctx, &erpv1.CreateSalesOrderRequest{Confirm: true, SalesOrder: &erpv1.SalesOrder{
		CustomerId: cid, CurrencyCode: "EUR", Lines: lines,
	}})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := e.invoices.CreateInvoice(as(t, auth.Finance), &erpv1.CreateInvoiceRequest{Invoice: &erpv1.Invoice{SalesOrderId: one.GetId()}})
	if err != nil {
		t.Fatal(err)
	}
	// Orders and invoices each together above 4 MiB.
	n := (4<<20)/min(proto.Size(one), proto.Size(inv)) + 1
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Go(func() {
			for i := w + 1; i < n; i += 2 {
				if err := create(); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()

	listingtest.ReadThrough(t, n, func(token string) (listingtest.Page, error) {
		resp, err := e.orders.ListSalesOrders(ctx, &erpv1.ListSalesOrdersRequest{PageSize: 1000, PageToken: token})
		p := listingtest.Page{Size: proto.Size(resp), Next: resp.GetNextPageToken()}
		for _, o := range resp.GetSalesOrders() {
			p.Keys = append(p.Keys, o.GetId())
		}
		return p, err
	})
	listingtest.ReadThrough(t, n, func(token string) (listingtest.Page, error) {
		resp, err := e.invoices.ListInvoices(as(t, auth.Finance), &erpv1.ListInvoicesRequest{PageSize: 1000, PageToken: token})
		p := listingtest.Page{Size: proto.Size(resp), Next: resp.GetNextPageToken()}
		for _, inv := range resp.GetInvoices() {
			p.Keys = append(p.Keys, inv.GetId())
		}
		return p, err
	})
}

// Shipments and purchase orders of many lines, payments of many
// allocations and customers owing in many currencies under long names
// would make pages above the 4 MiB a gRPC client accepts by default: each
// list ends such a page early and its token continues after its last item
// (after its last customer for the aging report, which never splits one),
// so every page arrives and every item comes once. The rows are written
// straight into the tables: only the lists are under test.
func TestLargeListPagesFitDefaultClients(t *testing.T) {
	t.Parallel()
	e := start(t)
	ctx := as(t, auth.Admin)
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := e.pool.Exec(context.Background(), sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	sku := "W-" + strings.Repeat("9", catalog.MaxSKULength-2)
	// A name of the most characters, of four bytes each.
	name := strings.Repeat("\U0001D538", customer.MaxNameLength)
	exec(`INSERT INTO items (sku, name, unit_of_measure, currency_code, list_price) VALUES ($1, 'Long widget', 'pcs', 'EUR', 10)`, sku)
	exec(`INSERT INTO customers (id, name, currency_code) VALUES ('00000000-0000-4000-8000-000000000001', 'Payer', 'EUR')`)
	exec(`INSERT INTO sales_orders (id, number, customer_id, currency_code, status, total)
		VALUES ('00000000-0000-4000-8000-000000000002', 'SO-LARGE', '00000000-0000-4000-8000-000000000001', 'EUR', 'SHIPPED', 0)`)
	exec(`INSERT INTO suppliers (id, name, currency_code) VALUES ('00000000-0000-4000-8000-000000000003', 'Supplier', 'EUR')`)

	reports := erpv1.NewReportServiceClient(e.conn)
	purchaseOrders := erpv1.NewPurchaseOrderServiceClient(e.conn)
	tests := []struct {
		name string
		// seed writes the rows and returns how many items the list has.
		seed func() int
		list func(token string) (listingtest.Page, error)
	}{
		{
			name: "shipments",
			seed: func() int {
				exec(`INSERT INTO shipments (id, order_id, actor)
					SELECT gen_random_uuid(), '00000000-0000-4000-8000-000000000002', 'test' FROM generate_series(1, 100)`)
				exec(`INSERT INTO shipment_lines (shipment_id, line_number, warehouse, sku, quantity, cost, cost_currency)
					SELECT s.id, n, 'MAIN', $1, n, n * 1.25, 'EUR' FROM shipments s, generate_series(1, $2::int) n`, sku, shipping.MaxLines)
				return 100
			},
			list: func(token string) (listingtest.Page, error) {
				resp, err := e.shipments.ListShipments(ctx, &erpv1.ListShipmentsRequest{PageSize: 1000, PageToken: token})
				p := listingtest.Page{Size: proto.Size(resp), Next: resp.GetNextPageToken()}
				for _, s := range resp.GetShipments() {
					p.Keys = append(p.Keys, s.GetId())
				}
				return p, err
			},
		},
		{
			name: "purchase orders",
			seed: func() int {
				exec(`INSERT INTO purchase_orders (id, number, supplier_id, currency_code, status, total)
					SELECT gen_random_uuid(), 'PO-LARGE-' || n, '00000000-0000-4000-8000-000000000003', 'EUR', 'ORDERED', 0
					FROM generate_series(1, 100) n`)
				exec(`INSERT INTO purchase_order_lines (order_id, line_number, sku, quantity, unit_cost, expected_date, amount)
					SELECT o.id, n, $1, n, 1.25, DATE '2030-01-01' + n, n * 1.25
					FROM purchase_orders o, generate_series(1, $2::int) n`, sku, purchasing.MaxLines)
				return 100
			},
			list: func(token string) (listingtest.Page, error) {
				resp, err := purchaseOrders.ListPurchaseOrders(ctx, &erpv1.ListPurchaseOrdersRequest{PageSize: 1000, PageToken: token})
				p := listingtest.Page{Size: proto.Size(resp), Next: resp.GetNextPageToken()}
				for _, o := range resp.GetPurchaseOrders() {
					p.Keys = append(p.Keys, o.GetId())
				}
				return p, err
			},
		},
		{
			name: "payments",
			seed: func() int {
				exec(`INSERT INTO invoices (id, number, order_id, customer_id, currency_code, status, subtotal, tax_total, total, issue_date, due_date)
					SELECT gen_random_uuid(), 'INV-LARGE-' || n, '00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000001',
						'EUR', 'PAID', 1000, 0, 1000, DATE '2030-01-01', DATE '2030-02-01'
					FROM generate_series(1, $1::int) n`, payment.MaxAllocations)
				exec(`INSERT INTO payments (id, number, customer_id, currency_code, amount, unallocated, status, received_date, reference)
					SELECT gen_random_uuid(), 'PAY-LARGE-' || n, '00000000-0000-4000-8000-000000000001', 'EUR', 500000, 0, 'POSTED', DATE '2030-01-01', $1
					FROM generate_series(1, 160) n`, strings.Repeat("\U0001D538", payment.MaxReferenceLength))
				exec(`INSERT INTO payment_allocations (payment_id, invoice_id, amount)
					SELECT p.id, i.id, 1000 FROM payments p, invoices i WHERE i.number LIKE 'INV-LARGE-%'`)
				return 160
			},
			list: func(token string) (listingtest.Page, error) {
				resp, err := e.payments.ListPayments(ctx, &erpv1.ListPaymentsRequest{PageSize: 1000, PageToken: token})
				p := listingtest.Page{Size: proto.Size(resp), Next: resp.GetNextPageToken()}
				for _, pay := range resp.GetPayments() {
					p.Keys = append(p.Keys, pay.GetId())
				}
				return p, err
			},
		},
		{
			name: "receivables aging",
			seed: func() int {
				exec(`INSERT INTO customers (id, name, currency_code)
					SELECT gen_random_uuid(), $1, 'EUR' FROM generate_series(1, 1000)`, name)
				exec(`INSERT INTO sales_orders (id, number, customer_id, currency_code, status, total)
					SELECT gen_random_uuid(), 'SO-AGING-' || c.id, c.id, 'EUR', 'INVOICED', 0 FROM customers c WHERE c.name = $1`, name)
				exec(`INSERT INTO invoices (id, number, order_id, customer_id, currency_code, status, subtotal, tax_total, total, issue_date, due_date)
					SELECT gen_random_uuid(), 'INV-AGING-' || o.id || '-' || cur, o.id, o.customer_id, cur, 'OPEN', 100, 0, 100,
						DATE '2000-01-01', DATE '2000-02-01'
					FROM sales_orders o, unnest(ARRAY['EUR', 'USD', 'GBP', 'CHF', 'SEK']) cur WHERE o.number LIKE 'SO-AGING-%'`)
				return 5000
			},
			list: func(token string) (listingtest.Page, error) {
				resp, err := reports.GetArAging(ctx, &erpv1.GetArAgingRequest{AsOfDate: "2001-01-01", PageSize: 1000, PageToken: token})
				p := listingtest.Page{Size: proto.Size(resp), Next: resp.GetNextPageToken()}
				for _, r := range resp.GetRows() {
					p.Keys = append(p.Keys, r.GetCustomerId()+"/"+r.GetCurrencyCode())
				}
				return p, err
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			listingtest.ReadThrough(t, tt.seed(), tt.list)
		})
	}
}
