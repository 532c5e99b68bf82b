package api

import (
	"context"
	"slices"

	"github.com/seamhq/seam/crm-service/internal/pipeline"
	"github.com/seamhq/seam/platform/listing"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

type opportunityServer struct {
	crmv1.UnimplementedOpportunityServiceServer
	svc *pipeline.Service
}

func opportunityFields() []string {
	out := make([]string, len(pipeline.MutableFields))
	for i, f := range pipeline.MutableFields {
		out[i] = string(f)
	}
	return out
}

func (s *opportunityServer) CreateOpportunity(ctx context.Context, req *crmv1.CreateOpportunityRequest) (*crmv1.Opportunity, error) {
	o := req.GetOpportunity()
	// proto3 cannot tell an unset probability from 0: 0 means "the
	// stage's default".
	out, err := s.svc.Create(ctx, opportunityInput(o, o.GetProbability() != 0), req.GetRequestId())
	if err != nil {
		return nil, under("opportunity", err)
	}
	return opportunityToProto(out), nil
}

func (s *opportunityServer) GetOpportunity(ctx context.Context, req *crmv1.GetOpportunityRequest) (*crmv1.Opportunity, error) {
	o, err := s.svc.Get(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	return opportunityToProto(o), nil
}

func (s *opportunityServer) WatchOpportunity(req *crmv1.WatchOpportunityRequest, stream crmv1.OpportunityService_WatchOpportunityServer) error {
	return s.svc.Watch(stream.Context(), req.GetId(), func(o pipeline.Opportunity) error {
		return stream.Send(opportunityToProto(o))
	})
}

func (s *opportunityServer) ListOpportunities(ctx context.Context, req *crmv1.ListOpportunitiesRequest) (*crmv1.ListOpportunitiesResponse, error) {
	p, err := parseOrderedPage(req, pipeline.FilterFields, opportunityFilterValue, pipeline.OrderFields, pipeline.OrderAliases)
	if err != nil {
		return nil, err
	}
	list, more, err := s.svc.List(ctx, pipeline.Query{Equal: p.equal, Order: p.order, After: p.after, AfterKey: p.afterKey, Limit: p.limit})
	if err != nil {
		return nil, err
	}
	resp := &crmv1.ListOpportunitiesResponse{Opportunities: make([]*crmv1.Opportunity, len(list))}
	for i, o := range list {
		resp.Opportunities[i] = opportunityToProto(o)
	}
	// Opportunities of many lines end a page early (listing.Fit).
	if n := listing.Fit(resp.Opportunities); n < len(list) {
		resp.Opportunities, list, more = resp.Opportunities[:n], list[:n], true
	}
	if more {
		last := list[len(list)-1]
		resp.NextPageToken = p.nextOrderedToken(more, pipeline.OrderKey(last, p.order.Field), last.ID)
	}
	return resp, nil
}

func (s *opportunityServer) UpdateOpportunity(ctx context.Context, req *crmv1.UpdateOpportunityRequest) (*crmv1.Opportunity, error) {
	names, err := maskFields(req.GetUpdateMask(), opportunityFields(), pipeline.ReadOnlyFields)
	if err != nil {
		return nil, err
	}
	fields := make([]pipeline.Field, len(names))
	for i, n := range names {
		fields[i] = pipeline.Field(n)
	}
	// account_id is read-only, but naming it to change it must not pass
	// as a success that changed nothing: the service refuses that.
	if slices.Contains(req.GetUpdateMask().GetPaths(), string(pipeline.FieldAccountID)) {
		fields = append(fields, pipeline.FieldAccountID)
	}
	o := req.GetOpportunity()
	// Probability is set when the mask names it; without a mask, when it
	// is not 0 (proto3 cannot tell an unset 0).
	probabilityGiven := slices.Contains(req.GetUpdateMask().GetPaths(), string(pipeline.FieldProbability)) ||
		(len(req.GetUpdateMask().GetPaths()) == 0 && o.GetProbability() != 0)
	out, err := s.svc.Update(ctx, o.GetId(), opportunityInput(o, probabilityGiven), fields, o.GetEtag())
	if err != nil {
		return nil, under("opportunity", err)
	}
	return opportunityToProto(out), nil
}

func (s *opportunityServer) DeleteOpportunity(ctx context.Context, req *crmv1.DeleteOpportunityRequest) (*crmv1.DeleteOpportunityResponse, error) {
	if err := s.svc.Delete(ctx, req.GetId(), req.GetEtag()); err != nil {
		return nil, err
	}
	return &crmv1.DeleteOpportunityResponse{}, nil
}

func (s *opportunityServer) WinOpportunity(ctx context.Context, req *crmv1.WinOpportunityRequest) (*crmv1.Opportunity, error) {
	o, err := s.svc.Win(ctx, req.GetId(), req.GetRequestId(), req.GetEtag())
	if err != nil {
		return nil, err
	}
	return opportunityToProto(o), nil
}

func (s *opportunityServer) LoseOpportunity(ctx context.Context, req *crmv1.LoseOpportunityRequest) (*crmv1.Opportunity, error) {
	o, err := s.svc.Lose(ctx, req.GetId(), req.GetRequestId(), req.GetEtag(), req.GetLostReason())
	if err != nil {
		return nil, err
	}
	return opportunityToProto(o), nil
}

func (s *opportunityServer) ReopenOpportunity(ctx context.Context, req *crmv1.ReopenOpportunityRequest) (*crmv1.Opportunity, error) {
	o, err := s.svc.Reopen(ctx, req.GetId(), req.GetRequestId(), req.GetEtag(), stageFromProto(req.GetStage()))
	if err != nil {
		return nil, err
	}
	return opportunityToProto(o), nil
}
