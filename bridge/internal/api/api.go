// Package api serves bridge.v1: the bridge's status and its held events,
// for operators and partner monitoring.
package api

import (
	"context"
	"errors"
	"strconv"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/seamhq/seam/bridge/internal/flow"
	"github.com/seamhq/seam/bridge/internal/postgres"
	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/ids"
	"github.com/seamhq/seam/platform/listing"
	bridgev1 "github.com/seamhq/seam/proto/bridge/v1"
)

// Policy lists the roles allowed to call each RPC (admin may call all).
var Policy = auth.Policy{
	bridgev1.BridgeService_GetStatus_FullMethodName:      {auth.Integration},
	bridgev1.BridgeService_ListFailures_FullMethodName:   {auth.Integration},
	bridgev1.BridgeService_RetryFailure_FullMethodName:   {auth.Integration},
	bridgev1.BridgeService_DiscardFailure_FullMethodName: {auth.Integration},
	// Reconciliation repairs data on both sides: operators (admin) and the
	// integration role only.
	bridgev1.BridgeService_RunReconciliation_FullMethodName:   {auth.Integration},
	bridgev1.BridgeService_GetReconciliation_FullMethodName:   {auth.Integration},
	bridgev1.BridgeService_ListReconciliations_FullMethodName: {auth.Integration},
}

// Engine is what the API shows and acts on.
type Engine interface {
	Status(ctx context.Context) []flow.FeedStatus
	Leader() bool
	Failures(ctx context.Context, afterID int64, limit int) ([]postgres.Failure, error)
	RetryFailure(ctx context.Context, id int64) (bool, *postgres.Failure, error)
	DiscardFailure(ctx context.Context, id int64) error
	StartReconcile(ctx context.Context, trigger string) (flow.Report, error)
}

// Reports reads stored reconciliation reports.
type Reports interface {
	Reconciliations(ctx context.Context, beforeID int64, limit int) ([]postgres.Reconciliation, error)
	Reconciliation(ctx context.Context, id int64) (postgres.Reconciliation, bool, error)
}

// Server implements bridgev1.BridgeServiceServer.
type Server struct {
	bridgev1.UnimplementedBridgeServiceServer
	engine   Engine
	reports  Reports
	instance string
	started  time.Time
}

// New returns the API server.
func New(engine Engine, reports Reports, instance string, started time.Time) *Server {
	return &Server{engine: engine, reports: reports, instance: instance, started: started}
}

// GetStatus implements bridgev1.BridgeServiceServer.
func (s *Server) GetStatus(ctx context.Context, _ *bridgev1.GetStatusRequest) (*bridgev1.Status, error) {
	out := &bridgev1.Status{
		Leader:    s.engine.Leader(),
		Instance:  s.instance,
		StartTime: timestamppb.New(s.started),
	}
	for _, f := range s.engine.Status(ctx) {
		fs := &bridgev1.FeedStatus{
			Name:       f.Name,
			Cursor:     f.Cursor,
			LagEvents:  int64(f.LagEvents),
			LagSeconds: f.LagSeconds,
			Applied:    f.Applied,
			Failed:     f.Failed,
			Connected:  f.Connected,
			LastError:  f.LastError,
		}
		if !f.LastEventTime.IsZero() {
			fs.LastEventTime = timestamppb.New(f.LastEventTime)
		}
		out.Feeds = append(out.Feeds, fs)
	}
	return out, nil
}

const failuresQuery = "failures"

// ListFailures implements bridgev1.BridgeServiceServer.
func (s *Server) ListFailures(ctx context.Context, req *bridgev1.ListFailuresRequest) (*bridgev1.ListFailuresResponse, error) {
	size, err := listing.PageSize(req.GetPageSize())
	if err != nil {
		return nil, err
	}
	tok, err := listing.DecodeToken(req.GetPageToken(), listing.QueryDigest(failuresQuery))
	if err != nil {
		return nil, err
	}
	var after int64
	if tok != nil {
		if after, err = strconv.ParseInt(tok.After[0], 10, 64); err != nil {
			return nil, errs.Invalid("page_token", "is not a token returned by this list")
		}
	}
	held, err := s.engine.Failures(ctx, after, size+1)
	if err != nil {
		return nil, err
	}
	more := len(held) > size
	if more {
		held = held[:size]
	}
	out := &bridgev1.ListFailuresResponse{}
	for _, f := range held {
		out.Failures = append(out.Failures, ToProto(f))
	}
	// Failures of large events (an opportunity of many lines) end a page
	// early (listing.Fit).
	if n := listing.Fit(out.Failures); n < len(held) {
		out.Failures, held, more = out.Failures[:n], held[:n], true
	}
	if more {
		out.NextPageToken = listing.Token{
			After: []string{strconv.FormatInt(held[len(held)-1].ID, 10)},
			Query: listing.QueryDigest(failuresQuery),
		}.Encode()
	}
	return out, nil
}

// RetryFailure implements bridgev1.BridgeServiceServer.
func (s *Server) RetryFailure(ctx context.Context, req *bridgev1.RetryFailureRequest) (*bridgev1.RetryFailureResponse, error) {
	if err := ids.Positive("id", req.GetId()); err != nil {
		return nil, err
	}
	resolved, head, err := s.engine.RetryFailure(ctx, req.GetId())
	if errors.Is(err, flow.ErrNoFailure) {
		return nil, errs.NotFoundf("failure %d", req.GetId())
	}
	if err != nil {
		return nil, err
	}
	out := &bridgev1.RetryFailureResponse{Resolved: resolved}
	if head != nil {
		out.Failure = ToProto(*head)
	}
	return out, nil
}

