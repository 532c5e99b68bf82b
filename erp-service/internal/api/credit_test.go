package api_test

import (
	"context"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/listing"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
	moneyv1 "github.com/seamhq/seam/proto/money/v1"
)

func eurMoney(s string) *moneyv1.Money { return &moneyv1.Money{CurrencyCode: "EUR", Amount: s} }

// A customer invoiced for whole orders, an overpayment, its credit applied
// to the second invoice, and the sales report, through gRPC.
func TestWholeOrderCreditAndSalesReportGRPC(t *testing.T) {
	t.Parallel()
	e := start(t)
	cid := e.seed() // W-1: 5 on hand, 10.00 EUR, tax 0
	fin, integ := as(t, auth.Finance), as(t, auth.Integration)

	c, err := e.customers.UpdateCustomer(fin, &erpv1.UpdateCustomerRequest{
		Customer:   &erpv1.Customer{Id: cid, InvoicePolicy: erpv1.InvoicePolicy_INVOICE_POLICY_WHOLE_ORDER},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"invoice_policy"}},
	})
	if err != nil || c.GetInvoicePolicy() != erpv1.InvoicePolicy_INVOICE_POLICY_WHOLE_ORDER || c.GetEtag() != "2" {
		t.Fatalf("update = %v, %v", c, err)
	}
	_, err = e.customers.UpdateCustomer(fin, &erpv1.UpdateCustomerRequest{
		Customer:   &erpv1.Customer{Id: cid, InvoicePolicy: erpv1.InvoicePolicy(7)},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"invoice_policy"}},
	})
	if got := fmt.Sprint(grpcFields(t, err, codes.InvalidArgument)); got != "[customer.invoice_policy]" {
		t.Errorf("unknown policy: %s", got)
	}
	if got, _ := e.customers.GetCustomer(fin, &erpv1.GetCustomerRequest{Id: cid}); got.GetEtag() != "2" {
		t.Errorf("a refused update wrote: %v", got)
	}

	var invoices []*erpv1.Invoice
	for _, q := range []string{"3", "2"} {
		o, err := e.orders.CreateSalesOrder(integ, &erpv1.CreateSalesOrderRequest{SalesOrder: &erpv1.SalesOrder{
			CustomerId: cid, CurrencyCode: "EUR", Lines: []*erpv1.SalesOrderLine{{Sku: "W-1", Quantity: q}}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.orders.ConfirmSalesOrder(integ, &erpv1.ConfirmSalesOrderRequest{Id: o.GetId()}); err != nil {
			t.Fatal(err)
		}
		inv, err := e.invoices.CreateInvoice(fin, &erpv1.CreateInvoiceRequest{Invoice: &erpv1.Invoice{SalesOrderId: o.GetId(), IssueDate: "2026-04-10"}})
		if err != nil {
			t.Fatal(err)
		}
		invoices = append(invoices, inv)
		if _, err := e.invoices.CreateInvoice(fin, &erpv1.CreateInvoiceRequest{Invoice: &erpv1.Invoice{SalesOrderId: o.GetId()}}); grpcCode(err) != codes.FailedPrecondition {
			t.Errorf("second whole invoice: %v", err)
		}
	}
	if invoices[0].GetTotal().GetAmount() != "30.00" || invoices[1].GetTotal().GetAmount() != "20.00" {
		t.Errorf("invoices = %v", invoices)
	}

	// 45 pays the first invoice and leaves 15 of credit.
	p, err := e.payments.CreatePayment(fin, &erpv1.CreatePaymentRequest{Payment: &erpv1.Payment{CustomerId: cid, Amount: eurMoney("45"),
		Allocations: []*erpv1.PaymentAllocation{{InvoiceId: invoices[0].GetId(), Amount: eurMoney("30")}}}})
	if err != nil || p.GetUnallocatedAmount().GetAmount() != "15.00" {
		t.Fatalf("payment = %v, %v", p, err)
	}
	apply := func(ctx context.Context, req *erpv1.ApplyPaymentCreditRequest) (*erpv1.Payment, error) {
		return e.payments.ApplyPaymentCredit(ctx, req)
	}
	if _, err := apply(context.Background(), &erpv1.ApplyPaymentCreditRequest{Id: p.GetId()}); grpcCode(err) != codes.Unauthenticated {
		t.Errorf("no token: %v", err)
	}
	if _, err := apply(as(t, auth.Sales), &erpv1.ApplyPaymentCreditRequest{Id: p.GetId()}); grpcCode(err) != codes.PermissionDenied {
		t.Errorf("sales applies credit: %v", err)
	}
	before := e.counts()
	for _, tc := range []struct {
		req  *erpv1.ApplyPaymentCreditRequest
		code codes.Code
		want string
	}{
		{&erpv1.ApplyPaymentCreditRequest{Id: p.GetId()}, codes.InvalidArgument, "[allocations]"},
		{&erpv1.ApplyPaymentCreditRequest{Id: p.GetId(), Etag: "x", Allocations: []*erpv1.PaymentAllocation{{Amount: eurMoney("1.001")}}},
			codes.InvalidArgument, "[etag allocations[0].amount.amount]"},
		{&erpv1.ApplyPaymentCreditRequest{Id: p.GetId(), Allocations: []*erpv1.PaymentAllocation{{InvoiceId: invoices[1].GetId(), Amount: eurMoney("15.01")}}},
			codes.InvalidArgument, "[allocations[0].amount.amount]"},
		{&erpv1.ApplyPaymentCreditRequest{Id: p.GetId(), Etag: "9", Allocations: []*erpv1.PaymentAllocation{{InvoiceId: invoices[1].GetId(), Amount: eurMoney("1")}}},
			codes.Aborted, "[]"},
	} {
		_, err := apply(fin, tc.req)
		if got := fmt.Sprint(grpcFields(t, err, tc.code)); got != tc.want {
			t.Errorf("ApplyPaymentCredit(%v): fields %s, want %s", tc.req, got, tc.want)
		}
	}
	if _, err := apply(fin, &erpv1.ApplyPaymentCreditRequest{Id: "01900000-0000-7000-8000-000000000001", Allocations: []*erpv1.PaymentAllocation{{InvoiceId: invoices[1].GetId(), Amount: eurMoney("1")}}}); grpcCode(err) != codes.NotFound {
		t.Errorf("unknown payment: %v", err)
	}
	if _, err := apply(fin, &erpv1.ApplyPaymentCreditRequest{Id: "nope", Allocations: []*erpv1.PaymentAllocation{{InvoiceId: invoices[1].GetId(), Amount: eurMoney("1")}}}); fmt.Sprint(grpcFields(t, err, codes.InvalidArgument)) != "[id]" {
		t.Errorf("malformed payment id: %v", err)
	}
	if after := e.counts(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("refused applications wrote: %v -> %v", before, after)
	}
	for range 2 {
		got, err := apply(fin, &erpv1.ApplyPaymentCreditRequest{Id: p.GetId(), Etag: "1", RequestId: "cr-1",
			Allocations: []*erpv1.PaymentAllocation{{InvoiceId: invoices[1].GetId(), Amount: eurMoney("15")}}})
		if err != nil || got.GetUnallocatedAmount().GetAmount() != "0.00" || got.GetEtag() != "2" || len(got.GetAllocations()) != 2 {
			t.Fatalf("applied = %v, %v", got, err)
		}
	}
	inv, _ := e.invoices.GetInvoice(fin, &erpv1.GetInvoiceRequest{Id: invoices[1].GetId()})
	if inv.GetStatus() != erpv1.InvoiceStatus_INVOICE_STATUS_PARTIALLY_PAID || inv.GetOpenAmount().GetAmount() != "5.00" {
		t.Errorf("invoice 2 = %v", inv)
	}

	// The sales report: both invoices, one customer, one item.
	reports := erpv1.NewReportServiceClient(e.conn)
	rep, err := reports.GetSalesReport(fin, &erpv1.GetSalesReportRequest{StartDate: "2026-04-01", EndDate: "2026-04-30"})
	if err != nil || len(rep.GetRows()) != 1 || rep.GetRows()[0].GetNetAmount().GetAmount() != "50.00" || rep.GetRows()[0].GetQuantity() != "5" ||
		rep.GetRows()[0].GetInvoiceCount() != 2 || rep.GetGroupBy() != erpv1.SalesGrouping_SALES_GROUPING_CUSTOMER_ITEM ||
		rep.GetNextPageToken() != "" {
		t.Errorf("report = %v, %v", rep, err)
	}
	for _, g := range []erpv1.SalesGrouping{erpv1.SalesGrouping_SALES_GROUPING_CUSTOMER, erpv1.SalesGrouping_SALES_GROUPING_ITEM,
		erpv1.SalesGrouping_SALES_GROUPING_CURRENCY} {
		rep, err := reports.GetSalesReport(fin, &erpv1.GetSalesReportRequest{StartDate: "2026-04-01", EndDate: "2026-04-30", GroupBy: g})
		row := rep.GetRows()
		if err != nil || len(row) != 1 || row[0].GetNetAmount().GetAmount() != "50.00" || rep.GetGroupBy() != g ||
			(row[0].GetCustomerId() != "") != (g == erpv1.SalesGrouping_SALES_GROUPING_CUSTOMER) ||
			(row[0].GetSku() != "") != (g == erpv1.SalesGrouping_SALES_GROUPING_ITEM) {
			t.Errorf("report by %v = %v, %v", g, rep, err)
		}
	}
	_, err = reports.GetSalesReport(fin, &erpv1.GetSalesReportRequest{StartDate: "2026-04-31", CurrencyCode: "EURO", CustomerId: "x", GroupBy: 9, PageSize: -1})
	if got := grpcFields(t, err, codes.InvalidArgument); !hasAll(got, "start_date", "end_date", "currency_code", "group_by") {
		t.Errorf("bad report request: %v", got)
	}
	for _, tok := range []string{"x", listing.Token{After: []string{"a"}, Query: "q"}.Encode()} {
		_, err = reports.GetSalesReport(fin, &erpv1.GetSalesReportRequest{StartDate: "2026-04-01", EndDate: "2026-04-30", PageToken: tok})
		if got := grpcFields(t, err, codes.InvalidArgument); !hasAll(got, "page_token") {
			t.Errorf("bad page token %q: %v", tok, got)
		}
	}
	if _, err := erpv1.NewReportServiceClient(e.conn).GetSalesReport(as(t, auth.Warehouse), &erpv1.GetSalesReportRequest{StartDate: "2026-04-01", EndDate: "2026-04-30"}); grpcCode(err) != codes.PermissionDenied {
		t.Errorf("warehouse reads sales: %v", err)
	}
	if _, err := erpv1.NewReportServiceClient(e.conn).GetSalesReport(as(t, auth.Sales), &erpv1.GetSalesReportRequest{StartDate: "2026-04-01", EndDate: "2026-04-30", CustomerId: cid}); err != nil {
		t.Errorf("sales reads sales: %v", err)
	}
}
