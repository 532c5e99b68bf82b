package server

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"

	"github.com/seamhq/seam/platform/auth"
)

func dialServer(t *testing.T, s *Server) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(s.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// listServices asks the server's reflection for its services, with tok
// when not empty.
func listServices(t *testing.T, conn *grpc.ClientConn, tok string) ([]string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if tok != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok)
	}
	stream, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(ctx)
	if err != nil {
		return nil, err
	}
	// A stream the server ended fails Send with io.EOF; Recv has its status.
	if err := stream.Send(&reflectionpb.ServerReflectionRequest{
		MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{},
	}); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	resp, err := stream.Recv()
	if err != nil {
		return nil, err
	}
	var names []string
	for _, s := range resp.GetListServicesResponse().GetService() {
		names = append(names, s.GetName())
	}
	return names, nil
}

// Server reflection is off unless GRPC_REFLECTION turns it on, and then
// it answers only callers with a valid token, of any role.
func TestReflection(t *testing.T) {
	t.Parallel()
	off := dialServer(t, start(t, Config{}))
	if _, err := listServices(t, off, token(t, auth.Admin)); status.Code(err) != codes.Unimplemented {
		t.Errorf("reflection by default: %v, want Unimplemented", err)
	}

	on := dialServer(t, start(t, Config{Reflection: true}))
	if _, err := listServices(t, on, ""); status.Code(err) != codes.Unauthenticated {
		t.Errorf("reflection without a token: %v, want Unauthenticated", err)
	}
	if _, err := listServices(t, on, "nope"); status.Code(err) != codes.Unauthenticated {
		t.Errorf("reflection with a bad token: %v, want Unauthenticated", err)
	}
	names, err := listServices(t, on, token(t, auth.Finance)) // a role the policy gives nothing
	if err != nil {
		t.Fatalf("reflection with a token: %v", err)
	}
	found := false
	for _, n := range names {
		found = found || n == "crm.v1.AccountService"
	}
	if !found {
		t.Errorf("reflection lists %q, want crm.v1.AccountService among them", names)
	}
	// Health stays public.
	if _, err := healthpb.NewHealthClient(on).Check(context.Background(), &healthpb.HealthCheckRequest{}); err != nil {
		t.Errorf("health without a token: %v", err)
	}
}

// A connection has at most GRPC_MAX_CONCURRENT_STREAMS streams open: past
// it, a call waits for one to end.
func TestMaxConcurrentStreams(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		limit   int
		blocked bool
	}{{1, true}, {0, false}} {
		conn := dialServer(t, start(t, Config{MaxConcurrentStreams: tc.limit}))
		health := healthpb.NewHealthClient(conn)
		ctx, cancel := context.WithCancel(context.Background())
		watch, err := health.Watch(ctx, &healthpb.HealthCheckRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := watch.Recv(); err != nil { // the stream is open
			t.Fatal(err)
		}
		callCtx, callCancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		_, err = health.Check(callCtx, &healthpb.HealthCheckRequest{})
		callCancel()
		if blocked := status.Code(err) == codes.DeadlineExceeded; blocked != tc.blocked {
			t.Errorf("limit %d: a call beside an open stream: %v, want blocked %v", tc.limit, err, tc.blocked)
		}
		cancel()
	}
}
