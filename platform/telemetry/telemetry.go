// Package telemetry sets up the logs and traces of a process: JSON logs
// through log/slog carrying the trace and span of the request they belong
// to, and OpenTelemetry traces exported over OTLP when
// OTEL_EXPORTER_OTLP_ENDPOINT is set (the standard OpenTelemetry variables
// configure the exporter), sampled as OTEL_TRACES_SAMPLER and
// OTEL_TRACES_SAMPLER_ARG say; a caller's trace (its traceparent: trace
// id and sampled flag) is continued only when TRACES_TRUST_REMOTE_PARENT
// says so, and otherwise linked from a trace of the service's own.
// Without an endpoint, and for traces left
// out by the sampler, spans are still created and propagated, so trace ids
// in logs and events stay meaningful.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/seamhq/seam/platform/config"
)

// Config is the telemetry part of a service's configuration.
type Config struct {
	LogLevel     string `env:"LOG_LEVEL, default=info"`
	LogFormat    string `env:"LOG_FORMAT, default=json"`
	OTLPEndpoint string `env:"OTEL_EXPORTER_OTLP_ENDPOINT"`
	// Which traces are recorded, as OpenTelemetry's standard variables say:
	// always_on, always_off, traceidratio, or parentbased_ and one of those
	// (a span inside a recorded span of the process is recorded); the
	// argument is the ratio of traceidratio, 1 when empty.
	TracesSampler    string `env:"OTEL_TRACES_SAMPLER, default=parentbased_always_on"`
	TracesSamplerArg string `env:"OTEL_TRACES_SAMPLER_ARG"`
	// TrustRemoteParent makes a server continue the trace of a caller's
	// traceparent, its trace id and its sampling decision (sampled or
	// not), as OpenTelemetry's standard setup does. Off, a call that
	// arrives with a traceparent starts a trace of its own, with a new
	// trace id, sampled as any trace started here, and its server span
	// links to the caller's span: a caller can neither make a service
	// record every call of its (the sampled flag) nor choose trace ids
	// that the ratio sampler, which decides by trace id, always keeps,
	// nor add its spans to the service's traces. A trace the services
	// pass on among themselves outside calls (an event's trace_context,
	// which the bridge continues) stays one trace. Turn it on only where
	// every caller's traceparent is trusted (an ingress that strips or
	// sets it, or callers that are all the deployment's own): then one
	// trace runs from the CRM through the bridge to the ERP.
	TrustRemoteParent bool `env:"TRACES_TRUST_REMOTE_PARENT, default=false"`
}

// trustRemoteParent is the TrustRemoteParent of the configuration
// SetupTracing installed last.
var trustRemoteParent atomic.Bool

// TrustsRemoteParent reports whether servers continue the trace of a
// caller's traceparent (TRACES_TRUST_REMOTE_PARENT); when not, they start
// a trace of their own linked to it (the instrumentation's "public
// endpoint").
func TrustsRemoteParent() bool { return trustRemoteParent.Load() }

// SetTrustRemoteParent sets what TrustsRemoteParent reports; SetupTracing
// sets it from the configuration.
func SetTrustRemoteParent(trust bool) { trustRemoteParent.Store(trust) }

// Validate implements config.Validator.
func (c Config) Validate() error {
	var errs []error
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		errs = append(errs, fmt.Errorf("LOG_LEVEL: %q is none of debug, info, warn, error", c.LogLevel))
	}
	if !strings.EqualFold(c.LogFormat, "json") && !strings.EqualFold(c.LogFormat, "text") {
		errs = append(errs, fmt.Errorf("LOG_FORMAT: %q is neither json nor text", c.LogFormat))
	}
	if _, err := c.Sampler(); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, CheckOTLPEndpoint(c.OTLPEndpoint))
	return errors.Join(errs...)
}

// otlpEndpointVar is the variable of the OTLP exporter's endpoint.
const otlpEndpointVar = "OTEL_EXPORTER_OTLP_ENDPOINT"

// CheckOTLPEndpoint checks OTEL_EXPORTER_OTLP_ENDPOINT as the OTLP/gRPC
// exporter reads it: a URL, http:// (plain) or https:// (TLS) and a
// host with an optional port (http://otel-collector:4317), or unix://
// and a socket's path; or a bare host:port, dialed with TLS. Anything
// else the exporter would only warn about, then send traces to its
// default endpoint or nowhere; the error names the variable. Empty (no
// traces exported) is fine.
func CheckOTLPEndpoint(v string) error {
	if v == "" {
		return nil
	}
	bad := func(why string) error {
		return fmt.Errorf("%s: %q %s; write a URL such as http://otel-collector:4317", otlpEndpointVar, v, why)
	}
	u, err := url.Parse(v)
	if err != nil {
		return bad("is not a URL")
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		if u.Hostname() == "" {
			return bad("has no host")
		}
		if strings.HasSuffix(u.Host, ":") {
			return bad("has no valid port")
		}
		if p := u.Port(); p != "" {
			if n, err := strconv.ParseUint(p, 10, 16); err != nil || n == 0 {
				return bad("has no valid port")
			}
		}
		return nil
	case "unix":
		if u.Path == "" {
			return bad("names no socket")
		}
		return nil
	}
	// Without a scheme the exporter dials the value as it is: host:port.
	if config.CheckAddr(otlpEndpointVar, v, false) != nil {
		return bad("is neither an http:// or https:// URL nor host:port")
	}
	return nil
}

