package api

import (
	"context"

	"github.com/seamhq/seam/crm-service/internal/overview"
	"github.com/seamhq/seam/crm-service/internal/servicecase"
	"github.com/seamhq/seam/platform/money"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

type overviewServer struct {
	crmv1.UnimplementedAccountOverviewServiceServer
	svc   *overview.Service
	cases *servicecase.Service // its clock sets the cases' breach flags
}

func (s *overviewServer) GetAccountOverview(ctx context.Context, req *crmv1.GetAccountOverviewRequest) (*crmv1.AccountOverview, error) {
	ov, err := s.svc.Get(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	now := s.cases.Now()
	out := &crmv1.AccountOverview{
		Account:           accountToProto(ov.Account),
		Contacts:          make([]*crmv1.Contact, len(ov.Contacts)),
		OpenOpportunities: make([]*crmv1.Opportunity, len(ov.OpenOpportunities)),
		RecentActivities:  make([]*crmv1.Activity, len(ov.RecentActivities)),
		OpenCases:         make([]*crmv1.Case, len(ov.OpenCases)),
		Orders:            make([]*crmv1.AccountOrder, 0, len(ov.Orders)),
	}
	for i, c := range ov.Contacts {
		out.Contacts[i] = contactToProto(c)
	}
	for i, o := range ov.OpenOpportunities {
		out.OpenOpportunities[i] = opportunityToProto(o)
	}
	for i, a := range ov.RecentActivities {
		out.RecentActivities[i] = activityToProto(a)
	}
	for i, c := range ov.OpenCases {
		out.OpenCases[i] = caseToProto(c, now)
	}
	for _, o := range ov.Orders {
		p := opportunityToProto(o)
		out.Orders = append(out.Orders, &crmv1.AccountOrder{
			OpportunityId: o.ID, OpportunityName: o.Name, Order: p.GetOrder(), Amount: money.ToProto(o.Amount),
			PaymentStatus: paymentStatuses[o.PaymentStatus], CloseTime: timeToProto(o.CloseTime),
		})
	}
	return out, nil
}
