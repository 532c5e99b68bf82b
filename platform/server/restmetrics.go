package server

import (
	"context"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/trace"

	"github.com/seamhq/seam/platform/telemetry"
)

// unmatchedRoute is the route label of a request no route takes.
const unmatchedRoute = "unmatched"

// restObservation is what a REST request's observer learns while the
// request runs: the route pattern it matched and whether it reached the
// gRPC server.
type restObservation struct {
	route  string
	called bool
	// span is the request's server span, for the trace id of a refusal's
	// log line (the span lives in the context inside the traced handler).
	span trace.SpanContext
}

type restObservationKey struct{}

func restObservationFrom(ctx context.Context) *restObservation {
	o, _ := ctx.Value(restObservationKey{}).(*restObservation)
	return o
}

// markCalled notes that a REST request reached the gRPC server, whose
// access log and metrics then account for it.
func markCalled(ctx context.Context) {
	if o := restObservationFrom(ctx); o != nil {
		o.called = true
	}
}

// restMetrics count and time the REST requests.
type restMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newRESTMetrics(reg prometheus.Registerer) *restMetrics {
	m := &restMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rest_requests_total",
			Help: "REST requests answered, by method, route pattern and HTTP status code.",
		}, []string{"method", "route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "rest_request_duration_seconds",
			Help:    "Time to answer a REST request, by method and route pattern.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"method", "route"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

// observeREST wraps the REST API (gw behind its guard, next) in a trace
// span and counts and times each request under its route pattern, never
// its raw path, so that span names and metric labels stay few. A request
// the gRPC server never saw (refused by the guard or by routing: 401, 404,
// 405, 413, ...) is logged, since nothing else would.
func (s *Server) observeREST(reg prometheus.Registerer, gw *runtime.ServeMux, next http.Handler) http.Handler {
	m := newRESTMetrics(reg)
	spanName := func(_ string, r *http.Request) string {
		route := unmatchedRoute
		if o := restObservationFrom(r.Context()); o != nil && o.route != "" {
			route = o.route
		}
		return methodLabel(r.Method) + " " + route
	}
	routed := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r)
		o := restObservationFrom(r.Context())
		o.span = trace.SpanContextFromContext(r.Context())
		if o.route == "" {
			// Refused before the gateway routed it: ask the gateway
			// which route it would have taken.
			o.route = routeOf(gw, r)
		}
		if o.route == "" {
			o.route = unmatchedRoute
		}
		trace.SpanFromContext(r.Context()).SetName(spanName("", r))
	})
	// A caller's traceparent starts a new trace linked to the caller's
	// span, unless TRACES_TRUST_REMOTE_PARENT says to continue it.
	traced := otelhttp.NewHandler(routed, "rest", otelhttp.WithSpanNameFormatter(spanName),
		otelhttp.WithPublicEndpointFn(func(*http.Request) bool { return !telemetry.TrustsRemoteParent() }))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		o := &restObservation{}
		rec := &statusRecorder{ResponseWriter: w}
		r = restRequestID(w, r)
		r = r.WithContext(context.WithValue(r.Context(), restObservationKey{}, o))
		traced.ServeHTTP(rec, r)
		elapsed := time.Since(start)

		method, code := methodLabel(r.Method), rec.code()
		m.requests.WithLabelValues(method, o.route, strconv.Itoa(code)).Inc()
		m.duration.WithLabelValues(method, o.route).Observe(elapsed.Seconds())
		if !o.called && code >= 400 {
			// As the gRPC access log: the trace's ids, and ms.
			s.log.LogAttrs(trace.ContextWithSpanContext(r.Context(), o.span), slog.LevelInfo, "rest request refused",
				slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("route", o.route),
				slog.Int("status", code), slog.Float64("ms", float64(elapsed.Microseconds())/1000),
				slog.String("request_id", RequestID(r.Context())))
		}
	})
}

// routeOf asks the gateway which route pattern it takes r's method and
// path by, without calling it; "" when none does.
func routeOf(gw *runtime.ServeMux, r *http.Request) string {
	p := &probe{}
	gw.ServeHTTP(discardResponse{header: http.Header{}}, r.WithContext(context.WithValue(r.Context(), probeKey{}, p)))
	return p.route
}

// recordRoute notes the route pattern the gateway matched, for the
// observer and for a probe.
func recordRoute(ctx context.Context, p *probe) {
	pat, ok := runtime.HTTPPattern(ctx)
	if !ok {
		return
	}
	route := routePattern(pat.String())
	if p != nil {
		p.route = route
	}
	if o := restObservationFrom(ctx); o != nil && p == nil {
		o.route = route
	}
}

// captureAll matches a path variable that takes one segment, as the
// gateway prints it: {id=*}.
var captureAll = regexp.MustCompile(`\{([^=}]+)=\*\}`)

// routePattern writes a gateway pattern as the route is declared:
// /v1/accounts/{id} rather than /v1/accounts/{id=*}.
func routePattern(p string) string {
	return captureAll.ReplaceAllString(p, "{$1}")
}

// methodLabel keeps the method label to the methods the API has.
func methodLabel(m string) string {
	if slices.Contains(routeMethods, m) || m == http.MethodOptions || m == http.MethodHead {
		return m
	}
	return "OTHER"
}

// statusRecorder remembers the status code of a response. Unwrap lets
// http.ResponseController (the gateway's streams flush through it) reach
// the connection's writer.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) Flush() {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	_ = http.NewResponseController(r.ResponseWriter).Flush()
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// code is the status answered; a handler that wrote nothing answered 200.
func (r *statusRecorder) code() int {
	if r.status == 0 {
		return http.StatusOK
	}
	return r.status
}
