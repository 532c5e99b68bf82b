package api

import (
	"context"

	"github.com/seamhq/seam/crm-service/internal/account"
	"github.com/seamhq/seam/crm-service/internal/catalog"
	"github.com/seamhq/seam/crm-service/internal/pipeline"
	"github.com/seamhq/seam/platform/errs"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

// syncServer takes the ERP facts the bridge copies into CRM. Its writes are
// guarded by source versions and record no events (the bridge would only
// hear back its own writes); the account and opportunity writes still bump
// the etag.
type syncServer struct {
	crmv1.UnimplementedSyncServiceServer
	catalog       *catalog.Service
	accounts      *account.Service
	opportunities *pipeline.Service
}

func (s *syncServer) UpsertProducts(ctx context.Context, req *crmv1.UpsertProductsRequest) (*crmv1.UpsertProductsResponse, error) {
	in := make([]catalog.UpsertInput, len(req.GetProducts()))
	for i, p := range req.GetProducts() {
		in[i] = catalog.UpsertInput{
			SKU:             p.GetSku(),
			Name:            p.GetName(),
			ListPrice:       moneyInput(p.GetListPrice()),
			UnitOfMeasure:   p.GetUnitOfMeasure(),
			WholeQuantities: p.WholeQuantities, // nil when the entry does not say
			SourceVersion:   p.GetSourceVersion(),
			ResetEtag:       p.GetResetEtag(),
		}
	}
	res, err := s.catalog.Upsert(ctx, in)
	if err != nil {
		return nil, err
	}
	return &crmv1.UpsertProductsResponse{Applied: int32(res.Applied), Stale: int32(res.Stale)}, nil
}

func (s *syncServer) SetAvailability(ctx context.Context, req *crmv1.SetAvailabilityRequest) (*crmv1.SetAvailabilityResponse, error) {
	in := make([]catalog.AvailabilityInput, len(req.GetUpdates()))
	for i, u := range req.GetUpdates() {
		in[i] = catalog.AvailabilityInput{
			SKU:           u.GetSku(),
			OnHand:        u.GetOnHand(),
			Reserved:      u.GetReserved(),
			Available:     u.GetAvailable(),
			PromiseDate:   u.GetPromiseDate(),
			SourceVersion: u.GetSourceVersion(),
			ResetEtag:     u.GetResetEtag(),
		}
		for _, q := range u.GetPromiseSchedule() {
			in[i].Schedule = append(in[i].Schedule, catalog.PromisableInput{Date: q.GetDate(), Quantity: q.GetQuantity()})
		}
		if u.GetAsOf() != nil {
			in[i].AsOf = u.GetAsOf().AsTime()
		}
	}
	res, err := s.catalog.SetAvailability(ctx, in)
	if err != nil {
		return nil, err
	}
	return &crmv1.SetAvailabilityResponse{Applied: int32(res.Applied), Stale: int32(res.Stale), UnknownSkus: res.Unknown}, nil
}

func (s *syncServer) SetOpportunityOrder(ctx context.Context, req *crmv1.SetOpportunityOrderRequest) (*crmv1.Opportunity, error) {
	o, err := s.opportunities.SetOrder(ctx, req.GetOpportunityId(), pipeline.OrderInput{
		ID:            req.GetOrderId(),
		Number:        req.GetOrderNumber(),
		Status:        fulfillmentFromProto(req.GetStatus()),
		SourceVersion: req.GetSourceVersion(),
		Lines:         lineInputs(req.GetLines()),
		ResetEtag:     req.GetResetEtag(),
	})
	if err != nil {
		return nil, err
	}
	return opportunityToProto(o), nil
}

func (s *syncServer) LinkAccount(ctx context.Context, req *crmv1.LinkAccountRequest) (*crmv1.Account, error) {
	a, err := s.accounts.LinkCustomer(ctx, req.GetAccountId(), req.GetErpCustomerId())
	if err != nil {
		return nil, err
	}
	return accountToProto(a), nil
}

func (s *syncServer) SetAccountPaymentStatus(ctx context.Context, req *crmv1.SetAccountPaymentStatusRequest) (*crmv1.Account, error) {
	var in account.PaymentInput
	for _, b := range req.GetBalances() {
		in.Balances = append(in.Balances, account.BalanceInput{
			Currency: b.GetCurrencyCode(), Open: amountInput(b.GetOpenBalance()), Overdue: amountInput(b.GetOverdueBalance()),
			Credit: amountInput(b.GetCredit()), SourceVersion: b.GetSourceVersion(),
		})
	}
	switch {
	case len(in.Balances) > 0 && (req.GetOpenBalance() != nil || req.GetOverdueBalance() != nil):
		field := "open_balance"
		if req.GetOpenBalance() == nil {
			field = "overdue_balance"
		}
		return nil, errs.Invalid(field, "is the single-currency form; send the currency's balance in balances instead")
	case len(in.Balances) == 0 && (req.GetOpenBalance() != nil || req.GetOverdueBalance() != nil || req.GetSourceVersion() != 0):
		// The single-currency form of callers from before balances.
		in.Single = true
		in.Balances = []account.BalanceInput{{
			Open: amountInput(req.GetOpenBalance()), Overdue: amountInput(req.GetOverdueBalance()), SourceVersion: req.GetSourceVersion(),
		}}
	}
	in.ResetEtag = req.GetResetEtag()
	a, err := s.accounts.SetPaymentStatus(ctx, req.GetAccountId(), in)
	if err != nil {
		return nil, err
	}
	return accountToProto(a), nil
}

func (s *syncServer) SetOpportunityPaymentStatus(ctx context.Context, req *crmv1.SetOpportunityPaymentStatusRequest) (*crmv1.Opportunity, error) {
	o, err := s.opportunities.SetPaymentStatus(ctx, req.GetOpportunityId(), paymentStatusFromProto(req.GetPaymentStatus()),
		req.GetSourceVersion(), req.GetResetEtag())
	if err != nil {
		return nil, err
	}
	return opportunityToProto(o), nil
}
