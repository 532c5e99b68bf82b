package api_test

import (
	"fmt"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/seamhq/seam/platform/auth"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
	moneyv1 "github.com/seamhq/seam/proto/money/v1"
)

// A customer's currency may change until it has a sales order, an invoice
// or a payment: then its credit limit and balance would be read in a
// currency its documents are not in, and the change is refused.
func TestCustomerCurrencyFixedOnceItHasDocuments(t *testing.T) {
	t.Parallel()
	e := start(t)
	cid := e.seed()
	fin, sales := as(t, auth.Finance), as(t, auth.Sales)
	setCurrency := func(id, cur string) (*erpv1.Customer, error) {
		return e.customers.UpdateCustomer(fin, &erpv1.UpdateCustomerRequest{
			Customer: &erpv1.Customer{Id: id, CurrencyCode: cur}, UpdateMask: mask("currency_code")})
	}

	// No documents yet: the currency changes (and back).
	if c, err := setCurrency(cid, "USD"); err != nil || c.GetCurrencyCode() != "USD" {
		t.Fatalf("currency of a customer without documents = %v, %v", c, err)
	}
	if _, err := setCurrency(cid, "EUR"); err != nil {
		t.Fatal(err)
	}

	// A draft order is enough to hold the currency.
	if _, err := e.orders.CreateSalesOrder(sales, &erpv1.CreateSalesOrderRequest{SalesOrder: &erpv1.SalesOrder{
		CustomerId: cid, CurrencyCode: "EUR", Lines: []*erpv1.SalesOrderLine{{Sku: "W-1", Quantity: "1"}}}}); err != nil {
		t.Fatal(err)
	}
	before := e.counts()
	_, err := setCurrency(cid, "USD")
	if got := fmt.Sprint(grpcFields(t, err, codes.FailedPrecondition)); got != "[customer.currency_code]" {
		t.Errorf("currency change with an order: fields %s", got)
	}
	if msg := status.Convert(err).Message(); !strings.HasPrefix(msg, "customer.currency_code: cannot change from EUR to USD") {
		t.Errorf("message = %q", msg)
	}
	if after := e.counts(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("a refused change wrote: %v -> %v", before, after)
	}
	// Other fields still change, and so does sending the same currency.
	c, err := e.customers.UpdateCustomer(fin, &erpv1.UpdateCustomerRequest{
		Customer: &erpv1.Customer{Id: cid, Name: "Acme Ltd", CurrencyCode: "EUR"}, UpdateMask: mask("name", "currency_code")})
	if err != nil || c.GetName() != "Acme Ltd" || c.GetCurrencyCode() != "EUR" {
		t.Errorf("update keeping the currency = %v, %v", c, err)
	}

	// A payment alone holds it too.
	other, err := e.customers.CreateCustomer(fin, &erpv1.CreateCustomerRequest{Customer: &erpv1.Customer{Name: "Prepaid"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.payments.CreatePayment(fin, &erpv1.CreatePaymentRequest{Payment: &erpv1.Payment{
		CustomerId: other.GetId(), Amount: &moneyv1.Money{CurrencyCode: "EUR", Amount: "50.00"}}}); err != nil {
		t.Fatal(err)
	}
	_, err = setCurrency(other.GetId(), "GBP")
	if got := fmt.Sprint(grpcFields(t, err, codes.FailedPrecondition)); got != "[customer.currency_code]" {
		t.Errorf("currency change with a payment: fields %s", got)
	}
}
