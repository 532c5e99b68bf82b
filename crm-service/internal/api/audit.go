package api

import (
	"context"
	"strconv"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/seamhq/seam/crm-service/internal/audit"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

type auditServer struct {
	crmv1.UnimplementedAuditServiceServer
	svc *audit.Service
}

func (s *auditServer) ListAuditEntries(ctx context.Context, req *crmv1.ListAuditEntriesRequest) (*crmv1.ListAuditEntriesResponse, error) {
	list, next, err := s.svc.List(ctx, req.GetFilter(), req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	out := &crmv1.ListAuditEntriesResponse{AuditEntries: make([]*crmv1.AuditEntry, len(list)), NextPageToken: next}
	for i, e := range list {
		out.AuditEntries[i] = &crmv1.AuditEntry{
			Id: strconv.FormatInt(e.ID, 10), Resource: e.Resource, Field: e.Field, OldValue: e.OldValue, NewValue: e.NewValue,
			Actor: e.Actor, ChangeTime: timestamppb.New(e.Time),
		}
	}
	return out, nil
}

func (s *auditServer) ListStageChanges(ctx context.Context, req *crmv1.ListStageChangesRequest) (*crmv1.ListStageChangesResponse, error) {
	list, next, err := s.svc.StageHistory(ctx, req.GetOpportunityId(), req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	out := &crmv1.ListStageChangesResponse{StageChanges: make([]*crmv1.StageChange, len(list)), NextPageToken: next}
	for i, c := range list {
		out.StageChanges[i] = &crmv1.StageChange{
			FromStage: stages[c.From], ToStage: stages[c.To], Actor: c.Actor, ChangeTime: timestamppb.New(c.Time),
		}
	}
	return out, nil
}
