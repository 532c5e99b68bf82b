package api_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/seamhq/seam/erp-service/internal/catalog"
	"github.com/seamhq/seam/erp-service/internal/sales"
	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/listing"
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

	seen := map[string]bool{}
	token := ""
	for page := 0; ; page++ {
		resp, err := e.orders.ListSalesOrders(ctx, &erpv1.ListSalesOrdersRequest{PageSize: 1000, PageToken: token})
		if err != nil {
			t.Fatalf("page %d: %v", page, err)
		}
		if size := proto.Size(resp); size > listing.MaxPageBytes+1024 {
			t.Errorf("page %d is %d bytes", page, size)
		}
		for _, o := range resp.SalesOrders {
			if seen[o.Id] {
				t.Errorf("order %s listed twice", o.Id)
			}
			seen[o.Id] = true
		}
		if token = resp.NextPageToken; token == "" {
			break
		}
	}
	if len(seen) != n {
		t.Errorf("listed %d orders, created %d", len(seen), n)
	}

	invoiced := map[string]bool{}
	token = ""
	for page := 0; ; page++ {
		resp, err := e.invoices.ListInvoices(as(t, auth.Finance), &erpv1.ListInvoicesRequest{PageSize: 1000, PageToken: token})
		if err != nil {
			t.Fatalf("invoice page %d: %v", page, err)
		}
		if size := proto.Size(resp); size > listing.MaxPageBytes+1024 {
			t.Errorf("invoice page %d is %d bytes", page, size)
		}
		for _, inv := range resp.Invoices {
			if invoiced[inv.Id] {
				t.Errorf("invoice %s listed twice", inv.Id)
			}
			invoiced[inv.Id] = true
		}
		if token = resp.NextPageToken; token == "" {
			break
		}
	}
	if len(invoiced) != n {
		t.Errorf("listed %d invoices, created %d", len(invoiced), n)
	}
}
