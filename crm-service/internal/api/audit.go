package api

import (
	"context"
	"strconv"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/seamhq/seam/crm-service/internal/audit"
	"github.com/seamhq/seam/platform/listing"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

type auditServer struct {
	crmv1.UnimplementedAuditServiceServer
	svc *audit.Service
}

func (s *auditServer) ListAuditEntries(ctx context.Context, req *crmv1.ListAuditEntriesRequest) (*crmv1.ListAuditEntriesResponse, error) {
	var entries []*crmv1.AuditEntry
	// Entries of large values (whole lines, long descriptions) end a page
	// early (listing.Fit).
	fit := func(list []audit.Entry) int {
		entries = make([]*crmv1.AuditEntry, len(list))
		for i, e := range list {
			entries[i] = &crmv1.AuditEntry{
				Id: strconv.FormatInt(e.ID, 10), Resource: e.Resource, Field: e.Field, OldValue: e.OldValue, NewValue: e.NewValue,
				Actor: e.Actor, ChangeTime: timestamppb.New(e.Time),
			}
		}
		return listing.Fit(entries)
	}
	list, next, err := s.svc.List(ctx, req.GetFilter(), req.GetPageSize(), req.GetPageToken(), fit)
	if err != nil {
		return nil, err
	}
	return &crmv1.ListAuditEntriesResponse{AuditEntries: entries[:len(list)], NextPageToken: next}, nil
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
