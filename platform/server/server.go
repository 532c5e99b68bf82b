// Package server is the one way a service starts: a gRPC server and its
// REST/JSON gateway on their own ports, with health, readiness, metrics,
// OpenAPI and docs, authentication, error mapping, access logs, traces and
// graceful shutdown.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/tap"
	"google.golang.org/grpc/test/bufconn"

	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/config"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/pg"
	"github.com/seamhq/seam/platform/requestid"
	"github.com/seamhq/seam/platform/telemetry"
)

// Config is the network part of a service's configuration. The service
// supplies its own default addresses.
type Config struct {
	GRPCAddr        string        `env:"GRPC_ADDR"`
	HTTPAddr        string        `env:"HTTP_ADDR"`
	ShutdownTimeout time.Duration `env:"SHUTDOWN_TIMEOUT, default=20s"`
	// Origins allowed to call the REST API from a browser; empty allows none.
	CORSOrigins []string `env:"CORS_ORIGINS"`
	// Largest request body the gateway accepts.
	MaxBodyBytes int64 `env:"MAX_BODY_BYTES, default=1048576"`
	// Requests per second each caller may make (0 disables the limit), with
	// bursts up to RateBurst.
	RateLimit float64 `env:"RATE_LIMIT, default=0"`
	RateBurst int     `env:"RATE_BURST, default=200"`
	// Streams (calls in flight, watches included) one gRPC connection may
	// have open at once; a client past it waits for one to end. 0 means
	// DefaultMaxConcurrentStreams.
	MaxConcurrentStreams int `env:"GRPC_MAX_CONCURRENT_STREAMS, default=4096"`
	// REST requests the process answers at once (streams aside); past
	// it a request waits up to InFlightWait for one to end, then is
	// answered 503. 0 means DefaultMaxInFlight. Health, readiness,
	// metrics and the docs are not counted.
	MaxInFlight  int           `env:"HTTP_MAX_IN_FLIGHT, default=512"`
	InFlightWait time.Duration `env:"HTTP_IN_FLIGHT_WAIT, default=1s"`
	// REST streams (a deal's :watch) the process holds open at once; past
	// it a new one is answered 503 at once. 0 means DefaultMaxRESTStreams.
	MaxRESTStreams int `env:"HTTP_MAX_STREAMS, default=4096"`
	// Reflection serves gRPC server reflection (grpcurl's list and
	// describe) to callers with a valid token, of any role; off, the
	// services' descriptions are only in the repository's proto files.
	Reflection bool `env:"GRPC_REFLECTION, default=false"`
}

// DefaultMaxConcurrentStreams is GRPC_MAX_CONCURRENT_STREAMS when unset:
// room for a client that watches a few thousand deals at once on one
// connection (a watch is a stream held until the deal's order shows; past
// the limit a new one waits for another to end), and few enough that one
// client cannot make a server hold millions of calls (grpc-go's own
// default is no limit).
const DefaultMaxConcurrentStreams = 4096

// Validate implements config.Validator.
func (c Config) Validate() error {
	var errs []error
	if c.MaxBodyBytes < 1 {
		errs = append(errs, fmt.Errorf("MAX_BODY_BYTES: must be at least 1, got %d", c.MaxBodyBytes))
	}
	if c.RateLimit > 0 && c.RateBurst < 1 {
		errs = append(errs, fmt.Errorf("RATE_BURST: must be at least 1 when RATE_LIMIT is set, got %d", c.RateBurst))
	}
	if c.MaxConcurrentStreams > math.MaxUint32 {
		errs = append(errs, fmt.Errorf("GRPC_MAX_CONCURRENT_STREAMS: must be at most %d, got %d", uint32(math.MaxUint32), c.MaxConcurrentStreams))
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, fmt.Errorf("SHUTDOWN_TIMEOUT: must be positive, got %s", c.ShutdownTimeout))
	}
	errs = append(errs, config.CheckAddr("GRPC_ADDR", c.GRPCAddr, true), config.CheckAddr("HTTP_ADDR", c.HTTPAddr, true))
	return errors.Join(errs...)
}

