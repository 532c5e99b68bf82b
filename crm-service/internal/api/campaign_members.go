package api

import (
	"context"
	"fmt"

	"github.com/seamhq/seam/crm-service/internal/campaign"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/ids"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

var memberStatuses = map[campaign.MemberStatus]crmv1.CampaignMemberStatus{
	campaign.MemberStatusUnspecified: crmv1.CampaignMemberStatus_CAMPAIGN_MEMBER_STATUS_UNSPECIFIED,
	campaign.MemberStatusSent:        crmv1.CampaignMemberStatus_CAMPAIGN_MEMBER_STATUS_SENT,
	campaign.MemberStatusResponded:   crmv1.CampaignMemberStatus_CAMPAIGN_MEMBER_STATUS_RESPONDED,
}

func memberStatusFromProto(s crmv1.CampaignMemberStatus) campaign.MemberStatus {
	for k, v := range memberStatuses {
		if v == s {
			return k
		}
	}
	return campaign.MemberStatusUnspecified
}

func memberToProto(m campaign.Member) *crmv1.CampaignMember {
	return &crmv1.CampaignMember{
		Id: m.ID, CampaignId: m.CampaignID, ContactId: m.ContactID, LeadId: m.LeadID,
		Status: memberStatuses[m.Status], RespondTime: timeToProto(m.RespondTime), Etag: m.ETag(),
		CreateTime: timeToProto(m.CreateTime), UpdateTime: timeToProto(m.UpdateTime),
	}
}

func memberInput(m *crmv1.CampaignMember) campaign.MemberInput {
	return campaign.MemberInput{ContactID: m.GetContactId(), LeadID: m.GetLeadId(), Status: memberStatusFromProto(m.GetStatus())}
}

// EncodeCampaignMember implements campaign.MemberEncoder.
func (Payloads) EncodeCampaignMember(m campaign.Member) ([]byte, error) {
	return payloadJSON.Marshal(memberToProto(m))
}

// memberFilterValue reads a status as "CAMPAIGN_MEMBER_STATUS_RESPONDED"
// or "responded", and ids in their canonical form.
func memberFilterValue(field, value string) (string, error) {
	if field == "status" {
		return enumFilterValue("status", value, memberStatuses)
	}
	id, ok := ids.Canonical(value)
	if !ok {
		return "", fmt.Errorf("%s: %s", field, ids.NotUUID)
	}
	return id, nil
}

func (s *campaignServer) CreateCampaignMember(ctx context.Context, req *crmv1.CreateCampaignMemberRequest) (*crmv1.CampaignMember, error) {
	// The path's campaign_id is a request field; the rest are the member's.
	if _, err := ids.UUID("campaign_id", req.GetCampaignId()); err != nil {
		return nil, err
	}
	m, err := s.members.Create(ctx, req.GetCampaignId(), memberInput(req.GetCampaignMember()), req.GetRequestId())
	if err != nil {
		return nil, under("campaign_member", err)
	}
	return memberToProto(m), nil
}

func (s *campaignServer) ListCampaignMembers(ctx context.Context, req *crmv1.ListCampaignMembersRequest) (*crmv1.ListCampaignMembersResponse, error) {
	p, err := parsePage(req, true, campaign.MemberFilterFields, memberFilterValue)
	if err != nil {
		return nil, err
	}
	list, more, err := s.members.List(ctx, campaign.MemberQuery{CampaignID: req.GetCampaignId(), Equal: p.equal, After: p.after, Limit: p.limit})
	if err != nil {
		return nil, err
	}
	resp := &crmv1.ListCampaignMembersResponse{CampaignMembers: make([]*crmv1.CampaignMember, len(list))}
	for i, m := range list {
		resp.CampaignMembers[i] = memberToProto(m)
	}
	if more {
		resp.NextPageToken = p.nextToken(more, list[len(list)-1].ID)
	}
	return resp, nil
}

func (s *campaignServer) UpdateCampaignMember(ctx context.Context, req *crmv1.UpdateCampaignMemberRequest) (*crmv1.CampaignMember, error) {
	names, err := maskFields(req.GetUpdateMask(), campaign.MemberMutableFields, campaign.MemberReadOnlyFields)
	if err != nil {
		return nil, err
	}
	m := req.GetCampaignMember()
	in := memberInput(m)
	switch {
	case len(names) == 0:
		in.Status = campaign.MemberStatusUnspecified
	case in.Status == campaign.MemberStatusUnspecified && len(req.GetUpdateMask().GetPaths()) > 0:
		// Named in the mask, so meant: a member always has a status. An
		// empty mask (every field) leaves an unset status as it is.
		return nil, errs.Invalid("campaign_member.status", "is required")
	}
	out, err := s.members.Update(ctx, m.GetCampaignId(), m.GetId(), in, m.GetEtag())
	if err != nil {
		return nil, under("campaign_member", err)
	}
	return memberToProto(out), nil
}

func (s *campaignServer) DeleteCampaignMember(ctx context.Context, req *crmv1.DeleteCampaignMemberRequest) (*crmv1.DeleteCampaignMemberResponse, error) {
	if err := s.members.Delete(ctx, req.GetCampaignId(), req.GetId(), req.GetEtag()); err != nil {
		return nil, err
	}
	return &crmv1.DeleteCampaignMemberResponse{}, nil
}