// Sampler is the trace sampler the configuration names.
func (c Config) Sampler() (sdktrace.Sampler, error) {
	name := strings.ToLower(strings.TrimSpace(c.TracesSampler))
	if name == "" {
		name = "parentbased_always_on" // OpenTelemetry's default
	}
	ratio := func() (float64, error) {
		arg := strings.TrimSpace(c.TracesSamplerArg)
		if arg == "" {
			return 1, nil
		}
		r, err := strconv.ParseFloat(arg, 64)
		if err != nil || !(r >= 0 && r <= 1) { // NaN fails both
			return 0, fmt.Errorf("OTEL_TRACES_SAMPLER_ARG: %q is not a ratio between 0 and 1", c.TracesSamplerArg)
		}
		return r, nil
	}
	parent, root := false, name
	if r, ok := strings.CutPrefix(name, "parentbased_"); ok {
		parent, root = true, r
	}
	var s sdktrace.Sampler
	switch root {
	case "always_on":
		s = sdktrace.AlwaysSample()
	case "always_off":
		s = sdktrace.NeverSample()
	case "traceidratio":
		r, err := ratio()
		if err != nil {
			return nil, err
		}
		s = sdktrace.TraceIDRatioBased(r)
	default:
		return nil, fmt.Errorf("OTEL_TRACES_SAMPLER: %q is none of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio", c.TracesSampler)
	}
	if parent {
		if c.TrustRemoteParent {
			s = sdktrace.ParentBased(s)
		} else {
			s = sdktrace.ParentBased(s, sdktrace.WithRemoteParentSampled(s), sdktrace.WithRemoteParentNotSampled(s))
		}
	}
	return s, nil
}

// NewLogger returns a logger writing to w in the configured format, adding
// trace_id and span_id, and request_id (WithRequestID), from the context
// of each record.
func NewLogger(w io.Writer, cfg Config, service string) *slog.Logger {
	level := slog.LevelInfo
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	if strings.EqualFold(cfg.LogFormat, "text") {
		h = slog.NewTextHandler(w, opts)
	} else {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(traceHandler{Handler: h}).With("service", service)
}

// DefaultLogger is NewLogger on standard error with default settings, for
// the moments before configuration is read.
func DefaultLogger(service string) *slog.Logger {
	return NewLogger(os.Stderr, Config{LogLevel: "info"}, service)
}

// RequestIDKey is the key of a log line's request id (see WithRequestID).
const RequestIDKey = "request_id"

type requestIDKey struct{}

// WithRequestID returns ctx carrying the request id of the call (or of
// the work, such as an event the bridge applies) it belongs to: every line
// a logger of NewLogger writes with ctx carries it as request_id. The
// server package gives each call its id (server.RequestID).
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request id ctx carries, "" when none.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// traceHandler adds the trace and span of a record's context, and its
// request id unless the record or the logger (With) already has one.
type traceHandler struct {
	slog.Handler
	hasRequestID bool // a request_id attribute was added by WithAttrs
}

func (h traceHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	if id := RequestID(ctx); id != "" && !h.hasRequestID && !recordHas(r, RequestIDKey) {
		r.AddAttrs(slog.String(RequestIDKey, id))
	}
	return h.Handler.Handle(ctx, r)
}

// recordHas reports whether r has a top-level attribute named key.
func recordHas(r slog.Record, key string) bool {
	found := false
	r.Attrs(func(a slog.Attr) bool {
		found = a.Key == key
		return !found
	})
	return found
}

func (h traceHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	has := h.hasRequestID
	for _, a := range attrs {
		has = has || a.Key == RequestIDKey
	}
	return traceHandler{h.Handler.WithAttrs(attrs), has}
}

func (h traceHandler) WithGroup(name string) slog.Handler {
	return traceHandler{h.Handler.WithGroup(name), h.hasRequestID}
}

// SetupTracing installs the global tracer provider and W3C propagators. The
// returned function flushes and stops the exporter.
func SetupTracing(ctx context.Context, cfg Config, service, version string) (func(context.Context) error, error) {
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	res, err := resource.Merge(resource.Default(), resource.NewWithAttributes(semconv.SchemaURL,
		semconv.ServiceName(service), semconv.ServiceVersion(version)))
	if err != nil && !errors.Is(err, resource.ErrSchemaURLConflict) {
		return nil, err
	}
	sampler, err := cfg.Sampler()
	if err != nil {
		return nil, err
	}
	opts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res), sdktrace.WithSampler(sampler)}
	if cfg.OTLPEndpoint != "" {
		exp, err := otlptracegrpc.New(ctx)
		if err != nil {
			return nil, err
		}
		opts = append(opts, sdktrace.WithBatcher(exp))
	}
	tp := sdktrace.NewTracerProvider(opts...)
	otel.SetTracerProvider(tp)
	SetTrustRemoteParent(cfg.TrustRemoteParent)
	return tp.Shutdown, nil
}

// Inject returns the W3C trace context of ctx as a map, for carrying a trace
// across an event feed.
func Inject(ctx context.Context) map[string]string {
	carrier := propagation.MapCarrier{}
	otel.GetTextMapPropagator().Inject(ctx, carrier)
	return carrier
}

// Extract returns ctx joined to the trace carried in m.
func Extract(ctx context.Context, m map[string]string) context.Context {
	if len(m) == 0 {
		return ctx
	}
	return otel.GetTextMapPropagator().Extract(ctx, propagation.MapCarrier(m))
}
