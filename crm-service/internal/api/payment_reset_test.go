package api_test

import (
	"slices"
	"testing"

	"google.golang.org/grpc/codes"

	crmv1 "github.com/seamhq/seam/proto/crm/v1"
	moneyv1 "github.com/seamhq/seam/proto/money/v1"
)

// A payment status written with a version ahead of anything the ERP
// reached ignores every later write as stale; a reset with the
// opportunity's etag replaces it, version and all, and later writes apply
// again. A reset with another etag changes nothing.
func TestSetOpportunityPaymentStatusReset(t *testing.T) {
	e := newEnv(t)
	e.seedProducts(product("SKU-1", "Widget", "10.00"))
	o := e.createOpportunity(e.createAccount("Acme").Id, line("SKU-1", "1"))
	const (
		open = crmv1.PaymentStatus_PAYMENT_STATUS_OPEN
		paid = crmv1.PaymentStatus_PAYMENT_STATUS_PAID
	)
	set := func(status crmv1.PaymentStatus, version int64, reset string) (*crmv1.Opportunity, error) {
		return e.sync.SetOpportunityPaymentStatus(e.bridge(), &crmv1.SetOpportunityPaymentStatusRequest{
			OpportunityId: o.Id, PaymentStatus: status, SourceVersion: version, ResetEtag: reset,
		})
	}
	inflated, err := set(paid, 9e18, "")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := set(open, 5, ""); err != nil || got.PaymentStatus != paid {
		t.Fatalf("versioned write after the inflated one: %v %v, want it ignored", got.GetPaymentStatus(), err)
	}
	_, err = set(open, 5, "1")
	wantCode(t, err, codes.Aborted)
	_, err = set(open, 5, "x")
	if f := violations(t, err); !slices.Equal(f, []string{"reset_etag"}) {
		t.Errorf("violations %v, want reset_etag", f)
	}
	reset, err := set(open, 5, inflated.Etag)
	if err != nil || reset.PaymentStatus != open || reset.Etag == inflated.Etag {
		t.Fatalf("reset: %v etag %s, %v; want OPEN with a new etag", reset.GetPaymentStatus(), reset.GetEtag(), err)
	}
	if v := e.count(`SELECT payment_version FROM opportunities WHERE id = $1`, o.Id); v != 5 {
		t.Errorf("payment_version %d after the reset, want 5", v)
	}
	if got, err := set(paid, 6, ""); err != nil || got.PaymentStatus != paid {
		t.Errorf("versioned write after the reset: %v %v, want it applied", got.GetPaymentStatus(), err)
	}
}

// The same for an account's balances: a reset replaces the balances sent,
// version and all, when the account's etag matches; it needs balances.
func TestSetAccountPaymentStatusReset(t *testing.T) {
	e := newEnv(t)
	a := e.createAccount("Acme")
	balance := func(amount string, version int64) []*crmv1.AccountBalanceUpdate {
		return []*crmv1.AccountBalanceUpdate{{CurrencyCode: "EUR", OpenBalance: eur(amount),
			OverdueBalance: &moneyv1.Money{CurrencyCode: "EUR", Amount: "0"}, SourceVersion: version}}
	}
	set := func(amount string, version int64, reset string) (*crmv1.Account, error) {
		return e.sync.SetAccountPaymentStatus(e.bridge(), &crmv1.SetAccountPaymentStatusRequest{
			AccountId: a.Id, Balances: balance(amount, version), ResetEtag: reset,
		})
	}
	inflated, err := set("12345", 1000, "")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := set("20", 5, ""); err != nil || got.OpenBalance.GetAmount() != "12345.00" {
		t.Fatalf("versioned write after the inflated one: %v %v, want it ignored", got.GetOpenBalance(), err)
	}
	_, err = set("20", 5, "1")
	wantCode(t, err, codes.Aborted)
	_, err = e.sync.SetAccountPaymentStatus(e.bridge(), &crmv1.SetAccountPaymentStatusRequest{
		AccountId: a.Id, OpenBalance: eur("20"), SourceVersion: 5, ResetEtag: inflated.Etag,
	})
	if f := violations(t, err); !slices.Equal(f, []string{"reset_etag"}) {
		t.Errorf("violations %v, want reset_etag", f)
	}
	reset, err := set("20", 5, inflated.Etag)
	if err != nil || reset.OpenBalance.GetAmount() != "20.00" || reset.Etag == inflated.Etag {
		t.Fatalf("reset: %v etag %s, %v; want 20.00 with a new etag", reset.GetOpenBalance(), reset.GetEtag(), err)
	}
	if v := e.count(`SELECT source_version FROM account_balances WHERE account_id = $1`, a.Id); v != 5 {
		t.Errorf("source_version %d after the reset, want 5", v)
	}
	if got, err := set("0", 6, ""); err != nil || got.PaymentStatus != crmv1.PaymentStatus_PAYMENT_STATUS_PAID {
		t.Errorf("versioned write after the reset: %v %v, want it applied", got.GetPaymentStatus(), err)
	}
}
