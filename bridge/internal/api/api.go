// Package api serves bridge.v1: the bridge's status for operators and
// partner monitoring.
package api

import (
	"context"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/seamhq/seam/bridge/internal/flow"
	"github.com/seamhq/seam/platform/auth"
	bridgev1 "github.com/seamhq/seam/proto/bridge/v1"
)

// Policy lists the roles allowed to call each RPC.
var Policy = auth.Policy{
	bridgev1.BridgeService_GetStatus_FullMethodName: {auth.Integration},
}

// StatusSource reports the bridge's state.
type StatusSource interface {
	Status(ctx context.Context) []flow.FeedStatus
	Leader() bool
}

// Server implements bridgev1.BridgeServiceServer.
type Server struct {
	bridgev1.UnimplementedBridgeServiceServer
	engine   StatusSource
	instance string
	started  time.Time
}

// New returns the API server.
func New(engine StatusSource, instance string, started time.Time) *Server {
	return &Server{engine: engine, instance: instance, started: started}
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
