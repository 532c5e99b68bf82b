package api_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/seamhq/seam/platform/auth"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
	moneyv1 "github.com/seamhq/seam/proto/money/v1"
)

func eurs(s string) *moneyv1.Money { return &moneyv1.Money{CurrencyCode: "EUR", Amount: s} }

// Invoices and payments over gRPC: auth, bad input, retries, etags, and
// the feed's payloads.
func TestInvoicesAndPaymentsGRPC(t *testing.T) {
	t.Parallel()
	e := start(t)
	cid := e.seed() // W-1 at 10.00, 5 on hand
	integ, wh, fin := as(t, auth.Integration), as(t, auth.Warehouse), as(t, auth.Finance)
	o, err := e.orders.CreateSalesOrder(integ, &erpv1.CreateSalesOrderRequest{SalesOrder: &erpv1.SalesOrder{
		CustomerId: cid, CurrencyCode: "EUR", Lines: []*erpv1.SalesOrderLine{{Sku: "W-1", Quantity: "3"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.orders.ConfirmSalesOrder(integ, &erpv1.ConfirmSalesOrderRequest{Id: o.GetId()}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.shipments.CreateShipment(wh, &erpv1.CreateShipmentRequest{Shipment: &erpv1.Shipment{SalesOrderId: o.GetId()}}); err != nil {
		t.Fatal(err)
	}

	if _, err := e.invoices.CreateInvoice(context.Background(), &erpv1.CreateInvoiceRequest{}); grpcCode(err) != codes.Unauthenticated {
		t.Errorf("no token: %v", err)
	}
	if _, err := e.invoices.CreateInvoice(wh, &erpv1.CreateInvoiceRequest{Invoice: &erpv1.Invoice{SalesOrderId: o.GetId()}}); grpcCode(err) != codes.PermissionDenied {
		t.Errorf("warehouse invoices: %v", err)
	}
	before := e.counts()
	for _, tc := range []struct {
		inv  *erpv1.Invoice
		want string
	}{
		{&erpv1.Invoice{}, "[invoice.sales_order_id]"},
		{&erpv1.Invoice{SalesOrderId: "x", IssueDate: "1.1.2026"}, "[invoice.issue_date]"},
		{&erpv1.Invoice{SalesOrderId: "01a203b0-7caf-7053-af7e-04f4937d386a"}, "[invoice.sales_order_id]"},
	} {
		_, err := e.invoices.CreateInvoice(fin, &erpv1.CreateInvoiceRequest{Invoice: tc.inv})
		if got := fmt.Sprint(grpcFields(t, err, codes.InvalidArgument)); got != tc.want {
			t.Errorf("CreateInvoice(%v): %s, want %s", tc.inv, got, tc.want)
		}
	}
	if after := e.counts(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("rejected invoices wrote: %v -> %v", before, after)
	}
	var inv *erpv1.Invoice
	for range 2 {
		got, err := e.invoices.CreateInvoice(fin, &erpv1.CreateInvoiceRequest{RequestId: "i-1", Invoice: &erpv1.Invoice{SalesOrderId: o.GetId()}})
		if err != nil {
			t.Fatal(err)
		}
		if inv != nil && got.GetId() != inv.GetId() {
			t.Errorf("retried invoice = %v", got)
		}
		inv = got
	}
	today := time.Now().UTC().Format(time.DateOnly)
	if inv.GetTotal().GetAmount() != "30.00" || inv.GetIssueDate() != today || inv.GetStatus() != erpv1.InvoiceStatus_INVOICE_STATUS_OPEN {
		t.Errorf("invoice = %v", inv)
	}
	if got, _ := e.orders.GetSalesOrder(integ, &erpv1.GetSalesOrderRequest{Id: o.GetId()}); got.GetStatus() != erpv1.SalesOrderStatus_SALES_ORDER_STATUS_INVOICED ||
		got.GetLines()[0].GetInvoicedQuantity() != "3" {
		t.Errorf("order = %v", got)
	}

	// Payments: bad input names fields; a retry returns the first.
	_, err = e.payments.CreatePayment(fin, &erpv1.CreatePaymentRequest{Payment: &erpv1.Payment{
		CustomerId: cid, Amount: eurs("10.001"), Allocations: []*erpv1.PaymentAllocation{{InvoiceId: inv.GetId()}},
	}})
	if got := fmt.Sprint(grpcFields(t, err, codes.InvalidArgument)); got != "[payment.amount.amount payment.allocations[0].amount]" {
		t.Errorf("bad payment: %s", got)
	}
	_, err = e.payments.CreatePayment(fin, &erpv1.CreatePaymentRequest{Payment: &erpv1.Payment{
		CustomerId: cid, Amount: eurs("40"), Allocations: []*erpv1.PaymentAllocation{{InvoiceId: inv.GetId(), Amount: eurs("30.01")}},
	}})
	if got := fmt.Sprint(grpcFields(t, err, codes.InvalidArgument)); got != "[payment.allocations[0].amount.amount]" {
		t.Errorf("more than open: %s", got)
	}
	var pm *erpv1.Payment
	for range 2 {
		got, err := e.payments.CreatePayment(fin, &erpv1.CreatePaymentRequest{RequestId: "p-1", Payment: &erpv1.Payment{
			CustomerId: cid, Amount: eurs("40"), Allocations: []*erpv1.PaymentAllocation{{InvoiceId: inv.GetId(), Amount: eurs("30")}},
		}})
		if err != nil {
			t.Fatal(err)
		}
		if pm != nil && got.GetId() != pm.GetId() {
			t.Errorf("retried payment = %v", got)
		}
		pm = got
	}
	if pm.GetUnallocatedAmount().GetAmount() != "10.00" || pm.GetReceivedDate() != today {
		t.Errorf("payment = %v", pm)
	}
	if got, _ := e.orders.GetSalesOrder(integ, &erpv1.GetSalesOrderRequest{Id: o.GetId()}); got.GetStatus() != erpv1.SalesOrderStatus_SALES_ORDER_STATUS_PAID {
		t.Errorf("order after payment = %v", got.GetStatus())
	}
	if _, err := e.invoices.VoidInvoice(fin, &erpv1.VoidInvoiceRequest{Id: inv.GetId()}); grpcCode(err) != codes.FailedPrecondition {
		t.Errorf("voiding a paid invoice: %v", err)
	}
	if _, err := e.payments.ReversePayment(fin, &erpv1.ReversePaymentRequest{Id: pm.GetId(), Etag: "2"}); grpcCode(err) != codes.Aborted {
		t.Errorf("stale etag: %v", err)
	}
	for range 2 {
		got, err := e.payments.ReversePayment(fin, &erpv1.ReversePaymentRequest{Id: pm.GetId(), Etag: `"1"`, RequestId: "r-1"})
		if err != nil || got.GetStatus() != erpv1.PaymentStatus_PAYMENT_STATUS_REVERSED || got.GetRevision() != 2 {
			t.Errorf("reverse = %v, %v", got, err)
		}
		// A reversed payment keeps its allocations, marked reversed, and
		// has no credit left.
		if al := got.GetAllocations(); len(al) != 1 || !al[0].GetReversed() || al[0].GetAmount().GetAmount() != "30.00" ||
			got.GetUnallocatedAmount().GetAmount() != "0.00" {
			t.Errorf("reversed payment = %v", got)
		}
	}
	if pm.GetAllocations()[0].GetReversed() {
		t.Errorf("a posted payment's allocation is marked reversed: %v", pm)
	}
	if _, err := e.payments.GetPayment(as(t, auth.Warehouse), &erpv1.GetPaymentRequest{Id: pm.GetId()}); grpcCode(err) != codes.PermissionDenied {
		t.Errorf("warehouse reads payments: %v", err)
	}

	// The feed carries the new resources with their versions.
	var evs []*erpv1.Event
	total := e.counts()["outbox_events"]
	for deadline := time.Now().Add(10 * time.Second); len(evs) < total && time.Now().Before(deadline); {
		resp, err := e.events.ListEvents(integ, &erpv1.ListEventsRequest{PageSize: 1000})
		if err != nil {
			t.Fatal(err)
		}
		evs = resp.GetEvents()
		time.Sleep(20 * time.Millisecond)
	}
	var got []string
	for _, ev := range evs {
		switch ev.GetType() {
		case "invoice.issued":
			got = append(got, fmt.Sprintf("%s v%d %s", ev.GetType(), ev.GetVersion(), ev.GetInvoice().GetTotal().GetAmount()))
		case "payment.received", "payment.reversed":
			got = append(got, fmt.Sprintf("%s v%d %s", ev.GetType(), ev.GetVersion(), ev.GetPayment().GetUnallocatedAmount().GetAmount()))
		case "customer.balance_changed":
			b := ev.GetCustomerBalance()
			got = append(got, fmt.Sprintf("%s v%d %s/%s/%s", ev.GetType(), ev.GetVersion(), b.GetOpenBalance().GetAmount(),
				b.GetOverdueBalance().GetAmount(), b.GetCredit().GetAmount()))
		case "sales_order.updated", "sales_order.invoiced", "sales_order.shipped":
			got = append(got, fmt.Sprintf("%s v%d %s", ev.GetType(), ev.GetVersion(), ev.GetSalesOrder().GetStatus()))
		}
	}
	want := "[sales_order.shipped v3 SALES_ORDER_STATUS_SHIPPED invoice.issued v1 30.00 sales_order.invoiced v4 SALES_ORDER_STATUS_INVOICED " +
		"customer.balance_changed v1 30.00/0.00/0.00 payment.received v1 10.00 sales_order.updated v5 SALES_ORDER_STATUS_PAID " +
		"customer.balance_changed v2 0.00/0.00/10.00 payment.reversed v2 0.00 sales_order.updated v6 SALES_ORDER_STATUS_INVOICED " +
		"customer.balance_changed v3 30.00/0.00/0.00]"
	if fmt.Sprint(got) != want {
		t.Errorf("events = %v\nwant %s", got, want)
	}
}
