package telemetry

import (
	"context"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

func TestSamplerConfig(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		sampler, arg string
		want         string // the sampler's description, or the error's start
	}{
		{"", "", "ParentBased{root:AlwaysOnSampler"},
		{"parentbased_always_on", "", "ParentBased{root:AlwaysOnSampler"},
		{"always_off", "", "AlwaysOffSampler"},
		{"traceidratio", "0.25", "TraceIDRatioBased{0.25}"},
		{"traceidratio", "", "TraceIDRatioBased{1}"},
		{"PARENTBASED_TRACEIDRATIO", "0.1", "ParentBased{root:TraceIDRatioBased{0.1}"},
		{"always_on", "whatever", "AlwaysOnSampler"}, // the argument is only read by ratio samplers
		{"traceidratio", "1.5", "OTEL_TRACES_SAMPLER_ARG:"},
		{"traceidratio", "NaN", "OTEL_TRACES_SAMPLER_ARG:"},
		{"parentbased_traceidratio", "ten percent", "OTEL_TRACES_SAMPLER_ARG:"},
		{"jaeger_remote", "", "OTEL_TRACES_SAMPLER:"},
	} {
		cfg := Config{LogLevel: "info", LogFormat: "json", TracesSampler: tc.sampler, TracesSamplerArg: tc.arg}
		s, err := cfg.Sampler()
		got := ""
		if err != nil {
			got = err.Error()
			if verr := cfg.Validate(); verr == nil || !strings.Contains(verr.Error(), got) {
				t.Errorf("%q %q: Validate = %v, want %v", tc.sampler, tc.arg, verr, err)
			}
		} else {
			got = s.Description()
		}
		if !strings.HasPrefix(got, tc.want) {
			t.Errorf("%q %q: %q, want %q...", tc.sampler, tc.arg, got, tc.want)
		}
	}
}

// The tracer provider samples as configured: with a ratio of 0 no trace a
// service starts is recorded, though it still has a trace id for logs.
func TestSetupTracingSamples(t *testing.T) {
	t.Cleanup(func() { otel.SetTracerProvider(noop.NewTracerProvider()) })
	for _, tc := range []struct {
		sampler, arg string
		sampled      bool
	}{
		{"parentbased_always_on", "", true},
		{"parentbased_traceidratio", "0", false},
		{"always_off", "", false},
	} {
		ctx := context.Background()
		shutdown, err := SetupTracing(ctx, Config{TracesSampler: tc.sampler, TracesSamplerArg: tc.arg}, "test", "v0")
		if err != nil {
			t.Fatal(err)
		}
		_, span := otel.Tracer("test").Start(ctx, "op")
		sc := span.SpanContext()
		span.End()
		if sc.IsSampled() != tc.sampled || !sc.TraceID().IsValid() {
			t.Errorf("%s %q: sampled %v (trace id valid %v), want %v", tc.sampler, tc.arg, sc.IsSampled(), sc.TraceID().IsValid(), tc.sampled)
		}
		if err := shutdown(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// A caller's sampling decision, the sampled flag of its traceparent, is
// followed only with TRACES_TRUST_REMOTE_PARENT; otherwise the trace is
// sampled at the configured ratio like one started here, keeping the
// caller's trace id. A span inside a recorded span of the process stays
// recorded either way.
func TestSamplerRemoteParent(t *testing.T) {
	t.Parallel()
	traceID := trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36}
	remote := func(flags trace.TraceFlags) context.Context {
		return trace.ContextWithRemoteSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
			TraceID: traceID, SpanID: trace.SpanID{1}, TraceFlags: flags, Remote: true,
		}))
	}
	for _, tc := range []struct {
		sampler, arg string
		trust        bool
		flags        trace.TraceFlags
		sampled      bool
	}{
		{"parentbased_traceidratio", "0", false, trace.FlagsSampled, false},
		{"parentbased_traceidratio", "0", true, trace.FlagsSampled, true},
		{"parentbased_always_off", "", false, trace.FlagsSampled, false},
		{"parentbased_always_off", "", true, trace.FlagsSampled, true},
		{"parentbased_traceidratio", "1", false, 0, true},
		{"parentbased_traceidratio", "1", true, 0, false},
		{"parentbased_always_on", "", false, 0, true},
	} {
		s, err := Config{TracesSampler: tc.sampler, TracesSamplerArg: tc.arg, TrustRemoteParent: tc.trust}.Sampler()
		if err != nil {
			t.Fatal(err)
		}
		tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(s))
		ctx, span := tp.Tracer("test").Start(remote(tc.flags), "op")
		sc := span.SpanContext()
		if sc.IsSampled() != tc.sampled || sc.TraceID() != traceID {
			t.Errorf("%s %q trust %v, caller's flags %v: sampled %v in trace %s, want %v in the caller's trace",
				tc.sampler, tc.arg, tc.trust, tc.flags, sc.IsSampled(), sc.TraceID(), tc.sampled)
		}
		_, child := tp.Tracer("test").Start(ctx, "inner")
		if child.SpanContext().IsSampled() != sc.IsSampled() {
			t.Errorf("%s %q trust %v: an inner span's decision differs from its parent's", tc.sampler, tc.arg, tc.trust)
		}
		child.End()
		span.End()
		_ = tp.Shutdown(context.Background())
	}
}

