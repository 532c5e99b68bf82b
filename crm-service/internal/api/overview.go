package api

import (
	"context"
	"slices"

	"google.golang.org/protobuf/proto"

	"github.com/seamhq/seam/crm-service/internal/overview"
	"github.com/seamhq/seam/crm-service/internal/servicecase"
	"github.com/seamhq/seam/platform/listing"
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
	fitOverview(out)
	return out, nil
}

// fitOverview shortens the lists of an overview whose items would encode
// to more than listing.MaxPageBytes (a hundred opportunities of hundreds
// of lines, a hundred cases of long descriptions), so that a gRPC client
// with the default 4 MiB limit receives every overview. The lists share
// the bytes the account leaves: a list that needs less than an equal
// share keeps all of it, and the others share the rest equally. Each
// list keeps its first items (its order is its priority), at least one;
// the List methods read the rest.
func fitOverview(out *crmv1.AccountOverview) {
	sizes := []int{size(out.Contacts), size(out.OpenOpportunities), size(out.RecentActivities), size(out.OpenCases), size(out.Orders)}
	budget := listing.MaxPageBytes - listing.ItemSize(out.Account)
	total := 0
	for _, n := range sizes {
		total += n
	}
	if total <= budget {
		return
	}
	shares := shareBytes(sizes, budget)
	out.Contacts = out.Contacts[:listing.FitWithin(out.Contacts, shares[0])]
	out.OpenOpportunities = out.OpenOpportunities[:listing.FitWithin(out.OpenOpportunities, shares[1])]
	out.RecentActivities = out.RecentActivities[:listing.FitWithin(out.RecentActivities, shares[2])]
	out.OpenCases = out.OpenCases[:listing.FitWithin(out.OpenCases, shares[3])]
	out.Orders = out.Orders[:listing.FitWithin(out.Orders, shares[4])]
}

// size is what items add to a response.
func size[T proto.Message](items []T) int {
	n := 0
	for _, it := range items {
		n += listing.ItemSize(it)
	}
	return n
}

// shareBytes splits budget among lists needing sizes bytes: from the
// smallest up, each gets what it needs up to an equal share of what the
// ones before it left.
func shareBytes(sizes []int, budget int) []int {
	order := make([]int, len(sizes))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return sizes[a] - sizes[b] })
	out := make([]int, len(sizes))
	left := max(budget, 0)
	for k, i := range order {
		out[i] = min(sizes[i], left/(len(order)-k))
		left -= out[i]
	}
	return out
}
