package api_test

import (
	"fmt"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/seamhq/seam/platform/auth"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
)

// Finance lists the invoices issued and the payments received in a
// period: issue_date, due_date and received_date compare as dates; a
// value that is no date is INVALID_ARGUMENT naming filter.
func TestListByDate(t *testing.T) {
	t.Parallel()
	e := start(t)
	cid := e.seed() // W-1: 5 on hand, 10.00 EUR, tax 0
	fin := as(t, auth.Finance)
	today := time.Now().UTC()
	day := func(days int) string { return today.AddDate(0, 0, days).Format(time.DateOnly) }
	p, inv := e.creditPayment(t, cid, "1", "10", day(-40))

	for _, c := range []struct {
		filter string
		want   int
	}{
		{fmt.Sprintf(`issue_date = %q`, inv.GetIssueDate()), 1},
		{fmt.Sprintf(`issue_date < %q`, inv.GetIssueDate()), 0},
		{fmt.Sprintf(`due_date >= %q AND due_date <= %q`, inv.GetDueDate(), inv.GetDueDate()), 1},
		{fmt.Sprintf(`due_date > %q`, inv.GetDueDate()), 0},
	} {
		list, err := e.invoices.ListInvoices(fin, &erpv1.ListInvoicesRequest{Filter: c.filter})
		if err != nil || len(list.GetInvoices()) != c.want {
			t.Errorf("invoices %s = %v, %v; want %d", c.filter, list, err, c.want)
		}
	}
	for _, c := range []struct {
		filter string
		want   int
	}{
		{fmt.Sprintf(`received_date >= %q AND received_date <= %q`, day(-45), day(-35)), 1},
		{fmt.Sprintf(`received_date >= %q`, day(-35)), 0},
	} {
		list, err := e.payments.ListPayments(fin, &erpv1.ListPaymentsRequest{Filter: c.filter})
		if err != nil || len(list.GetPayments()) != c.want || c.want == 1 && list.GetPayments()[0].GetId() != p.GetId() {
			t.Errorf("payments %s = %v, %v; want %d", c.filter, list, err, c.want)
		}
	}
	if _, err := e.invoices.ListInvoices(fin, &erpv1.ListInvoicesRequest{Filter: `issue_date >= "2026-13-01"`}); fmt.Sprint(grpcFields(t, err, codes.InvalidArgument)) != "[filter]" {
		t.Errorf("invoices issued from month 13: %v", err)
	}
	if _, err := e.payments.ListPayments(fin, &erpv1.ListPaymentsRequest{Filter: `received_date = "yesterday"`}); fmt.Sprint(grpcFields(t, err, codes.InvalidArgument)) != "[filter]" {
		t.Errorf("payments received yesterday: %v", err)
	}
}
