package flow

import (
	"context"
	"slices"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	crmv1 "github.com/seamhq/seam/proto/crm/v1"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
)

// SetAccountPaymentStatus applies each currency's balance whose version is
// newer than the one the account shows (any, with a reset of the account's
// etag), credit included, and derives the account's status from all of
// them, as the CRM does.
func (c *crmSide) SetAccountPaymentStatus(_ context.Context, req *crmv1.SetAccountPaymentStatusRequest, _ ...grpc.CallOption) (*crmv1.Account, error) {
	return answer(c.sides, "SetAccountPaymentStatus", func() (*crmv1.Account, error) {
		a, ok := c.accounts[req.GetAccountId()]
		if !ok {
			return nil, notFound("account")
		}
		if reset := req.GetResetEtag(); reset != "" && reset != a.GetEtag() {
			return nil, status.Error(codes.Aborted, "account changed")
		}
		if c.balanceShown == nil {
			c.balanceShown = map[string]int64{}
		}
		changed := false
		for _, u := range req.GetBalances() {
			key := a.GetId() + " " + u.GetCurrencyCode()
			if req.GetResetEtag() == "" && u.GetSourceVersion() <= c.balanceShown[key] {
				continue
			}
			c.balanceShown[key] = u.GetSourceVersion()
			b := &crmv1.AccountBalance{CurrencyCode: u.GetCurrencyCode(), OpenBalance: u.GetOpenBalance(),
				OverdueBalance: u.GetOverdueBalance(), Credit: u.GetCredit()}
			i := slices.IndexFunc(a.Balances, func(s *crmv1.AccountBalance) bool { return s.GetCurrencyCode() == u.GetCurrencyCode() })
			if i < 0 {
				a.Balances = append(a.Balances, b)
			} else {
				a.Balances[i] = b
			}
			changed = true
		}
		if changed {
			var erp []*erpv1.CustomerBalance
			for _, b := range a.GetBalances() {
				erp = append(erp, &erpv1.CustomerBalance{OpenBalance: b.GetOpenBalance(), OverdueBalance: b.GetOverdueBalance()})
			}
			a.PaymentStatus, a.Etag = customerPaymentStatus(erp), nextEtag(a.GetEtag())
		}
		return a, nil
	})
}

// GetCustomerBalance answers a customer's balance in a currency: a zero
// one of version 0 when the ERP has none.
func (e *erpSide) GetCustomerBalance(_ context.Context, req *erpv1.GetCustomerBalanceRequest, _ ...grpc.CallOption) (*erpv1.CustomerBalance, error) {
	return answer(e.sides, "GetCustomerBalance", func() (*erpv1.CustomerBalance, error) {
		for _, b := range e.balances[req.GetCustomerId()] {
			if b.GetCurrencyCode() == req.GetCurrencyCode() {
				return b, nil
			}
		}
		return &erpv1.CustomerBalance{CustomerId: req.GetCustomerId(), CurrencyCode: req.GetCurrencyCode()}, nil
	})
}

// setBalance gives a customer its balance in one currency, replacing the
// one it had.
func (s *sides) setBalance(b *erpv1.CustomerBalance) {
	if s.balances == nil {
		s.balances = map[string][]*erpv1.CustomerBalance{}
	}
	bs := slices.DeleteFunc(s.balances[b.GetCustomerId()], func(o *erpv1.CustomerBalance) bool {
		return o.GetCurrencyCode() == b.GetCurrencyCode()
	})
	s.balances[b.GetCustomerId()] = append(bs, b)
}
