package server

import (
	"context"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"

	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/telemetry"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

// A caller's traceparent: its trace id, which a ratio sampler would
// decide by, is the caller's choice.
const (
	callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	callerSpan  = "00f067aa0ba902b7"
	traceparent = "00-" + callerTrace + "-" + callerSpan + "-01"
)

// Without TRACES_TRUST_REMOTE_PARENT a call's traceparent does not decide
// its trace: the server span starts a trace of its own, with a fresh id,
// linked to the caller's span, over gRPC and REST alike (and the REST
// request's call behind the gateway stays in the REST request's trace);
// the bridge's calls continue theirs. With it, every caller's trace is
// continued, as before.
func TestRemoteParentTrust(t *testing.T) {
	// Not parallel: the global tracer provider, propagator and trust
	// setting are the test's while it runs.
	rec := tracetest.NewSpanRecorder()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))
	otel.SetTextMapPropagator(propagation.TraceContext{})
	t.Cleanup(func() {
		otel.SetTracerProvider(noop.NewTracerProvider())
		otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator())
		telemetry.SetTrustRemoteParent(false)
	})
	s := startLogged(t, Config{}, slog.New(slog.DiscardHandler))
	conn := dialServer(t, s)
	sales := token(t, auth.Sales)
	bridge, err := auth.Sign(secret, auth.BridgeSubject, []auth.Role{auth.Integration}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}

	// serverSpan is the ended server span named name whose attributes
	// or trace were not seen before.
	seen := map[trace.SpanID]bool{}
	serverSpan := func(name string) sdktrace.ReadOnlySpan {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			for _, sp := range rec.Ended() {
				if sp.SpanKind() == trace.SpanKindServer && sp.Name() == name && !seen[sp.SpanContext().SpanID()] {
					seen[sp.SpanContext().SpanID()] = true
					return sp
				}
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatalf("no server span %s", name)
		return nil
	}
	grpcCall := func(tok string) sdktrace.ReadOnlySpan {
		t.Helper()
		ctx := metadata.AppendToOutgoingContext(context.Background(), "traceparent", traceparent)
		if tok == "" {
			_, _ = healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
			return serverSpan("grpc.health.v1.Health/Check")
		}
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok)
		_, _ = crmv1.NewAccountServiceClient(conn).GetAccount(ctx, &crmv1.GetAccountRequest{Id: "acme"})
		return serverSpan("crm.v1.AccountService/GetAccount")
	}
	restCall := func() (rest, behind sdktrace.ReadOnlySpan) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, "http://"+s.HTTPAddr()+"/v1/accounts/acme", nil)
		req.Header.Set("Authorization", "Bearer "+sales)
		req.Header.Set("traceparent", traceparent)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return serverSpan("GET /v1/accounts/{id}"), serverSpan("crm.v1.AccountService/GetAccount")
	}
	continued := func(what string, sp sdktrace.ReadOnlySpan) {
		t.Helper()
		if sp.SpanContext().TraceID().String() != callerTrace || sp.Parent().SpanID().String() != callerSpan {
			t.Errorf("%s: span in trace %s under %s, want the caller's trace %s under its span %s",
				what, sp.SpanContext().TraceID(), sp.Parent().SpanID(), callerTrace, callerSpan)
		}
	}
	newRoot := func(what string, sp sdktrace.ReadOnlySpan) {
		t.Helper()
		if sp.SpanContext().TraceID().String() == callerTrace || sp.Parent().IsValid() {
			t.Errorf("%s: span in trace %s under %s, want a new trace", what, sp.SpanContext().TraceID(), sp.Parent().SpanID())
		}
		links := sp.Links()
		if len(links) != 1 || links[0].SpanContext.TraceID().String() != callerTrace || links[0].SpanContext.SpanID().String() != callerSpan {
			t.Errorf("%s: links %v, want one to the caller's span %s/%s", what, links, callerTrace, callerSpan)
		}
	}

	telemetry.SetTrustRemoteParent(false)
	newRoot("untrusted gRPC, no token", grpcCall(""))
	newRoot("untrusted gRPC, a sales token", grpcCall(sales))
	continued("untrusted gRPC, the bridge's token", grpcCall(bridge))
	rest, behind := restCall()
	newRoot("untrusted REST", rest)
	if behind.SpanContext().TraceID() != rest.SpanContext().TraceID() {
		t.Errorf("untrusted REST: the call behind the gateway is in trace %s, the request in %s", behind.SpanContext().TraceID(), rest.SpanContext().TraceID())
	}

	telemetry.SetTrustRemoteParent(true)
	continued("trusted gRPC, no token", grpcCall(""))
	continued("trusted gRPC, a sales token", grpcCall(sales))
	rest, behind = restCall()
	continued("trusted REST", rest)
	if behind.SpanContext().TraceID().String() != callerTrace {
		t.Errorf("trusted REST: the call behind the gateway is in trace %s, want %s", behind.SpanContext().TraceID(), callerTrace)
	}
}