// GatewayRegistrar registers a generated gateway handler that calls the
// gRPC server over conn (the generated Register*Handler functions).
type GatewayRegistrar func(ctx context.Context, mux *runtime.ServeMux, conn *grpc.ClientConn) error

// Service describes what a service plugs into the server.
type Service struct {
	// Name appears in logs, metrics and the docs page.
	Name string
	// Register adds the gRPC service implementations. It is called once;
	// what it registers serves both gRPC callers and the REST gateway.
	Register func(grpc.ServiceRegistrar)
	// Gateways register the REST routes.
	Gateways []GatewayRegistrar
	// OpenAPI is the service's OpenAPI (Swagger 2.0) document, served at
	// /openapi.json; the server reads its routes from it.
	OpenAPI []byte
	// OpenAPI3 is the same API as an OpenAPI 3.0 document, served at
	// /openapi3.json when set.
	OpenAPI3 []byte
	// Policy lists the roles allowed to call each RPC.
	Policy auth.Policy
	// Ready reports whether the service can take traffic (database reachable,
	// migrations applied). Nil means always ready.
	Ready func(context.Context) error
	// Routes are extra HTTP handlers by mux pattern ("/" for a console).
	Routes map[string]http.Handler
}

// Options carries the process-wide collaborators.
type Options struct {
	Logger   *slog.Logger
	Verifier *auth.Verifier
	// Registry receives the server's metrics and is served at /metrics; a
	// fresh one is made when nil.
	Registry *prometheus.Registry
}

// Server is a started-but-not-serving service: its listeners are bound, so
// their addresses are known (tests use port 0) before Run.
type Server struct {
	cfg Config
	svc Service
	log *slog.Logger
	// grpc serves gRPC callers on GRPC_ADDR; gatewayGRPC serves the same
	// services to the REST gateway only, in memory (bufconn), so that
	// shutdown can turn gRPC callers away at once (GOAWAY) while REST
	// calls in flight still go through.
	grpc, gatewayGRPC *grpc.Server
	health            *health.Server
	http              *http.Server

	// bodies says which request field each REST route's body fills
	// (routeBodies).
	bodies map[string]string
	// rpcs says which gRPC method each REST route calls (routeRPCs).
	rpcs map[string]string
	// gateway is the REST gateway's mux.
	gateway *runtime.ServeMux
	// inFlight bounds the REST requests served at once; streamRPCs are
	// the methods whose routes it counts as streams.
	inFlight   *inFlight
	streamRPCs map[string]bool

	grpcLis, httpLis net.Listener
	// gatewayLis is the in-memory listener of gatewayGRPC.
	gatewayLis  net.Listener
	gatewayConn *grpc.ClientConn
	ready       func(context.Context) error
	verifier    *auth.Verifier
	// bodyTimeout bounds how long a request's body takes to arrive
	// (bodyDeadline); bodyReadTimeout but in tests.
	bodyTimeout time.Duration

	// drain ends when shutdown starts; streams (event feeds that would
	// otherwise never end) are cancelled with it so GracefulStop need not
	// wait for its deadline.
	drain     context.Context
	stopDrain context.CancelFunc
}

// serverTraceOptions are those of a gRPC server's spans. A gRPC caller's
// traceparent starts a new trace linked to the caller's span
// (telemetry.Config.TrustRemoteParent) unless TRACES_TRUST_REMOTE_PARENT
// says to continue it, or the caller is the bridge (a token of
// auth.BridgeSubject and the integration role alone, which only a holder
// of the deployment's signing key can make), whose traceparent continues
// the trace of an event one of the services wrote: so a deal's trace
// runs whole from the CRM through the bridge to the ERP. The gateway's
// server continues the trace of the REST request it serves, which the
// REST side has already decided the same way (observeREST).
func serverTraceOptions(gateway bool, v *auth.Verifier) []otelgrpc.Option {
	if gateway {
		return nil
	}
	return []otelgrpc.Option{otelgrpc.WithPublicEndpointFn(func(ctx context.Context, _ *stats.RPCTagInfo) bool {
		if telemetry.TrustsRemoteParent() {
			return false
		}
		md, _ := metadata.FromIncomingContext(ctx)
		tok := md.Get("authorization")
		if len(tok) == 0 {
			return true
		}
		p, err := v.Authenticate(tok[0])
		return err != nil || !auth.IsBridge(p)
	})}
}

