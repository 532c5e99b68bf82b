package flow

import (
	"context"
	"fmt"
	"strings"
	"testing"

	crmv1 "github.com/seamhq/seam/proto/crm/v1"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
	moneyv1 "github.com/seamhq/seam/proto/money/v1"
)

// customerBalance is a customer's EUR balance: nothing past due, open
// owed and credit unapplied.
func customerBalance(customerID, open, credit string, version int64) *erpv1.CustomerBalance {
	eur := func(amount string) *moneyv1.Money { return &moneyv1.Money{CurrencyCode: "EUR", Amount: amount} }
	return &erpv1.CustomerBalance{CustomerId: customerID, CurrencyCode: "EUR", OpenBalance: eur(open), OverdueBalance: eur("0.00"),
		Credit: eur(credit), Version: version}
}

// shownCredit describes what an account shows: "STATUS CUR open credit"
// per currency.
func shownCredit(acc *crmv1.Account) string {
	out := strings.TrimPrefix(acc.GetPaymentStatus().String(), "PAYMENT_STATUS_")
	for _, b := range acc.GetBalances() {
		out += fmt.Sprintf(" %s %s %s", b.GetCurrencyCode(), b.GetOpenBalance().GetAmount(), b.GetCredit().GetAmount())
	}
	return out
}

// A customer's balance events carry its credit to the account: an
// over-payment shows as credit beside nothing open (PAID), a refund of
// part of it lowers it, and a late redelivery of the older balance does
// not bring it back.
func TestBalanceEventsCarryTheCredit(t *testing.T) {
	t.Parallel()
	s := newSides()
	s.addAccount(accountA, "Acme", 1)
	cust := s.accounts[accountA].GetErpCustomerId()
	e := s.engine(newStore(t))
	for _, step := range []struct {
		what string
		b    *erpv1.CustomerBalance
		want string
	}{
		{"invoice of 50.00", customerBalance(cust, "50.00", "0.00", 1), "OPEN EUR 50.00 0.00"},
		{"payment of 100.00", customerBalance(cust, "0.00", "50.00", 2), "PAID EUR 0.00 50.00"},
		{"refund of 30.00", customerBalance(cust, "0.00", "20.00", 3), "PAID EUR 0.00 20.00"},
		{"the payment's event again", customerBalance(cust, "0.00", "50.00", 2), "PAID EUR 0.00 20.00"},
	} {
		ev := &erpv1.Event{Type: "customer.balance_changed", Version: step.b.GetVersion(),
			Payload: &erpv1.Event_CustomerBalance{CustomerBalance: step.b}}
		if err := e.applyERP(context.Background(), ev); err != nil {
			t.Fatalf("%s: %v", step.what, err)
		}
		if got := shownCredit(s.accounts[accountA]); got != step.want {
			t.Errorf("after the %s the account shows %q, want %q", step.what, got, step.want)
		}
	}
}

// A pass compares each balance's credit too: an account that missed a
// change of credit gets the ERP's, and one whose credit claims a version
// ahead of the ERP's is reset to it. A second pass finds nothing.
func TestReconciliationRepairsCreditDrift(t *testing.T) {
	t.Parallel()
	s := newSides()
	s.addAccount(accountA, "Acme", 1)
	s.addAccount(accountB, "Beta GmbH", 1)
	custA, custB := s.accounts[accountA].GetErpCustomerId(), s.accounts[accountB].GetErpCustomerId()
	e := s.engine(newStore(t))
	ctx := context.Background()
	for _, b := range []*erpv1.CustomerBalance{customerBalance(custA, "0.00", "0.00", 4), customerBalance(custB, "0.00", "80.00", 1e15)} {
		if err := e.applyBalance(ctx, b, b.GetVersion()); err != nil {
			t.Fatal(err)
		}
	}
	// The ERP moved on: A over-paid (a delivery lost), B's credit was
	// applied (its copy claims a version the ERP never reached).
	s.setBalance(customerBalance(custA, "0.00", "50.00", 5))
	s.setBalance(customerBalance(custB, "0.00", "0.00", 7))

	r := reconciled(t, e)
	if got := counts(r)[CheckAccountBalance]; got != "2/2/2/0" {
		t.Errorf("%s checked/drifted/repaired/changed = %s, want 2/2/2/0 (%+v)", CheckAccountBalance, got, r.Repairs)
	}
	details := map[string]string{}
	for _, rep := range r.Repairs {
		details[rep.Key] = rep.Detail
	}
	if d := details[accountA]; !strings.Contains(d, "the ERP has PAID: EUR open 0.00 overdue 0.00 credit 50.00") {
		t.Errorf("repair of %s: %q, want it to name the ERP's credit", accountA, d)
	}
	if d := details[accountB]; !strings.Contains(d, "account shows PAID: EUR open 0.00 overdue 0.00 credit 80.00") {
		t.Errorf("repair of %s: %q, want it to name the credit shown", accountB, d)
	}
	for id, want := range map[string]string{accountA: "PAID EUR 0.00 50.00", accountB: "PAID EUR 0.00 0.00"} {
		if got := shownCredit(s.accounts[id]); got != want {
			t.Errorf("account %s shows %q after the pass, want %q", id, got, want)
		}
	}
	if r := reconciled(t, e); len(r.Repairs) != 0 || counts(r)[CheckAccountBalance] != "2/0/0/0" {
		t.Errorf("second pass: %s %+v, want nothing", counts(r)[CheckAccountBalance], r.Repairs)
	}
}
