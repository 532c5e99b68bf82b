package server

import (
	"context"
	"net/http"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/durationpb"
)

// DefaultMaxInFlight is HTTP_MAX_IN_FLIGHT when unset or 0: REST
// requests one process answers at once. Every one of them is a call on
// the gateway's in-memory gRPC connection, which GRPC_MAX_CONCURRENT_STREAMS
// does not limit, and most hold a database connection: past a few hundred
// they only queue for the pool, each holding its goroutine and buffers.
const DefaultMaxInFlight = 512

// DefaultMaxRESTStreams is HTTP_MAX_STREAMS when unset or 0: REST streams
// (a deal's :watch) open at once in one process, as many as one gRPC
// connection may have (DefaultMaxConcurrentStreams).
const DefaultMaxRESTStreams = DefaultMaxConcurrentStreams

// overloadRetryAfter is the delay a request turned away by the in-flight
// limit is told to wait before trying again.
const overloadRetryAfter = time.Second

// inFlight bounds the REST requests one process serves at once. Plain
// requests take a slot from requests; one that finds none free waits up
// to wait for one, then is answered 503 UNAVAILABLE. A stream (a
// server-streaming route, held open for as long as the client likes)
// takes a slot from streams instead, so that watches do not use up the
// room of plain requests, nor plain requests that of watches; as a slot
// there frees only when a watch ends, a stream finds one free at once or
// is turned away.
type inFlight struct {
	requests, streams chan struct{}
	wait              time.Duration
	rejected          *prometheus.CounterVec
}

func newInFlight(cfg Config, reg prometheus.Registerer) *inFlight {
	requests, streams := cfg.MaxInFlight, cfg.MaxRESTStreams
	if requests <= 0 {
		requests = DefaultMaxInFlight
	}
	if streams <= 0 {
		streams = DefaultMaxRESTStreams
	}
	l := &inFlight{
		requests: make(chan struct{}, requests),
		streams:  make(chan struct{}, streams),
		wait:     cfg.InFlightWait,
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rest_overload_rejected_total",
			Help: "REST requests answered 503 because the process had as many in flight as it takes (HTTP_MAX_IN_FLIGHT, or HTTP_MAX_STREAMS for streams), by kind: request or stream.",
		}, []string{"kind"}),
	}
	for _, kind := range []string{"request", "stream"} {
		l.rejected.WithLabelValues(kind)
	}
	reg.MustRegister(l.rejected, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "rest_in_flight_requests",
		Help: "REST requests (streams aside) being answered now; HTTP_MAX_IN_FLIGHT bounds them.",
	}, func() float64 { return float64(len(l.requests)) }), prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "rest_in_flight_streams",
		Help: "REST streams open now; HTTP_MAX_STREAMS bounds them.",
	}, func() float64 { return float64(len(l.streams)) }))
	return l
}

// acquire takes a slot for a request (a stream's when stream), and
// returns what gives it back; ok is false when none was free in time.
func (l *inFlight) acquire(ctx context.Context, stream bool) (release func(), ok bool) {
	slots, kind := l.requests, "request"
	if stream {
		slots, kind = l.streams, "stream"
	}
	release = func() { <-slots }
	select {
	case slots <- struct{}{}:
		return release, true
	default:
	}
	if !stream && l.wait > 0 {
		t := time.NewTimer(l.wait)
		defer t.Stop()
		select {
		case slots <- struct{}{}:
			return release, true
		case <-t.C:
		case <-ctx.Done():
		}
	}
	l.rejected.WithLabelValues(kind).Inc()
	return nil, false
}

// limitInFlight runs a routed REST request once it has a slot, or
// answers 503 UNAVAILABLE, in the gateway's error shape with a RetryInfo
// detail and a Retry-After header, when it gets none.
func (s *Server) limitInFlight(w http.ResponseWriter, r *http.Request, serve func()) {
	method, _ := s.routeRPC(r)
	release, ok := s.inFlight.acquire(r.Context(), s.streamRPCs[method])
	if !ok {
		st, _ := status.New(codes.Unavailable, "the server is answering as many requests as it takes; retry later").
			WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(overloadRetryAfter)})
		_, out := runtime.MarshalerForRequest(s.gateway, r)
		runtime.HTTPError(r.Context(), s.gateway, out, w, r, st.Err())
		return
	}
	defer release()
	serve()
}

// serverStreams tells which of the methods REST routes call stream
// their responses.
func serverStreams(rpcs map[string]string) map[string]bool {
	streams := map[string]bool{}
	for _, method := range rpcs {
		svc, name, ok := splitMethod(method)
		if !ok {
			continue
		}
		d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(svc))
		if err != nil {
			continue
		}
		sd, ok := d.(protoreflect.ServiceDescriptor)
		if !ok {
			continue
		}
		if md := sd.Methods().ByName(protoreflect.Name(name)); md != nil && md.IsStreamingServer() {
			streams[method] = true
		}
	}
	return streams
}

// splitMethod splits "/pkg.Service/Method".
func splitMethod(full string) (svc, method string, ok bool) {
	if len(full) < 2 || full[0] != '/' {
		return "", "", false
	}
	for i := len(full) - 1; i > 0; i-- {
		if full[i] == '/' {
			return full[1:i], full[i+1:], i > 1 && i < len(full)-1
		}
	}
	return "", "", false
}
