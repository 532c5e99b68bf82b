package api

import (
	"context"

	"github.com/seamhq/seam/crm-service/internal/account"
	"github.com/seamhq/seam/platform/listing"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

type accountServer struct {
	crmv1.UnimplementedAccountServiceServer
	svc *account.Service
}

func accountFields() []string {
	out := make([]string, len(account.MutableFields))
	for i, f := range account.MutableFields {
		out[i] = string(f)
	}
	return out
}

func (s *accountServer) CreateAccount(ctx context.Context, req *crmv1.CreateAccountRequest) (*crmv1.Account, error) {
	a, err := s.svc.Create(ctx, accountInput(req.GetAccount()), req.GetRequestId(), req.GetForce())
	if err != nil {
		return nil, duplicate(under("account", err))
	}
	return accountToProto(a), nil
}

func (s *accountServer) GetAccount(ctx context.Context, req *crmv1.GetAccountRequest) (*crmv1.Account, error) {
	a, err := s.svc.Get(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	return accountToProto(a), nil
}

func (s *accountServer) ListAccounts(ctx context.Context, req *crmv1.ListAccountsRequest) (*crmv1.ListAccountsResponse, error) {
	p, err := parseOrderedPage(req, account.FilterFields, nil, account.OrderFields, nil)
	if err != nil {
		return nil, err
	}
	list, more, err := s.svc.List(ctx, account.Query{Equal: p.equal, Order: p.order, After: p.after, AfterKey: p.afterKey, Limit: p.limit})
	if err != nil {
		return nil, err
	}
	resp := &crmv1.ListAccountsResponse{Accounts: make([]*crmv1.Account, len(list))}
	for i, a := range list {
		resp.Accounts[i] = accountToProto(a)
	}
	// Accounts of long texts and many currencies end a page early (listing.Fit).
	if n := listing.Fit(resp.Accounts); n < len(list) {
		resp.Accounts, list, more = resp.Accounts[:n], list[:n], true
	}
	if more {
		last := list[len(list)-1]
		resp.NextPageToken = p.nextOrderedToken(more, account.OrderKey(last, p.order.Field), last.ID)
	}
	return resp, nil
}

func (s *accountServer) UpdateAccount(ctx context.Context, req *crmv1.UpdateAccountRequest) (*crmv1.Account, error) {
	names, err := maskFields(req.GetUpdateMask(), accountFields(), account.ReadOnlyFields)
	if err != nil {
		return nil, err
	}
	fields := make([]account.Field, len(names))
	for i, n := range names {
		fields[i] = account.Field(n)
	}
	a := req.GetAccount()
	out, err := s.svc.Update(ctx, a.GetId(), accountInput(a), fields, a.GetEtag(), req.GetForce())
	if err != nil {
		return nil, duplicate(under("account", err))
	}
	return accountToProto(out), nil
}

func (s *accountServer) DeleteAccount(ctx context.Context, req *crmv1.DeleteAccountRequest) (*crmv1.DeleteAccountResponse, error) {
	if err := s.svc.Delete(ctx, req.GetId(), req.GetEtag()); err != nil {
		return nil, err
	}
	return &crmv1.DeleteAccountResponse{}, nil
}
