package api_test

import (
	"fmt"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/seamhq/seam/platform/auth"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
	moneyv1 "github.com/seamhq/seam/proto/money/v1"
)

// Invoices may be dated at most a year and a day ahead, so that every due
// date is a date; payments at most a day ahead (time zones east of UTC).
// Later dates are INVALID_ARGUMENT naming the field, and write nothing.
func TestDocumentDatesBounded(t *testing.T) {
	t.Parallel()
	e := start(t)
	cid := e.seed()
	fin, sales := as(t, auth.Finance), as(t, auth.Sales)
	o, err := e.orders.CreateSalesOrder(sales, &erpv1.CreateSalesOrderRequest{SalesOrder: &erpv1.SalesOrder{
		CustomerId: cid, CurrencyCode: "EUR", Lines: []*erpv1.SalesOrderLine{{Sku: "W-1", Quantity: "1"}}}})
	if err != nil {
		t.Fatal(err)
	}
	today := time.Now().UTC()
	day := func(days int) string { return today.AddDate(0, 0, days).Format(time.DateOnly) }

	before := e.counts()
	for _, issue := range []string{"9999-12-31", day(400)} {
		_, err := e.invoices.CreateInvoice(fin, &erpv1.CreateInvoiceRequest{Invoice: &erpv1.Invoice{SalesOrderId: o.GetId(), IssueDate: issue}})
		if got := fmt.Sprint(grpcFields(t, err, codes.InvalidArgument)); got != "[invoice.issue_date]" {
			t.Errorf("issue date %s: fields %s", issue, got)
		}
	}
	for _, received := range []string{"9999-12-31", day(2)} {
		_, err := e.payments.CreatePayment(fin, &erpv1.CreatePaymentRequest{Payment: &erpv1.Payment{
			CustomerId: cid, Amount: &moneyv1.Money{CurrencyCode: "EUR", Amount: "5.00"}, ReceivedDate: received}})
		if got := fmt.Sprint(grpcFields(t, err, codes.InvalidArgument)); got != "[payment.received_date]" {
			t.Errorf("received date %s: fields %s", received, got)
		}
	}
	if after := e.counts(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("refused dates wrote: %v -> %v", before, after)
	}

	// Within the bounds: a draft is not invoiced (the date passes), and a
	// payment dated tomorrow is taken.
	_, err = e.invoices.CreateInvoice(fin, &erpv1.CreateInvoiceRequest{Invoice: &erpv1.Invoice{SalesOrderId: o.GetId(), IssueDate: day(300)}})
	if grpcCode(err) != codes.FailedPrecondition {
		t.Errorf("invoice of a draft dated %s: %v, want FAILED_PRECONDITION", day(300), err)
	}
	p, err := e.payments.CreatePayment(fin, &erpv1.CreatePaymentRequest{Payment: &erpv1.Payment{
		CustomerId: cid, Amount: &moneyv1.Money{CurrencyCode: "EUR", Amount: "5.00"}, ReceivedDate: day(1)}})
	if err != nil || p.GetReceivedDate() != day(1) {
		t.Errorf("payment received tomorrow = %v, %v", p, err)
	}
}