// draining reports whether shutdown has started.
func (s *Server) draining() bool { return s.drain.Err() != nil }

// New binds the listeners and builds the servers.
func New(ctx context.Context, cfg Config, svc Service, opts Options) (*Server, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Verifier == nil {
		return nil, errors.New("server: no token verifier")
	}
	if opts.Registry == nil {
		opts.Registry = prometheus.NewRegistry()
	}
	bodies, err := routeBodies(svc.OpenAPI)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, svc: svc, log: opts.Logger, ready: svc.Ready, verifier: opts.Verifier, bodies: bodies, bodyTimeout: bodyReadTimeout}
	s.drain, s.stopDrain = context.WithCancel(context.Background())
	if s.ready == nil {
		s.ready = func(context.Context) error { return nil }
	}

	reg := opts.Registry
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := grpcprom.NewServerMetrics(grpcprom.WithServerHandlingTimeHistogram(
		grpcprom.WithHistogramBuckets([]float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}),
	))
	reg.MustRegister(metrics)
	// Calls without a valid token are turned away before their message
	// is read (auth.Verifier.TapHandle), so no other gRPC metric and no
	// access log line has them: this counts them, for an alert on a
	// caller whose key went wrong.
	unauthenticated := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "grpc_server_unauthenticated_total",
		Help: "gRPC calls turned away before their message was read, for want of a valid token.",
	})
	reg.MustRegister(unauthenticated)
	tapHandle := func(ctx context.Context, info *tap.Info) (context.Context, error) {
		ctx, err := opts.Verifier.TapHandle(ctx, info)
		if err != nil {
			unauthenticated.Inc()
		}
		return ctx, err
	}
	limiter := newRateLimiter(cfg.RateLimit, cfg.RateBurst)

	// The two servers differ in one step: only the gateway's reads the
	// mark the gateway puts on its calls (maskUnary); on the server gRPC
	// callers reach, a caller could send that mark itself.
	grpcOpts := func(gateway bool) []grpc.ServerOption {
		return append(append(windowServerOptions(), KeepaliveServerOptions()...),
			grpc.StatsHandler(otelgrpc.NewServerHandler(serverTraceOptions(gateway, opts.Verifier)...)),
			grpc.InTapHandle(tapHandle),
			grpc.ChainUnaryInterceptor(
				requestIDUnary, // first: every log line of the call has it
				metrics.UnaryServerInterceptor(),
				accessLogUnary(s.log),
				errs.UnaryServerInterceptor(s.log, pg.IsUnavailable),
				recoverUnary(s.log),
				opts.Verifier.UnaryServerInterceptor(svc.Policy),
				textUnary,
				maskUnary(gateway),
				ifMatchUnary,
				requestid.UnaryServerInterceptor, // after the steps that normalize the request
				limiter.unary,
			),
			grpc.ChainStreamInterceptor(
				s.drainStreams,
				requestIDStream,
				metrics.StreamServerInterceptor(),
				accessLogStream(s.log),
				errs.StreamServerInterceptor(s.log, pg.IsUnavailable),
				recoverStream(s.log),
				opts.Verifier.StreamServerInterceptor(svc.Policy),
				textStream,
				limiter.stream,
			),
		)
	}
	// Only gRPC callers' connections are limited: the gateway's one
	// in-memory connection carries every REST call.
	maxStreams := cfg.MaxConcurrentStreams
	if maxStreams <= 0 {
		maxStreams = DefaultMaxConcurrentStreams
	}
	s.grpc = grpc.NewServer(append(grpcOpts(false), grpc.MaxConcurrentStreams(uint32(min(maxStreams, math.MaxUint32))))...)
	s.gatewayGRPC = grpc.NewServer(grpcOpts(true)...)
	s.health = health.NewServer()
	healthpb.RegisterHealthServer(s.grpc, s.health)
	if cfg.Reflection {
		// Not public: auth.Verifier lets any caller with a valid token
		// use it (auth.AnyRole).
		reflection.Register(s.grpc)
	}
	if svc.Register != nil {
		svc.Register(bothServers{s.grpc, s.gatewayGRPC})
	}
	metrics.InitializeMetrics(s.grpc)
	// Each service by name starts as the server as a whole does (the
	// health server's default, SERVING) until the first readiness check
	// (watchReadiness) sets them all: a client asking for one service by
	// name is answered from the first moment, not NOT_FOUND.
	for name := range s.grpc.GetServiceInfo() {
		s.health.SetServingStatus(name, healthpb.HealthCheckResponse_SERVING)
	}
	if s.rpcs, err = routeRPCs(svc.OpenAPI, s.grpc.GetServiceInfo()); err != nil {
		return nil, err
	}
	s.streamRPCs = serverStreams(s.rpcs)
	s.inFlight = newInFlight(cfg, reg)

	if s.grpcLis, err = net.Listen("tcp", cfg.GRPCAddr); err != nil {
		return nil, fmt.Errorf("listen for gRPC on %s: %w", cfg.GRPCAddr, err)
	}
	if s.httpLis, err = net.Listen("tcp", cfg.HTTPAddr); err != nil {
		s.grpcLis.Close()
		return nil, fmt.Errorf("listen for HTTP on %s: %w", cfg.HTTPAddr, err)
	}
	// In memory: no port of its own to take (or to collide with one a
	// neighbour picked), and no TCP stack between the gateway and the
	// services.
	s.gatewayLis = bufconn.Listen(gatewayBuffer)

	handler, conn, err := s.httpHandler(ctx, reg)
	if err != nil {
		s.grpcLis.Close()
		s.httpLis.Close()
		s.gatewayLis.Close()
		return nil, err
	}
	s.gatewayConn = conn
	s.http = &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	return s, nil
}