// DiscardFailure implements bridgev1.BridgeServiceServer.
func (s *Server) DiscardFailure(ctx context.Context, req *bridgev1.DiscardFailureRequest) (*bridgev1.DiscardFailureResponse, error) {
	if err := ids.Positive("id", req.GetId()); err != nil {
		return nil, err
	}
	err := s.engine.DiscardFailure(ctx, req.GetId())
	if errors.Is(err, flow.ErrNoFailure) {
		return nil, errs.NotFoundf("failure %d", req.GetId())
	}
	if err != nil {
		return nil, err
	}
	return &bridgev1.DiscardFailureResponse{}, nil
}

// ToProto converts a held event.
func ToProto(f postgres.Failure) *bridgev1.Failure {
	out := &bridgev1.Failure{
		Id:         f.ID,
		Feed:       f.Feed,
		EventId:    f.EventID,
		EventType:  f.EventType,
		EventKey:   f.EventKey,
		State:      bridgev1.FailureState_FAILURE_STATE_FAILED,
		Error:      f.Error,
		Attempts:   int32(f.Attempts),
		CreateTime: timestamppb.New(f.CreatedAt),
		EventJson:  flow.EventJSON(f),
	}
	if f.State == postgres.StateWaiting {
		out.State = bridgev1.FailureState_FAILURE_STATE_WAITING
	}
	if !f.NextRetryAt.IsZero() {
		out.NextRetryTime = timestamppb.New(f.NextRetryAt)
	}
	return out
}

// RunReconciliation implements bridgev1.BridgeServiceServer.
func (s *Server) RunReconciliation(ctx context.Context, _ *bridgev1.RunReconciliationRequest) (*bridgev1.Reconciliation, error) {
	r, err := s.engine.StartReconcile(ctx, "api")
	if err != nil {
		return nil, err
	}
	return reportToProto(r), nil
}

// GetReconciliation implements bridgev1.BridgeServiceServer.
func (s *Server) GetReconciliation(ctx context.Context, req *bridgev1.GetReconciliationRequest) (*bridgev1.Reconciliation, error) {
	if err := ids.Positive("id", req.GetId()); err != nil {
		return nil, err
	}
	rec, ok, err := s.reports.Reconciliation(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errs.NotFoundf("reconciliation %d", req.GetId())
	}
	r, err := flow.StoredReport(rec)
	if err != nil {
		return nil, err
	}
	return reportToProto(r), nil
}

const reconciliationsQuery = "reconciliations"

// ListReconciliations implements bridgev1.BridgeServiceServer.
func (s *Server) ListReconciliations(ctx context.Context, req *bridgev1.ListReconciliationsRequest) (*bridgev1.ListReconciliationsResponse, error) {
	size, err := listing.PageSize(req.GetPageSize())
	if err != nil {
		return nil, err
	}
	tok, err := listing.DecodeToken(req.GetPageToken(), listing.QueryDigest(reconciliationsQuery))
	if err != nil {
		return nil, err
	}
	var before int64
	if tok != nil {
		if before, err = strconv.ParseInt(tok.After[0], 10, 64); err != nil {
			return nil, errs.Invalid("page_token", "is not a token returned by this list")
		}
	}
	recs, err := s.reports.Reconciliations(ctx, before, size+1)
	if err != nil {
		return nil, err
	}
	more := len(recs) > size
	if more {
		recs = recs[:size]
	}
	out := &bridgev1.ListReconciliationsResponse{}
	for _, rec := range recs {
		r, err := flow.StoredReport(rec)
		if err != nil {
			return nil, err
		}
		out.Reconciliations = append(out.Reconciliations, reportToProto(r))
	}
	// Reports listing many repairs end a page early (listing.Fit).
	if n := listing.Fit(out.Reconciliations); n < len(recs) {
		out.Reconciliations, recs, more = out.Reconciliations[:n], recs[:n], true
	}
	if more {
		out.NextPageToken = listing.Token{
			After: []string{strconv.FormatInt(recs[len(recs)-1].ID, 10)},
			Query: listing.QueryDigest(reconciliationsQuery),
		}.Encode()
	}
	return out, nil
}

func reportToProto(r flow.Report) *bridgev1.Reconciliation {
	out := &bridgev1.Reconciliation{
		Id: r.ID, Trigger: r.Trigger, StartTime: timestamppb.New(r.Start), Error: r.Error,
		State: bridgev1.ReconciliationState_RECONCILIATION_STATE_SUCCEEDED,
	}
	switch {
	case r.Running():
		out.State = bridgev1.ReconciliationState_RECONCILIATION_STATE_RUNNING
	case r.Error != "":
		out.State = bridgev1.ReconciliationState_RECONCILIATION_STATE_FAILED
	}
	if !r.Running() {
		out.EndTime = timestamppb.New(r.End)
	}
	for _, c := range r.Checks {
		out.Checks = append(out.Checks, &bridgev1.ReconciliationCheck{
			Name: c.Name, Checked: c.Checked, Drifted: c.Drifted, Repaired: c.Repaired, Changed: c.Changed, Unlisted: c.Unlisted,
		})
	}
	for _, rep := range r.Repairs {
		out.Repairs = append(out.Repairs, &bridgev1.Repair{Check: rep.Check, Key: rep.Key, Detail: rep.Detail, Unresolved: rep.Unresolved})
	}
	return out
}
