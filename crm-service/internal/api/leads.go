package api

import (
	"context"
	"fmt"

	"github.com/seamhq/seam/crm-service/internal/lead"
	"github.com/seamhq/seam/platform/listing"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

type leadServer struct {
	crmv1.UnimplementedLeadServiceServer
	svc *lead.Service
}

var leadStatuses = map[lead.Status]crmv1.LeadStatus{
	lead.StatusUnspecified:  crmv1.LeadStatus_LEAD_STATUS_UNSPECIFIED,
	lead.StatusNew:          crmv1.LeadStatus_LEAD_STATUS_NEW,
	lead.StatusWorking:      crmv1.LeadStatus_LEAD_STATUS_WORKING,
	lead.StatusQualified:    crmv1.LeadStatus_LEAD_STATUS_QUALIFIED,
	lead.StatusDisqualified: crmv1.LeadStatus_LEAD_STATUS_DISQUALIFIED,
	lead.StatusConverted:    crmv1.LeadStatus_LEAD_STATUS_CONVERTED,
}

func leadStatusFromProto(s crmv1.LeadStatus) lead.Status {
	for d, p := range leadStatuses {
		if p == s {
			return d
		}
	}
	return lead.Status(fmt.Sprintf("status(%d)", int32(s)))
}

// leadStatusFilterValue accepts "LEAD_STATUS_NEW" or "new".
func leadStatusFilterValue(field, value string) (string, error) {
	if field != "status" {
		return value, nil
	}
	return enumFilterValue("lead status", value, leadStatuses)
}

func leadToProto(l lead.Lead) *crmv1.Lead {
	return &crmv1.Lead{
		Id: l.ID, Name: l.Name, Company: l.Company, Title: l.Title, Email: l.Email, Phone: l.Phone, Website: l.Website,
		Source: l.Source, CampaignId: l.CampaignID, Status: leadStatuses[l.Status], Owner: l.Owner,
		ConvertedAccountId: l.ConvertedAccountID, ConvertedContactId: l.ConvertedContactID,
		ConvertedOpportunityId: l.ConvertedOpportunityID, ConvertTime: timeToProto(l.ConvertTime),
		Etag: l.ETag(), CreateTime: timeToProto(l.CreateTime), UpdateTime: timeToProto(l.UpdateTime),
		MergedIntoLeadId: l.MergedInto,
	}
}

func leadInput(l *crmv1.Lead) lead.Input {
	return lead.Input{
		Name: l.GetName(), Company: l.GetCompany(), Title: l.GetTitle(), Email: l.GetEmail(), Phone: l.GetPhone(),
		Website: l.GetWebsite(), Source: l.GetSource(), CampaignID: l.GetCampaignId(), Owner: l.GetOwner(),
		Status: leadStatusFromProto(l.GetStatus()),
	}
}

func (s *leadServer) CreateLead(ctx context.Context, req *crmv1.CreateLeadRequest) (*crmv1.Lead, error) {
	l, err := s.svc.Create(ctx, leadInput(req.GetLead()), req.GetRequestId(), req.GetForce())
	if err != nil {
		return nil, duplicate(under("lead", err))
	}
	return leadToProto(l), nil
}

func (s *leadServer) GetLead(ctx context.Context, req *crmv1.GetLeadRequest) (*crmv1.Lead, error) {
	l, err := s.svc.Get(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	return leadToProto(l), nil
}

func (s *leadServer) ListLeads(ctx context.Context, req *crmv1.ListLeadsRequest) (*crmv1.ListLeadsResponse, error) {
	p, err := parseOrderedPage(req, lead.FilterFields, leadStatusFilterValue, lead.OrderFields, nil)
	if err != nil {
		return nil, err
	}
	list, more, err := s.svc.List(ctx, lead.Query{Equal: p.equal, Order: p.order, After: p.after, AfterKey: p.afterKey, Limit: p.limit})
	if err != nil {
		return nil, err
	}
	resp := &crmv1.ListLeadsResponse{Leads: make([]*crmv1.Lead, len(list))}
	for i, l := range list {
		resp.Leads[i] = leadToProto(l)
	}
	// Leads of long texts end a page early (listing.Fit).
	if n := listing.Fit(resp.Leads); n < len(list) {
		resp.Leads, list, more = resp.Leads[:n], list[:n], true
	}
	if more {
		last := list[len(list)-1]
		resp.NextPageToken = p.nextOrderedToken(more, lead.OrderKey(last, p.order.Field), last.ID)
	}
	return resp, nil
}

func (s *leadServer) UpdateLead(ctx context.Context, req *crmv1.UpdateLeadRequest) (*crmv1.Lead, error) {
	mutable := make([]string, len(lead.MutableFields))
	for i, f := range lead.MutableFields {
		mutable[i] = string(f)
	}
	names, err := maskFields(req.GetUpdateMask(), mutable, lead.ReadOnlyFields)
	if err != nil {
		return nil, err
	}
	fields := make([]lead.Field, len(names))
	for i, n := range names {
		fields[i] = lead.Field(n)
	}
	l := req.GetLead()
	out, err := s.svc.Update(ctx, l.GetId(), leadInput(l), fields, l.GetEtag(), req.GetForce())
	if err != nil {
		return nil, duplicate(under("lead", err))
	}
	return leadToProto(out), nil
}

func (s *leadServer) DeleteLead(ctx context.Context, req *crmv1.DeleteLeadRequest) (*crmv1.DeleteLeadResponse, error) {
	if err := s.svc.Delete(ctx, req.GetId(), req.GetEtag()); err != nil {
		return nil, err
	}
	return &crmv1.DeleteLeadResponse{}, nil
}

func (s *leadServer) MergeLead(ctx context.Context, req *crmv1.MergeLeadRequest) (*crmv1.Lead, error) {
	l, err := s.svc.Merge(ctx, req.GetId(), req.GetDuplicateId(), req.GetEtag())
	if err != nil {
		return nil, err
	}
	return leadToProto(l), nil
}

func (s *leadServer) ConvertLead(ctx context.Context, req *crmv1.ConvertLeadRequest) (*crmv1.Lead, error) {
	in := lead.ConvertInput{Etag: req.GetEtag(), RequestID: req.GetRequestId(), AccountID: req.GetAccountId()}
	if o := req.GetOpportunity(); o != nil {
		in.Opportunity = &lead.OpportunityInput{
			Name: o.GetName(), Currency: o.GetCurrencyCode(), ExpectedCloseDate: o.GetExpectedCloseDate(), Owner: o.GetOwner(),
		}
	}
	l, err := s.svc.Convert(ctx, req.GetId(), in)
	if err != nil {
		return nil, err
	}
	return leadToProto(l), nil
}