// GRPCAddr is the bound gRPC address.
func (s *Server) GRPCAddr() string { return s.grpcLis.Addr().String() }

// HTTPAddr is the bound HTTP address.
func (s *Server) HTTPAddr() string { return s.httpLis.Addr().String() }

// gatewayBuffer is the in-memory connection's buffer each way between the
// gateway and its gRPC server.
const gatewayBuffer = 1 << 20

// dialGateway is the gateway's dialer of its own gRPC server, in memory.
func (s *Server) dialGateway(ctx context.Context, _ string) (net.Conn, error) {
	return s.gatewayLis.(*bufconn.Listener).DialContext(ctx)
}

// bothServers registers each service on both gRPC servers: one
// implementation serves gRPC callers and the gateway.
type bothServers [2]*grpc.Server

func (b bothServers) RegisterService(desc *grpc.ServiceDesc, impl any) {
	b[0].RegisterService(desc, impl)
	b[1].RegisterService(desc, impl)
}

// Run serves until ctx ends, then shuts down: health turns NOT_SERVING and
// streams end; gRPC callers are told to go elsewhere (GOAWAY) and new
// connections refused, while the calls in flight, gRPC and REST, finish
// within SHUTDOWN_TIMEOUT.
func (s *Server) Run(ctx context.Context) error {
	errc := make(chan error, 3)
	go func() { errc <- s.grpc.Serve(s.grpcLis) }()
	go func() { errc <- s.gatewayGRPC.Serve(s.gatewayLis) }()
	go func() {
		if err := s.http.Serve(s.httpLis); !errors.Is(err, http.ErrServerClosed) {
			errc <- err
			return
		}
		errc <- nil
	}()
	var wg sync.WaitGroup
	wg.Go(func() { s.watchReadiness(ctx) })
	s.log.Info("serving", "grpc", s.GRPCAddr(), "http", s.HTTPAddr())

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
	}
	s.log.Info("shutting down")
	// Unready first (gRPC health and /readyz), and streams ended. gRPC
	// callers stop at once: no new connections, and a GOAWAY on each open
	// one, so that clients holding a connection (the bridge) send their
	// next calls to another pod rather than into this one's drain. REST
	// stops taking connections too; its calls in flight go through the
	// gateway's own gRPC server, which stops once they have finished.
	s.health.Shutdown()
	s.stopDrain()
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()

	grpcStopped := make(chan struct{})
	go func() { s.grpc.GracefulStop(); close(grpcStopped) }()
	var cut []string
	if err := s.http.Shutdown(shutdownCtx); err != nil {
		_ = s.http.Close()
		cut = append(cut, "REST")
	}
	gatewayStopped := make(chan struct{})
	go func() { s.gatewayGRPC.GracefulStop(); close(gatewayStopped) }()
	for _, srv := range []struct {
		grpc    *grpc.Server
		stopped chan struct{}
	}{{s.grpc, grpcStopped}, {s.gatewayGRPC, gatewayStopped}} {
		select {
		case <-srv.stopped:
			continue
		case <-shutdownCtx.Done():
		}
		if srv.grpc == s.grpc {
			cut = append(cut, "gRPC")
		}
		// Stop cancels the calls in flight; it returns once their
		// handlers have, which one that ignores its context never does.
		forced := make(chan struct{})
		go func() { srv.grpc.Stop(); close(forced) }()
		select {
		case <-forced:
		case <-time.After(forceStopWait):
			s.log.Warn("gRPC handlers still running after their calls were cancelled")
		}
	}
	s.gatewayConn.Close()
	wg.Wait()
	if len(cut) > 0 {
		// The orchestrator sees an unclean stop: calls in flight were
		// reset, not answered.
		err := fmt.Errorf("%w: %s calls still in flight after %s were cut",
			ErrShutdownTimeout, strings.Join(cut, " and "), s.cfg.ShutdownTimeout)
		s.log.Error("shutdown timed out", "err", err)
		return errors.Join(runErr, err)
	}
	return runErr
}

