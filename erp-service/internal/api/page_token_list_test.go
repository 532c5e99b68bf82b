package api_test

import (
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/seamhq/seam/platform/auth"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
)

// A page token continues only the list that issued it: lists keyed the
// same way (by UUID) refuse each other's tokens instead of silently
// starting after a key of another kind of record.
func TestPageTokenBelongsToItsList(t *testing.T) {
	t.Parallel()
	e := start(t)
	e.seed()
	fin := as(t, auth.Finance)
	if _, err := e.customers.CreateCustomer(fin, &erpv1.CreateCustomerRequest{Customer: &erpv1.Customer{Name: "Second"}}); err != nil {
		t.Fatal(err)
	}
	first, err := e.customers.ListCustomers(fin, &erpv1.ListCustomersRequest{PageSize: 1})
	if err != nil || first.GetNextPageToken() == "" {
		t.Fatalf("first page = %v, %v", first, err)
	}
	tok := first.GetNextPageToken()
	if next, err := e.customers.ListCustomers(fin, &erpv1.ListCustomersRequest{PageSize: 1, PageToken: tok}); err != nil || len(next.GetCustomers()) != 1 {
		t.Fatalf("its own list's next page = %v, %v", next, err)
	}
	_, err = e.invoices.ListInvoices(fin, &erpv1.ListInvoicesRequest{PageToken: tok})
	if got := grpcFields(t, err, codes.InvalidArgument); !hasAll(got, "page_token") {
		t.Errorf("invoices with a customers token: %v", got)
	}
	_, err = e.payments.ListPayments(fin, &erpv1.ListPaymentsRequest{PageToken: tok})
	if got := grpcFields(t, err, codes.InvalidArgument); !hasAll(got, "page_token") {
		t.Errorf("payments with a customers token: %v", got)
	}
	_, err = e.ledger.ListJournalEntries(fin, &erpv1.ListJournalEntriesRequest{PageToken: tok})
	if got := grpcFields(t, err, codes.InvalidArgument); !hasAll(got, "page_token") {
		t.Errorf("journal entries with a customers token: %v", got)
	}
}
