package api_test

import (
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/listing"
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

// A report's token continues the report it came from: the same as-of date
// and currency. One made for another date or currency is refused.
func TestReportTokenBelongsToItsQuery(t *testing.T) {
	t.Parallel()
	e := start(t)
	e.seed()
	fin := as(t, auth.Finance)
	reports := erpv1.NewReportServiceClient(e.conn)
	req := &erpv1.GetArAgingRequest{AsOfDate: "2026-05-16"}
	tok := listing.Token{
		After: []string{"01900000-0000-7000-8000-000000000000"},
		Query: listing.QueryDigest(listing.RequestDigest(req), req.AsOfDate),
	}.Encode()
	if _, err := reports.GetArAging(fin, &erpv1.GetArAgingRequest{AsOfDate: "2026-05-16", PageToken: tok}); err != nil {
		t.Fatalf("its own report's token: %v", err)
	}
	for _, other := range []*erpv1.GetArAgingRequest{
		{AsOfDate: "2026-05-17", PageToken: tok},
		{AsOfDate: "2026-05-16", CurrencyCode: "EUR", PageToken: tok},
		{PageToken: tok},
	} {
		_, err := reports.GetArAging(fin, other)
		if got := grpcFields(t, err, codes.InvalidArgument); !hasAll(got, "page_token") {
			t.Errorf("%v: %v", other, got)
		}
	}
}