// A bad OTEL_EXPORTER_OTLP_ENDPOINT stops the start-up, naming the
// variable, rather than a warning from the exporter and traces sent to
// its default endpoint; the forms the exporter reads pass.
func TestOTLPEndpointChecked(t *testing.T) {
	t.Parallel()
	for v, ok := range map[string]bool{
		"": true,
		"http://otel-collector.observability:4317": true,
		"https://otel.example.com":                 true,
		"HTTP://[::1]:4317":                        true,
		"http://otel:4317/":                        true,
		"otel-collector:4317":                      true,
		"unix:///run/otel.sock":                    true,
		"10.0.0.1:4317":                            false, // not a URL: the exporter ignores it
		"otel-collector":                           false, // no port
		"http://":                                  false,
		"http://:4317":                             false,
		"http://otel:":                             false,
		"http://otel:99999":                        false,
		"http://otel:port":                         false,
		"http://otel collector:4317":               false,
		"otel-collector:http":                      false,
		"unix://":                                  false,
		"/var/run/otel.sock":                       false,
	} {
		cfg := Config{LogLevel: "info", LogFormat: "json", OTLPEndpoint: v}
		err := cfg.Validate()
		if (err == nil) != ok {
			t.Errorf("%q: Validate = %v, want ok %v", v, err, ok)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "OTEL_EXPORTER_OTLP_ENDPOINT: ") {
			t.Errorf("%q: %v does not name the variable", v, err)
		}
	}
}

// A line logged with a context carrying a request id has it as
// request_id, once, whether or not the line or the logger names one too.
func TestLoggerRequestID(t *testing.T) {
	t.Parallel()
	var buf strings.Builder
	log := NewLogger(&buf, Config{LogLevel: "info", LogFormat: "json"}, "bridge")
	ctx := WithRequestID(context.Background(), "req-1")
	log.InfoContext(ctx, "from context")
	log.InfoContext(ctx, "named by the line", RequestIDKey, "req-1")
	log.With(RequestIDKey, "req-1").InfoContext(ctx, "named by the logger")
	log.Info("no context")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines, want 4:\n%s", len(lines), buf.String())
	}
	for _, line := range lines[:3] {
		if n := strings.Count(line, `"request_id":"req-1"`); n != 1 || strings.Count(line, `"request_id"`) != 1 {
			t.Errorf("want request_id req-1 once: %s", line)
		}
	}
	if strings.Contains(lines[3], "request_id") {
		t.Errorf("a line without a request id has one: %s", lines[3])
	}
	if got := RequestID(context.Background()); got != "" {
		t.Errorf("RequestID of a bare context = %q", got)
	}
}

// SetupTracing installs TRACES_TRUST_REMOTE_PARENT for the servers
// (TrustsRemoteParent).
func TestSetupTracingTrust(t *testing.T) {
	t.Cleanup(func() {
		otel.SetTracerProvider(noop.NewTracerProvider())
		SetTrustRemoteParent(false)
	})
	for _, trust := range []bool{true, false} {
		shutdown, err := SetupTracing(context.Background(), Config{TrustRemoteParent: trust}, "test", "v0")
		if err != nil {
			t.Fatal(err)
		}
		if got := TrustsRemoteParent(); got != trust {
			t.Errorf("TRACES_TRUST_REMOTE_PARENT=%v: TrustsRemoteParent() = %v", trust, got)
		}
		_ = shutdown(context.Background())
	}
}
