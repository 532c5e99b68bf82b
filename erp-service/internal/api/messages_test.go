package api_test

import (
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/ids"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
	moneyv1 "github.com/seamhq/seam/proto/money/v1"
)

// violation returns a gRPC error's message and its one field violation,
// failing unless err has code want and exactly one violation.
func violation(t *testing.T, err error, want codes.Code) (msg, field, desc string) {
	t.Helper()
	st := status.Convert(err)
	if st.Code() != want {
		t.Fatalf("error = %v, want %s", err, want)
	}
	var fvs []*errdetails.BadRequest_FieldViolation
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			fvs = append(fvs, br.GetFieldViolations()...)
		}
	}
	if len(fvs) != 1 {
		t.Fatalf("violations of %v = %v, want one", err, fvs)
	}
	return st.Message(), fvs[0].GetField(), fvs[0].GetDescription()
}

// Messages name fields by their path in the request, amounts in their
// currency's format, and malformed ids as every id field does.
func TestErrorMessages(t *testing.T) {
	t.Parallel()
	e := start(t)
	cid := e.seed() // W-1 at 10.00, 5 on hand
	fin, sales, wh := as(t, auth.Finance), as(t, auth.Sales), as(t, auth.Warehouse)
	eur := func(a string) *moneyv1.Money { return &moneyv1.Money{CurrencyCode: "EUR", Amount: a} }
	o, err := e.orders.CreateSalesOrder(sales, &erpv1.CreateSalesOrderRequest{SalesOrder: &erpv1.SalesOrder{
		CustomerId: cid, CurrencyCode: "EUR", Lines: []*erpv1.SalesOrderLine{{Sku: "W-1", Quantity: "2"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.orders.ConfirmSalesOrder(sales, &erpv1.ConfirmSalesOrderRequest{Id: o.GetId()}); err != nil {
		t.Fatal(err)
	}

	// Shipping more than reserved: the message names the field as the
	// violation does, after the order.
	_, err = e.shipments.CreateShipment(wh, &erpv1.CreateShipmentRequest{Shipment: &erpv1.Shipment{
		SalesOrderId: o.GetId(), Lines: []*erpv1.ShipmentLine{{LineNumber: 1, Quantity: "3"}}}})
	msg, field, _ := violation(t, err, codes.FailedPrecondition)
	if want := "sales order " + o.GetNumber() + ": shipment.lines[0].quantity: line 1 (W-1) has 2 reserved; cannot ship 3"; msg != want || field != "shipment.lines[0].quantity" {
		t.Errorf("over-shipping: %q on %s\nwant %q", msg, field, want)
	}

	// Paid in full, an invoice has 0.00 open.
	if _, err := e.shipments.CreateShipment(wh, &erpv1.CreateShipmentRequest{Shipment: &erpv1.Shipment{SalesOrderId: o.GetId()}}); err != nil {
		t.Fatal(err)
	}
	inv, err := e.invoices.CreateInvoice(fin, &erpv1.CreateInvoiceRequest{Invoice: &erpv1.Invoice{SalesOrderId: o.GetId()}})
	if err != nil {
		t.Fatal(err)
	}
	pay := func(amount string, allocs ...*erpv1.PaymentAllocation) (*erpv1.Payment, error) {
		return e.payments.CreatePayment(fin, &erpv1.CreatePaymentRequest{Payment: &erpv1.Payment{CustomerId: cid, Amount: eur(amount), Allocations: allocs}})
	}
	if _, err := pay("20", &erpv1.PaymentAllocation{InvoiceId: inv.GetId(), Amount: eur("20")}); err != nil {
		t.Fatal(err)
	}
	_, err = pay("1", &erpv1.PaymentAllocation{InvoiceId: inv.GetId(), Amount: eur("0.01")})
	if _, field, desc := violation(t, err, codes.InvalidArgument); field != "payment.allocations[0].amount.amount" ||
		desc != "0.01 is more than the 0.00 open on invoice "+inv.GetNumber() {
		t.Errorf("allocating to a paid invoice: %s: %q", field, desc)
	}
	_, err = pay("10", &erpv1.PaymentAllocation{InvoiceId: inv.GetId(), Amount: eur("10.5")})
	if _, field, desc := violation(t, err, codes.InvalidArgument); field != "payment.allocations[0].amount.amount" ||
		desc != "allocations add up to 10.50, more than the payment's 10.00" {
		t.Errorf("allocating more than the payment: %s: %q", field, desc)
	}

	// A malformed invoice id is a malformed id, not an unknown invoice.
	_, err = pay("1", &erpv1.PaymentAllocation{InvoiceId: "INV-1", Amount: eur("1")})
	if _, field, desc := violation(t, err, codes.InvalidArgument); field != "payment.allocations[0].invoice_id" || desc != ids.NotUUID {
		t.Errorf("malformed invoice id: %s: %q", field, desc)
	}

	// Credit: 30.00 left, 35.70 asked for.
	credit, err := pay("30")
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.payments.ApplyPaymentCredit(fin, &erpv1.ApplyPaymentCreditRequest{Id: credit.GetId(),
		Allocations: []*erpv1.PaymentAllocation{{InvoiceId: "nope", Amount: eur("1")}}})
	if _, field, desc := violation(t, err, codes.InvalidArgument); field != "allocations[0].invoice_id" || desc != ids.NotUUID {
		t.Errorf("malformed invoice id of credit: %s: %q", field, desc)
	}
	o2, err := e.orders.CreateSalesOrder(sales, &erpv1.CreateSalesOrderRequest{SalesOrder: &erpv1.SalesOrder{
		CustomerId: cid, CurrencyCode: "EUR", Lines: []*erpv1.SalesOrderLine{{Sku: "W-1", Quantity: "3", UnitPrice: eur("12.00")}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.orders.ConfirmSalesOrder(sales, &erpv1.ConfirmSalesOrderRequest{Id: o2.GetId()}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.shipments.CreateShipment(wh, &erpv1.CreateShipmentRequest{Shipment: &erpv1.Shipment{SalesOrderId: o2.GetId()}}); err != nil {
		t.Fatal(err)
	}
	inv2, err := e.invoices.CreateInvoice(fin, &erpv1.CreateInvoiceRequest{Invoice: &erpv1.Invoice{SalesOrderId: o2.GetId()}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.payments.ApplyPaymentCredit(fin, &erpv1.ApplyPaymentCreditRequest{Id: credit.GetId(),
		Allocations: []*erpv1.PaymentAllocation{{InvoiceId: inv2.GetId(), Amount: eur("35.7")}}})
	if _, field, desc := violation(t, err, codes.InvalidArgument); field != "allocations[0].amount.amount" ||
		desc != "allocations add up to 35.70, more than the 30.00 of credit left on payment "+credit.GetNumber() {
		t.Errorf("applying more than the credit: %s: %q", field, desc)
	}
}
