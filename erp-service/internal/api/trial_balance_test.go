package api_test

import (
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/seamhq/seam/platform/auth"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
)

// The trial balance of a period: dates are checked and echoed, a start
// needs an end on or after it.
func TestTrialBalanceDates(t *testing.T) {
	t.Parallel()
	e := start(t)
	fin := as(t, auth.Finance)
	for _, c := range []struct {
		req   *erpv1.GetTrialBalanceRequest
		field string
	}{
		{&erpv1.GetTrialBalanceRequest{EndDate: "2026-13-01"}, "end_date"},
		{&erpv1.GetTrialBalanceRequest{StartDate: "31.01.2026", EndDate: "2026-01-31"}, "start_date"},
		{&erpv1.GetTrialBalanceRequest{StartDate: "2026-01-01"}, "end_date"},
		{&erpv1.GetTrialBalanceRequest{StartDate: "2026-02-01", EndDate: "2026-01-31"}, "start_date"},
	} {
		_, err := e.ledger.GetTrialBalance(fin, c.req)
		if got := fmt.Sprint(grpcFields(t, err, codes.InvalidArgument)); got != "["+c.field+"]" {
			t.Errorf("%v: fields %s, want %s (%v)", c.req, got, c.field, err)
		}
	}
	tb, err := e.ledger.GetTrialBalance(fin, &erpv1.GetTrialBalanceRequest{StartDate: "2026-01-01", EndDate: "2026-01-31"})
	if err != nil || tb.GetStartDate() != "2026-01-01" || tb.GetEndDate() != "2026-01-31" || len(tb.GetRows()) != 0 {
		t.Errorf("January of an empty journal = %v, %v", tb, err)
	}
	tb, err = e.ledger.GetTrialBalance(fin, &erpv1.GetTrialBalanceRequest{EndDate: "2026-01-31"})
	if err != nil || tb.GetStartDate() != "" || tb.GetEndDate() != "2026-01-31" {
		t.Errorf("balances at the end of January = %v, %v", tb, err)
	}
}