// forceStopWait is how long Run waits, once SHUTDOWN_TIMEOUT has passed,
// for the handlers of the calls it cancelled to return.
const forceStopWait = time.Second

// ErrShutdownTimeout is Run's error when calls were still in flight at
// SHUTDOWN_TIMEOUT and were cut: the process should exit non-zero.
var ErrShutdownTimeout = errors.New("shutdown timed out")

// watchReadiness runs the readiness check every 2 s and sets the gRPC
// health status (the readiness probe) from it. It logs each change: why
// the service turned unready, and when it is ready again.
func (s *Server) watchReadiness(ctx context.Context) {
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	last := "starting"
	for {
		checkCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := s.ready(checkCtx)
		cancel()
		st := healthpb.HealthCheckResponse_SERVING
		if err != nil {
			st = healthpb.HealthCheckResponse_NOT_SERVING
		}
		if ctx.Err() != nil {
			return
		}
		switch {
		case err != nil && err.Error() != last:
			last = err.Error()
			s.log.Warn("not ready", "reason", last)
		case err == nil && last != "":
			last = ""
			s.log.Info("ready")
		}
		// The server as a whole, and each of its services by name, as
		// clients that check one service (grpc.health.v1, "service") ask.
		s.health.SetServingStatus("", st)
		for name := range s.grpc.GetServiceInfo() {
			s.health.SetServingStatus(name, st)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// drainStreams ends a stream's context when the server starts shutting
// down; clients of resumable streams (the event feeds) reconnect elsewhere
// and resume from their cursor. They are told so: UNAVAILABLE, the code
// clients retry on, rather than the CANCELED of the ended context.
func (s *Server) drainStreams(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	ctx, cancel := context.WithCancel(ss.Context())
	defer cancel()
	stop := context.AfterFunc(s.drain, cancel)
	defer stop()
	err := handler(srv, &drainingStream{ServerStream: ss, ctx: ctx})
	if err != nil && s.draining() && ss.Context().Err() == nil {
		return status.Error(codes.Unavailable, "the server is shutting down; reconnect and resume from your cursor")
	}
	return err
}

type drainingStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (d *drainingStream) Context() context.Context { return d.ctx }

// gatewayDialOptions are what the gateway uses to call its own gRPC
// server.
func gatewayDialOptions(log *slog.Logger) []grpc.DialOption {
	return append(WindowDialOptions(),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithStatsHandler(otelgrpc.NewClientHandler()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20)),
		grpc.WithChainUnaryInterceptor(requestIDClientUnary, checkQueryUnary(log), checkTextUnary(log), restMarkUnary),
		grpc.WithChainStreamInterceptor(requestIDClientStream, checkQueryStream(log), checkTextStream(log)),
	)
}
