package api

import (
	"context"

	"github.com/seamhq/seam/crm-service/internal/campaign"
	"github.com/seamhq/seam/platform/civil"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/money"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
	moneyv1 "github.com/seamhq/seam/proto/money/v1"
)

type campaignServer struct {
	crmv1.UnimplementedCampaignServiceServer
	svc     *campaign.Service
	members *campaign.Members
}

var campaignStatuses = map[campaign.Status]crmv1.CampaignStatus{
	campaign.StatusUnspecified: crmv1.CampaignStatus_CAMPAIGN_STATUS_UNSPECIFIED,
	campaign.StatusPlanned:     crmv1.CampaignStatus_CAMPAIGN_STATUS_PLANNED,
	campaign.StatusActive:      crmv1.CampaignStatus_CAMPAIGN_STATUS_ACTIVE,
	campaign.StatusCompleted:   crmv1.CampaignStatus_CAMPAIGN_STATUS_COMPLETED,
	campaign.StatusCancelled:   crmv1.CampaignStatus_CAMPAIGN_STATUS_CANCELLED,
}

func campaignStatusFromProto(s crmv1.CampaignStatus) campaign.Status {
	for k, v := range campaignStatuses {
		if v == s {
			return k
		}
	}
	return campaign.StatusUnspecified
}

func campaignToProto(c campaign.Campaign) *crmv1.Campaign {
	out := &crmv1.Campaign{
		Id: c.ID, Name: c.Name, Channel: c.Channel, Owner: c.Owner,
		StartDate: civil.FormatDate(c.StartDate), EndDate: civil.FormatDate(c.EndDate),
		Status: campaignStatuses[c.Status], Etag: c.ETag(),
		CreateTime: timeToProto(c.CreateTime), UpdateTime: timeToProto(c.UpdateTime),
		MemberCount: c.Members, RespondedMemberCount: c.RespondedMembers,
	}
	if c.Budget != nil {
		out.Budget = money.ToProto(*c.Budget)
	}
	return out
}

func campaignInput(c *crmv1.Campaign) campaign.Input {
	return campaign.Input{
		Name: c.GetName(), Channel: c.GetChannel(), Owner: c.GetOwner(),
		HasBudget: c.GetBudget() != nil, BudgetCurrency: c.GetBudget().GetCurrencyCode(), BudgetValue: c.GetBudget().GetAmount(),
		StartDate: c.GetStartDate(), EndDate: c.GetEndDate(), Status: campaignStatusFromProto(c.GetStatus()),
	}
}

// EncodeCampaign implements campaign.Encoder.
func (Payloads) EncodeCampaign(c campaign.Campaign) ([]byte, error) {
	return payloadJSON.Marshal(campaignToProto(c))
}

// campaignFilterValue accepts a status as "CAMPAIGN_STATUS_ACTIVE" or
// "active".
func campaignFilterValue(field, value string) (string, error) {
	if field != "status" {
		return value, nil
	}
	return enumFilterValue("status", value, campaignStatuses)
}

func (s *campaignServer) CreateCampaign(ctx context.Context, req *crmv1.CreateCampaignRequest) (*crmv1.Campaign, error) {
	c, err := s.svc.Create(ctx, campaignInput(req.GetCampaign()), req.GetRequestId())
	if err != nil {
		return nil, under("campaign", err)
	}
	return campaignToProto(c), nil
}

func (s *campaignServer) GetCampaign(ctx context.Context, req *crmv1.GetCampaignRequest) (*crmv1.Campaign, error) {
	c, err := s.svc.Get(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	return campaignToProto(c), nil
}

func (s *campaignServer) ListCampaigns(ctx context.Context, req *crmv1.ListCampaignsRequest) (*crmv1.ListCampaignsResponse, error) {
	p, err := parseList(req, true, campaign.FilterFields, campaignFilterValue, campaign.OrderFields, nil, campaign.RangeFields)
	if err != nil {
		return nil, err
	}
	q := campaign.Query{Equal: p.equal, Order: p.order, After: p.after, AfterKey: p.afterKey, Limit: p.limit}
	for _, c := range p.ranges {
		d, err := civil.ParseDate(c.Value)
		if err != nil {
			return nil, errs.Invalid("filter", "%s needs a date like \"2030-01-02\": %v", c.Field, err)
		}
		q.Ranges = append(q.Ranges, campaign.Range{Field: c.Field, Op: string(c.Op), Date: d})
	}
	list, more, err := s.svc.List(ctx, q)
	if err != nil {
		return nil, err
	}
	resp := &crmv1.ListCampaignsResponse{Campaigns: make([]*crmv1.Campaign, len(list))}
	for i, c := range list {
		resp.Campaigns[i] = campaignToProto(c)
	}
	if more {
		last := list[len(list)-1]
		resp.NextPageToken = p.nextOrderedToken(more, campaign.OrderKey(last, p.order.Field), last.ID)
	}
	return resp, nil
}

func (s *campaignServer) UpdateCampaign(ctx context.Context, req *crmv1.UpdateCampaignRequest) (*crmv1.Campaign, error) {
	mutable := make([]string, len(campaign.MutableFields))
	for i, f := range campaign.MutableFields {
		mutable[i] = string(f)
	}
	names, err := maskFields(req.GetUpdateMask(), mutable, campaign.ReadOnlyFields)
	if err != nil {
		return nil, err
	}
	fields := make([]campaign.Field, len(names))
	for i, n := range names {
		fields[i] = campaign.Field(n)
	}
	c := req.GetCampaign()
	in := campaignInput(c)
	if in.Status == campaign.StatusUnspecified {
		// Not sent: keep the current status (proto3 cannot tell).
		fields = without(fields, campaign.FieldStatus)
	}
	out, err := s.svc.Update(ctx, c.GetId(), in, fields, c.GetEtag())
	if err != nil {
		return nil, under("campaign", err)
	}
	return campaignToProto(out), nil
}

func without(fields []campaign.Field, drop campaign.Field) []campaign.Field {
	out := fields[:0:0]
	for _, f := range fields {
		if f != drop {
			out = append(out, f)
		}
	}
	return out
}

func (s *campaignServer) DeleteCampaign(ctx context.Context, req *crmv1.DeleteCampaignRequest) (*crmv1.DeleteCampaignResponse, error) {
	if err := s.svc.Delete(ctx, req.GetId(), req.GetEtag()); err != nil {
		return nil, err
	}
	return &crmv1.DeleteCampaignResponse{}, nil
}

func (s *campaignServer) GetCampaignStats(ctx context.Context, req *crmv1.GetCampaignStatsRequest) (*crmv1.CampaignStats, error) {
	st, err := s.svc.Stats(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	out := &crmv1.CampaignStats{
		CampaignId: req.GetId(), Leads: st.Leads, ConvertedLeads: st.ConvertedLeads, WonOpportunities: st.WonOpportunities,
		WonAmounts: make([]*moneyv1.Money, len(st.WonAmounts)),
		Members:    st.Members, RespondedMembers: st.RespondedMembers, ResponseRate: st.ResponseRate.StringFixed(4),
	}
	for i, m := range st.WonAmounts {
		out.WonAmounts[i] = money.ToProto(m)
	}
	if st.CostPerWonDeal != nil {
		out.CostPerWonDeal = money.ToProto(*st.CostPerWonDeal)
	}
	return out, nil
}
